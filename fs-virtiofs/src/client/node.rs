//! Node ids and their lookup counts.
//!
//! The daemon keeps a node (an inode and its open O_PATH descriptor) for
//! as long as its lookup count is above zero: every reply that names a
//! node id (LOOKUP, CREATE, MKNOD, MKDIR, SYMLINK, LINK, and READDIRPLUS
//! entries) adds one, and FORGET gives them back. The client counts the
//! same way, per node id: a [`Node`] is one reference to an id; when the
//! last reference goes, one FORGET carries the whole count.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

use super::Session;
use crate::codec::ForgetOne;

#[derive(Default)]
struct Count {
    /// Lookups received and not yet forgotten.
    nlookup: u64,
    /// Live [`Node`]s for the id.
    refs: u64,
}

pub(crate) struct NodeTable {
    map: Mutex<BTreeMap<u64, Count>>,
    received: AtomicU64,
    forgotten: AtomicU64,
}

impl NodeTable {
    pub fn new() -> Self {
        NodeTable {
            map: Mutex::new(BTreeMap::new()),
            received: AtomicU64::new(0),
            forgotten: AtomicU64::new(0),
        }
    }

    /// A reply named `id`: one more lookup and one more reference.
    fn looked_up(&self, id: u64) {
        let mut m = self.map.lock();
        let c = m.entry(id).or_default();
        c.nlookup = c.nlookup.saturating_add(1);
        c.refs = c.refs.saturating_add(1);
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Another reference, no lookup (clones, the root).
    fn hold(&self, id: u64) {
        let mut m = self.map.lock();
        let c = m.entry(id).or_default();
        c.refs = c.refs.saturating_add(1);
    }

    /// Drops a reference; returns the lookups to forget if it was the last.
    fn put(&self, id: u64) -> u64 {
        let mut m = self.map.lock();
        let Some(c) = m.get_mut(&id) else {
            return 0;
        };
        c.refs = c.refs.saturating_sub(1);
        if c.refs > 0 {
            return 0;
        }
        m.remove(&id).map_or(0, |c| c.nlookup)
    }

    pub fn forgotten(&self, n: u64) {
        self.forgotten.fetch_add(n, Ordering::Relaxed);
    }

    /// (live ids, lookups received, lookups forgotten).
    pub fn stats(&self) -> (usize, u64, u64) {
        let live = self.map.lock().len();
        (
            live,
            self.received.load(Ordering::Relaxed),
            self.forgotten.load(Ordering::Relaxed),
        )
    }
}

/// One reference to a node id of one session. Cloning is cheap (no
/// message); dropping the last reference sends FORGET with every lookup
/// the daemon counted for the id.
pub struct Node {
    /// None once released.
    session: Option<Arc<Session>>,
    id: u64,
}

impl Node {
    /// A node id a reply just counted.
    pub(crate) fn looked_up(session: &Arc<Session>, id: u64) -> Node {
        session.nodes.looked_up(id);
        Node {
            session: Some(session.clone()),
            id,
        }
    }

    /// A reference that comes with no lookup (the root).
    pub(crate) fn held(session: &Arc<Session>, id: u64) -> Node {
        session.nodes.hold(id);
        Node {
            session: Some(session.clone()),
            id,
        }
    }

    /// The daemon's node id (the `nodeid` of request headers).
    pub fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    /// Gives up this reference without sending anything; returns what to
    /// forget if it was the last one.
    pub(crate) fn release(&mut self) -> Option<(Arc<Session>, ForgetOne)> {
        let s = self.session.take()?;
        let nlookup = s.nodes.put(self.id);
        (nlookup > 0).then_some((
            s,
            ForgetOne {
                nodeid: self.id,
                nlookup,
            },
        ))
    }
}

impl Clone for Node {
    fn clone(&self) -> Node {
        if let Some(s) = &self.session {
            s.nodes.hold(self.id);
        }
        Node {
            session: self.session.clone(),
            id: self.id,
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some((s, f)) = self.release() {
            s.send_forgets(&[f]);
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Node({})", self.id)
    }
}
