//! The server rows (`nginx`, `redis`): what runs in the guests, which
//! loads the host puts on them ([`super::clients`]), and how their reports
//! become rows. [`super::serve`] boots a server and stops it.

use std::process::Command;
use std::time::Duration;

use super::clients::{self, output_within, parse_redis_benchmark, parse_wrk, RedisBenchmark, Wrk};
use super::guest::{Guest, Job};
use super::report::{self, Row};
use super::serve::{Probe, Served};
use super::{row, samples, BenchArgs};

/// The 9p cache mode of the server rows (`lintel run --root`'s default).
pub const SERVER_CACHE: &str = "none";
/// wrk's run time per figure: a full bench, a quick one.
pub const WRK_SECONDS: u32 = 8;
pub(super) const QUICK_WRK_SECONDS: u32 = 2;
/// A response slower than this is a wrk error (a stalled connection).
pub const WRK_TIMEOUT_S: u32 = 30;
/// redis-benchmark's requests per test: a full bench, a quick one.
pub const REDIS_REQUESTS: u32 = 200_000;
pub(super) const QUICK_REDIS_REQUESTS: u32 = 10_000;
/// How long a server may take to answer, boot included.
pub const READY_LIMIT: Duration = Duration::from_secs(120);

/// One server run per guest per round, measured from the host.
#[derive(Clone, Debug)]
pub(super) struct ServerPlan {
    pub group: &'static str,
    pub setup: String,
    pub job: Job,
    pub guest_port: u16,
    pub probe: Probe,
    pub loads: Vec<Load>,
}

/// One measurement of a running server.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Load {
    /// The row `name`: wrk's requests/s (`req/s`) or transfer rate
    /// (`MiB/s`); with `--latency`, also `NAME_p50` and `NAME_p99` (ms).
    Wrk {
        name: &'static str,
        unit: &'static str,
        wrk: Wrk,
    },
    /// One row per test (`set`, `get`): requests/s.
    Redis(RedisBenchmark),
}

impl Load {
    /// The setup column of its rows.
    pub(super) fn setup(&self, plan_setup: &str) -> String {
        match self {
            Load::Wrk { wrk, .. } => format!("{plan_setup}, {}", wrk.describe()),
            Load::Redis(r) => format!("{plan_setup}, {}", r.describe()),
        }
    }
}

/// One figure of a server row.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Figure {
    pub name: String,
    pub setup: String,
    pub unit: &'static str,
    pub value: f64,
}

pub(super) fn server_plans(args: &BenchArgs) -> Vec<ServerPlan> {
    use crate::workloads::roots::{NGINX_BIN, REDIS_CONF_PATH, REDIS_SERVER};
    let seconds = if args.quick {
        QUICK_WRK_SECONDS
    } else {
        WRK_SECONDS
    };
    let requests = if args.quick {
        QUICK_REDIS_REQUESTS
    } else {
        REDIS_REQUESTS
    };
    let setup = format!("9p cache={SERVER_CACHE}");
    let wrk = |path: &str, connections, latency| Wrk {
        path: path.to_owned(),
        threads: 1,
        connections,
        seconds,
        timeout_s: WRK_TIMEOUT_S,
        latency,
    };
    let mut v = Vec::new();
    if args.runs("nginx") {
        v.push(ServerPlan {
            group: "nginx",
            setup: setup.clone(),
            job: Job::new(&[NGINX_BIN], SERVER_CACHE),
            guest_port: 80,
            probe: Probe::Http,
            loads: vec![
                Load::Wrk {
                    name: "get_1k",
                    unit: "req/s",
                    wrk: wrk("/1k.bin", 8, true),
                },
                Load::Wrk {
                    name: "get_10m",
                    unit: "MiB/s",
                    wrk: wrk("/10m.bin", 1, false),
                },
            ],
        });
    }
    if args.runs("redis") {
        v.push(ServerPlan {
            group: "redis",
            setup,
            job: Job::new(&[REDIS_SERVER, REDIS_CONF_PATH], SERVER_CACHE),
            guest_port: 6379,
            probe: Probe::RedisPing,
            loads: vec![Load::Redis(RedisBenchmark {
                requests,
                pipeline: 16,
                clients: 8,
                tests: vec!["set".to_owned(), "get".to_owned()],
            })],
        });
    }
    v
}

