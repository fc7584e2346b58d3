//! The socket system calls over `lintel_net` (AF_INET TCP and UDP).
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
mod conn;
mod file;
mod msg;
mod opts;
mod sendfile;
mod wait;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_io;

pub use conn::*;
pub use msg::*;
pub use opts::{sys_getsockopt, sys_setsockopt};
pub use sendfile::sys_sendfile;

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
