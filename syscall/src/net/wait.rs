//! Waiting for a socket: the stack says EAGAIN, the calling thread sleeps
//! until readiness changes, a timer of the stack is due, the socket's
//! timeout passes or a signal arrives.

use super::file::SocketFile;
use crate::{Cx, Errno};
use lintel_net::PollEvents;

/// The shortest sleep between two polls the stack asked for (a timer due
/// "now" must not make the wait spin).
const MIN_SLEEP_NS: u64 = 1_000_000;

/// What a wait is for.
#[derive(Clone, Copy)]
pub enum Want {
    Read,
    Write,
}

impl Want {
    fn ready(self, ev: PollEvents) -> bool {
        match self {
            Want::Read => ev.can_read(),
            Want::Write => ev.can_write(),
        }
    }
}

/// Drives the stack at the current time (packets the call queued go out).
pub fn kick(cx: &Cx) {
    super::stack().poll(cx.k.monotonic_ns());
}

/// Runs `op` until it stops answering EAGAIN. Non-blocking: EAGAIN at once.
/// `timeout_ns` (SO_RCVTIMEO/SO_SNDTIMEO, 0 for none) ends the wait with
/// EAGAIN; a signal with ERESTARTSYS, or EINTR when a timeout is set
/// (Linux's sock_intr_errno).
pub fn block_on<T>(
    cx: &mut Cx,
    s: &SocketFile,
    nonblock: bool,
    want: Want,
    timeout_ns: u64,
    op: &mut dyn FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    let net = super::stack().clone();
    let deadline = (timeout_ns > 0).then(|| cx.k.monotonic_ns().saturating_add(timeout_ns));
    loop {
        match op() {
            Err(Errno::EAGAIN) if !nonblock => {}
            r => return r,
        }
        let now = cx.k.monotonic_ns();
        net.poll(now);
        match op() {
            Err(Errno::EAGAIN) => {}
            r => return r,
        }
        if deadline.is_some_and(|d| now >= d) {
            return Err(Errno::EAGAIN);
        }
        let timer = net.poll_at(now).map(|t| t.max(now + MIN_SLEEP_NS));
        let wake = match (deadline, timer) {
            (Some(d), Some(t)) => Some(d.min(t)),
            (d, t) => d.or(t),
        };
        if let Err(e) = cx.wait(&mut || want.ready(s.poll()), wake) {
            return Err(if deadline.is_some() { Errno::EINTR } else { e });
        }
    }
}
