//! Running one benchmark program in either guest, with the shared directory
//! as its root, and timing its output: every line of the program's stdout
//! is stamped with the time since the run started (just before QEMU is set
//! up), so the host sees when the first line arrived.
//!
//! Both guests get the same QEMU command line from [`qemu_args`] (machine
//! `pc`, the same accelerator and memory, the share as one transitional
//! virtio-9p device with the tag `root` or as one `vhost-user-fs-pci` device
//! with the tag `root` served by a fresh virtiofsd of the same binary, three
//! serial sockets, `isa-debug-exit`); only the kernel, the initrd and the
//! kernel command line differ. Lintel runs through the CLI's own [`crate::run::run`];
//! Linux through the same pieces here.
//!
//! A job with a network ([`Job::net`], the server rows) gives both the same
//! [`NetConfig`]: its QEMU arguments come from [`crate::net`] through
//! [`qemu_args`], as for `lintel run -p`; Lintel gets the static address on
//! its command line (`ip=`, `gw=`), Linux's `/init` as `lbnet=`.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::linux::{kernel_cmdline, net_param, LinuxGuest};
use crate::accel::{Accel, ResolvedAccel};
use crate::channels::{self, Connection, SerialListeners};
use crate::net::{NetConfig, USER_GATEWAY, USER_GUEST_ADDR};
use crate::ninep::{share_dir, NinePDevice, RootFs, VirtioMode};
use crate::outcome::Outcome;
use crate::qemu::{qemu_args, qemu_binary, Machine, QemuConfig};
use crate::run::{run, RunOptions, Sinks, Stdin};
use crate::tempdir::TempDir;
use crate::virtiofs::{
    self, VirtiofsCache, VirtiofsDaemon, VirtiofsDevice, VirtiofsdChoice, DAEMON_START_TIMEOUT,
};

/// The 9p `msize` both guests mount the share with.
pub const MSIZE: u32 = 512_000;

/// Which kernel runs the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guest {
    Lintel,
    Linux,
}

impl Guest {
    pub fn name(self) -> &'static str {
        match self {
            Guest::Lintel => "Lintel",
            Guest::Linux => "Linux",
        }
    }
}

/// How the share reaches the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareFs {
    /// virtio-9p, QEMU's own server.
    NineP,
    /// virtio-fs, served by a virtiofsd.
    VirtioFs,
}

/// The virtiofsd cache policy of the virtio-fs rows.
pub const VIRTIOFS_CACHE: VirtiofsCache = VirtiofsCache::Auto;

/// What to run.
#[derive(Clone, Debug)]
pub struct Job {
    /// `argv[0]` is the program's path in the share.
    pub argv: Vec<String>,
    pub fs: ShareFs,
    /// The cache mode: 9p's `none` or `loose`; virtio-fs: the daemon's
    /// policy ([`VIRTIOFS_CACHE`]).
    pub cache: String,
    /// QEMU `-m`.
    pub memory: String,
    pub timeout: Duration,
    /// The network: none for the benchmark programs; user-mode networking
    /// with a forwarded port and a static address for the servers.
    pub net: NetConfig,
}

impl Job {
    /// Over virtio-9p with the 9p cache mode `cache`.
    pub fn new(argv: &[&str], cache: &str) -> Job {
        Job {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            fs: ShareFs::NineP,
            cache: cache.to_owned(),
            memory: "512M".to_owned(),
            timeout: Duration::from_secs(600),
            net: NetConfig::default(),
        }
    }

    /// Over virtio-fs.
    pub fn virtiofs(argv: &[&str]) -> Job {
        Job {
            fs: ShareFs::VirtioFs,
            cache: VIRTIOFS_CACHE.name().to_owned(),
            ..Job::new(argv, "")
        }
    }
}

