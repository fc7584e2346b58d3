//! procfs over a fake ProcSource, alone and mounted with devfs and tmpfs
//! the way the kernel arranges them.

mod common;

use common::*;
use lintel_rootfs::{makedev, CharDev, DevFs, ProcFs, ProcSource};
use lintel_vfs::{
    Errno, FileSystem, FileType, Follow, MountFlags, MountTable, OpenFlags, Resolver, SetAttr,
    VnodeRef, PROC_MAGIC,
};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

struct Fake {
    pid: AtomicI32,
    cmdline: Mutex<Vec<u8>>,
    fds: Mutex<Vec<(i32, Vec<u8>)>>,
}

impl ProcSource for Fake {
    fn pid(&self) -> i32 {
        self.pid.load(Ordering::Relaxed)
    }
    fn exe(&self) -> Vec<u8> {
        b"/usr/sbin/nginx".to_vec()
    }
    fn cmdline(&self) -> Vec<u8> {
        self.cmdline.lock().unwrap().clone()
    }
    fn fds(&self) -> Vec<(i32, Vec<u8>)> {
        self.fds.lock().unwrap().clone()
    }
    fn maps(&self) -> Vec<u8> {
        b"00400000-00401000 r-xp 00000000 00:01 2 /usr/sbin/nginx\n".to_vec()
    }
    fn mounts(&self) -> Vec<u8> {
        b"rootfs / tmpfs rw 0 0\n".to_vec()
    }
    fn meminfo(&self) -> (u64, u64) {
        (512 << 20, 256 << 20)
    }
    fn cpuinfo(&self) -> Vec<u8> {
        b"processor\t: 0\n".to_vec()
    }
    fn uptime_ns(&self) -> u64 {
        12_345_000_000
    }
    fn ppid(&self) -> i32 {
        1
    }
}

fn fake() -> Arc<Fake> {
    Arc::new(Fake {
        pid: AtomicI32::new(42),
        cmdline: Mutex::new(b"nginx\0-g\0daemon off;\0".to_vec()),
        fds: Mutex::new(vec![
            (0, b"/dev/ttyS0".to_vec()),
            (1, b"pipe:[3]".to_vec()),
            (10, b"/tmp/x".to_vec()),
        ]),
    })
}

fn procfs(src: &Arc<Fake>) -> Arc<ProcFs> {
    ProcFs::new(src.clone(), clock)
}

fn walk(v: &VnodeRef, path: &str) -> VnodeRef {
    path.split('/')
        .fold(v.clone(), |v, n| v.lookup(n.as_bytes()).unwrap())
}

fn text(v: &VnodeRef) -> String {
    String::from_utf8(read(v, 0, 1 << 16)).unwrap()
}

#[test]
fn the_root_lists_self_the_process_and_system_files() {
    let src = fake();
    let fs = procfs(&src);
    let root = fs.root();
    let entries = list(&root);
    let got: Vec<(String, FileType)> = entries
        .iter()
        .map(|e| (String::from_utf8(e.name.clone()).unwrap(), e.kind))
        .collect();
    let want = [
        (".", FileType::Directory),
        ("..", FileType::Directory),
        ("self", FileType::Symlink),
        ("mounts", FileType::Symlink),
        ("meminfo", FileType::Regular),
        ("cpuinfo", FileType::Regular),
        ("uptime", FileType::Regular),
        ("42", FileType::Directory),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(n, k)| (n.to_string(), *k))
            .collect::<Vec<_>>()
    );
    for e in &entries[2..] {
        assert_eq!(root.lookup(&e.name).unwrap().getattr().unwrap().ino, e.ino);
    }
    assert_eq!(root.lookup(b"self").unwrap().readlink().unwrap(), b"42");
    assert_eq!(
        root.lookup(b"mounts").unwrap().readlink().unwrap(),
        b"self/mounts"
    );
    assert_eq!(
        root.lookup(b"41").err(),
        Some(Errno::ENOENT),
        "only the caller is visible"
    );
    assert_eq!(
        root.lookup(b"042").err(),
        Some(Errno::ENOENT),
        "no leading zeros"
    );
    assert_eq!(root.lookup(b"nope").err(), Some(Errno::ENOENT));
}

#[test]
fn system_files_in_linux_formats() {
    let src = fake();
    let root = procfs(&src).root();
    let m = text(&root.lookup(b"meminfo").unwrap());
    assert!(
        m.starts_with("MemTotal:         524288 kB\nMemFree:          262144 kB\nMemAvailable:     262144 kB\n"),
        "{m}"
    );
    for field in ["Buffers:", "Cached:", "SwapTotal:", "SwapFree:"] {
        assert!(m.contains(&format!("\n{field}")), "{field}");
    }
    assert_eq!(text(&root.lookup(b"uptime").unwrap()), "12.34 0.00\n");
    assert_eq!(text(&root.lookup(b"cpuinfo").unwrap()), "processor\t: 0\n");
}

