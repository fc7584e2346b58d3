//! tmpfs through its Vnode and Handle operations: contents, directories,
//! links, rename, attributes, space accounting.

mod common;

use common::*;
use lintel_rootfs::{Tmpfs, TmpfsOptions};
use lintel_vfs::{
    Errno, FileSystem, FileType, OpenFlags, SetAttr, TimeSet, VnodeRef, RENAME_EXCHANGE,
    RENAME_NOREPLACE, TMPFS_MAGIC,
};
use std::collections::HashSet;

const PAGE: u64 = 4096;

fn file(dir: &VnodeRef, name: &str) -> VnodeRef {
    dir.create(name.as_bytes(), 0o644).unwrap()
}

fn dir(dir: &VnodeRef, name: &str) -> VnodeRef {
    dir.mkdir(name.as_bytes(), 0o755).unwrap()
}

fn nlink(v: &VnodeRef) -> u32 {
    v.getattr().unwrap().nlink
}

fn truncate(v: &VnodeRef, size: u64) {
    v.setattr(&SetAttr {
        size: Some(size),
        ..SetAttr::default()
    })
    .unwrap();
}

#[test]
fn sparse_files_hold_only_written_pages() {
    let fs = tmpfs();
    let f = file(&fs.root(), "f");
    assert_eq!(write(&f, 1 << 30, b"far"), 3);
    let a = f.getattr().unwrap();
    assert_eq!(a.size, (1 << 30) + 3);
    assert_eq!(a.blocks, 8, "one page held, in 512-byte units");
    assert_eq!(a.blksize, 4096);
    assert_eq!(read(&f, 12345, 10), vec![0; 10], "a hole reads as zeros");
    assert_eq!(read(&f, (1 << 30) - 2, 10), b"\0\0far");
    assert_eq!(read(&f, (1 << 30) + 3, 10), b"", "end of file");
    assert_eq!(fs.used_bytes(), PAGE);

    // A write across a page boundary fills two pages.
    let data: Vec<u8> = (0..6000u32).map(|i| i as u8).collect();
    assert_eq!(write(&f, PAGE - 100, &data), data.len());
    assert_eq!(read(&f, PAGE - 100, 6000), data);
    assert_eq!(
        f.getattr().unwrap().blocks,
        4 * 8,
        "pages 0, 1, 2 and the far one"
    );
}

#[test]
fn truncate_down_up_and_zeroed_tails() {
    let fs = tmpfs();
    let f = file(&fs.root(), "f");
    write(&f, 0, &[7u8; 3 * PAGE as usize]);
    assert_eq!(fs.used_bytes(), 3 * PAGE);
    truncate(&f, 100);
    assert_eq!(f.getattr().unwrap().size, 100);
    assert_eq!(f.getattr().unwrap().blocks, 8);
    assert_eq!(fs.used_bytes(), PAGE, "pages past the end are freed");
    truncate(&f, 2 * PAGE);
    assert_eq!(f.getattr().unwrap().blocks, 8, "growing allocates nothing");
    let back = read(&f, 0, 2 * PAGE as usize);
    assert_eq!(&back[..100], &[7u8; 100][..]);
    assert!(
        back[100..].iter().all(|&b| b == 0),
        "the cut tail reads as zeros after growing"
    );
    truncate(&f, 0);
    assert_eq!(f.getattr().unwrap().blocks, 0);
    assert_eq!(fs.used_bytes(), 0);
    let d = dir(&fs.root(), "d");
    assert_eq!(
        d.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        }),
        Err(Errno::EISDIR)
    );
    let l = fs.root().symlink(b"l", b"f").unwrap();
    assert_eq!(
        l.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        f.setattr(&SetAttr {
            size: Some(1 << 63),
            ..SetAttr::default()
        }),
        Err(Errno::EFBIG)
    );
}

