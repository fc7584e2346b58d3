//! Receiving (both kinds: a stream glues messages, the others take one),
//! the send entry point, shutdown, and the wait every blocking call uses.

use super::queue::{Taken, Ucred};
use super::scm;
use super::{dgram, stream, Conn, Kind, State, UnixSocket};
use super::{RCV_SHUTDOWN, SEND_SHUTDOWN};
use crate::net::file::{nonblocking, SocketFile};
use crate::net::msg::{Received, Segs, CHUNK, MSG_DONTWAIT, MSG_OOB, MSG_PEEK, MSG_TRUNC};
use crate::net::msg::{MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_WAITALL};
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::FileRef;

/// Runs `op` until it stops answering EAGAIN, waiting for `ready` in
/// between. Non-blocking: EAGAIN at once. `timeout_ns` (SO_RCVTIMEO or
/// SO_SNDTIMEO, 0 for none) ends the wait with EAGAIN; a signal with
/// ERESTARTSYS, or EINTR when a timeout is set (Linux's sock_intr_errno).
pub(super) fn block<T>(
    cx: &mut Cx,
    nonblock: bool,
    timeout_ns: u64,
    ready: &mut dyn FnMut() -> bool,
    op: &mut dyn FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    let deadline = (timeout_ns > 0).then(|| cx.k.monotonic_ns().saturating_add(timeout_ns));
    loop {
        match op() {
            Err(Errno::EAGAIN) if !nonblock => {}
            r => return r,
        }
        if deadline.is_some_and(|d| cx.k.monotonic_ns() >= d) {
            return Err(Errno::EAGAIN);
        }
        if let Err(e) = cx.wait(ready, deadline) {
            return Err(if deadline.is_some() { Errno::EINTR } else { e });
        }
    }
}

/// One receive step without waiting: EAGAIN when the caller must wait.
/// Messages consumed are dropped here, once no lock is held.
pub(super) fn take(
    u: &UnixSocket,
    out: &mut [u8],
    flags: u32,
    nonblock: bool,
    t: &mut Taken,
) -> Result<usize, Errno> {
    let peek = flags & MSG_PEEK != 0;
    let mut done = Vec::new();
    let r = take_locked(u.kind, &mut u.lock(), out, peek, nonblock, t, &mut done);
    drop(done);
    r
}

