//! The vDSO: `tests/guest/vdso.c` runs natively on this Linux host and
//! under Lintel (one boot each) and must print the same lines and exit 0.
//! It finds the vDSO through AT_SYSINFO_EHDR and its dynamic section, sees
//! [vdso] and [vvar] in /proc/self/maps, and checks that the clocks from
//! libc and from the vDSO agree with the system call in both directions,
//! that the clocks the vDSO does not serve fall back to it, and that fork,
//! mprotect, MADV_DONTNEED and munmap treat the mapping as Linux does.
//!
//! The program is built three ways: with musl (`musl-gcc -static`, and as
//! a static-pie) and with glibc (`gcc -static`), since the two C libraries
//! look the vDSO up differently (musl: DT_HASH/DT_GNU_HASH and versions by
//! hand; glibc: a link map of its own).
//!
//! Run: `cargo lintel test -p lintel-tests --test vdso` (or with
//! `LINTEL_KERNEL` set, `cargo test -p lintel-tests --test vdso`); only the
//! native runs: `cargo test -p lintel-tests --test vdso native`.

use lintel::Outcome;
use lintel_tests::{
    assert_same_output, guest, guest_build_dir, guest_source_dir, run_lintel, run_native, Link,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `tests/guest/vdso.c` linked with Debian's glibc (`gcc -static`), built
/// once per test process into `target/guest/glibc-static/vdso`.
fn glibc_static() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let src = guest_source_dir().join("vdso.c");
            let dir = guest_build_dir().join("glibc-static");
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let out = dir.join("vdso");
            // A private name, renamed into place: concurrent test processes
            // never run a half-written binary.
            let tmp = dir.join(format!("vdso.tmp-{}", std::process::id()));
            let run = Command::new("gcc")
                .args(["-static", "-O2", "-Wall", "-I"])
                .arg(guest_source_dir())
                .arg("-o")
                .arg(&tmp)
                .arg(&src)
                .output()
                .map_err(|e| format!("cannot run gcc: {e} (install gcc and libc6-dev)"))?;
            if !run.status.success() {
                return Err(format!(
                    "gcc -static {} failed ({}): is libc6-dev installed?\n{}",
                    src.display(),
                    run.status,
                    String::from_utf8_lossy(&run.stderr)
                ));
            }
            std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(out)
        })
        .clone()
        .unwrap_or_else(|e| panic!("building the glibc vdso program: {e}"))
}

/// Runs the program natively; it must pass there (else it is wrong).
fn native(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let (out, err, status) = run_native(path, &["vdso"], &[]);
    let text = String::from_utf8_lossy(&out);
    assert!(
        status.success() && text.ends_with(" lines, 0 unexpected\n"),
        "{} fails natively ({status:?}): the program expects what Linux does not do\n\
         --- stdout ---\n{text}--- stderr ---\n{}",
        path.display(),
        String::from_utf8_lossy(&err)
    );
    (out, err)
}

/// Natively, then under Lintel: the same stdout and stderr, exit status 0.
fn differential(path: &Path) {
    let (out, err) = native(path);
    let r = run_lintel(path, &["vdso"], &[]);
    assert_same_output("stdout", &r.stdout, &out);
    assert_same_output("stderr", &r.stderr, &err);
    assert!(
        matches!(r.outcome, Outcome::Exited(0)),
        "expected exit status 0 under Lintel, got {:?}\nkernel log:\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.log)
    );
}

#[test]
fn vdso_passes_natively_with_musl_and_glibc() {
    native(&guest("vdso", Link::Static));
    native(&guest("vdso", Link::StaticPie));
    native(&glibc_static());
}

#[test]
fn vdso_musl_static_matches_native() {
    differential(&guest("vdso", Link::Static));
}

#[test]
fn vdso_musl_static_pie_matches_native() {
    differential(&guest("vdso", Link::StaticPie));
}

#[test]
fn vdso_glibc_static_matches_native() {
    differential(&glibc_static());
}
