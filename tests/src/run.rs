//! Booting the real kernel in QEMU through the `lintel` library.

use lintel::{
    Accel, Machine, RootFs, RunOptions, RunResult, Share, Stdin, VirtioMode, VirtiofsCache,
    VirtiofsdChoice,
};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

/// How long one guest run may take (TCG on a loaded 2-core CI machine).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// The kernel image, found or built once per test process.
fn kernel() -> PathBuf {
    static KERNEL: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match KERNEL.get_or_init(|| lintel::kernel_image().map_err(|e| e.to_string())) {
        Ok(path) => path.clone(),
        Err(e) => panic!("no Lintel kernel image (set LINTEL_KERNEL or let lintel build it): {e}"),
    }
}

/// The kernel image the tests boot (`LINTEL_KERNEL`, or built once per
/// test process), for tests that start the `lintel` binary themselves.
pub fn kernel_path() -> PathBuf {
    kernel()
}

/// `LINTEL_ACCEL=auto|kvm|tcg` (default `auto`).
fn accel_from_env() -> Accel {
    match std::env::var("LINTEL_ACCEL").as_deref().map(str::trim) {
        Err(_) | Ok("") | Ok("auto") => Accel::Auto,
        Ok("kvm") => Accel::Kvm,
        Ok("tcg") => Accel::Tcg,
        Ok(other) => panic!("LINTEL_ACCEL={other:?}: expected auto, kvm or tcg"),
    }
}

/// A counting semaphore bounding how many QEMU instances run at once, so that
/// parallel tests under TCG do not starve each other into timeouts.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

