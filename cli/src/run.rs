//! Running one program: initrd + command line, the virtiofsd daemons of
//! the virtio-fs shares, QEMU with the three serial channels, an optional
//! timeout, and the outcome.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::accel::{Accel, ResolvedAccel};
use crate::channels::{self, Connection, SerialListeners};
use crate::cmdline::{boot_cmdline_with_virtiofs, Boot, RootSpec};
use crate::cpio;
use crate::net::NetConfig;
use crate::ninep::{
    check_security_model, check_tag, share_dir, NinePDevice, RootFs, Share, VirtioMode,
};
use crate::outcome::{decide_outcome, LogScanner, Outcome, QemuEnd};
use crate::qemu::{qemu_args, qemu_binary, Machine, QemuConfig};
use crate::rootdir;
use crate::tempdir::TempDir;
use crate::virtiofs::{
    self, VirtiofsCache, VirtiofsDaemon, VirtiofsDevice, VirtiofsdChoice, DAEMON_START_TIMEOUT,
};

/// How long QEMU may take to connect to the serial sockets.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long QEMU may linger after the exit line before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// What the program reads on fd 0.
#[derive(Clone, Debug, Default)]
pub enum Stdin {
    /// Nothing: end of input at once.
    #[default]
    Null,
    /// These bytes, then end of input.
    Bytes(Vec<u8>),
    /// Our own stdin, forwarded as it comes.
    Inherit,
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The kernel ELF.
    pub kernel: PathBuf,
    /// Without [`root`](Self::root): the host path of the program, packed
    /// alone into the initrd as `/<file name>`. With a root: the program's
    /// path inside the root (`/bin/busybox`, or `bin/busybox` relative to it).
    pub program: PathBuf,
    /// A host directory that becomes the root file system: shared over
    /// virtio-9p ([`RootFs::NineP`]), over virtio-fs ([`RootFs::VirtioFs`],
    /// served by a virtiofsd started for the run) or packed whole into the
    /// initrd, which the kernel unpacks into the tmpfs mounted at `/`
    /// ([`RootFs::Initrd`], see [`crate::rootdir`]).
    pub root: Option<PathBuf>,
    /// How [`root`](Self::root) reaches the guest (ignored without a root).
    pub fs: RootFs,
    /// The mount tag of a 9p or virtio-fs root.
    pub tag: String,
    pub machine: Machine,
    /// The interfaces of every virtio-9p device.
    pub virtio: VirtioMode,
    /// QEMU's `-fsdev local` `security_model` for every share.
    pub security_model: String,
    /// 9p mount options of the root (`rootflags=`), e.g. `cache=loose`.
    pub rootflags: Option<String>,
    /// Extra host directories, each a virtio-9p device mounted at its path.
    pub shares: Vec<Share>,
    /// Extra host directories, each a virtio-fs device (and its own
    /// virtiofsd) mounted at its path, after the 9p shares.
    pub virtiofs_shares: Vec<Share>,
    /// Which virtiofsd serves the virtio-fs root and shares.
    pub virtiofsd: VirtiofsdChoice,
    /// The virtiofsd cache policy.
    pub cache: VirtiofsCache,
    /// `argv[0]` included.
    pub argv: Vec<OsString>,
    /// `KEY=VALUE` strings: the program's whole environment.
    pub env: Vec<OsString>,
    /// QEMU `-m` value.
    pub memory: String,
    pub timeout: Option<Duration>,
    pub accel: Accel,
    pub stdin: Stdin,
    /// Adds `quiet` to the kernel command line.
    pub quiet: bool,
    /// The network (none by default): a virtio-net device (offering the
    /// interfaces [`virtio`](Self::virtio) says) on QEMU user-mode
    /// networking with forwarded ports, or on a tap interface; `ip=`/`gw=`
    /// on the command line when static.
    pub net: NetConfig,
}

