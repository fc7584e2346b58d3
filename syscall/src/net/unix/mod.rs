//! AF_UNIX sockets: stream, datagram and SEQPACKET, as socketpairs or
//! named by a path (a socket inode bind creates) or an abstract name,
//! passing open files (SCM_RIGHTS) and credentials (SCM_CREDENTIALS).
//!
//! A `UnixSocket` lives inside a `SocketFile` (`Sock::Unix`), so the
//! generic file calls and the socket calls of `net/` reach it; the calls
//! there pick the family and come here. A socket never blocks: it says
//! EAGAIN and the call waits (`io::block`) for the condition it needs,
//! as the AF_INET code does. Every change bumps the socket's receive or
//! send event count and wakes the waiters.
//!
//! Not built: in-flight file garbage collection (a socket passed over
//! itself and closed stays alive, as on Linux until its collector runs),
//! MSG_OOB, SIGIO for O_ASYNC, the write-permission check connect makes
//! on a socket inode (Lintel checks no file permissions yet).

mod addr;
mod bind;
mod dgram;
mod io;
mod queue;
mod registry;
mod scm;
mod stream;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_io;
#[cfg(test)]
mod tests_names;
#[cfg(test)]
mod tests_scm;

pub use addr::AF_UNIX;
pub use bind::{bind, getname};
pub use dgram::connect_dgram;
pub use io::{epipe_signals, recv, send, shutdown, write_some};
pub use stream::{accept, connect_stream, listen};

use crate::{Cx, Errno, SysResult};
use addr::UnixAddr;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use lintel_vfs::{PollEvents, VfsResult};
use queue::RecvQueue;
pub use queue::Ucred;
use registry::NodeKey;
use spin::Mutex;

/// The socket types (SOCK_RAW is made a datagram socket, as Linux does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Stream = 1,
    Dgram = 2,
    Seqpacket = 5,
}

/// sk_shutdown bits.
const RCV_SHUTDOWN: u8 = 1;
const SEND_SHUTDOWN: u8 = 2;
const SHUTDOWN_MASK: u8 = 3;

/// Linux's default SO_SNDBUF (net.core.wmem_default): what a sender may
/// have queued and unread at its receivers.
pub const DEFAULT_SNDBUF: usize = 212992;
/// net.unix.max_dgram_qlen: a datagram receiver not connected back to
/// the sender takes at most this many more messages.
const MAX_DGRAM_QLEN: usize = 10;
/// net.core.somaxconn: listen(2) caps its backlog here.
const SOMAXCONN: u32 = 4096;

pub enum Conn {
    Unconnected,
    /// Connections made and not yet accepted; `max` is the backlog (one
    /// more than it fits, as Linux's unix_recvq_full); `cred` what the
    /// clients see as SO_PEERCRED.
    Listening {
        pending: VecDeque<Arc<UnixSocket>>,
        max: usize,
        cred: Ucred,
    },
    /// A stream or SEQPACKET end with a peer (which may have gone since).
    Connected,
}

pub struct State {
    pub conn: Conn,
    /// The other end (streams), or the default destination (datagrams).
    pub peer: Option<Arc<UnixSocket>>,
    pub addr: Option<UnixAddr>,
    /// A path-bound socket's inode: its registry key and the path, held
    /// as Linux holds it.
    pub node: Option<(NodeKey, lintel_vfs::Path)>,
    pub shutdown: u8,
    /// The pending error SO_ERROR and the next receive report.
    pub err: Option<Errno>,
    pub passcred: bool,
    pub peercred: Option<Ucred>,
    /// Closed (Linux's SOCK_DEAD): it takes nothing more.
    pub dead: bool,
    pub queue: RecvQueue,
}

pub struct UnixSocket {
    pub kind: Kind,
    st: Mutex<State>,
    /// What this socket has queued at receivers and not yet consumed,
    /// overhead included (Linux's sk_wmem_alloc).
    wmem: AtomicUsize,
    sndbuf: AtomicUsize,
    /// Event counts: data or an end arrived (readers), room appeared or
    /// the peer went (writers).
    rx_seq: AtomicU64,
    tx_seq: AtomicU64,
}

impl UnixSocket {
    pub fn new(kind: Kind) -> Arc<UnixSocket> {
        Arc::new(UnixSocket {
            kind,
            st: Mutex::new(State {
                conn: Conn::Unconnected,
                peer: None,
                addr: None,
                node: None,
                shutdown: 0,
                err: None,
                passcred: false,
                peercred: None,
                dead: false,
                queue: RecvQueue::default(),
            }),
            wmem: AtomicUsize::new(0),
            sndbuf: AtomicUsize::new(DEFAULT_SNDBUF),
            rx_seq: AtomicU64::new(0),
            tx_seq: AtomicU64::new(0),
        })
    }

