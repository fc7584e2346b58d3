//! Messages: datagram and SEQPACKET sends, and datagram connect.

use super::addr::{family, UnixAddr};
use super::bind::{autobind_if_passcred, find};
use super::io::block;
use super::queue::{Msg, Ucred};
use super::scm::Scm;
use super::{Conn, Kind, UnixSocket, RCV_SHUTDOWN, SEND_SHUTDOWN};
use crate::net::file::SocketFile;
use crate::net::msg::Segs;
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::FileRef;

/// What a message may hold: the send buffer less 32 bytes.
fn max_message(u: &UnixSocket) -> usize {
    u.sndbuf().saturating_sub(32)
}

fn same(a: &UnixSocket, b: Option<&Arc<UnixSocket>>) -> bool {
    b.is_some_and(|b| core::ptr::eq(a, &**b))
}

/// Linux's unix_dgram_disconnected: a socket that loses its peer drops
/// what it received; a peer that was connected back learns ECONNRESET.
fn disconnected(u: &UnixSocket, old: &UnixSocket) {
    let lost = u.lock().queue.take_all();
    if !lost.is_empty() {
        let mut ost = old.lock();
        if !ost.dead && same(u, ost.peer.as_ref()) {
            ost.err = Some(Errno::ECONNRESET);
        }
        drop(ost);
        old.changed(true, false);
    }
    drop(lost);
    u.changed(true, true);
}

/// Delivers one message from `u` to `to`, or says why it cannot now
/// (`msg` None: only the checks, for a waiter). Linux's
/// unix_dgram_sendmsg after the lookup.
fn deliver(
    u: &Arc<UnixSocket>,
    to: &Arc<UnixSocket>,
    msg: &mut Option<(Vec<u8>, Vec<FileRef>, Ucred)>,
) -> Result<usize, Errno> {
    let (connected_to, from) = {
        let st = u.lock();
        if st.shutdown & SEND_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        (same(to, st.peer.as_ref()), st.addr.clone())
    };
    if u.wmem() >= u.sndbuf() {
        return Err(Errno::EAGAIN);
    }
    let mut tst = to.lock();
    if tst.dead {
        drop(tst);
        if u.kind == Kind::Seqpacket {
            return Err(Errno::EPIPE);
        }
        // The default destination closed: forget it.
        if connected_to && msg.is_some() {
            let old = u.lock().peer.take();
            if let Some(old) = old {
                disconnected(u, &old);
            }
        }
        return Err(Errno::ECONNREFUSED);
    }
    let back = same(u, tst.peer.as_ref());
    if tst.peer.is_some() && !back {
        return Err(Errno::EPERM);
    }
    if tst.shutdown & RCV_SHUTDOWN != 0 {
        return Err(Errno::EPIPE);
    }
    if !core::ptr::eq(&**u, &**to) && !back && UnixSocket::recvq_full(&tst) {
        return Err(Errno::EAGAIN);
    }
    let Some((data, files, cred)) = msg.take() else {
        return Ok(0);
    };
    let n = data.len();
    tst.queue.push(Msg::new(u, data, files, cred, from));
    drop(tst);
    to.changed(true, false);
    Ok(n)
}

/// The destination of a send without a name: the peer (ENOTCONN if none).
fn peer_of(u: &UnixSocket) -> Result<Arc<UnixSocket>, Errno> {
    u.lock().peer.clone().ok_or(Errno::ENOTCONN)
}

/// A datagram or SEQPACKET send: one message to `name` (datagrams only)
/// or the peer. A blocking sender waits for room in its own send buffer
/// and in a receiver that is not connected back to it. The checks come
/// in Linux's order: the name, the size, this end's shutdown, then the
/// destination (ENOTCONN without one).
pub(super) fn send(
    cx: &mut Cx,
    s: &SocketFile,
    u: &Arc<UnixSocket>,
    segs: &Segs,
    nonblock: bool,
    name: Option<&[u8]>,
    scm: Scm,
) -> SysResult {
    let dst = name.map(UnixAddr::parse).transpose()?;
    autobind_if_passcred(cx, u)?;
    let total = segs.total();
    if total > max_message(u) as u64 {
        return Err(Errno::EMSGSIZE);
    }
    if u.lock().shutdown & SEND_SHUTDOWN != 0 {
        return Err(Errno::EPIPE);
    }
    let to = match &dst {
        Some(a) => find(cx, a, u.kind)?,
        None => peer_of(u)?,
    };
    let mut data = alloc::vec![0u8; total as usize];
    segs.gather(cx, 0, &mut data)?;
    let cred = scm.cred.unwrap_or(Ucred::of(cx.p));
    let mut msg = Some((data, scm.files, cred));
    let timeout = s.opts.lock().sndtimeo;
    let n = block(
        cx,
        nonblock,
        timeout,
        &mut || !matches!(deliver(u, &to, &mut None), Err(Errno::EAGAIN)),
        &mut || deliver(u, &to, &mut msg),
    )?;
    Ok(n as u64)
}

/// write(2) through the file: one message to the peer, no waiting.
pub(super) fn put_to_peer(u: &Arc<UnixSocket>, cred: Ucred, data: &[u8]) -> Result<usize, Errno> {
    if u.kind == Kind::Seqpacket && !matches!(u.lock().conn, Conn::Connected) {
        return Err(Errno::ENOTCONN);
    }
    if data.len() > max_message(u) {
        return Err(Errno::EMSGSIZE);
    }
    if u.lock().shutdown & SEND_SHUTDOWN != 0 {
        return Err(Errno::EPIPE);
    }
    let to = peer_of(u)?;
    deliver(u, &to, &mut Some((data.to_vec(), Vec::new(), cred)))
}

/// connect(2) for a datagram socket: sets (or with AF_UNSPEC clears) the
/// default destination, which must not be connected to someone else
/// (EPERM). A socket that changes peers drops what it had received.
pub fn connect_dgram(cx: &mut Cx, u: &Arc<UnixSocket>, raw: &[u8]) -> SysResult {
    if raw.len() < 2 {
        return Err(Errno::EINVAL);
    }
    let to = if family(raw) == crate::net::addr::AF_UNSPEC {
        None
    } else {
        let addr = UnixAddr::parse(raw)?;
        autobind_if_passcred(cx, u)?;
        let to = find(cx, &addr, u.kind)?;
        let tst = to.lock();
        if tst.peer.is_some() && !same(u, tst.peer.as_ref()) {
            return Err(Errno::EPERM);
        }
        drop(tst);
        Some(to)
    };
    let old = core::mem::replace(&mut u.lock().peer, to.clone());
    if let Some(old) = old {
        let same_peer = to.as_ref().is_some_and(|t| Arc::ptr_eq(t, &old));
        if !same_peer {
            disconnected(u, &old);
        }
    }
    u.changed(false, true);
    Ok(0)
}