/// Everything both guests need.
#[derive(Clone, Debug)]
pub struct Machines {
    /// The Lintel kernel image.
    pub lintel: PathBuf,
    pub linux: LinuxGuest,
    /// The shared directory: each guest's root.
    pub share: PathBuf,
    pub accel: Accel,
}

/// How one run went.
#[derive(Clone, Debug)]
pub struct GuestRun {
    /// The program's output lines, each with its arrival time since the start.
    pub lines: Vec<(Duration, String)>,
    /// From the start to QEMU's end.
    pub wall: Duration,
    /// `Err` when the program did not exit with status 0 (or the machine failed).
    pub status: Result<(), String>,
    pub accel: ResolvedAccel,
    /// The rest the machine printed (Lintel: stderr and kernel log; Linux:
    /// the other serial ports), for diagnosis.
    pub other: String,
}

impl GuestRun {
    /// The program's output as text.
    pub fn stdout(&self) -> String {
        let mut s = String::new();
        for (_, l) in &self.lines {
            s.push_str(l);
            s.push('\n');
        }
        s
    }

    /// When the first line starting with `prefix` arrived.
    pub fn first_line_at(&self, prefix: &str) -> Option<Duration> {
        self.lines
            .iter()
            .find(|(_, l)| l.starts_with(prefix))
            .map(|(t, _)| *t)
    }
}

impl Machines {
    pub fn run(&self, guest: Guest, job: &Job) -> io::Result<GuestRun> {
        match guest {
            Guest::Lintel => run_lintel(&self.lintel, &self.share, job, self.accel),
            Guest::Linux => run_linux(&self.linux, &self.share, job, self.accel),
        }
    }
}

/// Lintel with `share` as its root (9p or virtio-fs), through
/// [`crate::run::run`].
pub fn run_lintel(kernel: &Path, share: &Path, job: &Job, accel: Accel) -> io::Result<GuestRun> {
    let start = Instant::now();
    let stdout = LineClock::new(start);
    let other = LineClock::new(start);
    let mut o = RunOptions::new(kernel.to_owned(), PathBuf::from(&job.argv[0]));
    o.root = Some(share.to_owned());
    o.argv = job.argv.iter().map(Into::into).collect();
    match job.fs {
        ShareFs::NineP => o.rootflags = Some(format!("msize={MSIZE},cache={}", job.cache)),
        ShareFs::VirtioFs => {
            o.fs = RootFs::VirtioFs;
            o.virtiofsd = VirtiofsdChoice::Auto;
            o.cache = VIRTIOFS_CACHE;
        }
    }
    o.memory = job.memory.clone();
    o.timeout = Some(job.timeout);
    o.net = job.net.clone();
    o.accel = accel;
    o.stdin = Stdin::Null;
    o.quiet = true;
    let sinks = Sinks {
        stdout: Box::new(stdout.clone()),
        stderr: Box::new(other.clone()),
        log: Box::new(other.clone()),
    };
    let done = run(&o, sinks)?;
    let wall = start.elapsed();
    let status = match done.outcome {
        Outcome::Exited(0) => Ok(()),
        outcome => Err(outcome.to_string()),
    };
    Ok(GuestRun {
        lines: stdout.take(),
        wall,
        status,
        accel: done.accel,
        other: other.text(),
    })
}

/// How long QEMU may take to connect to the serial sockets.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Debian's kernel with the bench initramfs, `share` mounted by tag and the
/// program run chrooted into it.
pub fn run_linux(
    linux: &LinuxGuest,
    share: &Path,
    job: &Job,
    accel: Accel,
) -> io::Result<GuestRun> {
    run_linux_until(linux, share, job, accel, None)
}

