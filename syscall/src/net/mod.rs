//! The socket system calls: AF_INET TCP and UDP over `lintel_net`, and
//! AF_UNIX (`unix/`).
//!
//! A socket is a special file (`SocketFile`, a `FileOps`), so read, write,
//! readv, writev, poll, select, epoll, fcntl and close work on it as on a
//! pipe. The calls here find it by fd (ENOTSOCK for other files), decode
//! sockaddrs and flags, and do the waiting: the stack never blocks, it
//! says EAGAIN/EINPROGRESS and the caller waits in `Cx::wait` until the
//! socket's readiness changes, a signal arrives (ERESTARTSYS, or EINTR
//! with SO_RCVTIMEO/SO_SNDTIMEO set, as Linux) or a timer of the stack is
//! due (then the wait polls the stack itself, so TCP timers run even
//! between the kernel's polls).
//!
//! The kernel registers its stack once at boot with [`set_stack`]; without
//! it the first socket creates a loopback-only stack (host tests, a boot
//! without a NIC).

mod addr;
mod cmsg;
mod conn;
mod file;
mod msg;
mod opts;
mod sendfile;
mod unix;
mod wait;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_io;

pub use conn::*;
pub use msg::*;
pub use opts::{sys_getsockopt, sys_setsockopt};
pub use sendfile::sys_sendfile;
pub(crate) use msg::socket_rw;

/// Whether `f` is a socket (its reads and writes go through `socket_rw`).
pub(crate) fn is_socket(f: &lintel_vfs::FileRef) -> bool {
    file::socket_file(f).is_some()
}

/// Whether EPIPE from a write to `f` raises SIGPIPE: for every file but
/// AF_UNIX datagram and SEQPACKET sockets.
pub(crate) fn epipe_signals(f: &lintel_vfs::FileRef) -> bool {
    file::socket_file(f).is_none_or(|s| s.epipe_signals())
}

use alloc::sync::Arc;
use lintel_net::Net;

static STACK: spin::Once<Arc<Net>> = spin::Once::new();

/// Registers the kernel's stack (once, at boot, before the first program
/// runs; later calls are ignored).
pub fn set_stack(net: Arc<Net>) {
    STACK.call_once(|| net);
}

/// The stack: the registered one, else a loopback-only one made now.
pub fn stack() -> &'static Arc<Net> {
    STACK.call_once(|| Arc::new(Net::loopback(0x6c69_6e74_656c)))
}
