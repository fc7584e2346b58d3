//! SYSCALL entry (LSTAR). The user stack pointer is parked in the per-CPU
//! block, the thread's kernel stack taken from it, and a `TrapFrame` built
//! like an interrupt's, so both paths share one frame type. The return goes
//! through SYSRET when the frame allows it, else through IRETQ.

use super::gdt::{KERNEL_CS, USER_CS, USER_DS};
use super::trap::TrapFrame;
use core::arch::global_asm;
use core::ptr::addr_of_mut;
use x86_64::registers::model_specific::{
    Efer, EferFlags, GsBase, KernelGsBase, LStar, Msr, SFMask,
};
use x86_64::registers::rflags::RFlags;
use x86_64::VirtAddr;

/// Per-CPU data at GS base while in the kernel. Offsets are used by the asm.
#[repr(C)]
pub struct PerCpu {
    kernel_rsp: u64, // 0
    user_rsp: u64,   // 8
}

static mut PERCPU: PerCpu = PerCpu {
    kernel_rsp: 0,
    user_rsp: 0,
};

global_asm!(
    r#"
    .section .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:8
    movq %gs:0, %rsp
    pushq ${user_ds}
    pushq %gs:8
    pushq %r11
    pushq ${user_cs}
    pushq %rcx
    pushq $0
    pushq $0x100
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call syscall_handler
    testq %rax, %rax
    jz trap_return
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    movq (%rsp), %rcx
    movq 16(%rsp), %r11
    movq 24(%rsp), %rsp
    swapgs
    sysretq
    "#,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    options(att_syntax)
);

extern "C" {
    fn syscall_entry();
}

pub fn init() {
    const STAR: u32 = 0xc000_0081;
    // SAFETY: STAR/LSTAR/SFMASK/EFER configure SYSCALL to enter
    // `syscall_entry` on the kernel selectors with interrupts off; GS bases
    // point at the per-CPU block, which lives for the whole run.
    unsafe {
        // SYSRET: CS = base + 16, SS = base + 8 (0x10 -> 0x23 / 0x1b); SYSCALL: CS = 0x08.
        Msr::new(STAR).write((0x10u64 << 48) | ((KERNEL_CS as u64) << 32));
        LStar::write(VirtAddr::new(syscall_entry as *const () as u64));
        SFMask::write(
            RFlags::INTERRUPT_FLAG
                | RFlags::DIRECTION_FLAG
                | RFlags::TRAP_FLAG
                | RFlags::ALIGNMENT_CHECK,
        );
        Efer::update(|f| {
            f.insert(EferFlags::SYSTEM_CALL_EXTENSIONS | EferFlags::NO_EXECUTE_ENABLE)
        });
        GsBase::write(VirtAddr::new(addr_of_mut!(PERCPU) as u64));
        KernelGsBase::write(VirtAddr::new(0));
    }
}

pub fn set_kernel_stack(top: u64) {
    // SAFETY: single CPU; the entry path reads this field only on SYSCALL,
    // which cannot happen while the kernel is running.
    unsafe { (*addr_of_mut!(PERCPU)).kernel_rsp = top };
}

/// Whether SYSRET can resume `f` (it #GPs in ring 0 on a non-canonical RIP).
/// A frame rewritten by rt_sigreturn (vector changed) needs IRETQ too, to
/// restore rcx and r11.
fn sysret_ok(f: &TrapFrame) -> bool {
    f.vector == lintel_syscall::SYSCALL_VECTOR
        && f.rip < 0x0000_8000_0000_0000
        && f.cs == USER_CS as u64
        && f.ss == USER_DS as u64
        && f.rflags & (1 << 16) == 0
}

#[no_mangle]
extern "C" fn syscall_handler(f: &mut TrapFrame) -> u64 {
    crate::task::syscall(f);
    sysret_ok(f) as u64
}
