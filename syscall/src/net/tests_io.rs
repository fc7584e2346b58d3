//! Socket data calls on the host: iovecs, flags, ioctls, UDP, sendfile,
//! signals during a wait.

use super::tests::*;

const EINTR: i32 = 4;
const EAGAIN: i32 = 11;
const EDESTADDRREQ: i32 = 89;
const MSG_PEEK: u64 = 2;
const MSG_TRUNC: u64 = 0x20;
const MSG_DONTWAIT: u64 = 0x40;
const MSG_WAITALL: u64 = 0x100;

/// Writes iovecs for `parts` (address, length) at `at`.
fn iovecs(n: &mut Net, at: u64, parts: &[(u64, u64)]) {
    for (i, (b, l)) in parts.iter().enumerate() {
        let mut e = [0u8; 16];
        e[..8].copy_from_slice(&b.to_le_bytes());
        e[8..].copy_from_slice(&l.to_le_bytes());
        n.t.poke(at + i as u64 * 16, &e);
    }
}

/// A msghdr at `at`: name, namelen, iov, iovlen.
fn msghdr(n: &mut Net, at: u64, name: u64, namelen: u32, iov: u64, iovlen: u64) {
    let mut m = [0u8; 56];
    m[..8].copy_from_slice(&name.to_le_bytes());
    m[8..12].copy_from_slice(&namelen.to_le_bytes());
    m[16..24].copy_from_slice(&iov.to_le_bytes());
    m[24..32].copy_from_slice(&iovlen.to_le_bytes());
    n.t.poke(at, &m);
}

#[test]
fn sendmsg_and_recvmsg_gather_and_scatter() {
    let mut n = Net::new();
    let (c, s) = n.pair();
    let (b1, b2) = (n.mem + 0x1000, n.mem + 0x1100);
    n.t.poke(b1, b"Hello, ");
    n.t.poke(b2, b"sockets!");
    let iov = n.mem + 0x700;
    iovecs(&mut n, iov, &[(b1, 7), (b2, 8)]);
    let m = n.mem + 0x800;
    msghdr(&mut n, m, 0, 0, iov, 2);
    assert_eq!(n.call("sendmsg", [c, m, 0, 0, 0, 0]), 15);
    // Receive into 4 + 100 bytes, first peeking.
    let (r1, r2) = (n.mem + 0x3000, n.mem + 0x3100);
    iovecs(&mut n, iov, &[(r1, 4), (r2, 100)]);
    let name = n.mem + 0x900;
    msghdr(&mut n, m, name, 16, iov, 2);
    assert_eq!(n.call("recvmsg", [s, m, MSG_PEEK, 0, 0, 0]), 15);
    assert_eq!(n.call("recvmsg", [s, m, 0, 0, 0, 0]), 15);
    assert_eq!(n.t.peek(r1, 4), b"Hell");
    assert_eq!(n.t.peek(r2, 11), b"o, sockets!");
    assert_eq!(
        n.t.peek(m + 8, 4),
        0u32.to_le_bytes(),
        "TCP names no sender"
    );
    // readv/writev on sockets (writev sends each iovec: the second small
    // one leaves at once because loopback ACKs without delay).
    iovecs(&mut n, iov, &[(b2, 8), (b1, 7)]);
    assert_eq!(n.call("writev", [s, iov, 2, 0, 0, 0]), 15);
    iovecs(&mut n, iov, &[(r1, 8), (r2, 50)]);
    assert_eq!(n.call("readv", [c, iov, 2, 0, 0, 0]), 15);
    assert_eq!(n.t.peek(r1, 8), b"sockets!");
}

#[test]
fn waitall_dontwait_fionread_and_fionbio() {
    let mut n = Net::new();
    let (c, s) = n.pair();
    assert_eq!(n.recv(s, 8, MSG_DONTWAIT), Err(EAGAIN));
    assert_eq!(n.send(c, b"abcdefgh", 0), 8);
    let cnt = n.mem + 0x400;
    assert_eq!(n.call("ioctl", [s, 0x541b, cnt, 0, 0, 0]), 0);
    assert_eq!(n.t.peek(cnt, 4), 8i32.to_le_bytes(), "FIONREAD");
    assert_eq!(n.recv(s, 4, MSG_WAITALL), Ok(b"abcd".to_vec()));
    // FIONBIO makes a blocking socket non-blocking.
    n.t.poke(cnt, &1i32.to_le_bytes());
    assert_eq!(n.call("ioctl", [s, 0x5421, cnt, 0, 0, 0]), 0);
    assert_eq!(n.recv(s, 64, 0), Ok(b"efgh".to_vec()));
    assert_eq!(n.recv(s, 64, 0), Err(EAGAIN));
    // MSG_WAITALL ends early at EOF.
    assert_eq!(n.send(c, b"xy", 0), 2);
    n.call("shutdown", [c, 1, 0, 0, 0, 0]);
    assert_eq!(n.recv(s, 64, MSG_WAITALL), Ok(b"xy".to_vec()));
    assert_eq!(n.recv(s, 64, 0), Ok(alloc::vec![]));
}

