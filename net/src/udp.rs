//! `UdpSocket`: a SOCK_DGRAM socket with Linux's semantics. A bound socket
//! has one smoltcp socket on each interface it is reachable on.

use crate::ports::{Binding, Proto};
use crate::stack::{v4, Ifaces, Net, Sock, SockId, Stack, Via, VIAS};
use crate::{try_zeroed, Errno, PollEvents, Shutdown, UDP_BUFFER, UDP_MAX_PAYLOAD, UDP_PACKETS};
use alloc::sync::Arc;
use alloc::vec;
use core::net::{Ipv4Addr, SocketAddrV4};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp::{self, PacketBuffer, PacketMetadata, UdpMetadata};
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

/// IPv4 and UDP headers: an Ethernet frame's payload beyond them is UDP's.
const HEADERS: usize = 28;

/// What one recv_from returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    /// Bytes copied into the buffer.
    pub copied: usize,
    /// The datagram's whole length (more than `copied` when truncated).
    pub len: usize,
    pub from: SocketAddrV4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Sig {
    rx: usize,
    tx: usize,
    err: bool,
}

pub(crate) struct UdpState {
    pub local: Option<SocketAddrV4>,
    pub remote: Option<SocketAddrV4>,
    pub handles: [Option<SocketHandle>; 2],
    pub reuseaddr: bool,
    pub reuseport: bool,
    pub broadcast: bool,
    pub err: Option<Errno>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    pub seq: u64,
    sig: Sig,
}

fn sock(ifs: &mut Ifaces, via: Via, h: SocketHandle) -> Option<&mut udp::Socket<'static>> {
    Some(ifs.get(via)?.sockets.get_mut::<udp::Socket>(h))
}

impl UdpState {
    pub fn binding(&self) -> Option<Binding> {
        let l = self.local?;
        Some(Binding {
            addr: *l.ip(),
            port: l.port(),
            reuseaddr: self.reuseaddr,
            reuseport: self.reuseport,
            listening: false,
        })
    }

    pub fn observe(&mut self, ifs: &mut Ifaces) -> bool {
        let mut sig = Sig {
            err: self.err.is_some(),
            ..Sig::default()
        };
        for via in VIAS {
            if let Some(s) = self.handles[via as usize].and_then(|h| sock(ifs, via, h)) {
                sig.rx += s.recv_queue();
                sig.tx += s.send_queue();
            }
        }
        if sig != self.sig {
            self.sig = sig;
            self.seq += 1;
            return true;
        }
        false
    }

    /// Linux's datagram_poll.
    pub fn poll(&self, ifs: &mut Ifaces) -> PollEvents {
        let mut ev = PollEvents::WRITABLE | PollEvents::WRBAND;
        if self.err.is_some() {
            ev |= PollEvents::ERR;
        }
        if self.shut_rd && self.shut_wr {
            ev |= PollEvents::HUP;
        }
        if self.shut_rd {
            ev |= PollEvents::READABLE | PollEvents::RDHUP;
        }
        for via in VIAS {
            let Some(h) = self.handles[via as usize] else {
                continue;
            };
            if let Some(s) = sock(ifs, via, h) {
                if s.can_recv() {
                    ev |= PollEvents::READABLE;
                }
                if !s.can_send() {
                    ev.remove(PollEvents::WRITABLE | PollEvents::WRBAND);
                }
            }
        }
        ev
    }
}

pub struct UdpSocket {
    net: Arc<Net>,
    id: SockId,
}

fn take(st: &mut Stack, id: SockId) -> Result<UdpState, Errno> {
    match st.socks.remove(&id) {
        Some(Sock::Udp(u)) => Ok(u),
        Some(other) => {
            st.socks.insert(id, other);
            Err(Errno::EBADF)
        }
        None => Err(Errno::EBADF),
    }
}

/// A smoltcp UDP socket with the crate's buffers, None without memory.
fn new_socket() -> Option<udp::Socket<'static>> {
    Some(udp::Socket::new(
        PacketBuffer::new(
            vec![PacketMetadata::EMPTY; UDP_PACKETS],
            try_zeroed(UDP_BUFFER)?,
        ),
        PacketBuffer::new(
            vec![PacketMetadata::EMPTY; UDP_PACKETS],
            try_zeroed(UDP_BUFFER)?,
        ),
    ))
}

