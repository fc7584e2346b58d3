//! A TCP socket's state in the table and the Linux semantics read off it:
//! readiness (`tcp_poll`), recv and send results, and the errors a
//! connection's end leaves (SO_ERROR).

use crate::listener::Listener;
use crate::ports::Binding;
use crate::stack::{Ifaces, Via};
use crate::{try_zeroed, Errno, PollEvents, CONNECT_TIMEOUT_NS, TCP_RX_BUFFER, TCP_TX_BUFFER};
use alloc::collections::VecDeque;
use core::net::SocketAddrV4;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp::{self, State};
use smoltcp::time::Duration;

/// Options that change how the connection behaves.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TcpOpts {
    pub reuseaddr: bool,
    pub reuseport: bool,
    pub nodelay: bool,
    /// SO_KEEPALIVE on: probes after this many idle seconds (TCP_KEEPIDLE).
    pub keepalive: Option<u32>,
    /// SO_LINGER with a zero timeout: close() resets the connection.
    pub linger_abort: bool,
}

impl TcpOpts {
    pub fn apply(&self, s: &mut tcp::Socket<'static>) {
        s.set_nagle_enabled(!self.nodelay);
        s.set_keep_alive(self.keepalive.map(|secs| Duration::from_secs(secs.into())));
    }
}

/// A fresh smoltcp TCP socket with the crate's buffer sizes for `via`,
/// or None when there is no memory for its buffers.
/// On loopback ACKs go out at once (no delayed ACK): packets cost nothing
/// there, and Nagle's algorithm then never waits for a timer.
pub(crate) fn new_socket(opts: &TcpOpts, via: Via) -> Option<tcp::Socket<'static>> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(try_zeroed(TCP_RX_BUFFER)?),
        tcp::SocketBuffer::new(try_zeroed(TCP_TX_BUFFER)?),
    );
    opts.apply(&mut s);
    if via == Via::Lo {
        s.set_ack_delay(None);
    }
    Some(s)
}

pub(crate) struct Conn {
    pub via: Via,
    pub h: SocketHandle,
    /// The smoltcp state seen last (its changes tell how a connection ended).
    pub last: State,
    /// When connect() started (ETIMEDOUT vs ECONNREFUSED).
    pub started_ns: u64,
}

pub(crate) enum Role {
    /// Linux's TCP_CLOSE: fresh, bound, or after a connection ended.
    Idle,
    Listen(Listener),
    Conn(Conn),
}

/// What waiters may care about, compared after every drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Sig {
    state: u8,
    rx: usize,
    tx: usize,
    err: bool,
    ready: usize,
}

pub(crate) struct TcpState {
    pub local: Option<SocketAddrV4>,
    /// bind() chose the port: it stays after a failed connect.
    pub user_bound: bool,
    pub remote: Option<SocketAddrV4>,
    pub opts: TcpOpts,
    pub role: Role,
    /// The pending error (sk_err): SO_ERROR, or the next call, takes it.
    pub err: Option<Errno>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// The connection is over (sk_shutdown == SHUTDOWN_MASK after tcp_done).
    pub dead: bool,
    /// connect() failed and the next connect() reports it.
    pub connect_failed: bool,
    /// The program has been told the connection is up (Linux's
    /// SS_CONNECTED): a later connect() is EISCONN, the first one 0.
    pub connected_seen: bool,
    /// Data received before smoltcp forgot the connection (TIME-WAIT's end
    /// clears its buffer): still the program's to read.
    pub leftover: VecDeque<u8>,
    pub seq: u64,
    sig: Sig,
}

fn state_code(s: State) -> u8 {
    s as u8 + 1
}

impl TcpState {
    pub fn new(opts: TcpOpts) -> TcpState {
        TcpState {
            local: None,
            user_bound: false,
            remote: None,
            opts,
            role: Role::Idle,
            err: None,
            shut_rd: false,
            shut_wr: false,
            dead: false,
            connect_failed: false,
            connected_seen: false,
            leftover: VecDeque::new(),
            seq: 0,
            sig: Sig::default(),
        }
    }

