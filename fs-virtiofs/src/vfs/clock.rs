//! Time for cache timeouts: the daemon says how long a name or attributes
//! stay valid, so the file system needs a monotonic clock.

/// A monotonic clock in nanoseconds (the kernel's uptime).
pub trait Clock: Send + Sync {
    fn now_ns(&self) -> u64;
}

/// Any `fn() -> u64` (such as the kernel's `uptime_ns`) is a clock.
impl<F: Fn() -> u64 + Send + Sync> Clock for F {
    fn now_ns(&self) -> u64 {
        self()
    }
}
