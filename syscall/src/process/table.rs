//! The machine-wide process table: every thread group (process) by pid,
//! its parent, group and session, its live threads, and what it left when
//! it ended (a zombie's wait status) until its parent reaps it.
//! Each thread and each thread group also has a small shared part that
//! other threads reach without a lock: pending signals and CPU time.

use super::ExitStatus;
use crate::signal::SigPending;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// What other threads may touch of one thread: its pending signals, its
/// CPU time (kept by the kernel's scheduler) and whether it must die.
pub struct Thread {
    pub tid: i32,
    pub tgid: i32,
    pub pending: SigPending,
    /// Nanoseconds on the CPU before `since`, and when it last went on.
    pub cpu_ns: AtomicU64,
    pub since: AtomicU64,
    /// Another thread's execve ends this one.
    pub killed: core::sync::atomic::AtomicBool,
}

impl Thread {
    pub fn new(tid: i32, tgid: i32) -> Self {
        Thread {
            tid,
            tgid,
            pending: SigPending::default(),
            cpu_ns: AtomicU64::new(0),
            since: AtomicU64::new(0),
            killed: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The scheduler: the thread goes on the CPU at `now`.
    pub fn switch_in(&self, now: u64) {
        self.since.store(now, Ordering::Relaxed);
    }

    /// The scheduler: the thread leaves the CPU at `now`.
    pub fn switch_out(&self, now: u64) {
        let since = self.since.swap(0, Ordering::Relaxed);
        if since != 0 {
            self.cpu_ns
                .fetch_add(now.saturating_sub(since), Ordering::Relaxed);
        }
    }

    /// CPU time so far, including the current slice if it is running.
    pub fn cpu_time(&self, now: u64) -> u64 {
        let since = self.since.load(Ordering::Relaxed);
        self.cpu_ns.load(Ordering::Relaxed)
            + if since != 0 {
                now.saturating_sub(since)
            } else {
                0
            }
    }
}

/// ITIMER_REAL / alarm: when SIGALRM is due next and how often after.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealTimer {
    pub deadline: u64,
    pub interval: u64,
}

/// What the threads of one process share (Linux's signal_struct).
pub struct ThreadGroup {
    pub pending: SigPending,
    /// Set by exit_group or a fatal signal: every thread ends with it.
    pub exit: Mutex<Option<ExitStatus>>,
    /// Whether the fatal signal dumped core (the wait status's 0x80 bit).
    pub core: core::sync::atomic::AtomicBool,
    /// CPU time of threads that have ended, and of reaped children.
    pub dead_cpu_ns: AtomicU64,
    pub children_cpu_ns: AtomicU64,
    pub timer: Mutex<RealTimer>,
}

impl Default for ThreadGroup {
    fn default() -> Self {
        ThreadGroup {
            pending: SigPending::default(),
            exit: Mutex::new(None),
            core: core::sync::atomic::AtomicBool::new(false),
            dead_cpu_ns: AtomicU64::new(0),
            children_cpu_ns: AtomicU64::new(0),
            timer: Mutex::new(RealTimer::default()),
        }
    }
}

pub struct ProcEntry {
    pub ppid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub group: Arc<ThreadGroup>,
    pub sighand: Arc<crate::signal::SigHand>,
    pub threads: Vec<Arc<Thread>>,
    /// The wait status once every thread has ended (a zombie).
    pub zombie: Option<u32>,
    /// Signal sent to the parent when this process ends (SIGCHLD unless clone said otherwise).
    pub exit_signal: u8,
    /// Set once the process has called execve (setpgid by the parent is then EACCES).
    pub execed: bool,
    /// A vfork parent waits until this becomes true (exec or exit).
    pub vfork_done: bool,
}

#[derive(Default)]
pub struct ProcTable {
    next_id: i32,
    pub procs: BTreeMap<i32, ProcEntry>,
    pub threads: BTreeMap<i32, Arc<Thread>>,
}

/// Linux's default pid_max.
const PID_MAX: i32 = 32768;

impl ProcTable {
    /// A free id for a process or thread (they share one space, as on Linux).
    pub fn alloc_id(&mut self) -> Option<i32> {
        for _ in 0..PID_MAX {
            self.next_id = if self.next_id >= PID_MAX - 1 {
                2
            } else {
                self.next_id + 1
            };
            let id = self.next_id;
            if !self.procs.contains_key(&id) && !self.threads.contains_key(&id) {
                return Some(id);
            }
        }
        None
    }

