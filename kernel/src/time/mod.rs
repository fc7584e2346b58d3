pub mod rtc;
pub mod timer;
pub mod tsc;

use core::sync::atomic::{AtomicU64, Ordering};

static BOOT_REALTIME_NS: AtomicU64 = AtomicU64::new(0);

/// Reads the RTC once; realtime then advances with the TSC.
pub fn init_realtime() -> u64 {
    let s = rtc::unix_seconds();
    BOOT_REALTIME_NS.store(
        s.saturating_mul(1_000_000_000)
            .saturating_sub(tsc::uptime_ns()),
        Ordering::Relaxed,
    );
    s
}

/// Sets the wall clock from the host's `clock=` (finer than the RTC).
pub fn set_realtime(ns: u64) {
    BOOT_REALTIME_NS.store(ns, Ordering::Relaxed);
}

pub fn realtime_ns() -> u64 {
    BOOT_REALTIME_NS.load(Ordering::Relaxed) + tsc::uptime_ns()
}
