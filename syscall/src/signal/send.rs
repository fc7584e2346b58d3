//! Sending signals: kill (to a process, a group, everyone), tgkill/tkill
//! (to one thread), and the kernel's own (SIGPIPE, faults, SIGCHLD).

use super::{bit, ignored, SigInfo, NSIG, SIGKILL, SI_TKILL, SI_USER};
use crate::process::table::ProcTable;
use crate::process::{Thread, ThreadGroup};
use crate::{Cx, Errno, Process, SysResult};

/// Queues `sig` for thread group `pid` (any of its threads takes it).
/// ESRCH when there is no such process; a zombie exists (kill succeeds,
/// as on Linux) but takes nothing; EAGAIN when a real-time queue is full.
pub fn send_to_process(t: &ProcTable, pid: i32, sig: u8, info: SigInfo) -> Result<(), Errno> {
    let e = t.procs.get(&pid).ok_or(Errno::ESRCH)?;
    if sig == 0 || e.zombie.is_some() {
        return Ok(());
    }
    if sig == SIGKILL {
        kill_group(&e.group, &e.threads);
    } else if !e.group.pending.post(sig, info) {
        return Err(Errno::EAGAIN);
    }
    lintel_vfs::wake_waiters();
    Ok(())
}

/// SIGKILL: every thread of the group ends, whatever it blocks.
fn kill_group(g: &ThreadGroup, threads: &[alloc::sync::Arc<Thread>]) {
    g.exit
        .lock()
        .get_or_insert(crate::ExitStatus::Signal(SIGKILL));
    for t in threads {
        t.pending.force(SIGKILL, SigInfo::kernel(SIGKILL));
    }
}

fn send_to_thread(
    t: &ProcTable,
    tgid: Option<i32>,
    tid: i32,
    sig: u8,
    info: SigInfo,
) -> Result<(), Errno> {
    let th = t
        .threads
        .get(&tid)
        .filter(|th| tgid.is_none_or(|g| th.tgid == g))
        .ok_or(Errno::ESRCH)?;
    if sig != 0 {
        let e = t.procs.get(&th.tgid).ok_or(Errno::ESRCH)?;
        if sig == SIGKILL {
            kill_group(&e.group, &e.threads);
        } else if !th.pending.post(sig, info) {
            return Err(Errno::EAGAIN);
        }
        lintel_vfs::wake_waiters();
    }
    Ok(())
}

/// A signal the kernel sends the calling thread itself (SIGPIPE, SIGSYS...):
/// dropped when ignored, else pending for delivery on the way out.
pub fn raise(p: &mut Process, sig: u8) {
    if ignored(&p.sighand, sig) {
        return;
    }
    p.thread.pending.post(sig, SigInfo::kernel(sig));
}

/// A synchronous signal from a fault (SIGSEGV, SIGFPE...): it cannot be
/// blocked or ignored — if it is, the default action applies, as Linux's
/// force_sig_info.
pub fn force(p: &mut Process, sig: u8, info: SigInfo) {
    let b = bit(sig);
    {
        let mut acts = p.sighand.actions.lock();
        let a = &mut acts[sig as usize - 1];
        if a.handler == super::SIG_IGN || p.blocked & b != 0 {
            a.handler = super::SIG_DFL;
        }
    }
    p.blocked &= !b;
    p.thread.pending.force(sig, info);
}

fn check_sig(sig: u64) -> Result<u8, Errno> {
    if sig > NSIG as u64 {
        return Err(Errno::EINVAL);
    }
    Ok(sig as u8)
}

pub fn sys_kill(cx: &mut Cx, pid: u64, sig: u64) -> SysResult {
    let sig = check_sig(sig)?;
    let pid = pid as i32;
    let me = cx.p.pid;
    let info = SigInfo::user(sig, SI_USER, me);
    let t = cx.p.sys.table.lock();
    let targets: alloc::vec::Vec<i32> = if pid > 0 {
        alloc::vec![pid]
    } else if pid == 0 {
        let pgid = t.procs.get(&me).map_or(me, |e| e.pgid);
        t.group_members(pgid)
    } else if pid == -1 {
        // Everyone but init and the caller.
        t.procs
            .iter()
            .filter(|(p, e)| **p != 1 && **p != me && e.zombie.is_none())
            .map(|(p, _)| *p)
            .collect()
    } else {
        t.group_members(pid.checked_neg().ok_or(Errno::ESRCH)?)
    };
    // Success when any target took it (Linux's group kill), else the last error.
    let mut result = if pid == -1 && sig == 0 {
        Ok(0)
    } else {
        Err(Errno::ESRCH)
    };
    for target in targets {
        match send_to_process(&t, target, sig, info) {
            Ok(()) => result = Ok(0),
            Err(e) if result.is_err() => result = Err(e),
            Err(_) => {}
        }
    }
    result
}

pub fn sys_tgkill(cx: &mut Cx, tgid: u64, tid: u64, sig: u64) -> SysResult {
    let sig = check_sig(sig)?;
    if (tgid as i32) <= 0 || (tid as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    let info = SigInfo::user(sig, SI_TKILL, cx.p.pid);
    send_to_thread(
        &cx.p.sys.table.lock(),
        Some(tgid as i32),
        tid as i32,
        sig,
        info,
    )?;
    Ok(0)
}

pub fn sys_tkill(cx: &mut Cx, tid: u64, sig: u64) -> SysResult {
    let sig = check_sig(sig)?;
    if (tid as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    let info = SigInfo::user(sig, SI_TKILL, cx.p.pid);
    send_to_thread(&cx.p.sys.table.lock(), None, tid as i32, sig, info)?;
    Ok(0)
}
