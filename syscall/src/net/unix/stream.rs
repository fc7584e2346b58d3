//! Connections (stream and SEQPACKET): listen, connect, accept, and the
//! byte stream's sending side.

use super::addr::UnixAddr;
use super::bind::{autobind_if_passcred, find};
use super::io::block;
use super::queue::{Msg, Ucred};
use super::scm::Scm;
use super::{Conn, Kind, UnixSocket, RCV_SHUTDOWN, SEND_SHUTDOWN, SOMAXCONN};
use crate::net::addr::write_sockaddr;
use crate::net::file::{nonblocking, SocketFile};
use crate::net::msg::{Segs, CHUNK};
use crate::{Cx, Errno, SysResult};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::FileRef;

/// The most one stream message holds: Linux's skb limit (half the send
/// buffer less 64 bytes, at most a head and 32 KiB of fragments).
fn segment_max(sndbuf: usize) -> usize {
    (sndbuf / 2).saturating_sub(64).clamp(1, 36544)
}

/// listen(2): EOPNOTSUPP for datagrams, EINVAL unbound or connected; a
/// second call only changes the backlog.
pub fn listen(cx: &mut Cx, u: &UnixSocket, backlog: u64) -> SysResult {
    if u.kind == Kind::Dgram {
        return Err(Errno::EOPNOTSUPP);
    }
    let max = (backlog as u32).min(SOMAXCONN) as usize;
    let cred = Ucred::peer_of(cx.p);
    let mut st = u.lock();
    if st.addr.is_none() {
        return Err(Errno::EINVAL);
    }
    match &mut st.conn {
        Conn::Connected => return Err(Errno::EINVAL),
        Conn::Listening { max: m, .. } => *m = max,
        c @ Conn::Unconnected => {
            *c = Conn::Listening {
                pending: VecDeque::new(),
                max,
                cred,
            }
        }
    }
    drop(st);
    u.changed(true, true);
    Ok(0)
}

/// Whether `l` would take a connection now (or refuse it: no wait).
fn accepts_now(l: &UnixSocket) -> bool {
    match &l.lock().conn {
        Conn::Listening { pending, max, .. } => pending.len() <= *max,
        _ => true,
    }
}

/// One connection attempt to the listener `l` (Linux's
/// unix_stream_connect after the lookup): ECONNREFUSED unless it
/// listens, EAGAIN while its backlog is full, then this socket's own
/// state (EISCONN, EINVAL for a listener).
fn connect_to(u: &Arc<UnixSocket>, l: &Arc<UnixSocket>, cred: Ucred) -> Result<(), Errno> {
    let (lcred, laddr) = {
        let st = l.lock();
        let Conn::Listening { pending, max, cred } = &st.conn else {
            return Err(Errno::ECONNREFUSED);
        };
        if st.dead || st.shutdown & RCV_SHUTDOWN != 0 {
            return Err(Errno::ECONNREFUSED);
        }
        if pending.len() > *max {
            return Err(Errno::EAGAIN);
        }
        (*cred, st.addr.clone())
    };
    // The server's end, made now: the client can send before accept.
    let embryo = UnixSocket::new(u.kind);
    {
        let mut st = u.lock();
        match st.conn {
            Conn::Connected => return Err(Errno::EISCONN),
            Conn::Listening { .. } => return Err(Errno::EINVAL),
            Conn::Unconnected => {}
        }
        st.conn = Conn::Connected;
        st.peer = Some(embryo.clone());
        st.peercred = Some(lcred);
    }
    {
        let mut e = embryo.lock();
        e.conn = Conn::Connected;
        e.peer = Some(u.clone());
        e.peercred = Some(cred);
        e.addr = laddr;
    }
    if let Conn::Listening { pending, .. } = &mut l.lock().conn {
        pending.push_back(embryo);
    }
    l.changed(true, false);
    u.changed(true, true);
    Ok(())
}

/// connect(2) for a stream or SEQPACKET socket: a blocking one waits
/// while the listener's backlog is full (SO_SNDTIMEO bounds it: EAGAIN).
pub fn connect_stream(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    u: &Arc<UnixSocket>,
    raw: &[u8],
) -> SysResult {
    let addr = UnixAddr::parse(raw)?;
    autobind_if_passcred(cx, u)?;
    let l = find(cx, &addr, u.kind)?;
    let cred = Ucred::peer_of(cx.p);
    let timeout = s.opts.lock().sndtimeo;
    block(
        cx,
        nonblocking(f),
        timeout,
        &mut || accepts_now(&l),
        &mut || connect_to(u, &l, cred),
    )?;
    Ok(0)
}

