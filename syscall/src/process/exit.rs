//! The end of a thread and of a process: exit ends the calling thread,
//! exit_group (or a fatal signal) every thread of the process. The last
//! thread leaves a zombie with its wait status for the parent, whose
//! SIGCHLD says so; its children go to init.

use super::table::wait_status;
use super::{Exit, ExitStatus};
use crate::signal::{send_to_process, SigInfo, SIGCHLD, SIG_IGN};
use crate::{Cx, Kernel, Process, SysResult};
use core::sync::atomic::Ordering;

pub fn sys_exit(cx: &mut Cx, code: u64) -> SysResult {
    cx.p.exit = Some(Exit::Thread(code as u8));
    Ok(0)
}

pub fn sys_exit_group(cx: &mut Cx, code: u64) -> SysResult {
    let st = *cx
        .p
        .group
        .exit
        .lock()
        .get_or_insert(ExitStatus::Code(code as u8));
    cx.p.exit = Some(Exit::Group(st));
    lintel_vfs::wake_waiters();
    Ok(0)
}

/// What ended when a thread finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadEnd {
    /// Other threads of the process go on.
    Thread,
    /// It was the last thread: the process ended with this status.
    Process(ExitStatus),
}

const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;
const CLD_DUMPED: i32 = 3;
/// Nanoseconds per clock tick (USER_HZ 100).
pub(crate) const TICK_NS: u64 = 10_000_000;

/// Ends the calling thread (the kernel calls it when `p.exit` is set and
/// frees the thread afterwards).
pub fn exit_thread(k: &mut dyn Kernel, p: &mut Process) -> ThreadEnd {
    let own = match p.exit {
        Some(Exit::Group(st)) => {
            p.group.exit.lock().get_or_insert(st);
            lintel_vfs::wake_waiters();
            st
        }
        Some(Exit::Thread(c)) => ExitStatus::Code(c),
        None => ExitStatus::Code(0),
    };
    // CLONE_CHILD_CLEARTID: zero the tid word and wake a joiner.
    if p.clear_child_tid != 0 {
        let at = p.clear_child_tid;
        p.clear_child_tid = 0;
        if crate::user::write_val(k, &p.mm, at, &0u32).is_ok() {
            super::futex::wake(&p.sys, p.mm.id(), at, 1, u32::MAX);
        }
    }
    let now = k.monotonic_ns();
    p.thread.switch_out(now);
    p.group
        .dead_cpu_ns
        .fetch_add(p.thread.cpu_time(now), Ordering::Relaxed);
    let last = p.sys.table.lock().remove_thread(p.tid, p.pid);
    lintel_vfs::wake_waiters();
    if !last {
        return ThreadEnd::Thread;
    }
    let status = p.group.exit.lock().unwrap_or(own);
    release(k, p);
    let cpu = p.group.dead_cpu_ns.load(Ordering::Relaxed);
    let mut t = p.sys.table.lock();
    let Some(e) = t.procs.get_mut(&p.pid) else {
        return ThreadEnd::Process(status);
    };
    let core = p.group.core.load(Ordering::Relaxed);
    let ws = wait_status(status, core);
    e.zombie = Some(ws);
    e.vfork_done = true;
    let (ppid, exit_signal) = (e.ppid, e.exit_signal);
    // Orphans go to init (pid 1).
    for child in t.children(p.pid) {
        if let Some(c) = t.procs.get_mut(&child) {
            c.ppid = 1;
        }
    }
    let parent_ignores = t
        .procs
        .get(&ppid)
        .is_some_and(|pe| pe.sighand.get(SIGCHLD).handler == SIG_IGN);
    if parent_ignores && ppid != 0 {
        // A parent ignoring SIGCHLD leaves no zombies (POSIX.1-2001).
        t.procs.remove(&p.pid);
    } else if exit_signal != 0 {
        let (code, st) = match status {
            ExitStatus::Code(c) => (CLD_EXITED, c as u64),
            ExitStatus::Signal(s) => (if core { CLD_DUMPED } else { CLD_KILLED }, s as u64),
        };
        let info = SigInfo {
            signo: exit_signal as i32,
            code,
            a: p.pid as u32 as u64,
            b: st,
            c: cpu / TICK_NS,
            d: 0,
        };
        let _ = send_to_process(&t, ppid, exit_signal, info);
    }
    drop(t);
    lintel_vfs::wake_waiters();
    ThreadEnd::Process(status)
}

/// What a process leaves behind: shared file mappings written back, its
/// files closed (when no other process shares the table).
pub fn release(k: &mut dyn Kernel, p: &mut Process) {
    if p.mm.is_last() {
        let _ = crate::mm::shared_file::flush(k, &p.mm, 0, crate::mm::USER_END, true);
    }
    p.mm = crate::mm::MemoryMap::new();
    p.fds = lintel_vfs::FdTable::new();
}
