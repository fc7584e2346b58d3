//! The launcher against a stand-in kernel (`fake_kernel/`, assembled here
//! with `as` and `ld`) that speaks the host side of docs/boot-protocol.md:
//! the serial channels, stdin with its end byte, the command line, the exit
//! lines, isa-debug-exit, timeouts. The real kernel is tested in `run_cli.rs`
//! and in the workspace's `tests/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use lintel::tempdir::TempDir;
use lintel::{run_captured, Accel, Outcome, ResolvedAccel, RunOptions, Stdin};

/// The stand-in kernel, or `None` (the test is skipped) without the tools.
fn fake_kernel() -> Option<&'static Path> {
    static KERNEL: OnceLock<Option<PathBuf>> = OnceLock::new();
    KERNEL
        .get_or_init(|| {
            let have = |tool: &str| {
                Command::new(tool)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .is_ok()
            };
            if !have("as") || !have("ld") || !have("qemu-system-x86_64") {
                eprintln!("skipping: needs as, ld and qemu-system-x86_64");
                return None;
            }
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake_kernel");
            let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fake_kernel");
            std::fs::create_dir_all(&out).unwrap();
            let obj = out.join("fake_kernel.o");
            let image = out.join("fake_kernel");
            let ok = Command::new("as")
                .arg("--64")
                .arg("-o")
                .arg(&obj)
                .arg(src.join("fake_kernel.S"))
                .status()
                .unwrap();
            assert!(ok.success(), "as failed");
            let ok = Command::new("ld")
                .args(["-m", "elf_x86_64", "--no-warn-rwx-segments", "-T"])
                .arg(src.join("link.ld"))
                .arg("-o")
                .arg(&image)
                .arg(&obj)
                .status()
                .unwrap();
            assert!(ok.success(), "ld failed");
            Some(image)
        })
        .as_deref()
}

/// A program file whose name tells the fake kernel what to do.
fn program(dir: &TempDir, name: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, b"\x7fELF not really").unwrap();
    p
}

fn options(kernel: &Path, program: PathBuf) -> RunOptions {
    let mut o = RunOptions::new(kernel.to_owned(), program);
    o.accel = Accel::Tcg;
    o.memory = "64M".into();
    o.timeout = Some(Duration::from_secs(60));
    o
}

#[test]
fn channels_stdin_cmdline_and_exit_status() {
    let Some(kernel) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let mut o = options(kernel, program(&dir, "echo"));
    o.argv = ["./echo", "a", "b c", "it's", "100%", ""]
        .map(Into::into)
        .to_vec();
    o.env = ["HOME=/", "X=y z"].map(Into::into).to_vec();
    o.quiet = true;
    let input: Vec<u8> = (0u8..=255)
        .filter(|&b| b != 0x04)
        .cycle()
        .take(100_000)
        .collect();
    o.stdin = Stdin::Bytes(input.clone());
    let r = run_captured(&o).unwrap();
    assert_eq!(
        r.outcome,
        Outcome::Exited(3),
        "log: {}",
        String::from_utf8_lossy(&r.log)
    );
    assert_eq!(r.outcome.exit_code(), 3);
    assert_eq!(r.accel, ResolvedAccel::Tcg);
    assert!(
        r.stdout == input,
        "stdout differs from stdin ({} vs {} bytes)",
        r.stdout.len(),
        input.len()
    );
    assert_eq!(r.stderr, b"to-stderr\n");
    let log = without_clock(&String::from_utf8(r.log).unwrap());
    assert_eq!(
        log,
        "lintel: cmdline: init=/echo root=initrd argv=./echo argv=a argv=b%20c argv=it%27s argv=100%25 argv= \
         env=HOME=/ env=X=y%20z quiet\nlintel: exit status=3\n"
    );
    assert!(r.wall < Duration::from_secs(60));
}