#[test]
fn a_signal_interrupts_a_blocking_recv() {
    let mut n = Net::new();
    let (_c, s) = n.pair();
    crate::signal::raise(&mut n.t.p, 10);
    assert_eq!(n.recv(s, 8, 0), Err(EINTR));
    assert!(n.t.p.restart.is_some(), "ERESTARTSYS: restartable");
    n.clear_signals();
}

#[test]
fn udp_round_trip_with_truncation_and_names() {
    let mut n = Net::new();
    let a = n.socket(SOCK_DGRAM);
    let sa = n.addr(0, [127, 0, 0, 1], 0);
    assert_eq!(n.call("bind", [a, sa, 16, 0, 0, 0]), 0);
    let (_, port) = n.name("getsockname", a).unwrap();
    let b = n.socket(SOCK_DGRAM);
    assert_eq!(n.send(b, b"x", 0) as i64, -(EDESTADDRREQ as i64));
    let to = n.addr(1, [127, 0, 0, 1], port);
    let data = n.mem + 0x1000;
    n.t.poke(data, b"0123456789");
    assert_eq!(n.call("sendto", [b, data, 10, 0, to, 16]), 10);
    // recvfrom with a short buffer: truncated, sender named.
    let (from, fl) = (n.mem + 0x980, n.mem + 0x9a0);
    n.t.poke(fl, &16i32.to_le_bytes());
    let out = n.mem + 0x3000;
    assert_eq!(
        n.call("recvfrom", [a, out, 4, MSG_PEEK | MSG_TRUNC, from, fl]),
        10
    );
    let (_, bport) = n.name("getsockname", b).unwrap();
    assert_eq!(
        u16::from_be_bytes(n.t.peek(from + 2, 2).try_into().unwrap()),
        bport
    );
    assert_eq!(n.t.peek(from + 4, 4), [127, 0, 0, 1]);
    // recvmsg reports MSG_TRUNC in msg_flags.
    let iov = n.mem + 0x700;
    iovecs(&mut n, iov, &[(out, 4)]);
    let m = n.mem + 0x800;
    msghdr(&mut n, m, 0, 0, iov, 1);
    assert_eq!(n.call("recvmsg", [a, m, 0, 0, 0, 0]), 4);
    assert_eq!(n.t.peek(m + 48, 4), (MSG_TRUNC as i32).to_le_bytes());
    assert_eq!(n.t.peek(out, 4), b"0123");
    // connect() sets the default destination.
    assert_eq!(n.call("connect", [b, to, 16, 0, 0, 0]), 0);
    assert_eq!(n.send(b, b"again", 0), 5);
    assert_eq!(n.recv(a, 64, 0), Ok(b"again".to_vec()));
}

#[test]
fn sendfile_to_a_socket_and_to_a_file() {
    let mut n = Net::new();
    let (c, s) = n.pair();
    let path = n.t.cstr(n.mem + 0x600, "/data");
    let f = n.call("openat", [(-100i64) as u64, path, 0o102, 0o644, 0, 0]);
    assert!(err(f).is_none());
    let content: alloc::vec::Vec<u8> = (0..40000u32).map(|i| (i % 251) as u8).collect();
    let buf = n.mem + 0x1000;
    n.t.poke(buf, &content[..20000]);
    assert_eq!(n.call("write", [f, buf, 20000, 0, 0, 0]), 20000);
    n.t.poke(buf, &content[20000..]);
    assert_eq!(n.call("write", [f, buf, 20000, 0, 0, 0]), 20000);
    // With an offset pointer: the file offset stays.
    let off = n.mem + 0x400;
    n.t.poke(off, &1000u64.to_le_bytes());
    assert_eq!(n.call("sendfile", [c, f, off, 30000, 0, 0]), 30000);
    assert_eq!(n.t.peek(off, 8), 31000u64.to_le_bytes());
    let mut got = alloc::vec::Vec::new();
    while got.len() < 30000 {
        got.extend(n.recv(s, 30000, 0).unwrap());
    }
    assert!(got == content[1000..31000]);
    // Without one, from the file offset (at the end now: nothing to send).
    assert_eq!(n.call("sendfile", [c, f, 0, 100, 0, 0]), 0);
    // To another file.
    let p2 = n.t.cstr(n.mem + 0x680, "/copy");
    let g = n.call("openat", [(-100i64) as u64, p2, 0o102, 0o644, 0, 0]);
    n.t.poke(off, &0u64.to_le_bytes());
    assert_eq!(n.call("sendfile", [g, f, off, 100000, 0, 0]), 40000);
    assert_eq!(n.call("pread64", [g, buf, 40000, 0, 0, 0]), 40000);
    assert!(n.t.peek(buf, 40000) == content);
    // A socket is no source.
    assert_eq!(err(n.call("sendfile", [g, s, 0, 10, 0, 0])), Some(22));
}
