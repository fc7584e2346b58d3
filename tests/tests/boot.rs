//! Boots the real Lintel kernel in real QEMU and runs guest programs from
//! `tests/guest/`, comparing what they print with the same binary run natively
//! on this Linux host.
//!
//! Each test is one boot; CI runs them under TCG on two cores, so keep the
//! number of boots small.

use lintel::{Outcome, RunResult, Stdin};
use lintel_tests::{
    assert_bytes_eq, assert_same_output, guest, kernel_log_last_line, run_lintel,
    run_lintel_with_stdin, run_native, run_native_with_stdin, rust_guest, Link,
};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

const HELLO_ARGV: &[&str] = &["hello", "a", "b c", "\"quoted\"", ""];
const HELLO_ENV: &[&str] = &["FOO=bar", "SPACE=x y"];

/// Asserts the Lintel run ended with `exit(code)`.
#[track_caller]
fn assert_exited(r: &RunResult, code: u8) {
    assert!(
        matches!(r.outcome, Outcome::Exited(c) if c == code),
        "expected the program to exit with status {code}, got {:?}\nstdout:\n{}\nstderr:\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr),
    );
}

/// Asserts the native run ended with `exit(code)`.
#[track_caller]
fn assert_native_exited(status: ExitStatus, code: i32) {
    assert_eq!(
        status.code(),
        Some(code),
        "native run: unexpected status {status:?}"
    );
}

/// Runs `path` natively and under Lintel with the same argv and env, and
/// asserts both printed the same stdout and stderr and both exited with `code`.
fn differential(path: &Path, argv: &[&str], env: &[&str], code: u8) -> RunResult {
    let (out, err, status) = run_native(path, argv, env);
    assert_native_exited(status, i32::from(code));
    let r = run_lintel(path, argv, env);
    assert_same_output("stdout", &r.stdout, &out);
    assert_same_output("stderr", &r.stderr, &err);
    assert_exited(&r, code);
    r
}

#[test]
fn hello_static_matches_native() {
    differential(&guest("hello", Link::Static), HELLO_ARGV, HELLO_ENV, 0);
}

#[test]
fn hello_static_pie_matches_native() {
    differential(&guest("hello", Link::StaticPie), HELLO_ARGV, HELLO_ENV, 0);
}

fn exit42(link: Link) {
    let r = differential(&guest("exit42", link), &["exit42"], &[], 42);
    assert_bytes_eq("exit42 stdout", &r.stdout, b"exiting with 42\n");
    assert_eq!(r.outcome.exit_code(), 42);
}

#[test]
fn exit42_static_exits_42() {
    exit42(Link::Static);
}

#[test]
fn exit42_static_pie_exits_42() {
    exit42(Link::StaticPie);
}

#[test]
fn malloc64_matches_native() {
    differential(&guest("malloc64", Link::Static), &["malloc64"], &[], 0);
}

#[test]
fn nullderef_is_killed_by_sigsegv() {
    let path = guest("nullderef", Link::Static);
    let (out, _err, status) = run_native(&path, &["nullderef"], &[]);
    assert_eq!(
        status.signal(),
        Some(11),
        "natively nullderef should die of SIGSEGV: {status:?}"
    );
    assert_bytes_eq("native nullderef stdout", &out, b"before\n");

    let r = run_lintel(&path, &["nullderef"], &[]);
    assert!(
        matches!(r.outcome, Outcome::Signaled(11)),
        "expected Signaled(11), got {:?}",
        r.outcome
    );
    assert_same_output("stdout", &r.stdout, &out);
    let log = String::from_utf8_lossy(&r.log);
    assert!(
        log.contains("SIGSEGV"),
        "the kernel log should report the SIGSEGV:\n{log}"
    );
    assert!(
        log.contains("0x0"),
        "the kernel log should name the faulting address 0x0:\n{log}"
    );
    assert_eq!(
        kernel_log_last_line(&r.log),
        "lintel: exit signal=11",
        "kernel log:\n{log}"
    );
}

#[test]
fn badptr_gets_efault() {
    // stdin has data, so a read that got past its pointer check would have
    // something to copy (see badptr.c).
    let stdin = b"xyz\n";
    let path = guest("badptr", Link::Static);
    let (out, err, status) = run_native_with_stdin(&path, &["badptr"], &[], Some(stdin));
    assert_native_exited(status, 0);
    let r = run_lintel_with_stdin(&path, &["badptr"], &[], Stdin::Bytes(stdin.to_vec()));
    assert_same_output("stdout", &r.stdout, &out);
    assert_same_output("stderr", &r.stderr, &err);
    assert_exited(&r, 0);
}

#[test]
fn rust_hello_glibc_static_pie_matches_native() {
    differential(&rust_guest(), &["rust_hello", "a", "b c"], &["FOO=bar"], 0);
}

#[test]
fn stdout_and_stderr_are_separate() {
    let r = differential(&guest("streams", Link::Static), &["streams"], &[], 0);
    assert_bytes_eq(
        "streams stdout",
        &r.stdout,
        b"out: line 1\nout: line 2\nout: raw write(1)\nout: done\n",
    );
    assert_bytes_eq(
        "streams stderr",
        &r.stderr,
        b"err: line 1\nerr: line 2\nerr: raw write(2)\n",
    );
    for (name, bytes) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains("lintel:"),
            "kernel log lines leaked into {name}:\n{text}"
        );
    }
    let log = String::from_utf8_lossy(&r.log);
    assert!(
        !log.contains("out: line") && !log.contains("err: line"),
        "program output leaked into the kernel log:\n{log}"
    );
    assert_eq!(
        kernel_log_last_line(&r.log),
        "lintel: exit status=0",
        "kernel log:\n{log}"
    );
}
