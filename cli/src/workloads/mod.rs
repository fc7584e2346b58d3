//! Real workloads: nginx and redis from Debian's source packages, built
//! static with musl, and root directories to run them in.
//!
//! `lintel workloads` (and the tests, through [`ensure_workloads`]):
//!
//! 1. asks apt which versions of the source packages `nginx` and `redis`
//!    it knows (`apt-cache showsrc`); when it knows none, adds `deb-src`
//!    entries for the release (as root, [`debian::DEB_SRC_FILE`]) and runs
//!    `apt-get update`;
//! 2. takes the newest version whose build is in the cache
//!    (`target/workloads/bin/NAME_VERSION/`), else downloads it into
//!    `target/workloads/src/` (`apt-get source --download-only`; a version
//!    the archive does not serve is passed over for the next one),
//!    unpacks it afresh (`dpkg-source -x`, Debian's patches applied), and
//!    builds it with musl-gcc ([`build`]);
//! 3. checks every binary is a static x86-64 ELF (no `PT_INTERP`) and
//!    moves the results into the cache in one rename, with a `BUILD-INFO`
//!    file saying how they were made and how long it took.
//!
//! A second run finds the cache and builds nothing. One lock file
//! (`target/workloads/.lock`) keeps concurrent runs (two test processes, a
//! test and `lintel workloads`) from building twice.
//!
//! [`roots`] assembles the directories the binaries run in.

pub mod build;
pub mod debian;
pub mod roots;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use roots::{nginx_root, redis_root, NginxConf, RedisConf};

use crate::kernel_image::workspace_root;
use crate::setup::is_static_elf;

/// The source packages built, in order.
pub const PACKAGES: &[&str] = &["nginx", "redis"];

/// One package's build in the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// `nginx` or `redis`.
    pub package: &'static str,
    /// The Debian version of the source package, e.g. `1.22.1-9+deb12u9`.
    pub version: String,
    /// The cache directory holding the binaries (and `BUILD-INFO`).
    pub dir: PathBuf,
    /// How long this run took to build it; `None` when it came from the cache.
    pub build: Option<Duration>,
}

impl Built {
    /// A file of the build: `nginx`, `mime.types`, `redis-server`,
    /// `redis-cli`, `redis-benchmark`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Both builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workloads {
    pub nginx: Built,
    pub redis: Built,
}

/// Where everything goes.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `target/workloads`.
    pub base: PathBuf,
}

impl Layout {
    pub fn new(base: PathBuf) -> Self {
        Layout { base }
    }

    /// `target/workloads` in the workspace.
    pub fn default_location() -> Self {
        Layout::new(workspace_root().join("target").join("workloads"))
    }

    /// Downloaded and unpacked sources.
    pub fn src(&self) -> PathBuf {
        self.base.join("src")
    }

    /// The cache of builds.
    pub fn bin(&self) -> PathBuf {
        self.base.join("bin")
    }

    /// Build logs.
    pub fn logs(&self) -> PathBuf {
        self.base.join("logs")
    }

    /// The `crypt.h` nginx wants from musl.
    pub fn include(&self) -> PathBuf {
        self.base.join("musl-include")
    }

    /// The cache directory of `package` at `version`: `bin/NAME_VERSION`
    /// (without the epoch, as Debian names its files).
    pub fn cached(&self, package: &str, version: &str) -> PathBuf {
        self.bin()
            .join(format!("{package}_{}", debian::without_epoch(version)))
    }

    /// A marker saying the archive did not serve this version.
    fn unavailable(&self, package: &str, version: &str) -> PathBuf {
        self.src().join(format!(
            "{package}_{}.unavailable",
            debian::without_epoch(version)
        ))
    }
}

/// The options of `lintel workloads`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WorkloadsArgs {
    /// `--out DIR`: also copy the binaries there.
    pub out: Option<PathBuf>,
    /// `--rebuild`: build even when the cache has the version.
    pub rebuild: bool,
    /// `-j N`: make jobs (default: the number of CPUs).
    pub jobs: Option<usize>,
}

