//! Debian's `/bin/busybox` (busybox-static: a static glibc binary) runs
//! single commands on a small root tree, once natively (chrooted into a
//! copy of the tree, so paths are the same) and once under Lintel with
//! `--root` set to the tree, shared over virtio-9p; stdout, stderr and the
//! exit status must match, and so must what each left in `/tree` on the host.
//! Three commands (`ls -l`, `cp -r`, `rm -r`) run over virtio-fs too (the
//! Rust virtiofsd when there is one, `cache=auto`).
//!
//! One command per boot (a shell would need fork): 18 boots. Commands that
//! change the tree are checked in the same process where possible (a later
//! operand that fails only if an earlier one worked) and on the host
//! afterwards.
//!
//! Timestamps are set explicitly on every entry before the runs, so
//! `ls -l --full-time` and `stat %Y` can be compared; directory sizes and
//! `total` lines of `ls -l` are normalised away.

use std::os::unix::fs::{lchown, symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use lintel::tempdir::TempDir;
use lintel::{Outcome, VirtiofsCache, VirtiofsdChoice};
use lintel_tests::{
    assert_same_output, copy_tree, describe_difference, describe_tree, is_root,
    run_lintel_root_with, run_native_chroot, set_mtime, RootConfig,
};

const BUSYBOX: &str = "/bin/busybox";

/// Every entry's mtime, in order of creation: 2001-09-09 + i hours.
const T0: i64 = 1_000_000_000;

/// The starting tree (removed when dropped):
///
/// ```text
/// bin/busybox
/// etc/passwd etc/group         root (0) and user (1000), for ls -l
/// proc/mounts                  a plain file standing in for procfs natively
///                              (df; under Lintel procfs is mounted over it)
/// tree/a.txt tree/b.txt tree/run.sh tree/owned.txt (1000:1000)
/// tree/link -> a.txt
/// tree/empty/
/// tree/sub/c.txt tree/sub/deeper/d.bin
/// ```
fn base_tree() -> TempDir {
    {
        assert!(
            Path::new(BUSYBOX).exists(),
            "{BUSYBOX} is missing: install Debian's busybox-static (`cargo lintel test` does)"
        );
        let t = TempDir::new().unwrap();
        let r = t.path();
        let mut entries: Vec<PathBuf> = Vec::new();
        let dir = |p: &str, mode: u32| {
            let path = r.join(p);
            std::fs::create_dir_all(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            path
        };
        let dirs = [
            dir("bin", 0o755),
            dir("etc", 0o755),
            dir("proc", 0o555),
            dir("tree", 0o755),
            dir("tree/empty", 0o700),
            dir("tree/sub", 0o755),
            dir("tree/sub/deeper", 0o750),
        ];
        std::fs::copy(BUSYBOX, r.join("bin/busybox")).unwrap();
        let file = |p: &str, data: &[u8], mode: u32| {
            let path = r.join(p);
            std::fs::write(&path, data).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            path
        };
        let mut bin = vec![0u8; 10_000];
        let mut x: u32 = 1;
        for b in bin.iter_mut() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *b = (x >> 16) as u8;
        }
        entries.extend([
            r.join("bin/busybox"),
            file(
                "etc/passwd",
                b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n",
                0o644,
            ),
            file("etc/group", b"root:x:0:\nuser:x:1000:\n", 0o644),
            file("proc/mounts", b"none / tmpfs rw 0 0\n", 0o444),
            file("tree/a.txt", b"alpha\n", 0o644),
            file("tree/b.txt", b"bravo\ncharlie\ndelta\n", 0o600),
            file("tree/run.sh", b"#!/bin/sh\necho hi\n", 0o755),
            file("tree/owned.txt", b"owned by user\n", 0o640),
            file("tree/sub/c.txt", b"charlie's file\n", 0o644),
            file("tree/sub/deeper/d.bin", &bin, 0o644),
        ]);
        lchown(r.join("tree/owned.txt"), Some(1000), Some(1000)).unwrap();
        symlink("a.txt", r.join("tree/link")).unwrap();
        entries.push(r.join("tree/link"));
        // Files and links first, then directories deepest first, so setting
        // a time never disturbs one already set.
        entries.extend(dirs.iter().rev().cloned());
        for (i, p) in entries.iter().enumerate() {
            set_mtime(p, T0 + 3600 * i as i64).unwrap();
        }
        t
    }
}

/// What one run printed and how it ended.
#[derive(Debug, PartialEq)]
struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

/// `argv` natively, chrooted into a fresh copy of the tree; the copy is
/// returned for checks of what the command left.
fn native(base: &Path, argv: &[&str]) -> (Run, TempDir) {
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    copy_tree(base, &root).unwrap();
    let mut full = vec![BUSYBOX];
    full.extend_from_slice(argv);
    let (stdout, stderr, status) = run_native_chroot(&root, &full, &[]);
    (
        Run {
            stdout,
            stderr,
            code: status.code(),
        },
        t,
    )
}

/// `argv` under Lintel with the tree `base` itself as the root (9p or
/// virtio-fs, as `config` says): what the command changes lands in `base`.
fn lintel(base: &Path, argv: &[&str], config: &RootConfig) -> Run {
    let mut full = vec![BUSYBOX];
    full.extend_from_slice(argv);
    let r = run_lintel_root_with(base, BUSYBOX, &full, &[], config);
    let code = match r.outcome {
        Outcome::Exited(c) => Some(i32::from(c)),
        ref other => panic!(
            "busybox {argv:?} under Lintel did not exit: {other:?}\n--- stderr ---\n{}",
            String::from_utf8_lossy(&r.stderr)
        ),
    };
    Run {
        stdout: r.stdout,
        stderr: r.stderr,
        code,
    }
}

/// How stdout is compared.
#[derive(Clone, Copy)]
enum Compare {
    Exact,
    /// Lines sorted first (readdir order differs between file systems).
    Sorted,
    /// `ls -l`: no `total` lines; directories' size column replaced by `*`.
    LsLong,
}

fn normalise(out: &[u8], how: Compare) -> Vec<u8> {
    let text = String::from_utf8_lossy(out);
    let lines: Vec<String> = match how {
        Compare::Exact => return out.to_vec(),
        Compare::Sorted => {
            let mut l: Vec<String> = text.lines().map(str::to_owned).collect();
            l.sort();
            l
        }
        Compare::LsLong => text
            .lines()
            .filter(|l| !l.starts_with("total "))
            .map(|l| {
                let mut f: Vec<&str> = l.split_whitespace().collect();
                if l.starts_with('d') && f.len() > 4 {
                    f[4] = "*";
                }
                f.join(" ")
            })
            .collect(),
    };
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

fn skip_unless_root() -> bool {
    if is_root() {
        return false;
    }
    eprintln!("skipping: running busybox natively in a chroot needs root");
    true
}

/// Runs `argv` both ways, Lintel over a 9p root, and compares; returns the
/// native run and its tree (None when skipped).
fn differential(argv: &[&str], how: Compare, code: i32) -> Option<(Run, TempDir)> {
    differential_over(argv, how, code, &RootConfig::default())
}

/// The root over virtio-fs.
fn virtiofs() -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::Auto, VirtiofsCache::Auto)
}

