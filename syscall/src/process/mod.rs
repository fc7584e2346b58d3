//! The process: its memory map, signal dispositions, limits and exit state.
//! One process with one thread for now; threads and fork come later.

mod exec;
mod execve;
mod exit;
mod futex;
mod ids;
mod init;
mod view;

pub use exec::{exec, Entry, ExecError};
pub use execve::do_execve;
pub use execve::{sys_execve, sys_execveat};
pub use exit::{release, sys_exit, sys_exit_group};
pub use futex::sys_futex;
pub use ids::*;
pub use init::start_init;
pub use view::ProcView;

use crate::abi::Rlimit;
use crate::fs::{FsContext, Vfs};
use crate::mm::MemoryMap;
use crate::signal::SignalState;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{FdTable, Path};
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

pub struct Process {
    pub vfs: Arc<Vfs>,
    pub fs: FsContext,
    pub fds: FdTable,
    /// The absolute path of the program (/proc/self/exe) and its argv (cmdline).
    pub exe: Vec<u8>,
    pub cmdline: Vec<u8>,
    pub pid: i32,
    pub ppid: i32,
    pub tid: i32,
    pub mm: MemoryMap,
    pub signals: SignalState,
    /// set_tid_address: cleared and woken when the thread exits.
    pub clear_child_tid: u64,
    pub robust_list: (u64, u64),
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    pub umask: u32,
    /// The program's name (basename of the path it was executed as, 15 bytes).
    pub comm: Vec<u8>,
    /// Set by exit/exit_group or a fatal signal; the kernel ends the process.
    pub exit: Option<ExitStatus>,
    /// Set by a successful execve: the kernel restarts the thread here.
    pub exec_entry: Option<exec::Entry>,
    /// The console's terminal settings (TCGETS/TCSETS) and window size.
    pub termios: crate::abi::Termios,
    pub winsize: crate::abi::Winsize,
    /// prctl state: the parent-death signal and the dumpable flag.
    pub pdeathsig: u8,
    pub dumpable: bool,
    /// The kernel-side buffer read/write data moves through (kept between calls).
    pub io_buf: Vec<u8>,
    /// System calls already reported as unimplemented.
    pub enosys_seen: SysnoSet,
}

impl Process {
    pub fn new(pid: i32, vfs: Arc<Vfs>, root: Path) -> Self {
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
            fs: FsContext {
                root: root.clone(),
                cwd: root,
            },
            fds: FdTable::new(),
            exe: Vec::new(),
            cmdline: Vec::new(),
            pid,
            ppid: 0,
            tid: pid,
            mm: MemoryMap::new(),
            signals: SignalState::default(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            rlimits,
            umask: 0o022,
            comm: Vec::new(),
            exit: None,
            exec_entry: None,
            termios: crate::abi::Termios::console_default(),
            winsize: crate::abi::Winsize {
                rows: 24,
                cols: 80,
                xpixel: 0,
                ypixel: 0,
            },
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
}