impl RunOptions {
    /// argv = [program as given], no environment, 512M, no timeout, automatic
    /// accelerator, empty stdin.
    pub fn new(kernel: PathBuf, program: PathBuf) -> Self {
        RunOptions {
            argv: vec![program.clone().into_os_string()],
            kernel,
            program,
            root: None,
            fs: RootFs::NineP,
            tag: "root".to_owned(),
            machine: Machine::Pc,
            virtio: VirtioMode::Transitional,
            security_model: "none".to_owned(),
            rootflags: None,
            shares: Vec::new(),
            virtiofs_shares: Vec::new(),
            virtiofsd: VirtiofsdChoice::Auto,
            cache: VirtiofsCache::Auto,
            env: Vec::new(),
            memory: "512M".to_owned(),
            timeout: None,
            accel: Accel::Auto,
            stdin: Stdin::Null,
            quiet: false,
            net: NetConfig::default(),
        }
    }
}

#[derive(Debug)]
pub struct RunResult {
    pub outcome: Outcome,
    /// COM1: the program's stdout.
    pub stdout: Vec<u8>,
    /// COM2: the program's stderr.
    pub stderr: Vec<u8>,
    /// COM3: the kernel log.
    pub log: Vec<u8>,
    pub accel: ResolvedAccel,
    /// From starting QEMU to its end.
    pub wall: Duration,
}

/// Where the three channels go.
pub struct Sinks {
    pub stdout: Box<dyn Write + Send>,
    pub stderr: Box<dyn Write + Send>,
    pub log: Box<dyn Write + Send>,
}

/// What [`run`] reports besides the bytes.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Outcome,
    pub accel: ResolvedAccel,
    pub wall: Duration,
}

/// Runs the program, capturing the three channels (for tests).
pub fn run_captured(opts: &RunOptions) -> io::Result<RunResult> {
    let (stdout, stderr, log) = (
        SharedBuf::default(),
        SharedBuf::default(),
        SharedBuf::default(),
    );
    let sinks = Sinks {
        stdout: Box::new(stdout.clone()),
        stderr: Box::new(stderr.clone()),
        log: Box::new(log.clone()),
    };
    let done = run(opts, sinks)?;
    Ok(RunResult {
        outcome: done.outcome,
        stdout: stdout.take(),
        stderr: stderr.take(),
        log: log.take(),
        accel: done.accel,
        wall: done.wall,
    })
}

/// Runs the program streaming: its stdout to our stdout, its stderr to our
/// stderr, the kernel log to `log` (`None` = discard), as the bytes arrive.
pub fn run_streaming(opts: &RunOptions, log: Option<Box<dyn Write + Send>>) -> io::Result<Outcome> {
    let sinks = Sinks {
        stdout: Box::new(io::stdout()),
        stderr: Box::new(io::stderr()),
        log: log.unwrap_or_else(|| Box::new(io::sink())),
    };
    Ok(run(opts, sinks)?.outcome)
}

/// The general form: each channel to its sink. `Err` means the run could not
/// start (no program, no QEMU, QEMU refused its arguments, a virtiofsd did
/// not start) or was stopped by a signal (kind `Interrupted`, see
/// [`crate::interrupt`]); anything else after the start is an [`Outcome`].
///
/// Whatever happens, QEMU and the virtiofsd daemons are gone and the
/// private temporary directory (sockets, initrd, daemon logs) is removed
/// when this returns: the guards below are dropped in reverse order, QEMU
/// first, then the daemons, then the directory.
/// Appends `clock=SECONDS.NANOS`, the wall clock now, so the guest's
/// realtime clock does not start at the RTC's whole second.
fn with_clock(mut cmdline: String) -> String {
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        cmdline.push_str(&format!(" clock={}.{:09}", d.as_secs(), d.subsec_nanos()));
    }
    cmdline
}

