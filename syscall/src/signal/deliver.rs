//! Delivery on the way back to user mode: the first deliverable signal is
//! ignored, ends the process (its default action), or gets a handler frame;
//! an interrupted system call is restarted or fails with EINTR as
//! SA_RESTART says; rt_sigreturn undoes the frame.

use super::frame::{self, Ucontext};
use super::{
    bit, default_action, DefaultAction, SigInfo, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART,
    SIGSEGV, SIG_DFL, SIG_IGN, UNBLOCKABLE,
};
use crate::abi::KSigaction;
use crate::process::Exit;
use crate::user::{read_bytes, write_bytes};
use crate::{Cx, Errno, ExitStatus, Kernel, Process, Regs, SysResult};
use core::sync::atomic::Ordering;

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
/// The rflags bits a program may set (Linux's FIX_EFLAGS); IF is forced on.
const USER_RFLAGS: u64 = 0x0004_0dd5 | (1 << 16) | (1 << 18);

/// Takes the lowest pending, unblocked signal: the thread's own first
/// (faults are sent to the thread), then the process's.
fn dequeue(p: &Process) -> Option<(u8, SigInfo)> {
    p.thread
        .pending
        .take(!p.blocked)
        .or_else(|| p.group.pending.take(!p.blocked))
}

/// Called by the kernel before every return to user mode. Sets `p.exit`
/// when the thread must end instead.
pub fn on_return_to_user(k: &mut dyn Kernel, p: &mut Process, regs: &mut Regs) {
    if p.exit.is_some() {
        return;
    }
    if p.set_child_tid != 0 {
        // CLONE_CHILD_SETTID, in the child's own memory, before its first instruction.
        let (at, tid) = (p.set_child_tid, p.tid as u32);
        p.set_child_tid = 0;
        let _ = write_bytes(k, &p.mm, at, &tid.to_le_bytes());
    }
    if p.thread.killed.load(Ordering::Relaxed) {
        p.exit = Some(Exit::Thread(0));
        return;
    }
    if let Some(st) = *p.group.exit.lock() {
        p.exit = Some(Exit::Group(st));
        return;
    }
    while let Some((sig, info)) = dequeue(p) {
        let act = p.sighand.get(sig);
        if act.handler == SIG_IGN {
            continue;
        }
        if act.handler == SIG_DFL {
            match default_action(sig) {
                DefaultAction::Ignore | DefaultAction::Stop => continue,
                DefaultAction::Term | DefaultAction::Core => {
                    end_group(p, ExitStatus::Signal(sig));
                    return;
                }
            }
        }
        if let Some((nr, e)) = p.restart.take() {
            let again = e == Errno::ERESTARTNOINTR
                || (e == Errno::ERESTARTSYS && act.flags & SA_RESTART != 0);
            if again {
                restart(regs, nr);
            }
        }
        if setup(k, p, regs, sig, &info, &act).is_err() {
            // No room for the frame: Linux's force_sigsegv.
            end_group(p, ExitStatus::Signal(SIGSEGV));
            return;
        }
        if act.flags & SA_RESETHAND != 0 {
            p.sighand.actions.lock()[sig as usize - 1] = KSigaction::default();
        }
        let mut mask = act.mask;
        if act.flags & SA_NODEFER == 0 {
            mask |= bit(sig);
        }
        p.blocked = (p.blocked | mask) & !UNBLOCKABLE;
        return;
    }
    // No handler ran: an interrupted call starts again, a temporary mask ends.
    if let Some((nr, _)) = p.restart.take() {
        restart(regs, nr);
    }
    if let Some(m) = p.saved_mask.take() {
        p.blocked = m;
    }
}

fn end_group(p: &mut Process, st: ExitStatus) {
    let mut e = p.group.exit.lock();
    let st = *e.get_or_insert(st);
    drop(e);
    p.exit = Some(Exit::Group(st));
    lintel_vfs::wake_waiters();
}

/// Back to the `syscall` instruction with the call's number in rax.
fn restart(regs: &mut Regs, nr: u64) {
    regs.rax = nr;
    regs.rip -= 2;
}

fn on_altstack(p: &Process, sp: u64) -> bool {
    let (base, size, _) = p.altstack;
    size != 0 && sp > base && sp - base <= size
}

fn altstack_state(p: &Process, sp: u64) -> (u64, i32, u64) {
    let (base, size, autodisarm) = p.altstack;
    let mut flags = if size == 0 {
        SS_DISABLE
    } else if on_altstack(p, sp) {
        SS_ONSTACK
    } else {
        0
    };
    if autodisarm {
        flags |= 1 << 31;
    }
    (base, flags, size)
}