#[test]
fn writes_past_the_largest_size_are_efbig() {
    let fs = tmpfs();
    let f = file(&fs.root(), "f");
    let h = f.open(OpenFlags::RDWR).unwrap();
    assert_eq!(h.write_at(i64::MAX as u64, b"x"), Err(Errno::EFBIG));
    assert_eq!(
        h.write_at(i64::MAX as u64 - 1, b"xy"),
        Ok(1),
        "cut at the limit"
    );
    assert_eq!(h.write_at(u64::MAX, b"x"), Err(Errno::EFBIG));
}

#[test]
fn handles_respect_their_access_mode() {
    let fs = tmpfs();
    let f = file(&fs.root(), "f");
    assert_eq!(f.open(RDONLY).unwrap().write_at(0, b"x"), Err(Errno::EBADF));
    assert_eq!(
        f.open(OpenFlags::WRONLY).unwrap().read_at(0, &mut [0; 1]),
        Err(Errno::EBADF)
    );
    let d = fs.root().open(RDONLY).unwrap();
    assert_eq!(d.read_at(0, &mut [0; 1]), Err(Errno::EISDIR));
    assert_eq!(
        f.open(RDONLY).unwrap().readdir(0, &mut |_| true),
        Err(Errno::ENOTDIR)
    );
    let l = fs.root().symlink(b"l", b"f").unwrap();
    assert_eq!(l.open(RDONLY).err(), Some(Errno::ELOOP));
    let p = fs.root().mknod(b"p", 0o010644, 0).unwrap();
    assert_eq!(p.open(RDONLY).err(), Some(Errno::ENXIO));
}

#[test]
fn readdir_lists_dots_types_and_inodes() {
    let fs = tmpfs();
    let root = fs.root();
    let d = dir(&root, "d");
    file(&d, "f");
    dir(&d, "sub");
    d.symlink(b"l", b"x").unwrap();
    d.mknod(b"p", 0o010644, 0).unwrap();
    d.mknod(b"c", 0o020644, 0x103).unwrap();
    d.mknod(b"b", 0o060644, 0x700).unwrap();
    d.mknod(b"s", 0o140644, 0).unwrap();
    let entries = list(&d);
    let kind = |n: &str| {
        entries
            .iter()
            .find(|e| e.name == n.as_bytes())
            .unwrap()
            .kind
    };
    assert_eq!(kind("."), FileType::Directory);
    assert_eq!(kind(".."), FileType::Directory);
    assert_eq!(kind("f"), FileType::Regular);
    assert_eq!(kind("sub"), FileType::Directory);
    assert_eq!(kind("l"), FileType::Symlink);
    assert_eq!(kind("p"), FileType::Fifo);
    assert_eq!(kind("c"), FileType::CharDevice);
    assert_eq!(kind("b"), FileType::BlockDevice);
    assert_eq!(kind("s"), FileType::Socket);
    assert_eq!(entries[0].name, b".");
    assert_eq!(entries[0].ino, d.getattr().unwrap().ino);
    assert_eq!(entries[1].name, b"..");
    assert_eq!(entries[1].ino, root.getattr().unwrap().ino);
    for e in &entries[2..] {
        assert_eq!(e.ino, d.lookup(&e.name).unwrap().getattr().unwrap().ino);
    }
    assert_eq!(d.lookup(b"c").unwrap().getattr().unwrap().rdev, 0x103);
    let r = list(&root);
    assert_eq!(r[0].ino, r[1].ino, "the root's \"..\" is itself");
    assert_eq!(root.getattr().unwrap().ino, 1);
    let inos: HashSet<u64> = entries.iter().skip(2).map(|e| e.ino).collect();
    assert_eq!(inos.len(), entries.len() - 2, "inode numbers are unique");
}