/// Binds `u` to `addr` (port 0: ephemeral) and opens its smoltcp sockets.
fn bind_in(st: &mut Stack, id: SockId, u: &mut UdpState, addr: SocketAddrV4) -> Result<(), Errno> {
    st.check_bind_addr(*addr.ip())?;
    if u.local.is_some() {
        return Err(Errno::EINVAL);
    }
    let port = match addr.port() {
        0 => st.ephemeral_port(Proto::Udp, id, Errno::EAGAIN)?,
        p => p,
    };
    let b = Binding {
        addr: *addr.ip(),
        port,
        reuseaddr: u.reuseaddr,
        reuseport: u.reuseport,
        listening: false,
    };
    st.check_port(Proto::Udp, id, &b)?;
    let ep = IpListenEndpoint {
        addr: (!addr.ip().is_unspecified()).then_some(IpAddress::Ipv4(*addr.ip())),
        port,
    };
    let vias = st.vias_for_bind(*addr.ip());
    // Every socket is made before any is added, so running out of memory
    // half way leaves nothing behind.
    let mut made = [None, None];
    for via in VIAS {
        if vias[via as usize] {
            let mut s = new_socket().ok_or(Errno::ENOBUFS)?;
            s.bind(ep).map_err(|_| Errno::EINVAL)?;
            made[via as usize] = Some(s);
        }
    }
    for via in VIAS {
        if let Some(s) = made[via as usize].take() {
            u.handles[via as usize] = st.ifs.add(via, s);
        }
    }
    u.local = Some(SocketAddrV4::new(*addr.ip(), port));
    Ok(())
}

fn unspecified() -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)
}

impl UdpSocket {
    pub fn new(net: &Arc<Net>) -> UdpSocket {
        let id = net.peek(|st| {
            let id = st.new_id();
            st.socks.insert(
                id,
                Sock::Udp(UdpState {
                    local: None,
                    remote: None,
                    handles: [None, None],
                    reuseaddr: false,
                    reuseport: false,
                    broadcast: false,
                    err: None,
                    shut_rd: false,
                    shut_wr: false,
                    seq: 0,
                    sig: Sig::default(),
                }),
            );
            id
        });
        UdpSocket {
            net: net.clone(),
            id,
        }
    }

    fn run<R>(
        &self,
        drive: bool,
        f: impl FnOnce(&mut Stack, &mut UdpState) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        let op = |st: &mut Stack| {
            let mut u = take(st, self.id)?;
            let r = f(st, &mut u);
            st.socks.insert(self.id, Sock::Udp(u));
            r
        };
        if drive {
            self.net.with(op)
        } else {
            self.net.peek(op)
        }
    }

    /// bind(2): as TCP's, with UDP's port-sharing rules.
    pub fn bind(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        self.run(false, |st, u| bind_in(st, self.id, u, addr))
    }

    /// connect(2): fixes the peer (and, if unbound, binds an ephemeral
    /// port); the local address becomes the one that reaches the peer.
    pub fn connect(&self, dst: SocketAddrV4) -> Result<(), Errno> {
        self.run(false, |st, u| {
            let dst = Stack::destination(dst);
            let via = st.route(*dst.ip())?;
            if u.local.is_none() {
                bind_in(st, self.id, u, unspecified())?;
            }
            if let Some(l) = u.local.as_mut() {
                if l.ip().is_unspecified() {
                    l.set_ip(st.source_for(via, *dst.ip()));
                }
            }
            u.remote = Some(dst);
            Ok(())
        })
    }

    /// connect(AF_UNSPEC): forgets the peer.
    pub fn disconnect(&self) -> Result<(), Errno> {
        self.run(false, |_, u| {
            u.remote = None;
            Ok(())
        })
    }

    /// sendto(2) without waiting: to `dst`, or to the connected peer
    /// (EDESTADDRREQ without one). EMSGSIZE over the largest datagram the
    /// route carries (no IP fragmentation), EAGAIN when the buffer is full.
    pub fn send_to(&self, data: &[u8], dst: Option<SocketAddrV4>) -> Result<usize, Errno> {
        self.run(true, |st, u| {
            if let Some(e) = u.err.take() {
                return Err(e);
            }
            let dst = Stack::destination(dst.or(u.remote).ok_or(Errno::EDESTADDRREQ)?);
            if dst.ip().is_broadcast() && !u.broadcast {
                return Err(Errno::EACCES);
            }
            let via = st.route(*dst.ip())?;
            let max = match via {
                Via::Lo => UDP_MAX_PAYLOAD,
                Via::Eth => st.ifs.get(Via::Eth).map_or(0, |i| {
                    use smoltcp::phy::Device;
                    i.port.capabilities().ip_mtu().saturating_sub(HEADERS)
                }),
            };
            if data.len() > max {
                return Err(Errno::EMSGSIZE);
            }
            if dst.port() == 0 {
                return Err(Errno::EINVAL);
            }
            if u.local.is_none() {
                bind_in(st, self.id, u, unspecified())?;
            }
            let src = match u.local {
                Some(l)
                    if !l.ip().is_unspecified() && (via != Via::Eth || !l.ip().is_loopback()) =>
                {
                    *l.ip()
                }
                _ => st.source_for(via, *dst.ip()),
            };
            let h = u.handles[via as usize].ok_or(Errno::ENETUNREACH)?;
            let s = sock(&mut st.ifs, via, h).ok_or(Errno::ENETUNREACH)?;
            let meta = UdpMetadata {
                endpoint: IpEndpoint::new(IpAddress::Ipv4(*dst.ip()), dst.port()),
                local_address: Some(IpAddress::Ipv4(src)),
                meta: Default::default(),
            };
            s.send_slice(data, meta).map_err(|_| Errno::EAGAIN)?;
            Ok(data.len())
        })
    }

