//! Directories removed through this mount, for the vnodes that still hold
//! them.
//!
//! A removed directory stays reachable through whatever held it: a working
//! directory above all, or an open descriptor. Linux marks the inode dead
//! (S_DEAD, on rmdir and on a rename over a directory) and clears its link
//! count; then a lookup or a creation in it is ENOENT before any request
//! (IS_DEADDIR), getdents is ENOENT, and stat answers from the inode with
//! nlink 0. The daemon may not manage that much: the Rust virtiofsd,
//! running as root, reopens inodes by file handle, and a deleted directory
//! gives ESTALE to every request on it.
//!
//! So a vnode we removed is marked dead ([`FuseVnode::kill`]): a name
//! operation in it is ENOENT without a request (`FuseVnode::dir`), and a
//! GETATTR the daemon fails (ESTALE, ENOENT) is answered from its last
//! attributes with nlink 0. Since a vnode holds its node id's lookup count,
//! the daemon cannot reuse the id for something else while the mark lives.
//!
//! RMDIR and RENAME name their victim, so this index finds its vnode:
//! (parent node id, name) → the directory vnode last seen under that name
//! (looked up, made, moved). The VFS looks the victim up (or holds its
//! live dentry) just before removing it, so the index is current then.
//! Only directories are recorded; the table holds vnodes weakly.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use spin::Mutex;

use super::vnode::FuseVnode;

type Key = (u64, Vec<u8>);

#[derive(Default)]
pub(crate) struct DirNames {
    map: Mutex<BTreeMap<Key, Weak<FuseVnode>>>,
}

impl DirNames {
    /// `v`, a directory, is `name` in `parent` now.
    pub fn put(&self, parent: u64, name: &[u8], v: &Arc<FuseVnode>) {
        let mut m = self.map.lock();
        // Prune dropped vnodes now and then, not on every insert.
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, w| w.strong_count() > 0);
        }
        m.insert((parent, name.to_vec()), Arc::downgrade(v));
    }

    /// The live directory vnode for `name` in `parent`.
    pub fn get(&self, parent: u64, name: &[u8]) -> Option<Arc<FuseVnode>> {
        let w = self.map.lock().get(&(parent, name.to_vec())).cloned()?;
        w.upgrade()
    }

    /// The live directory vnode for `name` in `parent`, forgotten here
    /// (the name was removed or moved).
    pub fn take(&self, parent: u64, name: &[u8]) -> Option<Arc<FuseVnode>> {
        let mut m = self.map.lock();
        if m.is_empty() {
            return None;
        }
        let w = m.remove(&(parent, name.to_vec()))?;
        drop(m);
        w.upgrade()
    }

    /// RENAME moved `from` to `to`: the directory there is what `from`
    /// was (if it was one); returns the one it replaced, if any.
    pub fn moved(&self, from: (u64, &[u8]), to: (u64, &[u8])) -> Option<Arc<FuseVnode>> {
        let mut m = self.map.lock();
        let moved = m.remove(&(from.0, from.1.to_vec()));
        let key = (to.0, to.1.to_vec());
        let replaced = match moved {
            Some(w) => m.insert(key, w),
            None => m.remove(&key),
        };
        drop(m);
        replaced.and_then(|w| w.upgrade())
    }

    /// RENAME_EXCHANGE swapped `a` and `b`.
    pub fn exchanged(&self, a: (u64, &[u8]), b: (u64, &[u8])) {
        let mut m = self.map.lock();
        let (ka, kb) = ((a.0, a.1.to_vec()), (b.0, b.1.to_vec()));
        let va = m.remove(&ka);
        let vb = m.remove(&kb);
        if let Some(w) = va {
            m.insert(kb, w);
        }
        if let Some(w) = vb {
            m.insert(ka, w);
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }
}
