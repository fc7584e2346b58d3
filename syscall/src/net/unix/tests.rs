//! AF_UNIX on the host: socketpairs of each type, the byte stream and its
//! bounds, message boundaries, shutdown and the peer's close, EPIPE and
//! SIGPIPE.

use crate::testkit::TestBed;
use alloc::vec::Vec;

pub(super) const AF_UNIX: u64 = 1;
pub(super) const STREAM: u64 = 1;
pub(super) const DGRAM: u64 = 2;
pub(super) const SEQPACKET: u64 = 5;
pub(super) const NONBLOCK: u64 = 0o4000;
pub(super) const SOL_SOCKET: u64 = 1;
pub(super) const MSG_PEEK: u64 = 2;
pub(super) const MSG_TRUNC: u64 = 0x20;
pub(super) const MSG_DONTWAIT: u64 = 0x40;
pub(super) const MSG_NOSIGNAL: u64 = 0x4000;

pub(super) const EINTR: i32 = 4;
pub(super) const EBADF: i32 = 9;
pub(super) const EAGAIN: i32 = 11;
pub(super) const EFAULT: i32 = 14;
pub(super) const EINVAL: i32 = 22;
pub(super) const EPIPE: i32 = 32;
pub(super) const EMSGSIZE: i32 = 90;
pub(super) const EPROTOTYPE: i32 = 91;
pub(super) const EPROTONOSUPPORT: i32 = 93;
pub(super) const ESOCKTNOSUPPORT: i32 = 94;
pub(super) const EOPNOTSUPP: i32 = 95;
pub(super) const ECONNRESET: i32 = 104;
pub(super) const EISCONN: i32 = 106;
pub(super) const ENOTCONN: i32 = 107;
pub(super) const ECONNREFUSED: i32 = 111;

pub(super) const POLLIN: u16 = 0x1;
pub(super) const POLLOUT: u16 = 0x4;
pub(super) const POLLERR: u16 = 0x8;
pub(super) const POLLHUP: u16 = 0x10;
pub(super) const POLLRDHUP: u16 = 0x2000;

pub(super) fn err(v: u64) -> Option<i32> {
    TestBed::errno(v)
}

/// Scratch memory: small values at +0.., sockaddrs at +0x100 (slots of
/// 0x80), msghdrs, iovecs and control at +0x800.., data to send at
/// +0x1000, received data at +0x8000; `big` is 1 MiB for large moves.
pub(super) struct Ux {
    pub t: TestBed,
    pub mem: u64,
    pub big: u64,
}

impl Ux {
    pub fn new() -> Ux {
        let mut t = TestBed::new();
        let mem = t.scratch();
        let big = t.call("mmap", [0, 1 << 20, 3, 0x22, u64::MAX, 0]);
        assert!((big as i64) > 0);
        let mut u = Ux { t, mem, big };
        let tmp = u.t.cstr(u.mem + 0x40, "/tmp");
        assert_eq!(u.call("mkdir", [tmp, 0o777, 0, 0, 0, 0]), 0);
        u
    }

    pub fn call(&mut self, name: &str, a: [u64; 6]) -> u64 {
        self.t.call(name, a)
    }

    /// A call that must succeed.
    pub fn ok(&mut self, name: &str, a: [u64; 6]) -> u64 {
        let r = self.call(name, a);
        assert!(err(r).is_none(), "{name}: errno {:?}", err(r));
        r
    }

    pub fn socket(&mut self, ty: u64) -> u64 {
        self.ok("socket", [AF_UNIX, ty, 0, 0, 0, 0])
    }

    pub fn pair(&mut self, ty: u64) -> (u64, u64) {
        let sv = self.mem;
        self.ok("socketpair", [AF_UNIX, ty, 0, sv, 0, 0]);
        let b = self.t.peek(sv, 8);
        let fd = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64;
        (fd(0), fd(4))
    }

    pub fn close(&mut self, fd: u64) {
        self.ok("close", [fd, 0, 0, 0, 0, 0]);
    }

