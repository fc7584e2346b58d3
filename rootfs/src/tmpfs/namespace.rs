//! The vnode operations of a tmpfs inode: lookup and the calls that add or
//! remove names. The VFS has resolved the path; what depends on the
//! directory's contents (EEXIST, ENOENT, ENOTEMPTY, types) is checked here.

use super::dir::Dir;
use super::handle;
use super::inode::{symlink_pages, Body, Inode, S_ISGID};
use super::pages::Pages;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use lintel_vfs::{
    Attr, Errno, FileType, Handle, OpenFlags, SetAttr, StatFs, VfsResult, Vnode, VnodeRef,
    NAME_MAX, PATH_MAX, S_IFMT,
};
use spin::Mutex;

/// A name a directory entry may have.
pub fn check_new_name(name: &[u8]) -> VfsResult<()> {
    match name {
        b"" => Err(Errno::ENOENT),
        b"." | b".." => Err(Errno::EEXIST),
        _ if name.len() > NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ if name.contains(&b'/') || name.contains(&0) => Err(Errno::EINVAL),
        _ => Ok(()),
    }
}

impl Inode {
    /// The tmpfs inode behind `v`, if it belongs to the same instance (EXDEV otherwise).
    pub fn same_fs<'a>(&self, v: &'a VnodeRef) -> VfsResult<&'a Inode> {
        v.as_any()
            .downcast_ref::<Inode>()
            .filter(|i| Arc::ptr_eq(&i.fs, &self.fs))
            .ok_or(Errno::EXDEV)
    }

    /// Checks that `name` can be added here; the caller holds `fs.names`.
    fn check_free(&self, name: &[u8]) -> VfsResult<&Mutex<Dir>> {
        check_new_name(name)?;
        let dir = self.dir()?;
        let d = dir.lock();
        if d.dead {
            return Err(Errno::ENOENT);
        }
        if d.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(dir)
    }

    /// Creates `name` here; `pages` of space are charged for its contents.
    fn add(
        &self,
        name: &[u8],
        kind: FileType,
        perm: u32,
        pages: u64,
        body: impl FnOnce(&Weak<Inode>) -> Body,
    ) -> VfsResult<VnodeRef> {
        let _names = self.fs.names.lock();
        let dir = self.check_free(name)?;
        let (gid, perm) = {
            let mut m = self.meta.lock();
            if kind == FileType::Directory {
                m.nlink = m.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
            }
            // A setgid directory hands its group down, and the bit to subdirectories.
            match m.perm & S_ISGID != 0 {
                true if kind == FileType::Directory => (m.gid, perm | S_ISGID),
                true => (m.gid, perm),
                false => (0, perm),
            }
        };
        if let Err(e) = self.fs.charge(pages) {
            if kind == FileType::Directory {
                self.meta.lock().nlink -= 1;
            }
            return Err(e);
        }
        let inode = Inode::new(&self.fs, kind, perm, gid, body);
        dir.lock().insert(name, inode.clone());
        self.modified();
        Ok(inode)
    }

    /// One name fewer: nlink and ctime.
    pub fn unlinked(&self) {
        let now = self.now();
        let mut m = self.meta.lock();
        m.nlink = if self.kind == FileType::Directory {
            0
        } else {
            m.nlink.saturating_sub(1)
        };
        m.ctime = now;
    }

    /// The inode number ".." shows.
    pub fn parent_ino(&self) -> u64 {
        self.dir()
            .ok()
            .and_then(|d| d.lock().parent.upgrade())
            .map_or(self.ino, |p| p.ino)
    }
}

impl Vnode for Inode {
    fn getattr(&self) -> VfsResult<Attr> {
        Ok(self.attr())
    }

    fn file_type(&self) -> VfsResult<FileType> {
        Ok(self.kind)
    }

    fn setattr(&self, set: &SetAttr) -> VfsResult<()> {
        self.set(set)
    }

    fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
        let d = self.dir()?.lock();
        d.get(name)
            .map(|i| i.clone() as VnodeRef)
            .ok_or(Errno::ENOENT)
    }

    fn create(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        self.add(name, FileType::Regular, mode, 0, |_| {
            Body::File(Mutex::new(Pages::default()))
        })
    }

    fn mkdir(&self, name: &[u8], mode: u32) -> VfsResult<VnodeRef> {
        let parent = self.weak();
        self.add(name, FileType::Directory, mode, 0, |_| {
            Body::Dir(Mutex::new(Dir::new(parent)))
        })
    }

    /// As Linux's may_mknod: type 0 is a regular file, a directory EPERM,
    /// a symlink or an unknown type EINVAL.
    fn mknod(&self, name: &[u8], mode: u32, rdev: u64) -> VfsResult<VnodeRef> {
        match FileType::from_mode(mode) {
            None if mode & S_IFMT == 0 => self.create(name, mode),
            Some(FileType::Regular) => self.create(name, mode),
            Some(FileType::Directory) => Err(Errno::EPERM),
            Some(FileType::Symlink) | None => Err(Errno::EINVAL),
            Some(kind) => self.add(name, kind, mode, 0, |_| Body::Node(rdev)),
        }
    }

    fn symlink(&self, name: &[u8], target: &[u8]) -> VfsResult<VnodeRef> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let pages = symlink_pages(target.len());
        self.add(name, FileType::Symlink, 0o777, pages, |_| {
            Body::Symlink(target.to_vec())
        })
    }

    fn link(&self, name: &[u8], target: &VnodeRef) -> VfsResult<()> {
        let t = self.same_fs(target)?;
        if t.kind == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let _names = self.fs.names.lock();
        let dir = self.check_free(name)?;
        let now = self.now();
        {
            let mut m = t.meta.lock();
            // An open file whose last name is gone cannot get a new one.
            if m.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            m.nlink = m.nlink.checked_add(1).ok_or(Errno::EMLINK)?;
            m.ctime = now;
        }
        dir.lock().insert(name, t.arc()?);
        self.modified();
        Ok(())
    }

    fn unlink(&self, name: &[u8]) -> VfsResult<()> {
        let dir = self.dir()?;
        let _names = self.fs.names.lock();
        let victim = {
            let mut d = dir.lock();
            match d.get(name) {
                None => return Err(Errno::ENOENT),
                Some(v) if v.kind == FileType::Directory => return Err(Errno::EISDIR),
                Some(_) => d.remove(name).ok_or(Errno::ENOENT)?,
            }
        };
        victim.unlinked();
        self.modified();
        Ok(())
    }

    fn rmdir(&self, name: &[u8]) -> VfsResult<()> {
        let dir = self.dir()?;
        let _names = self.fs.names.lock();
        let victim = dir.lock().get(name).cloned().ok_or(Errno::ENOENT)?;
        {
            let mut v = victim.dir()?.lock();
            if !v.is_empty() {
                return Err(Errno::ENOTEMPTY);
            }
            v.dead = true;
        }
        dir.lock().remove(name);
        victim.unlinked();
        {
            let mut m = self.meta.lock();
            m.nlink = m.nlink.saturating_sub(1);
        }
        self.modified();
        Ok(())
    }

    fn rename(&self, old: &[u8], new_dir: &VnodeRef, new: &[u8], flags: u32) -> VfsResult<()> {
        self.rename_to(old, new_dir, new, flags)
    }

    fn readlink(&self) -> VfsResult<Vec<u8>> {
        match &self.body {
            Body::Symlink(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(&self, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        handle::open(self, flags)
    }

    fn statfs(&self) -> VfsResult<StatFs> {
        Ok(super::statfs(&self.fs))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
