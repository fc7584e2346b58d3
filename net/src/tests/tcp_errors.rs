//! TCP errors: refused, timed out, reset, bind clashes, wrong states.

use super::wire::*;
use crate::{Errno, Ipv4Addr, PollEvents, Shutdown, SocketAddrV4, TcpSocket, CONNECT_TIMEOUT_NS};

fn local(port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)
}

#[test]
fn connecting_to_a_closed_port_is_refused_once_then_retried() {
    let net = lo();
    let c = TcpSocket::new(&net);
    assert_eq!(c.connect(local(9)), Err(Errno::EINPROGRESS));
    settle(&[&net]);
    let ev = c.poll();
    let want =
        PollEvents::IN | PollEvents::OUT | PollEvents::ERR | PollEvents::HUP | PollEvents::RDHUP;
    assert!(ev.contains(want), "{ev:?}");
    // Linux: the error once, then the socket starts over.
    assert_eq!(c.connect(local(9)), Err(Errno::ECONNREFUSED));
    assert_eq!(c.connect(local(9)), Err(Errno::EINPROGRESS));
    settle(&[&net]);
    assert_eq!(c.take_error(), Some(Errno::ECONNREFUSED));
    assert_eq!(c.take_error(), None);
    assert_eq!(c.finish_connect(), Err(Errno::ECONNABORTED));
}

#[test]
fn an_unanswered_connect_times_out() {
    let (a, b, cut) = pair();
    *cut.lock() = true;
    let start = tick();
    a.poll(start);
    let c = TcpSocket::new(&a);
    assert_eq!(c.connect(SocketAddrV4::new(B, 80)), Err(Errno::EINPROGRESS));
    let mut now = start;
    while c.is_connecting() {
        assert!(now - start < 2 * CONNECT_TIMEOUT_NS, "never timed out");
        let next = a.poll_at(now).expect("a connecting socket has a timer");
        now = advance(next.saturating_sub(now).max(1_000_000));
        a.poll(now);
        b.poll(now);
    }
    assert!(
        now - start >= CONNECT_TIMEOUT_NS,
        "after {} ms: {:?}",
        (now - start) / 1_000_000,
        c.finish_connect()
    );
    assert_eq!(c.finish_connect(), Err(Errno::ETIMEDOUT));
}

#[test]
fn unread_data_at_close_resets_the_peer() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    let (c, s) = connected(&net, &[&net], &l, at);
    c.send(b"never read").unwrap();
    settle(&[&net]);
    drop(s);
    settle(&[&net]);
    assert!(c.poll().contains(PollEvents::ERR | PollEvents::HUP));
    assert_eq!(c.send(b"x"), Err(Errno::ECONNRESET));
    assert_eq!(c.send(b"x"), Err(Errno::EPIPE));
    let mut b = [0u8; 4];
    assert_eq!(c.recv(&mut b, false), Ok(0));
    assert_eq!(c.peer_addr(), Err(Errno::ENOTCONN));
}

#[test]
fn linger_zero_resets_instead_of_fin() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    let (c, s) = connected(&net, &[&net], &l, at);
    s.set_linger_abort(true);
    drop(s);
    settle(&[&net]);
    let mut b = [0u8; 4];
    assert_eq!(c.recv(&mut b, false), Err(Errno::ECONNRESET));
}

