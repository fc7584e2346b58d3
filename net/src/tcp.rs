//! `TcpSocket`: a SOCK_STREAM socket with Linux's semantics, never
//! blocking (EAGAIN / EINPROGRESS / EALREADY tell the caller to wait).

use crate::listener::Listener;
use crate::ports::{Binding, Proto};
use crate::stack::{v4, Net, Orphan, Sock, SockId, Stack};
use crate::tcp_state::{new_socket, Conn, Role, TcpOpts, TcpState};
use crate::{Errno, PollEvents, Shutdown, CONNECT_TIMEOUT_NS, ORPHAN_TIMEOUT_NS, SOMAXCONN};
use alloc::sync::Arc;
use core::net::{Ipv4Addr, SocketAddrV4};
use smoltcp::socket::tcp::State;
use smoltcp::time::Duration;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

pub struct TcpSocket {
    net: Arc<Net>,
    id: SockId,
}

fn micros(ns: u64) -> Duration {
    Duration::from_micros(ns / 1000)
}

fn addr_of(ep: Option<IpEndpoint>) -> Option<SocketAddrV4> {
    ep.map(|e| SocketAddrV4::new(v4(e.addr), e.port))
}

impl TcpSocket {
    pub fn new(net: &Arc<Net>) -> TcpSocket {
        let id = net.peek(|st| {
            let id = st.new_id();
            st.socks
                .insert(id, Sock::Tcp(TcpState::new(TcpOpts::default())));
            id
        });
        TcpSocket {
            net: net.clone(),
            id,
        }
    }

