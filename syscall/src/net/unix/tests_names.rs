//! AF_UNIX names on the host: path and abstract binds, autobind,
//! connect/accept through a listener, datagram destinations, the errors
//! and the options.

use super::tests::*;
use alloc::vec::Vec;

const ENOENT: i32 = 2;
const EPERM: i32 = 1;
const EADDRINUSE: i32 = 98;

/// A listening stream socket bound to `path`.
fn listener(u: &mut Ux, path: &str, backlog: u64) -> u64 {
    let l = u.socket(STREAM);
    let a = u.path(0, path);
    u.ok("bind", [l, a.0, a.1, 0, 0, 0]);
    u.ok("listen", [l, backlog, 0, 0, 0, 0]);
    l
}

/// sockaddr_un bytes for `path` as getsockname reports them.
fn named(path: &str) -> Vec<u8> {
    let mut b = alloc::vec![1, 0];
    b.extend_from_slice(path.as_bytes());
    b.push(0);
    b
}

#[test]
fn path_bind_listen_connect_and_accept() {
    let mut u = Ux::new();
    let l = u.socket(STREAM);
    let a = u.path(0, "/tmp/s");
    assert_eq!(u.call("bind", [l, a.0, a.1, 0, 0, 0]), 0);
    assert_eq!(u.name("getsockname", l), Ok(named("/tmp/s")));
    // The socket inode, with the umask applied.
    let (p, st) = (u.t.cstr(u.mem + 0x40, "/tmp/s"), u.mem + 0x2000);
    u.ok("stat", [p, st, 0, 0, 0, 0]);
    let mode = u32::from_le_bytes(u.t.peek(st + 24, 4).try_into().unwrap());
    assert_eq!(mode, 0o140755);
    // The name is taken, for this socket too (the node comes first).
    let other = u.socket(STREAM);
    assert_eq!(
        err(u.call("bind", [other, a.0, a.1, 0, 0, 0])),
        Some(EADDRINUSE)
    );
    assert_eq!(
        err(u.call("bind", [l, a.0, a.1, 0, 0, 0])),
        Some(EADDRINUSE)
    );
    let c = u.socket(STREAM);
    assert_eq!(
        err(u.call("connect", [c, a.0, a.1, 0, 0, 0])),
        Some(ECONNREFUSED)
    );
    assert_eq!(u.call("listen", [l, 4, 0, 0, 0, 0]), 0);
    assert_eq!(u.getopt(l, SOL_SOCKET, 30), Ok(1), "SO_ACCEPTCONN");
    assert_eq!(u.poll(l), 0);
    assert_eq!(u.call("connect", [c, a.0, a.1, 0, 0, 0]), 0);
    assert_eq!(u.poll(l), POLLIN);
    assert_eq!(
        err(u.call("connect", [c, a.0, a.1, 0, 0, 0])),
        Some(EISCONN)
    );
    assert_eq!(err(u.call("connect", [l, a.0, a.1, 0, 0, 0])), Some(EINVAL));
    assert_eq!(u.name("getpeername", c), Ok(named("/tmp/s")));
    assert_eq!(u.name("getsockname", c), Ok(alloc::vec![1, 0]));
    // The client sends before the server accepts.
    assert_eq!(u.send(c, b"early", 0), 5);
    let (from, fl) = (u.mem + 0x600, u.mem + 0x6f8);
    u.t.poke(fl, &128u32.to_le_bytes());
    let s = u.ok("accept4", [l, from, fl, NONBLOCK, 0, 0]);
    assert_eq!(u.t.peek(fl, 4), 2u32.to_le_bytes(), "an unbound client");
    assert_eq!(u.call("fcntl", [s, 3, 0, 0, 0, 0]) & 0o4000, 0o4000);
    assert_eq!(u.name("getsockname", s), Ok(named("/tmp/s")));
    assert_eq!(u.name("getpeername", s), Ok(alloc::vec![1, 0]));
    // recvfrom names the sending end: nothing for the client, the path
    // for the server's end.
    assert_eq!(u.recvfrom(s, 64), (b"early".to_vec(), Vec::new()));
    assert_eq!(u.send(s, b"back", 0), 4);
    assert_eq!(u.recvfrom(c, 64), (b"back".to_vec(), named("/tmp/s")));
    // SO_PEERCRED: this process on both ends.
    let pid = u.t.p.pid;
    assert_eq!(u.getopt(s, SOL_SOCKET, 17), Ok(pid));
    assert_eq!(u.getopt(c, SOL_SOCKET, 17), Ok(pid));
    assert_eq!(u.recv(s, 8, 0), Err(EAGAIN), "non-blocking");
    // Nothing pending: a non-blocking listener says EAGAIN.
    let on = u.mem + 0x80;
    u.t.poke(on, &1i32.to_le_bytes());
    u.ok("ioctl", [l, 0x5421, on, 0, 0, 0]);
    assert_eq!(err(u.call("accept", [l, 0, 0, 0, 0, 0])), Some(EAGAIN));
}

