//! The monotonic clock: the TSC, calibrated once against the PIT at boot.

use crate::arch::cpu::rdtsc;
use crate::arch::port::{inb, outb};
use core::sync::atomic::{AtomicU64, Ordering};

static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
/// TSC ticks per microsecond, times 1024 (fixed point).
static TICKS_PER_US_X1024: AtomicU64 = AtomicU64::new(0);

pub fn set_boot_tsc(tsc: u64) {
    BOOT_TSC.store(tsc, Ordering::Relaxed);
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
    TICKS_PER_US_X1024.store(per_us_x1024.max(1), Ordering::Relaxed);
}

fn ticks_to_ns(ticks: u64) -> u64 {
    let per = TICKS_PER_US_X1024.load(Ordering::Relaxed);
    if per == 0 {
        return 0;
    }
    (ticks as u128 * 1024 * 1000 / per as u128) as u64
}

/// The TSC value at `ns` of uptime (the timer's deadline register).
pub fn tsc_at(ns: u64) -> u64 {
    let per = TICKS_PER_US_X1024.load(Ordering::Relaxed);
    let ticks = ns as u128 * per as u128 / (1024 * 1000);
    BOOT_TSC
        .load(Ordering::Relaxed)
        .saturating_add(ticks.min(u64::MAX as u128) as u64)
}

/// Nanoseconds since the kernel's first instruction.
pub fn uptime_ns() -> u64 {
    ticks_to_ns(rdtsc().saturating_sub(BOOT_TSC.load(Ordering::Relaxed)))
}

pub fn ticks_per_us() -> u64 {
    TICKS_PER_US_X1024.load(Ordering::Relaxed) / 1024
}
