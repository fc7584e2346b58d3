//! The VFS layer against the scripted transport: entry and attribute
//! timeouts against a test clock, one vnode per node id, handles released
//! on drop, readdir cookies, and everything forgotten at unmount.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use super::scripted::{attr, Answer, Scripted, DIR, LNK, REG};
use crate::codec::{opcode as op, AttrOut, EntryOut, Kstatfs, OpenOut, Request, Wire, WriteOut};
use crate::vfs::FuseVnode;
use crate::{Client, ClientConfig, MountOptions, VirtioFs};
use lintel_vfs::{DirEntry, Errno, FileSystem, FileType, OpenFlags, SetAttr, VnodeRef, FUSE_MAGIC};

pub(super) const SEC: u64 = 1_000_000_000;

pub(super) struct Mount {
    pub t: Arc<Scripted>,
    now: Arc<AtomicU64>,
    pub fs: Arc<VirtioFs>,
}

impl Mount {
    pub fn new(entry: (u64, u32), attr: (u64, u32)) -> Mount {
        let t = Arc::new(Scripted::new());
        t.set_timeouts(entry, attr);
        let c = Client::new(t.clone(), ClientConfig::default()).unwrap();
        let now = Arc::new(AtomicU64::new(1000 * SEC));
        let n = now.clone();
        let fs = VirtioFs::new(
            c,
            MountOptions::default(),
            Arc::new(move || n.load(Ordering::Relaxed)),
        );
        Mount { t, now, fs }
    }
    pub fn advance(&self, ns: u64) {
        self.now.fetch_add(ns, Ordering::Relaxed);
    }
    pub fn root(&self) -> VnodeRef {
        self.fs.root()
    }
    pub fn count(&self, opcode: u32) -> usize {
        self.t.count(opcode)
    }
}

pub(super) fn id(v: &VnodeRef) -> u64 {
    v.as_any().downcast_ref::<FuseVnode>().unwrap().nodeid()
}

pub(super) fn answer(
    t: &Scripted,
    opcode: u32,
    a: impl Fn(&super::scripted::Req) -> Answer + Send + 'static,
) {
    t.on(move |r| (r.opcode() == opcode).then(|| a(r)));
}

pub(super) fn list(
    h: &dyn lintel_vfs::Handle,
    from: u64,
    max: usize,
) -> Vec<(Vec<u8>, u64, FileType)> {
    let mut out = Vec::new();
    h.readdir(from, &mut |e: &DirEntry| {
        if out.len() == max {
            return false;
        }
        out.push((e.name.clone(), e.next, e.kind));
        true
    })
    .unwrap();
    out
}

#[test]
fn cache_none_asks_the_daemon_every_time() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"a", 10, REG, 5);
    let a1 = m.root().lookup(b"a").unwrap();
    let a2 = m.root().lookup(b"a").unwrap();
    assert_eq!(m.count(op::LOOKUP), 2);
    assert!(Arc::ptr_eq(&a1, &a2), "one vnode per node id");
    assert_eq!(a1.getattr().unwrap().size, 5);
    assert_eq!(a1.getattr().unwrap().size, 5);
    assert_eq!(m.count(op::GETATTR), 2);
    assert!(!m.fs.cache_names());
    assert_eq!(m.fs.cached_names(), 0);
    assert_eq!(a1.file_type(), Ok(FileType::Regular));
    drop((a1, a2));
    assert_eq!(
        m.t.state.lock().unwrap().forgets,
        [(10, 2)],
        "both lookups, in one FORGET"
    );
}

