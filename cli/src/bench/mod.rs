//! `lintel bench`: the same static benchmark programs (`bench/*.c`, built
//! with musl) run in Lintel and in a Linux guest (Debian's kernel, see
//! [`linux`]) on the same QEMU, accelerator and shared directory, the two
//! guests alternating over several rounds; the medians go into a table
//! (Markdown on stdout) and every sample into JSON.
//!
//! Groups (`--only`): `boot`, `syscall`, `fileio-none` and `fileio-loose`
//! (9p with that cache mode), `fileio-virtiofs` (virtio-fs, virtiofsd
//! `--cache auto`; `fileio` = the three), `nginx` and `redis` (servers from
//! the share measured through a forwarded port by `wrk` and
//! `redis-benchmark` on the host, see [`serve`]; `net` = the two),
//! `footprint`. Rows for what is not measured yet are listed with a note.

pub mod clients;
pub mod footprint;
pub mod guest;
pub mod linux;
pub mod report;
pub mod serve;
pub mod servers;

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::accel::Accel;
use crate::kernel_image::{kernel_image, workspace_root};
use crate::setup::ensure_host_tools;
use guest::{Guest, GuestRun, Job, Machines, MSIZE, VIRTIOFS_CACHE};
use report::{parse_output, Report, Row};
use serve::serve;
use servers::{measure, record_server, server_facts, server_plans, server_progress};
pub use servers::{READY_LIMIT, REDIS_REQUESTS, SERVER_CACHE, WRK_SECONDS, WRK_TIMEOUT_S};

/// Every group, in the order they run.
pub const GROUPS: &[&str] = &[
    "boot",
    "syscall",
    "fileio-none",
    "fileio-loose",
    "fileio-virtiofs",
    "nginx",
    "redis",
    "footprint",
];

/// The server groups.
pub const SERVER_GROUPS: &[&str] = &["nginx", "redis"];

/// The benchmark programs in `bench/`.
pub const PROGRAMS: &[&str] = &["hello", "boot", "syscall", "fileio"];

/// The options of `lintel bench`.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchArgs {
    /// Groups to run (empty: all).
    pub only: Vec<String>,
    pub rounds: u32,
    /// Also write the JSON here.
    pub json: Option<PathBuf>,
    /// One round, small sizes, no memory search.
    pub quick: bool,
    pub accel: Accel,
    /// File I/O: MiB written and read.
    pub mib: u32,
    /// File I/O: files created, stat'ed, listed and removed.
    pub files: u32,
}

pub const DEFAULT_ROUNDS: u32 = 3;
pub const DEFAULT_MIB: u32 = 256;
pub const DEFAULT_FILES: u32 = 10_000;
const QUICK_MIB: u32 = 8;
const QUICK_FILES: u32 = 100;

impl Default for BenchArgs {
    fn default() -> Self {
        BenchArgs {
            only: Vec::new(),
            rounds: DEFAULT_ROUNDS,
            json: None,
            quick: false,
            accel: Accel::Auto,
            mib: DEFAULT_MIB,
            files: DEFAULT_FILES,
        }
    }
}

/// Parses the arguments after `bench`; `None` for `--help`.
pub fn parse_args(args: &[OsString]) -> Result<Option<BenchArgs>, String> {
    let mut b = BenchArgs::default();
    let (mut mib, mut files, mut rounds) = (None, None, None);
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].to_string_lossy().into_owned();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .map(|v| v.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        let number = |v: String, name: &str| -> Result<u32, String> {
            match v.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name} wants a positive number, got `{v}`")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--only" => {
                for g in value("a benchmark name")?.split(',') {
                    let picked: Vec<&str> = match g {
                        "fileio" => vec!["fileio-none", "fileio-loose", "fileio-virtiofs"],
                        "net" => SERVER_GROUPS.to_vec(),
                        g if GROUPS.contains(&g) => vec![g],
                        _ => {
                            return Err(format!(
                                "unknown benchmark `{g}` (expected fileio, net or one of {})",
                                GROUPS.join(", ")
                            ))
                        }
                    };
                    for p in picked {
                        if !b.only.iter().any(|o| o == p) {
                            b.only.push(p.to_owned());
                        }
                    }
                }
            }
            "--rounds" => rounds = Some(number(value("a number")?, &name)?),
            "--json" => b.json = Some(PathBuf::from(value("a file name")?)),
            "--quick" => b.quick = true,
            "--mib" => mib = Some(number(value("a number")?, &name)?),
            "--files" => files = Some(number(value("a number")?, &name)?),
            "--accel" => b.accel = value("auto, kvm or tcg")?.parse()?,
            _ => return Err(format!("unknown option `{arg}` for bench")),
        }
        i += 1;
    }
    if b.quick {
        b.rounds = 1;
        b.mib = QUICK_MIB;
        b.files = QUICK_FILES;
    }
    b.rounds = rounds.unwrap_or(b.rounds);
    b.mib = mib.unwrap_or(b.mib);
    b.files = files.unwrap_or(b.files);
    Ok(Some(b))
}