pub fn run(opts: &RunOptions, sinks: Sinks) -> io::Result<Finished> {
    let accel = opts.accel.resolve();
    if !opts.kernel.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("kernel image {} not found", opts.kernel.display()),
        ));
    }
    crate::interrupt::check()?;
    let tmp = TempDir::new()?;
    let prepared = prepare(opts, tmp.path())?;
    let mut daemons = start_daemons(opts, &prepared.virtiofs, tmp.path())?;
    let listeners = SerialListeners::bind(tmp.path())?;
    let config = QemuConfig {
        kernel: opts.kernel.clone(),
        initrd: prepared.initrd,
        cmdline: with_clock(prepared.cmdline),
        memory: opts.memory.clone(),
        accel,
        machine: opts.machine,
        ninep: prepared.ninep,
        net: opts.net.clone(),
        net_virtio: opts.virtio,
        serial_sockets: listeners.paths().clone(),
    };
    let devices: Vec<VirtiofsDevice> = daemons
        .iter()
        .zip(&prepared.virtiofs)
        .map(|(d, s)| VirtiofsDevice {
            socket: d.socket().to_owned(),
            tag: s.tag.clone(),
        })
        .collect();
    let mut args = qemu_args(&config);
    args.extend(virtiofs::qemu_args(&opts.memory, &devices));

    let qemu = qemu_binary();
    let start = Instant::now();
    let child = Command::new(&qemu)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let hint = if e.kind() == io::ErrorKind::NotFound {
                " (install the Debian package qemu-system-x86, or run `cargo lintel demo` as root)"
            } else {
                ""
            };
            io::Error::new(
                e.kind(),
                format!("starting {}: {e}{hint}", qemu.to_string_lossy()),
            )
        })?;
    let mut qemu = QemuGuard(child);
    let mut qemu_stderr = qemu.0.stderr.take().expect("piped");
    let stderr_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = qemu_stderr.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });

    let streams = match listeners.accept(&mut qemu.0, start + CONNECT_TIMEOUT)? {
        Connection::Connected(streams) => streams,
        Connection::QemuExited(status) => {
            let said = stderr_reader.join().unwrap_or_default();
            return Err(io::Error::other(format!(
                "QEMU exited ({status}) before connecting to the serial sockets: {}",
                said.trim()
            )));
        }
    };
    drop(listeners);

    let com1_in = streams.com1.try_clone()?;
    match opts.stdin.clone() {
        // Our stdin may never end: that thread is left behind, not joined.
        Stdin::Inherit => drop(thread::spawn(move || channels::forward_stdin(com1_in))),
        Stdin::Bytes(bytes) => drop(thread::spawn(move || channels::send_input(com1_in, &bytes))),
        Stdin::Null => drop(thread::spawn(move || channels::send_input(com1_in, &[]))),
    }
    let Sinks {
        stdout,
        stderr,
        log,
    } = sinks;
    let (com1, com2, com3) = (streams.com1, streams.com2, streams.com3);
    let stdout_pump = thread::spawn(move || channels::pump(com1, stdout, |_| {}));
    let stderr_pump = thread::spawn(move || channels::pump(com2, stderr, |_| {}));
    let exit_seen = Arc::new(AtomicBool::new(false));
    let log_pump = {
        let exit_seen = exit_seen.clone();
        thread::spawn(move || {
            let mut scanner = LogScanner::new();
            channels::pump(com3, log, |chunk| {
                scanner.feed(chunk);
                if scanner.event().is_some() {
                    exit_seen.store(true, Ordering::Relaxed);
                }
            });
            scanner.finish();
            scanner
        })
    };

    let deadline = opts.timeout.map(|t| start + t);
    let (status, timed_out) = wait(&mut qemu.0, deadline, &exit_seen, &mut daemons)?;
    let wall = start.elapsed();
    drop(daemons);

    let _ = stdout_pump.join();
    let _ = stderr_pump.join();
    let scanner = log_pump.join().unwrap_or_default();
    let said = stderr_reader.join().unwrap_or_default();
    // A Ctrl-C in a terminal reaches QEMU too, which may end first.
    crate::interrupt::check()?;
    let tail: Vec<&str> = scanner.tail().collect();
    let outcome = decide_outcome(
        scanner.event().cloned(),
        timed_out,
        qemu_end(status),
        &tail,
        &said,
    );
    Ok(Finished {
        outcome,
        accel,
        wall,
    })
}

