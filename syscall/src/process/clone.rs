//! clone, clone3, fork and vfork: a new thread (CLONE_THREAD, sharing
//! everything musl's and glibc's pthread_create ask to share) or a new
//! process (its own copy-on-write address space unless CLONE_VM, as
//! posix_spawn's vfork-style clone).

use super::{Process, Thread, ThreadGroup};
use crate::fs::FsContext;
use crate::user::{read_bytes, write_val};
use crate::{Cx, Errno, Regs, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PTRACE: u64 = 0x2000;
pub const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_DETACHED: u64 = 0x400000;
const CLONE_UNTRACED: u64 = 0x800000;
const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
const SUPPORTED: u64 = 0xff
    | CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID;

/// How the child's memory relates to the parent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmShare {
    /// The same address space (threads, CLONE_VM).
    Share,
    /// A copy-on-write copy, except these ranges, which stay shared
    /// (MAP_SHARED mappings).
    Fork { shared: Vec<(u64, u64)> },
}

/// clone3's arguments (and clone's, decoded).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    /// The child's stack pointer (0: the parent's).
    pub stack: u64,
    pub tls: u64,
}

pub fn sys_clone(cx: &mut Cx, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    if flags & CLONE_PIDFD != 0 {
        return Err(Errno::EINVAL);
    }
    let a = CloneArgs {
        flags: flags & !0xff,
        child_tid: ctid,
        parent_tid: ptid,
        exit_signal: flags & 0xff,
        stack,
        tls,
    };
    do_clone(cx, a)
}