impl BenchArgs {
    pub fn runs(&self, group: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|g| g == group)
    }

    /// nginx or redis runs.
    pub fn runs_servers(&self) -> bool {
        SERVER_GROUPS.iter().any(|g| self.runs(g))
    }
}

/// The command: exit status 0 when every figure was measured in both guests.
pub fn bench(args: &BenchArgs) -> i32 {
    match try_bench(args) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("lintel bench: {e}");
            1
        }
    }
}

fn try_bench(args: &BenchArgs) -> io::Result<bool> {
    let started = Instant::now();
    ensure_host_tools()?;
    let dir = workspace_root().join("target").join("bench");
    std::fs::create_dir_all(&dir)?;
    let lintel = std::path::absolute(kernel_image()?)?;
    let linux = linux::prepare(&dir.join("linux"))?;
    // A smoke run (the test suite runs one) gets a share of its own, so it
    // never empties the work directory of a real bench running meanwhile.
    let share = if args.quick {
        dir.join(format!("quick-root-{}", std::process::id()))
    } else {
        dir.join("root")
    };
    build_share(&share)?;
    let workloads = if args.runs_servers() {
        crate::setup::ensure_bench_tools()?;
        let w = crate::workloads::ensure_workloads()?;
        crate::workloads::nginx_root(&share, &w.nginx)?;
        crate::workloads::redis_root(&share, &w.redis)?;
        Some(w)
    } else {
        None
    };
    let machines = Machines {
        lintel,
        linux,
        share,
        accel: args.accel,
    };
    let report = run_all(args, &machines, workloads.as_ref(), started);
    if args.quick {
        let _ = std::fs::remove_dir_all(&machines.share);
    }
    let report = report?;
    let table = report.table();
    let notes = notes(&report);
    println!("\n{table}\n{notes}");
    let json = report.json();
    // A smoke run does not replace the latest real results.
    let stem = if args.quick { "quick" } else { "latest" };
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(&json_path, &json)?;
    std::fs::write(dir.join(format!("{stem}.md")), format!("{table}\n{notes}"))?;
    if let Some(path) = &args.json {
        std::fs::write(path, &json)
            .map_err(|e| io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))?;
    }
    eprintln!(
        "lintel bench: done in {:.0} s; results in {}",
        report.duration_s,
        json_path.display()
    );
    let complete = report
        .rows
        .iter()
        .filter(|r| !r.pending)
        .all(|r| r.lintel_median().is_some() && r.linux_median().is_some());
    if report.failed_runs > 0 {
        eprintln!(
            "lintel bench: {} guest run(s) failed; see above and target/bench/logs/",
            report.failed_runs
        );
    }
    Ok(complete && report.failed_runs == 0)
}

/// The lines printed under the table.
fn notes(r: &Report) -> String {
    let mut s = format!(
        "accelerator {}; {}; Linux guest {}; {} round(s), median shown; \
         ratio > 1 means Lintel is better (Lintel/Linux for rates, Linux/Lintel for times and sizes).\n",
        r.accel, r.qemu, r.linux, r.rounds
    );
    for (k, v) in &r.facts {
        s.push_str(&format!("{k}: {v}\n"));
    }
    s.push_str(&format!("total time {:.0} s\n", r.duration_s));
    s
}

