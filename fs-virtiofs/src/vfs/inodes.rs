//! One vnode per live node id, as Linux keeps one inode per node id: a
//! file reached by two names, or by a lookup and a READDIRPLUS, has one
//! set of attributes. The table holds vnodes weakly.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use spin::Mutex;

use super::vnode::FuseVnode;

#[derive(Default)]
pub(crate) struct InodeTable {
    map: Mutex<BTreeMap<u64, Weak<FuseVnode>>>,
}

impl InodeTable {
    /// The live vnode for `id` if `fits` it, else the one `make` builds,
    /// which is recorded. `make` runs under the lock and must not block.
    /// Returns the vnode and whether it is new.
    pub fn get_or_insert(
        &self,
        id: u64,
        fits: impl Fn(&FuseVnode) -> bool,
        make: impl FnOnce() -> Arc<FuseVnode>,
    ) -> (Arc<FuseVnode>, bool) {
        let mut m = self.map.lock();
        let live = m.get(&id).and_then(Weak::upgrade);
        match live {
            Some(v) if fits(&v) => (v, false),
            stale => {
                let v = make();
                m.insert(id, Arc::downgrade(&v));
                drop(m);
                // A live vnode of another generation or type stays with
                // its holders; dropping our reference outside the lock.
                drop(stale);
                (v, true)
            }
        }
    }

    pub fn insert(&self, v: &Arc<FuseVnode>) {
        self.map.lock().insert(v.nodeid(), Arc::downgrade(v));
    }

    pub fn get(&self, id: u64) -> Option<Arc<FuseVnode>> {
        let v = self.map.lock().get(&id).and_then(Weak::upgrade);
        v
    }

    /// Forgets `id` if its vnode is gone (called as a vnode drops; a newer
    /// vnode for the same id stays).
    pub fn remove_dead(&self, id: u64) {
        let mut m = self.map.lock();
        if m.get(&id).is_some_and(|w| w.strong_count() == 0) {
            m.remove(&id);
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }
}