/// A directory shared over virtio-fs: the root or a `--share-virtiofs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtiofsShare {
    /// The host directory (absolute).
    pub dir: PathBuf,
    pub tag: String,
}

/// What [`prepare`] makes ready.
#[derive(Debug)]
struct Prepared {
    /// The initrd, written into the temporary directory, when there is one.
    initrd: Option<PathBuf>,
    cmdline: String,
    /// The virtio-9p devices: the 9p root first, then the extra shares.
    ninep: Vec<NinePDevice>,
    /// The virtio-fs devices: the virtio-fs root first, then the extra shares.
    virtiofs: Vec<VirtiofsShare>,
}

/// Everything that boots besides the kernel: the initrd (written into
/// `tmp`) when there is one, the kernel command line, the virtio-9p
/// devices and the virtio-fs shares. Checks the program, the directories,
/// the tags and the security model before anything starts.
fn prepare(opts: &RunOptions, tmp: &Path) -> io::Result<Prepared> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    check_security_model(&opts.security_model).map_err(invalid)?;
    opts.net.check().map_err(invalid)?;
    let nine_p_root = opts.root.is_some() && opts.fs == RootFs::NineP;
    let virtiofs_root = opts.root.is_some() && opts.fs == RootFs::VirtioFs;
    if opts.rootflags.is_some() && !nine_p_root {
        return Err(invalid(
            "rootflags need a 9p root (--root DIR --fs 9p)".into(),
        ));
    }
    let device = |dir: &Path, tag: &str| -> io::Result<NinePDevice> {
        Ok(NinePDevice {
            path: share_dir(dir)?,
            tag: tag.to_owned(),
            security_model: opts.security_model.clone(),
            virtio: opts.virtio,
        })
    };
    let mut devices = Vec::new();
    let mut virtiofs = Vec::new();
    let mut initrd = None;
    let init = match &opts.root {
        Some(root) if nine_p_root => {
            check_tag(&opts.tag).map_err(invalid)?;
            let init = rootdir::init_path(root, &opts.program)?;
            devices.push(device(root, &opts.tag)?);
            init
        }
        Some(root) if virtiofs_root => {
            virtiofs::check_virtiofs_tag(&opts.tag).map_err(invalid)?;
            let init = rootdir::init_path(root, &opts.program)?;
            virtiofs.push(VirtiofsShare {
                dir: share_dir(root)?,
                tag: opts.tag.clone(),
            });
            init
        }
        _ => {
            let path = tmp.join("initrd.cpio");
            let init = write_initrd(opts, &path)?;
            initrd = Some(path);
            init
        }
    };
    let tag_taken = |tag: &str, devices: &[NinePDevice], virtiofs: &[VirtiofsShare]| {
        devices.iter().any(|d| d.tag == tag) || virtiofs.iter().any(|v| v.tag == tag)
    };
    let twice = |tag: &str| invalid(format!("the mount tag `{tag}` is used twice"));
    for share in &opts.shares {
        share.check().map_err(invalid)?;
        if tag_taken(&share.tag, &devices, &virtiofs) {
            return Err(twice(&share.tag));
        }
        devices.push(device(&share.dir, &share.tag)?);
    }
    for share in &opts.virtiofs_shares {
        share.check_virtiofs().map_err(invalid)?;
        if tag_taken(&share.tag, &devices, &virtiofs) {
            return Err(twice(&share.tag));
        }
        virtiofs.push(VirtiofsShare {
            dir: share_dir(&share.dir)?,
            tag: share.tag.clone(),
        });
    }
    let mounts: Vec<(&str, &str)> = opts
        .shares
        .iter()
        .map(|s| (s.tag.as_str(), s.at.as_str()))
        .collect();
    let virtiofs_mounts: Vec<(&str, &str)> = opts
        .virtiofs_shares
        .iter()
        .map(|s| (s.tag.as_str(), s.at.as_str()))
        .collect();
    let root = if nine_p_root {
        RootSpec::NineP {
            tag: &opts.tag,
            flags: opts.rootflags.as_deref(),
        }
    } else if virtiofs_root {
        RootSpec::VirtioFs { tag: &opts.tag }
    } else {
        RootSpec::Initrd
    };
    let cmdline = boot_cmdline_with_virtiofs(
        &Boot {
            init: &init,
            root,
            mounts: &mounts,
            ip: opts.net.ip,
            gw: opts.net.gw,
            argv: &opts.argv,
            env: &opts.env,
            quiet: opts.quiet,
        },
        &virtiofs_mounts,
    );
    Ok(Prepared {
        initrd,
        cmdline,
        ninep: devices,
        virtiofs,
    })
}

