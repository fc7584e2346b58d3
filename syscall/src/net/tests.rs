//! Socket calls on the host, over the (shared, loopback-only) stack: a
//! server and a client in one TestBed, non-blocking, and the error paths.

use crate::testkit::TestBed;

pub(super) const AF_INET: u64 = 2;
pub(super) const SOCK_STREAM: u64 = 1;
pub(super) const SOCK_DGRAM: u64 = 2;
pub(super) const SOCK_NONBLOCK: u64 = 0o4000;
pub(super) const SOL_SOCKET: u64 = 1;
pub(super) const IPPROTO_TCP: u64 = 6;
pub(super) const MSG_NOSIGNAL: u64 = 0x4000;

const EINVAL: i32 = 22;
const EBADF: i32 = 9;
const EFAULT: i32 = 14;
const EAGAIN: i32 = 11;
const EPIPE: i32 = 32;
const ENOTSOCK: i32 = 88;
const EPROTONOSUPPORT: i32 = 93;
const ESOCKTNOSUPPORT: i32 = 94;
const EOPNOTSUPP: i32 = 95;
const EAFNOSUPPORT: i32 = 97;
const EADDRINUSE: i32 = 98;
const EADDRNOTAVAIL: i32 = 99;
const EISCONN: i32 = 106;
const ENOTCONN: i32 = 107;
const ECONNREFUSED: i32 = 111;
const EALREADY: i32 = 114;
const EINPROGRESS: i32 = 115;
const ENOPROTOOPT: i32 = 92;

pub(super) fn err(v: u64) -> Option<i32> {
    TestBed::errno(v)
}

/// Scratch memory: sockaddrs at +0x100.., lengths at +0x200.., data at +0x1000.
pub(super) struct Net {
    pub t: TestBed,
    pub mem: u64,
}

impl Net {
    pub fn new() -> Net {
        let mut t = TestBed::new();
        let mem = t.scratch();
        Net { t, mem }
    }

    pub fn call(&mut self, name: &str, a: [u64; 6]) -> u64 {
        self.t.call(name, a)
    }

    pub fn socket(&mut self, ty: u64) -> u64 {
        let fd = self.call("socket", [AF_INET, ty, 0, 0, 0, 0]);
        assert!(err(fd).is_none(), "socket: {:?}", err(fd));
        fd
    }

    /// Writes sockaddr_in{ip, port} at `mem + 0x100 + slot * 16`.
    pub fn addr(&mut self, slot: u64, ip: [u8; 4], port: u16) -> u64 {
        let at = self.mem + 0x100 + slot * 16;
        let mut b = [0u8; 16];
        b[..2].copy_from_slice(&2u16.to_le_bytes());
        b[2..4].copy_from_slice(&port.to_be_bytes());
        b[4..8].copy_from_slice(&ip);
        self.t.poke(at, &b);
        at
    }

    /// getsockname/getpeername of `fd` as (ip, port).
    pub fn name(&mut self, call: &str, fd: u64) -> Result<([u8; 4], u16), i32> {
        let (a, l) = (self.mem + 0x180, self.mem + 0x200);
        self.t.poke(l, &16i32.to_le_bytes());
        let r = self.call(call, [fd, a, l, 0, 0, 0]);
        if let Some(e) = err(r) {
            return Err(e);
        }
        let b = self.t.peek(a, 16);
        assert_eq!(self.t.peek(l, 4), 16i32.to_le_bytes());
        Ok(([b[4], b[5], b[6], b[7]], u16::from_be_bytes([b[2], b[3]])))
    }

    /// A listening socket on 127.0.0.1 (port chosen); returns (fd, port).
    pub fn listener(&mut self, flags: u64) -> (u64, u16) {
        let l = self.socket(SOCK_STREAM | flags);
        let a = self.addr(0, [127, 0, 0, 1], 0);
        assert_eq!(self.call("bind", [l, a, 16, 0, 0, 0]), 0);
        assert_eq!(self.call("listen", [l, 8, 0, 0, 0, 0]), 0);
        let (_, port) = self.name("getsockname", l).unwrap();
        (l, port)
    }

    /// A connected pair over loopback: (client, server side).
    pub fn pair(&mut self) -> (u64, u64) {
        let (l, port) = self.listener(0);
        let c = self.socket(SOCK_STREAM);
        let a = self.addr(1, [127, 0, 0, 1], port);
        assert_eq!(self.call("connect", [c, a, 16, 0, 0, 0]), 0);
        let s = self.call("accept4", [l, 0, 0, 0, 0, 0]);
        assert!(err(s).is_none());
        self.call("close", [l, 0, 0, 0, 0, 0]);
        (c, s)
    }

