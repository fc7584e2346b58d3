//! `Mount`: a file system attached at a dentry of another mount. The table
//! finds what is mounted where while paths are resolved.

use crate::dentry::Dentry;
use crate::fs::FileSystem;
use crate::types::{Errno, VfsResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::RwLock;

bitflags::bitflags! {
    /// mount(2) flags that change behaviour here.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct MountFlags: u64 {
        const RDONLY = 1;
        const NOSUID = 2;
        const NODEV = 4;
        const NOEXEC = 8;
        const NOATIME = 1024;
        const _ = !0;
    }
}

pub struct Mount {
    pub id: u32,
    pub fs: Arc<dyn FileSystem>,
    pub root: Arc<Dentry>,
    /// The mount and dentry it covers; None for the root mount.
    pub parent: Option<(Arc<Mount>, Arc<Dentry>)>,
    pub flags: MountFlags,
    pub source: Vec<u8>,
    pub data: Vec<u8>,
}

impl Mount {
    pub fn readonly(&self) -> bool {
        self.flags.contains(MountFlags::RDONLY)
    }
}

/// A position in the mount tree: which mount, which dentry in it.
#[derive(Clone)]
pub struct Path {
    pub mnt: Arc<Mount>,
    pub dentry: Arc<Dentry>,
}

impl Path {
    pub fn same(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }
    pub fn is_mount_root(&self) -> bool {
        Arc::ptr_eq(&self.dentry, &self.mnt.root)
    }
}

#[derive(Default)]
pub struct MountTable {
    mounts: RwLock<Vec<Arc<Mount>>>,
}

impl MountTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Mounts `fs` as the root; returns the root path.
    pub fn mount_root(
        &self,
        fs: Arc<dyn FileSystem>,
        source: &[u8],
        data: &[u8],
        flags: MountFlags,
    ) -> Path {
        let root = Dentry::new_root(fs.root());
        let mut m = self.mounts.write();
        let id = m.len() as u32 + 1;
        let mnt = Arc::new(Mount {
            id,
            fs,
            root: root.clone(),
            parent: None,
            flags,
            source: source.to_vec(),
            data: data.to_vec(),
        });
        m.push(mnt.clone());
        Path { mnt, dentry: root }
    }

    /// Mounts `fs` on the directory `at` (stacking on earlier mounts there).
    pub fn mount(
        &self,
        at: &Path,
        fs: Arc<dyn FileSystem>,
        source: &[u8],
        data: &[u8],
        flags: MountFlags,
    ) -> VfsResult<Arc<Mount>> {
        if !at.dentry.vnode().getattr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let root = Dentry::new_root(fs.root());
        let mut m = self.mounts.write();
        let id = m.iter().map(|x| x.id).max().unwrap_or(0) + 1;
        let mnt = Arc::new(Mount {
            id,
            fs,
            root,
            parent: Some((at.mnt.clone(), at.dentry.clone())),
            flags,
            source: source.to_vec(),
            data: data.to_vec(),
        });
        m.push(mnt.clone());
        at.dentry.cover(true);
        Ok(mnt)
    }

    /// What is mounted on `p` (the last of a stack), if anything.
    pub fn mounted_on(&self, p: &Path) -> Option<Arc<Mount>> {
        self.mounts
            .read()
            .iter()
            .rev()
            .find(|m| {
                m.parent
                    .as_ref()
                    .is_some_and(|(pm, pd)| Arc::ptr_eq(pm, &p.mnt) && Arc::ptr_eq(pd, &p.dentry))
            })
            .cloned()
    }

    /// Whether anything is mounted on `p` (rmdir/rename of a mount point: EBUSY).
    pub fn is_mountpoint(&self, p: &Path) -> bool {
        self.mounted_on(p).is_some()
    }

    /// Unmounts the mount whose root is `p`; EINVAL if `p` is not a mount
    /// root, EBUSY if something is mounted below it.
    pub fn umount(&self, p: &Path) -> VfsResult<()> {
        if !p.is_mount_root() || p.mnt.parent.is_none() {
            return Err(Errno::EINVAL);
        }
        let mut m = self.mounts.write();
        if m.iter().any(|x| {
            x.parent
                .as_ref()
                .is_some_and(|(pm, _)| Arc::ptr_eq(pm, &p.mnt))
        }) {
            return Err(Errno::EBUSY);
        }
        p.mnt.fs.sync()?;
        m.retain(|x| !Arc::ptr_eq(x, &p.mnt));
        if let Some((_, covered)) = &p.mnt.parent {
            covered.cover(false);
        }
        Ok(())
    }

    pub fn all(&self) -> Vec<Arc<Mount>> {
        self.mounts.read().clone()
    }
}
