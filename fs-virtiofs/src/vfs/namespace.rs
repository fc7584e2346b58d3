//! The directory operations of a FUSE vnode: creating, linking, removing
//! and renaming names. The daemon checks what depends on the directory's
//! contents (EEXIST, ENOENT, ENOTEMPTY, …); its errno passes through,
//! except ESTALE from a directory we removed meanwhile, which is ENOENT
//! (`FuseVnode::in_dir`). A directory we removed, by rmdir or a rename
//! over it, is marked dead for whoever holds it (removed.rs).

use super::attr::{check_name, encode_dev};
use super::vnode::FuseVnode;
use super::Shared;
use alloc::sync::Arc;
use lintel_vfs::{Errno, FileType, OpenFlags, VfsResult, VnodeRef, RENAME_EXCHANGE, S_IFMT};

/// The umask sent with CREATE, MKNOD and MKDIR: the VFS has applied the
/// process's already.
const UMASK: u32 = 0;

impl FuseVnode {
    /// This directory's entries changed: its size, times and link count.
    fn dir_changed(&self) {
        self.invalidate_attr();
    }

    /// CREATE, opened read-write (a new file can always be, whatever its
    /// mode); the handle waits in the vnode for the open() that follows.
    pub(super) fn create_file(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.dir()?;
        let t = self.fs.versions.ticket();
        let flags =
            (OpenFlags::RDWR | OpenFlags::CREAT | OpenFlags::EXCL | OpenFlags::LARGEFILE).bits();
        let (e, file) = self
            .fs
            .client
            .create(&self.node, name, flags, mode & 0o7777, UMASK)
            .map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        let v = Shared::adopt(&self.fs, self.nodeid(), name, e, t)?;
        v.set_created(file);
        Ok(v)
    }

    pub(super) fn make_dir(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.dir()?;
        let t = self.fs.versions.ticket();
        let e = self
            .fs
            .client
            .mkdir(&self.node, name, mode & 0o7777, UMASK)
            .map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        Ok(Shared::adopt(&self.fs, self.nodeid(), name, e, t)?)
    }

    /// As Linux's may_mknod: type 0 is a regular file, a directory EPERM,
    /// a symlink or an unknown type EINVAL.
    pub(super) fn make_node(&self, name: &[u8], mode: u32, rdev: u64) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.dir()?;
        let kind = match FileType::from_mode(mode) {
            None if mode & S_IFMT == 0 => FileType::Regular,
            Some(FileType::Directory) => return Err(Errno::EPERM),
            Some(FileType::Symlink) | None => return Err(Errno::EINVAL),
            Some(k) => k,
        };
        let rdev = match kind {
            FileType::CharDevice | FileType::BlockDevice => encode_dev(rdev)?,
            _ => 0,
        };
        let t = self.fs.versions.ticket();
        let e = self
            .fs
            .client
            .mknod(
                &self.node,
                name,
                kind.mode_bits() | (mode & 0o7777),
                rdev,
                UMASK,
            )
            .map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        Ok(Shared::adopt(&self.fs, self.nodeid(), name, e, t)?)
    }

    pub(super) fn make_symlink(&self, name: &[u8], target: &[u8]) -> VfsResult<VnodeRef> {
        check_name(name)?;
        self.dir()?;
        let t = self.fs.versions.ticket();
        let e = self
            .fs
            .client
            .symlink(&self.node, name, target)
            .map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        Ok(Shared::adopt(&self.fs, self.nodeid(), name, e, t)?)
    }

    /// LINK; the reply is the target's entry, with its new link count.
    pub(super) fn make_link(&self, name: &[u8], target: &VnodeRef) -> VfsResult<()> {
        check_name(name)?;
        self.dir()?;
        let tv = self.same_fs(target)?;
        if tv.kind == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let t = self.fs.versions.ticket();
        let e = self
            .fs
            .client
            .link(&tv.node, &self.node, name)
            .map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        Shared::adopt(&self.fs, self.nodeid(), name, e, t)?;
        Ok(())
    }

    /// UNLINK or RMDIR. The victim's link count changed and its node id is
    /// not known here, so every kept attribute goes stale; a directory
    /// removed is dead to whoever still holds it (removed.rs).
    pub(super) fn remove(&self, name: &[u8], dir: bool) -> VfsResult<()> {
        check_name(name)?;
        self.dir()?;
        let r = if dir {
            self.fs.client.rmdir(&self.node, name)
        } else {
            self.fs.client.unlink(&self.node, name)
        };
        self.fs.names.remove(self.nodeid(), name);
        r.map_err(|e| self.in_dir(e))?;
        self.dir_changed();
        self.fs.versions.invalidate_all();
        // A name UNLINK removed is no directory: a record of one is stale.
        if let Some(victim) = self.fs.dirs.take(self.nodeid(), name) {
            if dir {
                victim.kill();
            }
        }
        Ok(())
    }

    /// RENAME, or RENAME2 with renameat2 flags.
    pub(super) fn rename_to(
        &self,
        old: &[u8],
        new_dir: &VnodeRef,
        new: &[u8],
        flags: u32,
    ) -> VfsResult<()> {
        check_name(old)?;
        check_name(new)?;
        self.dir()?;
        let nd = self.same_fs(new_dir)?;
        nd.dir()?;
        let r = self.fs.client.rename(&self.node, old, &nd.node, new, flags);
        self.fs.names.remove(self.nodeid(), old);
        self.fs.names.remove(nd.nodeid(), new);
        r.map_err(|e| nd.in_dir(self.in_dir(e)))?;
        self.dir_changed();
        nd.dir_changed();
        // The moved file's ctime, a replaced file's link count.
        self.fs.versions.invalidate_all();
        let (from, to) = ((self.nodeid(), old), (nd.nodeid(), new));
        if flags & RENAME_EXCHANGE != 0 {
            self.fs.dirs.exchanged(from, to);
        } else if let Some(replaced) = self.fs.dirs.moved(from, to) {
            // A directory renamed over another kills it, as Linux's
            // S_DEAD; two names of one node (a no-op rename) do not.
            let moved = self.fs.dirs.get(to.0, to.1);
            if moved.is_some_and(|m| !Arc::ptr_eq(&m, &replaced)) {
                replaced.kill();
            }
        }
        Ok(())
    }
}