    /// sockaddr_un for a path in `slot`: (pointer, length with the NUL).
    pub fn path(&mut self, slot: u64, p: &str) -> (u64, u64) {
        let mut b = Vec::from(1u16.to_le_bytes());
        b.extend_from_slice(p.as_bytes());
        b.push(0);
        self.sockaddr(slot, &b)
    }

    /// sockaddr_un for an abstract name (the leading NUL is added).
    pub fn abstract_name(&mut self, slot: u64, n: &[u8]) -> (u64, u64) {
        let mut b = Vec::from(1u16.to_le_bytes());
        b.push(0);
        b.extend_from_slice(n);
        self.sockaddr(slot, &b)
    }

    pub fn sockaddr(&mut self, slot: u64, b: &[u8]) -> (u64, u64) {
        let at = self.mem + 0x100 + slot * 0x80;
        self.t.poke(at, b);
        (at, b.len() as u64)
    }

    pub fn send(&mut self, fd: u64, data: &[u8], flags: u64) -> u64 {
        self.sendto(fd, data, flags, (0, 0))
    }

    pub fn sendto(&mut self, fd: u64, data: &[u8], flags: u64, to: (u64, u64)) -> u64 {
        let at = self.mem + 0x1000;
        self.t.poke(at, data);
        self.call("sendto", [fd, at, data.len() as u64, flags, to.0, to.1])
    }

    pub fn recv(&mut self, fd: u64, n: usize, flags: u64) -> Result<Vec<u8>, i32> {
        let at = self.mem + 0x8000;
        let r = self.call("recvfrom", [fd, at, n as u64, flags, 0, 0]);
        match err(r) {
            Some(e) => Err(e),
            None => Ok(self.t.peek(at, (r as usize).min(n))),
        }
    }

    /// recvfrom with a name buffer: (data, the name's bytes).
    pub fn recvfrom(&mut self, fd: u64, n: usize) -> (Vec<u8>, Vec<u8>) {
        let (at, name, lenp) = (self.mem + 0x8000, self.mem + 0x700, self.mem + 0x7f8);
        self.t.poke(lenp, &128u32.to_le_bytes());
        let r = self.ok("recvfrom", [fd, at, n as u64, 0, name, lenp]);
        let l = u32::from_le_bytes(self.t.peek(lenp, 4).try_into().unwrap()) as usize;
        (self.t.peek(at, r as usize), self.t.peek(name, l))
    }

    /// getsockname or getpeername: the name's bytes.
    pub fn name(&mut self, call: &str, fd: u64) -> Result<Vec<u8>, i32> {
        let (a, l) = (self.mem + 0x700, self.mem + 0x7f8);
        self.t.poke(l, &128u32.to_le_bytes());
        let r = self.call(call, [fd, a, l, 0, 0, 0]);
        if let Some(e) = err(r) {
            return Err(e);
        }
        let n = u32::from_le_bytes(self.t.peek(l, 4).try_into().unwrap()) as usize;
        Ok(self.t.peek(a, n))
    }

    pub fn getopt(&mut self, fd: u64, level: u64, name: u64) -> Result<i32, i32> {
        let (v, l) = (self.mem + 0x80, self.mem + 0x88);
        self.t.poke(l, &4i32.to_le_bytes());
        let r = self.call("getsockopt", [fd, level, name, v, l, 0]);
        match err(r) {
            Some(e) => Err(e),
            None => Ok(i32::from_le_bytes(self.t.peek(v, 4).try_into().unwrap())),
        }
    }

    pub fn setopt(&mut self, fd: u64, level: u64, name: u64, val: &[u8]) -> u64 {
        let v = self.mem + 0x90;
        self.t.poke(v, val);
        self.call("setsockopt", [fd, level, name, v, val.len() as u64, 0])
    }

