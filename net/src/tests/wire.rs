//! An Ethernet cable in memory, and helpers to run stacks over it.

use crate::{Errno, Ipv4Addr, Ipv4Config, Net, Nic, SocketAddrV4, TcpSocket};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

type Queue = Arc<Mutex<VecDeque<Vec<u8>>>>;

/// One end of the cable. With `cut` set, every frame sent is lost.
pub struct WireNic {
    pub mac: [u8; 6],
    pub tx: Queue,
    pub rx: Queue,
    pub cut: Arc<Mutex<bool>>,
}

impl Nic for WireNic {
    fn mac(&self) -> [u8; 6] {
        self.mac
    }
    fn mtu(&self) -> usize {
        1500
    }
    fn transmit(&mut self, frame: &[u8]) -> bool {
        assert!(frame.len() <= 1514, "a frame over the MTU");
        if !*self.cut.lock() {
            self.tx.lock().push_back(frame.to_vec());
        }
        true
    }
    fn receive(&mut self) -> Option<Vec<u8>> {
        self.rx.lock().pop_front()
    }
}

/// Two NICs joined back to back; the flag cuts the cable.
pub fn cable() -> (WireNic, WireNic, Arc<Mutex<bool>>) {
    let a: Queue = Arc::default();
    let b: Queue = Arc::default();
    let cut = Arc::new(Mutex::new(false));
    let left = WireNic {
        mac: [2, 0, 0, 0, 0, 1],
        tx: a.clone(),
        rx: b.clone(),
        cut: cut.clone(),
    };
    let right = WireNic {
        mac: [2, 0, 0, 0, 0, 2],
        tx: b,
        rx: a,
        cut: cut.clone(),
    };
    (left, right, cut)
}

pub const A: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 1);
pub const B: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

fn fixed(addr: Ipv4Addr) -> Ipv4Config {
    Ipv4Config::Static {
        addr,
        prefix: 24,
        gateway: None,
    }
}

/// Two stacks, 10.0.2.1 and 10.0.2.2, on one cable.
pub fn pair() -> (Arc<Net>, Arc<Net>, Arc<Mutex<bool>>) {
    let (l, r, cut) = cable();
    let a = Net::new(Some(Box::new(l)), fixed(A), 1, 0);
    let b = Net::new(Some(Box::new(r)), fixed(B), 2, 0);
    (Arc::new(a), Arc::new(b), cut)
}

pub fn lo() -> Arc<Net> {
    Arc::new(Net::loopback(7))
}

static CLOCK: AtomicU64 = AtomicU64::new(0);

/// A monotonic clock for the tests: each look is a millisecond later.
pub fn tick() -> u64 {
    CLOCK.fetch_add(1_000_000, Ordering::Relaxed) + 1_000_000
}

/// Moves the clock `ns` forward.
pub fn advance(ns: u64) -> u64 {
    CLOCK.fetch_add(ns, Ordering::Relaxed) + ns
}

/// Polls every stack, a millisecond apart, for long enough that every
/// exchange in flight (ARP included) has finished.
pub fn settle(nets: &[&Arc<Net>]) {
    for _ in 0..16 {
        let now = tick();
        for n in nets {
            n.poll(now);
        }
    }
}

/// A listener on `addr` (port chosen) with `backlog`; returns it and its address.
pub fn listener(net: &Arc<Net>, addr: Ipv4Addr, backlog: i32) -> (TcpSocket, SocketAddrV4) {
    let l = TcpSocket::new(net);
    l.bind(SocketAddrV4::new(addr, 0)).expect("bind");
    l.listen(backlog).expect("listen");
    let at = l.local_addr();
    assert_ne!(at.port(), 0);
    (l, at)
}

/// A connected pair: (client, server side).
pub fn connected(
    client_net: &Arc<Net>,
    nets: &[&Arc<Net>],
    l: &TcpSocket,
    at: SocketAddrV4,
) -> (TcpSocket, TcpSocket) {
    let c = TcpSocket::new(client_net);
    assert_eq!(c.connect(at), Err(Errno::EINPROGRESS));
    settle(nets);
    assert_eq!(c.finish_connect(), Ok(()), "connected");
    let (s, peer) = l.accept().expect("accept");
    assert_eq!(peer, c.local_addr());
    (c, s)
}

/// A deterministic pattern of `n` bytes.
pub fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2654435761).rotate_right(13) as u8 ^ seed)
        .collect()
}

/// Sends `data` through `tx` while reading it from `rx`, polling `nets`;
/// returns what arrived.
pub fn transfer(nets: &[&Arc<Net>], tx: &TcpSocket, rx: &TcpSocket, data: &[u8]) -> Vec<u8> {
    let mut sent = 0;
    let mut got = Vec::with_capacity(data.len());
    let mut buf = alloc::vec![0u8; 100_000];
    let mut idle = 0;
    while got.len() < data.len() {
        let mut progress = false;
        if sent < data.len() {
            match tx.send(&data[sent..]) {
                Ok(n) => {
                    sent += n;
                    progress = true;
                }
                Err(Errno::EAGAIN) => {}
                Err(e) => panic!("send: {e:?}"),
            }
        }
        settle(nets);
        match rx.recv(&mut buf, false) {
            Ok(0) => panic!("EOF after {} bytes", got.len()),
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                progress = true;
            }
            Err(Errno::EAGAIN) => {}
            Err(e) => panic!("recv: {e:?}"),
        }
        idle = if progress { 0 } else { idle + 1 };
        assert!(
            idle < 1000,
            "stalled at {} of {} bytes",
            got.len(),
            data.len()
        );
    }
    got
}