#[test]
fn the_process_directory() {
    let src = fake();
    let root = procfs(&src).root();
    let pid = root.lookup(b"42").unwrap();
    assert_eq!(
        names(&pid),
        [".", "..", "exe", "cmdline", "maps", "mounts", "status", "fd"]
    );
    assert_eq!(
        walk(&root, "42/exe").readlink().unwrap(),
        b"/usr/sbin/nginx"
    );
    assert_eq!(
        read(&walk(&root, "42/cmdline"), 0, 100),
        b"nginx\0-g\0daemon off;\0"
    );
    assert!(text(&walk(&root, "42/maps")).contains("r-xp"));
    assert_eq!(text(&walk(&root, "42/mounts")), "rootfs / tmpfs rw 0 0\n");
    let status = text(&walk(&root, "42/status"));
    for line in [
        "Name:\tnginx\n",
        "State:\tR (running)\n",
        "\nPid:\t42\n",
        "\nPPid:\t1\n",
        "\nUid:\t0\t0\t0\t0\n",
        "\nGid:\t0",
    ] {
        assert!(status.contains(line), "{line:?} in {status}");
    }
    assert!(status.starts_with("Name:"));
    assert_eq!(pid.lookup(b"nope").err(), Some(Errno::ENOENT));
    let listing = list(&pid);
    assert_eq!(
        listing[1].ino,
        root.getattr().unwrap().ino,
        "\"..\" is /proc"
    );
}

#[test]
fn fd_links_follow_the_fd_table() {
    let src = fake();
    let root = procfs(&src).root();
    let fd = walk(&root, "42/fd");
    let entries = list(&fd);
    let got: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
    assert_eq!(got, [&b"."[..], b"..", b"0", b"1", b"10"]);
    assert!(entries[2..].iter().all(|e| e.kind == FileType::Symlink));
    assert_eq!(
        entries[1].ino,
        root.lookup(b"42").unwrap().getattr().unwrap().ino
    );
    assert_eq!(fd.lookup(b"1").unwrap().readlink().unwrap(), b"pipe:[3]");
    assert_eq!(fd.lookup(b"10").unwrap().readlink().unwrap(), b"/tmp/x");
    assert_eq!(fd.lookup(b"2").err(), Some(Errno::ENOENT));
    assert_eq!(fd.lookup(b"00").err(), Some(Errno::ENOENT));
    assert_eq!(fd.lookup(b"-1").err(), Some(Errno::ENOENT));
    assert_eq!(fd.lookup(b"99999999999").err(), Some(Errno::ENOENT));
    // Cookies follow fd numbers: a listing resumed after fd 1 skips nothing
    // when fds open and close in between.
    let h = fd.open(RDONLY).unwrap();
    let cookie = entries[3].next;
    let link = fd.lookup(b"1").unwrap();
    src.fds.lock().unwrap().push((5, b"/x".to_vec()));
    src.fds.lock().unwrap().retain(|(n, _)| *n != 1);
    let mut rest = Vec::new();
    h.readdir(cookie, &mut |e| {
        rest.push(e.name.clone());
        true
    })
    .unwrap();
    assert_eq!(
        rest,
        [b"10".to_vec()],
        "the open handle lists what was there when opened"
    );
    let h2 = fd.open(RDONLY).unwrap();
    let mut rest = Vec::new();
    h2.readdir(cookie, &mut |e| {
        rest.push(e.name.clone());
        true
    })
    .unwrap();
    assert_eq!(rest, [b"5".to_vec(), b"10".to_vec()]);
    assert_eq!(
        link.readlink().err(),
        Some(Errno::ENOENT),
        "a closed fd's link is gone"
    );
}

#[test]
fn attributes_as_linux_shows_them() {
    let src = fake();
    let root = procfs(&src).root();
    let mode = |p: &str| walk(&root, p).getattr().unwrap().mode;
    assert_eq!(root.getattr().unwrap().mode, 0o040555);
    assert_eq!(mode("self"), 0o120777);
    assert_eq!(mode("meminfo"), 0o100444);
    assert_eq!(mode("42"), 0o040555);
    assert_eq!(mode("42/fd"), 0o040500);
    assert_eq!(mode("42/fd/0"), 0o120700);
    assert_eq!(mode("42/exe"), 0o120777);
    assert_eq!(mode("42/status"), 0o100444);
    assert_eq!(
        walk(&root, "meminfo").getattr().unwrap().size,
        0,
        "proc files report size 0"
    );
    assert_eq!(walk(&root, "meminfo").getattr().unwrap().mtime, clock());
    let s = root.statfs().unwrap();
    assert_eq!(s.fs_type, PROC_MAGIC);
}

#[test]
fn contents_are_a_snapshot_taken_at_open() {
    let src = fake();
    let root = procfs(&src).root();
    let h = walk(&root, "42/cmdline").open(RDONLY).unwrap();
    *src.cmdline.lock().unwrap() = b"changed\0".to_vec();
    let mut buf = [0u8; 5];
    assert_eq!(h.read_at(0, &mut buf), Ok(5));
    assert_eq!(&buf, b"nginx");
    assert_eq!(h.read_at(6, &mut buf), Ok(5));
    assert_eq!(&buf, b"-g\0da");
    assert_eq!(h.read_at(1000, &mut buf), Ok(0));
    assert_eq!(h.read_at(u64::MAX, &mut buf), Ok(0));
    assert_eq!(read(&walk(&root, "42/cmdline"), 0, 100), b"changed\0");
}