    /// poll(2) for IN|OUT|RDHUP, without waiting: the revents.
    pub fn poll(&mut self, fd: u64) -> u16 {
        let p = self.mem + 0xc0;
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&(fd as i32).to_le_bytes());
        b[4..6].copy_from_slice(&(POLLIN | POLLOUT | POLLRDHUP).to_le_bytes());
        self.t.poke(p, &b);
        self.ok("poll", [p, 1, 0, 0, 0, 0]);
        u16::from_le_bytes(self.t.peek(p + 6, 2).try_into().unwrap())
    }

    pub fn sigpipe_pending(&self) -> bool {
        self.t.p.thread.pending.bits() & crate::signal::bit(crate::signal::SIGPIPE) != 0
    }

    pub fn clear_signals(&mut self) {
        while self.t.p.thread.pending.take(u64::MAX).is_some() {}
    }
}

#[test]
fn a_stream_pair_moves_bytes_both_ways_and_ends_at_the_peers_close() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    assert_eq!(u.poll(a), POLLOUT);
    assert_eq!(u.send(a, b"ping", 0), 4);
    assert_eq!(u.poll(b), POLLIN | POLLOUT);
    assert_eq!(u.recv(b, 64, 0), Ok(b"ping".to_vec()));
    // write(2) and read(2) on the same pair.
    let buf = u.mem + 0x2000;
    u.t.poke(buf, b"pong!");
    assert_eq!(u.call("write", [b, buf, 5, 0, 0, 0]), 5);
    assert_eq!(u.call("read", [a, buf + 0x100, 64, 0, 0, 0]), 5);
    assert_eq!(u.t.peek(buf + 0x100, 5), b"pong!");
    // Unnamed ends: the family alone, both ways.
    assert_eq!(u.name("getsockname", a), Ok(alloc::vec![1, 0]));
    assert_eq!(u.name("getpeername", a), Ok(alloc::vec![1, 0]));
    assert_eq!(u.recv(b, 8, MSG_DONTWAIT), Err(EAGAIN));
    // The peer goes with nothing unread: an end, no error.
    assert_eq!(u.send(a, b"last", 0), 4);
    u.close(a);
    assert_eq!(u.poll(b), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
    assert_eq!(u.recv(b, 64, 0), Ok(b"last".to_vec()));
    assert_eq!(u.recv(b, 64, 0), Ok(Vec::new()));
    // Writing to it: EPIPE, and SIGPIPE unless MSG_NOSIGNAL.
    u.clear_signals();
    assert_eq!(err(u.send(b, b"x", MSG_NOSIGNAL)), Some(EPIPE));
    assert!(!u.sigpipe_pending());
    assert_eq!(err(u.send(b, b"x", 0)), Some(EPIPE));
    assert!(u.sigpipe_pending());
    u.clear_signals();
    assert_eq!(err(u.call("write", [b, buf, 1, 0, 0, 0])), Some(EPIPE));
    assert!(u.sigpipe_pending(), "write(2) raises it too");
    u.clear_signals();
}

#[test]
fn closing_with_unread_data_resets_the_peer() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    assert_eq!(u.send(b, b"unread", 0), 6);
    assert_eq!(u.send(a, b"x", 0), 1);
    u.close(a);
    assert_eq!(u.poll(b) & POLLERR, POLLERR);
    // Data first, then the error once, then the end.
    assert_eq!(u.recv(b, 8, 0), Ok(b"x".to_vec()));
    assert_eq!(u.recv(b, 8, 0), Err(ECONNRESET));
    assert_eq!(u.recv(b, 8, 0), Ok(Vec::new()));
    // SEQPACKET reports the error before the data.
    let (c, d) = u.pair(SEQPACKET);
    assert_eq!(u.send(d, b"y", 0), 1);
    assert_eq!(u.send(c, b"x", 0), 1);
    u.close(c);
    assert_eq!(u.recv(d, 8, 0), Err(ECONNRESET));
    assert_eq!(u.recv(d, 8, 0), Ok(b"x".to_vec()));
    assert_eq!(u.recv(d, 8, 0), Ok(Vec::new()));
}

