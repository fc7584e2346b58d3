//! The local APIC (xAPIC, memory-mapped): enabling it, end of interrupt,
//! and its timer, which fires once at an absolute time — through the
//! TSC-deadline MSR when the CPU has it, else as a one-shot countdown
//! calibrated against the TSC.

use crate::mem::mmio;
use crate::time::tsc;
use crate::virtio::Regs;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

/// The timer's interrupt vector.
pub const TIMER_VECTOR: u8 = 0x32;
const SPURIOUS_VECTOR: u8 = 0xff;
const APIC_BASE_MSR: u32 = 0x1b;
const TSC_DEADLINE_MSR: u32 = 0x6e0;

const SVR: u64 = 0xf0;
const TPR: u64 = 0x80;
const EOI: u64 = 0xb0;
const LVT_TIMER: u64 = 0x320;
const INITIAL_COUNT: u64 = 0x380;
const CURRENT_COUNT: u64 = 0x390;
const DIVIDE: u64 = 0x3e0;
const LVT_MASKED: u32 = 1 << 16;
const MODE_TSC_DEADLINE: u32 = 2 << 17;

static BASE: AtomicU64 = AtomicU64::new(0);
static TSC_DEADLINE: AtomicBool = AtomicBool::new(false);
/// One-shot mode: timer counts per millisecond (divider 16).
static COUNTS_PER_MS: AtomicU64 = AtomicU64::new(0);

fn regs() -> Option<Regs> {
    let v = BASE.load(Ordering::Relaxed);
    (v != 0).then(|| Regs::new(v, 4096))
}

/// Whether the local APIC is mapped and enabled.
pub fn ready() -> bool {
    BASE.load(Ordering::Relaxed) != 0
}

/// Maps and software-enables the local APIC, then sets up its timer.
pub fn init() {
    // SAFETY: reading IA32_APIC_BASE has no side effects.
    let base = unsafe { Msr::new(APIC_BASE_MSR).read() } & 0xffff_f000;
    let Some(v) = mmio::map(base, 4096) else {
        return;
    };
    let r = Regs::new(v, 4096);
    r.write32(SVR, 0x100 | SPURIOUS_VECTOR as u32); // enable
    r.write32(TPR, 0); // accept every priority
    BASE.store(v, Ordering::Relaxed);
    init_timer(&r);
}

fn init_timer(r: &Regs) {
    if crate::arch::cpu::cpuid(1, 0).ecx & (1 << 24) != 0 {
        TSC_DEADLINE.store(true, Ordering::Relaxed);
        r.write32(LVT_TIMER, TIMER_VECTOR as u32 | MODE_TSC_DEADLINE);
        log::info!("local APIC timer: TSC-deadline mode");
        return;
    }
    // Count down from the maximum for 1 ms of TSC time.
    r.write32(DIVIDE, 0x3); // divide by 16
    r.write32(LVT_TIMER, LVT_MASKED);
    r.write32(INITIAL_COUNT, u32::MAX);
    let t0 = tsc::uptime_ns();
    while tsc::uptime_ns() - t0 < 1_000_000 {
        core::hint::spin_loop();
    }
    let per_ms = u32::MAX - r.read32(CURRENT_COUNT);
    r.write32(INITIAL_COUNT, 0);
    COUNTS_PER_MS.store(per_ms.max(1) as u64, Ordering::Relaxed);
    r.write32(LVT_TIMER, TIMER_VECTOR as u32); // one-shot
    log::info!("local APIC timer: one-shot mode, {per_ms} counts/ms");
}

/// End of interrupt.
pub fn eoi() {
    if let Some(r) = regs() {
        r.write32(EOI, 0);
    }
}

/// Fires the timer interrupt once, at `deadline_ns` of uptime (at once
/// when that has passed); replaces any earlier setting.
pub fn arm_at(deadline_ns: u64) {
    let Some(r) = regs() else { return };
    if TSC_DEADLINE.load(Ordering::Relaxed) {
        // At least 1: writing 0 disarms.
        let tsc = tsc::tsc_at(deadline_ns).max(1);
        // SAFETY: IA32_TSC_DEADLINE exists (CPUID said so); writing it
        // only schedules the timer interrupt.
        unsafe { Msr::new(TSC_DEADLINE_MSR).write(tsc) };
    } else {
        let ns = deadline_ns.saturating_sub(tsc::uptime_ns());
        let counts = (ns as u128 * COUNTS_PER_MS.load(Ordering::Relaxed) as u128 / 1_000_000)
            .clamp(1, u32::MAX as u128);
        r.write32(INITIAL_COUNT, counts as u32);
    }
}
