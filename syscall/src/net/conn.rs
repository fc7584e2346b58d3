//! socket, socketpair, bind, listen, accept, accept4, connect, shutdown,
//! getsockname, getpeername.

use super::addr::{check_addrlen, encode, read_raw, read_sockaddr, write_sockaddr};
use super::addr::{AF_INET, AF_UNSPEC};
use super::file::{nonblocking, socket_of, Sock, SocketFile};
use super::unix;
use super::wait::{block_on, kick, Want};
use crate::{Cx, Errno, SysResult};
use lintel_net::{Shutdown, TcpSocket, UdpSocket};

const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const SOCK_RAW: u32 = 3;
/// Types are below this (SOCK_PACKET is 10).
const SOCK_MAX: u32 = 11;
const SOCK_TYPE_MASK: u32 = 0xf;
pub(crate) const SOCK_NONBLOCK: u32 = 0o4000;
pub(crate) const SOCK_CLOEXEC: u32 = 0o2000000;
/// Address families are below this (Linux's NPROTO).
const NPROTO: u32 = 46;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;

/// Installs `s` as a new fd with the SOCK_NONBLOCK/SOCK_CLOEXEC `flags`.
pub(super) fn install(cx: &mut Cx, s: alloc::sync::Arc<SocketFile>, flags: u32) -> SysResult {
    crate::fs::install_special(cx, s, flags)
}

