//! A directory's entries. Each entry gets a sequence number when it is
//! added; the readdir cookie after an entry is its number, so a listing
//! resumed from a cookie sees every entry that survived, once, whatever
//! was added or removed in between. Cookies 1 and 2 follow "." and "..".

use super::inode::Inode;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use lintel_vfs::DirEntry;

/// Cookies below this belong to "." and "..".
const FIRST_SEQ: u64 = 3;

pub struct Entry {
    seq: u64,
    pub inode: Arc<Inode>,
}

pub struct Dir {
    names: BTreeMap<Vec<u8>, Entry>,
    order: BTreeMap<u64, Vec<u8>>,
    next_seq: u64,
    /// The directory ".." names (the root's is itself).
    pub parent: Weak<Inode>,
    /// Removed by rmdir: nothing may be created in it, readdir is ENOENT.
    pub dead: bool,
}

impl Dir {
    pub fn new(parent: Weak<Inode>) -> Dir {
        Dir {
            names: BTreeMap::new(),
            order: BTreeMap::new(),
            next_seq: FIRST_SEQ,
            parent,
            dead: false,
        }
    }

    pub fn get(&self, name: &[u8]) -> Option<&Arc<Inode>> {
        self.names.get(name).map(|e| &e.inode)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Adds `name` (replacing any entry of that name) at the end of the order.
    pub fn insert(&mut self, name: &[u8], inode: Arc<Inode>) -> Option<Arc<Inode>> {
        let old = self.remove(name);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, name.to_vec());
        self.names.insert(name.to_vec(), Entry { seq, inode });
        old
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<Arc<Inode>> {
        let e = self.names.remove(name)?;
        self.order.remove(&e.seq);
        Some(e.inode)
    }

    /// Points `name` at another inode, keeping its place (RENAME_EXCHANGE).
    pub fn swap(&mut self, name: &[u8], inode: Arc<Inode>) -> Option<Arc<Inode>> {
        self.names
            .get_mut(name)
            .map(|e| core::mem::replace(&mut e.inode, inode))
    }

    /// Up to `max` entries after `cookie` (which is 2 or more).
    pub fn after(&self, cookie: u64, max: usize) -> Vec<DirEntry> {
        self.order
            .range(cookie.saturating_add(1)..)
            .take(max)
            .filter_map(|(&seq, name)| {
                let e = self.names.get(name)?;
                Some(DirEntry {
                    ino: e.inode.ino,
                    kind: e.inode.kind,
                    name: name.clone(),
                    next: seq,
                })
            })
            .collect()
    }

    /// Empties the directory (tearing down a tree without recursion).
    pub fn take_all(&mut self) -> Vec<Arc<Inode>> {
        self.order.clear();
        core::mem::take(&mut self.names)
            .into_values()
            .map(|e| e.inode)
            .collect()
    }
}
