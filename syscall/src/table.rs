//! The system-call table: one declarative list from `Sysno` to a typed
//! handler. Raw registers are decoded here, at the boundary.

use crate::{fs, info, mm, process, signal, time, Cx, Errno, Kernel, Process, Regs, SysResult};
use syscalls::{Sysno, SysnoMap};

type Handler = fn(&mut Cx, &[u64; 6]) -> SysResult;

/// `h!(f, 0, 2)` calls `f(cx, a[0], a[2])`.
macro_rules! h {
    ($f:path $(, $i:tt)*) => {
        |cx: &mut Cx, _a: &[u64; 6]| $f(cx $(, _a[$i])*)
    };
}

static TABLE: SysnoMap<Handler> = SysnoMap::from_slice(&[
    // fs: files and descriptors
    (Sysno::read, h!(fs::sys_read, 0, 1, 2)),
    (Sysno::write, h!(fs::sys_write, 0, 1, 2)),
    (Sysno::readv, h!(fs::sys_readv, 0, 1, 2)),
    (Sysno::writev, h!(fs::sys_writev, 0, 1, 2)),
    (Sysno::pread64, h!(fs::sys_pread64, 0, 1, 2, 3)),
    (Sysno::pwrite64, h!(fs::sys_pwrite64, 0, 1, 2, 3)),
    (Sysno::preadv, h!(fs::sys_preadv, 0, 1, 2, 3)),
    (Sysno::pwritev, h!(fs::sys_pwritev, 0, 1, 2, 3)),
    (Sysno::lseek, h!(fs::sys_lseek, 0, 1, 2)),
    (Sysno::open, h!(fs::sys_open, 0, 1, 2)),
    (Sysno::openat, h!(fs::sys_openat, 0, 1, 2, 3)),
    (Sysno::creat, h!(fs::sys_creat, 0, 1)),
    (Sysno::close, h!(fs::sys_close, 0)),
    (Sysno::dup, h!(fs::sys_dup, 0)),
    (Sysno::dup2, h!(fs::sys_dup2, 0, 1)),
    (Sysno::dup3, h!(fs::sys_dup3, 0, 1, 2)),
    (Sysno::fcntl, h!(fs::sys_fcntl, 0, 1, 2)),
    (Sysno::ioctl, h!(fs::sys_ioctl, 0, 1, 2)),
    (Sysno::pipe, h!(fs::sys_pipe, 0)),
    (Sysno::pipe2, h!(fs::sys_pipe2, 0, 1)),
    (Sysno::poll, h!(fs::sys_poll, 0, 1, 2)),
    (Sysno::ppoll, h!(fs::sys_ppoll, 0, 1, 2, 3, 4)),
    (Sysno::select, h!(fs::sys_select, 0, 1, 2, 3, 4)),
    (Sysno::pselect6, h!(fs::sys_pselect6, 0, 1, 2, 3, 4, 5)),
    (Sysno::eventfd, h!(fs::sys_eventfd, 0)),
    (Sysno::eventfd2, h!(fs::sys_eventfd2, 0, 1)),
    (Sysno::timerfd_create, h!(fs::sys_timerfd_create, 0, 1)),
    (
        Sysno::timerfd_settime,
        h!(fs::sys_timerfd_settime, 0, 1, 2, 3),
    ),
    (Sysno::timerfd_gettime, h!(fs::sys_timerfd_gettime, 0, 1)),
    (Sysno::epoll_create, h!(fs::sys_epoll_create, 0)),
    (Sysno::epoll_create1, h!(fs::sys_epoll_create1, 0)),
    (Sysno::epoll_ctl, h!(fs::sys_epoll_ctl, 0, 1, 2, 3)),
    (Sysno::epoll_wait, h!(fs::sys_epoll_wait, 0, 1, 2, 3)),
    (
        Sysno::epoll_pwait,
        h!(fs::sys_epoll_pwait, 0, 1, 2, 3, 4, 5),
    ),
    (
        Sysno::epoll_pwait2,
        h!(fs::sys_epoll_pwait2, 0, 1, 2, 3, 4, 5),
    ),
    // fs: metadata
    (Sysno::stat, h!(fs::sys_stat, 0, 1)),
    (Sysno::lstat, h!(fs::sys_lstat, 0, 1)),
    (Sysno::fstat, h!(fs::sys_fstat, 0, 1)),
    (Sysno::newfstatat, h!(fs::sys_newfstatat, 0, 1, 2, 3)),
    (Sysno::statx, h!(fs::sys_statx, 0, 1, 2, 3, 4)),
    (Sysno::statfs, h!(fs::sys_statfs, 0, 1)),
    (Sysno::fstatfs, h!(fs::sys_fstatfs, 0, 1)),
    (Sysno::access, h!(fs::sys_access, 0, 1)),
    (Sysno::faccessat, h!(fs::sys_faccessat, 0, 1, 2)),
    (Sysno::faccessat2, h!(fs::sys_faccessat2, 0, 1, 2, 3)),
    (Sysno::chmod, h!(fs::sys_chmod, 0, 1)),
    (Sysno::fchmod, h!(fs::sys_fchmod, 0, 1)),
    (Sysno::fchmodat, h!(fs::sys_fchmodat, 0, 1, 2)),
    (Sysno::chown, h!(fs::sys_chown, 0, 1, 2)),
    (Sysno::fchown, h!(fs::sys_fchown, 0, 1, 2)),
    (Sysno::lchown, h!(fs::sys_lchown, 0, 1, 2)),
    (Sysno::fchownat, h!(fs::sys_fchownat, 0, 1, 2, 3, 4)),
    (Sysno::utimensat, h!(fs::sys_utimensat, 0, 1, 2, 3)),
    (Sysno::truncate, h!(fs::sys_truncate, 0, 1)),
    (Sysno::ftruncate, h!(fs::sys_ftruncate, 0, 1)),
    (Sysno::fsync, h!(fs::sys_fsync, 0)),
    (Sysno::fdatasync, h!(fs::sys_fdatasync, 0)),
    (Sysno::sync, h!(fs::sys_sync)),
    (Sysno::syncfs, h!(fs::sys_syncfs, 0)),
    // fs: names
    (Sysno::getdents64, h!(fs::sys_getdents64, 0, 1, 2)),
    (Sysno::mkdir, h!(fs::sys_mkdir, 0, 1)),
    (Sysno::mkdirat, h!(fs::sys_mkdirat, 0, 1, 2)),
    (Sysno::rmdir, h!(fs::sys_rmdir, 0)),
    (Sysno::unlink, h!(fs::sys_unlink, 0)),
    (Sysno::unlinkat, h!(fs::sys_unlinkat, 0, 1, 2)),
    (Sysno::rename, h!(fs::sys_rename, 0, 1)),
    (Sysno::renameat, h!(fs::sys_renameat, 0, 1, 2, 3)),
    (Sysno::renameat2, h!(fs::sys_renameat2, 0, 1, 2, 3, 4)),
    (Sysno::link, h!(fs::sys_link, 0, 1)),
    (Sysno::linkat, h!(fs::sys_linkat, 0, 1, 2, 3, 4)),
    (Sysno::symlink, h!(fs::sys_symlink, 0, 1)),
    (Sysno::symlinkat, h!(fs::sys_symlinkat, 0, 1, 2)),
    (Sysno::readlink, h!(fs::sys_readlink, 0, 1, 2)),
    (Sysno::readlinkat, h!(fs::sys_readlinkat, 0, 1, 2, 3)),
    (Sysno::chdir, h!(fs::sys_chdir, 0)),
    (Sysno::fchdir, h!(fs::sys_fchdir, 0)),
    (Sysno::getcwd, h!(fs::sys_getcwd, 0, 1)),
    (Sysno::mount, h!(fs::sys_mount, 0, 1, 2, 3, 4)),
    (Sysno::umount2, h!(fs::sys_umount2, 0, 1)),
    // mm
    (Sysno::brk, h!(mm::sys_brk, 0)),
    (Sysno::mmap, h!(mm::sys_mmap, 0, 1, 2, 3, 4, 5)),
    (Sysno::munmap, h!(mm::sys_munmap, 0, 1)),
    (Sysno::mprotect, h!(mm::sys_mprotect, 0, 1, 2)),
    (Sysno::mremap, h!(mm::sys_mremap, 0, 1, 2, 3, 4)),
    (Sysno::madvise, h!(mm::sys_madvise, 0, 1, 2)),
    (Sysno::msync, h!(mm::sys_msync, 0, 1, 2)),
    // process
    (Sysno::exit, h!(process::sys_exit, 0)),
    (Sysno::exit_group, h!(process::sys_exit_group, 0)),
    (Sysno::getpid, h!(process::sys_getpid)),
    (Sysno::getppid, h!(process::sys_getppid)),
    (Sysno::gettid, h!(process::sys_gettid)),
    (Sysno::getuid, h!(process::sys_getuid)),
    (Sysno::geteuid, h!(process::sys_geteuid)),
    (Sysno::getgid, h!(process::sys_getgid)),
    (Sysno::getegid, h!(process::sys_getegid)),
    (Sysno::setuid, h!(process::sys_setuid, 0)),
    (Sysno::setgid, h!(process::sys_setgid, 0)),
    (Sysno::setreuid, h!(process::sys_setreuid, 0, 1)),
    (Sysno::setregid, h!(process::sys_setregid, 0, 1)),
    (Sysno::setresuid, h!(process::sys_setresuid, 0, 1, 2)),
    (Sysno::setresgid, h!(process::sys_setresgid, 0, 1, 2)),
    (Sysno::getresuid, h!(process::sys_getresuid, 0, 1, 2)),
    (Sysno::getresgid, h!(process::sys_getresgid, 0, 1, 2)),
    (Sysno::setfsuid, h!(process::sys_setfsuid, 0)),
    (Sysno::setfsgid, h!(process::sys_setfsgid, 0)),
    (Sysno::getgroups, h!(process::sys_getgroups, 0, 1)),
    (Sysno::setgroups, h!(process::sys_setgroups, 0, 1)),
    (Sysno::set_tid_address, h!(process::sys_set_tid_address, 0)),
    (
        Sysno::set_robust_list,
        h!(process::sys_set_robust_list, 0, 1),
    ),
    (Sysno::umask, h!(process::sys_umask, 0)),
    (Sysno::prctl, h!(process::sys_prctl, 0, 1)),
    (Sysno::getpgid, h!(process::sys_getpgid, 0)),
    (Sysno::getpgrp, h!(process::sys_getpgrp)),
    (Sysno::getsid, h!(process::sys_getsid, 0)),
    (Sysno::setsid, h!(process::sys_setsid)),
    (Sysno::setpgid, h!(process::sys_setpgid, 0, 1)),
    (Sysno::sched_yield, h!(process::sched::sys_sched_yield)),
    (
        Sysno::sched_getscheduler,
        h!(process::sched::sys_sched_getscheduler, 0),
    ),
    (
        Sysno::sched_setscheduler,
        h!(process::sched::sys_sched_setscheduler, 0, 1, 2),
    ),
    (
        Sysno::sched_getparam,
        h!(process::sched::sys_sched_getparam, 0, 1),
    ),
    (
        Sysno::sched_setparam,
        h!(process::sched::sys_sched_setparam, 0, 1),
    ),
    (
        Sysno::sched_get_priority_max,
        h!(process::sched::sys_sched_get_priority_max, 0),
    ),
    (
        Sysno::sched_get_priority_min,
        h!(process::sched::sys_sched_get_priority_min, 0),
    ),
    (
        Sysno::sched_rr_get_interval,
        h!(process::sched::sys_sched_rr_get_interval, 0, 1),
    ),
    (
        Sysno::sched_getaffinity,
        h!(process::sched::sys_sched_getaffinity, 0, 1, 2),
    ),
    (
        Sysno::sched_setaffinity,
        h!(process::sched::sys_sched_setaffinity, 0, 1, 2),
    ),
    (Sysno::arch_prctl, h!(process::sys_arch_prctl, 0, 1)),
    (Sysno::execve, h!(process::sys_execve, 0, 1, 2)),
    (Sysno::execveat, h!(process::sys_execveat, 0, 1, 2, 3, 4)),
    (Sysno::futex, h!(process::sys_futex, 0, 1, 2, 3, 4, 5)),
    (Sysno::clone, h!(process::sys_clone, 0, 1, 2, 3, 4)),
    (Sysno::clone3, h!(process::sys_clone3, 0, 1)),
    (Sysno::fork, h!(process::sys_fork)),
    (Sysno::vfork, h!(process::sys_vfork)),
    (Sysno::wait4, h!(process::sys_wait4, 0, 1, 2, 3)),
    (Sysno::waitid, h!(process::sys_waitid, 0, 1, 2, 3, 4)),
    // signals
    (
        Sysno::rt_sigaction,
        h!(signal::sys_rt_sigaction, 0, 1, 2, 3),
    ),
    (
        Sysno::rt_sigprocmask,
        h!(signal::sys_rt_sigprocmask, 0, 1, 2, 3),
    ),
    (Sysno::rt_sigpending, h!(signal::sys_rt_sigpending, 0, 1)),
    (Sysno::rt_sigreturn, h!(signal::sys_rt_sigreturn)),
    (Sysno::rt_sigsuspend, h!(signal::sys_rt_sigsuspend, 0, 1)),
    (
        Sysno::rt_sigtimedwait,
        h!(signal::sys_rt_sigtimedwait, 0, 1, 2, 3),
    ),
    (Sysno::sigaltstack, h!(signal::sys_sigaltstack, 0, 1)),
    (Sysno::kill, h!(signal::sys_kill, 0, 1)),
    (Sysno::tgkill, h!(signal::sys_tgkill, 0, 1, 2)),
    (Sysno::tkill, h!(signal::sys_tkill, 0, 1)),
    (Sysno::pause, h!(signal::sys_pause)),
    (Sysno::alarm, h!(signal::sys_alarm, 0)),
    (Sysno::setitimer, h!(signal::sys_setitimer, 0, 1, 2)),
    (Sysno::getitimer, h!(signal::sys_getitimer, 0, 1)),
    // time
    (Sysno::clock_gettime, h!(time::sys_clock_gettime, 0, 1)),
    (Sysno::clock_getres, h!(time::sys_clock_getres, 0, 1)),
    (Sysno::gettimeofday, h!(time::sys_gettimeofday, 0, 1)),
    (Sysno::time, h!(time::sys_time, 0)),
    (Sysno::nanosleep, h!(time::sys_nanosleep, 0, 1)),
    (
        Sysno::clock_nanosleep,
        h!(time::sys_clock_nanosleep, 0, 1, 2, 3),
    ),
    (Sysno::times, h!(time::sys_times, 0)),
    (Sysno::getrusage, h!(time::sys_getrusage, 0, 1)),
    // system information
    (Sysno::uname, h!(info::sys_uname, 0)),
    (Sysno::getrandom, h!(info::sys_getrandom, 0, 1, 2)),
    (Sysno::prlimit64, h!(info::sys_prlimit64, 0, 1, 2, 3)),
    (Sysno::getrlimit, h!(info::sys_getrlimit, 0, 1)),
    (Sysno::setrlimit, h!(info::sys_setrlimit, 0, 1)),
    (Sysno::sysinfo, h!(info::sys_sysinfo, 0)),
    // net
    (Sysno::socket, h!(crate::net::sys_socket, 0, 1, 2)),
    (Sysno::socketpair, h!(crate::net::sys_socketpair, 0, 1, 2, 3)),
    (Sysno::bind, h!(crate::net::sys_bind, 0, 1, 2)),
    (Sysno::listen, h!(crate::net::sys_listen, 0, 1)),
    (Sysno::accept, h!(crate::net::sys_accept, 0, 1, 2)),
    (Sysno::accept4, h!(crate::net::sys_accept4, 0, 1, 2, 3)),
    (Sysno::connect, h!(crate::net::sys_connect, 0, 1, 2)),
    (Sysno::shutdown, h!(crate::net::sys_shutdown, 0, 1)),
    (Sysno::getsockname, h!(crate::net::sys_getsockname, 0, 1, 2)),
    (Sysno::getpeername, h!(crate::net::sys_getpeername, 0, 1, 2)),
    (Sysno::setsockopt, h!(crate::net::sys_setsockopt, 0, 1, 2, 3, 4)),
    (Sysno::getsockopt, h!(crate::net::sys_getsockopt, 0, 1, 2, 3, 4)),
    (Sysno::sendto, h!(crate::net::sys_sendto, 0, 1, 2, 3, 4, 5)),
    (Sysno::recvfrom, h!(crate::net::sys_recvfrom, 0, 1, 2, 3, 4, 5)),
    (Sysno::sendmsg, h!(crate::net::sys_sendmsg, 0, 1, 2)),
    (Sysno::recvmsg, h!(crate::net::sys_recvmsg, 0, 1, 2)),
    (Sysno::sendfile, h!(crate::net::sys_sendfile, 0, 1, 2, 3)),
]);