#[test]
fn empty_stdin_is_just_the_end_byte() {
    let Some(kernel) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let r = run_captured(&options(kernel, program(&dir, "echo"))).unwrap();
    assert_eq!(r.outcome, Outcome::Exited(3));
    assert_eq!(r.stdout, b"");
}

#[test]
fn signal_panic_and_crash() {
    let Some(kernel) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let r = run_captured(&options(kernel, program(&dir, "segv"))).unwrap();
    assert_eq!(r.outcome, Outcome::Signaled(11));
    assert_eq!(r.outcome.exit_code(), 139);

    let r = run_captured(&options(kernel, program(&dir, "panic"))).unwrap();
    assert_eq!(r.outcome, Outcome::Panic("boom".into()));
    assert_eq!(r.outcome.exit_code(), 125);

    let r = run_captured(&options(kernel, program(&dir, "crash"))).unwrap();
    let Outcome::Crashed(why) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(why.contains("status 11"), "{why}");
    assert!(why.contains("0x5"), "{why}");
    assert_eq!(r.outcome.exit_code(), 125);
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(needle) {
                found.push(cmdline);
            }
        }
    }
    found
}

#[test]
fn timeout_kills_qemu() {
    let Some(kernel) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    // A private copy, to find this test's QEMU among the others.
    let own_kernel = dir.path().join("kernel-for-timeout");
    std::fs::copy(kernel, &own_kernel).unwrap();
    let mut o = options(&own_kernel, program(&dir, "hang"));
    o.timeout = Some(Duration::from_millis(1500));
    let r = run_captured(&o).unwrap();
    assert_eq!(r.outcome, Outcome::Timeout);
    assert_eq!(r.outcome.exit_code(), 124);
    assert_eq!(r.log, b"lintel: hanging\n");
    assert!(
        r.wall >= Duration::from_millis(1500) && r.wall < Duration::from_secs(30),
        "{:?}",
        r.wall
    );
    assert_eq!(
        processes_mentioning(own_kernel.to_str().unwrap()),
        Vec::<String>::new()
    );
}

#[test]
fn a_bad_kernel_is_a_crash_with_qemu_s_words() {
    if fake_kernel().is_none() {
        return;
    }
    let dir = TempDir::new().unwrap();
    let not_a_kernel = program(&dir, "not-a-kernel");
    let r = run_captured(&options(&not_a_kernel, program(&dir, "echo"))).unwrap();
    let Outcome::Crashed(why) = &r.outcome else {
        panic!("{:?}", r.outcome)
    };
    assert!(why.contains("QEMU said"), "{why}");
}

fn lintel() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lintel"));
    c.env("LINTEL_KERNEL", fake_kernel().unwrap());
    c
}

