//! devfs: the memory devices, registered character devices, the fixed
//! names, and what can and cannot change.

mod common;

use common::*;
use lintel_rootfs::{makedev, CharDev, DevFs};
use lintel_vfs::{
    DirEntry, Errno, FileSystem, FileType, Handle, OpenFlags, SetAttr, VfsResult, VnodeRef,
    TMPFS_MAGIC,
};
use std::sync::Arc;

/// A stand-in for the kernel's serial console.
struct Tty;

impl Handle for Tty {
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EAGAIN)
    }
    fn write_at(&self, _off: u64, data: &[u8]) -> VfsResult<usize> {
        Ok(data.len())
    }
    fn readdir(&self, _c: u64, _s: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        Err(Errno::ENOTDIR)
    }
    fn is_stream(&self) -> bool {
        true
    }
    fn is_tty(&self) -> bool {
        true
    }
}

fn entropy(buf: &mut [u8]) {
    buf.iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = i as u8 ^ 0x5a);
}

fn devfs_with(console: Arc<dyn Handle>) -> Arc<DevFs> {
    DevFs::new(
        entropy,
        vec![
            CharDev {
                name: "console",
                rdev: makedev(5, 1),
                mode: 0o020600,
                handle: console.clone(),
            },
            CharDev {
                name: "ttyS0",
                rdev: makedev(4, 64),
                mode: 0o620,
                handle: console,
            },
            CharDev {
                name: "bad/name",
                rdev: 1,
                mode: 0o600,
                handle: Arc::new(Tty),
            },
            CharDev {
                name: "..",
                rdev: 1,
                mode: 0o600,
                handle: Arc::new(Tty),
            },
        ],
    )
}

fn devfs() -> Arc<DevFs> {
    devfs_with(Arc::new(Tty))
}

fn node(fs: &DevFs, name: &str) -> VnodeRef {
    fs.root().lookup(name.as_bytes()).unwrap()
}

