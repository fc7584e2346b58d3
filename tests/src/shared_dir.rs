//! The host↔guest checks of a shared directory, run by `tests/ninep_host.rs`
//! over virtio-9p and `tests/virtiofs_host.rs` over virtio-fs, each check a
//! function of the [`RootConfig`]: what the host wrote, the guest reads
//! ([`guest_reads_host_files`]); what the guest wrote and fsynced is on the
//! host, byte for byte, once QEMU is gone ([`host_reads_guest_files`],
//! [`guest_writes_into_a_share`]); a large file makes the round trip
//! ([`large_file_round_trip`]); and `..` never leads out of the share
//! ([`dot_dot_stays_inside`]).
//!
//! The guest programs are in `tests/guest/ninep/`; `ninep.h` there defines
//! the test data ([`pattern`]) and the checksums ([`fold64`]). SHA-256 on
//! the host side is coreutils' `sha256sum`.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel::{Outcome, RunResult};

use crate::{assert_same_output, guest, run_lintel_root_with, Link, RootConfig};

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;
pub const MIB: usize = 1 << 20;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Bytes `[off, off + n)` of the stream `seed` (`pattern()` in ninep.h).
pub fn pattern(seed: u64, off: u64, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    let mut pos = off;
    while out.len() < n {
        let w = mix(seed.wrapping_add((pos / 8 + 1).wrapping_mul(GOLDEN)));
        let bytes = w.to_le_bytes();
        let from = (pos % 8) as usize;
        let take = (8 - from).min(n - out.len());
        out.extend_from_slice(&bytes[from..from + take]);
        pos += take as u64;
    }
    out
}

/// `fold64()` of ninep.h over the file at `path` (its size a multiple of 8).
pub fn fold64(path: &Path) -> u64 {
    use std::io::Read;
    let mut f = fs::File::open(path).unwrap();
    let mut buf = vec![0u8; MIB];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            return h;
        }
        assert_eq!(n % 8, 0, "a read of {n} bytes");
        for w in buf[..n].chunks_exact(8) {
            h = (h ^ u64::from_le_bytes(w.try_into().unwrap())).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// The SHA-256 of the host file `path`, in hex, from `sha256sum`.
pub fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum (coreutils)");
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// A fresh root holding `/bin/NAME` for each guest program `ninep/NAME`.
pub fn root_with(programs: &[&str]) -> TempDir {
    let t = TempDir::new().unwrap();
    fs::create_dir(t.path().join("bin")).unwrap();
    for name in programs {
        let dst = t.path().join("bin").join(name);
        fs::copy(guest(&format!("ninep/{name}"), Link::Static), &dst).unwrap();
        fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).unwrap();
    }
    t
}

/// Writes `data` to `path`, making its directories.
pub fn write(path: &Path, data: &[u8]) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(path, data).unwrap();
}

