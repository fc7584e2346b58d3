//! The FUSE client: one session (INIT … DESTROY) over a [`Transport`],
//! with a typed method for every operation Lintel uses.
//!
//! Methods take `&self` and may run concurrently from many threads: each
//! request gets its own unique id, and nothing is locked across an exchange.

mod dir;
mod entry;
mod file;
mod init;
mod io;
mod node;
mod ops;

pub use dir::PlusEntry;
pub use entry::{Entry, Timeout};
pub use file::OpenFile;
#[cfg(test)]
pub(crate) use init::init_request as init_request_for_tests;
pub use init::{InitInfo, REQUESTED_FLAGS};
pub use node::Node;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::codec::{
    check_reply, Creds, ForgetIn, ForgetOne, InterruptIn, Request, Wire, INT_REQ_BIT,
    OUT_HEADER_SIZE, ROOT_ID,
};
use crate::errno::Errno;
use crate::transport::Transport;
use node::NodeTable;

/// Who the requests come from. The VFS passes no credentials, so every
/// request carries these (a root process: 0, 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientConfig {
    pub creds: Creds,
}

/// Counters for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Requests sent on the request queues.
    pub requests: u64,
    /// FORGET and BATCH_FORGET messages sent.
    pub forget_messages: u64,
    /// Lookups the daemon counted (entries with a node id received).
    pub lookups_received: u64,
    /// Lookups given back with FORGET / BATCH_FORGET.
    pub lookups_forgotten: u64,
    /// Node ids with live references.
    pub live_nodes: usize,
    /// RELEASE and RELEASEDIR sent.
    pub releases: u64,
}

/// Largest fixed reply: CREATE's entry and open replies.
const FIXED_REPLY: usize = 256;
/// FORGETs per BATCH_FORGET message.
const FORGET_BATCH: usize = 256;

/// State shared by the client and all its nodes and open files.
pub(crate) struct Session {
    transport: Arc<dyn Transport>,
    next_unique: AtomicU64,
    creds: Creds,
    pub(crate) init: InitInfo,
    pub(crate) nodes: NodeTable,
    destroyed: AtomicBool,
    requests: AtomicU64,
    forget_messages: AtomicU64,
    releases: AtomicU64,
    /// Operations the daemon answered ENOSYS: Linux stops sending them and
    /// behaves as if they succeeded (RENAME2 fails EINVAL instead).
    pub(crate) no_rename2: AtomicBool,
    pub(crate) no_flush: AtomicBool,
    pub(crate) no_fsync: AtomicBool,
    pub(crate) no_fsyncdir: AtomicBool,
    pub(crate) no_access: AtomicBool,
}

impl Session {
    /// Request ids are even, so an INTERRUPT can name one with the low bit.
    fn unique(&self) -> u64 {
        self.next_unique.fetch_add(2, Ordering::Relaxed)
    }

    pub(crate) fn is_destroyed(&self) -> bool {
        self.destroyed.load(Ordering::Acquire)
    }

    /// One exchange about `nodeid`: `data` (if not empty) is sent as its
    /// own part after the arguments, and the reply's arguments land in
    /// `body`. Returns their length; an error reply is its errno, anything
    /// malformed EIO.
    pub(crate) fn call(
        &self,
        nodeid: u64,
        req: &Request<'_>,
        data: &[u8],
        body: &mut [u8],
    ) -> Result<usize, Errno> {
        if self.is_destroyed() {
            return Err(Errno::ENOTCONN);
        }
        let unique = self.unique();
        let head = req.encode(unique, nodeid, self.creds, data.len())?;
        let parts: [&[u8]; 2] = [&head, data];
        let readable = if data.is_empty() {
            &parts[..1]
        } else {
            &parts[..]
        };
        let mut out = [0u8; OUT_HEADER_SIZE];
        let capacity = OUT_HEADER_SIZE.saturating_add(body.len());
        self.requests.fetch_add(1, Ordering::Relaxed);
        let n = if body.is_empty() {
            self.transport.request(readable, &mut [&mut out[..]])?
        } else {
            self.transport
                .request(readable, &mut [&mut out[..], body])?
        };
        if n > capacity {
            return Err(Errno::EIO);
        }
        check_reply(&out, n, unique)?
    }

    /// A request whose reply is one fixed-size record.
    pub(crate) fn call_fixed<T: Wire>(&self, nodeid: u64, req: &Request<'_>) -> Result<T, Errno> {
        let mut buf = [0u8; FIXED_REPLY];
        let body = buf.get_mut(..T::SIZE).ok_or(Errno::EIO)?;
        let n = self.call(nodeid, req, &[], body)?;
        Ok(T::from_bytes(body.get(..n).ok_or(Errno::EIO)?)?)
    }

    /// A request whose reply is the header alone.
    pub(crate) fn call_empty(&self, nodeid: u64, req: &Request<'_>) -> Result<(), Errno> {
        match self.call(nodeid, req, &[], &mut [])? {
            0 => Ok(()),
            _ => Err(Errno::EIO),
        }
    }

