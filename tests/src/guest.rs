//! Building the guest programs in `tests/guest/` for the host's x86_64 Linux
//! ABI: C with musl (`musl-gcc`), static or static-pie, and one Rust program
//! linked as a glibc static-pie.
//!
//! Each binary is built at most once per test process, and only when its
//! source (or a header in `tests/guest/`) is newer than the binary. Builds
//! happen in a private temporary directory and the result is renamed into
//! place, so concurrent test processes never see a half-written file.

use crate::elf;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// Where Debian's musl-tools keeps musl's start files and `libc.a`.
const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";
/// Debian's glibc static library (package libc6-dev), needed by `rust_guest`.
const GLIBC_STATIC: &str = "/usr/lib/x86_64-linux-gnu/libc.a";

/// How a C guest program is linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Link {
    /// `musl-gcc -static`: a position-dependent `ET_EXEC`, no `PT_INTERP`.
    Static,
    /// A true static-pie: `ET_DYN`, no `PT_INTERP`, relocates itself with
    /// musl's `rcrt1.o`. (Debian's `musl-gcc -static-pie` gives a dynamic PIE
    /// instead, so it is linked by hand.)
    StaticPie,
}

impl Link {
    /// The directory under `target/guest/` for binaries linked this way.
    pub fn dir_name(self) -> &'static str {
        match self {
            Link::Static => "static",
            Link::StaticPie => "static-pie",
        }
    }
}

/// `tests/guest/`: the guest program sources.
pub fn guest_source_dir() -> PathBuf {
    crate::workspace_root().join("tests").join("guest")
}

/// `target/guest/`: the built guest programs.
pub fn guest_build_dir() -> PathBuf {
    crate::workspace_root().join("target").join("guest")
}

type BuildCell = Arc<OnceLock<Result<PathBuf, String>>>;

/// Builds (once per process) the binary identified by `key` with `build`.
fn build_once(key: String, build: impl FnOnce() -> Result<PathBuf, String>) -> PathBuf {
    static BUILDS: OnceLock<Mutex<HashMap<String, BuildCell>>> = OnceLock::new();
    let cell = {
        let mut map = BUILDS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry(key.clone()).or_default().clone()
    };
    match cell.get_or_init(build) {
        Ok(path) => path.clone(),
        Err(msg) => panic!("building guest program {key} failed:\n{msg}"),
    }
}

/// The path of `tests/guest/NAME.c` built with `link`, building it if needed.
/// `NAME` may name a subdirectory: `fs/basic` is `tests/guest/fs/basic.c`,
/// built into `target/guest/static/fs/basic`.
///
/// Panics with an explanation when the build fails, including when
/// `musl-gcc` is missing (install Debian's `musl-tools`; `cargo lintel test`
/// does it).
pub fn guest(name: &str, link: Link) -> PathBuf {
    build_once(format!("{name} ({})", link.dir_name()), || {
        build_c(name, link)
    })
}