struct SlotGuard(&'static Slots);

impl Slots {
    fn acquire(&'static self) -> SlotGuard {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

fn slots() -> &'static Slots {
    static SLOTS: OnceLock<Slots> = OnceLock::new();
    SLOTS.get_or_init(|| {
        let n = std::env::var("LINTEL_TEST_JOBS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        Slots {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    })
}

/// Runs the static ELF at `path` under Lintel in QEMU with exactly `argv`
/// (`argv[0]` included) and `env` (`"KEY=VALUE"`), stdin empty, a 120 s
/// timeout and the accelerator from `LINTEL_ACCEL`.
///
/// The run's outcome and the kernel log are written to stderr, which the test
/// runner shows only when the test fails, so a failing test explains itself.
/// Panics if QEMU cannot be started at all.
pub fn run_lintel(path: &Path, argv: &[&str], env: &[&str]) -> RunResult {
    run_lintel_with_stdin(path, argv, env, Stdin::Null)
}

/// Like [`run_lintel`], with the given stdin.
pub fn run_lintel_with_stdin(path: &Path, argv: &[&str], env: &[&str], stdin: Stdin) -> RunResult {
    run_with(None, path, argv, env, stdin)
}

/// How a root directory is booted: [`RootConfig::default`] is the product
/// path, a virtio-9p root (transitional device, machine `pc`,
/// `security_model=none`), with the 120 s timeout and 512M;
/// [`RootConfig::virtiofs`] the virtio-fs root (the Rust virtiofsd when
/// there is one, `cache=auto`).
#[derive(Clone, Debug)]
pub struct RootConfig {
    pub fs: RootFs,
    pub virtio: VirtioMode,
    pub machine: Machine,
    pub security_model: String,
    pub rootflags: Option<String>,
    pub shares: Vec<Share>,
    /// Extra directories shared over virtio-fs.
    pub virtiofs_shares: Vec<Share>,
    /// The virtio-fs daemon.
    pub virtiofsd: VirtiofsdChoice,
    /// Its cache policy.
    pub cache: VirtiofsCache,
    /// QEMU `-m`.
    pub memory: String,
    pub timeout: Duration,
}

impl Default for RootConfig {
    fn default() -> Self {
        RootConfig {
            fs: RootFs::NineP,
            virtio: VirtioMode::Transitional,
            machine: Machine::Pc,
            security_model: "none".to_owned(),
            rootflags: None,
            shares: Vec::new(),
            virtiofs_shares: Vec::new(),
            virtiofsd: VirtiofsdChoice::Auto,
            cache: VirtiofsCache::Auto,
            memory: "512M".to_owned(),
            timeout: RUN_TIMEOUT,
        }
    }
}

impl RootConfig {
    /// The initrd root: the tree packed and unpacked into a tmpfs.
    pub fn initrd() -> Self {
        RootConfig {
            fs: RootFs::Initrd,
            ..Default::default()
        }
    }

    /// The virtio-fs root, served by `virtiofsd` with the cache policy `cache`.
    pub fn virtiofs(virtiofsd: VirtiofsdChoice, cache: VirtiofsCache) -> Self {
        RootConfig {
            fs: RootFs::VirtioFs,
            virtiofsd,
            cache,
            ..Default::default()
        }
    }

    /// A short description for messages, e.g. `9p modern q35 mapped-xattr`
    /// or `virtiofs rust cache=auto`.
    pub fn describe(&self) -> String {
        match self.fs {
            RootFs::Initrd => "initrd".to_owned(),
            RootFs::VirtioFs => {
                format!("virtiofs {:?} cache={}", self.virtiofsd, self.cache.name()).to_lowercase()
            }
            RootFs::NineP => format!(
                "9p {:?} {} {}",
                self.virtio,
                self.machine.name(),
                self.security_model
            )
            .to_lowercase(),
        }
    }
}

/// Runs `program`, a path inside the host directory `root` (e.g.
/// `/bin/busybox`), under Lintel with `root` as the root file system, shared
/// over virtio-9p (`lintel run --root`), otherwise like [`run_lintel`].
pub fn run_lintel_root(root: &Path, program: &str, argv: &[&str], env: &[&str]) -> RunResult {
    run_lintel_root_with(root, program, argv, env, &RootConfig::default())
}

/// Like [`run_lintel_root`], booted as `config` says.
pub fn run_lintel_root_with(
    root: &Path,
    program: &str,
    argv: &[&str],
    env: &[&str],
    config: &RootConfig,
) -> RunResult {
    run_with(
        Some((root, config)),
        Path::new(program),
        argv,
        env,
        Stdin::Null,
    )
}

fn run_with(
    root: Option<(&Path, &RootConfig)>,
    path: &Path,
    argv: &[&str],
    env: &[&str],
    stdin: Stdin,
) -> RunResult {
    let mut opts = RunOptions::new(kernel(), path.to_path_buf());
    opts.argv = argv.iter().map(OsString::from).collect();
    opts.env = env.iter().map(OsString::from).collect();
    opts.timeout = Some(RUN_TIMEOUT);
    opts.accel = accel_from_env();
    opts.stdin = stdin;
    opts.quiet = false;
    if let Some((dir, c)) = root {
        opts.root = Some(dir.to_path_buf());
        opts.fs = c.fs;
        opts.virtio = c.virtio;
        opts.machine = c.machine;
        opts.security_model = c.security_model.clone();
        opts.rootflags = c.rootflags.clone();
        opts.shares = c.shares.clone();
        opts.virtiofs_shares = c.virtiofs_shares.clone();
        opts.virtiofsd = c.virtiofsd;
        opts.cache = c.cache;
        opts.memory = c.memory.clone();
        opts.timeout = Some(c.timeout);
    }

    let result = {
        let _slot = slots().acquire();
        lintel::run_captured(&opts)
    };
    match result {
        Ok(r) => {
            eprintln!(
                "lintel run of {}{} {argv:?}: outcome {:?}, accel {:?}, {:.1?}\n--- kernel log ---\n{}--- end of kernel log ---",
                path.display(),
                root.map(|(r, c)| format!(" in the root {} ({})", r.display(), c.describe()))
                    .unwrap_or_default(),
                r.outcome,
                r.accel,
                r.wall,
                String::from_utf8_lossy(&r.log)
            );
            r
        }
        Err(e) => panic!("could not run {} under Lintel: {e}", path.display()),
    }
}

/// The last non-empty line of a kernel log, without its line ending.
pub fn kernel_log_last_line(log: &[u8]) -> String {
    String::from_utf8_lossy(log)
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::kernel_log_last_line;

    #[test]
    fn last_line_skips_blank_lines_and_carriage_returns() {
        assert_eq!(
            kernel_log_last_line(b"lintel: boot\r\nlintel: exit status=3\r\n\r\n"),
            "lintel: exit status=3"
        );
        assert_eq!(kernel_log_last_line(b""), "");
    }
}
