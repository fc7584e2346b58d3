//! The 9p file system through Lintel's VFS: a `NinePFs` over a client
//! connected to a real server (Debian's diod, over loopback TCP) mounted as
//! the root of a `MountTable`, driven the way the syscall layer drives it,
//! and checked against the export directory through std::fs.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::sync::Arc;
use std::time::Instant;

use common::world::{list, names, world, RW_CREAT};
use lintel_fs_9p::CacheMode;
use lintel_vfs::{Errno, FileSystem, FileType, OpenFlags, SetAttr, TimeSet, Timespec, V9FS_MAGIC};

#[test]
fn create_write_fsync_read_through_the_vfs() {
    let w = world("");
    assert_eq!(w.fs.name(), "9p");
    assert!(!w.fs.cache_names());
    w.mkdir("/dir", 0o755).unwrap();
    let (p, h) = w
        .open("/dir/data.bin", RW_CREAT | OpenFlags::EXCL, 0o640)
        .unwrap();
    // Larger than msize: the client splits it.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(h.write_at(0, &data).unwrap(), data.len());
    h.fsync(false).unwrap();
    h.fsync(true).unwrap();
    assert_eq!(std::fs::read(w.d.path("dir/data.bin")).unwrap(), data);
    let a = p.dentry.vnode().getattr().unwrap();
    assert_eq!((a.size, a.mode), (data.len() as u64, 0o100640));
    assert_eq!(
        a.ino,
        std::fs::metadata(w.d.path("dir/data.bin")).unwrap().ino()
    );
    let mut back = vec![0u8; 10];
    assert_eq!(h.read_at(1_000_000, &mut back).unwrap(), 10);
    assert_eq!(back, data[1_000_000..1_000_010]);
    assert_eq!(w.read_all("/dir/data.bin").unwrap(), data);
    drop(h);

    // A read-only mode does not stop the creating open from writing.
    let (_, h) = w
        .open("/ro", OpenFlags::WRONLY | OpenFlags::CREAT, 0o444)
        .unwrap();
    assert_eq!(h.write_at(0, b"mine").unwrap(), 4);
    let mut b = [0u8; 4];
    assert_eq!(h.read_at(0, &mut b), Err(Errno::EBADF), "opened write-only");
    assert_eq!(std::fs::read(w.d.path("ro")).unwrap(), b"mine");
    assert_eq!(
        std::fs::metadata(w.d.path("ro"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o444
    );

    // O_TRUNC: setattr after the open; O_RDONLY refuses writes.
    let (_, h) = w
        .open("/dir/data.bin", OpenFlags::WRONLY | OpenFlags::TRUNC, 0)
        .unwrap();
    assert_eq!(
        std::fs::metadata(w.d.path("dir/data.bin")).unwrap().len(),
        0
    );
    h.write_at(5, b"x").unwrap();
    let (_, r) = w.open("/dir/data.bin", OpenFlags::empty(), 0).unwrap();
    assert_eq!(r.write_at(0, b"y"), Err(Errno::EBADF));
    assert_eq!(w.read_all("/dir/data.bin").unwrap(), b"\0\0\0\0\0x");
}

#[test]
fn host_changes_are_seen_at_once_with_cache_none() {
    let w = world("cache=none");
    std::fs::write(w.d.path("f"), b"hello").unwrap();
    let p = w.get("/f").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 5);
    // The host appends after our first stat: the same vnode sees it.
    std::fs::write(w.d.path("f"), b"hello, world").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 12);
    assert_eq!(w.stat("/f").unwrap().size, 12);
    assert_eq!(w.read_all("/f").unwrap(), b"hello, world");
    // New and removed names on the host.
    assert_eq!(w.stat("/g").err(), Some(Errno::ENOENT));
    std::fs::create_dir(w.d.path("g")).unwrap();
    std::fs::write(w.d.path("g/h"), b"1").unwrap();
    assert!(w.stat("/g").unwrap().is_dir());
    assert_eq!(w.stat("/g/h").unwrap().size, 1);
    std::fs::remove_file(w.d.path("g/h")).unwrap();
    assert_eq!(w.stat("/g/h").err(), Some(Errno::ENOENT));
    std::fs::set_permissions(w.d.path("f"), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().mode & 0o777, 0o600);
}