/// Builds the shared root in `share`: `bin/` with the benchmark programs
/// (`bench/NAME.c`, static musl), the mount points both guests use (`dev`,
/// `proc`, `tmp`) and `work/` for file I/O.
pub fn build_share(share: &Path) -> io::Result<()> {
    for d in ["bin", "dev", "proc", "tmp", "work"] {
        std::fs::create_dir_all(share.join(d))?;
    }
    let src = workspace_root().join("bench");
    for p in PROGRAMS {
        let out = share.join("bin").join(p);
        let tmp = share.join("bin").join(format!(".{p}.partial"));
        let status = Command::new("musl-gcc")
            .args(["-static", "-O2", "-Wall", "-o"])
            .arg(&tmp)
            .arg(src.join(format!("{p}.c")))
            .status()
            .map_err(|e| io::Error::new(e.kind(), format!("running musl-gcc: {e}")))?;
        if !status.success() {
            return Err(io::Error::other(format!("musl-gcc failed on bench/{p}.c")));
        }
        std::fs::rename(&tmp, &out)?;
    }
    Ok(())
}

/// Empties `work/` (a failed run may have left files there).
fn clean_work(share: &Path) -> io::Result<()> {
    let work = share.join("work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)
}

/// One program run per guest per round.
struct Plan {
    group: &'static str,
    setup: String,
    job: Job,
}

fn plans(args: &BenchArgs) -> Vec<Plan> {
    let mut v = Vec::new();
    let root = |cache: &str| format!("9p cache={cache}");
    if args.runs("boot") {
        v.push(Plan {
            group: "boot",
            setup: root("none"),
            job: Job::new(&["/bin/boot"], "none"),
        });
    }
    if args.runs("syscall") {
        v.push(Plan {
            group: "syscall",
            setup: root("none"),
            job: Job::new(&["/bin/syscall"], "none"),
        });
    }
    for cache in ["none", "loose"] {
        if args.runs(&format!("fileio-{cache}")) {
            let (mib, files) = (args.mib.to_string(), args.files.to_string());
            v.push(Plan {
                group: "fileio",
                setup: root(cache),
                job: Job::new(&["/bin/fileio", "/work", &mib, &files], cache),
            });
        }
    }
    if args.runs("fileio-virtiofs") {
        let (mib, files) = (args.mib.to_string(), args.files.to_string());
        v.push(Plan {
            group: "fileio",
            setup: format!("virtio-fs cache={}", VIRTIOFS_CACHE.name()),
            job: Job::virtiofs(&["/bin/fileio", "/work", &mib, &files]),
        });
    }
    v
}

/// Notes of rows whose figures mean different things in the two guests.
fn row_note(group: &str, name: &str) -> &'static str {
    match (group, name) {
        ("boot", "boot_main") => {
            "guest CLOCK_BOOTTIME at main (Linux's starts after decompression)"
        }
        ("boot", "first_line") => "host: QEMU start to the program's first line",
        ("boot", "to_exit") => "host: QEMU start to QEMU's exit",
        ("syscall", "clock_gettime_libc") => "the vDSO in both",
        ("syscall", "clock_gettime_syscall") => "the raw system call in both",
        ("fileio", "seq_read_cold") => "Linux: after drop_caches",
        ("nginx", "get_1k") => "host wrk, keep-alive, through QEMU's port forwarding",
        ("nginx", "get_1k_p50") => "wrk --latency: median response time",
        ("nginx", "get_1k_p99") => "wrk --latency: 99th percentile",
        ("nginx", "get_10m") => "host wrk: Transfer/sec of one connection",
        ("redis", _) => "host redis-benchmark -q, through QEMU's port forwarding",
        _ => "",
    }
}

/// The plan's setup with the sizes a figure reports (`size_mib`, `files`).
fn figure_setup(plan_setup: &str, extra: &[(String, String)]) -> String {
    let mut s = plan_setup.to_owned();
    for (k, v) in extra {
        match k.as_str() {
            "size_mib" => s.push_str(&format!(", {v} MiB")),
            "files" => s.push_str(&format!(", {v} files")),
            _ => {}
        }
    }
    s
}