    fn peek<R>(
        &self,
        f: impl FnOnce(&mut Stack, &mut TcpState) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        self.net.peek(|st| {
            let mut t = take(st, self.id)?;
            let r = f(st, &mut t);
            put(st, self.id, t);
            r
        })
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&mut Stack, &mut TcpState) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        self.net.with(|st| {
            let mut t = take(st, self.id)?;
            let r = f(st, &mut t);
            put(st, self.id, t);
            r
        })
    }

    /// bind(2): EINVAL if already bound, EADDRNOTAVAIL for a foreign
    /// address, EADDRINUSE on a clash; port 0 picks an ephemeral port.
    pub fn bind(&self, addr: SocketAddrV4) -> Result<(), Errno> {
        self.peek(|st, t| {
            st.check_bind_addr(*addr.ip())?;
            if t.local.is_some() || !matches!(t.role, Role::Idle) {
                return Err(Errno::EINVAL);
            }
            let port = match addr.port() {
                0 => st.ephemeral_port(Proto::Tcp, self.id, Errno::EADDRINUSE)?,
                p => p,
            };
            let b = Binding {
                addr: *addr.ip(),
                port,
                reuseaddr: t.opts.reuseaddr,
                reuseport: t.opts.reuseport,
                listening: false,
            };
            st.check_port(Proto::Tcp, self.id, &b)?;
            t.local = Some(SocketAddrV4::new(*addr.ip(), port));
            t.user_bound = true;
            Ok(())
        })
    }

    /// listen(2): an unbound socket gets an ephemeral port; a negative or
    /// huge backlog means SOMAXCONN; listening again changes the backlog.
    pub fn listen(&self, backlog: i32) -> Result<(), Errno> {
        let backlog = usize::try_from(backlog).map_or(SOMAXCONN, |b| b.min(SOMAXCONN));
        self.with(|st, t| {
            match &mut t.role {
                Role::Listen(l) => {
                    l.max_pending = backlog + 1;
                    l.refill(&mut st.ifs, None);
                    return Ok(());
                }
                Role::Conn(_) => return Err(Errno::EINVAL),
                Role::Idle if t.dead => return Err(Errno::EINVAL),
                Role::Idle => {}
            }
            let local = match t.local {
                Some(l) => l,
                None => {
                    let port = st.ephemeral_port(Proto::Tcp, self.id, Errno::EADDRINUSE)?;
                    SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)
                }
            };
            let b = Binding {
                addr: *local.ip(),
                port: local.port(),
                reuseaddr: t.opts.reuseaddr,
                reuseport: t.opts.reuseport,
                listening: true,
            };
            st.check_port(Proto::Tcp, self.id, &b)?;
            t.local = Some(local);
            let vias = st.vias_for_bind(*local.ip());
            let mut l = Listener::new(local, backlog, vias, t.opts);
            l.refill(&mut st.ifs, None);
            t.role = Role::Listen(l);
            st.listeners.push(self.id);
            Ok(())
        })
    }

    /// accept(2) without waiting: the oldest established connection and
    /// its peer; EINVAL when not listening, EAGAIN when none is ready.
    pub fn accept(&self) -> Result<(TcpSocket, SocketAddrV4), Errno> {
        let (id, peer) = self.with(|st, t| {
            let Role::Listen(l) = &mut t.role else {
                return Err(Errno::EINVAL);
            };
            let (via, h) = l.take_ready(&mut st.ifs).ok_or(Errno::EAGAIN)?;
            l.refill(&mut st.ifs, None);
            let s = st.ifs.tcp(via, h);
            s.set_timeout(None);
            let local = addr_of(s.local_endpoint());
            let remote = addr_of(s.remote_endpoint());
            let mut c = TcpState::new(TcpOpts {
                linger_abort: false,
                ..t.opts
            });
            c.role = Role::Conn(Conn {
                via,
                h,
                last: s.state(),
                started_ns: st.now_ns,
            });
            c.local = local;
            c.user_bound = true;
            c.connected_seen = true;
            c.remote = remote;
            let id = st.new_id();
            st.socks.insert(id, Sock::Tcp(c));
            let peer = remote.unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
            Ok((id, peer))
        })?;
        Ok((
            TcpSocket {
                net: self.net.clone(),
                id,
            },
            peer,
        ))
    }

    /// connect(2) without waiting: EINPROGRESS when the SYN is out (the
    /// caller waits for writability, then calls [`finish_connect`]),
    /// EALREADY while connecting; once connected 0 the first time (as
    /// Linux), EISCONN after; the error of a failed attempt once, after
    /// which a new attempt may start.
    ///
    /// [`finish_connect`]: TcpSocket::finish_connect
    pub fn connect(&self, dst: SocketAddrV4) -> Result<(), Errno> {
        self.with(|st, t| {
            match &t.role {
                Role::Listen(_) => return Err(Errno::EISCONN),
                Role::Conn(_) => return finish(st, t, true),
                Role::Idle => {}
            }
            let dst = Stack::destination(dst);
            let via = st.route(*dst.ip())?;
            if dst.port() == 0 {
                return Err(Errno::ECONNREFUSED);
            }
            let src = match t.local {
                Some(l) if !l.ip().is_unspecified() => {
                    if st.route(*l.ip()).ok() == Some(crate::stack::Via::Lo)
                        && via != crate::stack::Via::Lo
                    {
                        return Err(Errno::ENETUNREACH);
                    }
                    *l.ip()
                }
                _ => st.source_for(via, *dst.ip()),
            };
            let port = match t.local {
                Some(l) => l.port(),
                None => st.ephemeral_port(Proto::Tcp, self.id, Errno::EADDRNOTAVAIL)?,
            };
            let mut s = new_socket(&t.opts, via).ok_or(Errno::ENOBUFS)?;
            s.set_timeout(Some(micros(CONNECT_TIMEOUT_NS)));
            let iface = st.ifs.get(via).ok_or(Errno::ENETUNREACH)?;
            let local = IpListenEndpoint {
                addr: Some(IpAddress::Ipv4(src)),
                port,
            };
            s.connect(
                iface.iface.context(),
                (IpAddress::Ipv4(*dst.ip()), dst.port()),
                local,
            )
            .map_err(|_| Errno::EADDRNOTAVAIL)?;
            let h = iface.sockets.add(s);
            t.local = Some(SocketAddrV4::new(src, port));
            t.remote = Some(dst);
            t.role = Role::Conn(Conn {
                via,
                h,
                last: State::SynSent,
                started_ns: st.now_ns,
            });
            t.err = None;
            t.dead = false;
            t.shut_rd = false;
            t.shut_wr = false;
            t.connect_failed = false;
            t.connected_seen = false;
            Err(Errno::EINPROGRESS)
        })
    }

    /// Whether a connect is still in progress (the SYN not yet answered).
    pub fn is_connecting(&self) -> bool {
        self.peek(|st, t| Ok(t.conn_state(&mut st.ifs) == Some(State::SynSent)))
            .unwrap_or(false)
    }

    /// After waiting for a connect: Ok once connected (also later), EALREADY
    /// while still connecting, else the attempt's error (taken, as Linux's
    /// connect() returns it).
    pub fn finish_connect(&self) -> Result<(), Errno> {
        self.with(|st, t| finish(st, t, false))
    }

    /// connect(AF_UNSPEC): drops any connection (with a reset) and makes
    /// the socket unconnected again.
    pub fn disconnect(&self) -> Result<(), Errno> {
        self.with(|st, t| {
            if let Role::Listen(l) = &mut t.role {
                l.close(&mut st.ifs, &mut st.orphans);
                st.listeners.retain(|&i| i != self.id);
            }
            if let Role::Conn(c) = &t.role {
                let (via, h) = (c.via, c.h);
                abort_and_orphan(st, t, via, h);
            }
            t.role = Role::Idle;
            if !t.user_bound {
                t.local = None;
            }
            t.remote = None;
            t.dead = false;
            t.shut_rd = false;
            t.shut_wr = false;
            t.connect_failed = false;
            Ok(())
        })
    }

    /// send(2) without waiting (see `TcpState::send`).
    pub fn send(&self, data: &[u8]) -> Result<usize, Errno> {
        self.with(|st, t| t.send(&mut st.ifs, data))
    }

    /// recv(2) without waiting; `peek` leaves the data queued (MSG_PEEK).
    pub fn recv(&self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if peek {
            return self.peek(|st, t| t.recv(&mut st.ifs, buf, true));
        }
        // Reading opens the window: drive so the peer hears of it.
        self.with(|st, t| t.recv(&mut st.ifs, buf, false))
    }

    /// shutdown(2). ENOTCONN without a connection (the flags are set all
    /// the same, as Linux does); SHUT_RD on a listener stops it; on a
    /// connecting socket it abandons the attempt.
    pub fn shutdown(&self, how: Shutdown) -> Result<(), Errno> {
        self.with(|st, t| {
            match &mut t.role {
                Role::Listen(l) => {
                    if how.read() {
                        l.close(&mut st.ifs, &mut st.orphans);
                        st.listeners.retain(|&i| i != self.id);
                        t.role = Role::Idle;
                    }
                    return Ok(());
                }
                Role::Idle => {
                    t.shut_rd |= how.read();
                    t.shut_wr |= how.write();
                    return Err(Errno::ENOTCONN);
                }
                Role::Conn(c) => {
                    let (via, h) = (c.via, c.h);
                    let s = st.ifs.tcp(via, h);
                    match s.state() {
                        State::Closed => {
                            t.shut_rd |= how.read();
                            t.shut_wr |= how.write();
                            return Err(Errno::ENOTCONN);
                        }
                        State::SynSent => {
                            // Linux disconnects: the socket may connect again.
                            st.ifs.remove(via, h);
                            t.role = Role::Idle;
                            if !t.user_bound {
                                t.local = None;
                            }
                            t.remote = None;
                            return Ok(());
                        }
                        _ => {}
                    }
                    if how.write() && !t.shut_wr {
                        s.close();
                        c.last = s.state();
                    }
                }
            }
            t.shut_rd |= how.read();
            t.shut_wr |= how.write();
            Ok(())
        })
    }

    /// getsockname(2): 0.0.0.0:0 until bound.
    pub fn local_addr(&self) -> SocketAddrV4 {
        self.peek(|_, t| Ok(t.local))
            .ok()
            .flatten()
            .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0))
    }

    /// getpeername(2): ENOTCONN unless connected (not while connecting).
    pub fn peer_addr(&self) -> Result<SocketAddrV4, Errno> {
        self.peek(|st, t| match t.conn_state(&mut st.ifs) {
            None | Some(State::SynSent | State::Closed) => Err(Errno::ENOTCONN),
            Some(_) => t.remote.ok_or(Errno::ENOTCONN),
        })
    }

    pub fn poll(&self) -> PollEvents {
        self.peek(|st, t| Ok(t.poll(&mut st.ifs)))
            .unwrap_or(PollEvents::NVAL)
    }

    /// Grows whenever data or a connection arrives or the state changes.
    pub fn event_seq(&self) -> u64 {
        self.peek(|_, t| Ok(t.seq)).unwrap_or(0)
    }

    /// SO_ERROR: the pending error, cleared.
    pub fn take_error(&self) -> Option<Errno> {
        self.peek(|_, t| Ok(t.err.take())).ok().flatten()
    }

    /// FIONREAD: bytes queued for reading; EINVAL on a listener.
    pub fn available(&self) -> Result<usize, Errno> {
        self.peek(|st, t| t.available(&mut st.ifs))
    }

    pub fn is_listening(&self) -> bool {
        self.peek(|_, t| Ok(matches!(t.role, Role::Listen(_))))
            .unwrap_or(false)
    }

    pub fn set_reuseaddr(&self, on: bool) {
        let _ = self.peek(|_, t| {
            t.opts.reuseaddr = on;
            Ok(())
        });
    }

    pub fn reuseaddr(&self) -> bool {
        self.peek(|_, t| Ok(t.opts.reuseaddr)).unwrap_or(false)
    }

    pub fn set_reuseport(&self, on: bool) {
        let _ = self.peek(|_, t| {
            t.opts.reuseport = on;
            Ok(())
        });
    }

    pub fn reuseport(&self) -> bool {
        self.peek(|_, t| Ok(t.opts.reuseport)).unwrap_or(false)
    }

    /// TCP_NODELAY: Nagle's algorithm off.
    pub fn set_nodelay(&self, on: bool) {
        self.set_opts(|o| o.nodelay = on);
    }

    pub fn nodelay(&self) -> bool {
        self.peek(|_, t| Ok(t.opts.nodelay)).unwrap_or(false)
    }

    /// SO_KEEPALIVE: probes after `idle_secs` without traffic (None: off).
    pub fn set_keepalive(&self, idle_secs: Option<u32>) {
        self.set_opts(|o| o.keepalive = idle_secs);
    }

    /// SO_LINGER with l_onoff=1, l_linger=0: close() sends RST, not FIN.
    pub fn set_linger_abort(&self, on: bool) {
        self.set_opts(|o| o.linger_abort = on);
    }

    fn set_opts(&self, f: impl FnOnce(&mut TcpOpts)) {
        let _ = self.peek(|st, t| {
            f(&mut t.opts);
            let opts = t.opts;
            match &mut t.role {
                Role::Conn(c) => opts.apply(st.ifs.tcp(c.via, c.h)),
                Role::Listen(l) => l.opts = opts,
                Role::Idle => {}
            }
            Ok(())
        });
    }
}