#[test]
fn types_protocols_and_flags() {
    let mut u = Ux::new();
    let e = |u: &mut Ux, ty, proto| err(u.call("socket", [AF_UNIX, ty, proto, 0, 0, 0]));
    assert_eq!(e(&mut u, 4, 0), Some(ESOCKTNOSUPPORT), "SOCK_RDM");
    assert_eq!(e(&mut u, 10, 0), Some(ESOCKTNOSUPPORT));
    assert_eq!(e(&mut u, STREAM, 2), Some(EPROTONOSUPPORT));
    assert_eq!(e(&mut u, STREAM, 1), None, "PF_UNIX is the protocol");
    let raw = u.socket(3);
    assert_eq!(
        u.getopt(raw, SOL_SOCKET, 3),
        Ok(2),
        "SOCK_RAW is a datagram socket"
    );
    let (a, _) = u.pair(SEQPACKET | NONBLOCK | 0o2000000);
    assert_eq!(u.call("fcntl", [a, 3, 0, 0, 0, 0]) & 0o4000, 0o4000);
    assert_eq!(u.call("fcntl", [a, 1, 0, 0, 0, 0]), 1, "FD_CLOEXEC");
    assert_eq!(u.getopt(a, SOL_SOCKET, 3), Ok(5));
    let st = u.mem + 0x2000;
    u.ok("fstat", [a, st, 0, 0, 0, 0]);
    let mode = u32::from_le_bytes(u.t.peek(st + 24, 4).try_into().unwrap());
    assert_eq!(mode, 0o140777);
    let sp = |u: &mut Ux, dom, ty, sv| err(u.call("socketpair", [dom, ty, 0, sv, 0, 0]));
    assert_eq!(sp(&mut u, AF_UNIX, STREAM, 0x10), Some(EFAULT));
    let sv = u.mem;
    assert_eq!(sp(&mut u, 2, STREAM, sv), Some(EOPNOTSUPP));
    assert_eq!(sp(&mut u, AF_UNIX, STREAM | 0x40, sv), Some(EINVAL));
    assert_eq!(sp(&mut u, AF_UNIX, 4, sv), Some(ESOCKTNOSUPPORT));
}

#[test]
fn a_stream_holds_about_the_send_buffer_and_wakes_writers_at_a_quarter() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM | NONBLOCK);
    let big = u.big;
    // Linux takes six 36544-byte messages (the sixth starts below 212992).
    assert_eq!(u.call("write", [a, big, 300_000, 0, 0, 0]), 219_264);
    assert_eq!(err(u.call("write", [a, big, 1, 0, 0, 0])), Some(EAGAIN));
    assert_eq!(u.poll(a) & POLLOUT, 0);
    let n = u.mem;
    u.ok("ioctl", [b, 0x541b, n, 0, 0, 0]);
    assert_eq!(u.t.peek(n, 4), 219_264i32.to_le_bytes(), "FIONREAD");
    // Writable again once a quarter of the buffer or less is in use.
    let seq = seq_of(&mut u, a);
    assert_eq!(u.call("read", [b, big, 182_000, 0, 0, 0]), 182_000);
    assert_eq!(u.poll(a) & POLLOUT, 0);
    assert_eq!(u.call("read", [b, big, 1000, 0, 0, 0]), 1000);
    assert_eq!(u.poll(a) & POLLOUT, POLLOUT);
    assert!(seq_of(&mut u, a) > seq, "room counts as an event");
}

/// The event count epoll sees for `fd`.
pub(super) fn seq_of(u: &mut Ux, fd: u64) -> u64 {
    let f = u.t.p.fds.get(fd as i32).expect("open");
    match &f.kind {
        lintel_vfs::FileKind::Special(ops) => ops.event_seq(),
        _ => panic!("not a socket"),
    }
}