/// [`differential`] with Lintel's root booted as `config` says.
fn differential_over(
    argv: &[&str],
    how: Compare,
    code: i32,
    config: &RootConfig,
) -> Option<(Run, TempDir)> {
    if skip_unless_root() {
        return None;
    }
    let base = base_tree();
    let (n, tree) = native(base.path(), argv);
    assert_eq!(
        n.code,
        Some(code),
        "busybox {argv:?} natively: unexpected status\n--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&n.stdout),
        String::from_utf8_lossy(&n.stderr)
    );
    let l = lintel(base.path(), argv, config);
    let what = format!("busybox {} ({})", argv.join(" "), config.describe());
    assert_same_output(
        &format!("{what}: stdout"),
        &normalise(&l.stdout, how),
        &normalise(&n.stdout, how),
    );
    assert_same_output(&format!("{what}: stderr"), &l.stderr, &n.stderr);
    assert_eq!(l.code, n.code, "{what}: exit status");
    let native_tree = left(&tree);
    let lintel_tree = describe_tree(&base.path().join("tree")).unwrap();
    let diff = describe_difference(
        "Lintel",
        lintel_tree.as_bytes(),
        "native",
        native_tree.as_bytes(),
    );
    assert!(
        diff.is_empty(),
        "{what}: the tree left on the host differs:\n{diff}"
    );
    Some((n, tree))
}

/// The tree a native run left, below `/tree`.
fn left(t: &TempDir) -> String {
    describe_tree(&t.path().join("root/tree")).unwrap()
}

// --- Reading ---------------------------------------------------------------

const LS_LONG_FILES: &[&str] = &[
    "ls",
    "-l",
    "--full-time",
    "/tree/a.txt",
    "/tree/b.txt",
    "/tree/run.sh",
    "/tree/owned.txt",
    "/tree/sub/c.txt",
    "/tree/link",
];