fn read_dev(v: &VnodeRef, len: usize) -> VfsResult<Vec<u8>> {
    let mut buf = vec![0xaa; len];
    let n = v.open(OpenFlags::RDWR)?.read_at(12345, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn write_dev(v: &VnodeRef, data: &[u8]) -> VfsResult<usize> {
    v.open(OpenFlags::RDWR)?.write_at(0, data)
}

#[test]
fn makedev_matches_glibc() {
    assert_eq!(makedev(1, 3), 0x103);
    assert_eq!(makedev(4, 64), 0x440);
    assert_eq!(makedev(5, 1), 0x501);
    assert_eq!(makedev(300, 70000), 0x1111_2c70);
    assert_eq!(makedev(0x12345, 0x6789a), 0x1_2000_6783_459a);
}

#[test]
fn memory_devices_behave_as_linux() {
    let fs = devfs();
    let null = node(&fs, "null");
    assert_eq!(read_dev(&null, 16).unwrap(), b"");
    assert_eq!(write_dev(&null, b"gone"), Ok(4));
    let zero = node(&fs, "zero");
    assert_eq!(read_dev(&zero, 16).unwrap(), vec![0; 16]);
    assert_eq!(write_dev(&zero, b"gone"), Ok(4));
    let full = node(&fs, "full");
    assert_eq!(read_dev(&full, 8).unwrap(), vec![0; 8]);
    assert_eq!(write_dev(&full, b"x"), Err(Errno::ENOSPC));
    let mut expect = vec![0; 8];
    entropy(&mut expect);
    for name in ["random", "urandom"] {
        let v = node(&fs, name);
        assert_eq!(
            read_dev(&v, 8).unwrap(),
            expect,
            "{name} reads the entropy source"
        );
        assert_eq!(write_dev(&v, b"seed"), Ok(4));
        assert!(
            !v.open(OpenFlags::RDWR).unwrap().is_stream(),
            "pread works on {name}"
        );
    }
    for (name, minor) in [
        ("null", 3),
        ("zero", 5),
        ("full", 7),
        ("random", 8),
        ("urandom", 9),
    ] {
        let a = node(&fs, name).getattr().unwrap();
        assert_eq!(
            (a.mode, a.rdev, a.size, a.nlink),
            (0o020666, makedev(1, minor), 0, 1),
            "{name}"
        );
    }
}

#[test]
fn registered_devices_share_the_kernels_handle() {
    let console: Arc<dyn Handle> = Arc::new(Tty);
    let fs = devfs_with(console.clone());
    let c = node(&fs, "console");
    let h = c.open(OpenFlags::RDWR).unwrap();
    assert!(Arc::ptr_eq(&h, &console));
    assert!(h.is_tty());
    let a = c.getattr().unwrap();
    assert_eq!(
        (a.mode, a.rdev),
        (0o020600, 0x501),
        "type bits in the mode are ignored, S_IFCHR is set"
    );
    assert_eq!(node(&fs, "ttyS0").getattr().unwrap().mode, 0o020620);
    assert!(Arc::ptr_eq(
        &fs.open_device(makedev(4, 64), OpenFlags::RDWR).unwrap(),
        &console
    ));
    assert!(
        fs.open_device(makedev(1, 3), OpenFlags::RDWR).is_ok(),
        "memory devices by number too"
    );
    assert_eq!(
        fs.open_device(makedev(9, 9), OpenFlags::RDWR).err(),
        Some(Errno::ENXIO)
    );
    assert_eq!(
        fs.root().lookup(b"bad").err(),
        Some(Errno::ENOENT),
        "invalid names are skipped"
    );
}

#[test]
fn a_registered_device_replaces_a_builtin_of_its_name() {
    let fs = DevFs::new(
        entropy,
        vec![CharDev {
            name: "null",
            rdev: 7,
            mode: 0o600,
            handle: Arc::new(Tty),
        }],
    );
    assert_eq!(node(&fs, "null").getattr().unwrap().rdev, 7);
    assert_eq!(names(&fs.root()).iter().filter(|n| *n == "null").count(), 1);
}

#[test]
fn the_listing_and_the_fixed_names() {
    let fs = devfs();
    let root = fs.root();
    let entries = list(&root);
    let got: Vec<(&[u8], FileType)> = entries
        .iter()
        .map(|e| (e.name.as_slice(), e.kind))
        .collect();
    let expect: Vec<(&[u8], FileType)> = vec![
        (b".", FileType::Directory),
        (b"..", FileType::Directory),
        (b"null", FileType::CharDevice),
        (b"zero", FileType::CharDevice),
        (b"full", FileType::CharDevice),
        (b"random", FileType::CharDevice),
        (b"urandom", FileType::CharDevice),
        (b"console", FileType::CharDevice),
        (b"ttyS0", FileType::CharDevice),
        (b"fd", FileType::Symlink),
        (b"stdin", FileType::Symlink),
        (b"stdout", FileType::Symlink),
        (b"stderr", FileType::Symlink),
        (b"pts", FileType::Directory),
        (b"shm", FileType::Directory),
    ];
    assert_eq!(got, expect);
    assert_eq!((entries[0].ino, entries[1].ino), (1, 1));
    for e in &entries[2..] {
        assert_eq!(root.lookup(&e.name).unwrap().getattr().unwrap().ino, e.ino);
    }
    // Resuming from any cookie continues after that entry.
    let h = root.open(RDONLY).unwrap();
    let mut rest = Vec::new();
    h.readdir(entries[5].next, &mut |e| {
        rest.push(e.name.clone());
        true
    })
    .unwrap();
    assert_eq!(
        rest,
        entries[6..]
            .iter()
            .map(|e| e.name.clone())
            .collect::<Vec<_>>()
    );

    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let l = node(&fs, name);
        assert_eq!(l.readlink().unwrap(), target.as_bytes());
        let a = l.getattr().unwrap();
        assert_eq!((a.mode, a.size), (0o120777, target.len() as u64));
        assert_eq!(l.open(RDONLY).err(), Some(Errno::ELOOP));
    }
    let a = root.getattr().unwrap();
    assert_eq!((a.mode, a.nlink, a.size), (0o040755, 4, 20 * 15));
    let shm = node(&fs, "shm");
    assert_eq!(shm.getattr().unwrap().mode, 0o041777);
    assert_eq!(names(&shm), [".", ".."]);
    assert_eq!(shm.lookup(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(node(&fs, "pts").getattr().unwrap().mode, 0o040755);
    assert_eq!(node(&fs, "null").lookup(b"x").err(), Some(Errno::ENOTDIR));
    assert_eq!(root.lookup(b"nope").err(), Some(Errno::ENOENT));
    assert_eq!(node(&fs, "null").readlink().err(), Some(Errno::EINVAL));
    assert_eq!(
        root.open(RDONLY).unwrap().read_at(0, &mut [0]),
        Err(Errno::EISDIR)
    );
}

#[test]
fn names_cannot_change_but_attributes_can() {
    let fs = devfs();
    let root = fs.root();
    assert_eq!(root.create(b"x", 0o644).err(), Some(Errno::EPERM));
    assert_eq!(root.mkdir(b"x", 0o755).err(), Some(Errno::EPERM));
    assert_eq!(root.unlink(b"null"), Err(Errno::EPERM));
    assert_eq!(
        node(&fs, "shm").create(b"x", 0o644).err(),
        Some(Errno::EPERM)
    );
    let null = node(&fs, "null");
    tick(5);
    null.setattr(&SetAttr {
        mode: Some(0o600),
        uid: Some(3),
        ..SetAttr::default()
    })
    .unwrap();
    let a = null.getattr().unwrap();
    assert_eq!(
        (a.mode, a.uid),
        (0o020600, 3),
        "chmod and chown work in memory"
    );
    assert_eq!(
        null.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        root.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        }),
        Err(Errno::EISDIR)
    );
    let clocked = DevFs::with_clock(entropy, Vec::new(), clock);
    assert_eq!(clocked.root().getattr().unwrap().mtime, clock());
    assert_eq!(a.mtime, at(0), "without a clock, times read 1970");
}

#[test]
fn filesystem_identity() {
    let fs = devfs();
    assert_eq!(fs.name(), "devtmpfs");
    let s = fs.root().statfs().unwrap();
    assert_eq!((s.fs_type, s.bsize, s.namelen), (TMPFS_MAGIC, 4096, 255));
    assert!(Arc::ptr_eq(&node(&fs, "zero"), &node(&fs, "zero")));
}
