//! Signal dispositions and the blocked mask. Recorded only for now: nothing
//! is delivered yet (that lands with the scheduler), but programs read back
//! exactly what they set, with Linux's validation.

use crate::abi::KSigaction;
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};

pub const NSIG: usize = 64;
const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

#[derive(Debug, Clone)]
pub struct SignalState {
    pub actions: [KSigaction; NSIG],
    pub blocked: u64,
    /// Generated but not delivered (blocked, or handlers not delivered yet).
    pub pending: u64,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [KSigaction::default(); NSIG],
            blocked: 0,
            pending: 0,
        }
    }
}

/// Signals whose default action is to be ignored.
const DEFAULT_IGNORE: u64 = (1 << (17 - 1)) | (1 << (18 - 1)) | (1 << (23 - 1)) | (1 << (28 - 1)); // CHLD CONT URG WINCH

/// Sends `sig` to the process itself (SIGPIPE from a broken pipe, ...):
/// ignored, left pending while blocked, or the default action. Handlers
/// are not run yet: such a signal stays pending (and is logged once).
pub fn raise(p: &mut crate::Process, sig: u8) {
    let idx = sig as usize - 1;
    let bit = 1u64 << idx;
    let handler = p.signals.actions[idx].handler;
    if handler == SIG_IGN || (handler == SIG_DFL && DEFAULT_IGNORE & bit != 0) {
        return;
    }
    if p.signals.blocked & bit != 0 {
        p.signals.pending |= bit;
        return;
    }
    if handler == SIG_DFL {
        p.exit = Some(crate::ExitStatus::Signal(sig));
        return;
    }
    log::warn!(
        "signal {sig} has a handler, but signal delivery is not implemented yet: left pending"
    );
    p.signals.pending |= bit;
}

pub fn sys_rt_sigpending(cx: &mut Cx, set: u64, setsize: u64) -> SysResult {
    if setsize != 8 {
        return Err(Errno::EINVAL);
    }
    let pending = cx.p.signals.pending;
    write_val(cx.k, &cx.p.mm, set, &pending)?;
    Ok(0)
}

impl SignalState {
    /// execve: handled signals go back to default, ignored stay ignored.
    pub fn reset_on_exec(&mut self) {
        // Pending signals and the mask survive execve; handlers do not.
        for a in self.actions.iter_mut() {
            if a.handler != SIG_IGN {
                *a = KSigaction {
                    handler: SIG_DFL,
                    ..KSigaction::default()
                };
            }
        }
    }
}

pub fn sys_rt_sigaction(cx: &mut Cx, sig: u64, act: u64, oldact: u64, setsize: u64) -> SysResult {
    if setsize != 8 {
        return Err(Errno::EINVAL);
    }
    if sig == 0 || sig > NSIG as u64 || (act != 0 && (sig == SIGKILL || sig == SIGSTOP)) {
        return Err(Errno::EINVAL);
    }
    let idx = sig as usize - 1;
    let new = if act != 0 {
        Some(read_val::<KSigaction>(cx.k, &cx.p.mm, act)?)
    } else {
        None
    };
    if oldact != 0 {
        let old = cx.p.signals.actions[idx];
        write_val(cx.k, &cx.p.mm, oldact, &old)?;
    }
    if let Some(mut a) = new {
        a.mask &= !UNBLOCKABLE;
        cx.p.signals.actions[idx] = a;
        // A signal set to be ignored is discarded even when pending (POSIX).
        let bit = 1u64 << idx;
        if a.handler == SIG_IGN || (a.handler == SIG_DFL && DEFAULT_IGNORE & bit != 0) {
            cx.p.signals.pending &= !bit;
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
        let old = cx.p.signals.blocked;
        write_val(cx.k, &cx.p.mm, oldset, &old)?;
    }
    if let Some(s) = new {
        let b = &mut cx.p.signals.blocked;
        *b = match how {
            SIG_BLOCK => *b | s,
            SIG_UNBLOCK => *b & !s,
            _ => s,
        } & !UNBLOCKABLE;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;
    use alloc::vec::Vec;

    #[test]
    fn sigaction_roundtrip_and_validation() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        // handler=0x1234, flags=SA_RESTORER|SA_SIGINFO, restorer, mask
        let mut act = Vec::new();
        for v in [0x1234u64, 0x0400_0004, 0x5678, 1 << 1] {
            act.extend_from_slice(&v.to_le_bytes());
        }
        t.poke(buf, &act);
        assert_eq!(t.call("rt_sigaction", [10, buf, 0, 8, 0, 0]), 0);
        assert_eq!(t.call("rt_sigaction", [10, 0, buf + 64, 8, 0, 0]), 0);
        assert_eq!(t.peek(buf + 64, 32), act);
        assert_eq!(t.call("rt_sigaction", [9, buf, 0, 8, 0, 0]) as i64, -22);
        assert_eq!(t.call("rt_sigaction", [65, 0, 0, 8, 0, 0]) as i64, -22);
        assert_eq!(t.call("rt_sigaction", [10, 0, 0, 4, 0, 0]) as i64, -22);
        assert_eq!(t.call("rt_sigaction", [10, 8, 0, 8, 0, 0]) as i64, -14);
    }

    #[test]
    fn sigprocmask_block_unblock_and_kill_stays_unblockable() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.poke(buf, &(0b1_0000_0001u64 | 1 << 8).to_le_bytes()); // SIGHUP, SIGKILL(9)
        assert_eq!(t.call("rt_sigprocmask", [0, buf, 0, 8, 0, 0]), 0);
        assert_eq!(t.call("rt_sigprocmask", [0, 0, buf + 8, 8, 0, 0]), 0);
        assert_eq!(t.peek(buf + 8, 8), 1u64.to_le_bytes());
        assert_eq!(t.call("rt_sigprocmask", [7, buf, 0, 8, 0, 0]) as i64, -22);
    }
}