#[test]
fn nothing_can_be_written_or_changed() {
    let src = fake();
    let root = procfs(&src).root();
    // Linux lets root open them for writing; the write fails.
    let h = walk(&root, "meminfo").open(OpenFlags::WRONLY).unwrap();
    assert_eq!(h.write_at(0, b"x"), Err(Errno::EIO));
    assert_eq!(
        walk(&root, "meminfo").setattr(&SetAttr {
            mode: Some(0o644),
            ..SetAttr::default()
        }),
        Err(Errno::EPERM)
    );
    assert!(root.create(b"x", 0o644).is_err());
    assert!(root.mkdir(b"x", 0o755).is_err());
    assert!(root.unlink(b"meminfo").is_err());
    assert_eq!(walk(&root, "self").open(RDONLY).err(), Some(Errno::ELOOP));
    assert_eq!(
        root.open(RDONLY).unwrap().read_at(0, &mut [0]),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        walk(&root, "meminfo")
            .open(RDONLY)
            .unwrap()
            .readdir(0, &mut |_| true),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        walk(&root, "meminfo").lookup(b"x").err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(walk(&root, "meminfo").readlink().err(), Some(Errno::EINVAL));
}

#[test]
fn another_process_sees_itself() {
    let src = fake();
    let fs = procfs(&src);
    let root = fs.root();
    let old = root.lookup(b"42").unwrap();
    let status = walk(&root, "42/status");
    src.pid.store(43, Ordering::Relaxed);
    assert_eq!(root.lookup(b"self").unwrap().readlink().unwrap(), b"43");
    assert!(root.lookup(b"43").is_ok());
    assert_eq!(root.lookup(b"42").err(), Some(Errno::ENOENT));
    assert_eq!(
        old.lookup(b"exe").err(),
        Some(Errno::ENOENT),
        "a node of another process is gone"
    );
    assert_eq!(old.getattr().err(), Some(Errno::ENOENT));
    assert_eq!(status.open(RDONLY).err(), Some(Errno::ENOENT));
    assert!(
        !fs.cache_names(),
        "names mean something else to each caller"
    );
    assert_eq!(fs.name(), "proc");
}

struct Console;

impl lintel_vfs::Handle for Console {
    fn is_tty(&self) -> bool {
        true
    }
}

/// The kernel's arrangement: tmpfs root, devfs on /dev, procfs on /proc.
#[test]
fn dev_stdin_reaches_the_console_through_proc() {
    let src = fake();
    let fs = tmpfs();
    fs.root().mkdir(b"dev", 0o755).unwrap();
    fs.root().mkdir(b"proc", 0o555).unwrap();
    let mounts = MountTable::new();
    let root = mounts.mount_root(fs, b"rootfs", b"", MountFlags::empty());
    let r = Resolver {
        mounts: &mounts,
        root: &root,
    };
    let tty = CharDev {
        name: "ttyS0",
        rdev: makedev(4, 64),
        mode: 0o620,
        handle: Arc::new(Console),
    };
    let dev = DevFs::new(|b| b.fill(1), vec![tty]);
    let at = r.resolve(&root, b"/dev", Follow::Yes).unwrap();
    mounts
        .mount(&at, dev, b"devtmpfs", b"", MountFlags::empty())
        .unwrap();
    let at = r.resolve(&root, b"/proc", Follow::Yes).unwrap();
    mounts
        .mount(&at, procfs(&src), b"proc", b"", MountFlags::empty())
        .unwrap();

    let stdin = r.resolve(&root, b"/dev/stdin", Follow::Yes).unwrap();
    let a = stdin.dentry.vnode().getattr().unwrap();
    assert_eq!(
        (a.file_type(), a.rdev),
        (Some(FileType::CharDevice), makedev(4, 64))
    );
    assert!(stdin.dentry.vnode().open(OpenFlags::RDWR).unwrap().is_tty());
    assert_eq!(r.name_of(&stdin), b"/dev/ttyS0".to_vec());
    assert_eq!(
        r.resolve(&root, b"/dev/stdout", Follow::Yes).err(),
        Some(Errno::ENOENT),
        "pipe:[3] is no path"
    );
    assert!(r.resolve(&root, b"/proc/self/fd/", Follow::Yes).is_ok());
    assert!(r.resolve(&root, b"/dev/fd/10", Follow::No).is_ok());
    let mounts_text = r.resolve(&root, b"/proc/mounts", Follow::Yes).unwrap();
    assert_eq!(text(mounts_text.dentry.vnode()), "rootfs / tmpfs rw 0 0\n");
    let exe = r.resolve(&root, b"/proc/self/exe", Follow::No).unwrap();
    assert_eq!(exe.dentry.vnode().readlink().unwrap(), b"/usr/sbin/nginx");
    assert_eq!(
        r.name_of(&r.resolve(&root, b"/proc/self", Follow::Yes).unwrap()),
        b"/proc/42"
    );
}
