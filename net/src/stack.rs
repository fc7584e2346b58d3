//! `Net`: the two interfaces (lo and, with a NIC, eth), their socket sets,
//! the BSD socket table, and the loop that drives smoltcp.

use crate::config::Ipv4Config;
use crate::device::Port;
use crate::listener;
use crate::nic::Nic;
use crate::tcp_state::TcpState;
use crate::udp::UdpState;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddrV4};
use smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, Route, SocketHandle, SocketSet,
};
use smoltcp::socket::{dhcpv4, tcp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Cidr};
use spin::Mutex;

/// Rounds of ingress and egress one poll runs at most (each moves at least
/// one packet); the rest waits for the next poll, which `poll_at` asks for
/// at once.
const MAX_ROUNDS: usize = 256;
/// Received frames one interface handles per round.
const MAX_INGRESS: usize = 256;

pub(crate) type SockId = u64;

/// Which interface a smoltcp socket lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Lo = 0,
    Eth = 1,
}

pub(crate) const VIAS: [Via; 2] = [Via::Lo, Via::Eth];

pub(crate) struct Iface {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    pub port: Port,
}

pub(crate) struct Ifaces {
    pub lo: Iface,
    pub eth: Option<Iface>,
}

impl Ifaces {
    pub fn get(&mut self, via: Via) -> Option<&mut Iface> {
        match via {
            Via::Lo => Some(&mut self.lo),
            Via::Eth => self.eth.as_mut(),
        }
    }

    pub fn has(&self, via: Via) -> bool {
        via == Via::Lo || self.eth.is_some()
    }

    /// The TCP socket `h` on `via`. Handles come only from this crate, so
    /// a missing one is a bug in it.
    pub fn tcp(&mut self, via: Via, h: SocketHandle) -> &mut tcp::Socket<'static> {
        match via {
            Via::Lo => self.lo.sockets.get_mut(h),
            Via::Eth => self
                .eth
                .as_mut()
                .expect("a socket on eth without eth")
                .sockets
                .get_mut(h),
        }
    }

    pub fn add(
        &mut self,
        via: Via,
        s: impl smoltcp::socket::AnySocket<'static>,
    ) -> Option<SocketHandle> {
        Some(self.get(via)?.sockets.add(s))
    }

    pub fn remove(&mut self, via: Via, h: SocketHandle) {
        if let Some(i) = self.get(via) {
            i.sockets.remove(h);
        }
    }
}

/// A BSD socket's state in the table.
pub(crate) enum Sock {
    Tcp(TcpState),
    Udp(UdpState),
}

/// A TCP connection closed by its socket and still finishing (FIN, RST or
/// TIME-WAIT): it keeps its port until it is gone.
pub(crate) struct Orphan {
    pub via: Via,
    pub h: SocketHandle,
    pub local: SocketAddrV4,
    pub reuseaddr: bool,
    pub reuseport: bool,
}

pub(crate) struct Stack {
    pub ifs: Ifaces,
    dhcp: Option<SocketHandle>,
    pub socks: BTreeMap<SockId, Sock>,
    /// The listening TCP sockets (refilled after every received packet).
    pub listeners: Vec<SockId>,
    pub orphans: Vec<Orphan>,
    next_id: SockId,
    /// The latest time the stack was given.
    pub now_ns: u64,
    pub rng: u64,
    /// The NIC's address and prefix, once it has one.
    pub addr: Option<(Ipv4Addr, u8)>,
}

pub(crate) fn instant(ns: u64) -> Instant {
    Instant::from_micros((ns / 1000) as i64)
}

pub(crate) fn v4(a: IpAddress) -> Ipv4Addr {
    #[allow(unreachable_patterns)]
    match a {
        IpAddress::Ipv4(a) => a,
        _ => Ipv4Addr::UNSPECIFIED,
    }
}

impl Stack {
    pub fn new_id(&mut self) -> SockId {
        self.next_id += 1;
        self.next_id
    }

    /// A pseudo-random number (ephemeral ports).
    pub fn random(&mut self) -> u64 {
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.rng >> 33
    }

    fn advance(&mut self, now_ns: u64) {
        self.now_ns = self.now_ns.max(now_ns);
    }