    pub fn send(&mut self, fd: u64, data: &[u8], flags: u64) -> u64 {
        let at = self.mem + 0x1000;
        self.t.poke(at, data);
        self.call("sendto", [fd, at, data.len() as u64, flags, 0, 0])
    }

    pub fn recv(&mut self, fd: u64, n: usize, flags: u64) -> Result<alloc::vec::Vec<u8>, i32> {
        let at = self.mem + 0x8000;
        let r = self.call("recvfrom", [fd, at, n as u64, flags, 0, 0]);
        match err(r) {
            Some(e) => Err(e),
            None => Ok(self.t.peek(at, r as usize)),
        }
    }

    pub fn getopt(&mut self, fd: u64, level: u64, name: u64) -> Result<i32, i32> {
        let (v, l) = (self.mem + 0x300, self.mem + 0x308);
        self.t.poke(l, &4i32.to_le_bytes());
        let r = self.call("getsockopt", [fd, level, name, v, l, 0]);
        match err(r) {
            Some(e) => Err(e),
            None => Ok(i32::from_le_bytes(self.t.peek(v, 4).try_into().unwrap())),
        }
    }

    pub fn setopt(&mut self, fd: u64, level: u64, name: u64, val: i32) -> u64 {
        let v = self.mem + 0x300;
        self.t.poke(v, &val.to_le_bytes());
        self.call("setsockopt", [fd, level, name, v, 4, 0])
    }

    pub fn sigpipe_pending(&self) -> bool {
        self.t.p.thread.pending.bits() & crate::signal::bit(crate::signal::SIGPIPE) != 0
    }

    pub fn clear_signals(&mut self) {
        let _ = self.t.p.thread.pending.take(u64::MAX);
        while self.t.p.thread.pending.take(u64::MAX).is_some() {}
    }
}

#[test]
fn server_and_client_in_one_process_without_blocking() {
    let mut n = Net::new();
    let (l, port) = n.listener(SOCK_NONBLOCK);
    assert_eq!(err(n.call("accept", [l, 0, 0, 0, 0, 0])), Some(EAGAIN));
    let c = n.socket(SOCK_STREAM | SOCK_NONBLOCK);
    let a = n.addr(1, [127, 0, 0, 1], port);
    assert_eq!(
        err(n.call("connect", [c, a, 16, 0, 0, 0])),
        Some(EINPROGRESS)
    );
    // Done over loopback: 0 once (as Linux), then EISCONN.
    assert_eq!(n.call("connect", [c, a, 16, 0, 0, 0]), 0);
    assert_eq!(err(n.call("connect", [c, a, 16, 0, 0, 0])), Some(EISCONN));
    assert_eq!(n.getopt(c, SOL_SOCKET, 4), Ok(0), "SO_ERROR");
    // accept4 with the peer's address and SOCK_NONBLOCK.
    let (pa, pl) = (n.mem + 0x400, n.mem + 0x410);
    n.t.poke(pl, &16i32.to_le_bytes());
    let s = n.call("accept4", [l, pa, pl, SOCK_NONBLOCK, 0, 0]);
    assert!(err(s).is_none(), "{:?}", err(s));
    let peer = n.t.peek(pa, 16);
    let (cip, cport) = n.name("getsockname", c).unwrap();
    assert_eq!(
        (cip, u16::from_be_bytes([peer[2], peer[3]])),
        ([127, 0, 0, 1], cport)
    );
    assert_eq!(n.name("getpeername", c), Ok(([127, 0, 0, 1], port)));
    assert_eq!(n.name("getpeername", s), Ok(([127, 0, 0, 1], cport)));
    // Data both ways, through send/recv and write/read.
    assert_eq!(n.send(c, b"ping", 0), 4);
    assert_eq!(n.recv(s, 64, 0), Ok(b"ping".to_vec()));
    assert_eq!(n.recv(s, 64, 0), Err(EAGAIN));
    let buf = n.mem + 0x2000;
    n.t.poke(buf, b"pong!");
    assert_eq!(n.call("write", [s, buf, 5, 0, 0, 0]), 5);
    assert_eq!(n.call("read", [c, buf + 0x100, 64, 0, 0, 0]), 5);
    assert_eq!(n.t.peek(buf + 0x100, 5), b"pong!");
    // poll: the client is writable, not readable.
    let pfd = n.mem + 0x500;
    let mut p = [0u8; 8];
    p[..4].copy_from_slice(&(c as i32).to_le_bytes());
    p[4..6].copy_from_slice(&5i16.to_le_bytes());
    n.t.poke(pfd, &p);
    assert_eq!(n.call("poll", [pfd, 1, 0, 0, 0, 0]), 1);
    assert_eq!(n.t.peek(pfd + 6, 2), 4i16.to_le_bytes());
    // EOF after the peer closes.
    n.call("close", [s, 0, 0, 0, 0, 0]);
    assert_eq!(n.recv(c, 64, 0), Ok(alloc::vec![]));
}

