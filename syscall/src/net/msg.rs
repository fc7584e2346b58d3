//! sendto, recvfrom, sendmsg, recvmsg: data through user buffers
//! (iovecs), MSG_* flags, SIGPIPE.

use super::addr::{encode, read_raw, read_sockaddr, write_sockaddr, AF_INET, AF_UNSPEC};
use super::file::{nonblocking, socket_of, Sock, SocketFile};
use super::unix;
use super::wait::{block_on, kick, Want};
use crate::abi::{Iovec, Msghdr};
use crate::user::{read_bytes, read_val, write_bytes, write_val};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_net::{SocketAddrV4, UDP_MAX_PAYLOAD};
use lintel_vfs::FileRef;

pub(super) const MSG_OOB: u32 = 0x1;
pub(super) const MSG_PEEK: u32 = 0x2;
pub(super) const MSG_CTRUNC: u32 = 0x8;
pub(super) const MSG_TRUNC: u32 = 0x20;
pub(super) const MSG_DONTWAIT: u32 = 0x40;
pub(super) const MSG_WAITALL: u32 = 0x100;
const MSG_ERRQUEUE: u32 = 0x2000;
const MSG_NOSIGNAL: u32 = 0x4000;
pub(super) const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

/// Linux's MAX_RW_COUNT.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// Data moves through the process's kernel buffer this much at a time.
pub(super) const CHUNK: usize = 256 * 1024;
/// net.core.optmem_max: sendmsg's control buffer must be smaller.
const OPTMEM_MAX: u64 = 131072;
/// sizeof(struct sockaddr_storage): sendmsg cuts a longer msg_namelen.
const NAME_MAX: u64 = 128;

/// The user buffers of one call, as one byte sequence.
pub(super) struct Segs(pub Vec<Iovec>);

impl Segs {
    pub(super) fn total(&self) -> u64 {
        self.0.iter().map(|s| s.len).sum::<u64>().min(MAX_RW_COUNT)
    }

    /// The (address, length) pieces of user memory that hold bytes
    /// `at..at+n` of the sequence, in order.
    fn spans(&self, mut at: u64, n: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        let mut left = n;
        self.0.iter().filter_map(move |s| {
            if left == 0 {
                return None;
            }
            if at >= s.len {
                at -= s.len;
                return None;
            }
            let k = (s.len - at).min(left);
            let piece = (s.base + at, k);
            left -= k;
            at = 0;
            Some(piece)
        })
    }

    /// Copies bytes `at..at+out.len()` of the sequence into `out`.
    pub(super) fn gather(&self, cx: &mut Cx, at: u64, out: &mut [u8]) -> Result<(), Errno> {
        let mut done = 0;
        for (base, k) in self.spans(at, out.len() as u64) {
            read_bytes(cx.k, &cx.p.mm, base, &mut out[done..done + k as usize])?;
            done += k as usize;
        }
        Ok(())
    }

    /// Checks that the first `n` bytes are writable and makes them present,
    /// so data taken from a socket is never lost to a bad buffer.
    pub(super) fn prepare(&self, cx: &mut Cx, n: usize) -> Result<(), Errno> {
        self.prepare_at(cx, 0, n)
    }

    /// `prepare` for bytes `at..at+n`.
    pub(super) fn prepare_at(&self, cx: &mut Cx, at: u64, n: usize) -> Result<(), Errno> {
        for (base, k) in self.spans(at, n as u64) {
            crate::user::prepare(cx.k, &cx.p.mm, base, k, true)?;
        }
        Ok(())
    }

    /// Copies `data` to bytes `at..` of the sequence.
    pub(super) fn scatter(&self, cx: &mut Cx, at: u64, data: &[u8]) -> Result<(), Errno> {
        let mut done = 0;
        for (base, k) in self.spans(at, data.len() as u64) {
            write_bytes(cx.k, &cx.p.mm, base, &data[done..done + k as usize])?;
            done += k as usize;
        }
        Ok(())
    }
}

