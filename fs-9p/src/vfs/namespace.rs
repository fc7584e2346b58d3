//! The directory operations of a 9p vnode: creating, linking, removing and
//! renaming names. The server checks what depends on the directory's
//! contents (EEXIST, ENOENT, ENOTEMPTY, ...); its errno passes through.

use super::attr::{check_name, split_dev};
use super::vnode::NineVnode;
use crate::flags::dotl;
use alloc::sync::Arc;
use lintel_vfs::{Errno, FileType, VfsResult, VnodeRef, PATH_MAX, S_IFMT};

/// The group sent with Tlcreate/Tmkdir/Tsymlink/Tmknod. The VFS passes no
/// credentials; a root process's fsgid is 0 (servers that ignore it, such
/// as diod, use their own).
const GID: u32 = 0;

impl NineVnode {
    /// The vnode for `name`, just made here: its own walked fid.
    fn walk_new(&self, name: &[u8], kind: FileType) -> VfsResult<Arc<NineVnode>> {
        let (fid, qids) = self.fs.client.walk(self.fid(), &[name])?;
        let qid = qids.first().copied().ok_or(Errno::EIO)?;
        Ok(NineVnode::new(&self.fs, fid, qid, Some(kind)))
    }

    /// This directory's entries changed: its size, times and link count.
    fn dir_changed(&self) {
        self.fs.cache.invalidate(self.key());
    }

    /// Tlcreate on a clone of the directory's fid, which stays open (read
    /// and write) for the open() that follows; the vnode gets its own walk.
    pub(super) fn create_file(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        check_name(name)?;
        let flags = dotl::RDWR | dotl::CREATE | dotl::EXCL;
        let (open, _, _) = self
            .fs
            .client
            .create(self.dir()?, name, flags, mode & 0o7777, GID)?;
        self.dir_changed();
        let v = self.walk_new(name, FileType::Regular)?;
        v.set_created(open);
        Ok(v)
    }

    pub(super) fn make_dir(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.fs
            .client
            .mkdir(self.dir()?, name, mode & 0o7777, GID)?;
        self.dir_changed();
        Ok(self.walk_new(name, FileType::Directory)?)
    }

    /// As Linux's may_mknod: type 0 is a regular file, a directory EPERM,
    /// a symlink or an unknown type EINVAL.
    pub(super) fn make_node(&self, name: &[u8], mode: u32, rdev: u64) -> VfsResult<VnodeRef> {
        check_name(name)?;
        let kind = match FileType::from_mode(mode) {
            None if mode & S_IFMT == 0 => FileType::Regular,
            Some(FileType::Directory) => return Err(Errno::EPERM),
            Some(FileType::Symlink) | None => return Err(Errno::EINVAL),
            Some(k) => k,
        };
        let (major, minor) = match kind {
            FileType::CharDevice | FileType::BlockDevice => split_dev(rdev),
            _ => (0, 0),
        };
        let mode = kind.mode_bits() | (mode & 0o7777);
        self.fs
            .client
            .mknod(self.dir()?, name, mode, major, minor, GID)?;
        self.dir_changed();
        Ok(self.walk_new(name, kind)?)
    }

    pub(super) fn make_symlink(&self, name: &[u8], target: &[u8]) -> VfsResult<VnodeRef> {
        check_name(name)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        self.fs.client.symlink(self.dir()?, name, target, GID)?;
        self.dir_changed();
        Ok(self.walk_new(name, FileType::Symlink)?)
    }

    pub(super) fn make_link(&self, name: &[u8], target: &VnodeRef) -> VfsResult<()> {
        check_name(name)?;
        let t = self.same_fs(target)?;
        if t.qid.is_dir() {
            return Err(Errno::EPERM);
        }
        self.fs.client.link(self.dir()?, t.fid(), name)?;
        self.dir_changed();
        self.fs.cache.invalidate(t.key()); // nlink, ctime
        Ok(())
    }

    /// Tunlinkat (or, where the server lacks it, Tremove of a walked fid).
    pub(super) fn remove(&self, name: &[u8], dir: bool) -> VfsResult<()> {
        check_name(name)?;
        let flags = if dir { dotl::AT_REMOVEDIR } else { 0 };
        let r = self.fs.client.unlinkat(self.dir()?, name, flags);
        // The victim's link count changed, and we do not know its qid.
        self.fs.cache.invalidate_all();
        r
    }

    /// Trenameat (or Trename). 9P has no renameat2 flags: EINVAL for any,
    /// as Linux's v9fs.
    pub(super) fn rename_to(
        &self,
        old: &[u8],
        new_dir: &VnodeRef,
        new: &[u8],
        flags: u32,
    ) -> VfsResult<()> {
        check_name(old)?;
        check_name(new)?;
        if flags != 0 {
            return Err(Errno::EINVAL);
        }
        let nd = self.same_fs(new_dir)?;
        let r = self.fs.client.renameat(self.dir()?, old, nd.dir()?, new);
        // Both directories, the moved file's ctime, a replaced file's nlink.
        self.fs.cache.invalidate_all();
        r
    }
}
