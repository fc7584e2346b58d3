//! Where connect and sendto find a bound socket. Abstract names live in
//! one table. A path name is found through the socket inode bind created,
//! keyed by its file system and inode number (Linux looks the inode up
//! the same way), so another path to the node (a hard link, a rename, a
//! relative name) finds the socket, and a path whose node was replaced
//! does not.

use super::UnixSocket;
use crate::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use lintel_vfs::Path;
use spin::Mutex;

/// A socket inode: (the file system's identity, the inode number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NodeKey {
    fs: usize,
    ino: u64,
}

impl NodeKey {
    pub fn of(p: &Path) -> Result<NodeKey, Errno> {
        Ok(NodeKey {
            fs: Arc::as_ptr(&p.mnt.fs) as *const () as usize,
            ino: p.dentry.vnode().getattr()?.ino,
        })
    }
}

static ABSTRACT: Mutex<BTreeMap<Vec<u8>, Weak<UnixSocket>>> = Mutex::new(BTreeMap::new());
static NODES: Mutex<BTreeMap<NodeKey, Weak<UnixSocket>>> = Mutex::new(BTreeMap::new());

/// Records `s` under the abstract `name`: EADDRINUSE when a live socket
/// has it.
pub fn claim_abstract(name: &[u8], s: &Arc<UnixSocket>) -> Result<(), Errno> {
    let mut t = ABSTRACT.lock();
    if t.get(name).and_then(Weak::upgrade).is_some() {
        return Err(Errno::EADDRINUSE);
    }
    t.insert(name.to_vec(), Arc::downgrade(s));
    Ok(())
}

/// Records `s` as the socket of the inode `key` (a new node: whatever
/// had its number before is gone).
pub fn claim_node(key: NodeKey, s: &Arc<UnixSocket>) {
    NODES.lock().insert(key, Arc::downgrade(s));
}

pub fn find_abstract(name: &[u8]) -> Option<Arc<UnixSocket>> {
    ABSTRACT.lock().get(name).and_then(Weak::upgrade)
}

pub fn find_node(key: NodeKey) -> Option<Arc<UnixSocket>> {
    NODES.lock().get(&key).and_then(Weak::upgrade)
}

/// Drops the entries that name `s` (when it closes).
pub fn forget(s: &UnixSocket, name: Option<&[u8]>, key: Option<NodeKey>) {
    let mine = |w: &Weak<UnixSocket>| core::ptr::eq(w.as_ptr(), s);
    if let Some(n) = name {
        let mut t = ABSTRACT.lock();
        if t.get(n).is_some_and(mine) {
            t.remove(n);
        }
    }
    if let Some(k) = key {
        let mut t = NODES.lock();
        if t.get(&k).is_some_and(mine) {
            t.remove(&k);
        }
    }
}

/// Linux's unix_autobind: an abstract name of five hex digits, tried from
/// `start` on; ENOSPC when all 2^20 are taken.
pub fn autobind(start: u32, s: &Arc<UnixSocket>) -> Result<Vec<u8>, Errno> {
    const NAMES: u32 = 1 << 20;
    for i in 0..NAMES {
        let n = start.wrapping_add(i) % NAMES;
        let name = alloc::format!("{n:05x}").into_bytes();
        if claim_abstract(&name, s).is_ok() {
            return Ok(name);
        }
    }
    Err(Errno::ENOSPC)
}