#[test]
fn ls_long_files_with_owners_modes_and_times() {
    let Some((n, _)) = differential(LS_LONG_FILES, Compare::Exact, 0) else {
        return;
    };
    let out = String::from_utf8_lossy(&n.stdout);
    assert!(out.contains(" user     user "), "{out}");
    assert!(out.contains("2001-09-09 "), "{out}");
    assert!(out.contains("/tree/link -> a.txt"), "{out}");
}

#[test]
fn ls_long_files_over_virtiofs() {
    differential_over(LS_LONG_FILES, Compare::Exact, 0, &virtiofs());
}

#[test]
fn ls_long_directory() {
    differential(&["ls", "-l", "--full-time", "/tree"], Compare::LsLong, 0);
}

#[test]
fn ls_recursive_names() {
    let Some((n, _)) = differential(&["ls", "-1R", "/tree"], Compare::Exact, 0) else {
        return;
    };
    assert!(String::from_utf8_lossy(&n.stdout).contains("/tree/sub/deeper:\nd.bin\n"));
}

#[test]
fn cat_files_a_symlink_and_a_missing_one() {
    let Some((n, _)) = differential(
        &[
            "cat",
            "/tree/a.txt",
            "/tree/sub/c.txt",
            "/tree/link",
            "/tree/nope",
        ],
        Compare::Exact,
        1,
    ) else {
        return;
    };
    assert_eq!(n.stdout, b"alpha\ncharlie's file\nalpha\n");
}

#[test]
fn find_everything() {
    let Some((n, _)) = differential(&["find", "/tree"], Compare::Sorted, 0) else {
        return;
    };
    assert_eq!(String::from_utf8_lossy(&n.stdout).lines().count(), 11);
}

#[test]
fn find_files_newer_than_one() {
    // Uses the host's mtimes, seen through 9p.
    let Some((n, _)) = differential(
        &["find", "/tree", "-type", "f", "-newer", "/tree/b.txt"],
        Compare::Sorted,
        0,
    ) else {
        return;
    };
    let out = normalise(&n.stdout, Compare::Sorted);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "/tree/owned.txt\n/tree/run.sh\n/tree/sub/c.txt\n/tree/sub/deeper/d.bin\n"
    );
}

#[test]
fn wc_counts() {
    differential(
        &["wc", "/tree/a.txt", "/tree/b.txt", "/tree/sub/deeper/d.bin"],
        Compare::Exact,
        0,
    );
}

#[test]
fn sha256sum_of_files_and_a_link() {
    differential(
        &[
            "sha256sum",
            "/tree/a.txt",
            "/tree/sub/deeper/d.bin",
            "/tree/link",
        ],
        Compare::Exact,
        0,
    );
}

#[test]
fn stat_format() {
    let Some((n, _)) = differential(
        &[
            "stat",
            "-c",
            "%n %s %F %a %u:%g %h %Y",
            "/tree/a.txt",
            "/tree/owned.txt",
            "/tree/run.sh",
            "/tree/link",
            "/tree/sub/deeper/d.bin",
        ],
        Compare::Exact,
        0,
    ) else {
        return;
    };
    let out = String::from_utf8_lossy(&n.stdout);
    assert!(
        out.contains("/tree/owned.txt 14 regular file 640 1000:1000 1 "),
        "{out}"
    );
    assert!(
        out.contains("/tree/link 5 symbolic link 777 0:0 1 "),
        "{out}"
    );
}

#[test]
fn df_prints_a_header_and_the_root() {
    // Sizes and mounts differ (natively /proc/mounts is a plain file in the
    // tree, under Lintel it is procfs's): only the shape is compared.
    if skip_unless_root() {
        return;
    }
    let check = |who: &str, r: &Run| {
        let out = String::from_utf8_lossy(&r.stdout);
        assert_eq!(
            r.code,
            Some(0),
            "{who}: {out}{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines.first().is_some_and(|l| l.starts_with("Filesystem ")),
            "{who}: no header: {out}"
        );
        assert!(
            lines[1..]
                .iter()
                .any(|l| l.split_whitespace().last() == Some("/")),
            "{who}: no line for /: {out}"
        );
    };
    let base = base_tree();
    let (n, _) = native(base.path(), &["df"]);
    check("native", &n);
    check(
        "lintel",
        &lintel(base.path(), &["df"], &RootConfig::default()),
    );
}

// --- Changing the tree -------------------------------------------------------

#[test]
fn mkdir_parents() {
    let Some((_, t)) = differential(&["mkdir", "-p", "/tree/new/a/b/c"], Compare::Exact, 0) else {
        return;
    };
    let tree = left(&t);
    for d in [
        "new d 755",
        "new/a d 755",
        "new/a/b d 755",
        "new/a/b/c d 755",
    ] {
        assert!(tree.lines().any(|l| l == d), "no `{d}` in:\n{tree}");
    }
}