fn take_locked(
    kind: Kind,
    st: &mut State,
    out: &mut [u8],
    peek: bool,
    nonblock: bool,
    t: &mut Taken,
    done: &mut Vec<super::queue::Msg>,
) -> Result<usize, Errno> {
    let connected = matches!(st.conn, Conn::Connected);
    if kind == Kind::Stream {
        if !connected {
            return Err(Errno::EINVAL);
        }
        if out.is_empty() {
            return Ok(0);
        }
        if st.queue.is_empty() {
            // Data first, then the error, then the end (POSIX's order).
            if let Some(e) = st.err.take() {
                return Err(e);
            }
            return if st.shutdown & RCV_SHUTDOWN != 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let passcred = st.passcred;
        return Ok(st.queue.stream_take(out, peek, passcred, t, done));
    }
    if kind == Kind::Seqpacket && !connected {
        return Err(Errno::ENOTCONN);
    }
    // Datagram reads report a pending error before any data.
    if let Some(e) = st.err.take() {
        return Err(e);
    }
    if let Some(n) = st.queue.dgram_take(out, peek, t, done) {
        return Ok(n);
    }
    // The end: always for SEQPACKET; a datagram socket only when it
    // would wait (a non-blocking one says EAGAIN, as Linux).
    if st.shutdown & RCV_SHUTDOWN != 0 && (kind == Kind::Seqpacket || !nonblock) {
        return Ok(0);
    }
    Err(Errno::EAGAIN)
}

/// Whether a receive would not wait.
fn readable(u: &UnixSocket) -> bool {
    u.poll().can_read()
}

/// recv, recvfrom, recvmsg: `ctl` is the control buffer's room (None
/// when msg_control is NULL).
pub fn recv(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    u: &UnixSocket,
    segs: &Segs,
    flags: u32,
    ctl: Option<usize>,
) -> Result<Received, Errno> {
    if flags & MSG_OOB != 0 {
        // No urgent data is ever queued: a stream says EINVAL, as Linux
        // with CONFIG_AF_UNIX_OOB; the others do not know the flag.
        return Err(if u.kind == Kind::Stream {
            Errno::EINVAL
        } else {
            Errno::EOPNOTSUPP
        });
    }
    let nonblock = nonblocking(f) || flags & MSG_DONTWAIT != 0;
    let peek = flags & MSG_PEEK != 0;
    let timeout = s.opts.lock().rcvtimeo;
    let total = segs.total() as usize;
    let mut t = Taken::default();
    let mut buf = alloc::vec![0u8; total.min(CHUNK)];
    segs.prepare(cx, buf.len())?;
    let mut n = block(cx, nonblock, timeout, &mut || readable(u), &mut || {
        take(u, &mut buf, flags, nonblock, &mut t)
    })?;
    let mut copied = 0;
    // MSG_WAITALL: a stream goes on until the buffers are full, the end,
    // an error, a signal, files, or a change of sender (SO_PASSCRED).
    let waitall = u.kind == Kind::Stream && flags & MSG_WAITALL != 0 && !peek;
    loop {
        segs.scatter(cx, copied as u64, &buf[..n])?;
        copied += n;
        if !waitall || n == 0 || copied == total || !t.files.is_empty() {
            break;
        }
        let want = (total - copied).min(CHUNK);
        if segs.prepare_at(cx, copied as u64, want).is_err() {
            break;
        }
        buf.resize(want, 0);
        n = match block(cx, nonblock, timeout, &mut || readable(u), &mut || {
            take(u, &mut buf[..want], 0, nonblock, &mut t)
        }) {
            Ok(k) => k,
            Err(_) => break,
        };
    }
    let mut out_flags = flags & MSG_CMSG_CLOEXEC;
    let ret = if u.kind != Kind::Stream && t.full > copied {
        out_flags |= MSG_TRUNC;
        if flags & MSG_TRUNC != 0 {
            t.full
        } else {
            copied
        }
    } else {
        copied
    };
    let cred = t.cred.filter(|_| u.passcred());
    let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
    let (control, ctrunc) = scm::control(cx, ctl, cloexec, cred, core::mem::take(&mut t.files));
    if ctrunc {
        out_flags |= MSG_CTRUNC;
    }
    Ok(Received {
        ret: ret as u64,
        name: t.from.as_ref().map(super::addr::UnixAddr::encode),
        flags: out_flags,
        control,
    })
}

/// send, sendto, sendmsg on the AF_UNIX socket `s`: `name` is the
/// destination given (if any), `control` the control messages.
pub fn send(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    segs: &Segs,
    flags: u32,
    name: Option<&[u8]>,
    control: &[u8],
) -> SysResult {
    let u = s.unix_socket().ok_or(Errno::EAFNOSUPPORT)?;
    if u.kind == Kind::Seqpacket && !matches!(u.lock().conn, Conn::Connected) {
        return Err(Errno::ENOTCONN);
    }
    let scm = scm::parse(cx, control)?;
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let nonblock = nonblocking(f) || flags & MSG_DONTWAIT != 0;
    match u.kind {
        Kind::Stream => stream::send(cx, s, u, segs, nonblock, name.is_some(), scm),
        // A SEQPACKET socket ignores a destination, as Linux.
        Kind::Seqpacket => dgram::send(cx, s, u, segs, nonblock, None, scm),
        Kind::Dgram => dgram::send(cx, s, u, segs, nonblock, name, scm),
    }
}

/// The file-level write (write(2) through `FileOps`, without waiting):
/// a stream takes what fits, a message goes whole to the peer.
pub(super) fn put(u: &Arc<UnixSocket>, cred: Ucred, data: &[u8]) -> Result<usize, Errno> {
    match u.kind {
        Kind::Stream => stream::put(u, cred, data, &mut Vec::new()),
        _ => dgram::put_to_peer(u, cred, data),
    }
}

/// sendfile's destination: as much of `data` as the socket takes, waiting
/// (unless `nonblock`) before the first byte.
pub fn write_some(
    cx: &mut Cx,
    s: &SocketFile,
    u: &Arc<UnixSocket>,
    data: &[u8],
    nonblock: bool,
) -> Result<usize, Errno> {
    let cred = Ucred::of(cx.p);
    let timeout = s.opts.lock().sndtimeo;
    block(
        cx,
        nonblock,
        timeout,
        &mut || u.poll().can_write(),
        &mut || put(u, cred, data),
    )
}

/// shutdown(2): this end, and the peer's other direction for a stream
/// or SEQPACKET connection (Linux's unix_shutdown; an unconnected socket
/// is no error).
pub fn shutdown(u: &UnixSocket, how: u64) -> SysResult {
    let mode = match how {
        0 => RCV_SHUTDOWN,
        1 => SEND_SHUTDOWN,
        2 => RCV_SHUTDOWN | SEND_SHUTDOWN,
        _ => return Err(Errno::EINVAL),
    };
    let peer = {
        let mut st = u.lock();
        st.shutdown |= mode;
        st.peer.clone()
    };
    u.changed(true, true);
    if let Some(p) = peer.filter(|_| u.kind != Kind::Dgram) {
        let mut peer_mode = 0;
        if mode & RCV_SHUTDOWN != 0 {
            peer_mode |= SEND_SHUTDOWN;
        }
        if mode & SEND_SHUTDOWN != 0 {
            peer_mode |= RCV_SHUTDOWN;
        }
        p.lock().shutdown |= peer_mode;
        p.changed(true, true);
    }
    Ok(0)
}

/// Whether an EPIPE from a send raises SIGPIPE: a stream's does; a
/// datagram or SEQPACKET socket's never does.
pub fn epipe_signals(u: &UnixSocket) -> bool {
    u.kind == Kind::Stream
}
