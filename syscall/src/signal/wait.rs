//! Waiting for signals: pause, rt_sigsuspend, rt_sigtimedwait.

use super::{SigInfo, UNBLOCKABLE};
use crate::user::{read_val, write_bytes};
use crate::{Cx, Errno, SysResult};

/// Sleeps until a signal is delivered: always EINTR (after the handler).
pub fn sys_pause(cx: &mut Cx) -> SysResult {
    cx.wait(&mut || false, None)?;
    Err(Errno::ERESTARTNOHAND)
}

/// Replaces the mask until a signal is delivered; the old mask comes back
/// after the handler (through the frame) or right away if none runs.
pub fn sys_rt_sigsuspend(cx: &mut Cx, mask: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m: u64 = read_val(cx.k, &cx.p.mm, mask)?;
    cx.p.saved_mask = Some(cx.p.blocked);
    cx.p.blocked = m & !UNBLOCKABLE;
    let _ = cx.wait(&mut || false, None);
    Err(Errno::ERESTARTNOHAND)
}

/// Takes a signal of `set` out of the pending sets without running its
/// handler; EAGAIN when the timeout passes first.
pub fn sys_rt_sigtimedwait(cx: &mut Cx, set: u64, info: u64, timeout: u64, size: u64) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let want: u64 = read_val::<u64>(cx.k, &cx.p.mm, set)? & !UNBLOCKABLE;
    let deadline = if timeout == 0 {
        None
    } else {
        let ts: crate::abi::Timespec = read_val(cx.k, &cx.p.mm, timeout)?;
        if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
            return Err(Errno::EINVAL);
        }
        Some(
            cx.k.monotonic_ns()
                .saturating_add(ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec)),
        )
    };
    // The signals waited for are unblocked while waiting (as Linux does),
    // so their arrival wakes this thread; they are then taken, not delivered.
    let old = cx.p.blocked;
    let thread = cx.p.thread.clone();
    let group = cx.p.group.clone();
    let mut ready = || (thread.pending.bits() | group.pending.bits()) & want != 0;
    let r = if ready() {
        Ok(true)
    } else {
        cx.p.blocked &= !want;
        let r = cx.wait(&mut ready, deadline);
        cx.p.blocked = old;
        r
    };
    let got = match r {
        Ok(true) => take(cx, want),
        Ok(false) => return Err(Errno::EAGAIN),
        Err(e) => match take(cx, want) {
            Some(s) => Some(s),
            None => {
                return Err(if e == Errno::ERESTARTSYS {
                    Errno::EINTR
                } else {
                    e
                })
            }
        },
    };
    let (sig, si) = got.ok_or(Errno::EAGAIN)?;
    if info != 0 {
        write_bytes(cx.k, &cx.p.mm, info, &super::frame::encode_siginfo(&si))?;
    }
    Ok(sig as u64)
}

fn take(cx: &mut Cx, want: u64) -> Option<(u8, SigInfo)> {
    cx.p.thread
        .pending
        .take(want)
        .or_else(|| cx.p.group.pending.take(want))
}

/// ppoll/pselect6/epoll_pwait: run with `sigmask` (if given) in place of
/// the thread's mask; `end_temp_mask` puts the old one back unless a
/// handler is about to run (its frame restores it).
pub fn set_temp_mask(cx: &mut Cx, sigmask: u64, size: u64) -> Result<(), Errno> {
    if sigmask == 0 {
        return Ok(());
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let m: u64 = read_val(cx.k, &cx.p.mm, sigmask)?;
    cx.p.saved_mask = Some(cx.p.blocked);
    cx.p.blocked = m & !UNBLOCKABLE;
    Ok(())
}

pub fn end_temp_mask(cx: &mut Cx, r: &crate::SysResult) {
    let interrupted = matches!(r, Err(e) if *e == Errno::EINTR || *e == Errno::ERESTARTNOHAND || *e == Errno::ERESTARTSYS);
    if !interrupted {
        if let Some(m) = cx.p.saved_mask.take() {
            cx.p.blocked = m;
        }
    }
}