#[test]
fn mkdir_in_order_and_its_errors() {
    // /tree/m/n needs /tree/m made first; the second /tree/m then exists.
    let Some((n, t)) = differential(
        &[
            "mkdir",
            "/tree/m",
            "/tree/m/n",
            "/tree/m",
            "/tree/a.txt/x",
            "/tree/no/such",
        ],
        Compare::Exact,
        1,
    ) else {
        return;
    };
    assert_eq!(String::from_utf8_lossy(&n.stderr).lines().count(), 3);
    assert!(left(&t).contains("m/n d 755\n"));
}

const CP_RECURSIVE: &[&str] = &[
    "cp",
    "-r",
    "/tree/sub",
    "/tree/sub/c.txt",
    "/tree/nope",
    "/tree/empty",
];

#[test]
fn cp_recursive() {
    cp_recursive_over(&RootConfig::default());
}

#[test]
fn cp_recursive_over_virtiofs() {
    cp_recursive_over(&virtiofs());
}

fn cp_recursive_over(config: &RootConfig) {
    let Some((n, t)) = differential_over(CP_RECURSIVE, Compare::Exact, 1, config) else {
        return;
    };
    assert!(String::from_utf8_lossy(&n.stderr).contains("/tree/nope"));
    // busybox cp hard-links a second copy of a file it has already copied
    // (same device and inode): empty/c.txt and empty/sub/c.txt.
    let tree = left(&t);
    for l in [
        "empty/c.txt - 644 \"charlie's file\\n\" nlink=2",
        "empty/sub d 755",
        "empty/sub/c.txt - 644 \"charlie's file\\n\" nlink=2",
        "empty/sub/deeper/d.bin - 644 10000 bytes",
    ] {
        assert!(tree.lines().any(|x| x == l), "no `{l}` in:\n{tree}");
    }
}

#[test]
fn mv_into_a_directory() {
    // The second /tree/b.txt is gone once the first was moved.
    let Some((n, t)) = differential(
        &[
            "mv",
            "/tree/b.txt",
            "/tree/run.sh",
            "/tree/b.txt",
            "/tree/empty",
        ],
        Compare::Exact,
        1,
    ) else {
        return;
    };
    assert!(String::from_utf8_lossy(&n.stderr).contains("/tree/b.txt"));
    let tree = left(&t);
    assert!(
        tree.contains("empty/b.txt - 600 \"bravo\\ncharlie\\ndelta\\n\"\n"),
        "{tree}"
    );
    assert!(tree.contains("empty/run.sh - 755 "), "{tree}");
    assert!(
        !tree.contains("\nb.txt ") && !tree.starts_with("b.txt "),
        "{tree}"
    );
}

#[test]
fn rm_recursive() {
    rm_recursive_over(&RootConfig::default());
}

#[test]
fn rm_recursive_over_virtiofs() {
    rm_recursive_over(&virtiofs());
}

fn rm_recursive_over(config: &RootConfig) {
    // The second operand fails only if the first removed everything.
    let Some((_, t)) = differential_over(
        &["rm", "-r", "/tree/sub", "/tree/sub"],
        Compare::Exact,
        1,
        config,
    ) else {
        return;
    };
    let tree = left(&t);
    assert!(!tree.contains("sub"), "{tree}");
}

/// No QEMU: each command's native run is deterministic (two fresh copies of
/// the tree give the same output), so a difference under Lintel is Lintel's.
#[test]
fn native_runs_are_deterministic() {
    if skip_unless_root() {
        return;
    }
    let commands: &[&[&str]] = &[
        &["ls", "-l", "--full-time", "/tree"],
        &["ls", "-1R", "/tree"],
        &["find", "/tree", "-type", "f", "-newer", "/tree/b.txt"],
        &[
            "stat",
            "-c",
            "%n %s %F %a %u:%g %h %Y",
            "/tree/a.txt",
            "/tree/link",
        ],
        &[
            "cp",
            "-r",
            "/tree/sub",
            "/tree/sub/c.txt",
            "/tree/nope",
            "/tree/empty",
        ],
        &["rm", "-r", "/tree/sub", "/tree/sub"],
    ];
    let base = base_tree();
    for argv in commands {
        let (a, ta) = native(base.path(), argv);
        let (b, tb) = native(base.path(), argv);
        let d = describe_difference("first", &a.stdout, "second", &b.stdout);
        assert!(d.is_empty(), "busybox {argv:?}:\n{d}");
        assert_eq!(a.stderr, b.stderr, "busybox {argv:?}");
        assert_eq!(a.code, b.code, "busybox {argv:?}");
        assert_eq!(left(&ta), left(&tb), "busybox {argv:?}");
    }
}
