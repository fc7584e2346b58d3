//! Processes, threads, signals, timers and readiness: the programs in
//! `tests/guest/proc/` run natively on the host and under Lintel (one boot
//! each) and must print the same lines and exit with the same status (0).
//! Then busybox's shell (Debian's static `/bin/busybox`) runs pipelines,
//! command substitution, subshells, traps and background jobs on a small
//! root tree, natively chrooted into a copy and under Lintel with the tree
//! as a 9p root.
//!
//! Programs:
//! - `threads`: pthreads (join values, mutex, condvars, TLS, barrier,
//!   pthread_exit, detach, tids), the futex system call, sched_*, tgkill;
//! - `preempt`: threads and processes that never make a system call;
//! - `time`: clocks, nanosleep/clock_nanosleep, itimers/alarm, times,
//!   getrusage, timerfd, eventfd;
//! - `signals`: siginfo/ucontext, masks, pending and queued signals,
//!   SA_* flags, sigsuspend, sigtimedwait, sigaltstack, faults, default
//!   actions;
//! - `fork`: fork/COW, shared mappings, pipes, execve of itself (found
//!   through /proc/self/exe), wait4/waitid, SIGCHLD, zombies, sessions,
//!   vfork, posix_spawn, a pipeline, threads and processes, orphans;
//! - `select`: poll/ppoll/select/pselect6.
//!
//! Each boots once with a root holding just the program, as `/prog`: the
//! first four from the initrd (a tmpfs root), `fork` and `select` (which
//! use /dev/shm and /dev/null and exec themselves) over 9p, the product
//! path. A boot may take at most 60 s.
//!
//! Each program checks its own results against what Linux does, so a native
//! run that fails means the program is wrong, not Lintel
//! (`proc_programs_pass_natively_and_deterministically`, no QEMU).
//!
//! Run: `cargo lintel test -p lintel-tests --test processes` (or with
//! `LINTEL_KERNEL` set, `cargo test -p lintel-tests --test processes`);
//! only the native checks: `cargo test -p lintel-tests --test processes native`.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use lintel::tempdir::TempDir;
use lintel::Outcome;
use lintel_tests::suite::{Suite, BOOT_TIMEOUT};
use lintel_tests::{
    assert_same_output, copy_tree, describe_difference, is_root, run_lintel_root_with,
    run_native_chroot, RootConfig,
};

const PROC: Suite = Suite {
    dir: "proc",
    programs: &[
        "threads", "preempt", "time", "signals", "fork", "select", "epoll",
    ],
    native_limit: Duration::from_secs(3),
};

/// The programs booted with a 9p root rather than the initrd.
const WITH_9P: &[&str] = &["fork", "select"];

/// The native run, then one Lintel boot from the initrd, or over 9p for
/// [`WITH_9P`].
fn differential(name: &str) {
    let config = if WITH_9P.contains(&name) {
        RootConfig::default()
    } else {
        RootConfig::initrd()
    };
    PROC.differential(name, config);
}

#[test]
fn proc_threads() {
    differential("threads");
}

#[test]
fn proc_preempt() {
    differential("preempt");
}

#[test]
fn proc_time() {
    differential("time");
}

#[test]
fn proc_signals() {
    differential("signals");
}

#[test]
fn proc_fork() {
    differential("fork");
}

#[test]
fn proc_select() {
    differential("select");
}

#[test]
fn proc_epoll() {
    differential("epoll");
}

#[test]
fn proc_programs_pass_natively_and_deterministically() {
    PROC.check_native_runs();
}

#[test]
fn proc_program_list_is_complete_native() {
    PROC.check_program_list();
}

// --- busybox sh ------------------------------------------------------------

const BUSYBOX: &str = "/bin/busybox";

/// The applets the shell runs by name, as symlinks in `/bin`.
const APPLETS: &[&str] = &["sh", "wc", "ls", "sort", "head", "cat", "grep", "sleep"];

/// The two one-liners, run in one `sh -c` (one boot).
const COUNT_LINES: &str = "for i in 1 2 3; do echo $i; done | wc -l";
const LIST_ROOT: &str = "ls / | sort | head -3";

/// `/script.sh`: functions, `$?`, command substitution, pipelines,
/// subshells, redirections, a here-document, a trap, background jobs
/// (one waited for, one killed), `sh -c` and the exit status.
const SCRIPT: &str = r#"greet() {
	echo "hello, $1"
	return 3
}
greet world
echo "status: $?"
n=$(echo a b c | wc -w)
echo "words: $n"
for i in 1 2 3 4 5; do echo "item $i"; done | grep -v 3 | wc -l
(cd /bin && echo "in a subshell: $(pwd)"; exit 4)
echo "subshell status: $?"
echo "cwd: $(pwd)"
echo first > /tmp/out.txt
echo second >> /tmp/out.txt
cat /tmp/out.txt
wc -l < /tmp/out.txt
x=0
while [ $x -lt 5 ]; do x=$((x + 1)); done
echo "x=$x"
false || echo "false failed"
true && echo "true worked"
sh -c 'exit 7'
echo "child sh: $?"
while read a b; do echo "$b $a"; done <<END
one 1
two 2
END
trap 'echo trapped USR1' USR1
kill -USR1 $$
echo "after the trap"
sleep 0.1 &
wait $!
echo "background sleep: $?"
sleep 5 &
kill $!
wait $!
echo "killed sleep: $?"
case "$(head -1 /tmp/out.txt)" in f*) echo "case matched";; esac
echo done
exit 5
"#;