#[test]
fn cache_loose_keeps_attributes_until_invalidated() {
    let w = world("cache=loose");
    assert_eq!(w.fs.options().cache, CacheMode::Loose);
    assert!(w.fs.cache_names());
    std::fs::write(w.d.path("f"), b"hello").unwrap();
    let p = w.get("/f").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 5);
    std::fs::write(w.d.path("f"), b"hello, world").unwrap();
    // Not seen: the cached attributes stand, under every name of the file.
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 5);
    assert_eq!(w.stat("/f").unwrap().size, 5);
    // Our own change refreshes them.
    let (_, h) = w.open("/f", OpenFlags::WRONLY, 0).unwrap();
    h.write_at(12, b"!").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 13);
    std::fs::write(w.d.path("f"), b"x").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 13);
    // Until invalidated.
    assert!(w.fs.cached_attrs() > 0);
    w.fs.invalidate_attrs();
    assert_eq!(w.fs.cached_attrs(), 0);
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 1);
    // setattr invalidates too.
    p.dentry
        .vnode()
        .setattr(&SetAttr {
            size: Some(3),
            ..SetAttr::default()
        })
        .unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 3);

    // The same steps with cache=none see every host change.
    let n = world("");
    std::fs::write(n.d.path("f"), b"hello").unwrap();
    let p = n.get("/f").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 5);
    std::fs::write(n.d.path("f"), b"hello, world").unwrap();
    assert_eq!(p.dentry.vnode().getattr().unwrap().size, 12);
    assert_eq!(n.fs.cached_attrs(), 0);
}

#[test]
fn readdir_of_hundreds_of_entries() {
    let w = world("");
    let mut want = BTreeMap::new();
    for i in 0..700 {
        let name = format!("entry-{i:04}-{}", "x".repeat(i % 60));
        std::fs::write(w.d.path(&name), b"").unwrap();
        want.insert(name, FileType::Regular);
    }
    std::fs::create_dir(w.d.path("sub")).unwrap();
    want.insert("sub".into(), FileType::Directory);
    std::os::unix::fs::symlink("entry-0000-", w.d.path("link")).unwrap();
    want.insert("link".into(), FileType::Symlink);

    let (_, h) = w.open("/", OpenFlags::DIRECTORY, 0).unwrap();
    let big = list(&*h, usize::MAX);
    let small = list(&*h, 7);
    assert_eq!(big, small, "the same listing whatever the buffer");
    let mut got = names(&big);
    assert_eq!(big.len(), got.len(), "no duplicates");
    // diod returns the host's "." and "..", as QEMU does; nothing is made up.
    assert_eq!(got.remove("."), Some(FileType::Directory));
    assert_eq!(got.remove(".."), Some(FileType::Directory));
    assert_eq!(got, want);
    let sub = big.iter().find(|e| e.name == b"sub").unwrap();
    assert_eq!(sub.ino, std::fs::metadata(w.d.path("sub")).unwrap().ino());
    // A rewind lists again, and sees what changed meanwhile.
    std::fs::write(w.d.path("late"), b"").unwrap();
    assert!(names(&list(&*h, 100)).contains_key("late"));
    // Reading a directory, listing a file.
    assert_eq!(h.read_at(0, &mut [0u8; 4]), Err(Errno::EISDIR));
    let (_, f) = w.open("/late", OpenFlags::empty(), 0).unwrap();
    assert_eq!(f.readdir(0, &mut |_| true), Err(Errno::ENOTDIR));
}