/// Runs the system call in `regs.rax` for `p` and stores its result there
/// (negative errno on failure). A call interrupted by a signal with
/// ERESTART* shows EINTR and is noted in `p.restart` for the delivery code.
pub fn dispatch(k: &mut dyn Kernel, p: &mut Process, regs: &mut Regs) {
    let nr = regs.rax;
    let args = regs.args();
    let sysno = usize::try_from(nr).ok().and_then(Sysno::new);
    let Some(handler) = sysno.and_then(|s| TABLE.get(s)) else {
        regs.rax = enosys(p, sysno, nr);
        return;
    };
    let mut cx = Cx::new(k, p, regs);
    let r = handler(&mut cx, &args);
    regs.rax = match r {
        Ok(v) => v,
        Err(e) if is_restart(e) => {
            p.restart = Some((nr, e));
            errno_ret(Errno::EINTR)
        }
        Err(e) => errno_ret(e),
    };
}

fn is_restart(e: Errno) -> bool {
    matches!(
        e,
        Errno::ERESTARTSYS
            | Errno::ERESTARTNOINTR
            | Errno::ERESTARTNOHAND
            | Errno::ERESTART_RESTARTBLOCK
    )
}

fn errno_ret(e: Errno) -> u64 {
    (-(e.into_raw() as i64)) as u64
}

