//! AF_UNIX waits and readiness on the host: a signal or SO_RCVTIMEO
//! ends a blocking receive, edge-triggered epoll sees each arrival, and
//! the FIOASYNC/F_SETOWN set-up nginx gives its worker channels.

use super::tests::*;

#[test]
fn waits_end_by_signal_or_timeout() {
    let mut u = Ux::new();
    let (_a, b) = u.pair(STREAM);
    crate::signal::raise(&mut u.t.p, 10);
    assert_eq!(u.recv(b, 8, 0), Err(EINTR));
    assert!(u.t.p.restart.is_some(), "ERESTARTSYS: restartable");
    u.clear_signals();
    // SO_RCVTIMEO: EAGAIN at the deadline, for read(2) too.
    let mut tv = [0u8; 16];
    tv[8..].copy_from_slice(&200_000u64.to_le_bytes());
    assert_eq!(u.setopt(b, SOL_SOCKET, 20, &tv), 0);
    assert_eq!(u.recv(b, 8, 0), Err(EAGAIN));
    let buf = u.mem + 0x2000;
    assert_eq!(err(u.call("read", [b, buf, 8, 0, 0, 0])), Some(EAGAIN));
}

#[test]
fn edge_triggered_epoll_sees_each_arrival() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    let ep = u.ok("epoll_create1", [0, 0, 0, 0, 0, 0]);
    let ev = u.mem + 0x200;
    let mut e = [0u8; 12];
    e[..4].copy_from_slice(&(1u32 | 1 << 31).to_le_bytes());
    u.t.poke(ev, &e);
    u.ok("epoll_ctl", [ep, 1, b, ev, 0, 0]);
    let out = u.mem + 0x300;
    let wait = |u: &mut Ux| u.call("epoll_wait", [ep, out, 4, 0, 0, 0]);
    assert_eq!(wait(&mut u), 0);
    assert_eq!(u.send(a, b"1", 0), 1);
    assert_eq!(wait(&mut u), 1);
    assert_eq!(wait(&mut u), 0, "reported once");
    assert_eq!(u.send(a, b"2", 0), 1);
    assert_eq!(wait(&mut u), 1, "a new arrival while still readable");
    u.close(a);
    assert_eq!(wait(&mut u), 1, "the peer's close");
}

#[test]
fn an_nginx_channel_takes_fioasync_and_f_setown() {
    let mut u = Ux::new();
    let (a, _b) = u.pair(STREAM);
    let on = u.mem + 0x80;
    u.t.poke(on, &1i32.to_le_bytes());
    assert_eq!(u.call("ioctl", [a, 0x5452, on, 0, 0, 0]), 0, "FIOASYNC");
    assert_eq!(
        u.call("fcntl", [a, 3, 0, 0, 0, 0]) & 0o20000,
        0o20000,
        "O_ASYNC"
    );
    assert_eq!(
        err(u.call("ioctl", [a, 0x5452, 0x10, 0, 0, 0])),
        Some(EFAULT)
    );
    assert_eq!(u.call("fcntl", [a, 9, 0, 0, 0, 0]), 0, "no owner yet");
    let pid = u.t.p.pid as u64;
    assert_eq!(u.call("fcntl", [a, 8, pid, 0, 0, 0]), 0, "F_SETOWN");
    let d = u.ok("dup", [a, 0, 0, 0, 0, 0]);
    assert_eq!(
        u.call("fcntl", [d, 9, 0, 0, 0, 0]),
        pid,
        "the description's owner"
    );
    assert_eq!(
        err(u.call("fcntl", [a, 8, 999_999, 0, 0, 0])),
        Some(3),
        "ESRCH"
    );
    assert_eq!(u.call("fcntl", [a, 9, 0, 0, 0, 0]), pid);
    u.t.poke(on, &0i32.to_le_bytes());
    assert_eq!(u.call("ioctl", [a, 0x5452, on, 0, 0, 0]), 0);
    assert_eq!(u.call("fcntl", [a, 3, 0, 0, 0, 0]) & 0o20000, 0);
    // A regular file cannot signal.
    let f = u.t.cstr(u.mem + 0x40, "/tmp/plain");
    let fd = u.ok("openat", [(-100i64) as u64, f, 0o102, 0o644, 0, 0]);
    u.t.poke(on, &1i32.to_le_bytes());
    assert_eq!(
        err(u.call("ioctl", [fd, 0x5452, on, 0, 0, 0])),
        Some(25),
        "ENOTTY"
    );
    assert_eq!(u.call("fcntl", [fd, 8, pid, 0, 0, 0]), 0);
}