#[test]
fn blocking_calls_complete_over_loopback() {
    let mut n = Net::new();
    let (c, s) = n.pair();
    assert_eq!(n.send(c, b"hello", 0), 5);
    assert_eq!(n.recv(s, 64, 0), Ok(b"hello".to_vec()));
    // A blocking connect to a port nobody listens on is refused at once.
    let closed = n.socket(SOCK_STREAM);
    let a = n.addr(2, [127, 0, 0, 1], 0);
    assert_eq!(n.call("bind", [closed, a, 16, 0, 0, 0]), 0);
    let (_, port) = n.name("getsockname", closed).unwrap();
    let x = n.socket(SOCK_STREAM);
    let a = n.addr(3, [127, 0, 0, 1], port);
    assert_eq!(
        err(n.call("connect", [x, a, 16, 0, 0, 0])),
        Some(ECONNREFUSED)
    );
    assert_eq!(n.getopt(x, SOL_SOCKET, 4), Ok(0), "the error was reported");
}

#[test]
fn epipe_raises_sigpipe_unless_msg_nosignal() {
    let mut n = Net::new();
    let (c, _s) = n.pair();
    assert_eq!(n.call("shutdown", [c, 1, 0, 0, 0, 0]), 0);
    n.clear_signals();
    assert_eq!(err(n.send(c, b"x", MSG_NOSIGNAL)), Some(EPIPE));
    assert!(!n.sigpipe_pending());
    assert_eq!(err(n.send(c, b"x", 0)), Some(EPIPE));
    assert!(n.sigpipe_pending());
    n.clear_signals();
    let buf = n.mem + 0x2000;
    assert_eq!(err(n.call("write", [c, buf, 1, 0, 0, 0])), Some(EPIPE));
    assert!(n.sigpipe_pending(), "write(2) raises it too");
    n.clear_signals();
    assert_eq!(err(n.call("shutdown", [c, 7, 0, 0, 0, 0])), Some(EINVAL));
}