#[test]
fn messages_keep_their_boundaries() {
    let mut u = Ux::new();
    for ty in [DGRAM, SEQPACKET] {
        let (a, b) = u.pair(ty);
        assert_eq!(u.send(a, b"abc", 0), 3);
        assert_eq!(u.send(a, b"defg", 0), 4);
        assert_eq!(u.send(a, b"", 0), 0);
        let n = u.mem;
        u.ok("ioctl", [b, 0x541b, n, 0, 0, 0]);
        let want: i32 = if ty == DGRAM { 3 } else { 7 };
        assert_eq!(u.t.peek(n, 4), want.to_le_bytes(), "FIONREAD");
        assert_eq!(u.recv(b, 64, MSG_PEEK), Ok(b"abc".to_vec()));
        assert_eq!(u.recv(b, 64, 0), Ok(b"abc".to_vec()));
        // A short buffer loses the rest; MSG_TRUNC returns the real length.
        let at = u.mem + 0x8000;
        assert_eq!(u.call("recvfrom", [b, at, 2, MSG_TRUNC, 0, 0]), 4);
        assert_eq!(u.t.peek(at, 2), b"de");
        assert_eq!(u.recv(b, 64, 0), Ok(Vec::new()), "the empty message");
        assert_eq!(u.recv(b, 64, MSG_DONTWAIT), Err(EAGAIN));
        // The largest message is the send buffer less 32 bytes.
        let big = u.big;
        assert_eq!(
            err(u.call("write", [a, big, 212_961, 0, 0, 0])),
            Some(EMSGSIZE)
        );
        assert_eq!(u.call("write", [a, big, 212_960, 0, 0, 0]), 212_960);
        assert_eq!(err(u.send(a, b"x", MSG_DONTWAIT)), Some(EAGAIN), "full");
        assert_eq!(u.call("read", [b, big, 300_000, 0, 0, 0]), 212_960);
        assert_eq!(u.send(a, b"x", MSG_DONTWAIT), 1);
    }
}