/// Starts one virtiofsd per virtio-fs share, each listening on
/// `tmp/vfsN.sock` and logging to `tmp/virtiofsdN.log`. When one fails,
/// those already started are stopped (dropped) before the error returns.
fn start_daemons(
    opts: &RunOptions,
    shares: &[VirtiofsShare],
    tmp: &Path,
) -> io::Result<Vec<VirtiofsDaemon>> {
    if shares.is_empty() {
        return Ok(Vec::new());
    }
    let daemon = opts.virtiofsd.resolve()?;
    let mut daemons = Vec::with_capacity(shares.len());
    for (i, share) in shares.iter().enumerate() {
        daemons.push(VirtiofsDaemon::start(
            &daemon,
            &share.dir,
            &tmp.join(format!("vfs{i}.sock")),
            opts.cache,
            &tmp.join(format!("virtiofsd{i}.log")),
            DAEMON_START_TIMEOUT,
        )?);
    }
    Ok(daemons)
}

/// Writes the initrd to `path` and returns the program's absolute path in it:
/// the program alone (`/<file name>`), or the whole root directory, streamed.
fn write_initrd(opts: &RunOptions, path: &Path) -> io::Result<Vec<u8>> {
    let Some(root) = &opts.root else {
        let name = opts.program.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} does not name a file", opts.program.display()),
            )
        })?;
        let program = std::fs::read(&opts.program).map_err(|e| {
            io::Error::new(e.kind(), format!("reading {}: {e}", opts.program.display()))
        })?;
        std::fs::write(
            path,
            cpio::single_program_archive(name.as_bytes(), &program)?,
        )?;
        let mut init = b"/".to_vec();
        init.extend_from_slice(name.as_bytes());
        return Ok(init);
    };
    let init = rootdir::init_path(root, &opts.program)?;
    let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let packed = rootdir::pack_root(root, out)?;
    for s in &packed.skipped {
        eprintln!(
            "lintel: skipping {} {} (not packed into the root)",
            s.kind,
            s.path.display()
        );
    }
    Ok(init)
}

