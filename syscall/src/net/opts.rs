//! setsockopt and getsockopt: the options nginx, redis and common
//! programs use. Unknown options are ENOPROTOOPT, as on Linux.
//!
//! Stored without effect, where Linux's semantics allow it:
//! - SO_RCVBUF/SO_SNDBUF: reported as Linux would (doubled, clamped);
//!   the buffers stay `lintel_net`'s fixed size.
//! - SO_LINGER with a non-zero timeout: close() does not wait (it never
//!   blocks); a zero timeout does reset the connection, as on Linux.
//! - TCP_DEFER_ACCEPT: accept() returns connections before data arrives
//!   (Linux does too once the timeout passes).
//! - TCP_CORK: data is not held back for coalescing (only packet
//!   boundaries differ, never the stream).
//! - TCP_KEEPINTVL, TCP_KEEPCNT: stored; probes follow smoltcp's timing.
//! - SO_RCVLOWAT, SO_OOBINLINE: stored.
//! - AF_UNIX: SO_REUSEADDR/SO_REUSEPORT stored; SO_PASSCRED and SO_SNDBUF
//!   act; options of other levels are EOPNOTSUPP, as Linux.

use super::file::{socket_of, Sock, SocketFile};
use super::unix::Ucred;
use crate::abi::Timeval;
use crate::user::{read_bytes, read_val, write_bytes, write_val, Pod};
use crate::{Cx, Errno, SysResult};

const SOL_SOCKET: u32 = 1;
const IPPROTO_TCP: u32 = 6;

const SO_DEBUG: u32 = 1;
const SO_REUSEADDR: u32 = 2;
const SO_TYPE: u32 = 3;
const SO_ERROR: u32 = 4;
const SO_DONTROUTE: u32 = 5;
const SO_BROADCAST: u32 = 6;
const SO_SNDBUF: u32 = 7;
const SO_RCVBUF: u32 = 8;
const SO_KEEPALIVE: u32 = 9;
const SO_OOBINLINE: u32 = 10;
const SO_LINGER: u32 = 13;
const SO_REUSEPORT: u32 = 15;
const SO_PASSCRED: u32 = 16;
const SO_PEERCRED: u32 = 17;
const SO_RCVLOWAT: u32 = 18;
const SO_RCVTIMEO: u32 = 20;
const SO_SNDTIMEO: u32 = 21;
const SO_ACCEPTCONN: u32 = 30;
const SO_PROTOCOL: u32 = 38;
const SO_DOMAIN: u32 = 39;

const TCP_NODELAY: u32 = 1;
const TCP_MAXSEG: u32 = 2;
const TCP_CORK: u32 = 3;
const TCP_KEEPIDLE: u32 = 4;
const TCP_KEEPINTVL: u32 = 5;
const TCP_KEEPCNT: u32 = 6;
const TCP_DEFER_ACCEPT: u32 = 9;

/// Linux's defaults for net.core.{r,w}mem_max and the minimum buffers.
const MEM_MAX: i32 = 212992;
const MIN_RCVBUF: i32 = 2304;
const MIN_SNDBUF: i32 = 4608;
/// Linux's MAX_TCP_KEEPIDLE / KEEPINTVL and MAX_TCP_KEEPCNT.
const MAX_KEEP_SECS: i32 = 32767;
const MAX_KEEPCNT: i32 = 127;
const MSS: i32 = 1460;

/// The int at `val` (EINVAL when `len` is shorter).
fn int_arg(cx: &mut Cx, val: u64, len: u64) -> Result<i32, Errno> {
    if (len as u32) < 4 {
        return Err(Errno::EINVAL);
    }
    read_val(cx.k, &cx.p.mm, val)
}

fn timeval_arg(cx: &mut Cx, val: u64, len: u64) -> Result<u64, Errno> {
    if (len as u32 as usize) < Timeval::SIZE {
        return Err(Errno::EINVAL);
    }
    let tv: Timeval = read_val(cx.k, &cx.p.mm, val)?;
    let (sec, usec) = (tv.sec as i64, tv.usec as i64);
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    // A negative timeout means none, as Linux.
    if sec < 0 {
        return Ok(0);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(usec as u64 * 1000))
}

