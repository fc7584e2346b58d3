//! TCP data paths: loopback, the NIC's own address, and the wire.

use super::wire::*;
use crate::{Errno, Ipv4Addr, Net, PollEvents, Shutdown, SocketAddrV4, TcpSocket};
use alloc::sync::Arc;

const MIB: usize = 1 << 20;

#[test]
fn net_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Net>();
    check::<TcpSocket>();
    check::<crate::UdpSocket>();
}

#[test]
fn loopback_moves_mebibytes_both_ways() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 4);
    assert_eq!(*at.ip(), Ipv4Addr::LOCALHOST);
    let (c, s) = connected(&net, &[&net], &l, at);
    assert_eq!(s.peer_addr(), Ok(c.local_addr()));
    assert_eq!(c.peer_addr(), Ok(at));
    let up = pattern(4 * MIB, 1);
    assert!(transfer(&[&net], &c, &s, &up) == up);
    let down = pattern(3 * MIB + 12345, 2);
    assert!(transfer(&[&net], &s, &c, &down) == down);
}

#[test]
fn wire_moves_mebibytes_both_ways() {
    let (a, b, _) = pair();
    let nets = [&a, &b];
    let (l, at) = listener(&b, Ipv4Addr::UNSPECIFIED, 4);
    let at = SocketAddrV4::new(B, at.port());
    let (c, s) = connected(&a, &nets, &l, at);
    assert_eq!(*c.local_addr().ip(), A);
    assert_eq!(*s.local_addr().ip(), B);
    let up = pattern(3 * MIB, 3);
    assert!(transfer(&nets, &c, &s, &up) == up);
    let down = pattern(2 * MIB, 4);
    assert!(transfer(&nets, &s, &c, &down) == down);
}

#[test]
fn a_wildcard_listener_takes_loopback_own_address_and_wire() {
    let (a, b, _) = pair();
    let nets = [&a, &b];
    let (l, at) = listener(&a, Ipv4Addr::UNSPECIFIED, 8);
    let port = at.port();
    for (from, dst) in [
        (&a, Ipv4Addr::LOCALHOST),
        (&a, Ipv4Addr::new(127, 0, 0, 9)),
        (&a, A),
        (&b, A),
        (&a, Ipv4Addr::UNSPECIFIED),
    ] {
        let (c, s) = connected(from, &nets, &l, SocketAddrV4::new(dst, port));
        let want_src = match dst {
            d if d == A && Arc::ptr_eq(from, &a) => A,
            d if d == A => B,
            _ => Ipv4Addr::LOCALHOST,
        };
        assert_eq!(*c.local_addr().ip(), want_src, "to {dst}");
        let msg = pattern(1000, 9);
        assert!(transfer(&nets, &c, &s, &msg) == msg, "to {dst}");
    }
}

#[test]
fn backlog_holds_pending_connections_before_accept() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 2);
    // backlog 2: three connections wait (Linux's backlog + 1).
    let clients: alloc::vec::Vec<TcpSocket> = (0..3)
        .map(|_| {
            let c = TcpSocket::new(&net);
            assert_eq!(c.connect(at), Err(Errno::EINPROGRESS));
            settle(&[&net]);
            assert_eq!(c.finish_connect(), Ok(()));
            c
        })
        .collect();
    assert!(l.poll().contains(PollEvents::IN));
    // The queue is full: smoltcp resets the next one (Linux drops its SYN).
    let late = TcpSocket::new(&net);
    assert_eq!(late.connect(at), Err(Errno::EINPROGRESS));
    settle(&[&net]);
    assert_eq!(late.finish_connect(), Err(Errno::ECONNREFUSED));
    for c in &clients {
        let (s, peer) = l.accept().expect("accept");
        assert_eq!(peer, c.local_addr());
        assert_eq!(c.send(b"hi"), Ok(2));
        settle(&[&net]);
        let mut b = [0u8; 8];
        assert_eq!(s.recv(&mut b, false), Ok(2));
    }
    assert_eq!(l.accept().err(), Some(Errno::EAGAIN));
    assert!(!l.poll().contains(PollEvents::IN));
    // Room again: a new client gets through.
    let again = TcpSocket::new(&net);
    assert_eq!(again.connect(at), Err(Errno::EINPROGRESS));
    settle(&[&net]);
    assert_eq!(again.finish_connect(), Ok(()));
    assert!(l.accept().is_ok());
}

