//! `lintel run --fs virtiofs` end to end, through the binary: the virtiofsd
//! it starts serves the run, and no daemon, socket or pid file outlives it,
//! however the run ends: normally, on timeout, on SIGINT/SIGTERM, or when
//! QEMU cannot start. Each run gets its own `TMPDIR`, so what it leaves is
//! easy to see. Needs a kernel (LINTEL_KERNEL, or built on the spot),
//! musl-gcc and a virtiofsd of each kind; the C virtiofsd needs root.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel::virtiofs::{find_c_virtiofsd, find_rust_virtiofsd};

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

/// A root holding `/hello_args` and `/cat_stdin`, and a private TMPDIR.
struct Setup {
    root: TempDir,
    tmp: TempDir,
}

fn setup() -> Setup {
    let root = TempDir::new().unwrap();
    build(root.path(), "hello_args");
    build(root.path(), "cat_stdin");
    Setup {
        root,
        tmp: TempDir::new().unwrap(),
    }
}

/// Which daemons this host has: the Rust one, and the C one when we are
/// root (its chroot sandbox needs it).
fn daemons() -> Vec<&'static str> {
    let mut d = Vec::new();
    if find_rust_virtiofsd().is_some() {
        d.push("rust");
    } else {
        eprintln!("no Rust virtiofsd here: its runs are skipped");
    }
    if find_c_virtiofsd().is_some() && lintel::setup::is_root() {
        d.push("c");
    } else {
        eprintln!("no usable C virtiofsd here: its runs are skipped");
    }
    d
}

fn lintel(s: &Setup, daemon: &str, extra: &[&str], program: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lintel"));
    c.env("TMPDIR", s.tmp.path())
        .args(["run", "--accel", "tcg", "--root"])
        .arg(s.root.path())
        .args(["--fs", "virtiofs", "--virtiofsd", daemon])
        .args(extra)
        .arg("--")
        .args(program);
    c
}

/// The pids of virtiofsd processes whose command line names `dir`.
fn daemons_under(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains("virtiofsd") && cmdline.contains(&needle) {
            found.push(pid);
        }
    }
    found
}

/// Nothing of the run is left: no daemon, nothing in its TMPDIR (sockets,
/// the run's directory), no C virtiofsd pid file naming it.
#[track_caller]
fn assert_nothing_left(s: &Setup, what: &str) {
    assert_eq!(
        daemons_under(s.tmp.path()),
        [] as [u32; 0],
        "{what}: daemons left"
    );
    let left: Vec<PathBuf> = std::fs::read_dir(s.tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(left, [] as [PathBuf; 0], "{what}: files left in TMPDIR");
    let name = s.tmp.path().to_string_lossy().replace(['/', '.'], ".");
    let pid_files: Vec<PathBuf> = std::fs::read_dir("/var/run/virtiofsd")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().contains(&name))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(pid_files, [] as [PathBuf; 0], "{what}: pid files left");
}

/// Waits (at most 60 s) until a daemon serves the run started as `child`.
fn wait_for_daemon(s: &Setup, child: &mut Child, what: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(&pid) = daemons_under(s.tmp.path()).first() {
            return pid;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what}: lintel ended ({status}) before a daemon was seen");
        }
        assert!(Instant::now() < deadline, "{what}: no daemon within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (at most 60 s) until QEMU has connected to the daemon, as its log
/// in the run's temporary directory says, and then a little longer, so that
/// the guest has mounted its root.
fn wait_for_connection(s: &Setup, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let connected = std::fs::read_dir(s.tmp.path())
            .unwrap()
            .flatten()
            .filter_map(|run| std::fs::read_to_string(run.path().join("virtiofsd0.log")).ok())
            .any(|log| {
                log.contains("Client connected") || log.contains("Received vhost-user socket")
            });
        if connected {
            std::thread::sleep(Duration::from_millis(500));
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: QEMU did not connect within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(child: Child, what: &str) -> Output {
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "{what}: {}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn a_normal_run_is_served_and_leaves_nothing() {
    for daemon in daemons() {
        let s = setup();
        let child = lintel(&s, daemon, &["--timeout", "120"], &["/hello_args", "a b"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, daemon);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "argc=2\nargv[1]=[a b]\n",
            "{daemon}"
        );
        assert_eq!(out.status.code(), Some(3), "{daemon}");
        assert_nothing_left(&s, daemon);
    }
}

#[test]
fn a_timeout_leaves_nothing() {
    for daemon in daemons() {
        let s = setup();
        // cat_stdin with a stdin that never ends: the guest waits forever.
        let mut child = lintel(&s, daemon, &["--timeout", "3"], &["/cat_stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let pid = wait_for_daemon(&s, &mut child, daemon);
        let out = finish(child, daemon);
        drop(stdin);
        assert_eq!(out.status.code(), Some(124), "{daemon}");
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{daemon}: the daemon {pid} still runs"
        );
        assert_nothing_left(&s, daemon);
    }
}

#[test]
fn sigint_and_sigterm_stop_the_run_and_leave_nothing() {
    for daemon in daemons() {
        for (sig, code) in [("INT", 130), ("TERM", 143)] {
            let s = setup();
            let mut child = lintel(&s, daemon, &["--timeout", "120"], &["/cat_stdin"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(b"x").unwrap();
            let what = format!("{daemon} SIG{sig}");
            let daemon_pid = wait_for_daemon(&s, &mut child, &what);
            // Only to lintel itself: it must stop QEMU and the daemon.
            let status = Command::new("kill")
                .args([&format!("-{sig}"), &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let out = finish(child, &what);
            drop(stdin);
            assert_eq!(out.status.code(), Some(code), "{what}");
            assert!(
                String::from_utf8_lossy(&out.stderr).contains(&format!("interrupted by SIG{sig}")),
                "{what}"
            );
            assert!(
                !Path::new(&format!("/proc/{daemon_pid}")).exists(),
                "{what}"
            );
            assert_nothing_left(&s, &what);
        }
    }
}

#[test]
fn qemu_failing_to_start_leaves_nothing() {
    for daemon in daemons() {
        let s = setup();
        let out = lintel(&s, daemon, &[], &["/hello_args"])
            .env("LINTEL_QEMU", "/bin/false")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125), "{daemon}");
        assert_nothing_left(&s, daemon);
    }
}

/// The daemon killed under a running machine: the run ends at once (the
/// guest would otherwise wait for replies forever), with status 125 and
/// the reason, and leaves nothing.
#[test]
fn a_daemon_dying_under_the_machine_ends_the_run() {
    for daemon in daemons() {
        let s = setup();
        let start = Instant::now();
        let mut child = lintel(&s, daemon, &["--timeout", "120"], &["/cat_stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let pid = wait_for_daemon(&s, &mut child, daemon);
        wait_for_connection(&s, daemon);
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let out = finish(child, daemon);
        drop(stdin);
        assert_eq!(out.status.code(), Some(125), "{daemon}");
        assert!(start.elapsed() < Duration::from_secs(60), "{daemon}");
        assert_nothing_left(&s, daemon);
    }
}
