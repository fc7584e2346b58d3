//! Path resolution, as Linux's namei: absolute and relative paths, "." and
//! "..", symlinks (at most 40 per resolution, then ELOOP), mount crossing
//! in both directions, trailing slashes, and a per-process root that ".."
//! never leaves.

use crate::dentry::check_name;
use crate::mount::{MountTable, Path};
use crate::types::{Errno, FileType, VfsResult, PATH_MAX};
use alloc::sync::Arc;
use alloc::vec::Vec;

pub const MAX_SYMLINKS: usize = 40;

/// How the last component is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Resolve a final symlink (stat, open without O_NOFOLLOW).
    Yes,
    /// Stop at a final symlink (lstat, unlink, O_NOFOLLOW).
    No,
}

pub struct Resolver<'a> {
    pub mounts: &'a MountTable,
    /// The process's root: absolute paths start here and ".." stops here.
    pub root: &'a Path,
}

/// The parent directory of a path's last component, and that component.
pub struct Parent {
    pub dir: Path,
    pub name: Vec<u8>,
    /// The path ended in '/' (the last component must be a directory).
    pub trailing_slash: bool,
}

fn split(path: &[u8]) -> Vec<&[u8]> {
    path.split(|&c| c == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

fn check_path(path: &[u8]) -> VfsResult<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

impl Resolver<'_> {
    /// Resolves `path` relative to `start`.
    pub fn resolve(&self, start: &Path, path: &[u8], follow: Follow) -> VfsResult<Path> {
        check_path(path)?;
        let must_dir = path.ends_with(b"/");
        let mut links = 0;
        let p = self.walk(start, path, follow == Follow::Yes || must_dir, &mut links)?;
        if must_dir && !is_dir(&p)? {
            return Err(Errno::ENOTDIR);
        }
        Ok(p)
    }

    /// Resolves all but the last component. A path whose last component is
    /// "." or ".." gives that name: callers refuse it (EINVAL/EEXIST/EBUSY).
    pub fn resolve_parent(&self, start: &Path, path: &[u8]) -> VfsResult<Parent> {
        check_path(path)?;
        let comps = split(path);
        let trailing_slash = path.ends_with(b"/");
        let Some((last, dirs)) = comps.split_last() else {
            // "/" or "///": the root itself has no parent entry.
            let dir = if path.starts_with(b"/") {
                self.root.clone()
            } else {
                start.clone()
            };
            return Ok(Parent {
                dir,
                name: Vec::from(&b"."[..]),
                trailing_slash: true,
            });
        };
        let mut dir = if path.starts_with(b"/") {
            self.root.clone()
        } else {
            start.clone()
        };
        let mut links = 0;
        for c in dirs {
            dir = self.step(&dir, c, true, &mut links)?;
        }
        if !is_dir(&dir)? {
            return Err(Errno::ENOTDIR);
        }
        // After the walk, as Linux: a missing parent is ENOENT whatever the name.
        check_name(last)?;
        Ok(Parent {
            dir,
            name: last.to_vec(),
            trailing_slash,
        })
    }

    fn walk(
        &self,
        start: &Path,
        path: &[u8],
        follow_last: bool,
        links: &mut usize,
    ) -> VfsResult<Path> {
        let mut cur = if path.starts_with(b"/") {
            self.root.clone()
        } else {
            start.clone()
        };
        let comps = split(path);
        let n = comps.len();
        for (i, c) in comps.into_iter().enumerate() {
            cur = self.step(&cur, c, i + 1 < n || follow_last, links)?;
        }
        Ok(cur)
    }

    /// One component from `dir`; follows a symlink there when `follow`.
    fn step(&self, dir: &Path, name: &[u8], follow: bool, links: &mut usize) -> VfsResult<Path> {
        if !is_dir(dir)? {
            return Err(Errno::ENOTDIR);
        }
        check_name(name)?;
        match name {
            b"." => return Ok(dir.clone()),
            b".." => return Ok(self.dotdot(dir)),
            _ => {}
        }
        // A mount point, and the path to one, stays the same dentry
        // whatever the cache policy; so does any live name that still leads
        // to the same object (Dentry::child).
        let d = dir.dentry.child(name, dir.mnt.fs.cache_names())?;
        let mut p = Path {
            mnt: dir.mnt.clone(),
            dentry: d,
        };
        while let Some(m) = self.mounts.mounted_on(&p) {
            p = Path {
                dentry: m.root.clone(),
                mnt: m,
            };
        }
        if follow && p.dentry.vnode().file_type()? == FileType::Symlink {
            *links += 1;
            if *links > MAX_SYMLINKS {
                return Err(Errno::ELOOP);
            }
            let target = p.dentry.vnode().readlink()?;
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            return self.walk(dir, &target, true, links);
        }
        Ok(p)
    }

    fn dotdot(&self, p: &Path) -> Path {
        let mut p = p.clone();
        loop {
            if p.same(self.root) {
                return p;
            }
            if p.is_mount_root() {
                match &p.mnt.parent {
                    Some((pm, pd)) => {
                        p = Path {
                            mnt: pm.clone(),
                            dentry: pd.clone(),
                        };
                        continue;
                    }
                    None => return p,
                }
            }
            return match p.dentry.parent() {
                Some(d) => Path {
                    mnt: p.mnt.clone(),
                    dentry: d,
                },
                None => p,
            };
        }
    }

    /// The absolute name of `p` as seen from the root (getcwd, /proc/self/fd).
    pub fn name_of(&self, p: &Path) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut cur = p.clone();
        while !cur.same(self.root) {
            if cur.is_mount_root() {
                match &cur.mnt.parent {
                    Some((pm, pd)) => {
                        cur = Path {
                            mnt: pm.clone(),
                            dentry: pd.clone(),
                        };
                        continue;
                    }
                    None => break,
                }
            }
            match cur.dentry.parent() {
                Some(parent) => {
                    parts.push(cur.dentry.name());
                    cur = Path {
                        mnt: cur.mnt.clone(),
                        dentry: parent,
                    };
                }
                None => break,
            }
        }
        let mut out = Vec::new();
        for part in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(part);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        out
    }
}

fn is_dir(p: &Path) -> VfsResult<bool> {
    Ok(p.dentry.vnode().file_type()? == FileType::Directory)
}

/// Whether two paths are on the same mount (link and rename need it).
pub fn same_mount(a: &Path, b: &Path) -> bool {
    Arc::ptr_eq(&a.mnt, &b.mnt)
}
