//! End to end: the `lintel` binary boots the real kernel (LINTEL_KERNEL, or
//! built on the spot) under TCG with static musl programs built here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use lintel::tempdir::TempDir;

/// `cli/tests/NAME.c` built static with musl-gcc into `dir`.
fn build(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(format!("{name}.c"));
    let out = dir.join(name);
    let status = Command::new("musl-gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("musl-gcc (Debian package musl-tools) is needed");
    assert!(status.success(), "musl-gcc failed on {}", src.display());
    out
}

fn lintel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lintel"))
}

#[test]
fn run_passes_arguments_and_exit_status_and_keeps_the_log_apart() {
    let dir = TempDir::new().unwrap();
    let hello = build(dir.path(), "hello_args");
    let log = dir.path().join("kernel.log");
    let out = lintel()
        .args(["run", "--accel", "tcg", "--timeout", "120", "--log"])
        .arg(&log)
        .arg("--")
        .arg(&hello)
        .args(["a", "b c"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "argc=3\nargv[1]=[a]\nargv[2]=[b c]\n",
        "stderr: {stderr}"
    );
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(stderr.ends_with("to stderr\n"), "{stderr}");
    assert!(
        !stderr.contains("lintel: exit"),
        "the kernel log leaked into stderr: {stderr}"
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("lintel: exit status=3"), "{log}");
}

#[test]
fn run_forwards_stdin_until_its_end() {
    let dir = TempDir::new().unwrap();
    let cat = build(dir.path(), "cat_stdin");
    let mut child = lintel()
        .args(["run", "--accel", "tcg", "--timeout", "120", "--"])
        .arg(&cat)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = b"first line\nsecond line with spaces\n";
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.stdout, input, "stderr: {stderr}");
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(
        stderr.ends_with(&format!("{} bytes\n", input.len())),
        "{stderr}"
    );
}