    /// recvfrom(2) without waiting: the next datagram, truncated to `buf`
    /// (the rest is lost, as Linux does); `peek` leaves it queued. A
    /// connected socket drops datagrams from anyone but its peer. EAGAIN
    /// when there is none (0 after SHUT_RD).
    pub fn recv_from(&self, buf: &mut [u8], peek: bool) -> Result<Datagram, Errno> {
        self.run(false, |st, u| {
            if let Some(e) = u.err.take() {
                return Err(e);
            }
            for via in VIAS {
                let Some(h) = u.handles[via as usize] else {
                    continue;
                };
                let Some(s) = sock(&mut st.ifs, via, h) else {
                    continue;
                };
                while let Ok((data, meta)) = s.peek() {
                    let len = data.len();
                    let from = SocketAddrV4::new(v4(meta.endpoint.addr), meta.endpoint.port);
                    if u.remote.is_some_and(|r| r != from) {
                        let _ = s.recv();
                        continue;
                    }
                    let copied = len.min(buf.len());
                    let data = if peek {
                        s.peek().map(|(d, _)| d)
                    } else {
                        s.recv().map(|(d, _)| d)
                    };
                    if let Ok(d) = data {
                        buf[..copied].copy_from_slice(&d[..copied]);
                    }
                    return Ok(Datagram { copied, len, from });
                }
            }
            if u.shut_rd {
                return Ok(Datagram {
                    copied: 0,
                    len: 0,
                    from: unspecified(),
                });
            }
            Err(Errno::EAGAIN)
        })
    }

    /// shutdown(2): ENOTCONN unless connected (the flags are set anyway).
    pub fn shutdown(&self, how: Shutdown) -> Result<(), Errno> {
        self.run(false, |_, u| {
            u.shut_rd |= how.read();
            u.shut_wr |= how.write();
            if u.remote.is_none() {
                return Err(Errno::ENOTCONN);
            }
            Ok(())
        })
    }

    pub fn local_addr(&self) -> SocketAddrV4 {
        self.run(false, |_, u| Ok(u.local))
            .ok()
            .flatten()
            .unwrap_or(unspecified())
    }

    pub fn peer_addr(&self) -> Result<SocketAddrV4, Errno> {
        self.run(false, |_, u| u.remote.ok_or(Errno::ENOTCONN))
    }

    pub fn poll(&self) -> PollEvents {
        self.run(false, |st, u| Ok(u.poll(&mut st.ifs)))
            .unwrap_or(PollEvents::NVAL)
    }

    pub fn event_seq(&self) -> u64 {
        self.run(false, |_, u| Ok(u.seq)).unwrap_or(0)
    }

    pub fn take_error(&self) -> Option<Errno> {
        self.run(false, |_, u| Ok(u.err.take())).ok().flatten()
    }

    /// FIONREAD: the size of the next datagram (0 when none).
    pub fn available(&self) -> usize {
        self.run(false, |st, u| {
            for via in VIAS {
                let Some(h) = u.handles[via as usize] else {
                    continue;
                };
                if let Some(Ok((d, _))) = sock(&mut st.ifs, via, h).map(|s| s.peek()) {
                    return Ok(d.len());
                }
            }
            Ok(0)
        })
        .unwrap_or(0)
    }

    pub fn set_reuseaddr(&self, on: bool) {
        let _ = self.run(false, |_, u| {
            u.reuseaddr = on;
            Ok(())
        });
    }

    pub fn reuseaddr(&self) -> bool {
        self.run(false, |_, u| Ok(u.reuseaddr)).unwrap_or(false)
    }

    pub fn set_reuseport(&self, on: bool) {
        let _ = self.run(false, |_, u| {
            u.reuseport = on;
            Ok(())
        });
    }

    pub fn reuseport(&self) -> bool {
        self.run(false, |_, u| Ok(u.reuseport)).unwrap_or(false)
    }

    /// SO_BROADCAST: may send to 255.255.255.255.
    pub fn set_broadcast(&self, on: bool) {
        let _ = self.run(false, |_, u| {
            u.broadcast = on;
            Ok(())
        });
    }

    pub fn broadcast(&self) -> bool {
        self.run(false, |_, u| Ok(u.broadcast)).unwrap_or(false)
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let id = self.id;
        self.net.peek(|st| {
            if let Ok(u) = take(st, id) {
                for via in VIAS {
                    if let Some(h) = u.handles[via as usize] {
                        st.ifs.remove(via, h);
                    }
                }
            }
        });
    }
}
