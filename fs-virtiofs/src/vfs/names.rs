//! Names looked up, kept for as long as the daemon's `entry_valid` says
//! (Linux's dentry timeouts). The VFS keeps a dentry only while someone
//! holds it, so without this every path walk would LOOKUP every component
//! again. A cached name holds its vnode, hence the daemon's node; the
//! cache is bounded, and entries expire.
//!
//! With cache=none the daemon's timeouts are 0 and nothing is kept.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use super::vnode::FuseVnode;

/// Names kept at most; beyond, expired ones go first, then the names of
/// the lowest directory ids.
const CAPACITY: usize = 4096;

type Dir = BTreeMap<Vec<u8>, (Arc<FuseVnode>, u64)>;

#[derive(Default)]
struct Inner {
    dirs: BTreeMap<u64, Dir>,
    len: usize,
}

/// (parent node id, name) → (vnode, expiry). Vnodes are dropped outside
/// the lock: dropping the last one sends FORGET.
#[derive(Default)]
pub(crate) struct NameCache {
    inner: Mutex<Inner>,
}

impl NameCache {
    pub fn get(&self, parent: u64, name: &[u8], now: u64) -> Option<Arc<FuseVnode>> {
        let mut g = self.inner.lock();
        let (v, expires) = g.dirs.get(&parent)?.get(name)?;
        if now < *expires {
            return Some(v.clone());
        }
        let old = g.take(parent, name);
        drop(g);
        drop(old);
        None
    }

    /// Keeps `name` → `v` until `expires` (nothing if that is not after `now`).
    pub fn put(&self, parent: u64, name: &[u8], v: &Arc<FuseVnode>, expires: u64, now: u64) {
        let mut evicted = Vec::new();
        let mut g = self.inner.lock();
        evicted.extend(g.take(parent, name));
        if expires > now {
            if g.len >= CAPACITY {
                g.evict(now, &mut evicted);
            }
            g.dirs
                .entry(parent)
                .or_default()
                .insert(name.to_vec(), (v.clone(), expires));
            g.len += 1;
        }
        drop(g);
        drop(evicted);
    }

    pub fn remove(&self, parent: u64, name: &[u8]) {
        let old = self.inner.lock().take(parent, name);
        drop(old);
    }

    pub fn clear(&self) {
        let old = core::mem::take(&mut *self.inner.lock());
        drop(old);
    }

    pub fn len(&self) -> usize {
        self.inner.lock().len
    }
}

impl Inner {
    fn take(&mut self, parent: u64, name: &[u8]) -> Option<Arc<FuseVnode>> {
        let dir = self.dirs.get_mut(&parent)?;
        let (v, _) = dir.remove(name)?;
        if dir.is_empty() {
            self.dirs.remove(&parent);
        }
        self.len = self.len.saturating_sub(1);
        Some(v)
    }

    /// Makes room: all expired names, then whole directories, lowest id first.
    fn evict(&mut self, now: u64, out: &mut Vec<Arc<FuseVnode>>) {
        for dir in self.dirs.values_mut() {
            dir.retain(|_, (v, exp)| {
                let keep = *exp > now;
                if !keep {
                    out.push(v.clone());
                }
                keep
            });
        }
        self.dirs.retain(|_, d| !d.is_empty());
        while self.dirs.values().map(BTreeMap::len).sum::<usize>() >= CAPACITY {
            let Some((_, d)) = self.dirs.pop_first() else {
                break;
            };
            out.extend(d.into_values().map(|(v, _)| v));
        }
        self.len = self.dirs.values().map(BTreeMap::len).sum();
    }
}