#[test]
fn entry_and_attr_timeouts_are_honoured() {
    let m = Mount::new((1, 0), (2, 500_000_000));
    m.t.add(1, b"a", 10, REG, 5);
    assert!(!m.fs.cache_names(), "nothing known before the first entry");
    drop(m.root().lookup(b"a").unwrap());
    assert!(m.fs.cache_names());
    assert_eq!(m.fs.cached_names(), 1);
    // The name holds the vnode: no FORGET while it is kept.
    assert!(m.t.state.lock().unwrap().forgets.is_empty());
    m.advance(SEC / 2);
    let a = m.root().lookup(b"a").unwrap();
    assert_eq!(m.count(op::LOOKUP), 1, "within entry_valid");
    assert_eq!(a.getattr().unwrap().size, 5);
    assert_eq!(
        m.count(op::GETATTR),
        0,
        "the entry's attributes are still valid"
    );
    m.advance(SEC);
    drop(m.root().lookup(b"a").unwrap());
    assert_eq!(m.count(op::LOOKUP), 2, "entry_valid ran out");
    // The new LOOKUP refreshed the attributes for 2.5 s from now.
    m.advance(2 * SEC);
    a.getattr().unwrap();
    assert_eq!(m.count(op::GETATTR), 0);
    m.advance(SEC);
    a.getattr().unwrap();
    a.getattr().unwrap();
    assert_eq!(m.count(op::GETATTR), 1, "attr_valid ran out once");
    // A daemon that stops allowing caching is followed at once.
    m.t.set_timeouts((0, 0), (0, 0));
    m.advance(10 * SEC);
    drop(m.root().lookup(b"a").unwrap());
    assert!(!m.fs.cache_names());
}

#[test]
fn one_vnode_per_node_id() {
    let m = Mount::new((0, 0), (5, 0));
    m.t.add(1, b"a", 10, REG, 1);
    m.t.add(1, b"b", 10, REG, 1);
    let a = m.root().lookup(b"a").unwrap();
    let b = m.root().lookup(b"b").unwrap();
    assert!(
        Arc::ptr_eq(&a, &b),
        "hard links share one vnode and its attributes"
    );
    assert_eq!(m.fs.live_vnodes(), 2, "the root and the file");
    drop((a, b));
    assert_eq!(m.fs.live_vnodes(), 1);
    assert_eq!(m.t.state.lock().unwrap().forgets, [(10, 2)]);
}

#[test]
fn handles_are_released_on_drop() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"f", 10, REG, 0);
    m.t.add(1, b"d", 11, DIR, 0);
    m.t.add(1, b"l", 12, LNK, 0);
    m.t.add(1, b"p", 13, 0o010644, 0);
    let f = m.root().lookup(b"f").unwrap();
    let h = f.open(OpenFlags::CLOEXEC).unwrap();
    let Request::Open(o) = m.t.last(op::OPEN).unwrap().request() else {
        panic!()
    };
    assert_eq!(o.flags, OpenFlags::LARGEFILE.bits(), "O_CLOEXEC stays here");
    let fh = m.t.state.lock().unwrap().open_fhs[0];
    assert_eq!(h.write_at(0, b"x"), Err(Errno::EBADF));
    drop(h);
    let Request::Release(r) = m.t.last(op::RELEASE).unwrap().request() else {
        panic!()
    };
    assert_eq!(r.fh, fh);
    let d = m.root().lookup(b"d").unwrap();
    let h = d.open(OpenFlags::DIRECTORY).unwrap();
    assert_eq!(h.read_at(0, &mut [0; 4]), Err(Errno::EISDIR));
    drop(h);
    assert_eq!(m.count(op::RELEASEDIR), 1);
    assert!(m.t.state.lock().unwrap().open_fhs.is_empty());
    // Symlinks and FIFOs are not opened on the daemon.
    let before = m.t.state.lock().unwrap().log.len();
    assert_eq!(
        m.root()
            .lookup(b"l")
            .unwrap()
            .open(OpenFlags::empty())
            .err(),
        Some(Errno::ELOOP)
    );
    assert_eq!(
        m.root()
            .lookup(b"p")
            .unwrap()
            .open(OpenFlags::empty())
            .err(),
        Some(Errno::ENXIO)
    );
    assert_eq!(
        m.t.state.lock().unwrap().log.len(),
        before + 2,
        "the two lookups only"
    );
}