/// Parses the arguments after `workloads`; `None` for `--help`.
pub fn parse_args(args: &[OsString]) -> Result<Option<WorkloadsArgs>, String> {
    let mut a = WorkloadsArgs::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<OsString, String> {
            if let Some(v) = inline.clone() {
                return Ok(v.into());
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out" => a.out = Some(PathBuf::from(value("a directory")?)),
            "--rebuild" => a.rebuild = true,
            "-j" | "--jobs" => {
                let v = value("a number")?;
                a.jobs = Some(
                    v.to_string_lossy()
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| (1..=256).contains(&n))
                        .ok_or_else(|| format!("bad job count `{}`", v.to_string_lossy()))?,
                );
            }
            _ => return Err(format!("unknown option `{arg}` for workloads")),
        }
        i += 1;
    }
    Ok(Some(a))
}

/// `lintel workloads`: builds (or finds) both, prints where they are and
/// how long each build took; exit status 0 on success.
pub fn workloads_command(a: &WorkloadsArgs) -> i32 {
    match try_command(a) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lintel: {e}");
            1
        }
    }
}

fn try_command(a: &WorkloadsArgs) -> io::Result<()> {
    crate::setup::ensure_workload_build_tools()?;
    let start = Instant::now();
    let w = ensure_with(&Layout::default_location(), a.rebuild, jobs(a.jobs))?;
    for b in [&w.nginx, &w.redis] {
        let how = match b.build {
            Some(t) => format!("built in {:.1} s", t.as_secs_f64()),
            None => "cached".to_owned(),
        };
        println!(
            "{} {}: {} ({how})",
            b.package,
            b.version,
            build::executables(b.package)
                .iter()
                .map(|f| b.file(f).display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if let Some(out) = &a.out {
        std::fs::create_dir_all(out)?;
        for b in [&w.nginx, &w.redis] {
            for f in build::executables(b.package) {
                let to = out.join(f);
                let _ = std::fs::remove_file(&to);
                std::fs::copy(b.file(f), &to)?;
                println!("copied {} to {}", f, to.display());
            }
        }
    }
    println!("all in {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn jobs(asked: Option<usize>) -> usize {
    asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Both workloads in the default cache, built when missing (minutes, once),
/// for the tests and the demo. Progress goes to stderr.
pub fn ensure_workloads() -> io::Result<Workloads> {
    ensure_with(&Layout::default_location(), false, jobs(None))
}

/// [`ensure_workloads`] with the cache in `layout`, rebuilding when asked.
pub fn ensure_with(layout: &Layout, rebuild: bool, jobs: usize) -> io::Result<Workloads> {
    std::fs::create_dir_all(&layout.base)?;
    let lock = std::fs::File::create(layout.base.join(".lock"))?;
    if lock.try_lock().is_err() {
        eprintln!("lintel: waiting for another build of the workloads to finish");
        lock.lock()?;
    }
    let mut versions = Vec::new();
    for package in PACKAGES {
        versions.push(known_versions(package, layout)?);
    }
    let nginx = ensure_package("nginx", &versions[0], layout, rebuild, jobs)?;
    let redis = ensure_package("redis", &versions[1], layout, rebuild, jobs)?;
    drop(lock);
    Ok(Workloads { nginx, redis })
}

/// The versions of `package` apt knows, newest first, adding the `deb-src`
/// entries and updating apt's lists when it knows none. When even that
/// gives none (no network, not root), the cached builds' versions stand in.
fn known_versions(package: &str, layout: &Layout) -> io::Result<Vec<String>> {
    let versions = debian::source_versions(package)?;
    if !versions.is_empty() {
        return Ok(versions);
    }
    let added = debian::add_deb_src_and_update();
    let versions = debian::source_versions(package)?;
    if !versions.is_empty() {
        return Ok(versions);
    }
    let cached = cached_versions(package, layout);
    if !cached.is_empty() {
        eprintln!(
            "lintel: apt knows no source package {package} ({}); using the cached build",
            added
                .err()
                .map_or("after apt-get update".to_owned(), |e| e.to_string())
        );
        return Ok(cached);
    }
    Err(match added {
        Err(e) => e,
        Ok(()) => io::Error::new(
            io::ErrorKind::NotFound,
            format!("apt knows no source package {package}, even with deb-src entries"),
        ),
    })
}

/// The versions of `package` complete in the cache, newest first.
fn cached_versions(package: &str, layout: &Layout) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(layout.bin())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let v = name.strip_prefix(package)?.strip_prefix('_')?.to_owned();
                    is_complete(package, &e.path()).then_some(v)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| debian::compare_versions(b, a));
    out
}

/// A cache directory with every executable static and `BUILD-INFO` written.
fn is_complete(package: &str, dir: &Path) -> bool {
    dir.join("BUILD-INFO").is_file()
        && build::executables(package)
            .iter()
            .all(|f| is_static_elf(&dir.join(f)))
}

fn ensure_package(
    package: &'static str,
    versions: &[String],
    layout: &Layout,
    rebuild: bool,
    jobs: usize,
) -> io::Result<Built> {
    let cached = |v: &str| {
        let dir = layout.cached(package, v);
        is_complete(package, &dir).then(|| Built {
            package,
            version: v.to_owned(),
            dir,
            build: None,
        })
    };
    let mut failures = Vec::new();
    for (i, v) in versions.iter().enumerate() {
        if !rebuild {
            if let Some(b) = cached(v) {
                return Ok(b);
            }
            // A version the archive did not serve last time, while an
            // older one is built: take that one without asking again.
            if layout.unavailable(package, v).exists()
                && versions[i + 1..].iter().any(|o| cached(o).is_some())
            {
                continue;
            }
        }
        match build_version(package, v, layout, jobs) {
            Ok(b) => return Ok(b),
            Err(Failure::Download(e)) => {
                eprintln!("lintel: {package} {v} cannot be downloaded; trying an older version");
                let _ = std::fs::create_dir_all(layout.src());
                let _ = std::fs::write(layout.unavailable(package, v), e.to_string());
                failures.push(format!("{v}: {e}"));
            }
            Err(Failure::Build(e)) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "no version of the source package {package} could be downloaded:\n{}",
        failures.join("\n")
    )))
}

enum Failure {
    /// The archive did not give us this version: try the next.
    Download(io::Error),
    /// It did, and the build failed: stop.
    Build(io::Error),
}

/// Downloads, unpacks, builds and caches `package` at `version`.
fn build_version(
    package: &'static str,
    version: &str,
    layout: &Layout,
    jobs: usize,
) -> Result<Built, Failure> {
    let logs = layout.logs();
    std::fs::create_dir_all(&logs).map_err(Failure::Build)?;
    let stem = format!("{package}_{}", debian::without_epoch(version));
    let log = logs.join(format!("{stem}.log"));
    let _ = std::fs::remove_file(&log);
    eprintln!(
        "lintel: building {package} {version} from Debian's source package, static with musl \
         (log: {})",
        log.display()
    );
    let start = Instant::now();
    let dsc = debian::download(package, version, &layout.src(), &log).map_err(Failure::Download)?;
    let _ = std::fs::remove_file(layout.unavailable(package, version));
    let tree = layout
        .src()
        .join(format!("{package}-{}", debian::without_epoch(version)));
    debian::extract(&dsc, &tree, &log).map_err(Failure::Build)?;
    let fetched = start.elapsed();
    let steps =
        build::build(package, &tree, &layout.include(), jobs, &log).map_err(Failure::Build)?;
    let took = start.elapsed();
    let built = cache(package, version, &tree, layout, &steps, fetched, took, jobs)
        .map_err(Failure::Build)?;
    let detail: Vec<String> = std::iter::once(format!(
        "download and unpack {:.1} s",
        fetched.as_secs_f64()
    ))
    .chain(
        steps
            .iter()
            .map(|s| format!("{} {:.1} s", s.what, s.took.as_secs_f64())),
    )
    .collect();
    eprintln!(
        "lintel: {package} {version} built in {:.1} s ({})",
        took.as_secs_f64(),
        detail.join(", ")
    );
    Ok(built)
}

/// Checks the outputs and moves them into the cache in one rename.
#[allow(clippy::too_many_arguments)]
fn cache(
    package: &'static str,
    version: &str,
    tree: &Path,
    layout: &Layout,
    steps: &[build::Step],
    fetched: Duration,
    took: Duration,
    jobs: usize,
) -> io::Result<Built> {
    let final_dir = layout.cached(package, version);
    let staging = layout
        .bin()
        .join(format!(".staging-{package}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    for (from, to) in build::outputs(package, tree, &staging) {
        std::fs::copy(&from, &to).map_err(|e| {
            io::Error::new(e.kind(), format!("{} was not built: {e}", from.display()))
        })?;
    }
    for f in build::executables(package) {
        if !is_static_elf(&staging.join(f)) {
            return Err(io::Error::other(format!(
                "{package}'s {f} is not a static x86-64 ELF (it has a PT_INTERP)"
            )));
        }
    }
    let mut info = format!(
        "package: {package}\nversion: {version}\nbuilt: {} s after the epoch\njobs: {jobs}\n\
         download and unpack: {:.1} s\n",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        fetched.as_secs_f64()
    );
    for s in steps {
        info.push_str(&format!("{}: {:.1} s\n", s.what, s.took.as_secs_f64()));
    }
    info.push_str(&format!("total: {:.1} s\n", took.as_secs_f64()));
    match package {
        "nginx" => info.push_str(&format!(
            "configure command: ./configure {}\n",
            build::nginx_configure_args(&layout.include()).join(" ")
        )),
        _ => info.push_str(&format!(
            "make command: make {}\n",
            build::redis_make_args(jobs).join(" ")
        )),
    }
    std::fs::write(staging.join("BUILD-INFO"), info)?;
    let _ = std::fs::remove_dir_all(&final_dir);
    std::fs::rename(&staging, &final_dir)?;
    Ok(Built {
        package,
        version: version.to_owned(),
        dir: final_dir,
        build: Some(took),
    })
}

/// The last `n` lines of the file at `path`.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    fn p(args: &[&str]) -> Result<Option<WorkloadsArgs>, String> {
        parse_args(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        assert_eq!(p(&[]), Ok(Some(WorkloadsArgs::default())));
        assert_eq!(p(&["--help"]), Ok(None));
        assert_eq!(
            p(&["--out", "/tmp/x", "--rebuild", "-j", "3"]),
            Ok(Some(WorkloadsArgs {
                out: Some("/tmp/x".into()),
                rebuild: true,
                jobs: Some(3)
            }))
        );
        assert_eq!(
            p(&["--out=d", "--jobs=1"]).unwrap().unwrap().out,
            Some(PathBuf::from("d"))
        );
        for bad in [
            &["--out"][..],
            &["-j", "0"],
            &["-j", "x"],
            &["--bogus"],
            &["nginx"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cache_paths_are_keyed_by_version() {
        let l = Layout::new("/w/target/workloads".into());
        assert_eq!(
            l.cached("redis", "5:7.0.15-1~deb12u10"),
            Path::new("/w/target/workloads/bin/redis_7.0.15-1~deb12u10")
        );
        assert_eq!(
            l.cached("nginx", "1.22.1-9+deb12u9"),
            Path::new("/w/target/workloads/bin/nginx_1.22.1-9+deb12u9")
        );
    }

    #[test]
    fn only_complete_static_builds_count_as_cached() {
        let t = TempDir::new().unwrap();
        let l = Layout::new(t.path().to_path_buf());
        let dir = l.cached("nginx", "1.0-1");
        std::fs::create_dir_all(&dir).unwrap();
        assert!(cached_versions("nginx", &l).is_empty());
        // A dynamically linked executable (the test binary) is not enough.
        std::fs::copy(std::env::current_exe().unwrap(), dir.join("nginx")).unwrap();
        std::fs::write(dir.join("BUILD-INFO"), "x").unwrap();
        assert!(!is_complete("nginx", &dir));
        // A static one is (a hand-made header: PT_LOAD, no PT_INTERP).
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[18] = 62;
        elf[32] = 64;
        elf[54] = 56;
        elf[56] = 1;
        elf[64] = 1;
        std::fs::write(dir.join("nginx"), &elf).unwrap();
        assert!(is_complete("nginx", &dir));
        let newer = l.cached("nginx", "1.0-2");
        std::fs::create_dir_all(&newer).unwrap();
        std::fs::write(newer.join("nginx"), &elf).unwrap();
        std::fs::write(newer.join("BUILD-INFO"), "x").unwrap();
        assert_eq!(cached_versions("nginx", &l), ["1.0-2", "1.0-1"]);
        // An unavailable newest version falls back to the cached one
        // without building anything.
        std::fs::create_dir_all(l.src()).unwrap();
        std::fs::write(l.unavailable("nginx", "1.0-3"), "404").unwrap();
        let b = ensure_package(
            "nginx",
            &["1.0-3".to_owned(), "1.0-2".to_owned()],
            &l,
            false,
            1,
        )
        .unwrap();
        assert_eq!((b.version.as_str(), b.build), ("1.0-2", None));
    }

    #[test]
    fn tails() {
        let t = TempDir::new().unwrap();
        let f = t.path().join("log");
        std::fs::write(&f, "a\nb\nc\n").unwrap();
        assert_eq!(tail(&f, 2), "b\nc");
        assert_eq!(tail(&f, 10), "a\nb\nc");
        assert_eq!(tail(&t.path().join("none"), 3), "");
    }
}
