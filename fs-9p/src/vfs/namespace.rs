//! The directory operations of a 9p vnode: creating, linking, removing and
//! renaming names. The server checks what depends on the directory's
//! contents (EEXIST, ENOENT, ENOTEMPTY, ...); its errno passes through.
//!
//! renameat2's flags have no 9P2000.L message (Linux's v9fs refuses them
//! all with EINVAL). Here RENAME_NOREPLACE is a walk of the new name
//! (EEXIST if it is there) and then a rename, and RENAME_EXCHANGE three
//! renames through a temporary name. Neither is atomic on the server:
//! another client (or the host) acting on the same names between the steps
//! could have its file replaced (NOREPLACE) or see the temporary name
//! (EXCHANGE). The one client of a share, the normal case here, sees each
//! call complete or fail as a whole: a failed step of an exchange is rolled
//! back as far as the server allows.

use super::attr::{self, check_name, split_dev};
use super::vnode::NineVnode;
use crate::codec::getattr_mask;
use crate::fid::Fid;
use crate::flags::dotl;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use lintel_vfs::{
    Attr, Errno, FileType, VfsResult, VnodeRef, PATH_MAX, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFMT,
};

/// The group sent with Tlcreate/Tmkdir/Tsymlink/Tmknod. The VFS passes no
/// credentials; a root process's fsgid is 0 (servers that ignore it, such
/// as diod, use their own).
const GID: u32 = 0;

impl NineVnode {
    /// The vnode for `name`, just made here: its own walked fid.
    fn walk_new(&self, name: &[u8], kind: FileType) -> VfsResult<Arc<NineVnode>> {
        let (fid, qids) = self.fs.client.walk(self.fid(), &[name])?;
        let qid = qids.first().copied().ok_or(Errno::EIO)?;
        // A new object: a record of a removed one with its inode number is stale.
        self.fs.removed.forget(qid.path);
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
    /// A directory's attributes are taken first, for the vnodes that still
    /// hold it (a working directory: removed.rs).
    pub(super) fn remove(&self, name: &[u8], dir: bool) -> VfsResult<()> {
        check_name(name)?;
        let flags = if dir { dotl::AT_REMOVEDIR } else { 0 };
        let last = if dir { self.last_attrs(name) } else { None };
        let r = self.fs.client.unlinkat(self.dir()?, name, flags);
        // The victim's link count changed, and we do not know its qid.
        self.fs.cache.invalidate_all();
        if let (Ok(()), Some((key, a))) = (&r, last) {
            self.fs.removed.record(key, a);
        }
        r
    }

    /// The qid path and attributes of the directory `name`, if it is one
    /// (a walk and a Tgetattr; None on any failure: rmdir reports it).
    fn last_attrs(&self, name: &[u8]) -> Option<(u64, Attr)> {
        let (fid, qids) = self.fs.client.walk(self.dir().ok()?, &[name]).ok()?;
        let qid = qids.first().copied().filter(|q| q.is_dir())?;
        let a = match self.fs.cache.get(qid.path) {
            Some(a) => a,
            None => attr::from_stat(
                &self.fs.client.getattr(&fid, getattr_mask::BASIC).ok()?,
                &qid,
            ),
        };
        Some((qid.path, a))
    }

    /// Trenameat (or Trename), with renameat2's RENAME_NOREPLACE or
    /// RENAME_EXCHANGE built from several messages (see the top of this
    /// file); RENAME_WHITEOUT, both flags together or an unknown one are
    /// EINVAL.
    pub(super) fn rename_to(
        &self,
        old: &[u8],
        new_dir: &VnodeRef,
        new: &[u8],
        flags: u32,
    ) -> VfsResult<()> {
        check_name(old)?;
        check_name(new)?;
        let nd = self.same_fs(new_dir)?;
        let (from, to) = (self.dir()?, nd.dir()?);
        let r = match flags {
            0 => self.fs.client.renameat(from, old, to, new),
            RENAME_NOREPLACE => self.rename_noreplace(from, old, to, new),
            RENAME_EXCHANGE => self.rename_exchange(from, old, to, new),
            _ => return Err(Errno::EINVAL),
        };
        // Both directories, the moved file's ctime, a replaced file's nlink.
        self.fs.cache.invalidate_all();
        r
    }

    /// EEXIST if `new` is there, else a plain rename. Not atomic: a name
    /// made by someone else between the walk and the rename is replaced.
    fn rename_noreplace(&self, from: &Fid, old: &[u8], to: &Fid, new: &[u8]) -> VfsResult<()> {
        match self.fs.client.walk(to, &[new]) {
            Ok(_) => Err(Errno::EEXIST),
            Err(Errno::ENOENT) => self.fs.client.renameat(from, old, to, new),
            Err(e) => Err(e),
        }
    }

    /// Swaps `from/old` and `to/new`, both of which must exist (ENOENT),
    /// through a temporary name in `to`: new → tmp, old → new, tmp → old.
    /// A failed step undoes the ones before it.
    fn rename_exchange(&self, from: &Fid, old: &[u8], to: &Fid, new: &[u8]) -> VfsResult<()> {
        let c = &self.fs.client;
        let (_, a) = c.walk(from, &[old])?;
        let (_, b) = c.walk(to, &[new])?;
        let (a, b) = (a.first().ok_or(Errno::EIO)?, b.first().ok_or(Errno::EIO)?);
        // Two names of one file (Linux: source == target) change nothing.
        if a.path == b.path && a.ty == b.ty {
            return Ok(());
        }
        let tmp = self.unused_name(to, b.path)?;
        c.renameat(to, new, to, &tmp)?;
        if let Err(e) = c.renameat(from, old, to, new) {
            let _ = c.renameat(to, &tmp, to, new);
            return Err(e);
        }
        if let Err(e) = c.renameat(to, &tmp, from, old) {
            if c.renameat(to, new, from, old).is_ok() {
                let _ = c.renameat(to, &tmp, to, new);
            }
            return Err(e);
        }
        Ok(())
    }

    /// A name that is not in `dir` right now, for an exchange: ours (a
    /// counter) and the moved file's inode number, so another client doing
    /// the same picks a different one.
    fn unused_name(&self, dir: &Fid, ino: u64) -> VfsResult<Vec<u8>> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        for _ in 0..8 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!(".lintel-exchange-{ino:x}-{n}").into_bytes();
            match self.fs.client.walk(dir, &[&name]) {
                Err(Errno::ENOENT) => return Ok(name),
                Err(e) => return Err(e),
                Ok(_) => continue,
            }
        }
        Err(Errno::EEXIST)
    }
}