/// accept(2) and accept4(2): the new socket is the end connect made; it
/// inherits SO_PASSCRED. The peer's name goes to `addr`.
pub fn accept(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    u: &UnixSocket,
    addr: u64,
    lenp: u64,
    flags: u32,
) -> SysResult {
    if u.kind == Kind::Dgram {
        return Err(Errno::EOPNOTSUPP);
    }
    if !u.is_listening() {
        return Err(Errno::EINVAL);
    }
    crate::net::addr::check_addrlen(cx, addr, lenp)?;
    let timeout = s.opts.lock().rcvtimeo;
    let mut op = || {
        let mut st = u.lock();
        let passcred = st.passcred;
        match &mut st.conn {
            Conn::Listening { pending, .. } => pending
                .pop_front()
                .map(|e| (e, passcred))
                .ok_or(Errno::EAGAIN),
            _ => Err(Errno::EINVAL),
        }
    };
    let (e, passcred) = block(
        cx,
        nonblocking(f),
        timeout,
        &mut || u.poll().can_read(),
        &mut op,
    )?;
    u.changed(false, true);
    e.set_passcred(passcred);
    let peer_name = super::bind::getname(&e, true).unwrap_or_default();
    let nfd = crate::net::conn::install(cx, SocketFile::unix(e), flags)?;
    if addr != 0 {
        if let Err(err) = write_sockaddr(cx, addr, lenp, &peer_name) {
            let _ = cx.p.fds.remove(nfd as i32);
            return Err(err);
        }
    }
    Ok(nfd)
}

/// Whether a stream send can queue now, and where: the peer, this end's
/// name (the receiver's recvfrom shows it) and how much one message may
/// hold. EPIPE once either side stopped the direction or the peer went.
fn room(u: &UnixSocket) -> Result<(Arc<UnixSocket>, Option<UnixAddr>, usize), Errno> {
    let (peer, from) = {
        let st = u.lock();
        if st.shutdown & SEND_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        (st.peer.clone().ok_or(Errno::ENOTCONN)?, st.addr.clone())
    };
    {
        let pst = peer.lock();
        if pst.dead || pst.shutdown & RCV_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
    }
    let sndbuf = u.sndbuf();
    if u.wmem() >= sndbuf {
        return Err(Errno::EAGAIN);
    }
    Ok((peer, from, segment_max(sndbuf)))
}

/// One stream message of at most `data`'s first bytes, with `files` if
/// any are left to send; returns how many bytes went.
pub(super) fn put(
    u: &Arc<UnixSocket>,
    cred: Ucred,
    data: &[u8],
    files: &mut Vec<FileRef>,
) -> Result<usize, Errno> {
    let (peer, from, max) = room(u)?;
    let n = data.len().min(max);
    let msg = Msg::new(u, data[..n].to_vec(), core::mem::take(files), cred, from);
    let mut pst = peer.lock();
    pst.queue.push(msg);
    drop(pst);
    peer.changed(true, false);
    Ok(n)
}

/// A stream send: a blocking socket queues everything (returning less
/// only when a signal, a timeout or an error stops it after progress),
/// a non-blocking one what fits. Files go with the first message; with
/// no bytes nothing is sent, files included (as Linux).
pub(super) fn send(
    cx: &mut Cx,
    s: &SocketFile,
    u: &Arc<UnixSocket>,
    segs: &Segs,
    nonblock: bool,
    named: bool,
    scm: Scm,
) -> SysResult {
    {
        let st = u.lock();
        if named {
            return Err(if matches!(st.conn, Conn::Connected) {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            });
        }
        if st.peer.is_none() {
            return Err(Errno::ENOTCONN);
        }
        if st.shutdown & SEND_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
    }
    let total = segs.total();
    let cred = scm.cred.unwrap_or(Ucred::of(cx.p));
    let mut files = scm.files;
    let timeout = s.opts.lock().sndtimeo;
    let mut buf = alloc::vec![0u8; (total as usize).min(CHUNK)];
    let mut done = 0u64;
    while done < total {
        let n = ((total - done) as usize).min(CHUNK);
        if let Err(e) = segs.gather(cx, done, &mut buf[..n]) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        let mut off = 0;
        while off < n {
            let chunk = &buf[off..n];
            let r = block(
                cx,
                nonblock,
                timeout,
                &mut || !matches!(room(u), Err(Errno::EAGAIN)),
                &mut || put(u, cred, chunk, &mut files),
            );
            match r {
                Ok(k) => off += k,
                Err(e) => {
                    let sent = done + off as u64;
                    return if sent > 0 { Ok(sent) } else { Err(e) };
                }
            }
        }
        done += n as u64;
    }
    Ok(done)
}