#[test]
fn create_hands_its_handle_to_the_first_open() {
    let m = Mount::new((0, 0), (0, 0));
    answer(&m.t, op::CREATE, |_| {
        let mut b = EntryOut {
            nodeid: 20,
            attr: attr(20, REG, 0),
            ..EntryOut::default()
        }
        .to_bytes();
        b.extend(
            OpenOut {
                fh: 77,
                ..OpenOut::default()
            }
            .to_bytes(),
        );
        Answer::Body(b)
    });
    let v = m.root().create(b"new", 0o640).unwrap();
    let r = m.t.last(op::CREATE).unwrap();
    let Request::Create { arg, name } = r.request() else {
        panic!()
    };
    let rw = (OpenFlags::RDWR | OpenFlags::CREAT | OpenFlags::EXCL | OpenFlags::LARGEFILE).bits();
    assert_eq!(
        (arg.flags, arg.mode, arg.umask, name),
        (rw, 0o100640, 0, &b"new"[..])
    );
    let h1 = v.open(OpenFlags::WRONLY).unwrap();
    assert_eq!(m.count(op::OPEN), 0, "the created handle is used");
    let h2 = v.open(OpenFlags::empty()).unwrap();
    assert_eq!(m.count(op::OPEN), 1);
    drop(h1);
    let Request::Release(r) = m.t.last(op::RELEASE).unwrap().request() else {
        panic!()
    };
    assert_eq!(r.fh, 77);
    drop((h2, v));
    assert_eq!(m.count(op::RELEASE), 2);
    assert_eq!(m.t.state.lock().unwrap().forgets, [(20, 1)]);
}

#[test]
fn writes_invalidate_attributes() {
    let m = Mount::new((0, 0), (60, 0));
    m.t.add(1, b"f", 10, REG, 3);
    answer(&m.t, op::WRITE, |r| {
        let Request::Write(w) = r.request() else {
            panic!()
        };
        Answer::Body(
            WriteOut {
                size: w.size,
                padding: 0,
            }
            .to_bytes(),
        )
    });
    let f = m.root().lookup(b"f").unwrap();
    assert_eq!(f.getattr().unwrap().size, 3);
    assert_eq!(m.count(op::GETATTR), 0);
    let h = f.open(OpenFlags::RDWR).unwrap();
    assert_eq!(h.write_at(3, b"abc"), Ok(3));
    assert_eq!(m.t.last(op::WRITE).unwrap().data(), b"abc");
    f.getattr().unwrap();
    assert_eq!(m.count(op::GETATTR), 1, "size and mtime changed");
    f.getattr().unwrap();
    assert_eq!(m.count(op::GETATTR), 1);
}

#[test]
fn setattr_sends_fattr_and_keeps_the_reply() {
    let m = Mount::new((0, 0), (60, 0));
    m.t.add(1, b"f", 10, REG, 3);
    answer(&m.t, op::SETATTR, |_| {
        Answer::Body(
            AttrOut {
                attr_valid: 60,
                attr: attr(10, 0o100600, 0),
                ..AttrOut::default()
            }
            .to_bytes(),
        )
    });
    let f = m.root().lookup(b"f").unwrap();
    f.setattr(&SetAttr {
        mode: Some(0o600),
        size: Some(0),
        ..SetAttr::default()
    })
    .unwrap();
    let Request::Setattr(s) = m.t.last(op::SETATTR).unwrap().request() else {
        panic!()
    };
    use crate::codec::fattr;
    assert_eq!(
        (s.valid, s.mode, s.size),
        (fattr::MODE | fattr::SIZE, 0o100600, 0)
    );
    let a = f.getattr().unwrap();
    assert_eq!((a.mode, a.size), (0o100600, 0));
    assert_eq!(m.count(op::GETATTR), 0, "the SETATTR reply is kept");
}

#[test]
fn a_node_that_changes_type_is_eio() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"f", 10, REG, 3);
    let f = m.root().lookup(b"f").unwrap();
    m.t.state.lock().unwrap().attrs.insert(10, attr(10, DIR, 0));
    assert_eq!(f.getattr().err(), Some(Errno::EIO));
}

