//! The differential file-system suite: each program in `tests/guest/fs/`
//! runs natively on the host in a fresh temporary directory, and under Lintel
//! with `--root` set to an equal starting tree (just the program, at
//! `/prog`); both must print the same lines and exit 0.
//!
//! Each program makes its own `./work` directory and works inside it, so
//! both runs start from the same place (`$TMP/…/work` on the host, `/work`
//! under Lintel). The programs print every call as `call(args) = result`
//! with errno names and no host-dependent values, and check each result
//! against what Linux does: a native run that exits 1 means the program, not
//! the kernel, is wrong (see `tests/guest/fs/fs.h`).
//!
//! The native runs need root (`chown` to other ids); without it the tests
//! are skipped with a note. One boot per program.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::ExitStatus;

use lintel::tempdir::TempDir;
use lintel::Outcome;
use lintel_tests::{
    assert_same_output, describe_difference, describe_tree, guest, is_root, run_lintel_root,
    run_native_in, Link,
};

/// The starting tree: a directory holding only the program, as `prog`.
fn starting_tree(name: &str) -> (TempDir, PathBuf) {
    let bin = guest(&format!("fs/{name}"), Link::Static);
    let dir = TempDir::new().expect("a temporary directory");
    let prog = dir.path().join("prog");
    std::fs::copy(&bin, &prog).expect("copying the program");
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, prog)
}

struct Native {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: ExitStatus,
    /// The directory it ran in (kept until dropped).
    dir: TempDir,
}

/// Runs `fs/NAME` natively in a fresh tree.
fn native(name: &str) -> Native {
    let (dir, prog) = starting_tree(name);
    let (stdout, stderr, status) = run_native_in(dir.path(), &prog, &["prog"], &[]);
    Native {
        stdout,
        stderr,
        status,
        dir,
    }
}

#[track_caller]
fn assert_native_ok(name: &str, n: &Native) {
    assert!(
        n.status.success(),
        "fs/{name} failed natively ({:?}): the program expects something Linux does not do\n\
         --- stderr ---\n{}--- stdout ---\n{}",
        n.status,
        String::from_utf8_lossy(&n.stderr),
        String::from_utf8_lossy(&n.stdout)
    );
}

fn skip_unless_root() -> bool {
    if is_root() {
        return false;
    }
    eprintln!("skipping: the file-system suite runs natively as root (chown to other ids)");
    true
}

/// Native run, then the Lintel run in an equal tree; same stdout, both exit 0.
fn differential(name: &str) {
    if skip_unless_root() {
        return;
    }
    let n = native(name);
    assert_native_ok(name, &n);
    let (root, _) = starting_tree(name);
    let r = run_lintel_root(root.path(), "/prog", &["prog"], &[]);
    assert_same_output(&format!("fs/{name} stdout"), &r.stdout, &n.stdout);
    assert!(
        matches!(r.outcome, Outcome::Exited(0)),
        "fs/{name} under Lintel: {:?}\n--- stderr ---\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn fs_basic() {
    differential("basic");
}

#[test]
fn fs_dirs() {
    differential("dirs");
}

#[test]
fn fs_links() {
    differential("links");
}

#[test]
fn fs_attrs() {
    differential("attrs");
}

#[test]
fn fs_fds() {
    differential("fds");
}

#[test]
fn fs_pipes() {
    differential("pipes");
}

#[test]
fn fs_mmap() {
    differential("mmap");
}

#[test]
fn fs_big() {
    differential("big");
}

const PROGRAMS: &[&str] = &[
    "basic", "dirs", "links", "attrs", "fds", "pipes", "mmap", "big",
];

/// No QEMU: every program passes natively, twice with the same output, and
/// fast. A difference here is a bug in the suite, not in Lintel.
#[test]
fn fs_programs_are_deterministic_natively() {
    if skip_unless_root() {
        return;
    }
    for name in PROGRAMS {
        let start = std::time::Instant::now();
        let a = native(name);
        let took = start.elapsed();
        assert_native_ok(name, &a);
        let b = native(name);
        assert_native_ok(name, &b);
        let diff = describe_difference("first", &a.stdout, "second", &b.stdout);
        assert!(diff.is_empty(), "fs/{name} is not deterministic:\n{diff}");
        assert!(took.as_secs_f64() < 2.0, "fs/{name} took {took:?} natively");
        assert!(
            a.stdout.ends_with(b" 0 unexpected\n"),
            "fs/{name}: {}",
            String::from_utf8_lossy(&a.stdout)
        );
    }
}

/// What `fs/links` says it leaves in ./work (its last section), checked on
/// the host after the native run. The same check of a Lintel run needs a
/// root shared back to the host (virtio-9p), which is not there yet.
#[test]
fn fs_links_leaves_its_tree_on_the_host() {
    if skip_unless_root() {
        return;
    }
    let n = native("links");
    assert_native_ok("links", &n);
    let tree = describe_tree(&n.dir.path().join("work")).unwrap();
    assert_eq!(
        tree,
        "dangling l -> nowhere\n\
         dir d 755\n\
         dir/in-dir - 644 \"target\\n\" nlink=3\n\
         dir/up l -> ../target.txt\n\
         dirlink l -> dir\n\
         hard - 644 \"target\\n\" nlink=3\n\
         nowhere - 640 \"made via link\\n\"\n\
         sym l -> target.txt\n\
         target.txt - 644 \"target\\n\" nlink=3\n"
    );
    // The starting tree itself is untouched but for ./work.
    let mut top: Vec<String> = std::fs::read_dir(n.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["prog", "work"]);
}

/// The program's own output lists the same tree.
#[test]
fn fs_links_output_matches_what_it_left() {
    if skip_unless_root() {
        return;
    }
    let n = native("links");
    let out = String::from_utf8_lossy(&n.stdout);
    let listed: Vec<&str> = out
        .split("== the tree left behind\n")
        .nth(1)
        .expect("the last section")
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap())
        .collect();
    let mut on_disk: Vec<String> = describe_tree(&n.dir.path().join("work"))
        .unwrap()
        .lines()
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
}
