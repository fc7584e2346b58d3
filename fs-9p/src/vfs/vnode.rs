//! `NineVnode`: one file on the server, as a walked (never opened) fid and
//! the qid the walk returned.

use super::attr::{self, check_name, qid_kind};
use super::{handle, Shared};
use crate::codec::getattr_mask;
use crate::fid::Fid;
use crate::qid::{qid_type, Qid};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use lintel_vfs::{
    Attr, Errno, FileType, Handle, OpenFlags, SetAttr, StatFs, VfsResult, Vnode, VnodeRef,
};
use spin::Mutex;

pub struct NineVnode {
    pub(super) fs: Arc<Shared>,
    /// None for the root, which uses the client's attached fid. Shared
    /// with the handles of a directory, which walk from it (readdir types).
    fid: Option<Arc<Fid>>,
    pub(super) qid: Qid,
    /// The type once known: from the qid, creation, or a Tgetattr.
    kind: Mutex<Option<FileType>>,
    /// The read-write fid Tlcreate opened, for the open() that follows
    /// create() (so a file created with mode 0444 can still be written).
    created: Mutex<Option<Fid>>,
    /// Fids of live handles (and whether each is writable). getattr and
    /// setattr prefer them (fstat, ftruncate): on servers that stat open
    /// fids by descriptor (QEMU) they reach a file unlinked since; diod
    /// 1.0.24 resolves the path either way.
    opened: Mutex<Vec<(Weak<Fid>, bool)>>,
}

impl NineVnode {
    pub(super) fn root(fs: &Arc<Shared>) -> Arc<NineVnode> {
        // Usually a directory, but diod may export a single file.
        Self::build(fs, None, fs.client.root_qid(), None)
    }

    pub(super) fn new(
        fs: &Arc<Shared>,
        fid: Fid,
        qid: Qid,
        kind: Option<FileType>,
    ) -> Arc<NineVnode> {
        Self::build(fs, Some(Arc::new(fid)), qid, kind)
    }

    fn build(
        fs: &Arc<Shared>,
        fid: Option<Arc<Fid>>,
        qid: Qid,
        kind: Option<FileType>,
    ) -> Arc<NineVnode> {
        Arc::new(NineVnode {
            fs: fs.clone(),
            fid,
            qid,
            kind: Mutex::new(qid_kind(&qid).or(kind)),
            created: Mutex::new(None),
            opened: Mutex::new(Vec::new()),
        })
    }

    pub(super) fn fid(&self) -> &Fid {
        self.fid.as_deref().unwrap_or(self.fs.client.root())
    }

    /// The walked fid to share (None: the client's root fid).
    pub(super) fn shared_fid(&self) -> Option<Arc<Fid>> {
        self.fid.clone()
    }

    /// The cache key: the server's inode number.
    pub(super) fn key(&self) -> u64 {
        self.qid.path
    }

    pub fn qid(&self) -> Qid {
        self.qid
    }

    /// ENOTDIR unless this is a directory (known from the qid).
    pub(super) fn dir(&self) -> VfsResult<&Fid> {
        if self.qid.is_dir() {
            Ok(self.fid())
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    /// `v` as a vnode of this same mount (EXDEV otherwise).
    pub(super) fn same_fs<'a>(&self, v: &'a VnodeRef) -> VfsResult<&'a NineVnode> {
        v.as_any()
            .downcast_ref::<NineVnode>()
            .filter(|n| Arc::ptr_eq(&n.fs, &self.fs))
            .ok_or(Errno::EXDEV)
    }

    pub(super) fn set_created(&self, fid: Fid) {
        *self.created.lock() = Some(fid);
    }

    pub(super) fn take_created(&self) -> Option<Fid> {
        self.created.lock().take()
    }

    pub(super) fn add_opened(&self, fid: &Arc<Fid>, writable: bool) {
        let mut o = self.opened.lock();
        o.retain(|(w, _)| w.strong_count() > 0);
        o.push((Arc::downgrade(fid), writable));
    }

    /// A live open fid (a writable one if `write`), else None.
    fn open_fid(&self, write: bool) -> Option<Arc<Fid>> {
        self.opened
            .lock()
            .iter()
            .filter(|(_, w)| *w || !write)
            .find_map(|(f, _)| f.upgrade())
    }