#[test]
fn readdir_lists_with_cookies() {
    let m = Mount::new((0, 0), (0, 0));
    for (i, n) in [&b"a"[..], b"b", b"c"].iter().enumerate() {
        m.t.add(1, n, 10 + i as u64, if i == 1 { DIR } else { REG }, 0);
    }
    let h = m.root().open(OpenFlags::DIRECTORY).unwrap();
    let all = list(&*h, 0, 100);
    let names: Vec<&[u8]> = all.iter().map(|e| &e.0[..]).collect();
    assert_eq!(names, [&b"."[..], b"..", b"a", b"b", b"c"]);
    assert_eq!(
        all.iter().map(|e| e.1).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5],
        "cookies are the entries' off"
    );
    assert_eq!(all[3].2, FileType::Directory);
    assert_eq!(m.count(op::READDIR), 2, "one batch, then the end");
    assert_eq!(
        m.count(op::READDIRPLUS),
        0,
        "nothing can be cached: plain READDIR"
    );
    // Continuing from a cookie.
    let rest = list(&*h, 3, 100);
    assert_eq!(
        rest.iter().map(|e| e.0.clone()).collect::<Vec<_>>(),
        [b"b".to_vec(), b"c".to_vec()]
    );
    // A small sink: the listing resumes where it stopped.
    let first = list(&*h, 0, 2);
    let next = list(&*h, first[1].1, 100);
    assert_eq!(next[0].0, b"a");
    assert_eq!(
        list(
            &*m.root()
                .lookup(b"b")
                .unwrap()
                .open(OpenFlags::DIRECTORY)
                .unwrap(),
            0,
            10
        )
        .len(),
        2
    );
    let Request::Readdir(a) = m.t.last(op::READDIR).unwrap().request() else {
        panic!()
    };
    assert_eq!(a.size, 32 * 1024);
}

#[test]
fn readdirplus_fills_the_caches_when_they_are_on() {
    let m = Mount::new((10, 0), (10, 0));
    m.t.add(1, b"a", 10, REG, 1);
    m.t.add(1, b"b", 11, REG, 2);
    drop(m.root().lookup(b"a").unwrap()); // learns that names may be kept
    let h = m.root().open(OpenFlags::DIRECTORY).unwrap();
    assert_eq!(list(&*h, 0, 100).len(), 4);
    assert_eq!(m.count(op::READDIRPLUS), 2);
    assert_eq!(m.count(op::READDIR), 0);
    let lookups = m.count(op::LOOKUP);
    let b = m.root().lookup(b"b").unwrap();
    assert_eq!(b.getattr().unwrap().size, 2);
    assert_eq!(
        (m.count(op::LOOKUP), m.count(op::GETATTR)),
        (lookups, 0),
        "both came with READDIRPLUS"
    );
    assert_eq!(m.fs.cached_names(), 2);
}

#[test]
fn unmount_forgets_everything_then_destroys() {
    let m = Mount::new((10, 0), (10, 0));
    m.t.add(1, b"a", 10, DIR, 1);
    m.t.add(10, b"x", 11, REG, 2);
    m.t.add(1, b"b", 12, REG, 2);
    let a = m.root().lookup(b"a").unwrap();
    let x = a.lookup(b"x").unwrap();
    let h = x.open(OpenFlags::empty()).unwrap();
    let d = m.root().open(OpenFlags::DIRECTORY).unwrap();
    list(&*d, 0, 100);
    drop(d);
    let Mount { t, fs, .. } = m;
    drop(fs);
    assert_eq!(
        t.count(op::DESTROY),
        0,
        "vnodes and a handle are still alive"
    );
    drop((a, x, h));
    let s = t.state.lock().unwrap();
    assert_eq!(s.order.last(), Some(&(op::DESTROY, 0)));
    assert!(s.open_fhs.is_empty());
    // Every lookup the daemon counted was given back.
    let mut counted = alloc::collections::BTreeMap::new();
    for r in s
        .log
        .iter()
        .filter(|r| r.opcode() == op::LOOKUP || r.opcode() == op::READDIRPLUS)
    {
        if let Request::Lookup { name } = r.request() {
            let id = s.names[&(r.header.nodeid, name.to_vec())];
            *counted.entry(id).or_insert(0u64) += 1;
        } else if let Request::Readdirplus(a) = r.request() {
            // The table's READDIRPLUS counts each named entry it sent (not
            // . and .., which come first).
            let here = s.names.iter().filter(|((p, _), _)| *p == r.header.nodeid);
            for (_, id) in here.skip((a.offset as usize).saturating_sub(2)) {
                *counted.entry(*id).or_insert(0u64) += 1;
            }
        }
    }
    drop(s);
    assert_eq!(t.forgotten(), counted);
}