/// The tree: `/bin/busybox` and its applet links, `/script.sh`, and the
/// directories Lintel mounts on (`/dev`, `/proc`, `/tmp`), so that `ls /`
/// lists the same names both ways.
fn shell_tree() -> TempDir {
    assert!(
        Path::new(BUSYBOX).exists(),
        "{BUSYBOX} is missing: install Debian's busybox-static (`cargo lintel test` does)"
    );
    let t = TempDir::new().unwrap();
    let r = t.path();
    for d in ["bin", "dev", "proc", "tmp"] {
        std::fs::create_dir(r.join(d)).unwrap();
    }
    std::fs::set_permissions(r.join("tmp"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::copy(BUSYBOX, r.join("bin/busybox")).unwrap();
    for a in APPLETS {
        symlink("busybox", r.join("bin").join(a)).unwrap();
    }
    std::fs::write(r.join("script.sh"), SCRIPT).unwrap();
    t
}

#[derive(Debug)]
struct ShellRun {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

const SHELL_ENV: &[&str] = &["PATH=/bin"];

/// Natively, chrooted into a copy of the tree, with a real `/dev/null`
/// there (ash opens it for background jobs; under Lintel devfs has one).
fn shell_native(base: &Path, argv: &[&str]) -> ShellRun {
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    copy_tree(base, &root).unwrap();
    let null = root.join("dev/null");
    let ok = Command::new("mknod")
        .args(["-m", "666"])
        .arg(&null)
        .args(["c", "1", "3"])
        .status()
        .expect("running mknod");
    assert!(ok.success(), "mknod {} failed", null.display());
    let (stdout, stderr, status) = run_native_chroot(&root, argv, SHELL_ENV);
    ShellRun {
        stdout,
        stderr,
        code: status.code(),
    }
}

fn shell_lintel(base: &Path, argv: &[&str]) -> ShellRun {
    let config = RootConfig {
        timeout: BOOT_TIMEOUT,
        ..Default::default()
    };
    let r = run_lintel_root_with(base, BUSYBOX, argv, SHELL_ENV, &config);
    let code = match r.outcome {
        Outcome::Exited(c) => Some(i32::from(c)),
        ref other => panic!(
            "busybox {argv:?} under Lintel did not exit: {other}\n--- stdout ---\n{}--- stderr ---\n{}",
            String::from_utf8_lossy(&r.stdout),
            String::from_utf8_lossy(&r.stderr)
        ),
    };
    ShellRun {
        stdout: r.stdout,
        stderr: r.stderr,
        code,
    }
}

fn skip_unless_root() -> bool {
    if is_root() {
        return false;
    }
    eprintln!("skipping: running busybox natively in a chroot needs root");
    true
}

/// Runs `argv` natively (checking its output with `check_native`) and under
/// Lintel; stdout, stderr and the exit status must match.
fn shell_differential(argv: &[&str], code: i32, check_native: impl Fn(&str)) {
    if skip_unless_root() {
        return;
    }
    let base = shell_tree();
    let n = shell_native(base.path(), argv);
    let out = String::from_utf8_lossy(&n.stdout);
    assert_eq!(
        n.code,
        Some(code),
        "{argv:?} natively: unexpected status\n--- stdout ---\n{out}--- stderr ---\n{}",
        String::from_utf8_lossy(&n.stderr)
    );
    check_native(&out);
    let l = shell_lintel(base.path(), argv);
    let what = argv.join(" ");
    assert_same_output(&format!("{what}: stdout"), &l.stdout, &n.stdout);
    assert_same_output(&format!("{what}: stderr"), &l.stderr, &n.stderr);
    assert_eq!(l.code, n.code, "{what}: exit status");
}

#[test]
fn busybox_sh_pipelines() {
    let cmd = format!("{COUNT_LINES}; {LIST_ROOT}");
    shell_differential(&[BUSYBOX, "sh", "-c", &cmd], 0, |out| {
        assert_eq!(out, "3\nbin\ndev\nproc\n");
    });
}

#[test]
fn busybox_sh_script() {
    shell_differential(&[BUSYBOX, "sh", "/script.sh"], 5, |out| {
        for line in [
            "hello, world\n",
            "status: 3\n",
            "words: 3\n",
            "in a subshell: /bin\nsubshell status: 4\ncwd: /\n",
            "first\nsecond\n2\n",
            "child sh: 7\n",
            "trapped USR1\nafter the trap\n",
            "background sleep: 0\n",
            "killed sleep: 143\n",
            "done\n",
        ] {
            assert!(out.contains(line), "no {line:?} in:\n{out}");
        }
    });
}

/// No QEMU: the shell's native runs are deterministic.
#[test]
fn busybox_sh_native_runs_are_deterministic() {
    if skip_unless_root() {
        return;
    }
    let base = shell_tree();
    let cmd = format!("{COUNT_LINES}; {LIST_ROOT}");
    for argv in [
        &[BUSYBOX, "sh", "-c", cmd.as_str()][..],
        &[BUSYBOX, "sh", "/script.sh"][..],
    ] {
        let a = shell_native(base.path(), argv);
        let b = shell_native(base.path(), argv);
        let d = describe_difference("first", &a.stdout, "second", &b.stdout);
        assert!(d.is_empty(), "{argv:?}:\n{d}");
        assert_eq!(a.stderr, b.stderr, "{argv:?}");
        assert_eq!(a.code, b.code, "{argv:?}");
    }
}