    /// A connected pair (socketpair), each seeing `cred` as its peer.
    pub fn pair(kind: Kind, cred: Ucred) -> (Arc<UnixSocket>, Arc<UnixSocket>) {
        let (a, b) = (UnixSocket::new(kind), UnixSocket::new(kind));
        for (x, y) in [(&a, &b), (&b, &a)] {
            let mut st = x.st.lock();
            st.peer = Some(y.clone());
            st.peercred = Some(cred);
            if kind != Kind::Dgram {
                st.conn = Conn::Connected;
            }
        }
        (a, b)
    }

    pub(super) fn lock(&self) -> spin::MutexGuard<'_, State> {
        self.st.lock()
    }

    /// Something changed that readers (`rx`) or writers (`tx`) wait for.
    pub(super) fn changed(&self, rx: bool, tx: bool) {
        if rx {
            self.rx_seq.fetch_add(1, Ordering::Relaxed);
        }
        if tx {
            self.tx_seq.fetch_add(1, Ordering::Relaxed);
        }
        lintel_vfs::wake_waiters();
    }

    pub fn event_seq(&self) -> u64 {
        self.rx_seq.load(Ordering::Relaxed) + self.tx_seq.load(Ordering::Relaxed)
    }

    pub fn sndbuf(&self) -> usize {
        self.sndbuf.load(Ordering::Relaxed)
    }

    /// SO_SNDBUF, as stored (doubled) by setsockopt.
    pub fn set_sndbuf(&self, v: usize) {
        self.sndbuf.store(v, Ordering::Relaxed);
        self.changed(false, true);
    }

    fn wmem(&self) -> usize {
        self.wmem.load(Ordering::Relaxed)
    }

    fn charge(&self, n: usize) {
        self.wmem.fetch_add(n, Ordering::Relaxed);
    }

    /// A message of ours was consumed: room may have appeared.
    fn uncharge(&self, n: usize) {
        let before = self.wmem.fetch_sub(n, Ordering::Relaxed);
        let sndbuf = self.sndbuf();
        let edge = !writable(before, sndbuf) && writable(before - n, sndbuf);
        self.changed(false, edge);
    }

    /// Linux's unix_recvq_full for a datagram receiver.
    fn recvq_full(st: &State) -> bool {
        st.queue.len() > MAX_DGRAM_QLEN
    }

    pub fn passcred(&self) -> bool {
        self.st.lock().passcred
    }

    pub fn set_passcred(&self, on: bool) {
        self.st.lock().passcred = on;
    }

    pub fn is_listening(&self) -> bool {
        matches!(self.st.lock().conn, Conn::Listening { .. })
    }

    /// SO_PEERCRED.
    pub fn peercred(&self) -> Ucred {
        self.st.lock().peercred.unwrap_or(Ucred::NONE)
    }

    /// SO_ERROR: the pending error, cleared.
    pub fn take_error(&self) -> Option<Errno> {
        self.st.lock().err.take()
    }

    /// FIONREAD: every queued byte of a stream or SEQPACKET socket, the
    /// next datagram's (Linux's unix_inq_len).
    pub fn available(&self) -> usize {
        self.st.lock().queue.bytes(self.kind != Kind::Dgram)
    }

    /// The poll mask: Linux's unix_poll (streams) and unix_dgram_poll.
    pub fn poll(&self) -> PollEvents {
        let mut ev = PollEvents::empty();
        let st = self.st.lock();
        if st.err.is_some() {
            ev |= PollEvents::ERR;
        }
        if st.shutdown == SHUTDOWN_MASK {
            ev |= PollEvents::HUP;
        }
        if st.shutdown & RCV_SHUTDOWN != 0 {
            ev |= PollEvents::RDHUP | PollEvents::READABLE;
        }
        let listening = match &st.conn {
            Conn::Listening { pending, .. } => {
                if !pending.is_empty() {
                    ev |= PollEvents::READABLE;
                }
                true
            }
            Conn::Unconnected if self.kind != Kind::Dgram => {
                ev |= PollEvents::HUP;
                false
            }
            _ => false,
        };
        if !st.queue.is_empty() {
            ev |= PollEvents::READABLE;
        }
        let peer = st.peer.clone();
        drop(st);
        let mut out = !listening && writable(self.wmem(), self.sndbuf());
        // A datagram sender also waits for room at a receiver that is
        // not connected back to it.
        if out && self.kind == Kind::Dgram {
            if let Some(p) = peer.filter(|p| !core::ptr::eq(&**p, self)) {
                let pst = p.st.lock();
                let back = pst.peer.as_ref().is_some_and(|q| core::ptr::eq(&**q, self));
                out = back || pst.dead || !UnixSocket::recvq_full(&pst);
            }
        }
        if out {
            ev |= PollEvents::WRITABLE | PollEvents::WRBAND;
        }
        ev
    }

    /// Closes the socket (its last file is gone, or it is a connection
    /// never accepted: `embryo`). A stream or SEQPACKET peer sees both
    /// directions shut and ECONNRESET if data was left unread here (or
    /// the connection was never accepted), as Linux's unix_release_sock.
    pub fn release(&self, embryo: bool) {
        let (peer, queue, pending, name, node) = {
            let mut st = self.st.lock();
            if st.dead {
                return;
            }
            st.dead = true;
            st.shutdown = SHUTDOWN_MASK;
            let pending = match core::mem::replace(&mut st.conn, Conn::Unconnected) {
                Conn::Listening { pending, .. } => pending,
                _ => VecDeque::new(),
            };
            let name = match &st.addr {
                Some(UnixAddr::Abstract(n)) => Some(n.clone()),
                _ => None,
            };
            (
                st.peer.take(),
                st.queue.take_all(),
                pending,
                name,
                st.node.take(),
            )
        };
        registry::forget(self, name.as_deref(), node.as_ref().map(|n| n.0));
        if let Some(p) = peer.filter(|_| self.kind != Kind::Dgram) {
            let mut pst = p.st.lock();
            pst.shutdown = SHUTDOWN_MASK;
            if !queue.is_empty() || embryo {
                pst.err = Some(Errno::ECONNRESET);
            }
            drop(pst);
            p.changed(true, true);
        }
        for e in pending {
            e.release(true);
        }
        // Unread messages go now: their files close, their senders get room.
        drop(queue);
        self.changed(true, true);
    }
}