#[test]
fn removal_and_rename_drop_kept_names() {
    let m = Mount::new((60, 0), (60, 0));
    m.t.add(1, b"a", 10, REG, 1);
    m.t.add(1, b"b", 11, REG, 1);
    m.t.add(1, b"d", 12, DIR, 1);
    answer(&m.t, op::UNLINK, |_| Answer::Body(Vec::new()));
    answer(&m.t, op::RENAME2, |_| Answer::Body(Vec::new()));
    let d = m.root().lookup(b"d").unwrap();
    drop(m.root().lookup(b"a").unwrap());
    drop(m.root().lookup(b"b").unwrap());
    let n = m.count(op::LOOKUP);
    m.root().unlink(b"a").unwrap();
    drop(m.root().lookup(b"a").unwrap());
    assert_eq!(m.count(op::LOOKUP), n + 1, "the removed name was forgotten");
    m.root()
        .rename(b"b", &d, b"c", lintel_vfs::RENAME_NOREPLACE)
        .unwrap();
    let r = m.t.last(op::RENAME2).unwrap();
    let Request::Rename2 { arg, old, new } = r.request() else {
        panic!()
    };
    assert_eq!(
        (arg.newdir, arg.flags, old, new),
        (12, 1, &b"b"[..], &b"c"[..])
    );
    drop(m.root().lookup(b"b").unwrap());
    assert_eq!(m.count(op::LOOKUP), n + 2);
    // The directory's own attributes went stale.
    d.getattr().unwrap();
    assert_eq!(m.count(op::GETATTR), 1);
}

#[test]
fn node_creation_checks() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"d", 12, DIR, 1);
    m.t.add(1, b"f", 13, REG, 1);
    answer(&m.t, op::MKNOD, |r| {
        let Request::Mknod { arg, .. } = r.request() else {
            panic!()
        };
        Answer::Body(
            EntryOut {
                nodeid: 30,
                attr: attr(30, arg.mode, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    let root = m.root();
    assert_eq!(root.mknod(b"x", 0o040755, 0).err(), Some(Errno::EPERM));
    assert_eq!(root.mknod(b"x", 0o120777, 0).err(), Some(Errno::EINVAL));
    assert_eq!(
        root.mknod(b"x", 0o020644, 1 << 40).err(),
        Some(Errno::EINVAL)
    );
    let c = root.mknod(b"tty", 0o020620, 0x0504).unwrap();
    let Request::Mknod { arg, .. } = m.t.last(op::MKNOD).unwrap().request() else {
        panic!()
    };
    assert_eq!((arg.mode, arg.rdev, arg.umask), (0o020620, 0x0504, 0));
    assert_eq!(c.file_type(), Ok(FileType::CharDevice));
    let d = root.lookup(b"d").unwrap();
    assert_eq!(root.link(b"l", &d).err(), Some(Errno::EPERM));
    assert_eq!(root.lookup(b"a/b").err(), Some(Errno::EINVAL));
    assert_eq!(root.lookup(b"..").err(), Some(Errno::EINVAL));
    assert_eq!(
        root.lookup(b"f").unwrap().lookup(b"x").err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(root.symlink(b"s", b"").err(), Some(Errno::ENOENT));
    assert_eq!(root.readlink().err(), Some(Errno::EINVAL));
}

#[test]
fn statfs_and_identity() {
    let m = Mount::new((0, 0), (0, 0));
    answer(&m.t, op::STATFS, |_| {
        Answer::Body(
            Kstatfs {
                blocks: 100,
                bfree: 50,
                bavail: 40,
                files: 10,
                ffree: 5,
                bsize: 4096,
                namelen: 255,
                frsize: 4096,
                ..Kstatfs::default()
            }
            .to_bytes(),
        )
    });
    let s = m.root().statfs().unwrap();
    assert_eq!(
        (s.fs_type, s.blocks, s.bavail, s.namelen, s.bsize),
        (FUSE_MAGIC, 100, 40, 255, 4096)
    );
    assert_eq!(FUSE_MAGIC, 0x6573_5546);
    assert_eq!(m.fs.name(), "virtiofs");
    assert_eq!(id(&m.root()), 1);
    assert_eq!(m.root().file_type(), Ok(FileType::Directory));
}
