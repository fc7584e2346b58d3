//! Sockets: the programs in `tests/guest/net/` run natively on the host and
//! under Lintel (one boot each, initrd root, no NIC: everything goes over
//! 127.0.0.1) and must print the same lines and exit with the same status.
//!
//! Programs:
//! - `sockerr`: connection refused (blocking, non-blocking + SO_ERROR),
//!   calls in the wrong state, bind clashes and SO_REUSEADDR, EPIPE with
//!   and without SIGPIPE (MSG_NOSIGNAL), a client/server exchange with a
//!   forked child (a megabyte included), a non-blocking connect completed
//!   through poll, getsockname/getpeername, FIONREAD, EOF and POLLRDHUP,
//!   and UDP (truncation, a connected peer).
//! - `unix`: AF_UNIX sockets: socketpair channels of each type with a
//!   forked child (a megabyte in one write), message boundaries, the
//!   peer's close and shutdown (EOF, ECONNRESET, EPIPE with and without
//!   SIGPIPE, ECONNREFUSED), path names under /tmp and abstract names
//!   (bind, listen, connect, accept, autobind, the errors), SCM_RIGHTS
//!   passing a pipe and a file between processes, SO_PEERCRED and
//!   SO_PASSCRED, a full non-blocking stream and edge-triggered epoll.
//!
//! Each program checks its own results against what Linux does, so a
//! native run that fails means the program is wrong, not Lintel
//! (`net_programs_pass_natively_and_deterministically`, no QEMU).
//!
//! Run: `cargo lintel test -p lintel-tests --test net` (or with
//! `LINTEL_KERNEL` set, `cargo test -p lintel-tests --test net`); only the
//! native checks: `cargo test -p lintel-tests --test net native`.

use std::os::unix::fs::PermissionsExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel::{Outcome, RunResult};
use lintel_tests::{
    assert_same_output, describe_difference, guest, run_lintel_root_with, run_native, Link,
    RootConfig,
};

/// Every program in `tests/guest/net/`.
const PROGRAMS: &[&str] = &["sockerr", "unix"];

/// A boot may take this long (TCG is about 30 times slower than native).
const TIMEOUT: Duration = Duration::from_secs(60);

struct Native {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: ExitStatus,
    took: Duration,
}

fn native(name: &str) -> Native {
    let bin = guest(&format!("net/{name}"), Link::Static);
    let start = Instant::now();
    let (stdout, stderr, status) = run_native(&bin, &[name], &[]);
    Native {
        stdout,
        stderr,
        status,
        took: start.elapsed(),
    }
}

#[track_caller]
fn assert_native_ok(name: &str, n: &Native) {
    assert!(
        n.status.success(),
        "net/{name} failed natively ({:?}): the program expects something Linux does not do\n\
         --- stderr ---\n{}--- stdout ---\n{}",
        n.status,
        String::from_utf8_lossy(&n.stderr),
        String::from_utf8_lossy(&n.stdout)
    );
}

/// Boots `net/NAME` once, as `/prog` in an initrd root holding only it.
fn lintel(name: &str) -> RunResult {
    let bin = guest(&format!("net/{name}"), Link::Static);
    let dir = TempDir::new().expect("a temporary directory");
    let prog = dir.path().join("prog");
    std::fs::copy(&bin, &prog).expect("copying the program");
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = RootConfig {
        timeout: TIMEOUT,
        ..RootConfig::initrd()
    };
    run_lintel_root_with(dir.path(), "/prog", &[name], &[], &config)
}

/// The native run, then one Lintel boot: the same stdout, and exit 0.
fn differential(name: &str) {
    let n = native(name);
    assert_native_ok(name, &n);
    let r = lintel(name);
    let what = format!(
        "net/{name} (under Lintel: {})\n--- its stderr under Lintel ---\n{}\n--- end of stderr ---\n",
        r.outcome,
        String::from_utf8_lossy(&r.stderr).trim_end()
    );
    assert_same_output(&what, &r.stdout, &n.stdout);
    assert_eq!(
        r.outcome,
        Outcome::Exited(n.status.code().unwrap_or(-1) as u8),
        "net/{name}: the same output but a different ending\n--- stderr ---\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn net_sockerr() {
    differential("sockerr");
}

#[test]
fn net_unix() {
    differential("unix");
}

/// No QEMU: every program builds static, passes natively, prints the same
/// twice, and is quick. A failure here is a bug in the suite, not in Lintel.
#[test]
fn net_programs_pass_natively_and_deterministically() {
    for name in PROGRAMS {
        let a = native(name);
        assert_native_ok(name, &a);
        let b = native(name);
        assert_native_ok(name, &b);
        let diff = describe_difference("first", &a.stdout, "second", &b.stdout);
        assert!(diff.is_empty(), "net/{name} is not deterministic:\n{diff}");
        assert!(
            a.took < Duration::from_secs(5),
            "net/{name} took {:?} natively",
            a.took
        );
        let out = String::from_utf8_lossy(&a.stdout);
        assert!(
            out.ends_with(" 0 unexpected\n") && !out.contains("UNEXPECTED"),
            "net/{name}: {out}"
        );
        assert!(
            a.stderr.is_empty(),
            "net/{name} wrote to stderr natively: {}",
            String::from_utf8_lossy(&a.stderr)
        );
    }
}

/// No QEMU: `PROGRAMS` names every `.c` file in `tests/guest/net/`.
#[test]
fn net_program_list_is_complete_native() {
    let dir = lintel_tests::guest_source_dir().join("net");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".c").map(str::to_owned)
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "PROGRAMS in net.rs vs {}", dir.display());
}