fn take_buf(cx: &mut Cx, n: usize) -> Vec<u8> {
    let mut b = core::mem::take(&mut cx.p.io_buf);
    if b.len() < n {
        b.resize(n, 0);
    }
    b
}

/// A send that found the connection broken also raises SIGPIPE, unless
/// MSG_NOSIGNAL (Linux's sk_stream_error) or the socket never does.
fn sigpipe(cx: &mut Cx, s: &SocketFile, flags: u32, r: SysResult) -> SysResult {
    if r == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 && s.epipe_signals() {
        crate::signal::raise(cx.p, crate::signal::SIGPIPE);
    }
    r
}

fn is_nonblock(f: &FileRef, flags: u32) -> bool {
    nonblocking(f) || flags & MSG_DONTWAIT != 0
}

/// Sends the bytes of `segs`. TCP: a blocking socket queues all of it
/// (returning less only when a signal or an error interrupts after some
/// progress); a non-blocking one what fits. UDP: one datagram.
fn send_core(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    segs: &Segs,
    flags: u32,
    dst: Option<SocketAddrV4>,
) -> SysResult {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let nonblock = is_nonblock(f, flags);
    let timeout = s.opts.lock().sndtimeo;
    let total = segs.total();
    let r = match &s.sock {
        Sock::Unix(_) => return Err(Errno::EAFNOSUPPORT),
        Sock::Udp(u) => {
            if total > UDP_MAX_PAYLOAD as u64 {
                return Err(Errno::EMSGSIZE);
            }
            let mut data = alloc::vec![0u8; total as usize];
            segs.gather(cx, 0, &mut data)?;
            block_on(cx, s, nonblock, Want::Write, timeout, &mut || {
                u.send_to(&data, dst)
            })
            .map(|n| n as u64)
        }
        Sock::Tcp(t) => {
            if total == 0 {
                return t.send(&[]).map(|n| n as u64);
            }
            let mut buf = take_buf(cx, (total as usize).min(CHUNK));
            let mut done = 0u64;
            let r = 'out: loop {
                let n = ((total - done) as usize).min(CHUNK);
                if let Err(e) = segs.gather(cx, done, &mut buf[..n]) {
                    break 'out if done > 0 { Ok(done) } else { Err(e) };
                }
                let mut off = 0;
                while off < n {
                    let chunk = &buf[off..n];
                    // After progress a non-blocking socket returns what it took.
                    let nb = nonblock && done + off as u64 > 0;
                    let r = if nb {
                        t.send(chunk)
                    } else {
                        block_on(cx, s, nonblock, Want::Write, timeout, &mut || t.send(chunk))
                    };
                    match r {
                        Ok(k) => off += k,
                        Err(e) => {
                            let sent = done + off as u64;
                            break 'out if sent > 0 { Ok(sent) } else { Err(e) };
                        }
                    }
                }
                done += n as u64;
                if done == total {
                    break Ok(done);
                }
            };
            cx.p.io_buf = buf;
            r
        }
    };
    kick(cx);
    r
}

/// What a receive returned: the call's result, the sender's encoded name
/// (None: no name, length 0), msg_flags, and the control messages.
pub(super) struct Received {
    pub ret: u64,
    pub name: Option<Vec<u8>>,
    pub flags: u32,
    pub control: Vec<u8>,
}