#[test]
fn readdir_cookies_survive_concurrent_changes() {
    let fs = tmpfs();
    let d = dir(&fs.root(), "d");
    for i in 0..400 {
        file(&d, &format!("f{i}"));
    }
    let h = d.open(RDONLY).unwrap();
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut removed: HashSet<Vec<u8>> = HashSet::new();
    let mut cookie = 0;
    let mut round = 0;
    loop {
        let mut batch = Vec::new();
        h.readdir(cookie, &mut |e| {
            if batch.len() == 7 {
                return false;
            }
            batch.push((e.name.clone(), e.next));
            true
        })
        .unwrap();
        if batch.is_empty() {
            break;
        }
        for (name, next) in batch {
            seen.push(name);
            cookie = next;
        }
        // Between calls: remove one seen and one unseen entry, add one.
        round += 1;
        for name in [format!("f{}", round * 3), format!("f{}", 399 - round)] {
            if d.unlink(name.as_bytes()).is_ok() {
                removed.insert(name.into_bytes());
            }
        }
        if round <= 20 {
            file(&d, &format!("new{round}"));
        }
    }
    let unique: HashSet<&Vec<u8>> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry is listed twice");
    for i in 0..400 {
        let n = format!("f{i}").into_bytes();
        if !removed.contains(&n) {
            assert!(unique.contains(&n), "surviving f{i} was skipped");
        }
    }
    assert!(
        seen.iter().any(|n| n.starts_with(b"new")),
        "entries added later follow"
    );
    // A cookie taken from an entry that was since removed still resumes after it.
    let e = list(&d);
    let mid = &e[10];
    d.unlink(&mid.name).unwrap();
    let mut after = Vec::new();
    h.readdir(mid.next, &mut |e| {
        after.push(e.name.clone());
        true
    })
    .unwrap();
    let expect: Vec<Vec<u8>> = e[11..].iter().map(|e| e.name.clone()).collect();
    assert_eq!(after, expect);
}

#[test]
fn directory_size_and_nlink_as_linux_tmpfs() {
    let fs = tmpfs();
    let root = fs.root();
    assert_eq!(root.getattr().unwrap().size, 40);
    assert_eq!(root.getattr().unwrap().mode, 0o041777, "default mode 1777");
    let d = dir(&root, "d");
    assert_eq!(nlink(&d), 2);
    assert_eq!(nlink(&root), 3);
    file(&d, "a");
    assert_eq!(d.getattr().unwrap().size, 60);
    dir(&d, "x");
    dir(&d, "y");
    assert_eq!(nlink(&d), 4);
    d.rmdir(b"x").unwrap();
    assert_eq!(nlink(&d), 3);
    let fs2 = Tmpfs::new(
        clock,
        TmpfsOptions {
            size_limit: None,
            mode: 0o755,
        },
    );
    assert_eq!(fs2.root().getattr().unwrap().mode, 0o040755);
}