#[test]
fn connect_errors_follow_linux() {
    let mut u = Ux::new();
    let l = listener(&mut u, "/tmp/l", 4);
    let c = u.socket(STREAM);
    let missing = u.path(1, "/tmp/missing");
    assert_eq!(
        err(u.call("connect", [c, missing.0, missing.1, 0, 0, 0])),
        Some(ENOENT)
    );
    // A file that is no socket.
    let f = u.t.cstr(u.mem + 0x40, "/tmp/file");
    let fd = u.ok("openat", [(-100i64) as u64, f, 0o101, 0o644, 0, 0]);
    u.close(fd);
    let file = u.path(2, "/tmp/file");
    assert_eq!(
        err(u.call("connect", [c, file.0, file.1, 0, 0, 0])),
        Some(ECONNREFUSED)
    );
    let a = u.path(0, "/tmp/l");
    let d = u.socket(DGRAM);
    assert_eq!(
        err(u.call("connect", [d, a.0, a.1, 0, 0, 0])),
        Some(EPROTOTYPE)
    );
    let q = u.socket(SEQPACKET);
    assert_eq!(
        err(u.call("connect", [q, a.0, a.1, 0, 0, 0])),
        Some(EPROTOTYPE)
    );
    assert_eq!(err(u.call("connect", [c, a.0, 2, 0, 0, 0])), Some(EINVAL));
    let unspec = u.sockaddr(3, &[0, 0, 0, 0]);
    assert_eq!(
        err(u.call("connect", [c, unspec.0, unspec.1, 0, 0, 0])),
        Some(EINVAL)
    );
    // A relative name from the working directory finds the same socket.
    let tmp = u.t.cstr(u.mem + 0x40, "/tmp");
    u.ok("chdir", [tmp, 0, 0, 0, 0, 0]);
    let rel = u.path(4, "l");
    assert_eq!(u.call("connect", [c, rel.0, rel.1, 0, 0, 0]), 0);
    // The listener gone: its node stays, nobody listens there.
    u.close(l);
    let c2 = u.socket(STREAM);
    assert_eq!(
        err(u.call("connect", [c2, a.0, a.1, 0, 0, 0])),
        Some(ECONNREFUSED)
    );
    let p = u.t.cstr(u.mem + 0x40, "/tmp/l");
    u.ok("unlink", [p, 0, 0, 0, 0, 0]);
    assert_eq!(
        err(u.call("connect", [c2, a.0, a.1, 0, 0, 0])),
        Some(ENOENT)
    );
    // A new bind of the name makes a new node.
    let _l2 = listener(&mut u, "/tmp/l", 1);
    assert_eq!(u.call("connect", [c2, a.0, a.1, 0, 0, 0]), 0);
}