fn recv_core(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    segs: &Segs,
    flags: u32,
) -> Result<Received, Errno> {
    if flags & MSG_ERRQUEUE != 0 {
        // No error queue: nothing is ever on it.
        return Err(Errno::EAGAIN);
    }
    let nonblock = is_nonblock(f, flags);
    let peek = flags & MSG_PEEK != 0;
    let timeout = s.opts.lock().rcvtimeo;
    let total = segs.total();
    match &s.sock {
        Sock::Unix(_) => Err(Errno::EAFNOSUPPORT),
        Sock::Udp(u) => {
            if flags & MSG_OOB != 0 {
                return Err(Errno::EOPNOTSUPP);
            }
            let mut buf = alloc::vec![0u8; (total as usize).min(UDP_MAX_PAYLOAD)];
            segs.prepare(cx, buf.len())?;
            let d = block_on(cx, s, nonblock, Want::Read, timeout, &mut || {
                u.recv_from(&mut buf, peek)
            })?;
            segs.scatter(cx, 0, &buf[..d.copied])?;
            let ret = if flags & MSG_TRUNC != 0 {
                d.len
            } else {
                d.copied
            };
            Ok(Received {
                ret: ret as u64,
                name: Some(encode(d.from).to_vec()),
                flags: if d.len > d.copied { MSG_TRUNC } else { 0 },
                control: Vec::new(),
            })
        }
        Sock::Tcp(t) => {
            if flags & MSG_OOB != 0 {
                // No urgent data is ever kept (Linux: EINVAL when there is none).
                return Err(Errno::EINVAL);
            }
            segs.prepare(cx, (total as usize).min(CHUNK))?;
            let mut buf = take_buf(cx, (total as usize).min(CHUNK));
            let mut done = 0u64;
            let mut r = Ok(());
            loop {
                let n = ((total - done) as usize).min(CHUNK);
                let chunk = &mut buf[..n];
                let got = if done == 0 {
                    block_on(cx, s, nonblock, Want::Read, timeout, &mut || {
                        t.recv(chunk, peek)
                    })
                } else {
                    block_on(cx, s, nonblock, Want::Read, timeout, &mut || {
                        t.recv(chunk, false)
                    })
                };
                let got = match got {
                    Ok(g) => g,
                    Err(e) if done == 0 => {
                        r = Err(e);
                        break;
                    }
                    Err(_) => break,
                };
                if let Err(e) = segs.scatter(cx, done, &buf[..got]) {
                    if done == 0 {
                        r = Err(e);
                    }
                    break;
                }
                done += got as u64;
                // MSG_WAITALL goes on until the buffers are full or the stream ends.
                if got == 0 || done == total || peek || flags & MSG_WAITALL == 0 {
                    break;
                }
            }
            cx.p.io_buf = buf;
            kick(cx);
            r.map(|_| Received {
                ret: done,
                name: None,
                flags: 0,
                control: Vec::new(),
            })
        }
    }
}

