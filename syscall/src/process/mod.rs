//! A thread and the process it belongs to (Linux's task_struct): what is
//! its own (registers live in the kernel; here the signal mask, TLS words,
//! exit state) and handles on what it may share with other threads or
//! processes (memory map, fd table, file-system context, signal handlers).

mod clone;
mod cred;
mod exec;
mod execve;
mod exit;
pub mod futex;
mod ids;
mod init;
pub mod sched;
pub mod table;
mod view;
mod wait;

pub use clone::{sys_clone, sys_clone3, sys_fork, sys_vfork, CloneArgs, VmShare};
pub use exit::{exit_thread, ThreadEnd};
pub use table::{System, Thread, ThreadGroup};
pub use wait::{sys_wait4, sys_waitid};

pub use exec::{exec, Entry, ExecError};
pub use execve::do_execve;
pub use execve::{sys_execve, sys_execveat};
pub use exit::{sys_exit, sys_exit_group};
pub use futex::sys_futex;
pub use cred::*;
pub use ids::*;
pub use init::start_init;
pub use view::ProcView;

use crate::abi::Rlimit;
use crate::fs::{FsContext, Vfs};
use crate::mm::MemoryMap;
use crate::signal::SigHand;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{FdTable, Path};
use spin::Mutex;
use syscalls::SysnoSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// exit/exit_group with this code (already masked to 8 bits).
    Code(u8),
    /// Killed by this signal.
    Signal(u8),
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_NOFILE: usize = 7;
pub const RLIM_NLIMITS: usize = 16;

/// Why a thread is ending, set by the system call that ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// exit: this thread only.
    Thread(u8),
    /// exit_group or a fatal signal: every thread of the process.
    Group(ExitStatus),
}

pub struct Process {
    pub vfs: Arc<Vfs>,
    pub sys: Arc<System>,
    /// Root and cwd; shared with CLONE_FS (threads), copied by fork.
    pub fs: Arc<Mutex<FsContext>>,
    pub fds: FdTable,
    /// The absolute path of the program (/proc/self/exe) and its argv (cmdline).
    pub exe: Vec<u8>,
    pub cmdline: Vec<u8>,
    /// The process (thread group) id and this thread's id.
    pub pid: i32,
    pub tid: i32,
    pub mm: MemoryMap,
    /// Signal dispositions; shared with CLONE_SIGHAND.
    pub sighand: Arc<SigHand>,
    /// This thread's signal mask, and the mask to restore after a handler
    /// interrupted sigsuspend/ppoll/pselect (which run with a temporary one).
    pub blocked: u64,
    pub saved_mask: Option<u64>,
    /// sigaltstack: (ss_sp, ss_size, SS_AUTODISARM flag); size 0 = none.
    pub altstack: (u64, u64, bool),
    pub thread: Arc<Thread>,
    pub group: Arc<ThreadGroup>,
    /// set_tid_address: cleared and woken when the thread exits.
    pub clear_child_tid: u64,
    /// CLONE_CHILD_SETTID: the new thread stores its tid here before it starts.
    pub set_child_tid: u64,
    pub robust_list: (u64, u64),
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    pub umask: u32,
    /// User and group ids (per thread, as Linux's `cred`).
    pub cred: Cred,
    /// The program's name (basename of the path it was executed as, 15 bytes).
    pub comm: Vec<u8>,
    /// Set by exit/exit_group; the kernel ends the thread on its way out.
    pub exit: Option<Exit>,
    /// The system call to run again if a signal interrupted it with
    /// ERESTART* (its number; its arguments are still in the registers).
    pub restart: Option<(u64, crate::Errno)>,
    /// prctl state: the parent-death signal and the dumpable flag.
    pub pdeathsig: u8,
    pub dumpable: bool,
    /// The kernel-side buffer read/write data moves through (kept between calls).
    pub io_buf: Vec<u8>,
    /// System calls already reported as unimplemented.
    pub enosys_seen: SysnoSet,
}

impl Process {
    /// The first process (pid 1), registered in a fresh `System`.
    pub fn new(vfs: Arc<Vfs>, root: Path) -> Self {
        let sys = Arc::new(System::default());
        let pid = {
            let mut t = sys.table.lock();
            let pid = t.alloc_id().unwrap_or(1);
            let th = Arc::new(Thread::new(pid, pid));
            t.add_process(
                th,
                0,
                pid,
                pid,
                Arc::new(ThreadGroup::default()),
                Arc::new(SigHand::default()),
                17,
            );
            pid
        };
        let sighand = sys.table.lock().procs[&pid].sighand.clone();
        let thread = sys.table.lock().threads[&pid].clone();
        let group = sys.table.lock().procs[&pid].group.clone();
        let inf = Rlimit {
            cur: RLIM_INFINITY,
            max: RLIM_INFINITY,
        };
        let mut rlimits = [inf; RLIM_NLIMITS];
        rlimits[RLIMIT_STACK] = Rlimit {
            cur: crate::mm::STACK_SIZE,
            max: RLIM_INFINITY,
        };
        rlimits[RLIMIT_NOFILE] = Rlimit {
            cur: 1024,
            max: 4096,
        };
        rlimits[4] = Rlimit {
            cur: 0,
            max: RLIM_INFINITY,
        }; // RLIMIT_CORE
        Process {
            vfs,
            sys,
            fs: Arc::new(Mutex::new(FsContext {
                root: root.clone(),
                cwd: root,
            })),
            fds: FdTable::new(),
            exe: Vec::new(),
            cmdline: Vec::new(),
            pid,
            tid: pid,
            mm: MemoryMap::new(),
            sighand,
            blocked: 0,
            saved_mask: None,
            altstack: (0, 0, false),
            thread,
            group,
            clear_child_tid: 0,
            set_child_tid: 0,
            robust_list: (0, 0),
            rlimits,
            umask: 0o022,
            cred: Cred::default(),
            comm: Vec::new(),
            exit: None,
            restart: None,
            pdeathsig: 0,
            dumpable: true,
            io_buf: Vec::new(),
            enosys_seen: SysnoSet::empty(),
        }
    }

    /// RLIMIT_NOFILE's soft limit: fds are below it.
    pub fn fd_limit(&self) -> usize {
        self.rlimits[RLIMIT_NOFILE].cur.min(1 << 20) as usize
    }

    /// The parent's pid (0 for the first process).
    pub fn ppid(&self) -> i32 {
        self.sys
            .table
            .lock()
            .procs
            .get(&self.pid)
            .map_or(0, |e| e.ppid)
    }
}