fn setup(
    k: &mut dyn Kernel,
    p: &mut Process,
    regs: &mut Regs,
    sig: u8,
    info: &SigInfo,
    act: &KSigaction,
) -> Result<(), Errno> {
    let stack = altstack_state(p, regs.rsp);
    let mut sp = regs.rsp;
    if act.flags & SA_ONSTACK != 0 && p.altstack.1 != 0 && !on_altstack(p, sp) {
        sp = p.altstack.0 + p.altstack.1;
        if p.altstack.2 {
            p.altstack = (0, 0, false);
        }
    } else {
        sp = sp.checked_sub(128).ok_or(Errno::EFAULT)?; // the red zone
    }
    let (frame_at, fp_at) = frame::place(sp).ok_or(Errno::EFAULT)?;
    let mut fx = [0u8; frame::FPSTATE_SIZE as usize];
    k.fpu_save(&mut fx);
    let mask = p.saved_mask.take().unwrap_or(p.blocked);
    let uc = Ucontext {
        stack,
        regs: regs.clone(),
        fpstate: fp_at,
        mask,
    };
    let (trapno, err) = if regs.vector < 32 {
        (regs.vector, regs.error_code)
    } else {
        (0, 0)
    };
    let cr2 = if sig == SIGSEGV || sig == super::SIGBUS {
        info.a
    } else {
        0
    };
    let mut bytes = alloc::vec![0u8; frame::FRAME_SIZE as usize];
    bytes[..8].copy_from_slice(&act.restorer.to_le_bytes());
    bytes[frame::UC_OFF as usize..frame::INFO_OFF as usize]
        .copy_from_slice(&frame::encode_ucontext(&uc, trapno, err, cr2));
    bytes[frame::INFO_OFF as usize..].copy_from_slice(&frame::encode_siginfo(info));
    write_bytes(k, &p.mm, fp_at, &fx)?;
    write_bytes(k, &p.mm, frame_at, &bytes)?;
    regs.rdi = sig as u64;
    regs.rsi = frame_at + frame::INFO_OFF;
    regs.rdx = frame_at + frame::UC_OFF;
    regs.rax = 0;
    regs.rip = act.handler;
    regs.rsp = frame_at;
    regs.rflags &= !((1 << 10) | (1 << 8) | (1 << 16)); // DF, TF, RF
    regs.cs = crate::regs::USER_CS;
    regs.ss = crate::regs::USER_DS;
    Ok(())
}

/// rt_sigreturn: the registers, mask, alternate stack and FPU state saved
/// in the frame come back. A bad frame is a SIGSEGV.
pub fn sys_rt_sigreturn(cx: &mut Cx) -> SysResult {
    let uc_at = cx.regs.rsp.wrapping_sub(8).wrapping_add(frame::UC_OFF);
    let mut b = [0u8; frame::UC_SIZE as usize];
    if read_bytes(cx.k, &cx.p.mm, uc_at, &mut b).is_err() {
        return bad_frame(cx);
    }
    let uc = frame::decode_ucontext(&b);
    if uc.fpstate != 0 {
        let mut fx = [0u8; frame::FPSTATE_SIZE as usize];
        if read_bytes(cx.k, &cx.p.mm, uc.fpstate, &mut fx).is_err() {
            return bad_frame(cx);
        }
        cx.k.fpu_restore(&fx);
    }
    let mut r = uc.regs;
    r.rflags = (cx.regs.rflags & !USER_RFLAGS) | (r.rflags & USER_RFLAGS) | 0x202;
    r.cs = crate::regs::USER_CS;
    r.ss = crate::regs::USER_DS;
    // Not a plain system-call return: rcx and r11 must come back too (IRETQ).
    r.vector = 0;
    *cx.regs = r;
    cx.p.blocked = uc.mask & !UNBLOCKABLE;
    // uc_stack: the alternate stack as the handler left it (errors ignored, as Linux).
    let (base, flags, size) = uc.stack;
    if !on_altstack(cx.p, cx.regs.rsp) {
        cx.p.altstack = if flags & SS_DISABLE != 0 || size == 0 {
            (0, 0, false)
        } else {
            (base, size, flags & (1 << 31) != 0)
        };
    }
    Ok(cx.regs.rax)
}

fn bad_frame(cx: &mut Cx) -> SysResult {
    log::warn!(
        "{}[{}]: bad signal frame at rsp {:#x}",
        core::str::from_utf8(&cx.p.comm).unwrap_or("?"),
        cx.p.pid,
        cx.regs.rsp
    );
    super::force(cx.p, SIGSEGV, SigInfo::kernel(SIGSEGV));
    cx.regs.vector = 0;
    Ok(cx.regs.rax)
}
