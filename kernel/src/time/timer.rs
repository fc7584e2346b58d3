//! When the timer interrupt fires next: the earliest of the end of the
//! current slice (preemption, and a backstop tick for interval timers and
//! the network stack's timers) and the deadlines of sleeping threads, so a
//! sleep ends when it should rather than on the next tick.
//!
//! The kernel runs with interrupts off except in user mode and in the idle
//! `hlt`, so `request` and the interrupt never race.

use crate::arch::lapic;
use crate::time::tsc::uptime_ns;
use core::sync::atomic::{AtomicU64, Ordering};

/// How long a thread runs before another may (and the backstop period).
pub const SLICE_NS: u64 = 4_000_000;

/// When the timer is armed to fire (u64::MAX: not armed).
static ARMED: AtomicU64 = AtomicU64::new(u64::MAX);

/// Starts the first slice.
pub fn start() {
    request(uptime_ns() + SLICE_NS);
}

/// The timer interrupt: a new slice begins.
pub fn on_interrupt() {
    ARMED.store(u64::MAX, Ordering::Relaxed);
    request(uptime_ns() + SLICE_NS);
}

/// Makes the timer fire no later than `deadline_ns` of uptime.
pub fn request(deadline_ns: u64) {
    if deadline_ns < ARMED.load(Ordering::Relaxed) {
        ARMED.store(deadline_ns, Ordering::Relaxed);
        lapic::arm_at(deadline_ns);
    }
}
