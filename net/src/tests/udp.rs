//! UDP: round trips, connected sockets, truncation, sizes, ports.

use super::wire::*;
use crate::{Errno, Ipv4Addr, PollEvents, SocketAddrV4, UdpSocket};

#[test]
fn loopback_round_trip_with_peek_and_truncation() {
    let net = lo();
    let srv = UdpSocket::new(&net);
    srv.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    let at = srv.local_addr();
    let cli = UdpSocket::new(&net);
    assert_eq!(srv.poll(), PollEvents::WRITABLE | PollEvents::WRBAND);
    assert_eq!(cli.send_to(b"hello, world", Some(at)), Ok(12));
    settle(&[&net]);
    assert!(srv.poll().contains(PollEvents::IN));
    assert_eq!(srv.available(), 12);
    let mut b = [0u8; 5];
    let d = srv.recv_from(&mut b, true).unwrap();
    let from = SocketAddrV4::new(Ipv4Addr::LOCALHOST, cli.local_addr().port());
    assert_eq!((d.copied, d.len, d.from), (5, 12, from));
    assert_eq!(
        *cli.local_addr().ip(),
        Ipv4Addr::UNSPECIFIED,
        "autobound to the wildcard"
    );
    let d = srv.recv_from(&mut b, false).unwrap();
    assert_eq!((d.copied, d.len, &b), (5, 12, b"hello"));
    assert_eq!(
        srv.recv_from(&mut b, false),
        Err(Errno::EAGAIN),
        "the rest is gone"
    );
    // Reply to the sender's address.
    assert_eq!(srv.send_to(b"pong", Some(d.from)), Ok(4));
    settle(&[&net]);
    let mut r = [0u8; 16];
    let d = cli.recv_from(&mut r, false).unwrap();
    assert_eq!((&r[..d.copied], d.from), (&b"pong"[..], at));
}

#[test]
fn connected_sockets_default_their_peer_and_filter_others() {
    let net = lo();
    let a = UdpSocket::new(&net);
    a.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    let b = UdpSocket::new(&net);
    b.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    let stranger = UdpSocket::new(&net);
    let c = UdpSocket::new(&net);
    assert_eq!(c.send_to(b"x", None), Err(Errno::EDESTADDRREQ));
    assert_eq!(c.peer_addr(), Err(Errno::ENOTCONN));
    c.connect(a.local_addr()).unwrap();
    assert_eq!(*c.local_addr().ip(), Ipv4Addr::LOCALHOST);
    assert_eq!(c.peer_addr(), Ok(a.local_addr()));
    assert_eq!(c.send_to(b"to a", None), Ok(4));
    settle(&[&net]);
    let mut buf = [0u8; 8];
    let d = a.recv_from(&mut buf, false).unwrap();
    assert_eq!(&buf[..d.copied], b"to a");
    stranger.send_to(b"spam", Some(c.local_addr())).unwrap();
    a.send_to(b"ok", Some(c.local_addr())).unwrap();
    settle(&[&net]);
    let d = c.recv_from(&mut buf, false).unwrap();
    assert_eq!(
        &buf[..d.copied],
        b"ok",
        "the stranger's datagram is dropped"
    );
    // sendto with an address still works on a connected UDP socket.
    assert_eq!(c.send_to(b"to b", Some(b.local_addr())), Ok(4));
    c.disconnect().unwrap();
    assert_eq!(c.peer_addr(), Err(Errno::ENOTCONN));
}

#[test]
fn sizes_and_ports() {
    let (a, b, _) = pair();
    let s = UdpSocket::new(&a);
    assert_eq!(
        s.send_to(
            &alloc::vec![0; 65508],
            Some(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9))
        ),
        Err(Errno::EMSGSIZE)
    );
    assert_eq!(
        s.send_to(&alloc::vec![0; 1473], Some(SocketAddrV4::new(B, 9))),
        Err(Errno::EMSGSIZE)
    );
    assert_eq!(
        s.send_to(b"x", Some(SocketAddrV4::new(Ipv4Addr::BROADCAST, 9))),
        Err(Errno::EACCES)
    );
    let big = UdpSocket::new(&a);
    big.bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).unwrap();
    let data = pattern(65507, 5);
    assert_eq!(s.send_to(&data, Some(big.local_addr())), Ok(65507));
    settle(&[&a]);
    let mut buf = alloc::vec![0u8; 70000];
    let d = big.recv_from(&mut buf, false).unwrap();
    assert!(d.len == 65507 && buf[..d.len] == data[..]);
    // Bind clashes: plain clashes, SO_REUSEADDR on both shares.
    let x = UdpSocket::new(&b);
    x.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5353))
        .unwrap();
    let y = UdpSocket::new(&b);
    assert_eq!(y.bind(SocketAddrV4::new(B, 5353)), Err(Errno::EADDRINUSE));
    let r1 = UdpSocket::new(&b);
    let r2 = UdpSocket::new(&b);
    r1.set_reuseaddr(true);
    r2.set_reuseaddr(true);
    r1.bind(SocketAddrV4::new(B, 6000)).unwrap();
    r2.bind(SocketAddrV4::new(B, 6000)).unwrap();
}

#[test]
fn wire_round_trip() {
    let (a, b, _) = pair();
    let srv = UdpSocket::new(&b);
    srv.bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 7))
        .unwrap();
    let cli = UdpSocket::new(&a);
    for i in 0..20u8 {
        let msg = pattern(1472, i);
        assert_eq!(cli.send_to(&msg, Some(SocketAddrV4::new(B, 7))), Ok(1472));
        settle(&[&a, &b]);
        let mut buf = [0u8; 2000];
        let d = srv.recv_from(&mut buf, false).expect("a datagram");
        assert_eq!(*d.from.ip(), A);
        assert!(buf[..d.copied] == msg[..]);
        srv.send_to(&buf[..d.copied], Some(d.from)).unwrap();
        settle(&[&a, &b]);
        let d = cli.recv_from(&mut buf, false).expect("the echo");
        assert_eq!(d.from, SocketAddrV4::new(B, 7));
        assert!(buf[..d.copied] == msg[..]);
    }
}

#[test]
fn shutdown_needs_a_peer() {
    let net = lo();
    let s = UdpSocket::new(&net);
    assert_eq!(s.shutdown(crate::Shutdown::Read), Err(Errno::ENOTCONN));
    let mut b = [0u8; 4];
    assert_eq!(
        s.recv_from(&mut b, false).map(|d| d.len),
        Ok(0),
        "0 after SHUT_RD"
    );
    assert!(s.poll().contains(PollEvents::IN | PollEvents::RDHUP));
}