#[test]
fn bind_rules_follow_linux() {
    let (a, _b, _) = pair();
    let s = TcpSocket::new(&a);
    assert_eq!(
        s.bind(SocketAddrV4::new(Ipv4Addr::new(8, 8, 8, 8), 1)),
        Err(Errno::EADDRNOTAVAIL)
    );
    s.bind(SocketAddrV4::new(A, 7000)).unwrap();
    assert_eq!(
        s.bind(SocketAddrV4::new(A, 7001)),
        Err(Errno::EINVAL),
        "bound twice"
    );
    // The same port on the wildcard clashes; on another address it does not.
    let w = TcpSocket::new(&a);
    assert_eq!(
        w.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7000)),
        Err(Errno::EADDRINUSE)
    );
    let other = TcpSocket::new(&a);
    other.bind(local(7000)).unwrap();
    // Both SO_REUSEADDR, not listening: shared; a listener then blocks a second listen.
    let r1 = TcpSocket::new(&a);
    let r2 = TcpSocket::new(&a);
    r1.set_reuseaddr(true);
    r2.set_reuseaddr(true);
    r1.bind(local(7100)).unwrap();
    r2.bind(local(7100)).unwrap();
    r1.listen(1).unwrap();
    assert_eq!(r2.listen(1), Err(Errno::EADDRINUSE));
    // SO_REUSEPORT on both: two listeners.
    let p1 = TcpSocket::new(&a);
    let p2 = TcpSocket::new(&a);
    p1.set_reuseport(true);
    p2.set_reuseport(true);
    p1.bind(local(7200)).unwrap();
    p2.bind(local(7200)).unwrap();
    p1.listen(1).unwrap();
    p2.listen(1).unwrap();
    // A port 0 bind picks an ephemeral port.
    let e = TcpSocket::new(&a);
    e.bind(local(0)).unwrap();
    assert!(e.local_addr().port() >= crate::EPHEMERAL_FIRST);
}

#[test]
fn wrong_states_give_linux_errors() {
    let net = lo();
    let s = TcpSocket::new(&net);
    let mut b = [0u8; 4];
    // A fresh socket: OUT|HUP, ENOTCONN to read, EPIPE to write.
    assert_eq!(s.poll(), PollEvents::WRITABLE | PollEvents::HUP);
    assert_eq!(s.recv(&mut b, false), Err(Errno::ENOTCONN));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));
    assert_eq!(s.shutdown(Shutdown::Write), Err(Errno::ENOTCONN));
    assert_eq!(s.peer_addr(), Err(Errno::ENOTCONN));
    assert_eq!(s.accept().err(), Some(Errno::EINVAL));
    assert_eq!(s.local_addr(), SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
    // A listener.
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    assert_eq!(l.poll(), PollEvents::empty());
    assert_eq!(l.recv(&mut b, false), Err(Errno::ENOTCONN));
    assert_eq!(l.send(b"x"), Err(Errno::EPIPE));
    assert_eq!(l.connect(at), Err(Errno::EISCONN));
    assert_eq!(l.available(), Err(Errno::EINVAL));
    assert_eq!(l.shutdown(Shutdown::Write), Ok(()));
    // A connected socket.
    let (c, _s) = connected(&net, &[&net], &l, at);
    assert_eq!(c.connect(at), Err(Errno::EISCONN));
    assert_eq!(c.listen(1), Err(Errno::EINVAL));
    // Unreachable without a NIC.
    let u = TcpSocket::new(&net);
    assert_eq!(
        u.connect(SocketAddrV4::new(Ipv4Addr::new(10, 1, 1, 1), 80)),
        Err(Errno::ENETUNREACH)
    );
    // Listening on an unbound socket binds an ephemeral port.
    let auto = TcpSocket::new(&net);
    auto.listen(0).unwrap();
    assert!(auto.local_addr().port() >= crate::EPHEMERAL_FIRST);
    // shutdown(SHUT_RD) stops a listener.
    l.shutdown(Shutdown::Read).unwrap();
    assert_eq!(l.accept().err(), Some(Errno::EINVAL));
}

#[test]
fn a_nonblocking_connect_in_progress_reports_ealready() {
    let (a, b, _) = pair();
    let (_l, at) = listener(&b, B, 1);
    let c = TcpSocket::new(&a);
    assert_eq!(c.connect(at), Err(Errno::EINPROGRESS));
    // Nothing polled b yet: still connecting.
    assert!(c.is_connecting());
    assert_eq!(c.connect(at), Err(Errno::EALREADY));
    assert_eq!(c.poll() & PollEvents::OUT, PollEvents::empty());
    assert_eq!(c.send(b"x"), Err(Errno::EAGAIN));
    assert_eq!(c.peer_addr(), Err(Errno::ENOTCONN));
    settle(&[&a, &b]);
    assert!(!c.is_connecting());
    assert!(c.poll().contains(PollEvents::OUT));
    assert_eq!(c.peer_addr(), Ok(at));
}
