//! Installing what the demo and the tests need, when it is missing: QEMU,
//! musl-gcc, a static busybox, what builds and exercises the workloads
//! (dpkg-source, make, gcc; curl, redis-cli and redis-benchmark) (Debian
//! packages), the kernel's Rust target, and the Rust virtiofsd for
//! virtio-fs (`cargo install virtiofsd`, falling back to QEMU's C
//! virtiofsd); for `lintel bench`'s server rows, wrk.

use std::ffi::OsStr;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::kernel_image::{cargo_binary, workspace_root, KERNEL_TARGET};
use crate::virtiofs::{find_c_virtiofsd, find_rust_virtiofsd};

/// The busybox the demo copies into its initrd.
pub const BUSYBOX: &str = "/bin/busybox";

/// A host tool and the Debian package that provides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub what: &'static str,
    pub package: &'static str,
}

pub const QEMU: Requirement = Requirement {
    what: "qemu-system-x86_64",
    package: "qemu-system-x86",
};
pub const MUSL_GCC: Requirement = Requirement {
    what: "musl-gcc",
    package: "musl-tools",
};
/// A 9P2000.L server: fs-9p's client tests talk to it over TCP.
pub const DIOD: Requirement = Requirement {
    what: "diod",
    package: "diod",
};
pub const STATIC_BUSYBOX: Requirement = Requirement {
    what: "a static /bin/busybox",
    package: "busybox-static",
};
/// `dpkg-source`, which unpacks the workloads' source packages.
pub const DPKG_DEV: Requirement = Requirement {
    what: "dpkg-source",
    package: "dpkg-dev",
};
pub const MAKE: Requirement = Requirement {
    what: "make",
    package: "make",
};
/// The compiler `musl-gcc` wraps.
pub const GCC: Requirement = Requirement {
    what: "x86_64-linux-gnu-gcc",
    package: "gcc",
};
/// The HTTP client of the nginx tests.
pub const CURL: Requirement = Requirement {
    what: "curl",
    package: "curl",
};
/// `redis-cli` and `redis-benchmark`, the clients of the redis tests.
pub const REDIS_TOOLS: Requirement = Requirement {
    what: "redis-cli and redis-benchmark",
    package: "redis-tools",
};
/// The HTTP load generator of `lintel bench`'s nginx rows.
pub const WRK: Requirement = Requirement {
    what: "wrk",
    package: "wrk",
};
/// What `cargo install virtiofsd` links against.
pub const LIBSECCOMP_DEV: Requirement = Requirement {
    what: "the libseccomp headers",
    package: "libseccomp-dev",
};
pub const LIBCAP_NG_DEV: Requirement = Requirement {
    what: "the libcap-ng headers",
    package: "libcap-ng-dev",
};

/// Makes sure everything is there; quiet when it already is.
pub fn ensure_host_tools() -> io::Result<()> {
    let missing = missing_requirements();
    if !missing.is_empty() {
        install_packages(&missing)?;
        let still = missing_requirements();
        if !still.is_empty() {
            return Err(io::Error::other(format!(
                "still missing after apt-get: {}",
                describe(&still)
            )));
        }
    }
    ensure_rust_target()?;
    ensure_virtiofsd();
    Ok(())
}

/// Makes sure what builds the workloads is there (musl-gcc, dpkg-source,
/// make, gcc), and nothing more: `lintel workloads` needs no QEMU.
pub fn ensure_workload_build_tools() -> io::Result<()> {
    let missing: Vec<Requirement> = missing_requirements()
        .into_iter()
        .filter(|r| [MUSL_GCC, DPKG_DEV, MAKE, GCC].contains(r))
        .collect();
    if !missing.is_empty() {
        install_packages(&missing)?;
    }
    Ok(())
}

/// The clients of `lintel bench`'s server rows, each with the package that
/// provides it (redis-benchmark is also one of the host tools).
pub const BENCH_CLIENTS: &[(&str, Requirement)] = &[("wrk", WRK), ("redis-benchmark", REDIS_TOOLS)];

/// Installs the clients of `lintel bench`'s server rows when missing (on
/// demand: only the bench needs them).
pub fn ensure_bench_tools() -> io::Result<()> {
    let missing = |list: &[(&str, Requirement)]| -> Vec<Requirement> {
        let mut v: Vec<Requirement> = Vec::new();
        for (tool, req) in list {
            if find_in_path(tool).is_none() && !v.contains(req) {
                v.push(*req);
            }
        }
        v
    };
    let wanted = missing(BENCH_CLIENTS);
    if wanted.is_empty() {
        return Ok(());
    }
    install_packages(&wanted)?;
    let still = missing(BENCH_CLIENTS);
    if still.is_empty() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "still missing after apt-get: {}",
            describe(&still)
        )))
    }
}