fn row<'a>(
    rows: &'a mut Vec<Row>,
    group: &str,
    name: &str,
    setup: &str,
    unit: &str,
) -> &'a mut Row {
    let at = match rows
        .iter()
        .position(|r| r.group == group && r.name == name && r.setup == setup)
    {
        Some(i) => i,
        None => {
            let mut r = Row::new(group, name, setup, unit);
            r.note = row_note(group, name).to_owned();
            rows.push(r);
            rows.len() - 1
        }
    };
    &mut rows[at]
}

fn samples(row: &mut Row, guest: Guest) -> &mut Vec<f64> {
    match guest {
        Guest::Lintel => &mut row.lintel,
        Guest::Linux => &mut row.linux,
    }
}

fn log_failure(guest: Guest, label: &str, run: &GuestRun, why: &str) {
    eprintln!("lintel bench: {label} in {}: {why}", guest.name());
    let dir = workspace_root().join("target/bench/logs");
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join(format!("{}-{}.txt", label.replace('/', "-"), guest.name()));
    let _ = std::fs::write(
        &file,
        format!(
            "{why}\n--- stdout ---\n{}--- other ---\n{}",
            run.stdout(),
            run.other
        ),
    );
    eprintln!("lintel bench: its output is in {}", file.display());
}

/// Takes what one run printed into the rows.
fn record(rows: &mut Vec<Row>, plan: &Plan, guest: Guest, run: &GuestRun) {
    let label = format!("{}({})", plan.group, plan.job.cache);
    let (lines, errors) = parse_output(&run.stdout());
    for e in &errors {
        eprintln!("lintel bench: {label} in {}: {e}", guest.name());
    }
    if run.status.is_err() {
        return;
    }
    for l in &lines {
        let setup = figure_setup(&plan.setup, &l.extra);
        samples(row(rows, plan.group, &l.name, &setup, &l.unit), guest).push(l.value);
    }
    if plan.group == "boot" {
        if let Some(t) = run.first_line_at("BENCH ") {
            let ms = t.as_secs_f64() * 1e3;
            samples(row(rows, "boot", "first_line", &plan.setup, "ms"), guest).push(ms);
        }
        let ms = run.wall.as_secs_f64() * 1e3;
        samples(row(rows, "boot", "to_exit", &plan.setup, "ms"), guest).push(ms);
    }
}

