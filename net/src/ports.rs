//! Local addresses: which ones a socket may bind, which port bindings
//! conflict (Linux's `inet_csk_bind_conflict` and UDP's rules), ephemeral
//! ports, and routing a destination to an interface.

use crate::stack::{Sock, SockId, Stack, Via};
use crate::{Errno, EPHEMERAL_FIRST, EPHEMERAL_LAST};
use core::net::{Ipv4Addr, SocketAddrV4};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

/// One socket's hold on a local port.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding {
    pub addr: Ipv4Addr,
    pub port: u16,
    pub reuseaddr: bool,
    pub reuseport: bool,
    pub listening: bool,
}

impl Binding {
    /// Whether `new` (being bound, or starting to listen) may share the
    /// port with `self`, an existing binding. As Linux: different addresses
    /// (neither a wildcard) never clash; both SO_REUSEPORT never clash; both
    /// SO_REUSEADDR clash only with a TCP listener (UDP: never).
    fn clashes_with(&self, new: &Binding, proto: Proto) -> bool {
        if self.port != new.port {
            return false;
        }
        let overlap =
            self.addr.is_unspecified() || new.addr.is_unspecified() || self.addr == new.addr;
        if !overlap || (self.reuseport && new.reuseport) {
            return false;
        }
        let reuse = self.reuseaddr && new.reuseaddr;
        match proto {
            Proto::Tcp => !reuse || self.listening,
            Proto::Udp => !reuse,
        }
    }
}

impl Stack {
    fn bindings(&self, proto: Proto, me: SockId) -> impl Iterator<Item = Binding> + '_ {
        let socks = self
            .socks
            .iter()
            .filter_map(move |(id, s)| match (s, proto) {
                _ if *id == me => None,
                (Sock::Tcp(t), Proto::Tcp) => t.binding(),
                (Sock::Udp(u), Proto::Udp) => u.binding(),
                _ => None,
            });
        let orphans = self.orphans.iter().filter_map(move |o| {
            (proto == Proto::Tcp).then_some(Binding {
                addr: *o.local.ip(),
                port: o.local.port(),
                reuseaddr: o.reuseaddr,
                reuseport: o.reuseport,
                listening: false,
            })
        });
        socks.chain(orphans)
    }

    /// EADDRINUSE if `b` clashes with another socket's binding.
    pub fn check_port(&self, proto: Proto, me: SockId, b: &Binding) -> Result<(), Errno> {
        if self.bindings(proto, me).any(|o| o.clashes_with(b, proto)) {
            return Err(Errno::EADDRINUSE);
        }
        Ok(())
    }

    /// A free port from Linux's ephemeral range, not bound by anyone on
    /// any address; `exhausted` when there is none.
    pub fn ephemeral_port(
        &mut self,
        proto: Proto,
        me: SockId,
        exhausted: Errno,
    ) -> Result<u16, Errno> {
        let span = u64::from(EPHEMERAL_LAST - EPHEMERAL_FIRST) + 1;
        let start = self.random() % span;
        for i in 0..span {
            let port = EPHEMERAL_FIRST + ((start + i) % span) as u16;
            if !self.bindings(proto, me).any(|b| b.port == port) {
                return Ok(port);
            }
        }
        Err(exhausted)
    }

    /// Whether `a` is one of this host's addresses: 127/8, or the NIC's.
    pub fn is_local(&self, a: Ipv4Addr) -> bool {
        a.is_loopback() || self.addr.is_some_and(|(ip, _)| ip == a)
    }

    /// EADDRNOTAVAIL unless a socket may bind `a` (the wildcard, or local).
    pub fn check_bind_addr(&self, a: Ipv4Addr) -> Result<(), Errno> {
        if a.is_unspecified() || self.is_local(a) {
            Ok(())
        } else {
            Err(Errno::EADDRNOTAVAIL)
        }
    }

    /// The interfaces a socket bound to `a` receives on.
    pub fn vias_for_bind(&self, a: Ipv4Addr) -> [bool; 2] {
        let eth = self.ifs.has(Via::Eth) && !a.is_loopback();
        [true, eth]
    }

    /// The interface that reaches `dst` (already mapped from 0.0.0.0).
    pub fn route(&self, dst: Ipv4Addr) -> Result<Via, Errno> {
        if self.is_local(dst) {
            return Ok(Via::Lo);
        }
        if dst.is_broadcast()
            || dst.is_multicast()
            || self.addr.is_none()
            || !self.ifs.has(Via::Eth)
        {
            return Err(Errno::ENETUNREACH);
        }
        Ok(Via::Eth)
    }

    /// The source address for `dst` on `via` when the socket is not bound
    /// to one: the destination itself for the NIC's own address, 127.0.0.1
    /// for the rest of 127/8, the NIC's address outside.
    pub fn source_for(&self, via: Via, dst: Ipv4Addr) -> Ipv4Addr {
        match via {
            Via::Lo if dst.is_loopback() => Ipv4Addr::LOCALHOST,
            Via::Lo => dst,
            Via::Eth => self.addr.map_or(Ipv4Addr::UNSPECIFIED, |(ip, _)| ip),
        }
    }

    /// Linux's "this host": connecting or sending to 0.0.0.0 reaches 127.0.0.1.
    pub fn destination(dst: SocketAddrV4) -> SocketAddrV4 {
        if dst.ip().is_unspecified() {
            SocketAddrV4::new(Ipv4Addr::LOCALHOST, dst.port())
        } else {
            dst
        }
    }
}