pub fn sys_clone3(cx: &mut Cx, uargs: u64, size: u64) -> SysResult {
    // clone_args v0 is 64 bytes; later versions add set_tid and cgroup.
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut b = alloc::vec![0u8; size as usize];
    read_bytes(cx.k, &cx.p.mm, uargs, &mut b)?;
    let f = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    // Unknown trailing fields must be zero; set_tid/cgroup are not supported.
    if b[64..].iter().any(|&x| x != 0) {
        return Err(Errno::EINVAL);
    }
    let (flags, exit_signal, stack, stack_size) = (f(0), f(4), f(5), f(6));
    if flags & CLONE_PIDFD != 0 || exit_signal > 64 || (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let top = if stack == 0 {
        0
    } else {
        stack.checked_add(stack_size).ok_or(Errno::EINVAL)?
    };
    do_clone(
        cx,
        CloneArgs {
            flags,
            child_tid: f(2),
            parent_tid: f(3),
            exit_signal,
            stack: top,
            tls: f(7),
        },
    )
}

pub fn sys_fork(cx: &mut Cx) -> SysResult {
    do_clone(
        cx,
        CloneArgs {
            exit_signal: crate::signal::SIGCHLD as u64,
            ..CloneArgs::default()
        },
    )
}

pub fn sys_vfork(cx: &mut Cx) -> SysResult {
    do_clone(
        cx,
        CloneArgs {
            flags: CLONE_VM | CLONE_VFORK,
            exit_signal: crate::signal::SIGCHLD as u64,
            ..CloneArgs::default()
        },
    )
}

pub fn do_clone(cx: &mut Cx, a: CloneArgs) -> SysResult {
    let flags = a.flags;
    if flags & !SUPPORTED != 0 {
        log::warn!(
            "clone: unsupported flags {:#x} (namespaces, ptrace, pidfd)",
            flags & !SUPPORTED
        );
        return Err(Errno::EINVAL);
    }
    if (flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0)
        || (flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0)
    {
        return Err(Errno::EINVAL);
    }
    let thread = flags & CLONE_THREAD != 0;
    let p = &*cx.p;
    let mut table = p.sys.table.lock();
    let tid = table.alloc_id().ok_or(Errno::EAGAIN)?;
    let pid = if thread { p.pid } else { tid };
    let th = Arc::new(Thread::new(tid, pid));
    let group = if thread {
        p.group.clone()
    } else {
        Arc::new(ThreadGroup::default())
    };
    let sighand = if flags & CLONE_SIGHAND != 0 {
        p.sighand.clone()
    } else {
        Arc::new(p.sighand.duplicate())
    };
    let me = table
        .procs
        .get(&p.pid)
        .map(|e| (e.ppid, e.pgid, e.sid))
        .unwrap_or((0, p.pid, p.pid));
    if thread {
        table.add_thread(th.clone());
    } else {
        let ppid = if flags & CLONE_PARENT != 0 {
            me.0
        } else {
            p.pid
        };
        table.add_process(
            th.clone(),
            ppid,
            me.1,
            me.2,
            group.clone(),
            sighand.clone(),
            a.exit_signal as u8,
        );
    }
    drop(table);
    let child = Process {
        vfs: p.vfs.clone(),
        sys: p.sys.clone(),
        fs: if flags & CLONE_FS != 0 {
            p.fs.clone()
        } else {
            Arc::new(Mutex::new(FsContext::clone(&p.fs.lock())))
        },
        fds: if flags & CLONE_FILES != 0 {
            p.fds.clone()
        } else {
            p.fds.duplicate()
        },
        exe: p.exe.clone(),
        cmdline: p.cmdline.clone(),
        pid,
        tid,
        mm: if flags & CLONE_VM != 0 {
            p.mm.clone()
        } else {
            p.mm.duplicate()
        },
        sighand,
        blocked: p.blocked,
        saved_mask: None,
        // A thread on a new stack starts without the alternate stack (Linux).
        altstack: if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
            (0, 0, false)
        } else {
            p.altstack
        },
        thread: th,
        group,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            a.child_tid
        } else {
            0
        },
        set_child_tid: if flags & CLONE_CHILD_SETTID != 0 {
            a.child_tid
        } else {
            0
        },
        robust_list: (0, 0),
        rlimits: p.rlimits,
        umask: p.umask,
        cred: p.cred.clone(),
        comm: p.comm.clone(),
        exit: None,
        restart: None,
        pdeathsig: 0,
        dumpable: p.dumpable,
        io_buf: Vec::new(),
        enosys_seen: p.enosys_seen.clone(),
    };
    if flags & CLONE_PARENT_SETTID != 0 {
        if let Err(e) = write_val(cx.k, &cx.p.mm, a.parent_tid, &(tid as u32)) {
            unregister(cx.p, tid, pid, thread);
            return Err(e);
        }
    }
    let mut regs: Regs = cx.regs.clone();
    regs.rax = 0;
    regs.vector = 0;
    if a.stack != 0 {
        regs.rsp = a.stack;
    }
    let vm = if flags & CLONE_VM != 0 {
        VmShare::Share
    } else {
        let mut shared: Vec<(u64, u64)> =
            cx.p.mm
                .vmas()
                .iter()
                .filter(|v| v.kind == crate::mm::VmaKind::Shared)
                .map(|v| (v.start, v.end))
                .collect();
        shared.extend(
            cx.p.mm
                .shared_files(0, crate::mm::USER_END)
                .iter()
                .map(|f| (f.start, f.end)),
        );
        VmShare::Fork { shared }
    };
    let tls = (flags & CLONE_SETTLS != 0).then_some(a.tls);
    if let Err(e) = cx.k.spawn(child, regs, vm, tls) {
        unregister(cx.p, tid, pid, thread);
        return Err(e);
    }
    if flags & CLONE_VFORK != 0 {
        // The parent sleeps until the child has exec'd or exited.
        let sys = cx.p.sys.clone();
        let mut done = || {
            sys.table
                .lock()
                .procs
                .get(&pid)
                .is_none_or(|e| e.vfork_done)
        };
        cx.k.wait_until(&mut done, None);
    }
    Ok(tid as u64)
}

fn unregister(p: &Process, tid: i32, pid: i32, thread: bool) {
    let mut t = p.sys.table.lock();
    t.remove_thread(tid, pid);
    if !thread {
        t.procs.remove(&pid);
    }
}
