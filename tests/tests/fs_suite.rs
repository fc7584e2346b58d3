//! The differential file-system suite: each program in `tests/guest/fs/`
//! runs natively on the host in a fresh temporary directory, and under Lintel
//! with `--root` set to an equal starting tree (just the program, at
//! `/prog`); both must print the same lines and exit 0.
//!
//! The root is shared over virtio-9p by default (the product path), and then
//! the tree the program left in `./work` on the host must also equal the
//! native run's. Every program runs a second time over the initrd (tmpfs)
//! root, and a third time over virtio-fs (the Rust virtiofsd, `cache=auto`;
//! the tree left on the host is compared too); two of them (`basic`,
//! `dirs`) also run over 9p with a modern-only device, a legacy-only device,
//! machine q35, and `security_model=mapped-xattr` (where the host sees
//! QEMU's own modes, so only the output is compared), and over virtio-fs
//! with QEMU's C virtiofsd and with the Rust one at `cache=none` and
//! `cache=always`.
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
use lintel::{Machine, Outcome, RootFs, VirtioMode, VirtiofsCache, VirtiofsdChoice};
use lintel_tests::{
    assert_same_output, describe_difference, describe_tree, guest, is_root, run_lintel_root_with,
    run_native_in, Link, RootConfig,
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

/// Native run, then the Lintel run in an equal tree booted as `config`
/// says; same stdout, both exit 0. Over a 9p root with `security_model=none`,
/// the tree left in `./work` on the host is the native run's too.
fn differential(name: &str, config: &RootConfig) {
    if skip_unless_root() {
        return;
    }
    let n = native(name);
    assert_native_ok(name, &n);
    let (root, _) = starting_tree(name);
    let r = run_lintel_root_with(root.path(), "/prog", &["prog"], &[], config);
    let what = format!("fs/{name} ({})", config.describe());
    assert_same_output(&format!("{what} stdout"), &r.stdout, &n.stdout);
    assert!(
        matches!(r.outcome, Outcome::Exited(0)),
        "{what} under Lintel: {:?}\n--- stderr ---\n{}",
        r.outcome,
        String::from_utf8_lossy(&r.stderr)
    );
    if config.fs == RootFs::NineP {
        assert_interface(&what, &r.log, config.virtio);
    }
    let shared = config.fs == RootFs::VirtioFs
        || (config.fs == RootFs::NineP && config.security_model == "none");
    if shared {
        let native_tree = describe_tree(&n.dir.path().join("work")).unwrap();
        let lintel_tree = describe_tree(&root.path().join("work")).unwrap();
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
    }
}

/// The kernel logs which interface it drives each virtio-9p device through
/// (`virtio-9p at 00:02.0: tag 'root' (legacy, MSI-X)`): the legacy one for
/// a legacy-only device, the modern one otherwise. Without such a line
/// (the log format changed) nothing is checked.
#[track_caller]
fn assert_interface(what: &str, log: &[u8], virtio: VirtioMode) {
    let log = String::from_utf8_lossy(log);
    let want = match virtio {
        VirtioMode::Legacy => "(legacy",
        VirtioMode::Modern | VirtioMode::Transitional => "(modern",
    };
    for line in log.lines().filter(|l| l.contains("virtio-9p at ")) {
        assert!(line.contains(want), "{what}: the kernel says {line:?}");
    }
}

fn nine_p() -> RootConfig {
    RootConfig::default()
}

fn initrd() -> RootConfig {
    RootConfig::initrd()
}

fn modern() -> RootConfig {
    RootConfig {
        virtio: VirtioMode::Modern,
        ..Default::default()
    }
}

fn legacy() -> RootConfig {
    RootConfig {
        virtio: VirtioMode::Legacy,
        ..Default::default()
    }
}

fn q35() -> RootConfig {
    RootConfig {
        machine: Machine::Q35,
        ..Default::default()
    }
}

fn mapped_xattr() -> RootConfig {
    RootConfig {
        security_model: "mapped-xattr".to_owned(),
        ..Default::default()
    }
}

fn virtiofs() -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::Rust, VirtiofsCache::Auto)
}

fn virtiofs_c() -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::C, VirtiofsCache::Auto)
}

fn virtiofs_cache_none() -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::Rust, VirtiofsCache::None)
}

fn virtiofs_cache_always() -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::Rust, VirtiofsCache::Always)
}

/// One `#[test]` per line: test name, program, configuration.
macro_rules! fs_tests {
    ($($test:ident: $name:literal over $config:ident;)*) => {
        $(
            #[test]
            fn $test() {
                differential($name, &$config());
            }
        )*
    };
}