    /// Moves packets until nothing moves (or `MAX_ROUNDS`), then looks at
    /// every socket; true when some socket's readiness changed.
    pub fn drive(&mut self) -> bool {
        let ts = instant(self.now_ns);
        for _ in 0..MAX_ROUNDS {
            let mut busy = false;
            for via in VIAS {
                for _ in 0..MAX_INGRESS {
                    let Some(i) = self.ifs.get(via) else { break };
                    match i.iface.poll_ingress_single(ts, &mut i.port, &mut i.sockets) {
                        PollIngressSingleResult::None => break,
                        _ => busy = true,
                    }
                    // A listener that took a SYN gets its next listening socket now,
                    // before the next packet (another client's SYN) is processed.
                    listener::refill_all(self, via);
                }
            }
            for via in VIAS {
                if let Some(i) = self.ifs.get(via) {
                    if i.iface.poll_egress(ts, &mut i.port, &mut i.sockets)
                        == PollResult::SocketStateChanged
                    {
                        busy = true;
                    }
                }
            }
            self.dhcp_events();
            if !busy && !self.ifs.lo.port.queued() {
                break;
            }
        }
        self.observe()
    }

    /// Updates every socket's view (errors, readiness, event counts) and
    /// drops finished orphans.
    fn observe(&mut self) -> bool {
        let Stack {
            ifs, socks, now_ns, ..
        } = self;
        let mut changed = false;
        for s in socks.values_mut() {
            changed |= match s {
                Sock::Tcp(t) => t.observe(ifs, *now_ns),
                Sock::Udp(u) => u.observe(ifs),
            };
        }
        self.orphans.retain(|o| {
            let s = ifs.tcp(o.via, o.h);
            let gone = s.state() == tcp::State::Closed && s.local_endpoint().is_none();
            if gone {
                ifs.remove(o.via, o.h);
            }
            !gone
        });
        changed
    }

    fn dhcp_events(&mut self) {
        let (Some(h), Some(eth)) = (self.dhcp, self.ifs.eth.as_mut()) else {
            return;
        };
        let event = match eth.sockets.get_mut::<dhcpv4::Socket>(h).poll() {
            None => return,
            Some(dhcpv4::Event::Configured(c)) => Some((c.address, c.router)),
            Some(dhcpv4::Event::Deconfigured) => None,
        };
        match event {
            Some((cidr, router)) => {
                match router {
                    Some(r) => log::info!("net: DHCP gave {cidr}, gateway {r}"),
                    None => log::info!("net: DHCP gave {cidr}, no gateway"),
                }
                self.set_addr(Some((cidr.address(), cidr.prefix_len())), router);
            }
            // smoltcp reports Deconfigured once at start too: only a
            // lease we had is worth a line.
            None => {
                if self.addr.is_some() {
                    log::info!("net: DHCP lease lost");
                }
                self.set_addr(None, None);
            }
        }
    }

    /// Gives the NIC `addr` (None: no address), with a default route via
    /// `gateway`, and lo a /32 copy of it so the host reaches itself there.
    fn set_addr(&mut self, addr: Option<(Ipv4Addr, u8)>, gateway: Option<Ipv4Addr>) {
        self.addr = addr;
        if let Some(eth) = self.ifs.eth.as_mut() {
            eth.iface.update_ip_addrs(|a| {
                a.clear();
                if let Some((ip, prefix)) = addr {
                    let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(ip, prefix)));
                }
            });
            let routes = eth.iface.routes_mut();
            routes.remove_default_ipv4_route();
            if let Some(gw) = gateway {
                let _ = routes.add_default_ipv4_route(gw);
            }
        }
        self.ifs.lo.iface.update_ip_addrs(|a| {
            a.clear();
            let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(Ipv4Addr::LOCALHOST, 8)));
            if let Some((ip, _)) = addr {
                let _ = a.push(IpCidr::Ipv4(Ipv4Cidr::new(ip, 32)));
            }
        });
    }

    fn poll_at(&mut self) -> Option<u64> {
        if self.ifs.lo.port.queued() {
            return Some(self.now_ns);
        }
        let ts = instant(self.now_ns);
        let mut at: Option<Instant> = None;
        for via in VIAS {
            if let Some(i) = self.ifs.get(via) {
                if let Some(t) = i.iface.poll_at(ts, &i.sockets) {
                    at = Some(at.map_or(t, |a| a.min(t)));
                }
            }
        }
        at.map(|t| (t.total_micros().max(0) as u64).saturating_mul(1000))
    }
}

/// The TCP/IP stack: loopback always, and a NIC when there is one. Shared
/// by every socket; all state is behind one lock.
pub struct Net {
    stack: Mutex<Stack>,
}

fn new_iface(hw: HardwareAddress, port: &mut Port, seed: u64, now_ns: u64) -> Interface {
    let mut c = Config::new(hw);
    c.random_seed = seed;
    Interface::new(c, port, instant(now_ns))
}

