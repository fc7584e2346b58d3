//! Suites of self-checking guest programs (`tests/guest/proc/`,
//! `tests/guest/net/`): each program compares its own results with what
//! Linux does, prints them and ends with "N lines, 0 unexpected". A test
//! runs it natively, then boots it once under Lintel as `/prog` in a root
//! holding only it, and wants the same stdout and status; the suite's
//! native checks prove the programs themselves are right and deterministic.

use std::os::unix::fs::PermissionsExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel::{Outcome, RunResult};

use crate::{
    assert_same_output, describe_difference, guest, guest_source_dir, run_lintel_root_with,
    run_native, Link, RootConfig,
};

/// A directory of programs under `tests/guest/`.
pub struct Suite {
    /// `proc`, `net`: the directory, and the prefix of the programs' names.
    pub dir: &'static str,
    /// Every program in it (checked against the directory).
    pub programs: &'static [&'static str],
    /// How long one native run may take.
    pub native_limit: Duration,
}

/// How long one boot may take: natively each program runs well under a
/// second, under TCG about 30 times slower; a hang (say, no preemption)
/// should not cost the default two minutes.
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Native {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: ExitStatus,
    pub took: Duration,
}

/// At most `max` bytes of `bytes` as text, for a message.
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= max {
        return text.into_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..cut], text.len())
}

impl Suite {
    fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.dir)
    }

    pub fn native(&self, name: &str) -> Native {
        let bin = guest(&self.path(name), Link::Static);
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
    fn assert_native_ok(&self, name: &str, n: &Native) {
        assert!(
            n.status.success(),
            "{} failed natively ({:?}): the program expects something Linux does not do\n\
             --- stderr ---\n{}--- stdout ---\n{}",
            self.path(name),
            n.status,
            String::from_utf8_lossy(&n.stderr),
            String::from_utf8_lossy(&n.stdout)
        );
    }

    /// Boots the program once, as `/prog` in a root holding only it, with
    /// `config` (its timeout [`BOOT_TIMEOUT`]).
    pub fn boot(&self, name: &str, config: RootConfig) -> RunResult {
        let bin = guest(&self.path(name), Link::Static);
        let dir = TempDir::new().expect("a temporary directory");
        let prog = dir.path().join("prog");
        std::fs::copy(&bin, &prog).expect("copying the program");
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = RootConfig {
            timeout: BOOT_TIMEOUT,
            ..config
        };
        run_lintel_root_with(dir.path(), "/prog", &[name], &[], &config)
    }

    /// The native run, then one Lintel boot: the same stdout, the same status.
    pub fn differential(&self, name: &str, config: RootConfig) {
        let n = self.native(name);
        self.assert_native_ok(name, &n);
        let r = self.boot(name, config);
        let what = format!(
            "{} (under Lintel: {})\n--- its stderr under Lintel ---\n{}\n--- end of stderr ---\n",
            self.path(name),
            r.outcome,
            excerpt(&r.stderr, 4000).trim_end()
        );
        assert_same_output(&what, &r.stdout, &n.stdout);
        assert_eq!(
            r.outcome,
            Outcome::Exited(n.status.code().unwrap_or(-1) as u8),
            "{}: the same output but a different ending\n--- stderr ---\n{}",
            self.path(name),
            String::from_utf8_lossy(&r.stderr)
        );
    }

    /// No QEMU: every program builds static, passes natively, prints the
    /// same twice, writes nothing to stderr and is quick. A failure here is
    /// a bug in the suite, not in Lintel.
    pub fn check_native_runs(&self) {
        for name in self.programs {
            let a = self.native(name);
            self.assert_native_ok(name, &a);
            let b = self.native(name);
            self.assert_native_ok(name, &b);
            let diff = describe_difference("first", &a.stdout, "second", &b.stdout);
            assert!(
                diff.is_empty(),
                "{} is not deterministic:\n{diff}",
                self.path(name)
            );
            assert!(
                a.took < self.native_limit,
                "{} took {:?} natively",
                self.path(name),
                a.took
            );
            let out = String::from_utf8_lossy(&a.stdout);
            assert!(
                out.ends_with(" 0 unexpected\n") && !out.contains("UNEXPECTED"),
                "{}: {out}",
                self.path(name)
            );
            assert!(
                a.stderr.is_empty(),
                "{} wrote to stderr natively: {}",
                self.path(name),
                String::from_utf8_lossy(&a.stderr)
            );
        }
    }

    /// No QEMU: `programs` names every `.c` file in the directory.
    pub fn check_program_list(&self) {
        let dir = guest_source_dir().join(self.dir);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.strip_suffix(".c").map(str::to_owned)
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = self.programs.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "the program list vs {}", dir.display());
    }
}