    /// Registers a new process whose first thread is `thread`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_process(
        &mut self,
        thread: Arc<Thread>,
        ppid: i32,
        pgid: i32,
        sid: i32,
        group: Arc<ThreadGroup>,
        sighand: Arc<crate::signal::SigHand>,
        exit_signal: u8,
    ) {
        let pid = thread.tgid;
        self.threads.insert(thread.tid, thread.clone());
        let threads = alloc::vec![thread];
        let e = ProcEntry {
            ppid,
            pgid,
            sid,
            group,
            sighand,
            threads,
            zombie: None,
            exit_signal,
            execed: false,
            vfork_done: false,
        };
        self.procs.insert(pid, e);
    }

    pub fn add_thread(&mut self, thread: Arc<Thread>) {
        self.threads.insert(thread.tid, thread.clone());
        if let Some(p) = self.procs.get_mut(&thread.tgid) {
            p.threads.push(thread);
        }
    }

    /// Removes a thread; true when it was the last of its process.
    pub fn remove_thread(&mut self, tid: i32, tgid: i32) -> bool {
        self.threads.remove(&tid);
        match self.procs.get_mut(&tgid) {
            Some(p) => {
                p.threads.retain(|t| t.tid != tid);
                p.threads.is_empty()
            }
            None => true,
        }
    }

    /// The pids of `ppid`'s children.
    pub fn children(&self, ppid: i32) -> Vec<i32> {
        self.procs
            .iter()
            .filter(|(_, e)| e.ppid == ppid)
            .map(|(pid, _)| *pid)
            .collect()
    }

    /// Processes whose group is `pgid`, zombies included (they keep their
    /// ids until reaped, as on Linux).
    pub fn group_members(&self, pgid: i32) -> Vec<i32> {
        self.procs
            .iter()
            .filter(|(_, e)| e.pgid == pgid)
            .map(|(pid, _)| *pid)
            .collect()
    }
}

/// The state every process shares: the process table, the futex waiters
/// and the console's terminal settings.
pub struct System {
    pub table: Mutex<ProcTable>,
    pub futexes: Mutex<super::futex::FutexTable>,
    pub tty: Mutex<(crate::abi::Termios, crate::abi::Winsize)>,
}

impl Default for System {
    fn default() -> Self {
        System {
            table: Mutex::new(ProcTable::default()),
            futexes: Mutex::new(Default::default()),
            tty: Mutex::new((
                crate::abi::Termios::console_default(),
                crate::abi::Winsize {
                    rows: 24,
                    cols: 80,
                    xpixel: 0,
                    ypixel: 0,
                },
            )),
        }
    }
}

/// Linux's wait status for an exit code or a fatal signal.
pub fn wait_status(s: ExitStatus, core: bool) -> u32 {
    match s {
        ExitStatus::Code(c) => (c as u32) << 8,
        ExitStatus::Signal(sig) => sig as u32 | if core { 0x80 } else { 0 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_wrap() {
        let mut t = ProcTable::default();
        let a = t.alloc_id().unwrap();
        t.add_process(
            Arc::new(Thread::new(a, a)),
            0,
            a,
            a,
            Arc::default(),
            Arc::default(),
            17,
        );
        let b = t.alloc_id().unwrap();
        assert_ne!(a, b);
        t.next_id = PID_MAX - 1;
        let c = t.alloc_id().unwrap();
        assert!(c >= 2 && c != a);
    }

    #[test]
    fn last_thread_removal_is_reported() {
        let mut t = ProcTable::default();
        t.add_process(
            Arc::new(Thread::new(5, 5)),
            1,
            5,
            5,
            Arc::default(),
            Arc::default(),
            17,
        );
        t.add_thread(Arc::new(Thread::new(6, 5)));
        assert!(!t.remove_thread(5, 5));
        assert!(t.remove_thread(6, 5));
        assert_eq!(t.children(1), [5]);
    }

    #[test]
    fn wait_status_encoding() {
        assert_eq!(wait_status(ExitStatus::Code(7), false), 0x700);
        assert_eq!(wait_status(ExitStatus::Signal(11), true), 0x8b);
    }
}
