//! The client against a real 9P2000.L server (Debian's diod) over loopback
//! TCP, checking every effect on the host side through std::fs as well.
//! Without diod installed these tests fail, naming the package.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::sync::Arc;
use std::time::Instant;

use common::diod::Diod;
use lintel_fs_9p::flags::{dotl, open_to_dotl};
use lintel_fs_9p::{getattr_mask, setattr_valid, Errno, SetAttr};

const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFIFO: u32 = 0o010000;
const V9FS_MAGIC: u32 = 0x0102_1997;

#[test]
fn attach_walk_and_error_mapping() {
    let d = Diod::start();
    std::fs::create_dir_all(d.path("a/b/c")).unwrap();
    std::fs::write(d.path("a/b/c/f"), b"x").unwrap();
    let c = d.connect();
    assert!(c.root_qid().is_dir());
    assert!(c.msize() >= 4096);

    let (f, qids) = c.walk(c.root(), &[b"a", b"b", b"c", b"f"]).unwrap();
    assert_eq!(qids.len(), 4);
    assert!(qids[..3].iter().all(|q| q.is_dir()) && !qids[3].is_dir());
    assert_eq!(
        qids[3].path,
        std::fs::metadata(d.path("a/b/c/f")).unwrap().ino()
    );
    drop(f);

    assert_eq!(c.walk(c.root(), &[b"nope"]).err(), Some(Errno::ENOENT));
    assert_eq!(
        c.walk(c.root(), &[b"a", b"nope", b"x"]).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        c.walk(c.root(), &[b"a", b"b", b"c", b"f", b"x"]).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(c.mkdir(c.root(), b"a", 0o755, 0).err(), Some(Errno::EEXIST));
    assert_eq!(
        c.unlinkat(c.root(), b"a", dotl::AT_REMOVEDIR).err(),
        Some(Errno::ENOTEMPTY)
    );
    let (dir, _) = c.walk(c.root(), &[b"a"]).unwrap();
    assert_eq!(c.lopen(&dir, dotl::WRONLY).err(), Some(Errno::EISDIR));
    // A path deeper than 16 names takes several Twalks.
    let deep: Vec<String> = (0..20).map(|i| format!("d{i}")).collect();
    std::fs::create_dir_all(d.root().join(deep.join("/"))).unwrap();
    let names: Vec<&[u8]> = deep.iter().map(|s| s.as_bytes()).collect();
    let (f, qids) = c.walk(c.root(), &names).unwrap();
    assert_eq!(qids.len(), 20);
    assert_eq!(
        qids[19].path,
        std::fs::metadata(d.root().join(deep.join("/")))
            .unwrap()
            .ino()
    );
    drop(f);
    let mut bad = names.clone();
    bad[18] = b"nope";
    assert_eq!(c.walk(c.root(), &bad).err(), Some(Errno::ENOENT));
    assert_eq!(c.fid_stats().live, 2, "root and `dir`");
}

#[test]
fn create_write_fsync_read_getattr() {
    let d = Diod::start();
    let c = d.connect();
    let flags = open_to_dotl(0o2 | 0o100 | 0o200); // O_RDWR|O_CREAT|O_EXCL
    let (f, qid, _iounit) = c.create(c.root(), b"data.bin", flags, 0o640, 0).unwrap();
    assert!(!qid.is_dir());
    assert_eq!(
        c.create(c.root(), b"data.bin", flags, 0o640, 0).err(),
        Some(Errno::EEXIST)
    );
    // Larger than msize, so the write is chunked.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(c.write(&f, 0, &data).unwrap(), data.len());
    c.fsync(&f, false).unwrap();
    c.fsync(&f, true).unwrap();
    assert_eq!(std::fs::read(d.path("data.bin")).unwrap(), data);

    let (r, _) = c.walk(c.root(), &[b"data.bin"]).unwrap();
    c.lopen(&r, dotl::RDONLY).unwrap();
    let mut back = vec![0u8; data.len() + 100];
    assert_eq!(c.read(&r, 0, &mut back).unwrap(), data.len());
    assert_eq!(&back[..data.len()], &data[..]);
    let mut small = [0u8; 10];
    assert_eq!(c.read(&r, 1_000_000, &mut small).unwrap(), 10);
    assert_eq!(small[..], data[1_000_000..1_000_010]);
    assert_eq!(c.read(&r, data.len() as u64, &mut small).unwrap(), 0);
    assert_eq!(c.write(&r, 0, b"x").err(), Some(Errno::EBADF));

    let st = c.getattr(&r, getattr_mask::ALL).unwrap();
    let md = std::fs::metadata(d.path("data.bin")).unwrap();
    assert_eq!(st.valid & getattr_mask::BASIC, getattr_mask::BASIC);
    assert_eq!(st.size, data.len() as u64);
    assert_eq!(st.mode, S_IFREG | 0o640);
    assert_eq!((st.uid, st.gid, st.nlink), (md.uid(), md.gid(), 1));
    assert_eq!(
        (st.mtime_sec, st.mtime_nsec),
        (md.mtime() as u64, md.mtime_nsec() as u64)
    );
    assert_eq!(st.qid.path, md.ino());
    assert_eq!(st.blocks, md.blocks());
}

#[test]
fn setattr_truncate_chmod_times() {
    let d = Diod::start();
    std::fs::write(d.path("f"), vec![7u8; 10_000]).unwrap();
    let c = d.connect();
    let (f, _) = c.walk(c.root(), &[b"f"]).unwrap();
    c.setattr(
        &f,
        &SetAttr {
            valid: setattr_valid::SIZE,
            size: 123,
            ..SetAttr::default()
        },
    )
    .unwrap();
    assert_eq!(std::fs::metadata(d.path("f")).unwrap().len(), 123);
    c.setattr(
        &f,
        &SetAttr {
            valid: setattr_valid::MODE,
            mode: 0o604,
            ..SetAttr::default()
        },
    )
    .unwrap();
    assert_eq!(
        std::fs::metadata(d.path("f")).unwrap().permissions().mode() & 0o7777,
        0o604
    );
    let t = SetAttr {
        valid: setattr_valid::ATIME
            | setattr_valid::ATIME_SET
            | setattr_valid::MTIME
            | setattr_valid::MTIME_SET,
        atime_sec: 1_000_000_000,
        atime_nsec: 5,
        mtime_sec: 1_234_567_890,
        mtime_nsec: 987_654_321,
        ..SetAttr::default()
    };
    c.setattr(&f, &t).unwrap();
    let md = std::fs::metadata(d.path("f")).unwrap();
    assert_eq!((md.mtime(), md.mtime_nsec()), (1_234_567_890, 987_654_321));
    assert_eq!((md.atime(), md.atime_nsec()), (1_000_000_000, 5));
    let st = c.getattr(&f, getattr_mask::BASIC).unwrap();
    assert_eq!(
        (st.size, st.mode & 0o7777, st.mtime_sec, st.mtime_nsec),
        (123, 0o604, 1_234_567_890, 987_654_321)
    );
    // Open with O_TRUNC passes through the dotl flags.
    c.lopen(&f, open_to_dotl(0o1 | 0o1000)).unwrap();
    assert_eq!(std::fs::metadata(d.path("f")).unwrap().len(), 0);
}

#[test]
fn readdir_hundreds_of_entries_in_several_calls() {
    let d = Diod::start();
    let mut want = BTreeSet::new();
    for i in 0..600 {
        let name = format!("entry-{i:04}-{}", "x".repeat(i % 40));
        std::fs::write(d.path(&name), b"").unwrap();
        want.insert(name.into_bytes());
    }
    std::fs::create_dir(d.path("subdir")).unwrap();
    want.insert(b"subdir".to_vec());
    let c = d.connect();
    let (dir, _) = c.walk(c.root(), &[]).unwrap();
    c.lopen(&dir, dotl::RDONLY | dotl::DIRECTORY).unwrap();
    let mut got = BTreeSet::new();
    let mut offset = 0u64;
    let mut calls = 0;
    loop {
        let entries = c.readdir(&dir, offset, 4096).unwrap();
        if entries.is_empty() {
            break;
        }
        calls += 1;
        for e in &entries {
            if e.name == b"subdir" {
                assert!(e.qid.is_dir());
                assert_eq!(e.ty, 4); // DT_DIR
            } else if e.name != b"." && e.name != b".." {
                assert_eq!(e.ty, 8); // DT_REG
            }
            assert!(
                got.insert(e.name.clone()),
                "duplicate {:?}",
                String::from_utf8_lossy(&e.name)
            );
        }
        offset = entries.last().unwrap().offset;
    }
    assert!(calls >= 5, "only {calls} Treaddir calls");
    got.remove(&b"."[..]);
    got.remove(&b".."[..]);
    assert_eq!(got, want);
}

#[test]
fn symlink_readlink_link_rename_unlink() {
    let d = Diod::start();
    std::fs::write(d.path("target"), b"t").unwrap();
    std::fs::create_dir(d.path("dir")).unwrap();
    let c = d.connect();
    let root = c.root();
    c.symlink(root, b"sym", b"../some/where", 0).unwrap();
    assert_eq!(
        std::fs::read_link(d.path("sym")).unwrap().to_str(),
        Some("../some/where")
    );
    let (s, q) = c.walk(root, &[b"sym"]).unwrap();
    assert!(q[0].is_symlink());
    assert_eq!(c.readlink(&s).unwrap(), b"../some/where");
    assert_eq!(
        c.getattr(&s, getattr_mask::MODE).unwrap().mode & 0o170000,
        0o120000
    );
    drop(s);

    let (t, _) = c.walk(root, &[b"target"]).unwrap();
    let (dir, _) = c.walk(root, &[b"dir"]).unwrap();
    c.link(&dir, &t, b"hard").unwrap();
    let md = std::fs::metadata(d.path("dir/hard")).unwrap();
    assert_eq!(
        (md.nlink(), md.ino()),
        (2, std::fs::metadata(d.path("target")).unwrap().ino())
    );
    assert_eq!(c.getattr(&t, getattr_mask::NLINK).unwrap().nlink, 2);

    c.renameat(&dir, b"hard", root, b"moved").unwrap();
    assert!(!d.path("dir/hard").exists());
    assert_eq!(std::fs::read(d.path("moved")).unwrap(), b"t");
    // The older fid-based rename.
    let (m, _) = c.walk(root, &[b"moved"]).unwrap();
    c.rename(&m, &dir, b"back").unwrap();
    assert_eq!(std::fs::read(d.path("dir/back")).unwrap(), b"t");

    c.unlinkat(&dir, b"back", 0).unwrap();
    assert!(!d.path("dir/back").exists());
    assert_eq!(c.unlinkat(root, b"dir", 0).err(), Some(Errno::EISDIR));
    assert_eq!(
        c.unlinkat(root, b"target", dotl::AT_REMOVEDIR).err(),
        Some(Errno::ENOTDIR)
    );
    drop(dir);
    c.unlinkat(root, b"dir", dotl::AT_REMOVEDIR).unwrap();
    assert!(!d.path("dir").exists());
    assert_eq!(
        c.unlinkat(root, b"dir", dotl::AT_REMOVEDIR).err(),
        Some(Errno::ENOENT)
    );
    c.mkdir(root, b"newdir", 0o750, 0).unwrap();
    let md = std::fs::metadata(d.path("newdir")).unwrap();
    assert!(md.is_dir());
    assert_eq!(md.permissions().mode() & 0o777, 0o750);
    let (nd, _) = c.walk(root, &[b"newdir"]).unwrap();
    assert_eq!(
        c.getattr(&nd, getattr_mask::MODE).unwrap().mode,
        S_IFDIR | 0o750
    );
    c.remove(nd).unwrap();
    assert!(!d.path("newdir").exists());
}

#[test]
fn mknod_statfs_and_locks() {
    let d = Diod::start();
    let c = d.connect();
    c.mknod(c.root(), b"fifo", S_IFIFO | 0o644, 0, 0, 0)
        .unwrap();
    assert!(std::fs::metadata(d.path("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());

    let st = c.statfs(c.root()).unwrap();
    assert_eq!(st.ty, V9FS_MAGIC);
    assert!(st.bsize > 0 && st.blocks > 0 && st.namelen >= 255, "{st:?}");

    use lintel_fs_9p::codec::{lock, Flock, Getlock};
    let (f, _, _) = c
        .create(c.root(), b"locked", open_to_dotl(0o2 | 0o100), 0o600, 0)
        .unwrap();
    let l = Flock {
        ty: lock::TYPE_WRLCK,
        flags: 0,
        start: 0,
        length: 0,
        proc_id: 1,
        client_id: b"lintel",
    };
    assert_eq!(c.lock(&f, &l).unwrap(), lock::SUCCESS);
    let g = Getlock {
        ty: lock::TYPE_WRLCK,
        start: 0,
        length: 0,
        proc_id: 1,
        client_id: b"lintel",
    };
    let got = c.getlock(&f, &g).unwrap();
    assert_eq!(got.ty, lock::TYPE_UNLCK, "{got:?}");
    let u = Flock {
        ty: lock::TYPE_UNLCK,
        ..l
    };
    assert_eq!(c.lock(&f, &u).unwrap(), lock::SUCCESS);
}

#[test]
fn concurrent_clients_threads() {
    let d = Diod::start();
    let c = Arc::new(d.connect());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let name = format!("t{t}-{i}");
                    let data = name.repeat(1000);
                    let (f, _, _) = c
                        .create(
                            c.root(),
                            name.as_bytes(),
                            open_to_dotl(0o2 | 0o100),
                            0o644,
                            0,
                        )
                        .unwrap();
                    assert_eq!(c.write(&f, 0, data.as_bytes()).unwrap(), data.len());
                    let mut back = vec![0u8; data.len()];
                    assert_eq!(c.read(&f, 0, &mut back).unwrap(), data.len());
                    assert_eq!(back, data.as_bytes());
                    drop(f);
                    if i % 2 == 0 {
                        c.unlinkat(c.root(), name.as_bytes(), 0).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(std::fs::read_dir(d.root()).unwrap().count(), 4 * 25);
    assert_eq!(c.fid_stats().live, 1);
}

/// Opens and clunks many fids: the pool must stay bounded and the server's
/// open files (each open fid holds a descriptor in diod) must not grow.
#[test]
fn fid_churn_does_not_leak() {
    let n: usize = std::env::var("LINTEL_9P_FID_CHURN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let d = Diod::start();
    std::fs::write(d.path("f"), b"hello").unwrap();
    let c = d.connect();
    // Warm up so diod's own descriptors (threads, sockets) are settled.
    let (f, _) = c.walk(c.root(), &[b"f"]).unwrap();
    c.lopen(&f, dotl::RDONLY).unwrap();
    drop(f);
    let fds_before = d.open_fds();
    let start = Instant::now();
    let mut buf = [0u8; 8];
    for i in 0..n {
        let (f, _) = c.walk(c.root(), &[b"f"]).unwrap();
        c.lopen(&f, dotl::RDONLY).unwrap();
        if i % 1000 == 0 {
            assert_eq!(c.read(&f, 0, &mut buf).unwrap(), 5);
            // While a fid is open, the server holds one more descriptor.
            assert_eq!(d.open_fds(), fds_before + 1);
        }
        if i % 2 == 0 {
            c.clunk(f).unwrap();
        } else {
            drop(f);
        }
    }
    let elapsed = start.elapsed();
    eprintln!(
        "fid churn: {n} x (walk + lopen + clunk) in {:.2} s, {:.1} us per cycle",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    let s = c.fid_stats();
    assert_eq!((s.live, s.retired), (1, 0));
    assert!(s.allocated <= 2, "{s:?}");
    assert_eq!(d.open_fds(), fds_before);
}