    pub fn binding(&self) -> Option<Binding> {
        let l = self.local?;
        Some(Binding {
            addr: *l.ip(),
            port: l.port(),
            reuseaddr: self.opts.reuseaddr,
            reuseport: self.opts.reuseport,
            listening: matches!(self.role, Role::Listen(_)),
        })
    }

    /// The smoltcp state of the connection, if there is one.
    pub fn conn_state(&self, ifs: &mut Ifaces) -> Option<State> {
        match &self.role {
            Role::Conn(c) => Some(ifs.tcp(c.via, c.h).state()),
            _ => None,
        }
    }

    /// Notes what happened to the connection since the last look; true
    /// when something a waiter may care about changed.
    pub fn observe(&mut self, ifs: &mut Ifaces, now_ns: u64) -> bool {
        let mut sig = Sig {
            err: self.err.is_some(),
            ..Sig::default()
        };
        match &mut self.role {
            Role::Idle => {}
            Role::Listen(l) => {
                l.cleanup(ifs);
                sig.ready = l.ready(ifs);
            }
            Role::Conn(c) => {
                let s = ifs.tcp(c.via, c.h);
                let st = s.state();
                if st != c.last {
                    match (c.last, st) {
                        (State::SynSent, State::Closed) => {
                            let timed_out =
                                now_ns >= c.started_ns.saturating_add(CONNECT_TIMEOUT_NS);
                            self.err = Some(if timed_out {
                                Errno::ETIMEDOUT
                            } else {
                                Errno::ECONNREFUSED
                            });
                            self.connect_failed = true;
                            self.dead = true;
                        }
                        (State::SynSent, _) => s.set_timeout(None),
                        (State::CloseWait, State::Closed) => {
                            self.err = Some(Errno::EPIPE);
                            self.dead = true;
                        }
                        (
                            State::Established | State::FinWait1 | State::FinWait2 | State::Closing,
                            State::Closed,
                        ) => {
                            self.err = Some(Errno::ECONNRESET);
                            self.dead = true;
                        }
                        (_, State::Closed) => self.dead = true,
                        _ => {}
                    }
                    c.last = st;
                }
                if matches!(st, State::TimeWait | State::Closed) {
                    drain(s, &mut self.leftover);
                }
                sig.state = state_code(st);
                sig.rx = s.recv_queue();
                sig.tx = s.send_queue();
                sig.err = self.err.is_some();
            }
        }
        sig.rx += self.leftover.len();
        if sig != self.sig {
            self.sig = sig;
            self.seq += 1;
            return true;
        }
        false
    }

    /// Linux's `tcp_poll` (and `inet_csk_listen_poll` for a listener).
    pub fn poll(&self, ifs: &mut Ifaces) -> PollEvents {
        let mut ev = PollEvents::empty();
        if self.err.is_some() {
            ev |= PollEvents::ERR;
        }
        let conn = match &self.role {
            Role::Listen(l) => {
                if l.ready(ifs) > 0 {
                    ev |= PollEvents::READABLE;
                }
                return ev;
            }
            Role::Idle => None,
            Role::Conn(c) => Some(ifs.tcp(c.via, c.h)),
        };
        let st = conn.as_ref().map_or(State::Closed, |s| s.state());
        let closed = st == State::Closed;
        let fin = matches!(
            st,
            State::CloseWait | State::LastAck | State::Closing | State::TimeWait
        );
        let rcv_shut = self.shut_rd || fin || self.dead;
        let snd_shut = self.shut_wr || self.dead;
        if (rcv_shut && snd_shut) || closed {
            ev |= PollEvents::HUP;
        }
        if rcv_shut {
            ev |= PollEvents::READABLE | PollEvents::RDHUP;
        }
        if st != State::SynSent {
            let queued = conn.as_ref().map_or(0, |s| s.recv_queue());
            if queued > 0 || !self.leftover.is_empty() {
                ev |= PollEvents::READABLE;
            }
            let writable = match &conn {
                _ if snd_shut => true,
                // Linux's sk_stream_is_writeable: free space of at least
                // half of what is queued.
                Some(s) if s.may_send() => {
                    let free = s.send_capacity() - s.send_queue();
                    free > 0 && free >= s.send_queue() / 2
                }
                Some(_) => false,
                None => true,
            };
            if writable {
                ev |= PollEvents::WRITABLE;
            }
        }
        ev
    }