/// The `cargo install` invocation of the Rust virtiofsd.
pub const VIRTIOFSD_INSTALL: [&str; 3] = ["install", "virtiofsd", "--locked"];

/// Makes sure virtio-fs has a daemon: the Rust virtiofsd when one is found;
/// else builds it (`apt-get install libseccomp-dev libcap-ng-dev`, then
/// `cargo install virtiofsd --locked`, about two minutes); when that fails,
/// QEMU's C virtiofsd is used, and we say so. Never an error: without any
/// daemon only the virtio-fs runs fail (with a message naming the fix).
pub fn ensure_virtiofsd() {
    if find_rust_virtiofsd().is_some() {
        return;
    }
    let fallback = |why: String| match find_c_virtiofsd() {
        Some(c) => eprintln!(
            "lintel: {why}; virtio-fs will use QEMU's C virtiofsd ({}, needs root)",
            c.display()
        ),
        None => eprintln!("lintel: {why}, and there is no QEMU virtiofsd: virtio-fs will not work"),
    };
    let headers = missing_virtiofsd_headers();
    if !headers.is_empty() {
        if let Err(e) = install_packages(&headers) {
            return fallback(format!("cannot build the Rust virtiofsd ({e})"));
        }
    }
    let cmd = format!("cargo {}", VIRTIOFSD_INSTALL.join(" "));
    eprintln!("lintel: building the Rust virtiofsd for virtio-fs: {cmd} (about two minutes)");
    let status = Command::new(cargo_binary())
        .args(VIRTIOFSD_INSTALL)
        // Not in the workspace: its .cargo/config.toml is not for this build.
        .current_dir(std::env::temp_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .stdin(Stdio::null())
        .stdout(io::stderr())
        .status();
    match status {
        Ok(s) if s.success() && find_rust_virtiofsd().is_some() => {}
        Ok(s) if s.success() => fallback(format!(
            "`{cmd}` worked but its virtiofsd is not found (is ~/.cargo/bin on PATH?)"
        )),
        Ok(s) => fallback(format!("`{cmd}` failed ({s})")),
        Err(e) => fallback(format!("cannot run `{cmd}`: {e}")),
    }
}

/// The -dev packages `cargo install virtiofsd` needs that are not there.
fn missing_virtiofsd_headers() -> Vec<Requirement> {
    let mut missing = Vec::new();
    if !Path::new("/usr/include/seccomp.h").exists() {
        missing.push(LIBSECCOMP_DEV);
    }
    if !Path::new("/usr/include/cap-ng.h").exists() {
        missing.push(LIBCAP_NG_DEV);
    }
    missing
}

/// What is not there yet.
pub fn missing_requirements() -> Vec<Requirement> {
    let mut missing = Vec::new();
    if find_in_path("qemu-system-x86_64").is_none() {
        missing.push(QEMU);
    }
    if find_in_path("musl-gcc").is_none() {
        missing.push(MUSL_GCC);
    }
    if !is_static_elf(Path::new(BUSYBOX)) {
        missing.push(STATIC_BUSYBOX);
    }
    if find_in_path("diod").is_none() && !Path::new("/usr/sbin/diod").exists() {
        missing.push(DIOD);
    }
    for (tool, req) in [
        ("dpkg-source", DPKG_DEV),
        ("make", MAKE),
        ("x86_64-linux-gnu-gcc", GCC),
        ("curl", CURL),
        ("redis-benchmark", REDIS_TOOLS),
    ] {
        if find_in_path(tool).is_none() && !missing.contains(&req) {
            missing.push(req);
        }
    }
    missing
}

fn describe(reqs: &[Requirement]) -> String {
    reqs.iter()
        .map(|r| format!("{} (package {})", r.what, r.package))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `apt-get` invocations, prefixed by `prefix` (e.g. `sudo -n`).
pub fn apt_commands(prefix: &[&str], packages: &[&str]) -> [Vec<String>; 2] {
    let with = |rest: &[&str]| {
        prefix
            .iter()
            .chain(rest)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let mut install = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ];
    install.extend_from_slice(packages);
    [with(&["apt-get", "update"]), with(&install)]
}

fn install_packages(missing: &[Requirement]) -> io::Result<()> {
    let packages: Vec<&str> = missing.iter().map(|r| r.package).collect();
    let prefix: &[&str] = if is_root() {
        &[]
    } else if sudo_works() {
        &["sudo", "-n"]
    } else {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "missing {}; install them as root: apt-get install {}",
                describe(missing),
                packages.join(" ")
            ),
        ));
    };
    if find_in_path("apt-get").is_none() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "missing {}, and there is no apt-get to install them",
                describe(missing)
            ),
        ));
    }
    eprintln!("lintel: installing {}", packages.join(" "));
    for cmd in apt_commands(prefix, &packages) {
        let status = Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdin(Stdio::null())
            .stdout(io::stderr())
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "`{}` failed ({status})",
                cmd.join(" ")
            )));
        }
    }
    Ok(())
}