/// Waits for QEMU to end. It is killed at the deadline (the run timed out),
/// or when it lingers after the exit line was logged. It is also killed,
/// and the run is an error, when a signal asks us to stop or when a
/// virtiofsd dies under it (the guest would wait for its replies forever).
fn wait(
    qemu: &mut Child,
    deadline: Option<Instant>,
    exit_seen: &AtomicBool,
    daemons: &mut [VirtiofsDaemon],
) -> io::Result<(ExitStatus, bool)> {
    let mut pause = Duration::from_millis(1);
    let mut exit_seen_at = None;
    loop {
        if let Some(status) = qemu.try_wait()? {
            return Ok((status, false));
        }
        let now = Instant::now();
        if exit_seen.load(Ordering::Relaxed) && now >= *exit_seen_at.get_or_insert(now + EXIT_GRACE)
        {
            return Ok((kill(qemu)?, false));
        }
        if deadline.is_some_and(|d| now >= d) {
            return Ok((kill(qemu)?, true));
        }
        if let Some(sig) = crate::interrupt::requested() {
            kill(qemu)?;
            return Err(crate::interrupt::interrupted(sig));
        }
        if let Some((daemon, status)) = daemons
            .iter_mut()
            .find_map(|d| d.exited().map(|status| (d, status)))
        {
            // A daemon also ends when QEMU is going away (it closes the socket
            // before it exits): after the guest's exit line, or if QEMU ends
            // within a moment, that is no failure.
            if exit_seen.load(Ordering::Relaxed) {
                if let Some(status) = qemu.try_wait()? {
                    return Ok((status, false));
                }
                thread::sleep(pause);
                continue;
            }
            let grace = Instant::now() + Duration::from_secs(1);
            while Instant::now() < grace {
                if let Some(status) = qemu.try_wait()? {
                    return Ok((status, false));
                }
                thread::sleep(Duration::from_millis(5));
            }
            kill(qemu)?;
            return Err(io::Error::other(format!(
                "the virtiofsd serving {} exited ({status}) while the machine ran:\n{}",
                daemon.socket().display(),
                daemon.log_tail()
            )));
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

fn kill(qemu: &mut Child) -> io::Result<ExitStatus> {
    let _ = qemu.kill();
    qemu.wait()
}

fn qemu_end(status: ExitStatus) -> QemuEnd {
    match (status.code(), status.signal()) {
        (Some(code), _) => QemuEnd::Code(code),
        (None, Some(sig)) => QemuEnd::Signal(sig),
        (None, None) => QemuEnd::Unknown,
    }
}

/// Kills and reaps QEMU on every path out of [`run`].
struct QemuGuard(Child);

impl Drop for QemuGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = kill(&mut self.0);
        }
    }
}