/// The destination of a sendto/sendmsg: None for none (or a TCP socket,
/// which ignores it as Linux does, after copying it in).
fn destination(
    cx: &mut Cx,
    s: &SocketFile,
    addr: u64,
    len: u64,
) -> Result<Option<SocketAddrV4>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let sa = read_sockaddr(cx, addr, len)?;
    if s.is_tcp() {
        return Ok(None);
    }
    if sa.len < super::addr::SOCKADDR_IN_LEN {
        return Err(Errno::EINVAL);
    }
    match sa.family {
        AF_INET | AF_UNSPEC => Ok(Some(sa.addr)),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

/// A send on any socket: `name` is the destination's (pointer, length),
/// `control` the control messages.
fn send_any(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    segs: &Segs,
    flags: u32,
    name: (u64, u64),
    control: &[u8],
) -> SysResult {
    if s.unix_socket().is_some() {
        let raw = match name {
            (0, _) | (_, 0) => None,
            (p, n) => Some(read_raw(cx, p, n)?),
        };
        return unix::send(cx, f, s, segs, flags, raw.as_deref(), control);
    }
    let dst = destination(cx, s, name.0, name.1)?;
    send_core(cx, f, s, segs, flags, dst)
}

/// A receive on any socket: `ctl` is the control buffer's room (None
/// without one).
fn recv_any(
    cx: &mut Cx,
    f: &FileRef,
    s: &SocketFile,
    segs: &Segs,
    flags: u32,
    ctl: Option<usize>,
) -> Result<Received, Errno> {
    match &s.sock {
        Sock::Unix(u) => unix::recv(cx, f, s, u, segs, flags, ctl),
        _ => recv_core(cx, f, s, segs, flags),
    }
}

/// read, write, readv and writev on a socket: one recvmsg or sendmsg
/// without flags, as Linux's sock_read_iter/sock_write_iter (a message
/// stays one message; a blocking stream write sends everything). The
/// caller raises SIGPIPE.
pub(crate) fn socket_rw(cx: &mut Cx, f: &FileRef, iovs: Vec<Iovec>, write: bool) -> SysResult {
    let s = super::file::socket_file(f).ok_or(Errno::ENOTSOCK)?;
    let segs = Segs(iovs);
    if write {
        send_any(cx, f, &s, &segs, 0, (0, 0), &[])
    } else if segs.total() == 0 {
        Ok(0)
    } else {
        recv_any(cx, f, &s, &segs, 0, None).map(|r| r.ret)
    }
}

pub fn sys_sendto(
    cx: &mut Cx,
    fd: u64,
    buf: u64,
    len: u64,
    flags: u64,
    addr: u64,
    alen: u64,
) -> SysResult {
    let flags = flags as u32;
    let (f, s) = socket_of(cx, fd)?;
    let segs = Segs(alloc::vec![Iovec { base: buf, len }]);
    let r = send_any(cx, &f, &s, &segs, flags, (addr, alen), &[]);
    sigpipe(cx, &s, flags, r)
}

pub fn sys_recvfrom(
    cx: &mut Cx,
    fd: u64,
    buf: u64,
    len: u64,
    flags: u64,
    addr: u64,
    alen: u64,
) -> SysResult {
    let (f, s) = socket_of(cx, fd)?;
    let segs = Segs(alloc::vec![Iovec { base: buf, len }]);
    let r = recv_any(cx, &f, &s, &segs, flags as u32, None)?;
    if addr != 0 {
        // No name (TCP, an unbound AF_UNIX sender): length 0, as Linux.
        write_sockaddr(cx, addr, alen, r.name.as_deref().unwrap_or_default())?;
    }
    Ok(r.ret)
}

fn msg_segs(cx: &mut Cx, m: &Msghdr) -> Result<Segs, Errno> {
    Ok(Segs(crate::fs::read_iovecs(cx, m.iov, m.iovlen)?))
}

/// sendmsg's control buffer (Linux's ____sys_sendmsg: ENOBUFS when
/// larger than optmem_max allows, EFAULT when unreadable).
fn read_control(cx: &mut Cx, m: &Msghdr) -> Result<Vec<u8>, Errno> {
    if m.controllen == 0 {
        return Ok(Vec::new());
    }
    if m.controllen >= OPTMEM_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut b = alloc::vec![0u8; m.controllen as usize];
    read_bytes(cx.k, &cx.p.mm, m.control, &mut b)?;
    Ok(b)
}

pub fn sys_sendmsg(cx: &mut Cx, fd: u64, msg: u64, flags: u64) -> SysResult {
    let flags = flags as u32;
    let (f, s) = socket_of(cx, fd)?;
    let m: Msghdr = read_val(cx.k, &cx.p.mm, msg)?;
    let segs = msg_segs(cx, &m)?;
    let control = read_control(cx, &m)?;
    let name = (m.name, u64::from(m.namelen).min(NAME_MAX));
    let r = send_any(cx, &f, &s, &segs, flags, name, &control);
    sigpipe(cx, &s, flags, r)
}

pub fn sys_recvmsg(cx: &mut Cx, fd: u64, msg: u64, flags: u64) -> SysResult {
    let (f, s) = socket_of(cx, fd)?;
    let mut m: Msghdr = read_val(cx.k, &cx.p.mm, msg)?;
    let segs = msg_segs(cx, &m)?;
    let ctl = (m.control != 0).then_some(m.controllen.min(i32::MAX as u64) as usize);
    let r = recv_any(cx, &f, &s, &segs, flags as u32, ctl)?;
    if m.name != 0 {
        let name = r.name.as_deref().unwrap_or_default();
        let n = (m.namelen as usize).min(name.len());
        write_bytes(cx.k, &cx.p.mm, m.name, &name[..n])?;
        m.namelen = name.len() as u32;
    }
    write_bytes(cx.k, &cx.p.mm, m.control, &r.control)?;
    m.controllen = r.control.len() as u64;
    m.flags = r.flags as i32;
    write_val(cx.k, &cx.p.mm, msg, &m)?;
    Ok(r.ret)
}
