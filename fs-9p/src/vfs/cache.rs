//! Attributes cached by qid path (the server's inode number), for
//! cache=loose: every name of a file shares one entry. Entries live until
//! our own changes invalidate them, as Linux's loose mode; changes on the
//! host are not noticed. Disabled, every call is a no-op.

use alloc::collections::BTreeMap;
use lintel_vfs::Attr;
use spin::Mutex;

/// Entries kept at most; beyond, the lowest qid paths make room.
const CAPACITY: usize = 4096;

pub(crate) struct AttrCache {
    enabled: bool,
    inner: Mutex<Inner>,
}

struct Inner {
    map: BTreeMap<u64, Attr>,
    /// Bumped by every invalidation: a Tgetattr that started before one
    /// may carry what it invalidated, and is not stored.
    seq: u64,
}

/// Taken before a Tgetattr, given back with its result.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(u64);

impl AttrCache {
    pub fn new(enabled: bool) -> AttrCache {
        AttrCache {
            enabled,
            inner: Mutex::new(Inner {
                map: BTreeMap::new(),
                seq: 0,
            }),
        }
    }

    pub fn get(&self, key: u64) -> Option<Attr> {
        if !self.enabled {
            return None;
        }
        self.inner.lock().map.get(&key).copied()
    }

    pub fn ticket(&self) -> Ticket {
        if !self.enabled {
            return Ticket(0);
        }
        Ticket(self.inner.lock().seq)
    }

    pub fn put(&self, key: u64, attr: Attr, t: Ticket) {
        if !self.enabled {
            return;
        }
        let mut c = self.inner.lock();
        if c.seq != t.0 {
            return;
        }
        if c.map.len() >= CAPACITY && !c.map.contains_key(&key) {
            c.map.pop_first();
        }
        c.map.insert(key, attr);
    }

    pub fn invalidate(&self, key: u64) {
        if self.enabled {
            let mut c = self.inner.lock();
            c.seq = c.seq.wrapping_add(1);
            c.map.remove(&key);
        }
    }

    pub fn invalidate_all(&self) {
        if self.enabled {
            let mut c = self.inner.lock();
            c.seq = c.seq.wrapping_add(1);
            c.map.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }
}