fn run_all(
    args: &BenchArgs,
    m: &Machines,
    workloads: Option<&crate::workloads::Workloads>,
    started: Instant,
) -> io::Result<Report> {
    let mut rows: Vec<Row> = Vec::new();
    let mut accel = None;
    let mut failed_runs = 0;
    let plans = plans(args);
    let server_plans = server_plans(args);
    for round in 0..args.rounds {
        for plan in &plans {
            // Alternate which guest goes first.
            let order = if round % 2 == 0 {
                [Guest::Lintel, Guest::Linux]
            } else {
                [Guest::Linux, Guest::Lintel]
            };
            for guest in order {
                clean_work(&m.share)?;
                let run = match m.run(guest, &plan.job) {
                    Ok(run) => run,
                    Err(e) => {
                        // Could not even start (no QEMU, no virtiofsd...):
                        // the row shows `failed`, the other figures go on.
                        eprintln!(
                            "lintel bench: round {} {} ({}) in {}: {e}",
                            round + 1,
                            plan.group,
                            plan.setup,
                            guest.name()
                        );
                        failed_runs += 1;
                        continue;
                    }
                };
                accel = Some(run.accel);
                eprintln!(
                    "lintel bench: round {}/{} {} ({}): {} {:.1} s{}",
                    round + 1,
                    args.rounds,
                    plan.group,
                    plan.setup,
                    guest.name(),
                    run.wall.as_secs_f64(),
                    if run.status.is_ok() { "" } else { " FAILED" }
                );
                if let Err(why) = &run.status {
                    failed_runs += 1;
                    let label = format!("{}-{}-round{}", plan.group, plan.job.cache, round + 1);
                    log_failure(guest, &label, &run, why);
                }
                record(&mut rows, plan, guest, &run);
            }
        }
        for plan in &server_plans {
            let order = if round % 2 == 0 {
                [Guest::Lintel, Guest::Linux]
            } else {
                [Guest::Linux, Guest::Lintel]
            };
            for guest in order {
                // nginx appends to its access log on the share: start empty.
                let log = m.share.join("var/log/nginx/access.log");
                if log.exists() {
                    std::fs::write(&log, b"")?;
                }
                let started = Instant::now();
                let served = serve(
                    m,
                    guest,
                    &plan.job,
                    plan.guest_port,
                    plan.probe,
                    READY_LIMIT,
                    |port| measure(&plan.loads, &plan.setup, port),
                );
                let served = match served {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!(
                            "lintel bench: round {} {} in {}: {e}",
                            round + 1,
                            plan.group,
                            guest.name()
                        );
                        failed_runs += 1;
                        continue;
                    }
                };
                accel = Some(served.run.accel);
                let failures = record_server(&mut rows, plan, guest, &served);
                let label = format!("{}-round{}", plan.group, round + 1);
                for why in &failures {
                    log_failure(guest, &label, &served.run, why);
                }
                failed_runs += failures.len() as u32;
                eprintln!(
                    "lintel bench: round {}/{} {} ({}): {} {:.1} s: {}{}",
                    round + 1,
                    args.rounds,
                    plan.group,
                    plan.setup,
                    guest.name(),
                    started.elapsed().as_secs_f64(),
                    server_progress(&served),
                    if failures.is_empty() { "" } else { " FAILED" }
                );
            }
        }
    }
    let mut facts = Vec::new();
    if ["fileio-none", "fileio-loose", "fileio-virtiofs"]
        .iter()
        .any(|g| args.runs(g))
    {
        facts.push((
            "file I/O".to_owned(),
            format!("{} MiB, {} files", args.mib, args.files),
        ));
    }
    facts.extend([
        (
            "machine".to_owned(),
            format!(
                "QEMU -machine pc, -m 512M, 1 vCPU; the share is one transitional virtio-9p-pci \
                 device (QEMU's local server, security_model=none, tag root, msize={MSIZE} in \
                 both) or, for virtio-fs, one vhost-user-fs-pci device (tag root) with the guest \
                 memory in a shared memfd"
            ),
        ),
        (
            "Linux modules".to_owned(),
            format!(
                "9p: {}; virtio-fs: {}; network: {}",
                m.linux.modules.join(" "),
                m.linux.virtiofs_modules.join(" "),
                m.linux.net_modules.join(" ")
            ),
        ),
    ]);
    if !server_plans.is_empty() {
        facts.push(("servers".to_owned(), server_facts(workloads)));
    }
    if args.runs("fileio-virtiofs") {
        if let Ok(d) = crate::virtiofs::VirtiofsdChoice::Auto.resolve() {
            facts.push((
                "virtiofsd".to_owned(),
                format!(
                    "{} ({:?}), --cache {}, a fresh daemon for every run of either guest",
                    d.path.display(),
                    d.kind,
                    VIRTIOFS_CACHE.name()
                ),
            ));
        }
    }
    if let Some(cpu) = host_cpu() {
        facts.push(("host CPU".to_owned(), cpu));
    }
    if args.runs("footprint") {
        let a = footprint_rows(args, m, &mut rows)?;
        accel = accel.or(a);
    }
    rows.extend(not_yet_rows());
    Ok(Report {
        accel: accel
            .unwrap_or_else(|| args.accel.resolve())
            .name()
            .to_owned(),
        qemu: qemu_version(),
        linux: format!("{} ({})", m.linux.release, m.linux.package),
        rounds: args.rounds,
        facts,
        rows,
        duration_s: started.elapsed().as_secs_f64(),
        failed_runs,
    })
}