/// The socket's state out of the table while an operation runs on it (so
/// the operation may look at the rest of the table).
fn take(st: &mut Stack, id: SockId) -> Result<TcpState, Errno> {
    match st.socks.remove(&id) {
        Some(Sock::Tcp(t)) => Ok(t),
        Some(other) => {
            st.socks.insert(id, other);
            Err(Errno::EBADF)
        }
        None => Err(Errno::EBADF),
    }
}

fn put(st: &mut Stack, id: SockId, t: TcpState) {
    st.socks.insert(id, Sock::Tcp(t));
}

/// The end of a connect attempt (see `TcpSocket::finish_connect`); a
/// connected socket is EISCONN to a second connect() (`again`).
fn finish(st: &mut Stack, t: &mut TcpState, again: bool) -> Result<(), Errno> {
    let Role::Conn(c) = &t.role else {
        return match t.err.take() {
            Some(e) => Err(e),
            None if t.dead => Err(Errno::ECONNABORTED),
            None => Ok(()),
        };
    };
    let (via, h) = (c.via, c.h);
    let state = st.ifs.tcp(via, h).state();
    if state == State::SynSent {
        return Err(Errno::EALREADY);
    }
    if t.connect_failed {
        // Linux: the error once, then the socket is unconnected again.
        st.ifs.remove(via, h);
        t.role = Role::Idle;
        t.connect_failed = false;
        if !t.user_bound {
            t.local = None;
        }
        t.remote = None;
        return Err(t.err.take().unwrap_or(Errno::ECONNABORTED));
    }
    if again && t.connected_seen {
        return Err(Errno::EISCONN);
    }
    t.connected_seen = true;
    Ok(())
}