/// `rustup target add x86_64-unknown-none` when it is not installed. Without
/// rustup there is nothing to do (the build will tell).
fn ensure_rust_target() -> io::Result<()> {
    let root = workspace_root();
    let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(&root)
        .output()
    else {
        return Ok(());
    };
    if !out.status.success()
        || String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == KERNEL_TARGET)
    {
        return Ok(());
    }
    eprintln!("lintel: rustup target add {KERNEL_TARGET}");
    let status = Command::new("rustup")
        .args(["target", "add", KERNEL_TARGET])
        .current_dir(&root)
        .stdout(io::stderr())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "`rustup target add {KERNEL_TARGET}` failed ({status})"
        )))
    }
}

/// Searches `PATH` like a shell.
pub fn find_in_path(name: impl AsRef<OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name.as_ref()))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Our effective uid is 0 (read from /proc: std has no getuid).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| effective_uid(&s) == Some(0))
}

fn effective_uid(proc_status: &str) -> Option<u32> {
    let line = proc_status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sudo_works() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// An x86-64 ELF executable without a `PT_INTERP` segment, i.e. one that
/// runs without a dynamic loader (static or static-pie).
pub fn is_static_elf(path: &Path) -> bool {
    let mut head = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    if file.take(64 * 1024).read_to_end(&mut head).is_err() {
        return false;
    }
    elf_is_static(&head).unwrap_or(false)
}

fn elf_is_static(b: &[u8]) -> Option<bool> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?));
    // ELFCLASS64, little-endian, x86-64.
    if b.get(..6)? != b"\x7fELF\x02\x01" || u16_at(18)? != 62 {
        return Some(false);
    }
    const PT_INTERP: u32 = 3;
    let phoff = usize::try_from(u64_at(32)?).ok()?;
    let phentsize = usize::from(u16_at(54)?);
    let phnum = usize::from(u16_at(56)?);
    for i in 0..phnum {
        if u32_at(phoff.checked_add(i.checked_mul(phentsize)?)?)? == PT_INTERP {
            return Some(false);
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_from_proc_status() {
        let s = "Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(effective_uid(s), Some(0));
        assert_eq!(effective_uid("Uid:\t1000\t1000\t1000\t1000\n"), Some(1000));
        assert_eq!(effective_uid("nothing"), None);
    }

    #[test]
    fn apt_invocations() {
        let [update, install] = apt_commands(&["sudo", "-n"], &["musl-tools", "busybox-static"]);
        assert_eq!(update, ["sudo", "-n", "apt-get", "update"]);
        assert_eq!(
            install,
            [
                "sudo",
                "-n",
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "install",
                "-y",
                "musl-tools",
                "busybox-static"
            ]
        );
        let [update, _] = apt_commands(&[], &["x"]);
        assert_eq!(update, ["apt-get", "update"]);
    }

    #[test]
    fn finds_sh_in_path() {
        assert!(find_in_path("sh").is_some());
        assert!(find_in_path("surely-not-a-real-command-xyz").is_none());
    }

    #[test]
    fn static_elf_detection() {
        // The test binary itself is dynamically linked (glibc host).
        let me = std::env::current_exe().unwrap();
        assert!(!is_static_elf(&me));
        assert!(!is_static_elf(Path::new("/nonexistent")));
        assert!(!is_static_elf(Path::new("/etc/hostname")));
        // A hand-made header with one PT_LOAD and no PT_INTERP.
        let mut elf = vec![0u8; 64 + 56];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[18] = 62;
        elf[32] = 64; // phoff
        elf[54] = 56; // phentsize
        elf[56] = 1; // phnum
        elf[64] = 1; // PT_LOAD
        assert_eq!(elf_is_static(&elf), Some(true));
        elf[64] = 3; // PT_INTERP
        assert_eq!(elf_is_static(&elf), Some(false));
        assert_eq!(elf_is_static(&elf[..40]), None);
    }
}