/// Image sizes and the smallest `-m` running hello.
fn footprint_rows(
    args: &BenchArgs,
    m: &Machines,
    rows: &mut Vec<Row>,
) -> io::Result<Option<crate::accel::ResolvedAccel>> {
    let kib = |b: u64| b as f64 / 1024.0;
    let lintel_image = std::fs::read(&m.lintel)?;
    let linux_image = std::fs::read(&m.linux.vmlinuz)?;
    let initramfs = footprint::file_size(&m.linux.initramfs)?;
    let setup = "";
    let mut r = Row::new("footprint", "kernel_file", setup, "KiB");
    r.lintel.push(kib(lintel_image.len() as u64));
    r.linux.push(kib(linux_image.len() as u64));
    r.note = "the -kernel file (Lintel: ELF with debug info)".to_owned();
    rows.push(r);
    let mut r = Row::new("footprint", "boot_files", setup, "KiB");
    r.lintel.push(kib(lintel_image.len() as u64));
    r.linux.push(kib(linux_image.len() as u64 + initramfs));
    r.note = "-kernel + -initrd (Linux: busybox and the modules)".to_owned();
    rows.push(r);
    let mut r = Row::new("footprint", "kernel_memory", setup, "KiB");
    if let Some(n) = footprint::elf_loaded_size(&lintel_image) {
        r.lintel.push(kib(n));
    }
    if let Some(n) = footprint::bzimage_init_size(&linux_image) {
        r.linux.push(kib(n));
    }
    r.note = "Lintel: PT_LOAD sizes; Linux: bzImage init_size".to_owned();
    rows.push(r);
    if args.quick {
        return Ok(None);
    }
    let mut r = Row::new("footprint", "min_memory_hello", "9p cache=none", "MiB");
    let mut accel = None;
    let mut brackets = Vec::new();
    for guest in [Guest::Lintel, Guest::Linux] {
        let found = footprint::search_min(
            |mib| {
                let mut job = Job::new(&["/bin/hello"], "none");
                job.memory = format!("{mib}M");
                job.timeout = Duration::from_secs(90);
                let ok = match m.run(guest, &job) {
                    Ok(run) => {
                        accel = Some(run.accel);
                        run.status.is_ok() && run.lines.iter().any(|(_, l)| l == "hello")
                    }
                    Err(_) => false,
                };
                eprintln!(
                    "lintel bench: footprint: hello in {} with -m {mib}M: {}",
                    guest.name(),
                    if ok { "ran" } else { "failed" }
                );
                ok
            },
            512,
            9,
        );
        if let Some((lo, hi)) = found {
            samples(&mut r, guest).push(f64::from(hi));
            brackets.push(format!("{} {lo}-{hi}", guest.name()));
        }
    }
    r.note = format!("smallest -m, bisection: {}", brackets.join(", "));
    rows.push(r);
    Ok(accel)
}

/// What is not measured yet.
fn not_yet_rows() -> Vec<Row> {
    vec![Row::not_yet(
        "footprint",
        "min_memory_redis",
        "",
        "MiB",
        "not yet measured",
    )]
}

fn qemu_version() -> String {
    Command::new(crate::qemu::qemu_binary())
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "QEMU (version unknown)".to_owned())
}

