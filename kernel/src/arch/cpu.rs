//! CPU identification and the control-register setup programs expect
//! (SSE, XSAVE/AVX state enabled so user code may use them).

use core::arch::x86_64::{__cpuid_count, CpuidResult};

pub fn cpuid(leaf: u32, sub: u32) -> CpuidResult {
    // SAFETY: CPUID exists on every x86_64 CPU and has no side effects.
    __cpuid_count(leaf, sub)
}

pub fn halt_forever() -> ! {
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads the time-stamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The TSC, read only after every earlier instruction has completed
/// (LFENCE; RDTSC, as Linux's rdtsc_ordered and the vDSO read it), so a
/// clock read in the kernel and one in the vDSO keep program order.
pub fn rdtsc_ordered() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: LFENCE only orders instruction execution and RDTSC only
    // reads the time-stamp counter.
    unsafe {
        core::arch::asm!(
            "lfence",
            "rdtsc",
            out("eax") lo,
            out("edx") hi,
            options(nostack, preserves_flags)
        )
    };
    (hi as u64) << 32 | lo as u64
}

/// Lets user mode execute RDTSC (CR4.TSD clear), which the vDSO's clocks
/// read, as Linux allows by default.
pub fn allow_user_rdtsc() {
    use x86_64::registers::control::{Cr4, Cr4Flags};
    let mut cr4 = Cr4::read();
    if cr4.contains(Cr4Flags::TIMESTAMP_DISABLE) {
        cr4.remove(Cr4Flags::TIMESTAMP_DISABLE);
        // SAFETY: clearing TSD only stops RDTSC faulting in ring 3.
        unsafe { Cr4::write(cr4) };
    }
}

/// CPUID.1:EDX, what Linux reports as AT_HWCAP on x86_64.
pub fn hwcap() -> u64 {
    cpuid(1, 0).edx as u64
}

pub fn has_rdrand() -> bool {
    cpuid(1, 0).ecx & (1 << 30) != 0
}

/// Enables SSE for user code and, when the CPU has XSAVE, every user state
/// component it supports (x87, SSE, AVX, AVX-512...), as Linux does.
pub fn enable_user_fpu() {
    use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    let mut cr0 = Cr0::read();
    cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
    cr0.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
    let mut cr4 = Cr4::read();
    cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
    let xsave = cpuid(1, 0).ecx & (1 << 26) != 0;
    if xsave {
        cr4.insert(Cr4Flags::OSXSAVE);
    }
    // SAFETY: turning on FPU/SSE/XSAVE support changes no memory mappings;
    // the kernel itself is built soft-float and never uses these registers.
    unsafe {
        Cr0::write(cr0);
        Cr4::write(cr4);
    }
    if xsave {
        let supported = cpuid(0xd, 0);
        // User components only: x87, SSE, AVX, MPX-less AVX-512 (bits 0,1,2,5,6,7).
        let mask = (supported.eax as u64 | (supported.edx as u64) << 32) & 0xe7;
        // SAFETY: XCR0 takes a subset of the components CPUID reports as supported.
        unsafe { x86_64::registers::xcontrol::XCr0::write_raw(mask) };
    }
    // SAFETY: FNINIT resets the x87 state to its defaults.
    unsafe { core::arch::asm!("fninit", options(nomem, nostack)) };
}