    /// Sends FORGET (one node) or BATCH_FORGET (several) on the hiprio
    /// queue. Nothing is sent once the session is destroyed: the daemon
    /// has dropped every node then.
    pub(crate) fn send_forgets(&self, list: &[ForgetOne]) {
        if list.is_empty() || self.is_destroyed() {
            return;
        }
        for chunk in list.chunks(FORGET_BATCH) {
            let (nodeid, req) = match chunk {
                [one] => (
                    one.nodeid,
                    Request::Forget(ForgetIn {
                        nlookup: one.nlookup,
                    }),
                ),
                _ => (0, Request::BatchForget(chunk.to_vec())),
            };
            let Ok(msg) = req.encode(self.unique(), nodeid, self.creds, 0) else {
                continue;
            };
            self.forget_messages.fetch_add(1, Ordering::Relaxed);
            // Best effort: if the device is gone, so is the daemon's count.
            if self.transport.forget(&[&msg]).is_ok() {
                let n = chunk.iter().fold(0u64, |a, f| a.saturating_add(f.nlookup));
                self.nodes.forgotten(n);
            }
        }
    }

    /// DESTROY, once. The Rust virtiofsd sends no reply to it (0 bytes
    /// written), QEMU's C virtiofsd an empty one; both are success.
    fn destroy(&self) -> Result<(), Errno> {
        if self.destroyed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let unique = self.unique();
        let head = Request::Destroy.encode(unique, 0, self.creds, 0)?;
        let mut out = [0u8; OUT_HEADER_SIZE];
        self.requests.fetch_add(1, Ordering::Relaxed);
        let n = self.transport.request(&[&head], &mut [&mut out[..]])?;
        if n == 0 {
            return Ok(());
        }
        if n > OUT_HEADER_SIZE {
            return Err(Errno::EIO);
        }
        check_reply(&out, n, unique)?.map(|_| ())
    }
}

impl Drop for Session {
    /// The last node, open file and client are gone: the mount is over.
    fn drop(&mut self) {
        let _ = self.destroy();
    }
}

/// A FUSE session: the negotiated parameters, the root node, and the
/// node table.
pub struct Client {
    session: Arc<Session>,
    root: Node,
}

impl Client {
    /// Sends INIT (7.38, [`REQUESTED_FLAGS`]) and accepts a daemon that
    /// answers 7.31 or newer.
    pub fn new(transport: Arc<dyn Transport>, config: ClientConfig) -> Result<Client, Errno> {
        let unique = 2;
        let init = init::negotiate(&*transport, unique, config.creds)?;
        let session = Arc::new(Session {
            transport,
            next_unique: AtomicU64::new(unique + 2),
            creds: config.creds,
            init,
            nodes: NodeTable::new(),
            destroyed: AtomicBool::new(false),
            requests: AtomicU64::new(1),
            forget_messages: AtomicU64::new(0),
            releases: AtomicU64::new(0),
            no_rename2: AtomicBool::new(false),
            no_flush: AtomicBool::new(false),
            no_fsync: AtomicBool::new(false),
            no_fsyncdir: AtomicBool::new(false),
            no_access: AtomicBool::new(false),
        });
        let root = Node::held(&session, ROOT_ID);
        Ok(Client { session, root })
    }

    /// What INIT settled.
    pub fn init_info(&self) -> &InitInfo {
        &self.session.init
    }

    /// The root directory (node id 1, which no lookup counted).
    pub fn root(&self) -> &Node {
        &self.root
    }

    pub fn stats(&self) -> ClientStats {
        let s = &self.session;
        let (live_nodes, received, forgotten) = s.nodes.stats();
        ClientStats {
            requests: s.requests.load(Ordering::Relaxed),
            forget_messages: s.forget_messages.load(Ordering::Relaxed),
            lookups_received: received,
            lookups_forgotten: forgotten,
            live_nodes,
            releases: s.releases.load(Ordering::Relaxed),
        }
    }

    /// Ends the session with DESTROY (also sent when the last client,
    /// node and open file are dropped). Later requests fail ENOTCONN;
    /// nodes and files dropped later send nothing.
    pub fn destroy(&self) -> Result<(), Errno> {
        self.session.destroy()
    }

    pub fn is_destroyed(&self) -> bool {
        self.session.is_destroyed()
    }

    /// Drops many nodes at once: the lookups of those whose last reference
    /// this was go back in BATCH_FORGET messages rather than one FORGET each.
    pub fn forget_nodes(&self, nodes: Vec<Node>) {
        let mut list = Vec::new();
        for mut n in nodes {
            match n.release() {
                Some((s, f)) if Arc::ptr_eq(&s, &self.session) => list.push(f),
                Some((s, f)) => s.send_forgets(&[f]),
                None => {}
            }
        }
        self.session.send_forgets(&list);
    }

    /// INTERRUPT of the request `unique`, on the hiprio queue. Linux's
    /// virtio-fs never sends one and virtiofsd ignores it; it is here for
    /// daemons that honour it.
    pub fn interrupt(&self, unique: u64) -> Result<(), Errno> {
        if self.is_destroyed() {
            return Err(Errno::ENOTCONN);
        }
        let msg = Request::Interrupt(InterruptIn { unique }).encode(
            unique | INT_REQ_BIT,
            0,
            self.session.creds,
            0,
        )?;
        Ok(self.session.transport.forget(&[&msg])?)
    }

    /// The node's id, if it belongs to this session (EBADF otherwise:
    /// another session's ids mean nothing here).
    fn id(&self, n: &Node) -> Result<u64, Errno> {
        match n.session() {
            Some(s) if Arc::ptr_eq(s, &self.session) => Ok(n.id()),
            _ => Err(Errno::EBADF),
        }
    }
}
