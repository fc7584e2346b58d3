//! The kernel-stack switch between two threads: callee-saved registers on
//! the old stack, its rsp saved, the new one loaded. A new thread's stack
//! is built to "return" into `task_first_entry`, which enters user mode
//! through `trap_return` with the thread's registers.

use core::arch::global_asm;

global_asm!(
    r#"
    .section .text
    .global context_switch
    .global task_first_entry
context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
task_first_entry:
    movq %rsp, %rdi
    call task_started
    jmp trap_return
    "#,
    options(att_syntax)
);

extern "C" {
    fn context_switch(save: *mut u64, load: u64);
    fn task_first_entry();
}

/// Switches to the stack `load`, saving the current one in `*save`;
/// returns when some thread switches back to it.
pub fn switch(save: &mut u64, load: u64) {
    // SAFETY: `load` is a stack saved by `switch` or built by
    // `initial_stack`; the current stack stays allocated while saved.
    unsafe { context_switch(save, load) }
}

/// Lays out a new thread's kernel stack below `frame` (its user
/// registers, at the top): a return into `task_first_entry` and six
/// zeroed callee-saved registers. Returns the stack pointer to load.
pub fn initial_stack(frame: u64) -> u64 {
    let ret = frame - 8;
    let rsp = ret - 6 * 8;
    // SAFETY: [rsp, frame) lies in the new thread's kernel stack, which
    // nothing else uses yet.
    unsafe {
        core::ptr::write(ret as *mut u64, task_first_entry as *const () as u64);
        core::ptr::write_bytes(rsp as *mut u64, 0, 6);
    }
    rsp
}