#[test]
fn writev_sends_one_message_and_readv_scatters_it() {
    let mut u = Ux::new();
    let (a, b) = u.pair(SEQPACKET);
    let (iov, d) = (u.mem + 0x800, u.mem + 0x1000);
    u.t.poke(d, b"abcd");
    let mut v = Vec::new();
    for (base, len) in [(d, 2u64), (d + 2, 2)] {
        v.extend_from_slice(&base.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
    }
    u.t.poke(iov, &v);
    assert_eq!(u.call("writev", [a, iov, 2, 0, 0, 0]), 4);
    let r = u.mem + 0x8000;
    let mut v = Vec::new();
    for (base, len) in [(r, 1u64), (r + 0x100, 10)] {
        v.extend_from_slice(&base.to_le_bytes());
        v.extend_from_slice(&len.to_le_bytes());
    }
    u.t.poke(iov, &v);
    assert_eq!(u.call("readv", [b, iov, 2, 0, 0, 0]), 4);
    assert_eq!(u.t.peek(r, 1), b"a");
    assert_eq!(u.t.peek(r + 0x100, 3), b"bcd");
}

#[test]
fn seqpacket_and_datagram_epipe_raises_no_sigpipe() {
    let mut u = Ux::new();
    let (a, b) = u.pair(SEQPACKET);
    u.close(a);
    assert_eq!(u.poll(b), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
    u.clear_signals();
    assert_eq!(err(u.send(b, b"x", 0)), Some(EPIPE));
    let buf = u.mem + 0x2000;
    assert_eq!(err(u.call("write", [b, buf, 1, 0, 0, 0])), Some(EPIPE));
    assert!(!u.sigpipe_pending());
    assert_eq!(u.recv(b, 8, 0), Ok(Vec::new()));
    // Unconnected: the size and the shutdown come before the destination.
    let d = u.socket(DGRAM);
    let big = u.big;
    assert_eq!(
        err(u.call("write", [d, big, 300_000, 0, 0, 0])),
        Some(EMSGSIZE)
    );
    assert_eq!(err(u.send(d, b"x", 0)), Some(ENOTCONN));
    assert_eq!(u.call("shutdown", [d, 1, 0, 0, 0, 0]), 0);
    assert_eq!(err(u.send(d, b"x", 0)), Some(EPIPE));
    let (c, _e) = u.pair(DGRAM);
    assert_eq!(u.call("shutdown", [c, 1, 0, 0, 0, 0]), 0);
    assert_eq!(err(u.send(c, b"x", 0)), Some(EPIPE));
    assert!(!u.sigpipe_pending());
}

#[test]
fn a_datagram_pairs_survivor_is_refused_then_disconnected() {
    let mut u = Ux::new();
    let (a, b) = u.pair(DGRAM);
    assert_eq!(u.send(a, b"x", 0), 1);
    u.close(a);
    assert_eq!(u.poll(b), POLLIN | POLLOUT, "no end for datagrams");
    assert_eq!(err(u.send(b, b"y", 0)), Some(ECONNREFUSED));
    // Losing the peer dropped what it had sent, as Linux.
    assert_eq!(u.recv(b, 8, MSG_DONTWAIT), Err(EAGAIN));
    assert_eq!(err(u.send(b, b"y", 0)), Some(ENOTCONN));
    assert_eq!(u.name("getpeername", b), Err(ENOTCONN));
}

#[test]
fn shutdown_stops_one_direction_on_both_ends() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    assert_eq!(u.send(a, b"abc", 0), 3);
    assert_eq!(u.call("shutdown", [b, 0, 0, 0, 0, 0]), 0);
    assert_eq!(u.poll(b), POLLIN | POLLOUT | POLLRDHUP);
    assert_eq!(u.poll(a), POLLOUT);
    // What was queued is still read, then the end.
    assert_eq!(u.recv(b, 8, 0), Ok(b"abc".to_vec()));
    assert_eq!(u.recv(b, 8, 0), Ok(Vec::new()));
    assert_eq!(err(u.send(a, b"x", MSG_NOSIGNAL)), Some(EPIPE));
    assert_eq!(u.send(b, b"y", 0), 1);
    assert_eq!(u.recv(a, 8, 0), Ok(b"y".to_vec()));
    assert_eq!(u.call("shutdown", [b, 1, 0, 0, 0, 0]), 0);
    assert_eq!(u.poll(b), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
    assert_eq!(u.poll(a), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
    assert_eq!(u.recv(a, 8, 0), Ok(Vec::new()));
    assert_eq!(err(u.send(b, b"x", MSG_NOSIGNAL)), Some(EPIPE));
    assert_eq!(err(u.call("shutdown", [b, 5, 0, 0, 0, 0])), Some(EINVAL));
    // An unconnected socket may shut down (no ENOTCONN, unlike TCP).
    let s = u.socket(STREAM);
    assert_eq!(u.poll(s), POLLOUT | POLLHUP);
    assert_eq!(u.call("shutdown", [s, 2, 0, 0, 0, 0]), 0);
    assert_eq!(u.poll(s), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
}

#[test]
fn calls_in_the_wrong_state() {
    let mut u = Ux::new();
    let s = u.socket(STREAM);
    assert_eq!(u.recv(s, 8, 0), Err(EINVAL), "a stream not connected");
    assert_eq!(err(u.send(s, b"x", 0)), Some(ENOTCONN));
    let to = u.path(0, "/tmp/nowhere");
    assert_eq!(err(u.sendto(s, b"x", 0, to)), Some(EOPNOTSUPP));
    let q = u.socket(SEQPACKET);
    assert_eq!(u.recv(q, 8, 0), Err(ENOTCONN));
    assert_eq!(err(u.send(q, b"x", 0)), Some(ENOTCONN));
    let d = u.socket(DGRAM);
    assert_eq!(u.recv(d, 8, MSG_DONTWAIT), Err(EAGAIN));
    assert_eq!(err(u.send(d, b"x", 0)), Some(ENOTCONN));
    let (a, _b) = u.pair(STREAM);
    assert_eq!(err(u.sendto(a, b"x", 0, to)), Some(EISCONN));
    assert_eq!(u.recv(a, 8, 1), Err(EINVAL), "MSG_OOB with none");
    assert_eq!(err(u.send(a, b"x", 1)), Some(EOPNOTSUPP));
    let (c, _d) = u.pair(DGRAM);
    assert_eq!(u.recv(c, 8, 1), Err(EOPNOTSUPP));
    // A SEQPACKET socket ignores a destination.
    let (e, f) = u.pair(SEQPACKET);
    assert_eq!(u.sendto(e, b"q", 0, to), 1);
    assert_eq!(u.recv(f, 8, 0), Ok(b"q".to_vec()));
    assert_eq!(
        err(u.call("connect", [e, to.0, to.1, 0, 0, 0])),
        Some(2),
        "ENOENT"
    );
}