#[test]
fn wrong_states_and_arguments() {
    let mut n = Net::new();
    let s = n.socket(SOCK_STREAM);
    assert_eq!(
        err(n.call("accept", [s, 0, 0, 0, 0, 0])),
        Some(EINVAL),
        "not listening"
    );
    assert_eq!(n.recv(s, 4, 0), Err(ENOTCONN));
    assert_eq!(n.name("getpeername", s), Err(ENOTCONN));
    assert_eq!(err(n.call("shutdown", [s, 2, 0, 0, 0, 0])), Some(ENOTCONN));
    assert_eq!(n.name("getsockname", s), Ok(([0; 4], 0)));
    // Families, types, protocols.
    assert_eq!(
        err(n.call("socket", [10, SOCK_STREAM, 0, 0, 0, 0])),
        Some(EAFNOSUPPORT)
    );
    assert_eq!(
        err(n.call("socket", [16, SOCK_STREAM, 0, 0, 0, 0])),
        Some(EAFNOSUPPORT),
        "AF_NETLINK"
    );
    assert_eq!(
        err(n.call("socket", [99, SOCK_STREAM, 0, 0, 0, 0])),
        Some(EAFNOSUPPORT)
    );
    assert_eq!(
        err(n.call("socket", [AF_INET, SOCK_STREAM, 17, 0, 0, 0])),
        Some(EPROTONOSUPPORT)
    );
    assert_eq!(
        err(n.call("socket", [AF_INET, 3, 0, 0, 0, 0])),
        Some(EPROTONOSUPPORT)
    );
    assert_eq!(
        err(n.call("socket", [AF_INET, 5, 0, 0, 0, 0])),
        Some(ESOCKTNOSUPPORT)
    );
    assert_eq!(
        err(n.call("socket", [AF_INET, 20, 0, 0, 0, 0])),
        Some(EINVAL)
    );
    assert_eq!(
        err(n.call("socketpair", [AF_INET, SOCK_STREAM, 0, n.mem, 0, 0])),
        Some(EOPNOTSUPP)
    );
    // Addresses.
    let a = n.addr(0, [127, 0, 0, 1], 0);
    assert_eq!(
        err(n.call("bind", [s, a, 8, 0, 0, 0])),
        Some(EINVAL),
        "short"
    );
    assert_eq!(
        err(n.call("bind", [s, a, 200, 0, 0, 0])),
        Some(EINVAL),
        "long"
    );
    assert_eq!(err(n.call("bind", [s, 0x10, 16, 0, 0, 0])), Some(EFAULT));
    let foreign = n.addr(1, [10, 9, 8, 7], 0);
    assert_eq!(
        err(n.call("bind", [s, foreign, 16, 0, 0, 0])),
        Some(EADDRNOTAVAIL)
    );
    n.t.poke(a, &10u16.to_le_bytes());
    assert_eq!(err(n.call("bind", [s, a, 16, 0, 0, 0])), Some(EAFNOSUPPORT));
    let (_l, port) = n.listener(0);
    let taken = n.addr(2, [127, 0, 0, 1], port);
    assert_eq!(
        err(n.call("bind", [s, taken, 16, 0, 0, 0])),
        Some(EADDRINUSE)
    );
    assert_eq!(
        err(n.call("getsockname", [s, 0x10, n.mem + 0x200, 0, 0, 0])),
        Some(EFAULT)
    );
    // Not sockets.
    assert_eq!(err(n.call("listen", [999, 1, 0, 0, 0, 0])), Some(EBADF));
    assert_eq!(
        err(n.call("listen", [0x1_0000_0003, 1, 0, 0, 0, 0])),
        Some(EBADF)
    );
    let fds = n.mem + 0x600;
    assert_eq!(n.call("pipe", [fds, 0, 0, 0, 0, 0]), 0);
    let p0 = u32::from_le_bytes(n.t.peek(fds, 4).try_into().unwrap()) as u64;
    assert_eq!(
        err(n.call("connect", [p0, taken, 16, 0, 0, 0])),
        Some(ENOTSOCK)
    );
    assert_eq!(
        err(n.call("getsockopt", [p0, SOL_SOCKET, 3, n.mem, n.mem + 8, 0])),
        Some(ENOTSOCK)
    );
    // UDP has no listen or accept.
    let u = n.socket(SOCK_DGRAM);
    assert_eq!(err(n.call("listen", [u, 1, 0, 0, 0, 0])), Some(EOPNOTSUPP));
    assert_eq!(err(n.call("accept", [u, 0, 0, 0, 0, 0])), Some(EOPNOTSUPP));
}

#[test]
fn nonblocking_connect_states() {
    let mut n = Net::new();
    let (l, port) = n.listener(0);
    let c = n.socket(SOCK_STREAM | SOCK_NONBLOCK);
    let a = n.addr(1, [127, 0, 0, 1], port);
    assert_eq!(
        err(n.call("connect", [c, a, 16, 0, 0, 0])),
        Some(EINPROGRESS)
    );
    assert_eq!(n.call("connect", [c, a, 16, 0, 0, 0]), 0);
    assert_eq!(err(n.call("connect", [c, a, 16, 0, 0, 0])), Some(EISCONN));
    assert_eq!(err(n.call("listen", [c, 1, 0, 0, 0, 0])), Some(EINVAL));
    assert_eq!(err(n.call("connect", [l, a, 16, 0, 0, 0])), Some(EISCONN));
    // A refused non-blocking connect: SO_ERROR says why, once.
    let closed = n.socket(SOCK_STREAM);
    let b = n.addr(2, [127, 0, 0, 1], 0);
    n.call("bind", [closed, b, 16, 0, 0, 0]);
    let (_, cport) = n.name("getsockname", closed).unwrap();
    let r = n.socket(SOCK_STREAM | SOCK_NONBLOCK);
    let b = n.addr(3, [127, 0, 0, 1], cport);
    assert_eq!(
        err(n.call("connect", [r, b, 16, 0, 0, 0])),
        Some(EINPROGRESS)
    );
    assert_eq!(n.getopt(r, SOL_SOCKET, 4), Ok(ECONNREFUSED));
    assert_eq!(n.getopt(r, SOL_SOCKET, 4), Ok(0));
    let _ = EALREADY;
}

