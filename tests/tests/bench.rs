//! `lintel bench` (cli/src/bench/): the benchmark programs in `bench/` run
//! under the real kernel from the bench's 9p share and print `BENCH` lines
//! the bench parses. The last test compares with the Linux guest (Debian's
//! kernel, downloaded on first use; about a minute under TCG), like
//! `cargo lintel bench --quick`.

use lintel::bench::guest::{run_lintel, GuestRun, Job};
use lintel::bench::report::{parse_output, BenchLine};
use lintel::bench::{build_share, BenchArgs};
use lintel::Accel;
use std::path::Path;
use std::time::Duration;

fn accel() -> Accel {
    match std::env::var("LINTEL_ACCEL").as_deref() {
        Ok("kvm") => Accel::Kvm,
        Ok("tcg") => Accel::Tcg,
        _ => Accel::Auto,
    }
}

/// Runs `argv` in Lintel with the test share as its 9p root (cache=none).
fn run(share: &Path, argv: &[&str]) -> (GuestRun, Vec<BenchLine>) {
    let kernel = lintel::kernel_image().expect("a Lintel kernel image");
    let mut job = Job::new(argv, "none");
    job.timeout = Duration::from_secs(120);
    let run = run_lintel(&kernel, share, &job, accel()).expect("QEMU starts");
    assert_eq!(
        run.status,
        Ok(()),
        "{argv:?}\n--- stdout ---\n{}--- other ---\n{}",
        run.stdout(),
        run.other
    );
    let (lines, errors) = parse_output(&run.stdout());
    assert!(errors.is_empty(), "{errors:?}");
    (run, lines)
}

fn figure<'a>(lines: &'a [BenchLine], name: &str) -> &'a BenchLine {
    lines
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
}

#[test]
fn benchmark_programs_report_under_lintel() {
    // Not target/bench/root: a real bench may be using that one.
    let share = lintel::workspace_root().join("target/bench/test-root");
    build_share(&share).expect("building the benchmark programs");

    let (boot, lines) = run(&share, &["/bin/boot"]);
    let main = figure(&lines, "boot_main");
    assert_eq!(main.unit, "ms");
    assert!(main.value > 0.0 && main.value < 60_000.0, "{main:?}");
    let first = boot.first_line_at("BENCH ").expect("a first line");
    assert!(first <= boot.wall, "{first:?} > {:?}", boot.wall);

    let (_, lines) = run(&share, &["/bin/syscall", "getppid", "20"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let l = figure(&lines, "getppid");
    assert_eq!(l.unit, "ns");
    assert!(l.value > 0.0, "{l:?}");

    let (_, lines) = run(&share, &["/bin/fileio", "/work", "2", "20"]);
    for (name, unit) in [
        ("seq_write", "MiB/s"),
        ("seq_read_cold", "MiB/s"),
        ("seq_read_warm", "MiB/s"),
        ("rand_read_4k", "IOPS"),
        ("create", "ops/s"),
        ("stat", "ops/s"),
        ("readdir", "entries/s"),
        ("unlink", "ops/s"),
    ] {
        let l = figure(&lines, name);
        assert_eq!(l.unit, unit, "{l:?}");
        assert!(l.value > 0.0, "{l:?}");
    }
    assert!(figure(&lines, "create")
        .extra
        .contains(&("files".to_owned(), "20".to_owned())));
    // The program cleaned up after itself, on the host.
    let left: Vec<_> = std::fs::read_dir(share.join("work")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Downloads Debian's kernel package on first use and boots Linux guests
/// (about a minute under TCG).
#[test]
fn quick_bench_against_linux() {
    let args = BenchArgs {
        quick: true,
        rounds: 1,
        mib: 4,
        files: 20,
        accel: accel(),
        ..BenchArgs::default()
    };
    assert_eq!(lintel::bench::bench(&args), 0);
}