/// Runs the loads one after the other against `127.0.0.1:port`.
pub(super) fn measure(
    loads: &[Load],
    plan_setup: &str,
    port: u16,
) -> Vec<Result<Vec<Figure>, String>> {
    loads
        .iter()
        .map(|load| {
            let setup = load.setup(plan_setup);
            match load {
                Load::Wrk { name, unit, wrk } => {
                    let out = client("wrk", &wrk.args(port), wrk.limit())?;
                    let report = parse_wrk(&out)?;
                    if let Some(p) = report.problems() {
                        return Err(format!("{}: {p}", wrk.describe()));
                    }
                    let value = if *unit == "MiB/s" {
                        report.bytes_per_s / f64::from(1u32 << 20)
                    } else {
                        report.requests_per_s
                    };
                    let mut figures = vec![Figure {
                        name: (*name).to_owned(),
                        setup: setup.clone(),
                        unit,
                        value,
                    }];
                    if wrk.latency {
                        for p in [50, 99] {
                            let ms = report
                                .latency_at(p)
                                .ok_or_else(|| format!("wrk --latency reported no {p}%"))?;
                            figures.push(Figure {
                                name: format!("{name}_p{p}"),
                                setup: setup.clone(),
                                unit: "ms",
                                value: ms,
                            });
                        }
                    }
                    Ok(figures)
                }
                Load::Redis(r) => {
                    let out = client("redis-benchmark", &r.args(port), r.limit())?;
                    let got = parse_redis_benchmark(&out)?;
                    r.tests
                        .iter()
                        .map(|t| {
                            let value = got.iter().find(|(n, _)| n == t).map(|(_, v)| *v);
                            value
                                .map(|value| Figure {
                                    name: t.clone(),
                                    setup: setup.clone(),
                                    unit: "req/s",
                                    value,
                                })
                                .ok_or_else(|| format!("redis-benchmark reported no {t}"))
                        })
                        .collect()
                }
            }
        })
        .collect()
}

