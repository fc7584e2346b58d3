//! `FuseVnode`: one node of the daemon, its type (known from the entry
//! that named it, and fixed), and its cached attributes.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

use super::attr::{self, check_name};
use super::attrcache::{AttrCache, Ticket};
use super::{handle, Shared};
use crate::client::{Node, OpenFile, Timeout};
use crate::codec::FuseAttr;
use lintel_vfs::{
    Attr, Errno, FileType, Handle, OpenFlags, SetAttr, StatFs, VfsResult, Vnode, VnodeRef,
};

pub struct FuseVnode {
    pub(super) fs: Arc<Shared>,
    me: Weak<FuseVnode>,
    pub(super) node: Node,
    pub(super) generation: u64,
    pub(super) kind: FileType,
    attrs: AttrCache,
    /// The handle CREATE opened (read-write), for the open() that follows
    /// create(), so a file created with mode 0444 can still be written.
    created: Mutex<Option<OpenFile>>,
    /// A directory we removed (rmdir, or a rename over it): removed.rs.
    dead: AtomicBool,
}

impl FuseVnode {
    pub(super) fn new(
        fs: &Arc<Shared>,
        node: Node,
        generation: u64,
        kind: FileType,
    ) -> Arc<FuseVnode> {
        Arc::new_cyclic(|me| FuseVnode {
            fs: fs.clone(),
            me: me.clone(),
            node,
            generation,
            kind,
            attrs: AttrCache::default(),
            created: Mutex::new(None),
            dead: AtomicBool::new(false),
        })
    }

    /// The daemon's node id.
    pub fn nodeid(&self) -> u64 {
        self.node.id()
    }

    pub(super) fn arc(&self) -> VfsResult<Arc<FuseVnode>> {
        self.me.upgrade().ok_or(Errno::EIO)
    }

    /// For an operation on a name in this directory: ENOTDIR unless this
    /// is a directory, ENOENT if it is one we removed (Linux's
    /// IS_DEADDIR), before any request.
    pub(super) fn dir(&self) -> VfsResult<()> {
        match self.kind {
            FileType::Directory if self.is_dead() => Err(Errno::ENOENT),
            FileType::Directory => Ok(()),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Whether this is a directory we removed.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// We removed this directory: it stays what it last was, with no
    /// links, for whoever still holds it (removed.rs).
    pub(super) fn kill(&self) {
        self.dead.store(true, Ordering::Release);
        self.invalidate_attr();
    }

    /// An error from a request on a name in this directory: ESTALE, when
    /// we removed the directory meanwhile, is ENOENT (as `dir` says).
    pub(crate) fn in_dir(&self, e: Errno) -> Errno {
        if e == Errno::ESTALE && self.is_dead() {
            Errno::ENOENT
        } else {
            e
        }
    }

    /// `v` as a vnode of this same mount (EXDEV otherwise).
    pub(super) fn same_fs<'a>(&self, v: &'a VnodeRef) -> VfsResult<&'a FuseVnode> {
        v.as_any()
            .downcast_ref::<FuseVnode>()
            .filter(|n| Arc::ptr_eq(&n.fs, &self.fs))
            .ok_or(Errno::EXDEV)
    }

    /// Attributes from a reply: kept for `valid`, returned either way.
    /// A node whose type changed is not ours any more: EIO, as Linux.
    pub(super) fn store_attr(&self, a: &FuseAttr, valid: Timeout, t: Ticket) -> VfsResult<Attr> {
        let v = attr::to_attr(a);
        if v.file_type() != Some(self.kind) {
            return Err(Errno::EIO);
        }
        let expires = self.fs.expiry(valid);
        self.attrs.put(&self.fs.versions, v, expires, t);
        Ok(v)
    }

    /// Our change made the attributes stale (size, times, link count).
    pub(super) fn invalidate_attr(&self) {
        self.attrs.invalidate(&self.fs.versions);
    }

    pub(super) fn set_created(&self, f: OpenFile) {
        *self.created.lock() = Some(f);
    }

    pub(super) fn take_created(&self) -> Option<OpenFile> {
        self.created.lock().take()
    }
}

impl Drop for FuseVnode {
    fn drop(&mut self) {
        // The node (a field) drops next and sends FORGET.
        self.fs.inodes.remove_dead(self.node.id());
    }
}

impl Vnode for FuseVnode {
    /// The kept attributes while `attr_valid` lasts, else a GETATTR. A
    /// directory we removed that the daemon no longer reaches (ESTALE,
    /// ENOENT) is what it last was with nlink 0, as Linux's dead inode.
    fn getattr(&self) -> VfsResult<Attr> {
        if let Some(a) = self.attrs.get(&self.fs.versions, self.fs.now()) {
            return Ok(a);
        }
        let t = self.fs.versions.ticket();
        let (a, valid) = match self.fs.client.getattr(&self.node, None) {
            Ok(r) => r,
            Err(e @ (Errno::ESTALE | Errno::ENOENT)) if self.is_dead() => {
                return self.attrs.last().map(|a| Attr { nlink: 0, ..a }).ok_or(e);
            }
            Err(e) => return Err(e),
        };
        self.store_attr(&a, valid, t)
    }

    fn file_type(&self) -> VfsResult<FileType> {
        Ok(self.kind)
    }

    /// SETATTR; its reply holds the new attributes, kept as of now (any
    /// earlier reply in flight is stale). Even a failure may have applied
    /// part of the change.
    fn setattr(&self, set: &SetAttr) -> VfsResult<()> {
        let r = self
            .fs
            .client
            .setattr(&self.node, &attr::to_setattr(self.kind, set));
        self.invalidate_attr();
        let (a, valid) = r?;
        self.store_attr(&a, valid, self.fs.versions.ticket())
            .map(|_| ())
    }

    /// A kept name while `entry_valid` lasts, else a LOOKUP.
    fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.dir()?;
        if let Some(v) = self.fs.names.get(self.nodeid(), name, self.fs.now()) {
            return Ok(v);
        }
        let t = self.fs.versions.ticket();
        let e = self
            .fs
            .client
            .lookup(&self.node, name)
            .map_err(|e| self.in_dir(e))?;
        Ok(Shared::adopt(&self.fs, self.nodeid(), name, e, t)?)
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
        if self.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        self.fs.client.readlink(&self.node)
    }

    fn open(&self, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        handle::open(self, flags)
    }

    fn statfs(&self) -> VfsResult<StatFs> {
        Ok(attr::to_statfs(&self.fs.client.statfs(&self.node)?))
    }

    /// The same node of the same mount. Lookups give the live vnode of a
    /// node id (inodes.rs), so this is mostly the default's answer made
    /// explicit: a new vnode for the id is a new object (another
    /// generation, or the id reused after a directory we removed).
    fn same_object(&self, other: &dyn Vnode) -> bool {
        other.as_any().downcast_ref::<FuseVnode>().is_some_and(|o| {
            core::ptr::eq(o, self)
                || (Arc::ptr_eq(&o.fs, &self.fs)
                    && o.nodeid() == self.nodeid()
                    && o.generation == self.generation
                    && o.kind == self.kind
                    && !o.is_dead()
                    && !self.is_dead())
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
