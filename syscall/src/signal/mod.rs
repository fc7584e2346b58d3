//! Signals: dispositions (shared by CLONE_SIGHAND), per-thread masks,
//! pending sets per thread and per process, sending (send.rs), delivery
//! on the way back to user mode with Linux's frame (deliver.rs), and the
//! calls that wait for signals (wait.rs).

mod action;
mod altstack;
mod deliver;
mod frame;
mod itimer;
mod pending;
mod send;
mod wait;

pub use action::{sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask};
pub use altstack::sys_sigaltstack;
pub use deliver::{on_return_to_user, sys_rt_sigreturn};
pub use itimer::{run_timers, sys_alarm, sys_getitimer, sys_setitimer};
pub use pending::{SigPending, SIGRTMIN};
pub use send::{force, raise, send_to_process, sys_kill, sys_tgkill, sys_tkill};
pub use wait::{end_temp_mask, set_temp_mask, sys_pause, sys_rt_sigsuspend, sys_rt_sigtimedwait};

use crate::abi::KSigaction;
use crate::Process;
use core::sync::atomic::Ordering;
use spin::Mutex;

pub const NSIG: usize = 64;
pub const SIGHUP: u8 = 1;
pub const SIGINT: u8 = 2;
pub const SIGQUIT: u8 = 3;
pub const SIGILL: u8 = 4;
pub const SIGTRAP: u8 = 5;
pub const SIGABRT: u8 = 6;
pub const SIGBUS: u8 = 7;
pub const SIGFPE: u8 = 8;
pub const SIGKILL: u8 = 9;
pub const SIGSEGV: u8 = 11;
pub const SIGPIPE: u8 = 13;
pub const SIGALRM: u8 = 14;
pub const SIGCHLD: u8 = 17;
pub const SIGSTOP: u8 = 19;
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;
const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;

/// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;

pub const fn bit(sig: u8) -> u64 {
    1u64 << (sig - 1)
}

/// The dispositions of a process's signals (Linux's sighand_struct).
pub struct SigHand {
    pub actions: Mutex<[KSigaction; NSIG]>,
}

impl Default for SigHand {
    fn default() -> Self {
        SigHand {
            actions: Mutex::new([KSigaction::default(); NSIG]),
        }
    }
}

impl SigHand {
    /// A copy for a child that does not share handlers (fork).
    pub fn duplicate(&self) -> Self {
        SigHand {
            actions: Mutex::new(*self.actions.lock()),
        }
    }

    /// execve: handled signals go back to default, ignored stay ignored.
    pub fn reset_on_exec(&self) {
        for a in self.actions.lock().iter_mut() {
            if a.handler != SIG_IGN {
                *a = KSigaction {
                    handler: SIG_DFL,
                    ..KSigaction::default()
                };
            }
        }
    }

    pub fn get(&self, sig: u8) -> KSigaction {
        self.actions.lock()[sig as usize - 1]
    }
}

/// What a signal's default action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    Term,
    Core,
    Ignore,
    Stop,
}

pub fn default_action(sig: u8) -> DefaultAction {
    match sig {
        3..=8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
        17 | 18 | 23 | 28 => DefaultAction::Ignore,
        19..=22 => DefaultAction::Stop,
        _ => DefaultAction::Term,
    }
}

/// Whether delivering `sig` now would do nothing at all.
fn ignored(h: &SigHand, sig: u8) -> bool {
    let a = h.get(sig);
    a.handler == SIG_IGN
        || (a.handler == SIG_DFL
            && matches!(
                default_action(sig),
                DefaultAction::Ignore | DefaultAction::Stop
            ))
}

/// What a signal carries to an SA_SIGINFO handler (siginfo_t's fields
/// that Lintel fills; see `frame::encode_siginfo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    /// kill: pid | uid << 32; faults: the address.
    pub a: u64,
    /// SIGCHLD: the status; queued signals: the value.
    pub b: u64,
    /// SIGCHLD: user and system time in clock ticks.
    pub c: u64,
    pub d: u64,
}

impl SigInfo {
    pub fn user(sig: u8, code: i32, pid: i32) -> Self {
        SigInfo {
            signo: sig as i32,
            code,
            a: pid as u32 as u64,
            ..Default::default()
        }
    }
    pub fn kernel(sig: u8) -> Self {
        SigInfo {
            signo: sig as i32,
            code: SI_KERNEL,
            ..Default::default()
        }
    }
}

/// Signals pending for this thread (its own and its process's) that are
/// not blocked.
pub fn deliverable(p: &Process) -> u64 {
    (p.thread.pending.bits() | p.group.pending.bits()) & !p.blocked
}

/// A check a blocked thread can run without borrowing its `Process`:
/// whether a signal should interrupt its wait (ignored signals do not).
pub struct Interrupt {
    thread: alloc::sync::Arc<crate::process::Thread>,
    group: alloc::sync::Arc<crate::process::ThreadGroup>,
    sighand: alloc::sync::Arc<SigHand>,
    blocked: u64,
}

impl Interrupt {
    pub fn of(p: &Process) -> Self {
        Interrupt {
            thread: p.thread.clone(),
            group: p.group.clone(),
            sighand: p.sighand.clone(),
            blocked: p.blocked,
        }
    }

    pub fn pending(&self) -> bool {
        if self.group.exit.lock().is_some() || self.thread.killed.load(Ordering::Relaxed) {
            return true;
        }
        let mut set = (self.thread.pending.bits() | self.group.pending.bits()) & !self.blocked;
        while set != 0 {
            let sig = set.trailing_zeros() as u8 + 1;
            if !ignored(&self.sighand, sig) {
                return true;
            }
            set &= set - 1;
        }
        false
    }
}

#[cfg(test)]
mod tests;