/// The path of `tests/guest/rust_hello.rs` built as a glibc static-pie.
pub fn rust_guest() -> PathBuf {
    build_once("rust_hello (glibc static-pie)".into(), || {
        build_rust("rust_hello")
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// True when `out` exists and is at least as new as `src` and every header
/// in `tests/guest/` and in `src`'s own directory (e.g. `tests/guest/fs/`).
fn up_to_date(out: &Path, src: &Path) -> bool {
    let Some(built) = modified(out) else {
        return false;
    };
    let mut inputs = vec![src.to_path_buf()];
    let mut dirs = vec![guest_source_dir()];
    if let Some(own) = src.parent() {
        if own != guest_source_dir() {
            dirs.push(own.to_path_buf());
        }
    }
    for d in dirs {
        if let Ok(dir) = std::fs::read_dir(d) {
            inputs.extend(
                dir.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension() == Some(OsStr::new("h"))),
            );
        }
    }
    inputs
        .iter()
        .all(|i| modified(i).is_some_and(|m| m <= built))
}

/// A private directory for one build, inside `target/guest/tmp/`, removed
/// when dropped (whether the build succeeded or not).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Result<TempDir, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = guest_build_dir()
            .join("tmp")
            .join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }

    fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd`, turning a missing tool or a failure into a readable error.
fn run_tool(mut cmd: Command, hint_if_missing: &str) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    match cmd.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "command failed ({}): {shown}\n--- stdout ---\n{}--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(format!(
            "{} not found ({e}): {hint_if_missing}",
            cmd.get_program().to_string_lossy()
        )),
        Err(e) => Err(format!("cannot run {shown}: {e}")),
    }
}

const MUSL_HINT: &str =
    "install Debian's musl-tools (`apt-get install musl-tools`; `cargo lintel test` installs it)";

/// The output of `gcc -print-file-name=NAME` / `-print-libgcc-file-name`.
fn gcc_print(flag: &str) -> Result<PathBuf, String> {
    let out = Command::new("gcc")
        .arg(flag)
        .output()
        .map_err(|e| format!("cannot run gcc {flag}: {e} (install gcc)"))?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !path.is_absolute() || !path.exists() {
        return Err(format!(
            "gcc {flag} did not name an existing file (got {path:?})"
        ));
    }
    Ok(path)
}

fn musl_file(name: &str) -> Result<PathBuf, String> {
    let p = Path::new(MUSL_LIB).join(name);
    if p.exists() {
        Ok(p)
    } else {
        Err(format!("{} is missing: {MUSL_HINT}", p.display()))
    }
}

/// Moves a finished build into place atomically.
fn install(built: &Path, out: &Path) -> Result<(), String> {
    std::fs::rename(built, out)
        .map_err(|e| format!("renaming {} to {}: {e}", built.display(), out.display()))
}

fn check_elf(path: &Path, want_pie: bool, how: &str) -> Result<(), String> {
    let info = elf::inspect(path)?;
    let ok = if want_pie {
        info.is_static_pie()
    } else {
        info.is_static()
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} was linked as {how} but is not a {}: e_type={} (want {}), PT_INTERP present={}",
            path.display(),
            if want_pie {
                "static-pie"
            } else {
                "static executable"
            },
            info.e_type,
            if want_pie { elf::ET_DYN } else { elf::ET_EXEC },
            info.has_interp
        ))
    }
}

fn build_c(name: &str, link: Link) -> Result<PathBuf, String> {
    let src = guest_source_dir().join(format!("{name}.c"));
    if !src.exists() {
        return Err(format!("no guest source {}", src.display()));
    }
    let out = guest_build_dir().join(link.dir_name()).join(name);
    let out_dir = out.parent().expect("a file under target/guest");
    std::fs::create_dir_all(out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    if up_to_date(&out, &src) {
        check_elf(&out, link == Link::StaticPie, link.dir_name())?;
        return Ok(out);
    }

    let flat = name.replace('/', "-");
    let tmp = TempDir::new(&format!("{flat}-{}", link.dir_name()))?;
    let built = tmp.join(&flat);
    match link {
        Link::Static => {
            let mut cc = Command::new("musl-gcc");
            cc.args(["-static", "-O2", "-Wall", "-o"])
                .arg(&built)
                .arg(&src);
            run_tool(cc, MUSL_HINT)?;
        }
        Link::StaticPie => {
            let obj = tmp.join(format!("{flat}.o"));
            let mut cc = Command::new("musl-gcc");
            cc.args(["-fPIE", "-O2", "-Wall", "-c", "-o"])
                .arg(&obj)
                .arg(&src);
            run_tool(cc, MUSL_HINT)?;
            // gcc only drives ld here: -static-pie gives `-static -pie
            // --no-dynamic-linker`; every start file and library is musl's,
            // named explicitly, plus gcc's own crtbeginS/crtendS and libgcc.
            let mut ld = Command::new("gcc");
            ld.args(["-static-pie", "-nostdlib", "-nostartfiles", "-o"])
                .arg(&built)
                .arg(musl_file("rcrt1.o")?)
                .arg(musl_file("crti.o")?)
                .arg(gcc_print("-print-file-name=crtbeginS.o")?)
                .arg(&obj)
                .arg("-Wl,--start-group")
                .arg(musl_file("libc.a")?)
                .arg(gcc_print("-print-libgcc-file-name")?)
                .arg("-Wl,--end-group")
                .arg(gcc_print("-print-file-name=crtendS.o")?)
                .arg(musl_file("crtn.o")?);
            run_tool(ld, "install gcc")?;
        }
    }
    check_elf(&built, link == Link::StaticPie, link.dir_name())?;
    install(&built, &out)?;
    Ok(out)
}

fn build_rust(name: &str) -> Result<PathBuf, String> {
    let src = guest_source_dir().join(format!("{name}.rs"));
    if !src.exists() {
        return Err(format!("no guest source {}", src.display()));
    }
    if !Path::new(GLIBC_STATIC).exists() {
        return Err(format!(
            "{GLIBC_STATIC} is missing: Debian's glibc static libraries are needed to link \
             the Rust guest as a static-pie (apt-get install libc6-dev)"
        ));
    }
    let out_dir = guest_build_dir().join("glibc-static-pie");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let out = out_dir.join(name);
    if up_to_date(&out, &src) {
        check_elf(&out, true, "glibc static-pie")?;
        return Ok(out);
    }
    let tmp = TempDir::new(&format!("{name}-rust"))?;
    let built = tmp.join(name);
    let mut rustc =
        Command::new(std::env::var_os("LINTEL_GUEST_RUSTC").unwrap_or_else(|| "rustc".into()));
    // Run from the workspace so rustup picks rust-toolchain.toml's toolchain.
    rustc
        .current_dir(crate::workspace_root())
        .args([
            "--edition",
            "2021",
            "-O",
            "-C",
            "target-feature=+crt-static",
        ])
        .args(["--target", "x86_64-unknown-linux-gnu", "-o"])
        .arg(&built)
        .arg(&src);
    run_tool(
        rustc,
        "install Rust (rustup) with the x86_64-unknown-linux-gnu target",
    )?;
    check_elf(&built, true, "glibc static-pie (rustc +crt-static)")?;
    install(&built, &out)?;
    Ok(out)
}