/// Resets the connection and keeps the socket until the RST is out.
fn abort_and_orphan(
    st: &mut Stack,
    t: &TcpState,
    via: crate::stack::Via,
    h: smoltcp::iface::SocketHandle,
) {
    let s = st.ifs.tcp(via, h);
    let local = s.local_endpoint();
    s.abort();
    orphan(st, t, via, h, local);
}

fn orphan(
    st: &mut Stack,
    t: &TcpState,
    via: crate::stack::Via,
    h: smoltcp::iface::SocketHandle,
    local: Option<IpEndpoint>,
) {
    match addr_of(local) {
        Some(local) => st.orphans.push(Orphan {
            via,
            h,
            local,
            reuseaddr: t.opts.reuseaddr,
            reuseport: t.opts.reuseport,
        }),
        None => st.ifs.remove(via, h),
    }
}

impl Drop for TcpSocket {
    /// close(2): a listener resets what it did not accept; a connection
    /// with unread data (or SO_LINGER 0) is reset, else it ends with FIN
    /// and lives on as an orphan until the peer has answered.
    fn drop(&mut self) {
        let id = self.id;
        self.net.with(|st| {
            let Ok(mut t) = take(st, id) else { return };
            match &mut t.role {
                Role::Idle => {}
                Role::Listen(l) => {
                    l.close(&mut st.ifs, &mut st.orphans);
                    st.listeners.retain(|&i| i != id);
                }
                Role::Conn(c) => {
                    let (via, h) = (c.via, c.h);
                    let s = st.ifs.tcp(via, h);
                    let local = s.local_endpoint();
                    match s.state() {
                        State::Closed | State::SynSent | State::Listen => {
                            st.ifs.remove(via, h);
                        }
                        _ if t.opts.linger_abort || s.recv_queue() > 0 => {
                            abort_and_orphan(st, &t, via, h);
                        }
                        _ => {
                            s.close();
                            s.set_timeout(Some(micros(ORPHAN_TIMEOUT_NS)));
                            orphan(st, &t, via, h, local);
                        }
                    }
                }
            }
        });
    }
}
