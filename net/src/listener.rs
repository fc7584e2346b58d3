//! A listening TCP socket's pool of smoltcp sockets: per interface one
//! idle socket in LISTEN, and the queue of those that took a SYN (the
//! backlog). See the crate docs for why.

use crate::stack::{Ifaces, Orphan, Sock, Stack, Via, VIAS};
use crate::tcp_state::{new_socket, TcpOpts};
use crate::CONNECT_TIMEOUT_NS;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::SocketAddrV4;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::State;
use smoltcp::time::Duration;
use smoltcp::wire::{IpAddress, IpListenEndpoint};

pub(crate) struct Listener {
    pub local: SocketAddrV4,
    /// Connections that may wait for accept: Linux's backlog + 1.
    pub max_pending: usize,
    /// The interfaces the listener is reachable on.
    pub vias: [bool; 2],
    /// The idle listening socket per interface.
    pub slots: [Option<SocketHandle>; 2],
    /// Sockets that took a SYN, oldest first.
    pub pending: VecDeque<(Via, SocketHandle)>,
    pub opts: TcpOpts,
}

/// States of a connection accept() may hand out.
fn acceptable(s: State) -> bool {
    matches!(s, State::Established | State::CloseWait)
}

impl Listener {
    pub fn new(local: SocketAddrV4, backlog: usize, vias: [bool; 2], opts: TcpOpts) -> Listener {
        Listener {
            local,
            max_pending: backlog + 1,
            vias,
            slots: [None, None],
            pending: VecDeque::new(),
            opts,
        }
    }

    fn endpoint(&self) -> IpListenEndpoint {
        let ip = *self.local.ip();
        IpListenEndpoint {
            addr: (!ip.is_unspecified()).then_some(IpAddress::Ipv4(ip)),
            port: self.local.port(),
        }
    }

    /// Moves an idle socket that took a SYN to the pending queue and, while
    /// the backlog has room, gives each interface an idle socket again.
    pub fn refill(&mut self, ifs: &mut Ifaces, only: Option<Via>) {
        let endpoint = self.endpoint();
        for via in VIAS {
            if !self.vias[via as usize] || only.is_some_and(|o| o != via) || !ifs.has(via) {
                continue;
            }
            let slot = &mut self.slots[via as usize];
            if let Some(h) = *slot {
                if ifs.tcp(via, h).state() != State::Listen {
                    self.pending.push_back((via, h));
                    *slot = None;
                }
            }
            if slot.is_none() && self.pending.len() < self.max_pending {
                // Without memory the port refuses new connections for now.
                let Some(mut s) = new_socket(&self.opts, via) else {
                    continue;
                };
                // A handshake that never completes is dropped (Linux: SYN-ACK retries).
                s.set_timeout(Some(Duration::from_micros(CONNECT_TIMEOUT_NS / 1000)));
                if s.listen(endpoint).is_ok() {
                    *slot = ifs.add(via, s);
                }
            }
        }
    }

    /// Drops pending sockets whose handshake failed (back in LISTEN after a
    /// RST, or closed), and lets established ones live without a timeout.
    pub fn cleanup(&mut self, ifs: &mut Ifaces) {
        self.pending.retain(|&(via, h)| {
            let s = ifs.tcp(via, h);
            match s.state() {
                State::Listen | State::Closed => {
                    ifs.remove(via, h);
                    false
                }
                st => {
                    if acceptable(st) {
                        s.set_timeout(None);
                    }
                    true
                }
            }
        });
    }

    /// Connections accept() would return now.
    pub fn ready(&self, ifs: &mut Ifaces) -> usize {
        self.pending
            .iter()
            .filter(|&&(via, h)| acceptable(ifs.tcp(via, h).state()))
            .count()
    }

    /// The oldest established connection, out of the queue.
    pub fn take_ready(&mut self, ifs: &mut Ifaces) -> Option<(Via, SocketHandle)> {
        let i = self
            .pending
            .iter()
            .position(|&(via, h)| acceptable(ifs.tcp(via, h).state()))?;
        self.pending.remove(i)
    }

    /// Stops listening: idle sockets go, pending connections are reset
    /// (as Linux resets what nobody accepted) and orphaned until the RST
    /// is out.
    pub fn close(&mut self, ifs: &mut Ifaces, orphans: &mut Vec<Orphan>) {
        for via in VIAS {
            if let Some(h) = self.slots[via as usize].take() {
                ifs.remove(via, h);
            }
        }
        for (via, h) in self.pending.drain(..) {
            let s = ifs.tcp(via, h);
            let local = s.local_endpoint();
            s.abort();
            match local {
                Some(ep) => orphans.push(Orphan {
                    via,
                    h,
                    local: SocketAddrV4::new(crate::stack::v4(ep.addr), ep.port),
                    reuseaddr: self.opts.reuseaddr,
                    reuseport: self.opts.reuseport,
                }),
                None => ifs.remove(via, h),
            }
        }
    }
}

/// After each received packet on `via`: every listener refills its slot there.
pub(crate) fn refill_all(st: &mut Stack, via: Via) {
    let Stack {
        ifs,
        socks,
        listeners,
        ..
    } = st;
    for id in listeners.iter() {
        if let Some(Sock::Tcp(t)) = socks.get_mut(id) {
            if let crate::tcp_state::Role::Listen(l) = &mut t.role {
                l.refill(ifs, Some(via));
            }
        }
    }
}