fs_tests! {
    fs_basic: "basic" over nine_p;
    fs_dirs: "dirs" over nine_p;
    fs_links: "links" over nine_p;
    fs_attrs: "attrs" over nine_p;
    fs_fds: "fds" over nine_p;
    fs_pipes: "pipes" over nine_p;
    fs_mmap: "mmap" over nine_p;
    fs_big: "big" over nine_p;

    fs_basic_initrd: "basic" over initrd;
    fs_dirs_initrd: "dirs" over initrd;
    fs_links_initrd: "links" over initrd;
    fs_attrs_initrd: "attrs" over initrd;
    fs_fds_initrd: "fds" over initrd;
    fs_pipes_initrd: "pipes" over initrd;
    fs_mmap_initrd: "mmap" over initrd;
    fs_big_initrd: "big" over initrd;

    fs_basic_9p_modern: "basic" over modern;
    fs_dirs_9p_modern: "dirs" over modern;
    fs_links_9p_modern: "links" over modern;
    fs_attrs_9p_modern: "attrs" over modern;
    fs_fds_9p_modern: "fds" over modern;
    fs_pipes_9p_modern: "pipes" over modern;
    fs_mmap_9p_modern: "mmap" over modern;
    fs_big_9p_modern: "big" over modern;

    fs_basic_9p_legacy: "basic" over legacy;
    fs_dirs_9p_legacy: "dirs" over legacy;
    fs_links_9p_legacy: "links" over legacy;
    fs_attrs_9p_legacy: "attrs" over legacy;
    fs_fds_9p_legacy: "fds" over legacy;
    fs_pipes_9p_legacy: "pipes" over legacy;
    fs_mmap_9p_legacy: "mmap" over legacy;
    fs_big_9p_legacy: "big" over legacy;

    fs_basic_9p_q35: "basic" over q35;
    fs_dirs_9p_q35: "dirs" over q35;
    fs_links_9p_q35: "links" over q35;
    fs_attrs_9p_q35: "attrs" over q35;
    fs_fds_9p_q35: "fds" over q35;
    fs_pipes_9p_q35: "pipes" over q35;
    fs_mmap_9p_q35: "mmap" over q35;
    fs_big_9p_q35: "big" over q35;

    fs_basic_9p_mapped_xattr: "basic" over mapped_xattr;
    fs_dirs_9p_mapped_xattr: "dirs" over mapped_xattr;
    fs_links_9p_mapped_xattr: "links" over mapped_xattr;
    fs_attrs_9p_mapped_xattr: "attrs" over mapped_xattr;
    fs_fds_9p_mapped_xattr: "fds" over mapped_xattr;
    fs_pipes_9p_mapped_xattr: "pipes" over mapped_xattr;
    fs_mmap_9p_mapped_xattr: "mmap" over mapped_xattr;
    fs_big_9p_mapped_xattr: "big" over mapped_xattr;

    fs_basic_virtiofs: "basic" over virtiofs;
    fs_dirs_virtiofs: "dirs" over virtiofs;
    fs_links_virtiofs: "links" over virtiofs;
    fs_attrs_virtiofs: "attrs" over virtiofs;
    fs_fds_virtiofs: "fds" over virtiofs;
    fs_pipes_virtiofs: "pipes" over virtiofs;
    fs_mmap_virtiofs: "mmap" over virtiofs;
    fs_big_virtiofs: "big" over virtiofs;

    fs_basic_virtiofs_c: "basic" over virtiofs_c;
    fs_dirs_virtiofs_c: "dirs" over virtiofs_c;
    fs_links_virtiofs_c: "links" over virtiofs_c;
    fs_attrs_virtiofs_c: "attrs" over virtiofs_c;
    fs_fds_virtiofs_c: "fds" over virtiofs_c;
    fs_pipes_virtiofs_c: "pipes" over virtiofs_c;
    fs_mmap_virtiofs_c: "mmap" over virtiofs_c;
    fs_big_virtiofs_c: "big" over virtiofs_c;

    fs_basic_virtiofs_cache_none: "basic" over virtiofs_cache_none;
    fs_dirs_virtiofs_cache_none: "dirs" over virtiofs_cache_none;
    fs_links_virtiofs_cache_none: "links" over virtiofs_cache_none;
    fs_attrs_virtiofs_cache_none: "attrs" over virtiofs_cache_none;
    fs_fds_virtiofs_cache_none: "fds" over virtiofs_cache_none;
    fs_pipes_virtiofs_cache_none: "pipes" over virtiofs_cache_none;
    fs_mmap_virtiofs_cache_none: "mmap" over virtiofs_cache_none;
    fs_big_virtiofs_cache_none: "big" over virtiofs_cache_none;

    fs_basic_virtiofs_cache_always: "basic" over virtiofs_cache_always;
    fs_dirs_virtiofs_cache_always: "dirs" over virtiofs_cache_always;
    fs_links_virtiofs_cache_always: "links" over virtiofs_cache_always;
    fs_attrs_virtiofs_cache_always: "attrs" over virtiofs_cache_always;
    fs_fds_virtiofs_cache_always: "fds" over virtiofs_cache_always;
    fs_pipes_virtiofs_cache_always: "pipes" over virtiofs_cache_always;
    fs_mmap_virtiofs_cache_always: "mmap" over virtiofs_cache_always;
    fs_big_virtiofs_cache_always: "big" over virtiofs_cache_always;
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
/// the host after the native run (`fs_links` checks that Lintel over a 9p
/// root leaves the same tree).
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