#[test]
fn rename_unlink_rmdir_symlink_readlink_link_mknod() {
    let w = world("");
    w.mkdir("/a", 0o750).unwrap();
    let md = std::fs::metadata(w.d.path("a")).unwrap();
    assert!(md.is_dir());
    assert_eq!(md.permissions().mode() & 0o777, 0o750);
    drop(w.open("/a/f", RW_CREAT, 0o644).unwrap());

    // Files and directories move; the VFS's dentries follow.
    w.rename("/a/f", "/f2").unwrap();
    assert!(!w.d.path("a/f").exists() && w.d.path("f2").exists());
    w.rename("/a", "/b").unwrap();
    assert!(w.d.path("b").is_dir());
    assert_eq!(w.stat("/a").err(), Some(Errno::ENOENT));
    w.rename("/f2", "/b/f3").unwrap();
    assert!(w.d.path("b/f3").is_file());

    // Symlinks: made, read, and followed by the VFS.
    let root = w.root.dentry.vnode().clone();
    root.symlink(b"s", b"b/f3").unwrap();
    assert_eq!(
        std::fs::read_link(w.d.path("s")).unwrap().to_str(),
        Some("b/f3")
    );
    let s = w.lget("/s").unwrap();
    assert_eq!(s.dentry.vnode().file_type().unwrap(), FileType::Symlink);
    assert_eq!(s.dentry.vnode().readlink().unwrap(), b"b/f3");
    assert_eq!(
        w.get("/s").unwrap().dentry.vnode().getattr().unwrap().ino,
        w.stat("/b/f3").unwrap().ino
    );
    assert_eq!(w.stat("/b/f3").unwrap().nlink, 1);
    assert_eq!(root.symlink(b"empty", b"").err(), Some(Errno::ENOENT));
    assert_eq!(w.stat("/b").unwrap().file_type(), Some(FileType::Directory));
    assert_eq!(
        w.get("/b/f3").unwrap().dentry.vnode().readlink(),
        Err(Errno::EINVAL)
    );

    // Hard links.
    let target = w.get("/b/f3").unwrap().dentry.vnode().clone();
    root.link(b"hard", &target).unwrap();
    assert_eq!(target.getattr().unwrap().nlink, 2);
    assert_eq!(
        std::fs::metadata(w.d.path("hard")).unwrap().ino(),
        target.getattr().unwrap().ino
    );
    let dir = w.get("/b").unwrap().dentry.vnode().clone();
    assert_eq!(root.link(b"dirlink", &dir), Err(Errno::EPERM));

    // Removal.
    w.unlink("/hard").unwrap();
    assert_eq!(target.getattr().unwrap().nlink, 1);
    w.unlink("/s").unwrap();
    assert!(std::fs::symlink_metadata(w.d.path("s")).is_err());
    w.unlink("/b/f3").unwrap();
    w.rmdir("/b").unwrap();
    assert!(!w.d.path("b").exists());

    // mknod: a FIFO is made on the host but never opened there.
    root.mknod(b"fifo", 0o010644, 0).unwrap();
    assert!(std::fs::metadata(w.d.path("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    let fifo = w.get("/fifo").unwrap();
    assert_eq!(fifo.dentry.vnode().file_type().unwrap(), FileType::Fifo);
    assert_eq!(
        fifo.dentry.vnode().open(OpenFlags::empty()).err(),
        Some(Errno::ENXIO)
    );
    let plain = root.mknod(b"plain", 0o600, 0).unwrap();
    assert_eq!(plain.file_type().unwrap(), FileType::Regular);
    assert!(std::fs::metadata(w.d.path("plain")).unwrap().is_file());
    assert_eq!(root.mknod(b"d", 0o040755, 0).err(), Some(Errno::EPERM));
    assert_eq!(root.mknod(b"l", 0o120777, 0).err(), Some(Errno::EINVAL));
}

#[test]
fn setattr_truncate_chmod_chown_utimens() {
    let w = world("");
    std::fs::write(w.d.path("f"), vec![7u8; 10_000]).unwrap();
    let v = w.get("/f").unwrap().dentry.vnode().clone();
    v.setattr(&SetAttr {
        size: Some(123),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(std::fs::metadata(w.d.path("f")).unwrap().len(), 123);
    v.setattr(&SetAttr {
        mode: Some(0o4604),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(
        std::fs::metadata(w.d.path("f"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o4604
    );
    let at = Timespec {
        sec: 1_000_000_000,
        nsec: 5,
    };
    let mt = Timespec {
        sec: 1_234_567_890,
        nsec: 987_654_321,
    };
    v.setattr(&SetAttr {
        atime: Some(TimeSet::At(at)),
        mtime: Some(TimeSet::At(mt)),
        ..SetAttr::default()
    })
    .unwrap();
    let md = std::fs::metadata(w.d.path("f")).unwrap();
    assert_eq!((md.mtime(), md.mtime_nsec()), (1_234_567_890, 987_654_321));
    assert_eq!((md.atime(), md.atime_nsec()), (1_000_000_000, 5));
    let a = v.getattr().unwrap();
    assert_eq!((a.size, a.mode, a.mtime, a.atime), (123, 0o104604, mt, at));
    // Now: the server's clock.
    v.setattr(&SetAttr {
        mtime: Some(TimeSet::Now),
        ..SetAttr::default()
    })
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let a = v.getattr().unwrap();
    assert!((a.mtime.sec - now).abs() < 60, "{a:?}");
    assert_eq!(a.atime, at, "atime untouched");
    // chown needs the server to run as root.
    if std::fs::metadata(w.d.root()).unwrap().uid() == 0 && a.uid == 0 {
        v.setattr(&SetAttr {
            uid: Some(1234),
            gid: Some(4321),
            ..SetAttr::default()
        })
        .unwrap();
        let md = std::fs::metadata(w.d.path("f")).unwrap();
        assert_eq!((md.uid(), md.gid()), (1234, 4321));
        assert_eq!(
            md.permissions().mode() & 0o7777,
            0o604,
            "chown clears set-uid"
        );
    }
    // Truncating a directory.
    let d = w.root.dentry.vnode().clone();
    assert_eq!(
        d.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        }),
        Err(Errno::EISDIR)
    );
}

#[test]
fn statfs_reports_the_server_magic() {
    let w = world("");
    let s = w.root.dentry.vnode().statfs().unwrap();
    assert_eq!(s.fs_type, V9FS_MAGIC); // diod's answer
    assert!(s.bsize > 0 && s.blocks > 0 && s.namelen >= 255, "{s:?}");
    std::fs::write(w.d.path("f"), b"").unwrap();
    assert_eq!(
        w.get("/f")
            .unwrap()
            .dentry
            .vnode()
            .statfs()
            .unwrap()
            .fs_type,
        V9FS_MAGIC
    );
}

#[test]
fn errors_map_to_linux_errnos() {
    let w = world("");
    std::fs::create_dir_all(w.d.path("full/inner")).unwrap();
    std::fs::write(w.d.path("file"), b"x").unwrap();
    let root = w.root.dentry.vnode().clone();
    assert_eq!(w.stat("/missing").err(), Some(Errno::ENOENT));
    assert_eq!(w.stat("/full/missing/x").err(), Some(Errno::ENOENT));
    assert_eq!(root.lookup(b"missing").err(), Some(Errno::ENOENT));
    assert_eq!(w.mkdir("/full", 0o755), Err(Errno::EEXIST));
    assert_eq!(root.create(b"file", 0o644).err(), Some(Errno::EEXIST));
    assert_eq!(root.symlink(b"file", b"t").err(), Some(Errno::EEXIST));
    assert_eq!(
        w.open("/file", RW_CREAT | OpenFlags::EXCL, 0o644).err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(w.rmdir("/full"), Err(Errno::ENOTEMPTY));
    assert_eq!(w.unlink("/full"), Err(Errno::EISDIR));
    assert_eq!(
        w.open("/full", OpenFlags::WRONLY, 0).err(),
        Some(Errno::EISDIR)
    );
    assert_eq!(w.stat("/file/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.rmdir("/file"), Err(Errno::ENOTDIR));
    let file = w.get("/file").unwrap().dentry.vnode().clone();
    assert_eq!(file.lookup(b"x").err(), Some(Errno::ENOTDIR));
    assert_eq!(file.create(b"x", 0o644).err(), Some(Errno::ENOTDIR));
    // Renaming a directory over a non-empty one, into itself, a file over a directory.
    std::fs::create_dir(w.d.path("empty")).unwrap();
    assert_eq!(w.rename("/empty", "/full"), Err(Errno::ENOTEMPTY));
    assert_eq!(w.rename("/full", "/full/inner/x"), Err(Errno::EINVAL));
    assert_eq!(w.rename("/file", "/empty"), Err(Errno::EISDIR));
    assert_eq!(w.rename("/empty", "/file"), Err(Errno::ENOTDIR));
    // Names that are not single components never reach the server.
    for bad in [&b".."[..], b".", b"", b"a/b", b"../../etc"] {
        assert_eq!(root.lookup(bad).err(), Some(Errno::EINVAL));
        assert_eq!(root.mkdir(bad, 0o755).err(), Some(Errno::EINVAL));
    }
    // renameat2 flags 9P cannot build (RENAME_WHITEOUT; see vfs_dirs.rs).
    let p = w.r().resolve_parent(&w.root, b"/file").unwrap();
    assert_eq!(root.rename(&p.name, &root, b"other", 4), Err(Errno::EINVAL));
    // Another mount's vnode.
    let other = world("");
    let foreign = other.root.dentry.vnode().clone();
    assert_eq!(
        root.link(b"l", &other.get("/").unwrap().dentry.vnode().clone()),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        root.rename(b"file", &foreign, b"file", 0),
        Err(Errno::EXDEV)
    );
}

#[test]
fn dotdot_stays_inside_the_share() {
    let w = world("");
    assert_eq!(w.get("/../../etc/passwd").err(), Some(Errno::ENOENT));
    assert_eq!(w.get("../../../etc").err(), Some(Errno::ENOENT));
    assert!(w.get("/..").unwrap().same(&w.root));
    // An absolute symlink on the host is resolved from our root too.
    std::os::unix::fs::symlink("/etc/passwd", w.d.path("pw")).unwrap();
    assert_eq!(w.get("/pw").err(), Some(Errno::ENOENT));
    std::fs::create_dir(w.d.path("etc")).unwrap();
    std::fs::write(w.d.path("etc/passwd"), b"share's own\n").unwrap();
    assert_eq!(w.read_all("/../../etc/passwd").unwrap(), b"share's own\n");
    assert_eq!(
        w.read_all("/etc/../../etc/./passwd").unwrap(),
        b"share's own\n"
    );
    assert_eq!(w.read_all("/pw").unwrap(), b"share's own\n");
}

#[test]
fn open_files_outlive_their_names() {
    let w = world("");
    let (p, h) = w.open("/tmp", RW_CREAT, 0o600).unwrap();
    h.write_at(0, b"abc").unwrap();
    w.unlink("/tmp").unwrap();
    assert!(!w.d.path("tmp").exists());
    // The open fid still reaches the file.
    h.write_at(3, b"def").unwrap();
    let mut b = [0u8; 6];
    assert_eq!(h.read_at(0, &mut b).unwrap(), 6);
    assert_eq!(&b, b"abcdef");
    // fstat and ftruncate go through the open fid too. Servers that stat
    // open fids with fstat (QEMU) answer; diod 1.0.24 stats the old path.
    let v = p.dentry.vnode();
    match v.getattr() {
        Ok(a) => {
            assert_eq!((a.size, a.nlink), (6, 0));
            v.setattr(&SetAttr {
                size: Some(2),
                ..SetAttr::default()
            })
            .unwrap();
            assert_eq!(v.getattr().unwrap().size, 2);
        }
        Err(e) => assert_eq!(e, Errno::ENOENT),
    }
    drop(h);
    assert_eq!(v.getattr().err(), Some(Errno::ENOENT));
}

/// Opens and closes many files through the VFS: the server's descriptors
/// and the client's fids stay flat.
#[test]
fn open_close_churn_leaks_no_fids() {
    let n: usize = std::env::var("LINTEL_9P_VFS_CHURN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let w = world("");
    for i in 0..10 {
        std::fs::write(w.d.path(&format!("f{i}")), b"hello").unwrap();
    }
    std::fs::create_dir(w.d.path("d")).unwrap();
    // Warm up, so diod's own descriptors are settled.
    drop(w.open("/f0", OpenFlags::empty(), 0).unwrap());
    let fds_before = w.d.open_fds();
    let fids_before = w.fs.client().fid_stats();
    let start = Instant::now();
    let mut buf = [0u8; 8];
    for i in 0..n {
        // Resolve (Twalk, Tgetattr for the type), open (Twalk, Tlopen),
        // read, close (Tclunk), forget the name (Tclunk).
        let (p, h) = w
            .open(&format!("/f{}", i % 10), OpenFlags::empty(), 0)
            .unwrap();
        assert_eq!(h.read_at(0, &mut buf).unwrap(), 5);
        if i % 1000 == 0 {
            assert_eq!(
                w.d.open_fds(),
                fds_before + 1,
                "one open file on the server"
            );
            let (_, dh) = w.open("/d", OpenFlags::DIRECTORY, 0).unwrap();
            assert_eq!(list(&*dh, 100).len(), 2);
        }
        drop((p, h));
    }
    let elapsed = start.elapsed();
    eprintln!(
        "vfs churn: {n} x (resolve + open + read + close) in {:.2} s, {:.1} us per cycle",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    let s = w.fs.client().fid_stats();
    assert_eq!((s.live, s.retired), (fids_before.live, 0));
    assert!(s.allocated <= fids_before.allocated + 4, "{s:?}");
    assert_eq!(w.d.open_fds(), fds_before);
}

#[test]
fn concurrent_threads_through_one_mount() {
    let w = Arc::new(world(""));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let w = w.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    let path = format!("/t{t}-{i}");
                    let data = path.repeat(500);
                    let (_, h) = w.open(&path, RW_CREAT, 0o644).unwrap();
                    assert_eq!(h.write_at(0, data.as_bytes()).unwrap(), data.len());
                    assert_eq!(w.read_all(&path).unwrap(), data.as_bytes());
                    if i % 2 == 0 {
                        w.unlink(&path).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(std::fs::read_dir(w.d.root()).unwrap().count(), 4 * 20);
    assert_eq!(w.fs.client().fid_stats().live, 1);
}
