//! Servers under test: a free port on the loopback, commands with a time
//! limit, waiting until a server answers, and a server process started in
//! the background — natively, or the `lintel` binary itself (`lintel run
//! --root DIR -p HOST:GUEST -- ...`, exactly as a user starts it), stopped
//! with SIGTERM as a user's Ctrl-C or `kill` would.
//!
//! A server's stdout and stderr go to files (no pipe can fill up and stall
//! it); a failing wait shows them, and for `lintel` the kernel log.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice
/// for port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// Runs `cmd` to its end, killing it after `limit`; `Err` names what ran
/// and why it failed to start or to end in time.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Result<Output, String> {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    // Read both pipes while waiting, so a chatty command cannot stall.
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what} did not end within {limit:?}"));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}

/// A process running in the background with its output in files; killed
/// (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    name: String,
    child: Child,
    status: Option<ExitStatus>,
    dir: TempDir,
    /// The kernel log of a `lintel run` ([`Server::lintel`]).
    kernel_log: Option<PathBuf>,
}

impl Server {
    /// Starts `program args`, stdin empty, with `env` added.
    pub fn start(name: &str, program: &Path, args: &[OsString], env: &[(&str, &OsStr)]) -> Server {
        let dir = TempDir::new().expect("a temporary directory");
        Server::spawn(name, program, args, env, dir, None)
    }

    fn spawn(
        name: &str,
        program: &Path,
        args: &[OsString],
        env: &[(&str, &OsStr)],
        dir: TempDir,
        kernel_log: Option<PathBuf>,
    ) -> Server {
        let stdout = File::create(dir.path().join("stdout")).unwrap();
        let stderr = File::create(dir.path().join("stderr")).unwrap();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        // A binary just copied into a root may still be open for writing
        // in a child another test thread forked meanwhile: ETXTBSY, briefly.
        let mut tries = 0;
        let child = loop {
            match cmd.spawn() {
                Err(e) if e.raw_os_error() == Some(26) && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("cannot start {name} ({}): {e}", program.display()),
                Ok(child) => break child,
            }
        };
        Server {
            name: name.to_owned(),
            child,
            status: None,
            dir,
            kernel_log,
        }
    }

    /// Starts the `lintel` binary at `lintel` as `lintel run RUN_ARGS`,
    /// with the kernel image of the tests (`LINTEL_KERNEL`), the
    /// accelerator of `LINTEL_ACCEL` and the kernel log in a file, e.g.
    /// `["--root", DIR, "-p", "8080:80", "--", "/sbin/nginx"]`.
    pub fn lintel(name: &str, lintel: &Path, run_args: &[OsString]) -> Server {
        let dir = TempDir::new().expect("a temporary directory");
        let log = dir.path().join("kernel.log");
        let mut args: Vec<OsString> = vec!["run".into(), "--log".into(), log.clone().into()];
        if let Ok(accel) = std::env::var("LINTEL_ACCEL") {
            if !accel.trim().is_empty() {
                args.push("--accel".into());
                args.push(accel.trim().into());
            }
        }
        args.extend(run_args.iter().cloned());
        let kernel = crate::kernel_path();
        eprintln!("{name}: {} {args:?}", lintel.display());
        Server::spawn(
            name,
            lintel,
            &args,
            &[("LINTEL_KERNEL", kernel.as_os_str())],
            dir,
            Some(log),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status once it has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// What it wrote so far: stdout, stderr.
    pub fn output(&self) -> (String, String) {
        let read = |f: &str| {
            String::from_utf8_lossy(&std::fs::read(self.dir.path().join(f)).unwrap_or_default())
                .into_owned()
        };
        (read("stdout"), read("stderr"))
    }

    /// The kernel log of a `lintel run` so far (empty for other servers).
    pub fn kernel_log(&self) -> String {
        self.kernel_log
            .as_ref()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
            .unwrap_or_default()
    }

    /// Everything it said, for a failure message.
    pub fn report(&self) -> String {
        let (out, err) = self.output();
        let mut r = format!(
            "--- {} stdout ---\n{out}--- {} stderr ---\n{err}",
            self.name, self.name
        );
        if self.kernel_log.is_some() {
            let log = self.kernel_log();
            let lines: Vec<&str> = log.lines().collect();
            r.push_str(&format!(
                "--- kernel log (last 60 lines) ---\n{}\n",
                lines[lines.len().saturating_sub(60)..].join("\n")
            ));
        }
        r.push_str("--- end ---");
        r
    }

    /// Polls `ready` every 250 ms until it returns true. Fails at once when
    /// the server ends first, and after `limit` otherwise; either way the
    /// message says what the server printed. Returns how long it took.
    pub fn wait_until(
        &mut self,
        what: &str,
        limit: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            if ready() {
                return Ok(start.elapsed());
            }
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{} ended ({status}) after {:.1?}, before {what}\n{}",
                    self.name,
                    start.elapsed(),
                    self.report()
                ));
            }
            if start.elapsed() >= limit {
                return Err(format!(
                    "{what}: no answer within {limit:?} from {}, which is still running\n{}",
                    self.name,
                    self.report()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Sends SIGTERM and waits up to `limit` for the end (then SIGKILL).
    pub fn stop(&mut self, limit: Duration) -> ExitStatus {
        if let Some(status) = self.exited() {
            return status;
        }
        signal(self.child.id(), "TERM");
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let status = self.child.wait().expect("waiting for the server");
        self.status = Some(status);
        panic!(
            "{} did not end within {limit:?} of SIGTERM (killed)\n{}",
            self.name,
            self.report()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited().is_none() {
            signal(self.child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && self.exited().is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            if self.exited().is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}

/// `kill -SIG pid` (std has no kill(2) with a signal).
fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