#[test]
fn names_are_checked() {
    let fs = tmpfs();
    let root = fs.root();
    file(&root, "f");
    assert_eq!(root.create(b"f", 0o644).err(), Some(Errno::EEXIST));
    assert_eq!(root.mkdir(b"f", 0o755).err(), Some(Errno::EEXIST));
    assert_eq!(root.symlink(b"f", b"x").err(), Some(Errno::EEXIST));
    assert!(root.create(&[b'n'; 255], 0o644).is_ok());
    assert_eq!(
        root.create(&[b'n'; 256], 0o644).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(root.create(b"a/b", 0o644).err(), Some(Errno::EINVAL));
    assert_eq!(root.create(b"", 0o644).err(), Some(Errno::ENOENT));
    assert_eq!(root.create(b"..", 0o644).err(), Some(Errno::EEXIST));
    assert_eq!(root.lookup(b"missing").err(), Some(Errno::ENOENT));
    let f = root.lookup(b"f").unwrap();
    assert_eq!(f.lookup(b"x").err(), Some(Errno::ENOTDIR));
    assert_eq!(f.create(b"x", 0o644).err(), Some(Errno::ENOTDIR));
}

#[test]
fn mknod_and_symlink_rules() {
    let fs = tmpfs();
    let root = fs.root();
    assert_eq!(root.mknod(b"d", 0o040755, 0).err(), Some(Errno::EPERM));
    assert_eq!(root.mknod(b"l", 0o120777, 0).err(), Some(Errno::EINVAL));
    assert_eq!(root.mknod(b"bad", 0o030644, 0).err(), Some(Errno::EINVAL));
    let r = root.mknod(b"r", 0o644, 0).unwrap();
    assert_eq!(
        r.getattr().unwrap().mode,
        0o100644,
        "type 0 is a regular file"
    );
    assert_eq!(root.symlink(b"e", b"").err(), Some(Errno::ENOENT));
    assert_eq!(
        root.symlink(b"long", &[b'x'; 4096]).err(),
        Some(Errno::ENAMETOOLONG)
    );
    let s = root.symlink(b"s", b"../target").unwrap();
    assert_eq!(s.readlink().unwrap(), b"../target");
    let a = s.getattr().unwrap();
    assert_eq!((a.mode, a.size, a.blocks), (0o120777, 9, 0));
    let long = root.symlink(b"s2", &[b'x'; 1000]).unwrap();
    assert_eq!(
        long.getattr().unwrap().blocks,
        8,
        "a long target takes a page"
    );
    assert_eq!(r.readlink().err(), Some(Errno::EINVAL));
}

#[test]
fn hard_links_count_and_refuse_directories() {
    let fs = tmpfs();
    let root = fs.root();
    let f = file(&root, "f");
    root.link(b"g", &f).unwrap();
    assert_eq!(nlink(&f), 2);
    assert!(
        std::sync::Arc::ptr_eq(&root.lookup(b"g").unwrap(), &root.lookup(b"f").unwrap()),
        "one inode, one vnode"
    );
    write(&root.lookup(b"g").unwrap(), 0, b"shared");
    assert_eq!(read(&f, 0, 10), b"shared");
    assert_eq!(root.link(b"g", &f), Err(Errno::EEXIST));
    let d = dir(&root, "d");
    assert_eq!(root.link(b"dl", &d), Err(Errno::EPERM));
    root.unlink(b"f").unwrap();
    assert_eq!(nlink(&f), 1);
    root.unlink(b"g").unwrap();
    assert_eq!(nlink(&f), 0);
    assert_eq!(
        root.link(b"again", &f),
        Err(Errno::ENOENT),
        "no new name for an unlinked file"
    );
    let other = tmpfs();
    let o = file(&other.root(), "o");
    assert_eq!(root.link(b"x", &o), Err(Errno::EXDEV));
}

#[test]
fn unlink_and_rmdir_rules() {
    let fs = tmpfs();
    let root = fs.root();
    let d = dir(&root, "d");
    file(&d, "f");
    file(&root, "g");
    assert_eq!(root.unlink(b"d"), Err(Errno::EISDIR));
    assert_eq!(root.rmdir(b"g"), Err(Errno::ENOTDIR));
    assert_eq!(root.rmdir(b"d"), Err(Errno::ENOTEMPTY));
    assert_eq!(root.unlink(b"nope"), Err(Errno::ENOENT));
    assert_eq!(root.rmdir(b"nope"), Err(Errno::ENOENT));
    d.unlink(b"f").unwrap();
    let h = d.open(RDONLY).unwrap();
    root.rmdir(b"d").unwrap();
    assert_eq!(nlink(&d), 0);
    assert_eq!(nlink(&root), 2);
    // A removed directory stays a directory, but nothing can be added to it.
    assert_eq!(d.create(b"x", 0o644).err(), Some(Errno::ENOENT));
    assert_eq!(d.mkdir(b"x", 0o755).err(), Some(Errno::ENOENT));
    assert_eq!(h.readdir(0, &mut |_| true), Err(Errno::ENOENT));
    assert_eq!(d.getattr().unwrap().size, 40);
}

#[test]
fn unlinked_open_files_live_until_closed() {
    let fs = Tmpfs::new(
        clock,
        TmpfsOptions {
            size_limit: Some(8 * PAGE),
            mode: 0o1777,
        },
    );
    let root = fs.root();
    let f = file(&root, "f");
    let h = f.open(OpenFlags::RDWR).unwrap();
    h.write_at(0, &[1; 2 * PAGE as usize]).unwrap();
    drop(f);
    root.unlink(b"f").unwrap();
    assert_eq!(root.lookup(b"f").err(), Some(Errno::ENOENT));
    assert_eq!(h.write_at(2 * PAGE, b"more"), Ok(4));
    let mut buf = [0; 4];
    assert_eq!(h.read_at(2 * PAGE, &mut buf), Ok(4));
    assert_eq!(&buf, b"more");
    assert_eq!(fs.used_bytes(), 3 * PAGE, "its pages still count");
    drop(h);
    assert_eq!(fs.used_bytes(), 0, "closing the last handle frees them");
}

#[test]
fn size_limit_gives_enospc_and_statfs_reports_it() {
    let fs = Tmpfs::new(
        clock,
        TmpfsOptions {
            size_limit: Some(4 * PAGE),
            mode: 0o1777,
        },
    );
    let root = fs.root();
    let s = root.statfs().unwrap();
    assert_eq!(
        (s.fs_type, s.bsize, s.namelen, s.blocks, s.bfree, s.bavail),
        (TMPFS_MAGIC, 4096, 255, 4, 4, 4)
    );
    let f = file(&root, "f");
    let h = f.open(OpenFlags::WRONLY).unwrap();
    assert_eq!(
        h.write_at(PAGE, &[1; 5 * PAGE as usize]),
        Ok(4 * PAGE as usize),
        "a short write up to the limit"
    );
    assert_eq!(h.write_at(0, b"x"), Err(Errno::ENOSPC));
    assert_eq!(
        h.write_at(PAGE, b"overwrite"),
        Ok(9),
        "rewriting held pages needs no space"
    );
    assert_eq!(root.statfs().unwrap().bfree, 0);
    // Truncating up needs no pages; down frees them.
    truncate(&f, 100 * PAGE);
    truncate(&f, 2 * PAGE);
    assert_eq!(root.statfs().unwrap().bfree, 3);
    assert_eq!(h.write_at(0, b"x"), Ok(1));
    assert_eq!(
        root.symlink(b"l", &[b'x'; 200])
            .unwrap()
            .getattr()
            .unwrap()
            .blocks,
        8
    );
    root.symlink(b"l2", &[b'x'; 200]).unwrap();
    assert_eq!(root.symlink(b"l3", &[b'x'; 200]).err(), Some(Errno::ENOSPC));
    assert!(
        root.symlink(b"short", b"x").is_ok(),
        "short targets live in the inode"
    );
    root.unlink(b"l").unwrap();
    assert_eq!(root.statfs().unwrap().bfree, 1);
    assert_eq!(fs.used_bytes(), 3 * PAGE);
    let unlimited = tmpfs().root().statfs().unwrap();
    assert_eq!(
        (unlimited.blocks, unlimited.bfree, unlimited.bavail),
        (0, 0, 0),
        "Linux's size=0"
    );
}

#[test]
fn rename_moves_replaces_and_keeps_counts() {
    let fs = tmpfs();
    let root = fs.root();
    let a = dir(&root, "a");
    let b = dir(&root, "b");
    let f = file(&a, "f");
    write(&f, 0, b"data");
    a.rename(b"f", &b, b"g", 0).unwrap();
    assert_eq!(a.lookup(b"f").err(), Some(Errno::ENOENT));
    assert_eq!(read(&b.lookup(b"g").unwrap(), 0, 4), b"data");
    // Replacing a file drops the old one's link.
    let old = file(&b, "h");
    b.rename(b"g", &b, b"h", 0).unwrap();
    assert_eq!(nlink(&old), 0);
    assert_eq!(b.lookup(b"g").err(), Some(Errno::ENOENT));
    // A directory moving to another parent moves its ".." link.
    let sub = dir(&a, "sub");
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    a.rename(b"sub", &b, b"sub", 0).unwrap();
    assert_eq!((nlink(&a), nlink(&b)), (2, 3));
    assert_eq!(list(&sub)[1].ino, b.getattr().unwrap().ino);
    // Over an empty directory: the replaced one is gone, counts stay right.
    let empty = dir(&a, "empty");
    b.rename(b"sub", &a, b"empty", 0).unwrap();
    assert_eq!(nlink(&empty), 0);
    assert_eq!((nlink(&a), nlink(&b)), (3, 2));
    assert_eq!(empty.create(b"x", 0o644).err(), Some(Errno::ENOENT));
    assert_eq!(a.rename(b"missing", &b, b"x", 0), Err(Errno::ENOENT));
}

#[test]
fn rename_type_rules_and_flags() {
    let fs = tmpfs();
    let root = fs.root();
    let f = file(&root, "f");
    dir(&root, "d");
    let full = dir(&root, "full");
    file(&full, "x");
    dir(&root, "e");
    assert_eq!(root.rename(b"f", &root, b"d", 0), Err(Errno::EISDIR));
    assert_eq!(root.rename(b"d", &root, b"f", 0), Err(Errno::ENOTDIR));
    assert_eq!(root.rename(b"d", &root, b"full", 0), Err(Errno::ENOTEMPTY));
    assert_eq!(
        root.rename(b"d", &root, b"e", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        root.rename(b"f", &root, b"f2", RENAME_NOREPLACE | RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
    assert_eq!(root.rename(b"f", &root, b"f2", 8), Err(Errno::EINVAL));
    assert_eq!(
        root.rename(b"f", &root, b"f2", RENAME_EXCHANGE),
        Err(Errno::ENOENT)
    );
    root.rename(b"f", &root, b"f2", RENAME_NOREPLACE).unwrap();
    // Two names of one file: success, both stay (except NOREPLACE).
    root.link(b"f3", &f).unwrap();
    root.rename(b"f2", &root, b"f3", 0).unwrap();
    assert!(root.lookup(b"f2").is_ok() && root.lookup(b"f3").is_ok());
    assert_eq!(
        root.rename(b"f2", &root, b"f3", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(root.rename(b"f2", &root, b"f3", RENAME_EXCHANGE), Ok(()));
    // Into itself.
    let d = root.lookup(b"d").unwrap();
    let inner = dir(&d, "inner");
    assert_eq!(root.rename(b"d", &inner, b"x", 0), Err(Errno::EINVAL));
    assert_eq!(root.rename(b"d", &d, b"x", 0), Err(Errno::EINVAL));
    let other = tmpfs();
    assert_eq!(
        root.rename(b"f2", &other.root(), b"x", 0),
        Err(Errno::EXDEV)
    );
}

#[test]
fn rename_exchange_swaps_files_and_directories() {
    let fs = tmpfs();
    let root = fs.root();
    let a = dir(&root, "a");
    let b = dir(&root, "b");
    let f = file(&a, "f");
    let sub = dir(&b, "sub");
    a.rename(b"f", &b, b"sub", RENAME_EXCHANGE).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a.lookup(b"f").unwrap(), &sub));
    assert!(std::sync::Arc::ptr_eq(&b.lookup(b"sub").unwrap(), &f));
    assert_eq!(
        (nlink(&a), nlink(&b)),
        (3, 2),
        "the subdirectory's link moved to a"
    );
    assert_eq!(list(&sub)[1].ino, a.getattr().unwrap().ino);
    // In one directory, each name keeps its place in the listing.
    let before = names(&a);
    file(&a, "g");
    a.rename(b"f", &a, b"g", RENAME_EXCHANGE).unwrap();
    assert_eq!(names(&a)[..before.len()], before[..]);
    assert_eq!(
        a.lookup(b"f").unwrap().file_type().unwrap(),
        FileType::Regular
    );
    // A directory cannot swap with one of its ancestors.
    dir(&sub, "deep");
    assert_eq!(
        root.rename(b"a", &sub, b"deep", RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
}

#[test]
fn times_follow_linux() {
    let fs = tmpfs();
    let root = fs.root();
    let t0 = clock();
    tick(10);
    let f = file(&root, "f");
    let (ra, fa) = (root.getattr().unwrap(), f.getattr().unwrap());
    assert_eq!(
        (ra.mtime, ra.ctime),
        (clock(), clock()),
        "create: the parent's mtime and ctime"
    );
    assert_eq!(ra.atime, t0, "listing nothing, the parent was not read");
    assert_eq!((fa.atime, fa.mtime, fa.ctime), (clock(), clock(), clock()));

    tick(10);
    write(&f, 0, b"x");
    let a = f.getattr().unwrap();
    assert_eq!(
        (a.mtime, a.ctime),
        (clock(), clock()),
        "write: mtime and ctime"
    );
    let written = clock();

    tick(10);
    f.open(OpenFlags::RDWR).unwrap().write_at(0, b"").unwrap();
    assert_eq!(
        f.getattr().unwrap().mtime,
        written,
        "an empty write changes nothing"
    );
    read(&f, 0, 1);
    assert_eq!(
        f.getattr().unwrap().atime,
        clock(),
        "relatime: the first read after a write"
    );
    let first_read = clock();
    tick(10);
    read(&f, 0, 1);
    assert_eq!(
        f.getattr().unwrap().atime,
        first_read,
        "relatime: not again"
    );
    tick(24 * 3600);
    read(&f, 0, 1);
    assert_eq!(f.getattr().unwrap().atime, clock(), "relatime: a day later");
    tick(10);
    write(&f, 0, b"y");
    let h = f.open(RDONLY | OpenFlags::NOATIME).unwrap();
    h.read_at(0, &mut [0]).unwrap();
    assert_ne!(f.getattr().unwrap().atime, clock(), "O_NOATIME");

    tick(10);
    f.setattr(&SetAttr {
        mode: Some(0o600),
        ..SetAttr::default()
    })
    .unwrap();
    let a = f.getattr().unwrap();
    assert_eq!((a.mode, a.ctime), (0o100600, clock()), "chmod: ctime only");
    assert_ne!(a.mtime, clock());

    tick(10);
    f.setattr(&SetAttr {
        uid: Some(5),
        gid: Some(6),
        ..SetAttr::default()
    })
    .unwrap();
    let a = f.getattr().unwrap();
    assert_eq!((a.uid, a.gid, a.ctime), (5, 6, clock()));

    tick(10);
    truncate(&f, 1);
    let a = f.getattr().unwrap();
    assert_eq!(
        (a.mtime, a.ctime),
        (clock(), clock()),
        "truncate to the same size still sets mtime"
    );

    tick(10);
    f.setattr(&SetAttr {
        atime: Some(TimeSet::At(at(5))),
        mtime: Some(TimeSet::At(at(6))),
        ..SetAttr::default()
    })
    .unwrap();
    let a = f.getattr().unwrap();
    assert_eq!(
        (a.atime, a.mtime, a.ctime),
        (at(5), at(6), clock()),
        "utimensat sets ctime to now"
    );
    tick(10);
    f.setattr(&SetAttr {
        atime: Some(TimeSet::Now),
        ..SetAttr::default()
    })
    .unwrap();
    let a = f.getattr().unwrap();
    assert_eq!((a.atime, a.mtime), (clock(), at(6)));

    tick(10);
    root.link(b"g", &f).unwrap();
    assert_eq!(f.getattr().unwrap().ctime, clock(), "link: ctime");
    tick(10);
    root.unlink(b"g").unwrap();
    assert_eq!(f.getattr().unwrap().ctime, clock(), "unlink: ctime");
    assert_eq!(root.getattr().unwrap().mtime, clock());
    tick(10);
    root.rename(b"f", &root, b"h", 0).unwrap();
    assert_eq!(
        f.getattr().unwrap().ctime,
        clock(),
        "rename: ctime of the moved file"
    );
}

#[test]
fn chown_drops_set_id_bits_and_setgid_dirs_pass_the_group_on() {
    let fs = tmpfs();
    let root = fs.root();
    let f = file(&root, "f");
    let chmod = |v: &VnodeRef, m| {
        v.setattr(&SetAttr {
            mode: Some(m),
            ..SetAttr::default()
        })
        .unwrap()
    };
    let chown = |v: &VnodeRef| {
        v.setattr(&SetAttr {
            uid: Some(0),
            ..SetAttr::default()
        })
        .unwrap()
    };
    chmod(&f, 0o6755);
    chown(&f);
    assert_eq!(f.getattr().unwrap().mode, 0o100755);
    chmod(&f, 0o6745);
    chown(&f);
    assert_eq!(
        f.getattr().unwrap().mode,
        0o102745,
        "setgid without group exec stays"
    );
    let d = dir(&root, "d");
    chmod(&d, 0o2755);
    d.setattr(&SetAttr {
        gid: Some(42),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(
        d.getattr().unwrap().mode,
        0o042755,
        "directories keep theirs"
    );
    let sub = dir(&d, "sub");
    let g = file(&d, "g");
    assert_eq!(
        (sub.getattr().unwrap().gid, sub.getattr().unwrap().mode),
        (42, 0o042755)
    );
    assert_eq!(
        (g.getattr().unwrap().gid, g.getattr().unwrap().mode),
        (42, 0o100644)
    );
    tick(3);
    f.setattr(&SetAttr::default()).unwrap();
    assert_eq!(
        f.getattr().unwrap().ctime,
        clock(),
        "chown(-1, -1) still sets ctime"
    );
}

#[test]
fn a_deep_tree_is_dropped_without_recursion() {
    let fs = tmpfs();
    let mut cur = fs.root();
    for _ in 0..100_000 {
        cur = cur.mkdir(b"d", 0o755).unwrap();
    }
    file(&cur, "leaf");
    drop(cur);
    drop(fs); // would overflow the test thread's stack if dropped recursively
}

#[test]
fn filesystem_identity() {
    let fs = tmpfs();
    assert_eq!(fs.name(), "tmpfs");
    assert!(fs.cache_names());
    assert!(std::sync::Arc::ptr_eq(&fs.root(), &fs.root()));
}

/// Checks a directory tree: nlink is 2 + subdirectories, ".." is the parent.
fn check_tree(d: &VnodeRef, parent_ino: u64) {
    let entries = list(d);
    assert_eq!(entries[1].ino, parent_ino);
    let subdirs: Vec<_> = entries[2..]
        .iter()
        .filter(|e| e.kind == FileType::Directory)
        .collect();
    assert_eq!(nlink(d) as usize, 2 + subdirs.len());
    let me = d.getattr().unwrap().ino;
    for s in subdirs {
        check_tree(&d.lookup(&s.name).unwrap(), me);
    }
}

#[test]
fn concurrent_changes_neither_deadlock_nor_break_counts() {
    let fs = tmpfs();
    let root = fs.root();
    for d in ["a", "b", "c"] {
        dir(&root, d);
    }
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let root = root.clone();
            std::thread::spawn(move || {
                let dirs: Vec<VnodeRef> = [&b"a"[..], b"b", b"c"]
                    .iter()
                    .map(|d| root.lookup(d).unwrap())
                    .collect();
                let mut x = t * 7919 + 1;
                for i in 0..3000 {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let from = &dirs[(x >> 33) as usize % 3];
                    let to = &dirs[(x >> 40) as usize % 3];
                    let (name, other) = (
                        format!("n{}", (x >> 20) % 12),
                        format!("n{}", (x >> 50) % 12),
                    );
                    let (name, other) = (name.as_bytes(), other.as_bytes());
                    let _ = match (x >> 60) % 6 {
                        0 => from.create(name, 0o644).map(drop),
                        1 => from.mkdir(name, 0o755).map(drop),
                        2 => from.unlink(name),
                        3 => from.rmdir(name),
                        4 => from.rename(name, to, other, 0),
                        _ => from.rename(name, to, other, RENAME_EXCHANGE),
                    };
                    if i % 50 == 0 {
                        let _ = from.open(RDONLY).unwrap().readdir(0, &mut |_| true);
                        let _ = from.getattr().unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    check_tree(&root, root.getattr().unwrap().ino);
}
