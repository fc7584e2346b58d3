//! rt_sigaction, rt_sigprocmask and rt_sigpending, with Linux's validation.

use super::{bit, ignored, NSIG, SIGKILL, SIGSTOP, SIG_DFL, SIG_IGN, UNBLOCKABLE};
use crate::abi::KSigaction;
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};

pub fn sys_rt_sigaction(cx: &mut Cx, sig: u64, act: u64, oldact: u64, setsize: u64) -> SysResult {
    if setsize != 8 {
        return Err(Errno::EINVAL);
    }
    if sig == 0
        || sig > NSIG as u64
        || (act != 0 && (sig == SIGKILL as u64 || sig == SIGSTOP as u64))
    {
        return Err(Errno::EINVAL);
    }
    let idx = sig as usize - 1;
    let new = if act != 0 {
        Some(read_val::<KSigaction>(cx.k, &cx.p.mm, act)?)
    } else {
        None
    };
    if oldact != 0 {
        let old = cx.p.sighand.actions.lock()[idx];
        write_val(cx.k, &cx.p.mm, oldact, &old)?;
    }
    if let Some(mut a) = new {
        a.mask &= !UNBLOCKABLE;
        cx.p.sighand.actions.lock()[idx] = a;
        // A signal set to be ignored is discarded even when pending (POSIX),
        // in every thread of the process.
        if a.handler == SIG_IGN || (a.handler == SIG_DFL && ignored(&cx.p.sighand, sig as u8)) {
            let b = bit(sig as u8);
            cx.p.group.pending.discard(b);
            for t in
                cx.p.sys
                    .table
                    .lock()
                    .procs
                    .get(&cx.p.pid)
                    .map(|e| e.threads.clone())
                    .unwrap_or_default()
            {
                t.pending.discard(b);
            }
        }
    }
    Ok(0)
}

const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;

pub fn sys_rt_sigprocmask(cx: &mut Cx, how: u64, set: u64, oldset: u64, setsize: u64) -> SysResult {
    if setsize != 8 {
        return Err(Errno::EINVAL);
    }
    let new = if set != 0 {
        if how > SIG_SETMASK {
            return Err(Errno::EINVAL);
        }
        Some(read_val::<u64>(cx.k, &cx.p.mm, set)?)
    } else {
        None
    };
    if oldset != 0 {
        let old = cx.p.blocked;
        write_val(cx.k, &cx.p.mm, oldset, &old)?;
    }
    if let Some(s) = new {
        let b = &mut cx.p.blocked;
        *b = match how {
            SIG_BLOCK => *b | s,
            SIG_UNBLOCK => *b & !s,
            _ => s,
        } & !UNBLOCKABLE;
    }
    Ok(0)
}

/// The pending signals that are blocked (the others are being delivered).
pub fn sys_rt_sigpending(cx: &mut Cx, set: u64, setsize: u64) -> SysResult {
    if setsize > 8 {
        return Err(Errno::EINVAL);
    }
    let pending = (cx.p.thread.pending.bits() | cx.p.group.pending.bits()) & cx.p.blocked;
    let bytes = pending.to_le_bytes();
    crate::user::write_bytes(cx.k, &cx.p.mm, set, &bytes[..setsize as usize])?;
    Ok(0)
}