    /// tcp_recvmsg without waiting: data first, then a pending error, then
    /// end of file (0), else EAGAIN (ENOTCONN when not connected).
    pub fn recv(&mut self, ifs: &mut Ifaces, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if !self.leftover.is_empty() {
            let n = buf.len().min(self.leftover.len());
            for (d, s) in buf.iter_mut().zip(self.leftover.iter()) {
                *d = *s;
            }
            if !peek {
                self.leftover.drain(..n);
            }
            return Ok(n);
        }
        let s = match &self.role {
            Role::Listen(_) => return Err(Errno::ENOTCONN),
            Role::Idle => None,
            Role::Conn(c) => Some(ifs.tcp(c.via, c.h)),
        };
        if let Some(s) = s {
            if s.recv_queue() > 0 && !buf.is_empty() {
                let r = if peek {
                    s.peek_slice(buf)
                } else {
                    s.recv_slice(buf)
                };
                return Ok(r.unwrap_or(0));
            }
            if let Some(e) = self.err.take() {
                return Err(e);
            }
            let st = s.state();
            let fin = matches!(
                st,
                State::CloseWait
                    | State::LastAck
                    | State::Closing
                    | State::TimeWait
                    | State::Closed
            );
            if self.shut_rd || fin || self.dead || buf.is_empty() {
                return Ok(0);
            }
            return Err(Errno::EAGAIN);
        }
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        if self.dead || self.shut_rd {
            return Ok(0);
        }
        Err(Errno::ENOTCONN)
    }

    /// tcp_sendmsg without waiting: a pending error first, EPIPE once the
    /// sending side is shut or there is no connection, EAGAIN while
    /// connecting or when the buffer is full.
    pub fn send(&mut self, ifs: &mut Ifaces, data: &[u8]) -> Result<usize, Errno> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        if self.shut_wr || self.dead {
            return Err(Errno::EPIPE);
        }
        let Role::Conn(c) = &self.role else {
            return Err(Errno::EPIPE);
        };
        let s = ifs.tcp(c.via, c.h);
        match s.state() {
            State::Established | State::CloseWait => {}
            State::SynSent | State::SynReceived => return Err(Errno::EAGAIN),
            _ => return Err(Errno::EPIPE),
        }
        if data.is_empty() {
            return Ok(0);
        }
        match s.send_slice(data) {
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => Ok(n),
            Err(_) => Err(Errno::EPIPE),
        }
    }

    /// Bytes a read returns at once (FIONREAD); EINVAL for a listener.
    pub fn available(&self, ifs: &mut Ifaces) -> Result<usize, Errno> {
        match &self.role {
            Role::Listen(_) => Err(Errno::EINVAL),
            Role::Idle => Ok(self.leftover.len()),
            Role::Conn(c) => Ok(ifs.tcp(c.via, c.h).recv_queue() + self.leftover.len()),
        }
    }
}

/// Moves what `s` still holds for the program into `out`.
fn drain(s: &mut tcp::Socket<'static>, out: &mut VecDeque<u8>) {
    let mut chunk = [0u8; 2048];
    while s.recv_queue() > 0 {
        match s.recv_slice(&mut chunk) {
            Ok(n) if n > 0 => out.extend(&chunk[..n]),
            _ => break,
        }
    }
}