fn host_cpu() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let model = info.lines().find_map(|l| {
        l.strip_prefix("model name")?
            .split_once(':')
            .map(|(_, v)| v.trim().to_owned())
    })?;
    let cpus = info.lines().filter(|l| l.starts_with("processor")).count();
    Some(format!("{model}, {cpus} CPUs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<BenchArgs, String> {
        parse_args(&args.iter().map(OsString::from).collect::<Vec<_>>())
            .map(|b| b.expect("not --help"))
    }

    #[test]
    fn options() {
        assert_eq!(p(&[]), Ok(BenchArgs::default()));
        let b = p(&[
            "--only",
            "syscall",
            "--only=fileio,boot",
            "--rounds",
            "5",
            "--json",
            "r.json",
        ])
        .unwrap();
        assert_eq!(
            b.only,
            [
                "syscall",
                "fileio-none",
                "fileio-loose",
                "fileio-virtiofs",
                "boot"
            ]
        );
        assert_eq!(b.rounds, 5);
        assert_eq!(b.json, Some(PathBuf::from("r.json")));
        assert!(b.runs("boot") && !b.runs("footprint"));
        assert!(BenchArgs::default().runs("footprint"));
        let q = p(&["--quick"]).unwrap();
        assert_eq!(
            (q.rounds, q.mib, q.files, q.quick),
            (1, QUICK_MIB, QUICK_FILES, true)
        );
        let q = p(&["--rounds", "2", "--quick", "--files=50"]).unwrap();
        assert_eq!((q.rounds, q.mib, q.files), (2, QUICK_MIB, 50));
        assert_eq!(p(&["--accel", "tcg"]).unwrap().accel, Accel::Tcg);
        assert_eq!(
            parse_args(&["--rounds".into(), "2".into(), "--help".into()]),
            Ok(None)
        );
        assert_eq!(p(&["--only", "nginx"]).unwrap().only, ["nginx"]);
        let net = p(&["--only", "net,redis"]).unwrap();
        assert_eq!(net.only, ["nginx", "redis"]);
        assert!(net.runs_servers() && !net.runs("boot"));
        assert!(BenchArgs::default().runs_servers());
        assert!(!p(&["--only", "fileio"]).unwrap().runs_servers());
        for bad in [
            &["--only", "nginxx"][..],
            &["--rounds", "0"],
            &["--rounds"],
            &["--mib", "-1"],
            &["--bogus"],
            &["--accel", "hvf"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn plans_follow_the_groups() {
        let all = plans(&BenchArgs::default());
        let groups: Vec<(&str, &str)> = all
            .iter()
            .map(|p| (p.group, p.job.cache.as_str()))
            .collect();
        assert_eq!(
            groups,
            [
                ("boot", "none"),
                ("syscall", "none"),
                ("fileio", "none"),
                ("fileio", "loose"),
                ("fileio", "auto")
            ]
        );
        assert_eq!(all[2].job.argv, ["/bin/fileio", "/work", "256", "10000"]);
        let only = plans(&p(&["--only", "fileio-loose", "--mib", "4", "--files", "7"]).unwrap());
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].job.argv, ["/bin/fileio", "/work", "4", "7"]);
        assert_eq!(only[0].setup, "9p cache=loose");
        let extra = [
            ("size_mib".to_owned(), "4".to_owned()),
            ("iterations".to_owned(), "9".to_owned()),
        ];
        assert_eq!(
            figure_setup("9p cache=none", &extra),
            "9p cache=none, 4 MiB"
        );
        let extra = [("files".to_owned(), "7".to_owned())];
        assert_eq!(
            figure_setup("9p cache=none", &extra),
            "9p cache=none, 7 files"
        );
    }

    #[test]
    fn runs_are_recorded_per_guest_and_failures_are_not() {
        let plan = &plans(&p(&["--only", "boot"]).unwrap())[0];
        let ms = Duration::from_millis;
        let run = |value: &str, status: Result<(), String>| GuestRun {
            lines: vec![
                (ms(3000), "[ 1.0] noise".into()),
                (
                    ms(3100),
                    format!("BENCH name=boot_main value={value} unit=ms"),
                ),
            ],
            wall: ms(3500),
            status,
            accel: crate::accel::ResolvedAccel::Tcg,
            other: String::new(),
        };
        let mut rows = Vec::new();
        record(&mut rows, plan, Guest::Linux, &run("2000", Ok(())));
        record(&mut rows, plan, Guest::Lintel, &run("70", Ok(())));
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["boot_main", "first_line", "to_exit"]);
        assert_eq!(rows[0].linux, [2000.0]);
        assert_eq!(rows[0].lintel, [70.0]);
        assert_eq!(rows[1].linux, [3100.0]);
        assert_eq!(rows[2].lintel, [3500.0]);
        assert!(!rows[0].note.is_empty());
        // A failed run adds nothing.
        record(
            &mut rows,
            plan,
            Guest::Lintel,
            &run("1", Err("crashed".into())),
        );
        assert_eq!(rows[0].lintel, [70.0]);
    }

    #[test]
    fn the_sources_exist() {
        for p in PROGRAMS {
            assert!(
                workspace_root()
                    .join("bench")
                    .join(format!("{p}.c"))
                    .is_file(),
                "{p}"
            );
        }
    }
}