/// Linux's unix_writable: a quarter of the send buffer or less in use.
fn writable(wmem: usize, sndbuf: usize) -> bool {
    wmem.saturating_mul(4) <= sndbuf
}

/// The type of socket(2)'s `ty` (flags removed), and the protocol check:
/// 0 or PF_UNIX, else EPROTONOSUPPORT.
pub fn kind_of(base: u32, protocol: u32) -> Result<Kind, Errno> {
    if protocol != 0 && protocol != u32::from(AF_UNIX) {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match base {
        1 => Ok(Kind::Stream),
        2 | 3 => Ok(Kind::Dgram),
        5 => Ok(Kind::Seqpacket),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// The file-level read: a receive with no flags (the caller waits on
/// EAGAIN). Files passed with the data are closed, as Linux does without
/// a control buffer.
pub fn read(u: &UnixSocket, buf: &mut [u8]) -> VfsResult<usize> {
    io::take(u, buf, 0, false, &mut queue::Taken::default())
}

/// The file-level write: a send with no flags and no destination.
pub fn write(u: &Arc<UnixSocket>, cred: Ucred, data: &[u8]) -> VfsResult<usize> {
    io::put(u, cred, data)
}

/// socket(2) for AF_UNIX.
pub fn socket(cx: &mut Cx, base: u32, protocol: u32, flags: u32) -> SysResult {
    let kind = kind_of(base, protocol)?;
    super::conn::install(
        cx,
        super::file::SocketFile::unix(UnixSocket::new(kind)),
        flags,
    )
}

/// socketpair(2) for AF_UNIX: two fds written to `sv`.
pub fn socketpair(cx: &mut Cx, base: u32, protocol: u32, flags: u32, sv: u64) -> SysResult {
    let kind = kind_of(base, protocol)?;
    crate::user::prepare(cx.k, &cx.p.mm, sv, 8, true)?;
    let (a, b) = UnixSocket::pair(kind, Ucred::peer_of(cx.p));
    let fa = super::conn::install(cx, super::file::SocketFile::unix(a), flags)?;
    let fb = match super::conn::install(cx, super::file::SocketFile::unix(b), flags) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = cx.p.fds.remove(fa as i32);
            return Err(e);
        }
    };
    crate::user::write_val(cx.k, &cx.p.mm, sv, &(fa | fb << 32))?;
    Ok(0)
}
