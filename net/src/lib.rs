//! Lintel's TCP/IP stack: smoltcp under BSD socket semantics.
//!
//! # Shape
//! [`Net`] is the whole stack, shared (`Send + Sync`) and locked inside. It
//! holds two smoltcp interfaces, each with its own socket set and device:
//!
//! - **lo** (`Medium::Ip`, a frame queue in memory): 127.0.0.1/8 and the
//!   NIC's own address (/32). Every 127.x.y.z is accepted (smoltcp's AnyIP
//!   with a 127/8 route via 127.0.0.1), as Linux's `lo` does. It exists with
//!   or without a NIC, so a program can always talk to itself.
//! - **eth** (`Medium::Ethernet`, over a [`Nic`]), when there is a NIC: its
//!   address comes from a static [`Ipv4Config`] or from smoltcp's DHCPv4
//!   socket, which then also keeps lo's copy of the address current.
//!
//! Traffic is routed by destination when a socket connects or sends: 127/8,
//! 0.0.0.0 (Linux's "this host") and the NIC's own address go through lo,
//! everything else through eth (`ENETUNREACH` without one). A socket bound
//! to 0.0.0.0 or to the NIC's address is reachable on both interfaces: a
//! listener keeps a listening smoltcp socket in each set, and a UDP socket
//! one smoltcp socket per set.
//!
//! # Backlog
//! A smoltcp listening socket turns into the connection it accepts. A
//! listener therefore keeps, per interface, one *idle* listening socket,
//! and a queue of *pending* ones that took a SYN. The stack processes
//! incoming packets one at a time and, after each, moves a listening socket
//! that took a SYN to the pending queue and puts a fresh one in its place,
//! as long as fewer than `backlog + 1` connections are pending (Linux's
//! accept-queue limit). `accept` hands out the oldest established pending
//! connection. When the backlog is full there is no listening socket, so
//! smoltcp answers a SYN with RST (Linux would drop it and let the client
//! retry): a client sees ECONNREFUSED instead of waiting.
//!
//! # Time and polling
//! The crate never reads a clock: [`Net::poll`] takes the monotonic time
//! in nanoseconds and [`Net::poll_at`] says when to call it next. Socket
//! operations that queue packets (send, recv opening the window, connect,
//! accept, shutdown, close) drive the stack at once with the last time it
//! was given, so loopback traffic and the NIC see them without waiting for
//! the next poll. When readiness changes, `lintel_vfs::wake_waiters` runs.
//!
//! # Sockets
//! [`TcpSocket`] and [`UdpSocket`] follow Linux's BSD semantics and never
//! block: they return `EAGAIN`/`EINPROGRESS`, and the system-call layer
//! waits on [`TcpSocket::poll`] readiness ([`PollEvents`]) and
//! [`TcpSocket::event_seq`].
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

mod config;
mod device;
mod listener;
mod nic;
mod ports;
mod stack;
mod tcp;
mod tcp_state;
mod udp;

#[cfg(test)]
mod tests;

pub use config::Ipv4Config;
pub use core::net::{Ipv4Addr, SocketAddrV4};
pub use lintel_vfs::{Errno, PollEvents};
pub use nic::Nic;
pub use stack::Net;
pub use tcp::TcpSocket;
pub use udp::{Datagram, UdpSocket};

/// A zeroed buffer of `n` bytes, or None when memory is short (the caller
/// answers ENOBUFS, or refuses the connection, rather than the kernel
/// panicking on a failed allocation).
pub(crate) fn try_zeroed(n: usize) -> Option<alloc::vec::Vec<u8>> {
    let mut v = alloc::vec::Vec::new();
    v.try_reserve_exact(n).ok()?;
    v.resize(n, 0);
    Some(v)
}

/// Receive and send buffer of every TCP connection (window scaling makes
/// the whole of it usable): Linux's default receive buffer, and as much to
/// send, so a loopback connection (two sockets) costs 512 KiB.
pub const TCP_RX_BUFFER: usize = 128 * 1024;
pub const TCP_TX_BUFFER: usize = 128 * 1024;
/// UDP buffers: payload bytes and datagrams, each way.
pub const UDP_BUFFER: usize = 128 * 1024;
pub const UDP_PACKETS: usize = 64;
/// Linux's default `net.core.somaxconn`: listen() clamps its backlog to it.
pub const SOMAXCONN: usize = 4096;
/// Linux's default `ip_local_port_range`.
pub const EPHEMERAL_FIRST: u16 = 32768;
pub const EPHEMERAL_LAST: u16 = 60999;
/// How long a connect waits for an answer before ETIMEDOUT (Linux: six
/// SYN retries, 1+2+...+64 s).
pub const CONNECT_TIMEOUT_NS: u64 = 127_000_000_000;
/// How long a closed connection may wait for its peer's FIN or ACK before
/// it is dropped (Linux's `tcp_fin_timeout`).
pub const ORPHAN_TIMEOUT_NS: u64 = 60_000_000_000;
/// The largest UDP payload over IPv4.
pub const UDP_MAX_PAYLOAD: usize = 65507;

/// How to shut a connection down (shutdown(2)'s SHUT_RD, SHUT_WR, SHUT_RDWR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

impl Shutdown {
    pub fn read(self) -> bool {
        self != Shutdown::Write
    }
    pub fn write(self) -> bool {
        self != Shutdown::Read
    }
}