#[test]
fn shutdown_write_sends_eof_and_the_other_way_stays_open() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    let (c, s) = connected(&net, &[&net], &l, at);
    assert_eq!(c.send(b"last words"), Ok(10));
    c.shutdown(Shutdown::Write).unwrap();
    settle(&[&net]);
    let mut b = [0u8; 64];
    assert_eq!(s.recv(&mut b, true), Ok(10), "peek");
    assert_eq!(s.available(), Ok(10));
    assert_eq!(s.recv(&mut b, false), Ok(10));
    assert_eq!(&b[..10], b"last words");
    assert_eq!(s.recv(&mut b, false), Ok(0), "EOF");
    let ev = s.poll();
    assert!(
        ev.contains(PollEvents::IN | PollEvents::RDHUP | PollEvents::OUT),
        "{ev:?}"
    );
    assert!(!ev.contains(PollEvents::HUP));
    // The client can no longer send, but still receives.
    assert_eq!(c.send(b"x"), Err(Errno::EPIPE));
    assert_eq!(s.send(b"reply"), Ok(5));
    settle(&[&net]);
    assert_eq!(c.recv(&mut b, false), Ok(5));
    s.shutdown(Shutdown::Both).unwrap();
    settle(&[&net]);
    assert_eq!(c.recv(&mut b, false), Ok(0));
    assert!(c.poll().contains(PollEvents::HUP | PollEvents::IN));
    assert!(s.poll().contains(PollEvents::HUP));
    assert_eq!(s.send(b"x"), Err(Errno::EPIPE));
}

#[test]
fn shutdown_read_makes_recv_return_eof() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    let (c, s) = connected(&net, &[&net], &l, at);
    let mut b = [0u8; 8];
    assert_eq!(s.recv(&mut b, false), Err(Errno::EAGAIN));
    s.shutdown(Shutdown::Read).unwrap();
    assert_eq!(s.recv(&mut b, false), Ok(0));
    assert!(s.poll().contains(PollEvents::RDHUP));
    assert_eq!(s.send(b"ok"), Ok(2), "writing still works");
    settle(&[&net]);
    assert_eq!(c.recv(&mut b, false), Ok(2));
}

#[test]
fn closing_ends_with_eof_and_the_port_is_reusable_with_reuseaddr() {
    let net = lo();
    let l = TcpSocket::new(&net);
    l.set_reuseaddr(true);
    l.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 5000))
        .unwrap();
    l.listen(8).unwrap();
    let at = l.local_addr();
    let (c, s) = connected(&net, &[&net], &l, at);
    assert_eq!(s.send(b"bye"), Ok(3));
    drop(s);
    settle(&[&net]);
    let mut b = [0u8; 8];
    assert_eq!(c.recv(&mut b, false), Ok(3));
    assert_eq!(c.recv(&mut b, false), Ok(0));
    drop(c);
    drop(l);
    settle(&[&net]);
    // The server's side waits in TIME-WAIT: a plain bind fails, SO_REUSEADDR passes.
    let plain = TcpSocket::new(&net);
    assert_eq!(plain.bind(at), Err(Errno::EADDRINUSE));
    let again = TcpSocket::new(&net);
    again.set_reuseaddr(true);
    again.bind(at).unwrap();
    again.listen(1).unwrap();
    let (_c2, _s2) = connected(&net, &[&net], &again, at);
}

#[test]
fn readiness_counts_grow_with_events() {
    let net = lo();
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    let seq0 = l.event_seq();
    let (c, s) = connected(&net, &[&net], &l, at);
    assert!(l.event_seq() > seq0);
    let before = s.event_seq();
    assert!(!s.poll().contains(PollEvents::IN));
    assert!(s.poll().contains(PollEvents::OUT));
    c.send(b"1").unwrap();
    settle(&[&net]);
    let mid = s.event_seq();
    assert!(mid > before);
    c.send(b"2").unwrap();
    settle(&[&net]);
    assert!(
        s.event_seq() > mid,
        "a second arrival counts even though IN stays set"
    );
}

#[test]
fn keepalive_nodelay_and_options_stick() {
    let net = lo();
    let s = TcpSocket::new(&net);
    assert!(!s.nodelay());
    s.set_nodelay(true);
    s.set_keepalive(Some(60));
    s.set_reuseport(true);
    assert!(s.nodelay() && s.reuseport());
    let (l, at) = listener(&net, Ipv4Addr::LOCALHOST, 1);
    l.set_nodelay(true);
    let (_c, a) = connected(&net, &[&net], &l, at);
    assert!(a.nodelay(), "accepted sockets inherit TCP_NODELAY");
}