#[test]
fn options() {
    let mut n = Net::new();
    let s = n.socket(SOCK_STREAM);
    assert_eq!(n.getopt(s, SOL_SOCKET, 3), Ok(1), "SO_TYPE");
    assert_eq!(n.getopt(s, SOL_SOCKET, 2), Ok(0));
    assert_eq!(n.setopt(s, SOL_SOCKET, 2, 1), 0);
    assert_eq!(n.getopt(s, SOL_SOCKET, 2), Ok(1), "SO_REUSEADDR");
    assert_eq!(n.setopt(s, SOL_SOCKET, 15, 1), 0, "SO_REUSEPORT");
    assert_eq!(n.setopt(s, IPPROTO_TCP, 1, 1), 0);
    assert_eq!(n.getopt(s, IPPROTO_TCP, 1), Ok(1), "TCP_NODELAY");
    assert_eq!(n.setopt(s, SOL_SOCKET, 9, 1), 0);
    assert_eq!(n.getopt(s, SOL_SOCKET, 9), Ok(1), "SO_KEEPALIVE");
    for (name, v) in [(4, 60), (5, 10), (6, 5)] {
        assert_eq!(n.setopt(s, IPPROTO_TCP, name, v), 0);
        assert_eq!(n.getopt(s, IPPROTO_TCP, name), Ok(v));
    }
    assert_eq!(
        err(n.setopt(s, IPPROTO_TCP, 4, 0)),
        Some(EINVAL),
        "TCP_KEEPIDLE 0"
    );
    assert_eq!(n.setopt(s, IPPROTO_TCP, 9, 5), 0);
    assert_eq!(
        n.getopt(s, IPPROTO_TCP, 9),
        Ok(7),
        "TCP_DEFER_ACCEPT rounds as Linux"
    );
    assert_eq!(n.getopt(s, SOL_SOCKET, 8), Ok(131072), "SO_RCVBUF default");
    assert_eq!(n.setopt(s, SOL_SOCKET, 8, 1000), 0);
    assert_eq!(n.getopt(s, SOL_SOCKET, 8), Ok(2304));
    assert_eq!(n.setopt(s, SOL_SOCKET, 7, 1000), 0);
    assert_eq!(n.getopt(s, SOL_SOCKET, 7), Ok(4608));
    assert_eq!(
        err(n.setopt(s, SOL_SOCKET, 4, 1)),
        Some(ENOPROTOOPT),
        "SO_ERROR is read-only"
    );
    assert_eq!(
        err(n.setopt(s, 41, 26, 1)),
        Some(ENOPROTOOPT),
        "IPV6_V6ONLY on AF_INET"
    );
    assert_eq!(err(n.setopt(s, SOL_SOCKET, 9999, 1)), Some(ENOPROTOOPT));
    let v = n.mem + 0x300;
    assert_eq!(
        err(n.call("setsockopt", [s, SOL_SOCKET, 2, v, 2, 0])),
        Some(EINVAL),
        "short"
    );
    assert_eq!(
        err(n.call("setsockopt", [s, SOL_SOCKET, 2, 0x10, 4, 0])),
        Some(EFAULT)
    );
    // SO_LINGER round trip.
    let mut lg = [0u8; 8];
    lg[..4].copy_from_slice(&1i32.to_le_bytes());
    lg[4..].copy_from_slice(&0i32.to_le_bytes());
    n.t.poke(v, &lg);
    assert_eq!(n.call("setsockopt", [s, SOL_SOCKET, 13, v, 8, 0]), 0);
    let l = n.mem + 0x308;
    n.t.poke(l, &8i32.to_le_bytes());
    assert_eq!(
        n.call("getsockopt", [s, SOL_SOCKET, 13, n.mem + 0x320, l, 0]),
        0
    );
    assert_eq!(n.t.peek(n.mem + 0x320, 8), lg);
    // A short getsockopt buffer gets what fits.
    n.t.poke(l, &2i32.to_le_bytes());
    assert_eq!(
        n.call("getsockopt", [s, SOL_SOCKET, 3, n.mem + 0x320, l, 0]),
        0
    );
    assert_eq!(n.t.peek(l, 4), 2i32.to_le_bytes());
    let u = n.socket(SOCK_DGRAM);
    assert_eq!(n.getopt(u, SOL_SOCKET, 3), Ok(2));
    assert_eq!(err(n.setopt(u, IPPROTO_TCP, 1, 1)), Some(ENOPROTOOPT));
}
