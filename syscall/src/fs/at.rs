//! Where paths start: the process's root and working directory, `*at`
//! directory fds (`AT_FDCWD`), and path strings read from the program.

use crate::user::read_cstr;
use crate::{Cx, Errno};
use alloc::vec::Vec;
use lintel_vfs::{FileType, Follow, FsRegistry, MountTable, Path, Resolver, PATH_MAX};

pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
pub const AT_REMOVEDIR: u64 = 0x200;
pub const AT_SYMLINK_FOLLOW: u64 = 0x400;
pub const AT_NO_AUTOMOUNT: u64 = 0x800;
pub const AT_EMPTY_PATH: u64 = 0x1000;

/// The system-wide VFS state: what is mounted and which types exist.
#[derive(Default)]
pub struct Vfs {
    pub mounts: MountTable,
    pub registry: FsRegistry,
}

/// A process's view of the tree (shared by CLONE_FS threads, later).
#[derive(Clone)]
pub struct FsContext {
    pub root: Path,
    pub cwd: Path,
}

impl Cx<'_> {
    pub(crate) fn resolver(&self) -> Resolver<'_> {
        Resolver {
            mounts: &self.p.vfs.mounts,
            root: &self.fs.root,
        }
    }

    /// A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX.
    pub(crate) fn user_path(&mut self, addr: u64) -> Result<Vec<u8>, Errno> {
        let s = read_cstr(self.k, &self.p.mm, addr, PATH_MAX)?;
        if s.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(s)
    }

    /// The directory a relative path starts from: the cwd for AT_FDCWD,
    /// else the directory open at `dirfd`.
    pub(crate) fn start_dir(&self, dirfd: u64, path: &[u8]) -> Result<Path, Errno> {
        let dirfd = dirfd as i32;
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.starts_with(b"/") {
            return Ok(self.fs.root.clone());
        }
        if dirfd == AT_FDCWD {
            return Ok(self.fs.cwd.clone());
        }
        let f = self.p.fds.get(dirfd)?;
        let p = f.path().ok_or(Errno::ENOTDIR)?;
        if p.dentry.vnode().file_type()? != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        Ok(p.clone())
    }

    /// Resolves `path` relative to `dirfd`; with AT_EMPTY_PATH an empty
    /// path names `dirfd` itself (any file type).
    pub(crate) fn lookup_at(
        &mut self,
        dirfd: u64,
        path: &[u8],
        flags: u64,
        follow: Follow,
    ) -> Result<Path, Errno> {
        if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
            if dirfd as i32 == AT_FDCWD {
                return Ok(self.fs.cwd.clone());
            }
            let f = self.p.fds.get(dirfd as i32)?;
            return f.path().cloned().ok_or(Errno::EBADF);
        }
        let start = self.start_dir(dirfd, path)?;
        self.resolver().resolve(&start, path, follow)
    }
}
