pub mod rtc;
pub mod timer;
pub mod tsc;
pub mod vvar;

/// Reads the RTC once; realtime then advances with the TSC.
pub fn init_realtime() -> u64 {
    let s = rtc::unix_seconds();
    let at_boot = s
        .saturating_mul(1_000_000_000)
        .saturating_sub(tsc::uptime_ns());
    vvar::update(|p| p.boot_realtime_ns = at_boot);
    s
}

/// Sets the wall clock from the host's `clock=` (finer than the RTC).
pub fn set_realtime(ns: u64) {
    vvar::update(|p| p.boot_realtime_ns = ns);
}

/// CLOCK_REALTIME: the realtime at boot plus the uptime, from one
/// consistent reading of the vvar page (as the vDSO computes it).
pub fn realtime_ns() -> u64 {
    vvar::read(|p| p.boot_realtime_ns.wrapping_add(tsc::uptime_with(p)))
}