#[test]
fn the_binary_streams_and_exits_like_the_program() {
    let Some(_) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let log = dir.path().join("kernel.log");
    let mut child = lintel()
        .args(["run", "--accel", "tcg", "-m", "64M", "-e", "A=b c", "--log"])
        .arg(&log)
        .arg("--")
        .arg(program(&dir, "echo"))
        .args(["x", "y z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"typed input\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"typed input\n");
    assert_eq!(out.stderr, b"to-stderr\n");
    let log = without_clock(&std::fs::read_to_string(&log).unwrap());
    assert!(log.contains(" argv=x argv=y%20z env=A=b%20c\n"), "{log}");
    assert!(log.ends_with("lintel: exit status=3\n"), "{log}");
    // Its temporary directory is gone.
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("lintel-{pid}-"))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn the_binary_reports_signals_and_timeouts() {
    let Some(_) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let out = lintel()
        .args(["run", "--accel=tcg", "--"])
        .arg(program(&dir, "segv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(139));
    assert_eq!(out.stdout, b"");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "Segmentation fault\n");

    let out = lintel()
        .args(["run", "--accel", "tcg", "--timeout", "1"])
        .arg(program(&dir, "hang"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "lintel: timed out after 1 s\n"
    );

    let out = lintel()
        .args(["run", "--accel", "tcg", "-v"])
        .arg(program(&dir, "panic"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("accelerator tcg"), "{stderr}");
    assert!(stderr.contains("lintel: panic: boom\n"), "{stderr}");
    assert!(stderr.ends_with("lintel: kernel panic: boom\n"), "{stderr}");
}

#[test]
fn the_binary_packs_a_root_and_names_the_program_inside_it() {
    let Some(_) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("bin/sub")).unwrap();
    std::fs::write(root.join("bin/echo"), b"\x7fELF not really").unwrap();
    std::fs::write(root.join("bin/sub/data"), b"x").unwrap();
    std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    let log = dir.path().join("kernel.log");
    let out = lintel()
        .args([
            "run", "--accel", "tcg", "-m", "64M", "--fs", "initrd", "--root",
        ])
        .arg(&root)
        .arg("--log")
        .arg(&log)
        .args(["--", "/bin/echo", "a b"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.starts_with("lintel: skipping socket ") && stderr.contains("/root/sock"),
        "{stderr}"
    );
    let log = without_clock(&std::fs::read_to_string(&log).unwrap());
    assert!(
        log.starts_with("lintel: cmdline: init=/bin/echo root=initrd argv=/bin/echo argv=a%20b\n"),
        "{log}"
    );

    // A program missing from the root is refused before booting.
    for fs in ["9p", "initrd"] {
        let out = lintel()
            .args(["run", "--fs", fs, "--root"])
            .arg(&root)
            .args(["--", "/bin/nothing"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(125));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("/bin/nothing"), "{stderr}");
    }
}

#[test]
fn the_binary_shares_a_root_over_9p_with_its_options() {
    let Some(_) = fake_kernel() else { return };
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("root");
    let data = dir.path().join("da,ta");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(root.join("bin/echo"), b"\x7fELF not really").unwrap();
    // A socket is no trouble for a shared root: nothing is packed.
    std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    for (machine, virtio) in [("pc", "transitional"), ("q35", "modern"), ("q35", "legacy")] {
        let log = dir.path().join("kernel.log");
        let mut share = data.clone().into_os_string();
        share.push(":data:/mnt/data");
        let out = lintel()
            .args(["run", "--accel", "tcg", "-m", "64M", "--root"])
            .arg(&root)
            .args(["--machine", machine, "--virtio", virtio, "--tag", "rootfs"])
            .args(["--rootflags", "cache=loose", "--share"])
            .arg(&share)
            .args(["--security-model", "mapped-xattr", "--log"])
            .arg(&log)
            .args(["--", "bin/echo", "a b"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{machine} {virtio}: {stderr}");
        assert_eq!(stderr, "to-stderr\n", "{machine} {virtio}");
        let log = without_clock(&std::fs::read_to_string(&log).unwrap());
        assert!(
            log.starts_with(
                "lintel: cmdline: init=/bin/echo root=9p:rootfs rootflags=cache=loose \
                 mount=9p:data:/mnt/data argv=bin/echo argv=a%20b\n"
            ),
            "{machine} {virtio}: {log}"
        );
    }
    // QEMU itself refuses a bad share directory before anything boots: we do.
    let out = lintel()
        .args(["run", "--root"])
        .arg(&root)
        .args(["--share", "/nonexistent/dir:data:/mnt", "--", "/bin/echo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir"));
}

/// The log with the ` clock=SECONDS.NANOS` token (the host's time at launch,
/// always last on the command line) taken out, so lines compare exactly.
fn without_clock(log: &str) -> String {
    let mut out = String::new();
    for line in log.split_inclusive('\n') {
        match line.find(" clock=") {
            Some(i) if line.starts_with("lintel: cmdline:") => {
                let rest = &line[i + 7..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len());
                out.push_str(&line[..i]);
                out.push_str(&rest[end..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}