pub fn sys_setsockopt(
    cx: &mut Cx,
    fd: u64,
    level: u64,
    name: u64,
    val: u64,
    len: u64,
) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    match (level as u32, name as u32) {
        (SOL_SOCKET, n) => set_socket(cx, &s, n, val, len)?,
        (IPPROTO_TCP, n) if s.is_tcp() => set_tcp(cx, &s, n, val, len)?,
        _ if s.unix_socket().is_some() => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

fn set_socket(cx: &mut Cx, s: &SocketFile, name: u32, val: u64, len: u64) -> Result<(), Errno> {
    match name {
        SO_RCVTIMEO | SO_SNDTIMEO => {
            let ns = timeval_arg(cx, val, len)?;
            let mut o = s.opts.lock();
            if name == SO_RCVTIMEO {
                o.rcvtimeo = ns;
            } else {
                o.sndtimeo = ns;
            }
            return Ok(());
        }
        SO_LINGER => {
            if (len as u32) < 8 {
                return Err(Errno::EINVAL);
            }
            let mut b = [0u8; 8];
            read_bytes(cx.k, &cx.p.mm, val, &mut b)?;
            let onoff = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let secs = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            s.opts.lock().linger = (i32::from(onoff != 0), secs);
            if let Some(t) = s.tcp() {
                t.set_linger_abort(onoff != 0 && secs == 0);
            }
            return Ok(());
        }
        _ => {}
    }
    let v = int_arg(cx, val, len)?;
    let on = v != 0;
    match (name, &s.sock) {
        (SO_REUSEADDR, Sock::Tcp(t)) => t.set_reuseaddr(on),
        (SO_REUSEADDR, Sock::Udp(u)) => u.set_reuseaddr(on),
        (SO_REUSEPORT, Sock::Tcp(t)) => t.set_reuseport(on),
        (SO_REUSEPORT, Sock::Udp(u)) => u.set_reuseport(on),
        (SO_REUSEADDR, Sock::Unix(_)) => s.opts.lock().reuseaddr = on,
        (SO_REUSEPORT, Sock::Unix(_)) => s.opts.lock().reuseport = on,
        (SO_PASSCRED, Sock::Unix(u)) => u.set_passcred(on),
        (SO_BROADCAST, Sock::Udp(u)) => u.set_broadcast(on),
        (SO_BROADCAST, _) | (SO_DEBUG | SO_DONTROUTE | SO_PASSCRED, _) => {}
        (SO_KEEPALIVE, _) => {
            let mut o = s.opts.lock();
            o.keepalive = on;
            if let Some(t) = s.tcp() {
                t.set_keepalive(on.then_some(o.keepidle as u32));
            }
        }
        (SO_RCVBUF, _) => s.opts.lock().rcvbuf = doubled(v, MIN_RCVBUF),
        (SO_SNDBUF, _) => {
            let v = doubled(v, MIN_SNDBUF);
            s.opts.lock().sndbuf = v;
            if let Some(u) = s.unix_socket() {
                u.set_sndbuf(v as usize);
            }
        }
        (SO_RCVLOWAT, _) => s.opts.lock().rcvlowat = v.max(1),
        (SO_OOBINLINE, _) => s.opts.lock().oobinline = on,
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

/// What Linux stores for SO_RCVBUF/SO_SNDBUF `v`: twice the value (as
/// unsigned, clamped to the maximum), at least `min`.
fn doubled(v: i32, min: i32) -> i32 {
    ((v as u32).min(MEM_MAX as u32) as i32 * 2).max(min)
}

fn set_tcp(cx: &mut Cx, s: &SocketFile, name: u32, val: u64, len: u64) -> Result<(), Errno> {
    let v = int_arg(cx, val, len)?;
    let t = s.tcp().ok_or(Errno::ENOPROTOOPT)?;
    let mut o = s.opts.lock();
    match name {
        TCP_NODELAY => t.set_nodelay(v != 0),
        TCP_CORK => o.cork = v != 0,
        TCP_KEEPIDLE | TCP_KEEPINTVL if !(1..=MAX_KEEP_SECS).contains(&v) => {
            return Err(Errno::EINVAL)
        }
        TCP_KEEPIDLE => {
            o.keepidle = v;
            if o.keepalive {
                t.set_keepalive(Some(v as u32));
            }
        }
        TCP_KEEPINTVL => o.keepintvl = v,
        TCP_KEEPCNT if !(1..=MAX_KEEPCNT).contains(&v) => return Err(Errno::EINVAL),
        TCP_KEEPCNT => o.keepcnt = v,
        TCP_DEFER_ACCEPT => o.defer_accept = v.max(0),
        TCP_MAXSEG => {}
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

/// Linux stores TCP_DEFER_ACCEPT as SYN-ACK retransmits and reports them
/// back in seconds: the sum of the timeouts (1, 2, 4, ... s, at most 120)
/// that covers the value set (5 → 7).
fn defer_accept_reported(secs: i32) -> i32 {
    if secs <= 0 {
        return 0;
    }
    let (mut retrans, mut timeout, mut period) = (1, 1, 1);
    while secs > period && retrans < 255 {
        retrans += 1;
        timeout = (timeout * 2).min(120);
        period += timeout;
    }
    period
}

pub fn sys_getsockopt(
    cx: &mut Cx,
    fd: u64,
    level: u64,
    name: u64,
    val: u64,
    lenp: u64,
) -> SysResult {
    let (_, s) = socket_of(cx, fd)?;
    let len: i32 = read_val(cx.k, &cx.p.mm, lenp)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes: alloc::vec::Vec<u8> = match (level as u32, name as u32) {
        (SOL_SOCKET, SO_LINGER) => {
            let (on, secs) = s.opts.lock().linger;
            let mut b = on.to_le_bytes().to_vec();
            b.extend_from_slice(&secs.to_le_bytes());
            b
        }
        (SOL_SOCKET, n @ (SO_RCVTIMEO | SO_SNDTIMEO)) => {
            let o = s.opts.lock();
            let ns = if n == SO_RCVTIMEO {
                o.rcvtimeo
            } else {
                o.sndtimeo
            };
            let tv = Timeval {
                sec: ns / 1_000_000_000,
                usec: ns % 1_000_000_000 / 1000,
            };
            let mut b = [0u8; 16];
            tv.encode(&mut b);
            b.to_vec()
        }
        // Without a peer (or for AF_INET): pid 0 and the overflow ids.
        (SOL_SOCKET, SO_PEERCRED) => s
            .unix_socket()
            .map_or(Ucred::NONE, |u| u.peercred())
            .bytes()
            .to_vec(),
        (SOL_SOCKET, n) => get_socket(&s, n)?.to_le_bytes().to_vec(),
        (IPPROTO_TCP, n) if s.is_tcp() => get_tcp(&s, n)?.to_le_bytes().to_vec(),
        _ if s.unix_socket().is_some() => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (len as usize).min(bytes.len());
    write_bytes(cx.k, &cx.p.mm, val, &bytes[..n])?;
    write_val(cx.k, &cx.p.mm, lenp, &(n as i32))?;
    Ok(0)
}

fn get_socket(s: &SocketFile, name: u32) -> Result<i32, Errno> {
    let o = *s.opts.lock();
    let b = |v: bool| i32::from(v);
    Ok(match (name, &s.sock) {
        (SO_TYPE, Sock::Tcp(_)) => 1,
        (SO_TYPE, Sock::Udp(_)) => 2,
        (SO_TYPE, Sock::Unix(u)) => u.kind as i32,
        (SO_PROTOCOL, Sock::Tcp(_)) => 6,
        (SO_PROTOCOL, Sock::Udp(_)) => 17,
        (SO_PROTOCOL, Sock::Unix(_)) => 0,
        (SO_DOMAIN, Sock::Unix(_)) => 1,
        (SO_DOMAIN, _) => 2,
        (SO_ERROR, Sock::Tcp(t)) => t.take_error().map_or(0, |e| e.into_raw()),
        (SO_ERROR, Sock::Udp(u)) => u.take_error().map_or(0, |e| e.into_raw()),
        (SO_ERROR, Sock::Unix(u)) => u.take_error().map_or(0, |e| e.into_raw()),
        (SO_ACCEPTCONN, Sock::Tcp(t)) => b(t.is_listening()),
        (SO_ACCEPTCONN, Sock::Unix(u)) => b(u.is_listening()),
        (SO_ACCEPTCONN, Sock::Udp(_)) => 0,
        (SO_REUSEADDR, Sock::Tcp(t)) => b(t.reuseaddr()),
        (SO_REUSEADDR, Sock::Udp(u)) => b(u.reuseaddr()),
        (SO_REUSEADDR, Sock::Unix(_)) => b(o.reuseaddr),
        (SO_REUSEPORT, Sock::Tcp(t)) => b(t.reuseport()),
        (SO_REUSEPORT, Sock::Udp(u)) => b(u.reuseport()),
        (SO_REUSEPORT, Sock::Unix(_)) => b(o.reuseport),
        (SO_PASSCRED, Sock::Unix(u)) => b(u.passcred()),
        (SO_BROADCAST, Sock::Udp(u)) => b(u.broadcast()),
        (SO_BROADCAST | SO_DEBUG | SO_DONTROUTE | SO_PASSCRED, _) => 0,
        (SO_KEEPALIVE, _) => b(o.keepalive),
        (SO_RCVBUF, _) => o.rcvbuf,
        (SO_SNDBUF, _) => o.sndbuf,
        (SO_RCVLOWAT, _) => o.rcvlowat,
        (SO_OOBINLINE, _) => b(o.oobinline),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

fn get_tcp(s: &SocketFile, name: u32) -> Result<i32, Errno> {
    let o = *s.opts.lock();
    let t = s.tcp().ok_or(Errno::ENOPROTOOPT)?;
    Ok(match name {
        TCP_NODELAY => i32::from(t.nodelay()),
        TCP_CORK => i32::from(o.cork),
        TCP_KEEPIDLE => o.keepidle,
        TCP_KEEPINTVL => o.keepintvl,
        TCP_KEEPCNT => o.keepcnt,
        TCP_DEFER_ACCEPT => defer_accept_reported(o.defer_accept),
        TCP_MAXSEG => MSS,
        _ => return Err(Errno::ENOPROTOOPT),
    })
}
