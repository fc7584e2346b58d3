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
        return;
    }
    if v == crate::virtio::irq::INTX_VECTOR as u64 {
        crate::virtio::irq::handle_intx();
        return;
    }
    if v == crate::virtio::irq::TICK_VECTOR as u64 {
        crate::virtio::irq::handle_tick();
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
    let (sig, detail) = match v {
        14 => {
            let addr = cr2();
            let access = if f.error_code & 0x10 != 0 {
                FaultAccess::Exec
            } else if f.error_code & 0x2 != 0 {
                FaultAccess::Write
            } else {
                FaultAccess::Read
            };
            match crate::task::user_page_fault(addr, access, f.error_code & 1 != 0) {
                Ok(()) => return,
                Err(FaultError::Segv) => (SIGSEGV, Some(addr)),
                Err(FaultError::OutOfMemory) => {
                    crate::task::kill_current(SIGKILL, "out of memory", Some(addr), f)
                }
            }
        }
        0 | 16 | 19 => (SIGFPE, None),
        6 => (SIGILL, None),
        1 | 3 => (SIGTRAP, None),
        17 => (SIGBUS, None),
        _ => (SIGSEGV, None),
    };
    crate::task::kill_current(sig, name(v), detail, f);
}
