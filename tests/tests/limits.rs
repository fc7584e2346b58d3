//! Running out of memory: guest programs that exhaust it on a small
//! machine (socket buffers from the kernel heap, processes with their
//! kernel stacks and page tables) must see an errno, never a kernel panic,
//! and get the memory back once they let go. One boot each, initrd root.

use std::os::unix::fs::PermissionsExt;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use lintel::tempdir::TempDir;
use lintel_tests::{guest, run_lintel_root_with, Link, RootConfig};

/// One boot at a time: each keeps a core busy under TCG.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kernel memory running out (socket buffers on a small machine) is an
/// errno for the program, never a kernel panic, and closing the sockets
/// gives the memory back.
#[test]
fn kernel_memory_runs_out_as_enobufs() {
    let _one = one_at_a_time();
    let root = TempDir::new().unwrap();
    let prog = root.path().join("sockets");
    std::fs::copy(guest("limits/sockets", Link::Static), &prog).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = RootConfig {
        memory: "128M".into(),
        timeout: Duration::from_secs(300),
        ..RootConfig::initrd()
    };
    let r = run_lintel_root_with(root.path(), "/sockets", &["sockets"], &[], &config);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(
        out,
        "opened many connections, then: No buffer space available\n\
         after closing them: 20 of 20 connections\n",
        "outcome {}; kernel log:\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.log)
    );
}

/// Memory running out through processes (kernel stacks, page tables) is
/// ENOMEM or EAGAIN from fork, never a kernel panic, and the memory comes
/// back when the children are reaped.
#[test]
fn memory_runs_out_through_fork_as_an_errno() {
    let _one = one_at_a_time();
    let root = TempDir::new().unwrap();
    let prog = root.path().join("forks");
    std::fs::copy(guest("limits/forks", Link::Static), &prog).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = RootConfig {
        memory: "64M".into(),
        timeout: Duration::from_secs(300),
        ..RootConfig::initrd()
    };
    let r = run_lintel_root_with(root.path(), "/forks", &["forks"], &[], &config);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(
        out,
        "forked many children, then: ENOMEM or EAGAIN\n\
         all reaped: yes\n\
         after reaping them: 20 of 20 forks\n",
        "outcome {}; kernel log:\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.log)
    );
}
