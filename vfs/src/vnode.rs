//! `Vnode`: one file-system object and its operations (vfscore's vnops).
//! Directory operations take a name within this directory; the VFS has
//! already resolved the path, checked the name and the file types.

use crate::types::{Attr, DirEntry, Errno, FileType, OpenFlags, SetAttr, StatFs, VfsResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

pub type VnodeRef = Arc<dyn Vnode>;

pub trait Vnode: Send + Sync {
    fn getattr(&self) -> VfsResult<Attr>;
    /// The object's type, which never changes: file systems that learn it
    /// at lookup (9p qids, FUSE entries) answer without a round trip.
    fn file_type(&self) -> VfsResult<FileType> {
        self.getattr()?.file_type().ok_or(Errno::EIO)
    }
    fn setattr(&self, _set: &SetAttr) -> VfsResult<()> {
        Err(Errno::EPERM)
    }

    /// The child `name` (never "." or ".."), or ENOENT.
    fn lookup(&self, _name: &[u8]) -> VfsResult<VnodeRef> {
        Err(Errno::ENOTDIR)
    }
    /// A new regular file; EEXIST if `name` exists.
    fn create(&self, _name: &[u8], _mode: u32) -> VfsResult<VnodeRef> {
        Err(Errno::EPERM)
    }
    fn mkdir(&self, _name: &[u8], _mode: u32) -> VfsResult<VnodeRef> {
        Err(Errno::EPERM)
    }
    /// A device, FIFO or socket node (`mode` carries the type bits).
    fn mknod(&self, _name: &[u8], _mode: u32, _rdev: u64) -> VfsResult<VnodeRef> {
        Err(Errno::EPERM)
    }
    fn symlink(&self, _name: &[u8], _target: &[u8]) -> VfsResult<VnodeRef> {
        Err(Errno::EPERM)
    }
    /// A hard link `name` to `target` (same file system, checked by the VFS).
    fn link(&self, _name: &[u8], _target: &VnodeRef) -> VfsResult<()> {
        Err(Errno::EPERM)
    }
    /// Removes a non-directory.
    fn unlink(&self, _name: &[u8]) -> VfsResult<()> {
        Err(Errno::EPERM)
    }
    /// Removes an empty directory (ENOTEMPTY otherwise).
    fn rmdir(&self, _name: &[u8]) -> VfsResult<()> {
        Err(Errno::EPERM)
    }
    /// Moves `old` in this directory to `new` in `new_dir` (same file
    /// system), replacing a compatible target, with renameat2 `flags`.
    fn rename(&self, _old: &[u8], _new_dir: &VnodeRef, _new: &[u8], _flags: u32) -> VfsResult<()> {
        Err(Errno::EPERM)
    }
    fn readlink(&self) -> VfsResult<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    /// Opens the object for I/O (regular files, directories, devices).
    fn open(&self, _flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        Err(Errno::ENXIO)
    }

    fn statfs(&self) -> VfsResult<StatFs>;

    /// Whether `other`, which a later lookup of the same name returned, is
    /// this very object. Where names are not cached (`FileSystem::cache_names`)
    /// the VFS then keeps the live dentry for the name, so whatever holds it
    /// (a working directory, an open file) sees what later happens to the
    /// name, as rmdir of the working directory. The default knows only the
    /// same vnode; a file system whose lookups build a new vnode each time
    /// (9p) compares its own identity (the qid).
    fn same_object(&self, other: &dyn Vnode) -> bool {
        core::ptr::addr_eq(self as *const Self, other as *const dyn Vnode)
    }

    /// For file systems that need their own type back (rename, link).
    fn as_any(&self) -> &dyn Any;
}

/// An open object's I/O: the per-open state a file system needs (a 9p
/// open fid, a FUSE file handle); offsets are kept by the VFS.
pub trait Handle: Send + Sync {
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EISDIR)
    }
    fn write_at(&self, _off: u64, _data: &[u8]) -> VfsResult<usize> {
        Err(Errno::EISDIR)
    }
    /// Lists entries from `cookie` (0 = the start, "." and ".." included);
    /// `sink` returns false when it has no room, and that entry is not consumed.
    fn readdir(&self, _cookie: u64, _sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        Err(Errno::ENOTDIR)
    }
    fn fsync(&self, _datasync: bool) -> VfsResult<()> {
        Ok(())
    }
    /// Whether reads and writes ignore the offset (terminals, FIFOs). A
    /// stream's reads and writes never block: they return EAGAIN and the
    /// syscall layer waits for `poll` to change.
    fn is_stream(&self) -> bool {
        false
    }
    /// Readiness for poll: (readable, writable).
    fn poll(&self) -> (bool, bool) {
        (true, true)
    }
    /// A terminal: the syscall layer answers the tty ioctls for it.
    fn is_tty(&self) -> bool {
        false
    }
    /// Bytes that a read would return at once (FIONREAD), when known.
    fn available(&self) -> Option<usize> {
        None
    }
}
