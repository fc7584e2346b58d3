//! Running a guest binary directly on the host: the reference side of the
//! differential tests.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// Runs `path` on the host with exactly `argv` (`argv[0]` included, set with
/// `arg0`) and exactly the environment `env` (`"KEY=VALUE"` strings), stdin
/// empty (`/dev/null`). Returns `(stdout, stderr, status)`.
pub fn run_native(path: &Path, argv: &[&str], env: &[&str]) -> (Vec<u8>, Vec<u8>, ExitStatus) {
    run_native_with_stdin(path, argv, env, None)
}

/// Like [`run_native`], with `stdin` (if any) written to the program's stdin
/// through a pipe, which is then closed.
pub fn run_native_with_stdin(
    path: &Path,
    argv: &[&str],
    env: &[&str],
    stdin: Option<&[u8]>,
) -> (Vec<u8>, Vec<u8>, ExitStatus) {
    let mut cmd = Command::new(path);
    if let Some((argv0, rest)) = argv.split_first() {
        cmd.arg0(argv0).args(rest);
    }
    cmd.env_clear();
    for kv in env {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} natively: {e}", path.display()));
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        // The program may exit without reading: a broken pipe is fine.
        let _ = pipe.write_all(bytes);
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {}: {e}", path.display()));
    (out.stdout, out.stderr, out.status)
}