/// A byte buffer shared between a pump thread and the caller.
#[derive(Clone, Default)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
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
    fn defaults() {
        let o = RunOptions::new("/k".into(), "./hello".into());
        assert_eq!(o.argv, [OsString::from("./hello")]);
        assert!(o.env.is_empty());
        assert_eq!(o.memory, "512M");
        assert_eq!(o.timeout, None);
        assert_eq!(o.accel, Accel::Auto);
        assert_eq!(o.root, None);
        assert!(matches!(o.stdin, Stdin::Null));
        assert!(!o.quiet);
        assert_eq!(o.fs, RootFs::NineP);
        assert_eq!(o.tag, "root");
        assert_eq!(o.machine, Machine::Pc);
        assert_eq!(o.virtio, VirtioMode::Transitional);
        assert_eq!(o.security_model, "none");
        assert_eq!(o.rootflags, None);
        assert!(o.shares.is_empty());
        assert!(o.virtiofs_shares.is_empty());
        assert_eq!(o.virtiofsd, VirtiofsdChoice::Auto);
        assert_eq!(o.cache, VirtiofsCache::Auto);
    }

    fn root_with_program(t: &TempDir) -> PathBuf {
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("bin/prog"), b"\x7fELF").unwrap();
        root
    }

    #[test]
    fn nine_p_root_needs_no_initrd() {
        let t = TempDir::new().unwrap();
        let root = root_with_program(&t);
        let mut o = RunOptions::new("/k".into(), "bin/prog".into());
        o.root = Some(root.clone());
        o.argv = vec!["prog".into(), "a b".into()];
        o.rootflags = Some("cache=loose".into());
        let Prepared {
            initrd,
            cmdline,
            ninep: devices,
            virtiofs,
        } = prepare(&o, t.path()).unwrap();
        assert_eq!(initrd, None);
        assert!(virtiofs.is_empty());
        assert!(!t.path().join("initrd.cpio").exists());
        assert_eq!(
            cmdline,
            "init=/bin/prog root=9p:root rootflags=cache=loose argv=prog argv=a%20b"
        );
        assert_eq!(
            devices,
            [NinePDevice {
                path: std::fs::canonicalize(&root).unwrap(),
                tag: "root".into(),
                security_model: "none".into(),
                virtio: VirtioMode::Transitional,
            }]
        );
        // The program is still checked on the host.
        o.program = "/bin/missing".into();
        assert_eq!(
            prepare(&o, t.path()).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn virtio_fs_root_and_shares() {
        let t = TempDir::new().unwrap();
        let root = root_with_program(&t);
        let data = t.path().join("data");
        let more = t.path().join("more");
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(&more).unwrap();
        let mut o = RunOptions::new("/k".into(), "/bin/prog".into());
        o.root = Some(root.clone());
        o.fs = RootFs::VirtioFs;
        o.argv = vec!["prog".into()];
        o.shares = vec![Share {
            dir: data.clone(),
            tag: "data".into(),
            at: "/mnt/data".into(),
        }];
        o.virtiofs_shares = vec![Share {
            dir: more.clone(),
            tag: "more".into(),
            at: "/mnt/more".into(),
        }];
        let p = prepare(&o, t.path()).unwrap();
        assert_eq!(p.initrd, None);
        assert_eq!(
            p.cmdline,
            "init=/bin/prog root=virtiofs:root mount=9p:data:/mnt/data \
             mount=virtiofs:more:/mnt/more argv=prog"
        );
        assert_eq!(p.ninep.len(), 1);
        assert_eq!(p.ninep[0].tag, "data");
        assert_eq!(
            p.virtiofs,
            [
                VirtiofsShare {
                    dir: std::fs::canonicalize(&root).unwrap(),
                    tag: "root".into()
                },
                VirtiofsShare {
                    dir: std::fs::canonicalize(&more).unwrap(),
                    tag: "more".into()
                }
            ]
        );
        // An initrd root with a virtio-fs share.
        o.fs = RootFs::Initrd;
        let p = prepare(&o, t.path()).unwrap();
        assert!(p.initrd.is_some());
        assert_eq!(p.virtiofs.len(), 1);
        assert!(p.cmdline.contains(" root=initrd "), "{}", p.cmdline);
        // rootflags are 9p options; tags are unique across both kinds; a
        // virtio-fs root tag may have 36 bytes, no more.
        o.fs = RootFs::VirtioFs;
        let refused = |o: &RunOptions| prepare(o, t.path()).unwrap_err().kind();
        let mut bad = o.clone();
        bad.rootflags = Some("cache=loose".into());
        assert_eq!(refused(&bad), io::ErrorKind::InvalidInput);
        let mut bad = o.clone();
        bad.virtiofs_shares[0].tag = "data".into();
        assert_eq!(refused(&bad), io::ErrorKind::InvalidInput);
        let mut bad = o.clone();
        bad.virtiofs_shares[0].tag = "root".into();
        assert_eq!(refused(&bad), io::ErrorKind::InvalidInput);
        let mut bad = o.clone();
        bad.virtiofs_shares[0].dir = t.path().join("nope");
        assert_eq!(refused(&bad), io::ErrorKind::NotFound);
        let mut long = o.clone();
        long.tag = "t".repeat(36);
        assert!(prepare(&long, t.path()).is_ok());
        long.tag = "t".repeat(37);
        assert_eq!(refused(&long), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn initrd_root_and_shares() {
        let t = TempDir::new().unwrap();
        let root = root_with_program(&t);
        let data = t.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let mut o = RunOptions::new("/k".into(), "/bin/prog".into());
        o.root = Some(root);
        o.fs = RootFs::Initrd;
        o.argv = vec!["prog".into()];
        o.virtio = VirtioMode::Legacy;
        o.security_model = "mapped-xattr".into();
        o.shares = vec![Share {
            dir: data.clone(),
            tag: "data".into(),
            at: "/mnt/data".into(),
        }];
        let Prepared {
            initrd,
            cmdline,
            ninep: devices,
            ..
        } = prepare(&o, t.path()).unwrap();
        assert_eq!(initrd, Some(t.path().join("initrd.cpio")));
        assert!(t.path().join("initrd.cpio").is_file());
        assert_eq!(
            cmdline,
            "init=/bin/prog root=initrd mount=9p:data:/mnt/data argv=prog"
        );
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].tag, "data");
        assert_eq!(devices[0].security_model, "mapped-xattr");
        assert_eq!(devices[0].virtio, VirtioMode::Legacy);
        // rootflags without a 9p root.
        o.rootflags = Some("cache=loose".into());
        assert_eq!(
            prepare(&o, t.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn bad_tags_models_and_directories_are_refused() {
        let t = TempDir::new().unwrap();
        let root = root_with_program(&t);
        let base = {
            let mut o = RunOptions::new("/k".into(), "/bin/prog".into());
            o.root = Some(root.clone());
            o
        };
        let refused = |o: &RunOptions| prepare(o, t.path()).unwrap_err().kind();
        let mut o = base.clone();
        o.security_model = "mapped".into();
        assert_eq!(refused(&o), io::ErrorKind::InvalidInput);
        let mut o = base.clone();
        o.tag = "a:b".into();
        assert_eq!(refused(&o), io::ErrorKind::InvalidInput);
        let mut o = base.clone();
        o.shares = vec![Share {
            dir: root.clone(),
            tag: "root".into(),
            at: "/mnt".into(),
        }];
        assert_eq!(refused(&o), io::ErrorKind::InvalidInput);
        let mut o = base.clone();
        o.shares = vec![Share {
            dir: t.path().join("nope"),
            tag: "data".into(),
            at: "/mnt".into(),
        }];
        assert_eq!(refused(&o), io::ErrorKind::NotFound);
        let mut o = base;
        o.root = Some(t.path().join("nope"));
        assert_eq!(refused(&o), io::ErrorKind::NotFound);
    }

    #[test]
    fn missing_kernel_or_program_is_an_error() {
        let o = RunOptions::new("/nonexistent/kernel".into(), "/bin/true".into());
        assert_eq!(
            run_captured(&o).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let o = RunOptions::new("/bin/true".into(), "/nonexistent/prog".into());
        assert_eq!(
            run_captured(&o).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn initrd_of_one_program_or_of_a_root() {
        use crate::cpio::tests::parse;
        let t = TempDir::new().unwrap();
        let prog = t.path().join("hello");
        std::fs::write(&prog, b"\x7fELF").unwrap();
        let initrd = t.path().join("initrd");
        let o = RunOptions::new("/k".into(), prog);
        assert_eq!(write_initrd(&o, &initrd).unwrap(), b"/hello");
        let e = parse(&std::fs::read(&initrd).unwrap());
        assert_eq!(
            (e.len(), e[0].name.as_slice(), e[0].mode),
            (1, &b"hello"[..], 0o100755)
        );

        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::write(root.join("bin/prog"), b"\x7fELF").unwrap();
        let mut o = RunOptions::new("/k".into(), "bin/prog".into());
        o.root = Some(root.clone());
        assert_eq!(write_initrd(&o, &initrd).unwrap(), b"/bin/prog");
        let e = parse(&std::fs::read(&initrd).unwrap());
        let names: Vec<&[u8]> = e.iter().map(|e| e.name.as_slice()).collect();
        assert_eq!(names, [&b"bin"[..], b"bin/prog"]);
        o.program = "/bin/missing".into();
        assert_eq!(
            write_initrd(&o, &initrd).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn waiting_kills_at_the_deadline() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let t = Instant::now();
        let (status, timed_out) = wait(
            &mut child,
            Some(Instant::now() + Duration::from_millis(100)),
            &AtomicBool::new(false),
            &mut [],
        )
        .unwrap();
        assert!(timed_out);
        assert_eq!(status.signal(), Some(9));
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn waiting_returns_the_status() {
        let mut child = Command::new("sh").args(["-c", "exit 5"]).spawn().unwrap();
        let (status, timed_out) = wait(&mut child, None, &AtomicBool::new(false), &mut []).unwrap();
        assert!(!timed_out);
        assert_eq!(status.code(), Some(5));
    }

    #[test]
    fn guard_kills_on_drop() {
        let child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        drop(QemuGuard(child));
        // Reaped: no such process any more.
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    }
}