/// socket(2): AF_INET stream (TCP) and datagram (UDP) sockets, and
/// AF_UNIX ones (`unix`). Every other family (AF_INET6 included) is
/// EAFNOSUPPORT; raw sockets are EPROTONOSUPPORT with protocol 0 (as
/// Linux) and ESOCKTNOSUPPORT otherwise (Linux would make one; Lintel has
/// none).
pub fn sys_socket(cx: &mut Cx, domain: u64, ty: u64, protocol: u64) -> SysResult {
    let (domain, ty, protocol) = (domain as u32, ty as u32, protocol as u32);
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let base = ty & SOCK_TYPE_MASK;
    if base >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if domain == u32::from(unix::AF_UNIX) {
        return unix::socket(cx, base, protocol, flags);
    }
    if domain >= NPROTO || domain != AF_INET as u32 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let net = super::stack();
    let sock = match (base, protocol) {
        (SOCK_STREAM, 0 | IPPROTO_TCP) => Sock::Tcp(TcpSocket::new(net)),
        (SOCK_DGRAM, 0 | IPPROTO_UDP) => Sock::Udp(UdpSocket::new(net)),
        (SOCK_STREAM | SOCK_DGRAM, _) | (SOCK_RAW, 0) => return Err(Errno::EPROTONOSUPPORT),
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    install(cx, SocketFile::new(sock, None), flags)
}

/// socketpair(2): AF_UNIX only (AF_INET has none: EOPNOTSUPP, as Linux).
pub fn sys_socketpair(cx: &mut Cx, domain: u64, ty: u64, protocol: u64, sv: u64) -> SysResult {
    let (ty, protocol) = (ty as u32, protocol as u32);
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 || ty & SOCK_TYPE_MASK >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    match domain as u32 {
        1 => unix::socketpair(cx, ty & SOCK_TYPE_MASK, protocol, flags, sv),
        2 => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

pub fn sys_bind(cx: &mut Cx, fd: u64, addr: u64, len: u64) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    if let Sock::Unix(u) = &s.sock {
        let raw = read_raw(cx, addr, len)?;
        return unix::bind(cx, u, &raw);
    }
    let sa = read_sockaddr(cx, addr, len)?;
    if sa.len < super::addr::SOCKADDR_IN_LEN {
        return Err(Errno::EINVAL);
    }
    // Linux accepts AF_UNSPEC for INADDR_ANY only (old programs pass it).
    let a = match sa.family {
        AF_INET => sa.addr,
        AF_UNSPEC if sa.addr.ip().is_unspecified() => sa.addr,
        _ => return Err(Errno::EAFNOSUPPORT),
    };
    match &s.sock {
        Sock::Tcp(t) => t.bind(a)?,
        Sock::Udp(u) => u.bind(a)?,
        Sock::Unix(_) => return Err(Errno::EAFNOSUPPORT),
    }
    Ok(0)
}

pub fn sys_listen(cx: &mut Cx, fd: u64, backlog: u64) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    if let Sock::Unix(u) = &s.sock {
        return unix::listen(cx, u, backlog);
    }
    let t = s.tcp().ok_or(Errno::EOPNOTSUPP)?;
    t.listen(backlog as i32)?;
    kick(cx);
    Ok(0)
}

pub fn sys_accept(cx: &mut Cx, fd: u64, addr: u64, lenp: u64) -> SysResult {
    sys_accept4(cx, fd, addr, lenp, 0)
}

/// accept4(2): the new socket does not inherit O_NONBLOCK (only `flags`
/// set it), but does inherit the listener's options.
pub fn sys_accept4(cx: &mut Cx, fd: u64, addr: u64, lenp: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (f, s) = socket_of(cx, fd)?;
    if let Sock::Unix(u) = &s.sock {
        return unix::accept(cx, &f, &s, u, addr, lenp, flags);
    }
    let t = s.tcp().ok_or(Errno::EOPNOTSUPP)?;
    check_addrlen(cx, addr, lenp)?;
    let timeout = s.opts.lock().rcvtimeo;
    let (conn, peer) = block_on(cx, &s, nonblocking(&f), Want::Read, timeout, &mut || {
        t.accept()
    })?;
    kick(cx);
    let opts = *s.opts.lock();
    let new = SocketFile::new(Sock::Tcp(conn), Some(opts));
    let nfd = install(cx, new, flags)?;
    if addr == 0 {
        return Ok(nfd);
    }
    if let Err(e) = write_sockaddr(cx, addr, lenp, &encode(peer)) {
        // As Linux: the connection is taken, the fd is not handed out.
        let _ = cx.p.fds.remove(nfd as i32);
        return Err(e);
    }
    Ok(nfd)
}

/// connect(2). TCP: EINPROGRESS for a non-blocking socket, else waits
/// (SO_SNDTIMEO bounds it: then EINPROGRESS, as Linux); AF_UNSPEC
/// disconnects. UDP: sets the default peer.
pub fn sys_connect(cx: &mut Cx, fd: u64, addr: u64, len: u64) -> SysResult {
    let (f, s) = socket_of(cx, fd)?;
    if let Sock::Unix(u) = &s.sock {
        let raw = read_raw(cx, addr, len)?;
        return match u.kind {
            unix::Kind::Dgram => unix::connect_dgram(cx, u, &raw),
            _ => unix::connect_stream(cx, &f, &s, u, &raw),
        };
    }
    let sa = read_sockaddr(cx, addr, len)?;
    if sa.len < 2 {
        return Err(Errno::EINVAL);
    }
    if sa.family == AF_UNSPEC {
        match &s.sock {
            Sock::Tcp(t) => t.disconnect()?,
            Sock::Udp(u) => u.disconnect()?,
            Sock::Unix(_) => {}
        }
        kick(cx);
        return Ok(0);
    }
    let dst = sa.inet()?;
    let t = match &s.sock {
        Sock::Udp(u) => {
            u.connect(dst)?;
            return Ok(0);
        }
        Sock::Tcp(t) => t,
        Sock::Unix(_) => return Err(Errno::EAFNOSUPPORT),
    };
    let nonblock = nonblocking(&f);
    match t.connect(dst) {
        Err(Errno::EINPROGRESS) => {}
        // A blocking connect interrupted by a signal and restarted waits on.
        Err(Errno::EALREADY) if !nonblock => {}
        r => return r.map(|_| 0),
    }
    kick(cx);
    if nonblock {
        return Err(Errno::EINPROGRESS);
    }
    let timeout = s.opts.lock().sndtimeo;
    let r = block_on(
        cx,
        &s,
        false,
        Want::Write,
        timeout,
        &mut || match t.finish_connect() {
            Err(Errno::EALREADY) => Err(Errno::EAGAIN),
            r => r,
        },
    );
    match r {
        Err(Errno::EAGAIN) => Err(Errno::EINPROGRESS),
        r => r.map(|_| 0),
    }
}

pub fn sys_shutdown(cx: &mut Cx, fd: u64, how: u64) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    if let Sock::Unix(u) = &s.sock {
        return unix::shutdown(u, how);
    }
    let how = match how as u32 {
        0 => Shutdown::Read,
        1 => Shutdown::Write,
        2 => Shutdown::Both,
        _ => return Err(Errno::EINVAL),
    };
    let r = match &s.sock {
        Sock::Tcp(t) => t.shutdown(how),
        Sock::Udp(u) => u.shutdown(how),
        Sock::Unix(_) => Ok(()),
    };
    kick(cx);
    r.map(|_| 0)
}

pub fn sys_getsockname(cx: &mut Cx, fd: u64, addr: u64, lenp: u64) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    let a = match &s.sock {
        Sock::Tcp(t) => t.local_addr(),
        Sock::Udp(u) => u.local_addr(),
        Sock::Unix(u) => {
            return write_sockaddr(cx, addr, lenp, &unix::getname(u, false)?).map(|_| 0)
        }
    };
    write_sockaddr(cx, addr, lenp, &encode(a)).map(|_| 0)
}

pub fn sys_getpeername(cx: &mut Cx, fd: u64, addr: u64, lenp: u64) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    let a = match &s.sock {
        Sock::Tcp(t) => t.peer_addr()?,
        Sock::Udp(u) => u.peer_addr()?,
        Sock::Unix(u) => {
            return write_sockaddr(cx, addr, lenp, &unix::getname(u, true)?).map(|_| 0)
        }
    };
    write_sockaddr(cx, addr, lenp, &encode(a)).map(|_| 0)
}