/// Runs a client on the host: its stdout, or what went wrong.
fn client(program: &str, args: &[String], limit: Duration) -> Result<String, String> {
    let o = output_within(Command::new(program).args(args), limit)
        .map_err(|e| format!("{program} {}: {e}", args.join(" ")))?;
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    if !o.status.success() {
        return Err(format!(
            "{program} {} failed ({}): {}{}",
            args.join(" "),
            o.status,
            out.trim(),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(out)
}

/// Takes one server run into the rows; returns what failed (the run, or
/// single measurements), whose figures are left out.
pub(super) fn record_server(
    rows: &mut Vec<Row>,
    plan: &ServerPlan,
    guest: Guest,
    served: &Served<Vec<Result<Vec<Figure>, String>>>,
) -> Vec<String> {
    if let Err(why) = &served.run.status {
        return vec![why.clone()];
    }
    let mut failures = Vec::new();
    for result in served.measured.iter().flatten() {
        match result {
            Ok(figures) => {
                for f in figures {
                    let r = row(rows, plan.group, &f.name, &f.setup, f.unit);
                    samples(r, guest).push(f.value);
                }
            }
            Err(why) => failures.push(why.clone()),
        }
    }
    failures
}

/// One line of progress for a server run.
pub(super) fn server_progress(served: &Served<Vec<Result<Vec<Figure>, String>>>) -> String {
    let mut parts = Vec::new();
    if let Some(t) = served.ready_after {
        parts.push(format!("answered after {:.1} s", t.as_secs_f64()));
    }
    for result in served.measured.iter().flatten() {
        match result {
            Ok(figures) => {
                for f in figures {
                    parts.push(format!(
                        "{} {} {}",
                        f.name,
                        report::format_value(f.value),
                        f.unit
                    ));
                }
            }
            Err(_) => parts.push("a measurement FAILED".to_owned()),
        }
    }
    parts.join(", ")
}

/// How the server rows ran.
pub(super) fn server_facts(workloads: Option<&crate::workloads::Workloads>) -> String {
    let mut s = format!(
        "from the share (9p cache={SERVER_CACHE}): nginx (daemon off, master_process off, \
         access log on the share) and redis-server (no persistence); the network is QEMU \
         user-mode networking with one transitional virtio-net-pci device, the host's \
         127.0.0.1:PORT forwarded to the guest's static 10.0.2.15/24 (Lintel: ip=/gw=; \
         Linux: busybox ip), the same -netdev/-device in both; the clients run on the host"
    );
    if let Some(w) = workloads {
        s.push_str(&format!(
            "; nginx {}, redis {} (Debian's sources, static musl)",
            w.nginx.version, w.redis.version
        ));
    }
    let versions: Vec<String> = [("wrk", "--version"), ("redis-benchmark", "--version")]
        .iter()
        .filter_map(|(p, a)| clients::first_line(p, &[a]))
        .map(|l| l.split(" Copyright").next().unwrap_or(&l).trim().to_owned())
        .collect();
    if !versions.is_empty() {
        s.push_str(&format!("; {}", versions.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::guest::GuestRun;
    use std::ffi::OsString;

    fn p(args: &[&str]) -> BenchArgs {
        crate::bench::parse_args(&args.iter().map(OsString::from).collect::<Vec<_>>())
            .unwrap()
            .expect("not --help")
    }

    #[test]
    fn server_plans_follow_the_groups() {
        let all = server_plans(&BenchArgs::default());
        let groups: Vec<&str> = all.iter().map(|p| p.group).collect();
        assert_eq!(groups, ["nginx", "redis"]);
        let nginx = &all[0];
        assert_eq!(nginx.job.argv, ["/sbin/nginx"]);
        assert_eq!(nginx.job.cache, "none");
        assert_eq!((nginx.guest_port, nginx.probe), (80, Probe::Http));
        let setups: Vec<(String, &str)> = nginx
            .loads
            .iter()
            .map(|l| match l {
                Load::Wrk { name, .. } => (l.setup(&nginx.setup), *name),
                Load::Redis(_) => panic!("{l:?}"),
            })
            .collect();
        assert_eq!(
            setups,
            [
                ("9p cache=none, wrk -t1 -c8 -d8s".to_owned(), "get_1k"),
                ("9p cache=none, wrk -t1 -c1 -d8s".to_owned(), "get_10m"),
            ]
        );
        let Load::Wrk { wrk, unit, .. } = &nginx.loads[1] else {
            panic!()
        };
        assert_eq!(*unit, "MiB/s");
        assert_eq!(
            wrk.args(1234),
            [
                "-t1",
                "-c1",
                "-d8s",
                "--timeout",
                "30s",
                "http://127.0.0.1:1234/10m.bin"
            ]
        );
        let redis = &all[1];
        assert_eq!(
            redis.job.argv,
            ["/bin/redis-server", "/etc/redis/redis.conf"]
        );
        assert_eq!((redis.guest_port, redis.probe), (6379, Probe::RedisPing));
        assert_eq!(
            redis.loads[0].setup(&redis.setup),
            "9p cache=none, redis-benchmark -n 200000 -P 16 -c 8"
        );
        // Quick: short runs; --only picks.
        let quick = server_plans(&p(&["--quick", "--only", "net"]));
        let Load::Wrk { wrk, .. } = &quick[0].loads[0] else {
            panic!()
        };
        assert_eq!(wrk.seconds, QUICK_WRK_SECONDS);
        let Load::Redis(r) = &quick[1].loads[0] else {
            panic!()
        };
        assert_eq!(r.requests, QUICK_REDIS_REQUESTS);
        let only = server_plans(&p(&["--only", "redis"]));
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].group, "redis");
        assert!(server_plans(&p(&["--only", "boot,fileio"])).is_empty());
        assert!(crate::bench::plans(&p(&["--only", "net"])).is_empty());
    }

    #[test]
    fn server_runs_are_recorded_and_failures_counted() {
        let plans = server_plans(&p(&["--only", "redis"]));
        let plan = &plans[0];
        let setup = plan.loads[0].setup(&plan.setup);
        let fig = |name: &str, value| Figure {
            name: name.to_owned(),
            setup: setup.clone(),
            unit: "req/s",
            value,
        };
        let served = |status: Result<(), String>, measured| Served {
            run: GuestRun {
                lines: Vec::new(),
                wall: Duration::from_secs(9),
                status,
                accel: crate::accel::ResolvedAccel::Tcg,
                other: String::new(),
            },
            ready_after: Some(Duration::from_secs(1)),
            measured,
            port: 1,
        };
        let mut rows = Vec::new();
        let ok = served(
            Ok(()),
            Some(vec![Ok(vec![fig("set", 50000.0), fig("get", 60000.0)])]),
        );
        assert_eq!(record_server(&mut rows, plan, Guest::Lintel, &ok), [""; 0]);
        let linux = served(
            Ok(()),
            Some(vec![Ok(vec![fig("set", 40000.0), fig("get", 30000.0)])]),
        );
        assert_eq!(
            record_server(&mut rows, plan, Guest::Linux, &linux),
            [""; 0]
        );
        assert!(server_progress(&ok).contains("set 50000 req/s, get 60000 req/s"));
        let names: Vec<String> = rows.iter().map(|r| r.label()).collect();
        assert_eq!(names, ["redis/set", "redis/get"]);
        assert_eq!(
            rows[0].setup,
            "9p cache=none, redis-benchmark -n 200000 -P 16 -c 8"
        );
        assert_eq!(rows[1].ratio(), Some(2.0));
        assert!(!rows[0].note.is_empty());
        // A measurement that failed, and a server that died: no samples.
        let bad = served(Ok(()), Some(vec![Err("connection reset".into())]));
        assert_eq!(
            record_server(&mut rows, plan, Guest::Lintel, &bad),
            ["connection reset"]
        );
        assert!(server_progress(&bad).contains("FAILED"));
        let died = served(
            Err("the server ended while it was measured".into()),
            Some(vec![Ok(vec![fig("set", 1.0)])]),
        );
        assert_eq!(
            record_server(&mut rows, plan, Guest::Lintel, &died),
            ["the server ended while it was measured"]
        );
        assert_eq!(rows[0].lintel, [50000.0]);
        assert_eq!(rows.len(), 2);
    }
}