/// [`run_linux`], also ending the machine (status `Err`, "stopped by the
/// host") as soon as `stop` is set: how the host ends a server.
pub fn run_linux_until(
    linux: &LinuxGuest,
    share: &Path,
    job: &Job,
    accel: Accel,
    stop: Option<&AtomicBool>,
) -> io::Result<GuestRun> {
    let accel = accel.resolve();
    let start = Instant::now();
    let tmp = TempDir::new()?;
    let share = share_dir(share)?;
    // As crate::run does for Lintel: the daemon first, stopped when dropped.
    let mut daemon = None;
    let (ninep, fs_params) = match job.fs {
        ShareFs::NineP => (
            vec![NinePDevice {
                path: share.clone(),
                tag: "root".to_owned(),
                security_model: "none".to_owned(),
                virtio: VirtioMode::Transitional,
            }],
            format!(
                "lbfs=9p lbmount=trans=virtio,version=9p2000.L,msize={MSIZE},cache={}",
                job.cache
            ),
        ),
        ShareFs::VirtioFs => {
            daemon = Some(VirtiofsDaemon::start(
                &VirtiofsdChoice::Auto.resolve()?,
                &share,
                &tmp.path().join("vfs0.sock"),
                VIRTIOFS_CACHE,
                &tmp.path().join("virtiofsd0.log"),
                DAEMON_START_TIMEOUT,
            )?);
            (Vec::new(), "lbfs=virtiofs".to_owned())
        }
    };
    let mut params = fs_params;
    if job.net.enabled() {
        // QEMU's DHCP would hand out the same address; static is quicker.
        let ip = job.net.ip.unwrap_or(USER_GUEST_ADDR);
        let gw = job.net.gw.or(job.net.ip.is_none().then_some(USER_GATEWAY));
        params = format!("{params} {}", net_param(ip, gw));
    }
    let listeners = SerialListeners::bind(tmp.path())?;
    let config = QemuConfig {
        kernel: linux.vmlinuz.clone(),
        initrd: Some(linux.initramfs.clone()),
        cmdline: kernel_cmdline(&params, &job.argv),
        memory: job.memory.clone(),
        accel,
        machine: Machine::Pc,
        ninep,
        net: job.net.clone(),
        net_virtio: VirtioMode::Transitional,
        serial_sockets: listeners.paths().clone(),
    };
    let mut args = qemu_args(&config);
    if let Some(d) = &daemon {
        args.extend(virtiofs::qemu_args(
            &job.memory,
            &[VirtiofsDevice {
                socket: d.socket().to_owned(),
                tag: "root".to_owned(),
            }],
        ));
    }
    let child = Command::new(qemu_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting QEMU: {e}")))?;
    let mut qemu = Reaper(child);
    let mut qemu_stderr = qemu.0.stderr.take().expect("piped");
    let stderr_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = qemu_stderr.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let streams = match listeners.accept(&mut qemu.0, start + CONNECT_TIMEOUT)? {
        Connection::Connected(s) => s,
        Connection::QemuExited(status) => {
            let said = stderr_reader.join().unwrap_or_default();
            return Err(io::Error::other(format!(
                "QEMU exited ({status}) before connecting: {}",
                said.trim()
            )));
        }
    };
    drop(listeners);
    let stdout = LineClock::new(start);
    let other = LineClock::new(start);
    let pumps: Vec<_> = [
        (streams.com1, stdout.clone()),
        (streams.com2, other.clone()),
        (streams.com3, other.clone()),
    ]
    .into_iter()
    .map(|(s, sink)| thread::spawn(move || channels::pump(s, Box::new(sink), |_| {})))
    .collect();

    let deadline = start + job.timeout;
    let mut pause = Duration::from_millis(1);
    let mut stopped = false;
    let (status, timed_out) = loop {
        if let Some(status) = qemu.0.try_wait()? {
            break (status, false);
        }
        if Instant::now() >= deadline {
            let _ = qemu.0.kill();
            break (qemu.0.wait()?, true);
        }
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            let _ = qemu.0.kill();
            stopped = true;
            break (qemu.0.wait()?, false);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    };
    for p in pumps {
        let _ = p.join();
    }
    let wall = start.elapsed();
    let said = stderr_reader.join().unwrap_or_default();
    drop(daemon);
    let lines = stdout.take();
    let exit = lines
        .iter()
        .find_map(|(_, l)| l.strip_prefix("BENCH-EXIT status="))
        .map(str::to_owned);
    let status = match (exit.as_deref(), timed_out) {
        (None, _) if stopped => Err(STOPPED.to_owned()),
        (_, true) => Err(format!("timed out after {:?}", job.timeout)),
        (Some("0"), _) => Ok(()),
        (Some(s), _) => Err(format!("exited with status {s}")),
        (None, _) => Err(format!(
            "no BENCH-EXIT line (QEMU {status}); {}",
            said.trim()
        )),
    };
    Ok(GuestRun {
        lines,
        wall,
        status,
        accel,
        other: other.text(),
    })
}

/// The status of a Linux run that [`run_linux_until`] stopped.
pub const STOPPED: &str = "stopped by the host";

/// Kills and reaps QEMU on every way out.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A sink that splits what it is given into lines, each stamped with its
/// arrival time since `start` (`\r` dropped).
#[derive(Clone)]
pub struct LineClock(Arc<Mutex<ClockState>>);

struct ClockState {
    start: Instant,
    partial: Vec<u8>,
    partial_at: Option<Duration>,
    lines: Vec<(Duration, String)>,
}

impl LineClock {
    pub fn new(start: Instant) -> LineClock {
        LineClock(Arc::new(Mutex::new(ClockState {
            start,
            partial: Vec::new(),
            partial_at: None,
            lines: Vec::new(),
        })))
    }

    /// Feeds bytes that arrived at `at` (since the start).
    pub fn feed(&self, at: Duration, bytes: &[u8]) {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut s.partial);
                s.partial_at = None;
                s.lines.push((at, text(&line)));
            } else if b != b'\r' {
                if s.partial.is_empty() {
                    s.partial_at = Some(at);
                }
                s.partial.push(b);
            }
        }
    }

    /// The lines so far, the unfinished last one included.
    pub fn take(&self) -> Vec<(Duration, String)> {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut lines = std::mem::take(&mut s.lines);
        if !s.partial.is_empty() {
            let at = s.partial_at.take().unwrap_or_default();
            lines.push((at, text(&std::mem::take(&mut s.partial))));
        }
        lines
    }

    fn text(&self) -> String {
        let lines = self.take();
        lines.into_iter().map(|(_, l)| l + "\n").collect()
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Write for LineClock {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let at = {
            let s = self.0.lock().unwrap_or_else(|e| e.into_inner());
            s.start.elapsed()
        };
        self.feed(at, buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_stamped_when_they_end() {
        let c = LineClock::new(Instant::now());
        let ms = Duration::from_millis;
        c.feed(ms(5), b"BENCH a");
        c.feed(ms(7), b"=1\r\nsecond\n\nthi");
        c.feed(ms(9), b"rd");
        assert_eq!(
            c.take(),
            [
                (ms(7), "BENCH a=1".to_owned()),
                (ms(7), "second".to_owned()),
                (ms(7), String::new()),
                (ms(7), "third".to_owned()),
            ]
        );
        assert!(c.take().is_empty());
    }

    #[test]
    fn first_line_with_a_prefix() {
        let ms = Duration::from_millis;
        let r = GuestRun {
            lines: vec![
                (ms(1), "[ 0.1] kernel says".into()),
                (ms(3), "BENCH name=x value=1 unit=ms".into()),
                (ms(4), "BENCH-EXIT status=0".into()),
            ],
            wall: ms(5),
            status: Ok(()),
            accel: ResolvedAccel::Tcg,
            other: String::new(),
        };
        assert_eq!(r.first_line_at("BENCH "), Some(ms(3)));
        assert_eq!(r.first_line_at("nope"), None);
        assert!(r.stdout().starts_with("[ 0.1] kernel says\nBENCH name=x"));
    }
}