/// Unimplemented: ENOSYS, reported once per system call so a user sees what a program lacks.
fn enosys(p: &mut Process, sysno: Option<Sysno>, nr: u64) -> u64 {
    match sysno {
        Some(s) => {
            if !p.enosys_seen.contains(s) {
                p.enosys_seen.insert(s);
                log::warn!(
                    "{}: system call {} ({}) is not implemented: ENOSYS",
                    core::str::from_utf8(&p.comm).unwrap_or("?"),
                    s.name(),
                    nr
                );
            }
        }
        None => log::warn!("unknown system call number {nr}: ENOSYS"),
    }
    errno_ret(Errno::ENOSYS)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    #[test]
    fn unknown_and_unimplemented_calls_are_enosys() {
        let mut t = TestBed::new();
        assert_eq!(t.call_nr(99999, [0; 6]) as i64, -38);
        assert_eq!(t.call("acct", [0; 6]) as i64, -38);
        assert!(t.p.enosys_seen.contains(syscalls::Sysno::acct));
    }

    #[test]
    fn exit_group_records_the_low_byte() {
        let mut t = TestBed::new();
        t.call("exit_group", [0x1234, 0, 0, 0, 0, 0]);
        assert_eq!(
            t.p.exit,
            Some(crate::process::Exit::Group(crate::ExitStatus::Code(0x34)))
        );
    }
}