#[track_caller]
pub fn assert_exited_0(what: &str, r: &RunResult) {
    assert!(
        matches!(r.outcome, Outcome::Exited(0)),
        "{what}: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

/// What `writefiles` (tests/guest/ninep/writefiles.c) writes: name, bytes.
pub fn writefiles_expected() -> Vec<(&'static str, Vec<u8>)> {
    let mut patched = pattern(7, 0, 200_000);
    patched[1000..6000].copy_from_slice(&pattern(8, 0, 5000));
    let mut extended = pattern(10, 0, 1000);
    extended.resize(70_000, 0);
    vec![
        ("empty", Vec::new()),
        ("one", pattern(1, 0, 1)),
        ("page", pattern(2, 0, 4096)),
        ("page-plus-1", pattern(3, 0, 4097)),
        ("odd", pattern(4, 0, 100_003)),
        ("big", pattern(5, 0, 5 * MIB + 4321)),
        ("backwards", pattern(6, 0, 3 * MIB)),
        ("patched", patched),
        ("truncated", pattern(9, 0, 123_457)),
        ("extended", extended),
        ("renamed", pattern(11, 0, 20_000)),
        ("sub/dir/nested", pattern(12, 0, 777)),
        ("name with spaces é", pattern(13, 0, 10)),
    ]
}

/// Checks the directory `out` on the host holds exactly what `writefiles`
/// writes, and that the guest printed (as `guest_dir/NAME`) the same
/// SHA-256 the host computes.
pub fn check_writefiles(out: &Path, guest_dir: &str, stdout: &[u8]) {
    let expected = writefiles_expected();
    let mut printed = String::new();
    for (name, bytes) in &expected {
        let host = out.join(name);
        let got = fs::read(&host).unwrap_or_else(|e| panic!("{}: {e}", host.display()));
        assert!(
            got == *bytes,
            "{name}: {} bytes on the host, {} expected, first difference at {:?}",
            got.len(),
            bytes.len(),
            got.iter().zip(bytes.iter()).position(|(a, b)| a != b)
        );
        printed.push_str(&format!("{}  {guest_dir}/{name}\n", sha256(&host)));
    }
    assert_same_output("writefiles stdout", stdout, printed.as_bytes());
    // Nothing else is left behind (no "renamed.part"), and modes are as made.
    let mut top: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    let mut want: Vec<String> = expected
        .iter()
        .map(|(n, _)| n.split('/').next().unwrap().to_owned())
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(top, want);
    let mode = |p: &str| fs::metadata(out.join(p)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode("big"), 0o644);
    assert_eq!(mode("sub"), 0o755);
    assert_eq!(mode("sub/dir"), 0o750);
}

/// Files the host wrote, of assorted sizes and names, read by the guest
/// twice (read and backwards pread): the same SHA-256 and size as on the
/// host.
pub fn guest_reads_host_files(config: &RootConfig) {
    let root = root_with(&["readsum"]);
    let files: &[(&str, usize)] = &[
        ("empty", 0),
        ("tiny", 1),
        ("page-minus-1", 4095),
        ("sixty-four-k", 65536),
        ("mib-plus-7", MIB + 7),
        ("three-mib-plus-1", 3 * MIB + 1),
        ("with space é", 5000),
        ("deep/a/b/c/file", 12345),
    ];
    for (i, (name, size)) in files.iter().enumerate() {
        write(
            &root.path().join("data").join(name),
            &pattern(100 + i as u64, 0, *size),
        );
    }
    fs::set_permissions(
        root.path().join("data/tiny"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    symlink("deep/a/b/c/file", root.path().join("data/link")).unwrap();

    let mut guest_paths: Vec<String> = files.iter().map(|(n, _)| format!("/data/{n}")).collect();
    guest_paths.push("/data/link".to_owned());
    let mut argv = vec!["readsum"];
    argv.extend(guest_paths.iter().map(String::as_str));
    let r = run_lintel_root_with(root.path(), "/bin/readsum", &argv, &[], config);
    assert_exited_0(&format!("readsum ({})", config.describe()), &r);

    let mut expected = String::new();
    for p in &guest_paths {
        let host = root.path().join(&p[1..]);
        expected.push_str(&format!("{}  {p}\n", sha256(&host)));
    }
    for p in &guest_paths {
        let size = fs::metadata(root.path().join(&p[1..])).unwrap().len();
        expected.push_str(&format!("{p}: {size} bytes\n"));
    }
    assert_same_output("readsum stdout", &r.stdout, expected.as_bytes());
}

/// The guest writes files in several ways (several MiB among them), fsyncs
/// and exits; afterwards the host finds exactly those bytes.
pub fn host_reads_guest_files(config: &RootConfig) {
    let root = root_with(&["writefiles"]);
    let r = run_lintel_root_with(
        root.path(),
        "/bin/writefiles",
        &["writefiles", "/out"],
        &[],
        config,
    );
    assert_exited_0(&format!("writefiles ({})", config.describe()), &r);
    check_writefiles(&root.path().join("out"), "/out", &r.stdout);
}

/// [`host_reads_guest_files`] through an extra share: `config` mounts the
/// host directory `data` at `/mnt/data` (a 9p or a virtio-fs share).
pub fn guest_writes_into_a_share(config: &RootConfig, data: &Path) {
    let root = root_with(&["writefiles"]);
    fs::create_dir_all(root.path().join("mnt/data")).unwrap();
    let r = run_lintel_root_with(
        root.path(),
        "/bin/writefiles",
        &["writefiles", "/mnt/data/out"],
        &[],
        config,
    );
    assert_exited_0(
        &format!("writefiles into the share ({})", config.describe()),
        &r,
    );
    check_writefiles(&data.join("out"), "/mnt/data/out", &r.stdout);
    // The root's own mount point stays empty on the host.
    assert_eq!(
        fs::read_dir(root.path().join("mnt/data")).unwrap().count(),
        0
    );
}

/// A file of `mib` MiB written in 1 MiB writes, fsynced, read back and
/// checked in the guest; its checksum on the host agrees. Prints how long
/// it took (shown with `--nocapture` or on failure).
pub fn large_file_round_trip(config: &RootConfig, mib: usize) {
    let root = root_with(&["bigio"]);
    let config = RootConfig {
        timeout: config.timeout.max(Duration::from_secs(600)),
        ..config.clone()
    };
    let start = Instant::now();
    let r = run_lintel_root_with(
        root.path(),
        "/bin/bigio",
        &["bigio", "/big.dat", &mib.to_string()],
        &[],
        &config,
    );
    eprintln!(
        "bigio {mib} MiB ({}): {:.1?} in all; the guest says: {}",
        config.describe(),
        start.elapsed(),
        String::from_utf8_lossy(&r.stderr).trim()
    );
    assert_exited_0(&format!("bigio ({})", config.describe()), &r);
    let host = root.path().join("big.dat");
    let size = fs::metadata(&host).unwrap().len();
    assert_eq!(size, (mib * MIB) as u64);
    let sum = format!("{:016x}", fold64(&host));
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(
        out,
        format!(
            "size {size}\nwritten checksum {sum}\nread checksum {sum}\ndiffering MiB blocks 0\n"
        )
    );
}

/// `..` at the root, across mount points, through host symlinks and
/// relative to a directory descriptor all stay inside the share, which has
/// no etc/passwd (the host has one).
pub fn dot_dot_stays_inside(config: &RootConfig) {
    assert!(
        Path::new("/etc/passwd").exists(),
        "the host has /etc/passwd"
    );
    let root = root_with(&["escape"]);
    let r = root.path();
    fs::write(r.join("marker"), "inside the share\n").unwrap();
    symlink("../../../../../../etc/passwd", r.join("up")).unwrap();
    symlink("/etc/passwd", r.join("abs")).unwrap();
    symlink("../../../../etc", r.join("updir")).unwrap();
    let run = run_lintel_root_with(r, "/bin/escape", &["escape"], &[], config);
    assert_same_output(
        &format!("escape stdout ({})", config.describe()),
        &run.stdout,
        b"/../../etc/passwd: ENOENT\n\
          /../../../../../../../../etc/passwd: ENOENT\n\
          /..//..//etc/passwd: ENOENT\n\
          /dev/../../etc/passwd: ENOENT\n\
          /tmp/../../etc/passwd: ENOENT\n\
          /proc/../../../etc/passwd: ENOENT\n\
          /up: ENOENT\n\
          /abs: ENOENT\n\
          /updir/passwd: ENOENT\n\
          stat(\"/..\") is /: yes\n\
          openat(\"/\", \"../../etc/passwd\"): ENOENT\n\
          openat(\"/\", \"..\" then \"etc/passwd\"): ENOENT\n\
          chdir(\"/../..\"): yes\n\
          getcwd is /: yes\n\
          etc/passwd from there: ENOENT\n\
          readdir(\"/..\") lists the share's marker: yes\n\
          /../marker reads the share's marker: yes\n",
    );
    assert_exited_0(&format!("escape ({})", config.describe()), &run);
    // Nothing was created outside the share, and the share has no etc/.
    assert!(!r.join("etc").exists());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_ranges_agree() {
        // Any range equals the same range of the whole stream.
        let whole = pattern(5, 0, 100);
        for off in [0usize, 1, 7, 8, 9, 63] {
            assert_eq!(pattern(5, off as u64, 100 - off), whole[off..]);
        }
        // The first word of stream 0 is mix(GOLDEN), little-endian.
        assert_eq!(pattern(0, 0, 8), mix(GOLDEN).to_le_bytes());
    }
}