#[test]
fn a_full_backlog_refuses_to_wait_or_waits_until_the_timeout() {
    let mut u = Ux::new();
    let l = listener(&mut u, "/tmp/b", 1);
    let a = u.path(0, "/tmp/b");
    // Linux takes one more than the backlog.
    for _ in 0..2 {
        let c = u.socket(STREAM);
        assert_eq!(u.call("connect", [c, a.0, a.1, 0, 0, 0]), 0);
    }
    let nb = u.socket(STREAM | NONBLOCK);
    assert_eq!(
        err(u.call("connect", [nb, a.0, a.1, 0, 0, 0])),
        Some(EAGAIN)
    );
    let c = u.socket(STREAM);
    let mut tv = [0u8; 16];
    tv[8..].copy_from_slice(&100_000u64.to_le_bytes());
    assert_eq!(u.setopt(c, SOL_SOCKET, 21, &tv), 0, "SO_SNDTIMEO");
    assert_eq!(err(u.call("connect", [c, a.0, a.1, 0, 0, 0])), Some(EAGAIN));
    // Accepting makes room.
    u.ok("accept", [l, 0, 0, 0, 0, 0]);
    assert_eq!(u.call("connect", [nb, a.0, a.1, 0, 0, 0]), 0);
}

#[test]
fn a_closed_listener_resets_its_pending_connections() {
    let mut u = Ux::new();
    let l = listener(&mut u, "/tmp/r", 4);
    let c = u.socket(STREAM);
    let a = u.path(0, "/tmp/r");
    assert_eq!(u.call("connect", [c, a.0, a.1, 0, 0, 0]), 0);
    assert_eq!(u.send(c, b"data", 0), 4);
    u.close(l);
    assert_eq!(u.poll(c), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
    assert_eq!(err(u.send(c, b"x", MSG_NOSIGNAL)), Some(EPIPE));
    assert_eq!(u.recv(c, 8, 0), Err(ECONNRESET));
    assert_eq!(u.recv(c, 8, 0), Ok(Vec::new()));
}

#[test]
fn abstract_names_and_autobind() {
    let mut u = Ux::new();
    let s = u.socket(DGRAM);
    let n = u.abstract_name(0, b"abs");
    assert_eq!(u.call("bind", [s, n.0, n.1, 0, 0, 0]), 0);
    assert_eq!(
        u.name("getsockname", s),
        Ok(alloc::vec![1, 0, 0, b'a', b'b', b's'])
    );
    assert_eq!(
        err(u.call("bind", [s, n.0, n.1, 0, 0, 0])),
        Some(EINVAL),
        "bound"
    );
    let t = u.socket(DGRAM);
    assert_eq!(
        err(u.call("bind", [t, n.0, n.1, 0, 0, 0])),
        Some(EADDRINUSE)
    );
    // One more byte (a NUL) is another name.
    let n0 = u.abstract_name(1, b"abs\0");
    assert_eq!(u.call("bind", [t, n0.0, n0.1, 0, 0, 0]), 0);
    // Abstract names are found by their exact bytes.
    let z = u.socket(DGRAM);
    assert_eq!(u.sendto(z, b"to-abs", 0, n), 6);
    assert_eq!(u.sendto(t, b"named", 0, n), 5);
    assert_eq!(u.recvfrom(s, 64), (b"to-abs".to_vec(), Vec::new()));
    assert_eq!(
        u.recvfrom(s, 64),
        (b"named".to_vec(), alloc::vec![1, 0, 0, b'a', b'b', b's', 0])
    );
    let short = u.abstract_name(2, b"ab");
    assert_eq!(err(u.sendto(z, b"x", 0, short)), Some(ECONNREFUSED));
    // Autobind: the family alone; "\0" and five hex digits.
    let family = u.sockaddr(3, &[1, 0]);
    let a = u.socket(STREAM);
    assert_eq!(u.call("bind", [a, family.0, 2, 0, 0, 0]), 0);
    let name = u.name("getsockname", a).unwrap();
    assert_eq!(name.len(), 8);
    assert_eq!(name[2], 0);
    assert!(name[3..].iter().all(u8::is_ascii_hexdigit), "{name:?}");
    assert_eq!(
        u.call("bind", [a, family.0, 2, 0, 0, 0]),
        0,
        "again: nothing to do"
    );
    assert_eq!(u.name("getsockname", a), Ok(name));
    let inet = u.sockaddr(4, &[2, 0]);
    let b = u.socket(STREAM);
    assert_eq!(err(u.call("bind", [b, inet.0, 2, 0, 0, 0])), Some(EINVAL));
    assert_eq!(err(u.call("bind", [b, family.0, 1, 0, 0, 0])), Some(EINVAL));
    assert_eq!(err(u.call("bind", [b, n.0, 111, 0, 0, 0])), Some(EINVAL));
    assert_eq!(err(u.call("bind", [b, n.0, 129, 0, 0, 0])), Some(EINVAL));
    // SO_PASSCRED makes connect autobind.
    let p = u.socket(DGRAM);
    assert_eq!(u.setopt(p, SOL_SOCKET, 16, &1i32.to_le_bytes()), 0);
    assert_eq!(u.getopt(p, SOL_SOCKET, 16), Ok(1));
    assert_eq!(u.call("connect", [p, n.0, n.1, 0, 0, 0]), 0);
    assert_eq!(u.name("getsockname", p).map(|n| n.len()), Ok(8));
    // A closed socket's name is free again.
    u.close(s);
    let r = u.socket(DGRAM);
    assert_eq!(u.call("bind", [r, n.0, n.1, 0, 0, 0]), 0);
}

#[test]
fn datagram_destinations() {
    let mut u = Ux::new();
    let (x, y) = (u.socket(DGRAM), u.socket(DGRAM));
    let z = u.socket(DGRAM | NONBLOCK);
    let (d1, d2) = (u.path(0, "/tmp/d1"), u.path(1, "/tmp/d2"));
    u.ok("bind", [x, d1.0, d1.1, 0, 0, 0]);
    u.ok("bind", [y, d2.0, d2.1, 0, 0, 0]);
    u.ok("connect", [y, d1.0, d1.1, 0, 0, 0]);
    assert_eq!(u.name("getpeername", y), Ok(named("/tmp/d1")));
    // y talks to x only.
    assert_eq!(err(u.sendto(z, b"q", 0, d2)), Some(EPERM));
    assert_eq!(u.send(y, b"hi", 0), 2);
    assert_eq!(u.recvfrom(x, 8), (b"hi".to_vec(), named("/tmp/d2")));
    // x is not connected back to z: eleven messages, then EAGAIN.
    for _ in 0..11 {
        assert_eq!(u.sendto(z, b"q", 0, d1), 1);
    }
    assert_eq!(err(u.sendto(z, b"q", 0, d1)), Some(EAGAIN));
    u.ok("connect", [z, d1.0, d1.1, 0, 0, 0]);
    assert_eq!(u.poll(z), 0, "no room at its peer");
    assert_eq!(u.recv(x, 8, 0), Ok(b"q".to_vec()));
    assert_eq!(u.poll(z), POLLOUT);
    // A receiver that shut reading: EPIPE (no SIGPIPE).
    assert_eq!(u.call("shutdown", [x, 0, 0, 0, 0, 0]), 0);
    u.clear_signals();
    assert_eq!(err(u.sendto(y, b"q", 0, d1)), Some(EPIPE));
    assert!(!u.sigpipe_pending());
    // What is queued is still read; then a non-blocking read says EAGAIN
    // and a blocking one the end.
    for _ in 0..11 {
        assert!(u.recv(x, 8, 0).is_ok());
    }
    assert_eq!(u.recv(x, 8, MSG_DONTWAIT), Err(EAGAIN));
    assert_eq!(u.recv(x, 8, 0), Ok(Vec::new()));
    u.close(x);
    assert_eq!(err(u.sendto(y, b"q", 0, d1)), Some(ECONNREFUSED));
    // Connected to itself.
    let w = u.socket(DGRAM);
    let d3 = u.path(2, "/tmp/d3");
    u.ok("bind", [w, d3.0, d3.1, 0, 0, 0]);
    u.ok("connect", [w, d3.0, d3.1, 0, 0, 0]);
    assert_eq!(u.send(w, b"me", 0), 2);
    assert_eq!(u.recv(w, 8, 0), Ok(b"me".to_vec()));
    // AF_UNSPEC disconnects.
    let unspec = u.sockaddr(3, &[0, 0]);
    assert_eq!(u.call("connect", [w, unspec.0, 2, 0, 0, 0]), 0);
    assert_eq!(err(u.send(w, b"x", 0)), Some(ENOTCONN));
    assert_eq!(
        err(u.call("connect", [w, unspec.0, 1, 0, 0, 0])),
        Some(EINVAL)
    );
}

#[test]
fn listen_and_accept_in_the_wrong_state() {
    let mut u = Ux::new();
    let d = u.socket(DGRAM);
    assert_eq!(err(u.call("listen", [d, 1, 0, 0, 0, 0])), Some(EOPNOTSUPP));
    assert_eq!(err(u.call("accept", [d, 0, 0, 0, 0, 0])), Some(EOPNOTSUPP));
    let s = u.socket(STREAM);
    assert_eq!(
        err(u.call("listen", [s, 1, 0, 0, 0, 0])),
        Some(EINVAL),
        "unbound"
    );
    assert_eq!(err(u.call("accept", [s, 0, 0, 0, 0, 0])), Some(EINVAL));
    let (a, _) = u.pair(STREAM);
    let family = u.sockaddr(0, &[1, 0]);
    u.ok("bind", [a, family.0, 2, 0, 0, 0]);
    assert_eq!(
        err(u.call("listen", [a, 1, 0, 0, 0, 0])),
        Some(EINVAL),
        "connected"
    );
    let q = u.socket(SEQPACKET);
    u.ok("bind", [q, family.0, 2, 0, 0, 0]);
    assert_eq!(u.call("listen", [q, 1, 0, 0, 0, 0]), 0);
    assert_eq!(
        u.call("listen", [q, u64::MAX, 0, 0, 0, 0]),
        0,
        "a new backlog"
    );
}

#[test]
fn socket_options() {
    let mut u = Ux::new();
    let s = u.socket(STREAM);
    assert_eq!(u.getopt(s, SOL_SOCKET, 3), Ok(1), "SO_TYPE");
    assert_eq!(u.getopt(s, SOL_SOCKET, 38), Ok(0), "SO_PROTOCOL");
    assert_eq!(u.getopt(s, SOL_SOCKET, 39), Ok(1), "SO_DOMAIN");
    assert_eq!(u.getopt(s, SOL_SOCKET, 7), Ok(212_992), "SO_SNDBUF");
    assert_eq!(u.getopt(s, SOL_SOCKET, 8), Ok(212_992), "SO_RCVBUF");
    assert_eq!(u.getopt(s, SOL_SOCKET, 4), Ok(0), "SO_ERROR");
    assert_eq!(u.getopt(s, SOL_SOCKET, 16), Ok(0), "SO_PASSCRED");
    assert_eq!(u.setopt(s, SOL_SOCKET, 2, &1i32.to_le_bytes()), 0);
    assert_eq!(u.getopt(s, SOL_SOCKET, 2), Ok(1), "SO_REUSEADDR");
    assert_eq!(
        err(u.setopt(s, 6, 1, &1i32.to_le_bytes())),
        Some(EOPNOTSUPP)
    );
    assert_eq!(u.getopt(s, 6, 1), Err(EOPNOTSUPP));
    // SO_PEERCRED without a peer: pid 0, uid and gid -1.
    let (v, l) = (u.mem + 0x80, u.mem + 0x98);
    u.t.poke(l, &12i32.to_le_bytes());
    u.ok("getsockopt", [s, SOL_SOCKET, 17, v, l, 0]);
    let mut want = Vec::from(0i32.to_le_bytes());
    want.extend_from_slice(&[0xff; 8]);
    assert_eq!(u.t.peek(v, 12), want);
    // A smaller send buffer bounds a datagram.
    let (a, _b) = u.pair(DGRAM);
    assert_eq!(u.setopt(a, SOL_SOCKET, 7, &4096i32.to_le_bytes()), 0);
    assert_eq!(u.getopt(a, SOL_SOCKET, 7), Ok(8192));
    let big = u.big;
    assert_eq!(
        err(u.call("write", [a, big, 8161, 0, 0, 0])),
        Some(EMSGSIZE)
    );
    assert_eq!(u.call("write", [a, big, 8160, 0, 0, 0]), 8160);
}
