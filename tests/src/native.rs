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
    run(Command::new(path), path, argv, env, stdin)
}

/// Like [`run_native`], started in the directory `cwd`.
pub fn run_native_in(
    cwd: &Path,
    path: &Path,
    argv: &[&str],
    env: &[&str],
) -> (Vec<u8>, Vec<u8>, ExitStatus) {
    let mut cmd = Command::new(path);
    cmd.current_dir(cwd);
    run(cmd, path, argv, env, None)
}

/// Runs `argv[0]` (a path inside `root`, e.g. `/bin/busybox`, which is also
/// the program's `argv[0]`) on the host chrooted into `root`, in its `/`,
/// with `chroot(8)`: the native side of a test that runs the same program
/// under Lintel with `--root`, so both see the same paths. Needs root; the
/// program must be static.
pub fn run_native_chroot(
    root: &Path,
    argv: &[&str],
    env: &[&str],
) -> (Vec<u8>, Vec<u8>, ExitStatus) {
    // The environment is cleared, so chroot(8) is named by its full path.
    let chroot = ["/usr/sbin/chroot", "/usr/bin/chroot", "/sbin/chroot"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("chroot(8) (Debian's coreutils) is needed");
    let root = root.to_str().expect("a UTF-8 root path");
    let full: Vec<&str> = ["chroot", root]
        .into_iter()
        .chain(argv.iter().copied())
        .collect();
    run(Command::new(chroot), chroot, &full, env, None)
}

/// True when this process runs as root (needed by `chroot` and by the
/// file-system programs that give files away with `chown`).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn run(
    mut cmd: Command,
    path: &Path,
    argv: &[&str],
    env: &[&str],
    stdin: Option<&[u8]>,
) -> (Vec<u8>, Vec<u8>, ExitStatus) {
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
    let mut child =
        spawn(&mut cmd).unwrap_or_else(|e| panic!("cannot run {} natively: {e}", path.display()));
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

/// `ETXTBSY`: the binary is still open for writing somewhere.
const ETXTBSY: i32 = 26;

/// Spawns `cmd`, retrying for a while on `ETXTBSY`: a test that has just
/// copied a program races with other test threads forking, whose children
/// briefly hold the copy's write descriptor (until their exec closes it).
fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