impl Net {
    /// A stack over `nic` (None: loopback only) configured by `config`.
    /// `seed` should differ between boots (TCP sequence numbers, ports);
    /// `now_ns` is the monotonic time.
    pub fn new(nic: Option<Box<dyn Nic>>, config: Ipv4Config, seed: u64, now_ns: u64) -> Net {
        let mut lo_port = Port::loopback();
        let mut lo_iface = new_iface(HardwareAddress::Ip, &mut lo_port, seed, now_ns);
        // Accept every 127.x.y.z, as Linux's lo does.
        lo_iface.set_any_ip(true);
        lo_iface.routes_mut().update(|r| {
            let _ = r.push(Route {
                cidr: IpCidr::Ipv4(Ipv4Cidr::new(Ipv4Addr::new(127, 0, 0, 0), 8)),
                via_router: IpAddress::Ipv4(Ipv4Addr::LOCALHOST),
                preferred_until: None,
                expires_at: None,
            });
        });
        let eth = nic.map(|nic| {
            let mac = nic.mac();
            let mut port = Port::nic(nic);
            let hw = HardwareAddress::Ethernet(EthernetAddress(mac));
            let iface = new_iface(hw, &mut port, seed ^ 0x5bd1_e995, now_ns);
            Iface {
                iface,
                sockets: SocketSet::new(Vec::new()),
                port,
            }
        });
        let mut stack = Stack {
            ifs: Ifaces {
                lo: Iface {
                    iface: lo_iface,
                    sockets: SocketSet::new(Vec::new()),
                    port: lo_port,
                },
                eth,
            },
            dhcp: None,
            socks: BTreeMap::new(),
            listeners: Vec::new(),
            orphans: Vec::new(),
            next_id: 0,
            now_ns,
            rng: seed | 1,
            addr: None,
        };
        stack.set_addr(None, None);
        match config {
            Ipv4Config::Static {
                addr,
                prefix,
                gateway,
            } if stack.ifs.eth.is_some() => stack.set_addr(Some((addr, prefix.min(32))), gateway),
            Ipv4Config::Static { .. } => {}
            Ipv4Config::Dhcp => {
                stack.dhcp = stack.ifs.add(Via::Eth, dhcpv4::Socket::new());
            }
        }
        Net {
            stack: Mutex::new(stack),
        }
    }

    /// Loopback only (no NIC).
    pub fn loopback(seed: u64) -> Net {
        Net::new(None, Ipv4Config::Dhcp, seed, 0)
    }

    /// Moves every packet that can move at `now_ns` (received frames,
    /// queued data, timers, DHCP). True when some socket's readiness
    /// changed; waiters are then woken (`lintel_vfs::wake_waiters`).
    /// Spins on the stack's lock: from an interrupt handler that may have
    /// interrupted a socket operation, use [`Net::try_poll`].
    pub fn poll(&self, now_ns: u64) -> bool {
        let changed = {
            let mut s = self.stack.lock();
            s.advance(now_ns);
            s.drive()
        };
        if changed {
            lintel_vfs::wake_waiters();
        }
        changed
    }

    /// `poll`, unless the stack is busy (None): then whoever holds it
    /// drives it when done.
    pub fn try_poll(&self, now_ns: u64) -> Option<bool> {
        let changed = {
            let mut s = self.stack.try_lock()?;
            s.advance(now_ns);
            s.drive()
        };
        if changed {
            lintel_vfs::wake_waiters();
        }
        Some(changed)
    }

    /// When `poll` must run next (monotonic ns; at most `now_ns` means at
    /// once), or None when only a received frame or a socket call can
    /// change anything.
    pub fn poll_at(&self, now_ns: u64) -> Option<u64> {
        let mut s = self.stack.lock();
        s.advance(now_ns);
        s.poll_at()
    }

    /// The NIC's IPv4 address and prefix length, once it has one.
    pub fn ipv4(&self) -> Option<(Ipv4Addr, u8)> {
        self.stack.lock().addr
    }

    /// Runs `f` on the stack, then drives it at the last known time so the
    /// packets `f` queued leave at once; wakes waiters if readiness changed.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Stack) -> R) -> R {
        let (r, changed) = {
            let mut s = self.stack.lock();
            let r = f(&mut s);
            let changed = s.drive();
            (r, changed)
        };
        if changed {
            lintel_vfs::wake_waiters();
        }
        r
    }

    /// Runs `f` on the stack without driving it (queries).
    pub(crate) fn peek<R>(&self, f: impl FnOnce(&mut Stack) -> R) -> R {
        f(&mut self.stack.lock())
    }
}
