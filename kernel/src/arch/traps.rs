//! What each trap means: page faults from programs are resolved or become
//! SIGSEGV; other faults from programs become their Linux signals; faults
//! in the kernel are bugs and panic with the vector, RIP, CR2 and error code.

use super::trap::TrapFrame;
use lintel_syscall::mm::{FaultAccess, FaultError};

const SIGILL: u8 = 4;
const SIGTRAP: u8 = 5;
const SIGBUS: u8 = 7;
const SIGFPE: u8 = 8;
const SIGKILL: u8 = 9;
const SIGSEGV: u8 = 11;

fn name(v: u64) -> &'static str {
    match v {
        0 => "divide error",
        1 => "debug",
        2 => "NMI",
        3 => "breakpoint",
        4 => "overflow",
        5 => "bound range",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack fault",
        13 => "general protection fault",
        14 => "page fault",
        16 => "x87 floating-point error",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD floating-point error",
        _ => "exception",
    }
}

fn cr2() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

#[no_mangle]
extern "C" fn trap_handler(f: &mut TrapFrame) {
    let v = f.vector;
    if v == crate::virtio::irq::VIRTIO_VECTOR as u64 {
        crate::virtio::irq::handle();
        return back_to_user(f);
    }
    if v == crate::virtio::irq::INTX_VECTOR as u64 {
        crate::virtio::irq::handle_intx();
        return back_to_user(f);
    }
    if v == crate::arch::lapic::TIMER_VECTOR as u64 {
        crate::time::timer::on_interrupt();
        crate::sched::tick();
        crate::arch::lapic::eoi();
        if f.from_user() {
            // Preemption: another thread may run before this one resumes.
            crate::task::preempt(f);
        }
        return;
    }
    if v == 0xff {
        return; // the local APIC's spurious vector: no EOI
    }
    if v >= 32 {
        // Every IRQ line is masked for now; anything arriving is unexpected.
        log::warn!("unexpected interrupt on vector {v}");
        return;
    }
    if !f.from_user() {
        panic!(
            "{} (vector {}) in the kernel at rip={:#x} cr2={:#x} error={:#x} rsp={:#x}",
            name(v),
            v,
            f.rip,
            cr2(),
            f.error_code,
            f.rsp
        );
    }
    let (sig, detail0, detail1) = match v {
        14 => {
            let addr = cr2();
            let access = if f.error_code & 0x10 != 0 {
                FaultAccess::Exec
            } else if f.error_code & 0x2 != 0 {
                FaultAccess::Write
            } else {
                FaultAccess::Read
            };
            match crate::task::user_page_fault(addr, access) {
                Ok(()) => return back_to_user(f),
                Err(FaultError::OutOfMemory) => {
                    (SIGKILL, FaultError::OutOfMemory.si_code(), Some(addr))
                }
                Err(e) => (SIGSEGV, e.si_code(), Some(addr)),
            }
        }
        0 => (SIGFPE, 1, None), // FPE_INTDIV
        16 => (SIGFPE, 0x80, None),
        19 => (SIGFPE, simd_code(), None),
        6 => (SIGILL, 2, None), // ILL_ILLOPN
        1 | 3 => (SIGTRAP, 0x80, None),
        17 => (SIGBUS, 1, None), // BUS_ADRALN
        // General protection (e.g. a non-canonical address): SI_KERNEL, address 0.
        _ => (SIGSEGV, 0x80, Some(0)),
    };
    let what = if sig == SIGKILL {
        "out of memory"
    } else {
        name(v)
    };
    crate::task::user_fault(sig, detail0, what, detail1, f);
}

/// An interrupt that arrived in user mode returns through the same path
/// as a system call (signals, exit).
fn back_to_user(f: &mut TrapFrame) {
    if f.from_user() {
        crate::task::return_to_user(f);
    }
}

/// si_code for a SIMD floating-point exception, from MXCSR's flags.
fn simd_code() -> i32 {
    let mut m: u32 = 0;
    // SAFETY: STMXCSR stores the 32-bit MXCSR into `m`.
    unsafe { core::arch::asm!("stmxcsr [{0}]", in(reg) &mut m, options(nostack)) };
    let flags = m & 0x3f & !((m >> 7) & 0x3f);
    match flags {
        f if f & 1 != 0 => 7,  // FPE_FLTINV
        f if f & 4 != 0 => 3,  // FPE_FLTDIV
        f if f & 8 != 0 => 4,  // FPE_FLTOVF
        f if f & 16 != 0 => 5, // FPE_FLTUND
        f if f & 32 != 0 => 6, // FPE_FLTRES
        _ => 0,
    }
}
