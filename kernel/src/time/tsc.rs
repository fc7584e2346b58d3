//! The monotonic clock: the TSC, calibrated once against the PIT at boot.
//! The TSC at boot and the calibration (ticks per microsecond, times 1024)
//! live in the vvar page, where the vDSO reads them too; kernel/vdso/vdso.c
//! repeats `ticks_to_ns` exactly, so both clocks agree to the nanosecond.

use super::vvar;
use crate::arch::cpu::{rdtsc, rdtsc_ordered};
use crate::arch::port::{inb, outb};

pub fn set_boot_tsc(tsc: u64) {
    vvar::update(|p| p.boot_tsc = tsc);
}

/// TSC ticks over one PIT channel-2 countdown of `ms` milliseconds, or None
/// when the PIT never fires. Seeing the end late (the host ran something
/// else) only makes the count larger.
fn measure(ms: u64) -> Option<u64> {
    const PIT_HZ: u64 = 1_193_182;
    let count = (PIT_HZ * ms / 1000) as u16;
    outb(0x61, (inb(0x61) & !0x02) | 0x01); // gate on, speaker off
    outb(0x43, 0xb0); // channel 2, lobyte/hibyte, mode 0
    outb(0x42, count as u8);
    outb(0x42, (count >> 8) as u8);
    let start = rdtsc();
    let mut spins = 0u64;
    while inb(0x61) & 0x20 == 0 {
        spins += 1;
        if spins > 200_000_000 {
            return None;
        }
    }
    Some(rdtsc().wrapping_sub(start))
}

/// Calibrates the TSC against the PIT: the least of three 5 ms counts, since
/// a late look at the PIT (a busy host) can only lengthen one.
pub fn calibrate() {
    const MS: u64 = 5;
    let best = (0..3).filter_map(|_| measure(MS)).min();
    let per_us_x1024 = match best {
        Some(ticks) if ticks > 1000 => ticks * 1024 / (MS * 1000),
        _ => 2000 * 1024, // no PIT: assume 2 GHz
    };
    vvar::update(|p| p.tsc_per_us_x1024 = per_us_x1024.max(1));
}

/// TSC ticks to nanoseconds: `ticks * 1024 * 1000 / per` in 128 bits, cut
/// to 64. The vDSO computes the same (and asks the kernel when the result
/// would not fit 64 bits, after 584 years).
fn ticks_to_ns(ticks: u64, per: u64) -> u64 {
    if per == 0 {
        return 0;
    }
    (ticks as u128 * 1024 * 1000 / per as u128) as u64
}

/// The TSC value at `ns` of uptime (the timer's deadline register).
pub fn tsc_at(ns: u64) -> u64 {
    vvar::read(|p| {
        let ticks = ns as u128 * p.tsc_per_us_x1024 as u128 / (1024 * 1000);
        p.boot_tsc
            .saturating_add(ticks.min(u64::MAX as u128) as u64)
    })
}

/// Nanoseconds since boot by the clock's parameters `p`, now.
pub(super) fn uptime_with(p: &vvar::Params) -> u64 {
    ticks_to_ns(
        rdtsc_ordered().saturating_sub(p.boot_tsc),
        p.tsc_per_us_x1024,
    )
}

/// Nanoseconds since the kernel's first instruction.
pub fn uptime_ns() -> u64 {
    vvar::read(uptime_with)
}

pub fn ticks_per_us() -> u64 {
    vvar::read(|p| p.tsc_per_us_x1024) / 1024
}