    fn fetch_attr(&self) -> VfsResult<Attr> {
        let ticket = self.fs.cache.ticket();
        let open = self.open_fid(false);
        let fid = open.as_deref().unwrap_or(self.fid());
        let st = match self.fs.client.getattr(fid, getattr_mask::BASIC) {
            Ok(st) => st,
            // Gone from the server, and removed by us: what it last was,
            // as Linux answers from a dead inode (removed.rs).
            Err(Errno::ENOENT) => {
                return self.fs.removed.get(self.key()).ok_or(Errno::ENOENT);
            }
            Err(e) => return Err(e),
        };
        let a = attr::from_stat(&st, &self.qid);
        let mut kind = self.kind.lock();
        if kind.is_none() {
            *kind = a.file_type();
        }
        drop(kind);
        self.fs.cache.put(self.key(), a, ticket);
        Ok(a)
    }
}

impl Vnode for NineVnode {
    /// cache=none: a Tgetattr every time; cache=loose: the kept copy.
    fn getattr(&self) -> VfsResult<Attr> {
        match self.fs.cache.get(self.key()) {
            Some(a) => Ok(a),
            None => self.fetch_attr(),
        }
    }

    /// Directories and symlinks from the qid; anything else (a plain qid
    /// may be a regular file, a device, a FIFO or a socket) takes one
    /// Tgetattr, once per vnode.
    fn file_type(&self) -> VfsResult<FileType> {
        if let Some(k) = *self.kind.lock() {
            return Ok(k);
        }
        self.fetch_attr()?.file_type().ok_or(Errno::EIO)
    }

    /// Truncation goes through a writable open fid when there is one (as
    /// ftruncate would), everything else through any open fid, or the
    /// vnode's own.
    fn setattr(&self, set: &SetAttr) -> VfsResult<()> {
        let open = self.open_fid(set.size.is_some());
        let fid = open.as_deref().unwrap_or(self.fid());
        let mut p = attr::to_setattr(set);
        if set.mode.is_some() {
            // Linux sends the file type with the permissions (notify_change
            // keeps i_mode's type bits); QEMU's mapped security models store
            // the mode as given, so without them a directory loses its type.
            p.mode |= lintel_vfs::Vnode::file_type(self)?.mode_bits();
        }
        let r = self.fs.client.setattr(fid, &p);
        // Even a failure may have applied part of the change.
        self.fs.cache.invalidate(self.key());
        r
    }

    /// One Twalk of one name from this directory's fid.
    fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
        check_name(name)?;
        let (fid, qids) = self.fs.client.walk(self.dir()?, &[name])?;
        let qid = qids.first().copied().ok_or(Errno::EIO)?;
        Ok(NineVnode::new(&self.fs, fid, qid, None))
    }

    fn create(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        self.create_file(name, mode)
    }

    fn mkdir(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        self.make_dir(name, mode)
    }

    fn mknod(&self, name: &[u8], mode: u32, rdev: u64) -> VfsResult<VnodeRef> {
        self.make_node(name, mode, rdev)
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> VfsResult<VnodeRef> {
        self.make_symlink(name, target)
    }

    fn link(&self, name: &[u8], target: &VnodeRef) -> VfsResult<()> {
        self.make_link(name, target)
    }

    fn unlink(&self, name: &[u8]) -> VfsResult<()> {
        self.remove(name, false)
    }

    fn rmdir(&self, name: &[u8]) -> VfsResult<()> {
        self.remove(name, true)
    }

    fn rename(&self, old: &[u8], new_dir: &VnodeRef, new: &[u8], flags: u32) -> VfsResult<()> {
        self.rename_to(old, new_dir, new, flags)
    }

    fn readlink(&self) -> VfsResult<Vec<u8>> {
        if !self.qid.is_symlink() {
            return Err(Errno::EINVAL);
        }
        self.fs.client.readlink(self.fid())
    }

    fn open(&self, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        handle::open(self, flags)
    }

    fn statfs(&self) -> VfsResult<StatFs> {
        Ok(attr::to_statfs(&self.fs.client.statfs(self.fid())?))
    }

    /// The same file on the server: the same qid path and kind. (The
    /// version changes with the contents, so it is not compared.)
    fn same_object(&self, other: &dyn Vnode) -> bool {
        const KIND: u8 = qid_type::DIR | qid_type::SYMLINK;
        other.as_any().downcast_ref::<NineVnode>().is_some_and(|o| {
            Arc::ptr_eq(&o.fs, &self.fs)
                && o.qid.path == self.qid.path
                && o.qid.ty & KIND == self.qid.ty & KIND
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
