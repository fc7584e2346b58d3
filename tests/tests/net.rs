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

use std::time::Duration;

use lintel_tests::suite::Suite;
use lintel_tests::RootConfig;

const NET: Suite = Suite {
    dir: "net",
    programs: &["sockerr", "unix"],
    native_limit: Duration::from_secs(5),
};

#[test]
fn net_sockerr() {
    NET.differential("sockerr", RootConfig::initrd());
}

#[test]
fn net_unix() {
    NET.differential("unix", RootConfig::initrd());
}

#[test]
fn net_programs_pass_natively_and_deterministically() {
    NET.check_native_runs();
}

#[test]
fn net_program_list_is_complete_native() {
    NET.check_program_list();
}
