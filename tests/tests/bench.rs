//! `lintel bench` (cli/src/bench/): the benchmark programs in `bench/` run
//! under the real kernel from the bench's 9p share and print `BENCH` lines
//! the bench parses; nginx and redis serve from such a share through the
//! bench's own server path (a forwarded port, the readiness probe, wrk and
//! redis-benchmark on the host, the machine stopped by the host). The last
//! test compares with the Linux guest (Debian's kernel, downloaded on
//! first use; a minute or two under TCG), like `cargo lintel bench --quick`,
//! the nginx and redis rows included.

use lintel::bench::clients::{
    output_within, parse_redis_benchmark, parse_wrk, RedisBenchmark, Wrk, WrkReport,
};
use lintel::bench::guest::{run_lintel, Guest, GuestRun, Job, Machines};
use lintel::bench::report::{parse_output, BenchLine};
use lintel::bench::serve::{serve, Probe, Served};
use lintel::bench::{build_share, BenchArgs, READY_LIMIT};
use lintel::Accel;
use std::path::Path;
use std::process::Command;
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

/// Runs `wrk` (a one-second load) against the forwarded port.
fn wrk(port: u16, path: &str, connections: u32) -> WrkReport {
    let w = Wrk {
        path: path.to_owned(),
        threads: 1,
        connections,
        seconds: 1,
        timeout_s: 30,
        latency: true,
    };
    let o = output_within(Command::new("wrk").args(w.args(port)), w.limit()).expect("wrk runs");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "wrk: {}\n{out}", o.status);
    parse_wrk(&out).unwrap_or_else(|e| panic!("{e}"))
}

fn check_served<T>(what: &str, served: &Served<T>) {
    assert_eq!(
        served.run.status,
        Ok(()),
        "{what}\n--- stdout ---\n{}--- other ---\n{}",
        served.run.stdout(),
        served.run.other
    );
    assert!(served.ready_after.is_some() && served.measured.is_some());
}

/// nginx and redis under Lintel through the bench's server path, with
/// tiny loads (needs the workloads: built from Debian's sources on first
/// use, and the Linux guest's files: the path takes both guests).
#[test]
fn servers_answer_under_lintel() {
    let share = lintel::workspace_root().join("target/bench/test-servers-root");
    build_share(&share).expect("building the benchmark programs");
    lintel::setup::ensure_bench_tools().expect("wrk and redis-benchmark");
    let w = lintel::workloads::ensure_workloads().expect("nginx and redis");
    lintel::workloads::nginx_root(&share, &w.nginx).unwrap();
    lintel::workloads::redis_root(&share, &w.redis).unwrap();
    let dir = lintel::workspace_root().join("target/bench/linux");
    let m = Machines {
        lintel: lintel::kernel_image().expect("a Lintel kernel image"),
        linux: lintel::bench::linux::prepare(&dir).expect("the Linux guest"),
        share,
        accel: accel(),
    };

    let job = Job::new(&["/sbin/nginx"], "none");
    let served = serve(
        &m,
        Guest::Lintel,
        &job,
        80,
        Probe::Http,
        READY_LIMIT,
        |port| (wrk(port, "/1k.bin", 2), wrk(port, "/10m.bin", 1)),
    )
    .expect("QEMU starts");
    check_served("nginx", &served);
    let (small, big) = served.measured.unwrap();
    for r in [&small, &big] {
        assert_eq!(r.problems(), None, "{r:?}");
        assert!(r.requests > 0 && r.requests_per_s > 0.0, "{r:?}");
    }
    assert!(big.bytes_per_s > 1e6, "{big:?}");
    assert!(small.latency_at(50).is_some() && small.latency_at(99).is_some());
    // nginx logged the requests on the share.
    let log = std::fs::read_to_string(m.share.join("var/log/nginx/access.log")).unwrap();
    assert!(
        log.contains("\"GET /10m.bin HTTP/1.1\" 200 10485760 "),
        "{log}"
    );

    let job = Job::new(&["/bin/redis-server", "/etc/redis/redis.conf"], "none");
    let bench = RedisBenchmark {
        requests: 2000,
        pipeline: 16,
        clients: 4,
        tests: vec!["set".into(), "get".into()],
    };
    let served = serve(
        &m,
        Guest::Lintel,
        &job,
        6379,
        Probe::RedisPing,
        READY_LIMIT,
        |port| {
            let o = output_within(
                Command::new("redis-benchmark").args(bench.args(port)),
                bench.limit(),
            )
            .expect("redis-benchmark runs");
            assert!(o.status.success(), "redis-benchmark: {}", o.status);
            parse_redis_benchmark(&String::from_utf8_lossy(&o.stdout))
        },
    )
    .expect("QEMU starts");
    check_served("redis", &served);
    let got = served.measured.unwrap().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["set", "get"]);
    assert!(got.iter().all(|(_, v)| *v > 0.0), "{got:?}");
}

/// Downloads Debian's kernel package on first use and boots Linux guests
/// (a minute or two under TCG).
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
