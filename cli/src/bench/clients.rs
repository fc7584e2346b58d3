//! The load generators of the server rows, run on the host against the
//! guest's forwarded port: `wrk` (Debian's package) for nginx,
//! `redis-benchmark` (Debian's `redis-tools`) for redis. Their command
//! lines, running them with a time limit, and reading their reports.

use std::io::{self, Read};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// One `wrk` measurement of one URL path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wrk {
    /// The path fetched, e.g. `/1k.bin`.
    pub path: String,
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
    /// wrk's `--timeout`: a response slower than this counts as an error.
    pub timeout_s: u32,
    /// `--latency`: also report the latency percentiles.
    pub latency: bool,
}

impl Wrk {
    /// The arguments of `wrk` against `127.0.0.1:PORT`.
    pub fn args(&self, port: u16) -> Vec<String> {
        let mut v = vec![
            format!("-t{}", self.threads),
            format!("-c{}", self.connections),
            format!("-d{}s", self.seconds),
            "--timeout".to_owned(),
            format!("{}s", self.timeout_s),
        ];
        if self.latency {
            v.push("--latency".to_owned());
        }
        v.push(format!("http://127.0.0.1:{port}{}", self.path));
        v
    }

    /// How the table names it: `wrk -t1 -c8 -d8s`.
    pub fn describe(&self) -> String {
        format!(
            "wrk -t{} -c{} -d{}s",
            self.threads, self.connections, self.seconds
        )
    }

    /// How long it may take at most before it is killed.
    pub fn limit(&self) -> Duration {
        Duration::from_secs(u64::from(self.seconds + self.timeout_s) + 30)
    }
}

/// wrk's `Socket errors:` line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SocketErrors {
    pub connect: u64,
    pub read: u64,
    pub write: u64,
    pub timeout: u64,
}

/// What `wrk` reported.
#[derive(Clone, Debug, PartialEq)]
pub struct WrkReport {
    /// Completed requests.
    pub requests: u64,
    /// `Requests/sec:`.
    pub requests_per_s: f64,
    /// `Transfer/sec:` in bytes (wrk prints binary units: `30.36MB` is
    /// 30.36 MiB).
    pub bytes_per_s: f64,
    pub errors: SocketErrors,
    /// `Non-2xx or 3xx responses:`.
    pub non_2xx: u64,
    /// `--latency`'s distribution: (percentile, milliseconds), e.g.
    /// `(99, 203.41)`.
    pub latency_ms: Vec<(u32, f64)>,
}

impl WrkReport {
    /// The latency at `percentile` (50, 75, 90, 99), in ms.
    pub fn latency_at(&self, percentile: u32) -> Option<f64> {
        self.latency_ms
            .iter()
            .find(|(p, _)| *p == percentile)
            .map(|(_, ms)| *ms)
    }
}

impl WrkReport {
    /// What went wrong, if anything: socket errors (a refused or reset
    /// connection, a response slower than `--timeout`), error responses,
    /// or no request at all.
    pub fn problems(&self) -> Option<String> {
        let e = self.errors;
        let mut v = Vec::new();
        for (what, n) in [
            ("connect", e.connect),
            ("read", e.read),
            ("write", e.write),
            ("timeout", e.timeout),
        ] {
            if n > 0 {
                v.push(format!("{what} errors {n}"));
            }
        }
        if self.non_2xx > 0 {
            v.push(format!("{} non-2xx/3xx responses", self.non_2xx));
        }
        if self.requests == 0 {
            v.push("no request completed".to_owned());
        }
        (!v.is_empty()).then(|| v.join(", "))
    }
}

/// A size as wrk prints it: `512.00B`, `626.93KB`, `30.36MB`, `1.02GB`
/// (powers of 1024), in bytes.
pub fn parse_wrk_size(s: &str) -> Option<f64> {
    let s = s.trim().strip_suffix('B')?;
    let (number, scale) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 1u64 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        'T' => (&s[..s.len() - 1], 1 << 40),
        _ => (s, 1),
    };
    let v: f64 = number.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * scale as f64)
}

/// A duration as wrk prints it: `500.00us`, `3.42ms`, `2.98s`, `1.00m`,
/// in milliseconds.
pub fn parse_wrk_time(s: &str) -> Option<f64> {
    let s = s.trim();
    let (number, ms) = if let Some(n) = s.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60e3)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600e3)
    } else {
        return None;
    };
    let v: f64 = number.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * ms)
}

/// Reads `wrk`'s report (its default output, with or without `--latency`).
pub fn parse_wrk(text: &str) -> Result<WrkReport, String> {
    let mut requests = None;
    let mut rate = None;
    let mut transfer = None;
    let mut errors = SocketErrors::default();
    let mut non_2xx = 0;
    let mut latency_ms = Vec::new();
    let mut in_distribution = false;
    let number = |s: &str, what: &str| -> Result<f64, String> {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("wrk: bad {what} `{}`", s.trim()))
    };
    for line in text.lines().map(str::trim) {
        if line == "Latency Distribution" {
            in_distribution = true;
            continue;
        }
        if in_distribution {
            // `50%    3.42ms`, up to the first other line.
            let mut w = line.split_whitespace();
            if let (Some(p), Some(t), None) = (w.next(), w.next(), w.next()) {
                if let (Some(p), Some(ms)) = (
                    p.strip_suffix('%').and_then(|p| p.parse::<u32>().ok()),
                    parse_wrk_time(t),
                ) {
                    latency_ms.push((p, ms));
                    continue;
                }
            }
            in_distribution = false;
        }
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            rate = Some(number(v, "Requests/sec")?);
        } else if let Some(v) = line.strip_prefix("Transfer/sec:") {
            transfer = Some(
                parse_wrk_size(v).ok_or_else(|| format!("wrk: bad Transfer/sec `{}`", v.trim()))?,
            );
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            // `connect 0, read 0, write 0, timeout 3`
            for part in v.split(',') {
                let mut w = part.split_whitespace();
                let (Some(kind), Some(n), None) = (w.next(), w.next(), w.next()) else {
                    return Err(format!("wrk: bad socket errors `{}`", v.trim()));
                };
                let n: u64 = n
                    .parse()
                    .map_err(|_| format!("wrk: bad socket errors `{}`", v.trim()))?;
                match kind {
                    "connect" => errors.connect = n,
                    "read" => errors.read = n,
                    "write" => errors.write = n,
                    "timeout" => errors.timeout = n,
                    _ => return Err(format!("wrk: unknown socket error `{kind}`")),
                }
            }
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = v
                .trim()
                .parse()
                .map_err(|_| format!("wrk: bad non-2xx count `{}`", v.trim()))?;
        } else if let Some((n, rest)) = line.split_once(" requests in ") {
            // `4020 requests in 8.00s, 4.90MB read`
            if rest.ends_with(" read") {
                requests = Some(
                    n.parse::<u64>()
                        .map_err(|_| format!("wrk: bad request count `{n}`"))?,
                );
            }
        }
    }
    match (requests, rate, transfer) {
        (Some(requests), Some(requests_per_s), Some(bytes_per_s)) => Ok(WrkReport {
            requests,
            requests_per_s,
            bytes_per_s,
            errors,
            non_2xx,
            latency_ms,
        }),
        _ => Err(format!(
            "wrk: no `N requests in`, `Requests/sec:` and `Transfer/sec:` lines in:\n{}",
            text.trim()
        )),
    }
}

/// One `redis-benchmark` run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisBenchmark {
    /// `-n`: requests per test.
    pub requests: u32,
    /// `-P`: requests pipelined per connection.
    pub pipeline: u32,
    /// `-c`: parallel connections.
    pub clients: u32,
    /// `-t`: the tests, in redis-benchmark's names (`set`, `get`).
    pub tests: Vec<String>,
}

impl RedisBenchmark {
    /// The arguments of `redis-benchmark` against `127.0.0.1:PORT`.
    pub fn args(&self, port: u16) -> Vec<String> {
        vec![
            "-h".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            port.to_string(),
            "-q".to_owned(),
            "-n".to_owned(),
            self.requests.to_string(),
            "-t".to_owned(),
            self.tests.join(","),
            "-P".to_owned(),
            self.pipeline.to_string(),
            "-c".to_owned(),
            self.clients.to_string(),
        ]
    }

    /// How the table names it: `redis-benchmark -n 100000 -P 16 -c 8`.
    pub fn describe(&self) -> String {
        format!(
            "redis-benchmark -n {} -P {} -c {}",
            self.requests, self.pipeline, self.clients
        )
    }

    /// How long it may take at most before it is killed.
    pub fn limit(&self) -> Duration {
        Duration::from_secs(300)
    }
}

/// Reads `redis-benchmark -q`'s report: one `NAME: N requests per second`
/// line per test (after progress lines ending in `\r`), as `(name in lower
/// case, requests per second)`. Error messages are errors.
pub fn parse_redis_benchmark(text: &str) -> Result<Vec<(String, f64)>, String> {
    let mut out = Vec::new();
    for line in text.split(['\r', '\n']).map(str::trim) {
        if line.contains("rror") {
            return Err(format!("redis-benchmark: {line}"));
        }
        let Some((name, rest)) = line.split_once(": ") else {
            continue;
        };
        if rest.starts_with("rps=") {
            continue; // progress
        }
        let Some((n, _)) = rest.split_once(" requests per second") else {
            continue;
        };
        let v: f64 = n
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("redis-benchmark: bad rate in `{line}`"))?;
        out.push((name.trim().to_ascii_lowercase(), v));
    }
    if out.is_empty() {
        return Err(format!(
            "redis-benchmark: no `requests per second` line in:\n{}",
            text.trim()
        ));
    }
    Ok(out)
}

/// Runs `cmd` (stdout and stderr captured, no stdin); kills it after
/// `limit`.
pub fn output_within(cmd: &mut Command, limit: Duration) -> io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let reader = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("piped")));
    let err = reader(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("still running after {limit:?}; killed"),
            ));
        }
        thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// The first line `program ARGS` prints (stdout or stderr), e.g. its
/// version, whatever its exit status.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let o = output_within(Command::new(program).args(args), Duration::from_secs(10)).ok()?;
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What wrk 4.1.0 printed against nginx under Lintel.
    const WRK_1K: &str = "Running 8s test @ http://127.0.0.1:18080/1k.bin
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    30.08ms  187.81ms   1.92s    97.41%
    Req/Sec   504.56     58.79   590.00     66.25%
  4020 requests in 8.00s, 4.90MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
Requests/sec:    502.33
Transfer/sec:    626.93KB
";

    const WRK_10M: &str = "Running 8s test @ http://127.0.0.1:18080/10m.bin
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   329.97ms   26.25ms 385.82ms   75.00%
    Req/Sec     2.67      0.48     3.00     66.67%
  24 requests in 8.10s, 245.93MB read
Requests/sec:      2.96
Transfer/sec:     30.36MB
";

    #[test]
    fn wrk_arguments() {
        let w = Wrk {
            path: "/1k.bin".into(),
            threads: 1,
            connections: 8,
            seconds: 8,
            timeout_s: 30,
            latency: false,
        };
        assert_eq!(
            w.args(18080),
            [
                "-t1",
                "-c8",
                "-d8s",
                "--timeout",
                "30s",
                "http://127.0.0.1:18080/1k.bin"
            ]
        );
        assert_eq!(w.describe(), "wrk -t1 -c8 -d8s");
        assert_eq!(w.limit(), Duration::from_secs(68));
        let l = Wrk { latency: true, ..w };
        assert_eq!(l.args(1)[5..], ["--latency", "http://127.0.0.1:1/1k.bin"]);
        assert_eq!(l.describe(), "wrk -t1 -c8 -d8s");
    }

    /// `--latency` against nginx under Lintel: a few connections stalled.
    const WRK_LATENCY: &str = "Running 8s test @ http://127.0.0.1:42379/1k.bin
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   642.76ms    1.53s    7.52s    86.98%
    Req/Sec   535.06     46.09   590.00     77.50%
  Latency Distribution
     50%  500.00us
     75%    3.42ms
     90%    2.98s 
     99%    1.00m
  4268 requests in 8.01s, 5.20MB read
Requests/sec:    532.86
Transfer/sec:    665.03KB
";

    #[test]
    fn wrk_latencies() {
        assert_eq!(parse_wrk_time("3.42ms"), Some(3.42));
        assert_eq!(parse_wrk_time("500.00us"), Some(0.5));
        assert_eq!(parse_wrk_time("2.98s "), Some(2980.0));
        assert_eq!(parse_wrk_time("1.00m"), Some(60000.0));
        for bad in ["", "3.42", "ms", "x ms", "-1.0s"] {
            assert_eq!(parse_wrk_time(bad), None, "{bad}");
        }
        let r = parse_wrk(WRK_LATENCY).unwrap();
        assert_eq!(
            r.latency_ms,
            [(50, 0.5), (75, 3.42), (90, 2980.0), (99, 60000.0)]
        );
        assert_eq!((r.latency_at(99), r.latency_at(95)), (Some(60000.0), None));
        assert_eq!(r.requests, 4268);
        assert!(parse_wrk(WRK_1K).unwrap().latency_ms.is_empty());
    }

    #[test]
    fn wrk_sizes_are_binary() {
        assert_eq!(parse_wrk_size("512.00B"), Some(512.0));
        assert_eq!(parse_wrk_size(" 626.93KB"), Some(626.93 * 1024.0));
        assert_eq!(parse_wrk_size("30.36MB"), Some(30.36 * 1048576.0));
        assert_eq!(parse_wrk_size("1.50GB"), Some(1.5 * 1073741824.0));
        for bad in ["", "B", "12", "12.0XB", "-1B", "KB", "nanB"] {
            assert_eq!(parse_wrk_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn wrk_reports_parse() {
        let r = parse_wrk(WRK_1K).unwrap();
        assert_eq!(r.requests, 4020);
        assert_eq!(r.requests_per_s, 502.33);
        assert_eq!(r.bytes_per_s, 626.93 * 1024.0);
        assert_eq!(
            r.errors,
            SocketErrors {
                timeout: 3,
                ..SocketErrors::default()
            }
        );
        assert_eq!(r.non_2xx, 0);
        assert_eq!(r.problems().as_deref(), Some("timeout errors 3"));
        let r = parse_wrk(WRK_10M).unwrap();
        assert_eq!((r.requests, r.requests_per_s), (24, 2.96));
        assert_eq!(r.bytes_per_s / 1048576.0, 30.36);
        assert_eq!(r.problems(), None);
        let bad = WRK_10M.replace(
            "Requests/sec",
            "  Socket errors: connect 2, read 1, write 0, timeout 0\n  Non-2xx or 3xx responses: 7\nRequests/sec",
        );
        let r = parse_wrk(&bad).unwrap();
        assert_eq!(
            r.problems().as_deref(),
            Some("connect errors 2, read errors 1, 7 non-2xx/3xx responses")
        );
        let none = WRK_10M.replace("24 requests", "0 requests");
        assert_eq!(
            parse_wrk(&none).unwrap().problems().as_deref(),
            Some("no request completed")
        );
    }

    #[test]
    fn broken_wrk_reports_are_errors() {
        assert!(parse_wrk("").is_err());
        assert!(parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n").is_err());
        assert!(parse_wrk(&WRK_1K.replace("Transfer/sec:    626.93KB", "")).is_err());
        assert!(parse_wrk(&WRK_1K.replace("502.33", "fast")).is_err());
        assert!(parse_wrk(&WRK_1K.replace("timeout 3", "timeout x")).is_err());
        assert!(parse_wrk(&WRK_1K.replace("timeout 3", "lost 3")).is_err());
    }

    #[test]
    fn redis_benchmark_arguments() {
        let r = RedisBenchmark {
            requests: 100_000,
            pipeline: 16,
            clients: 8,
            tests: vec!["set".into(), "get".into()],
        };
        assert_eq!(
            r.args(16379).join(" "),
            "-h 127.0.0.1 -p 16379 -q -n 100000 -t set,get -P 16 -c 8"
        );
        assert_eq!(r.describe(), "redis-benchmark -n 100000 -P 16 -c 8");
    }

    #[test]
    fn redis_benchmark_reports_parse() {
        // redis-benchmark 7.0 -q: progress lines end in \r, results in \n.
        let out = "SET: rps=0.0 (overall: -nan) avg_msec=-nan (overall: -nan)\r\
                   SET: rps=49274.9 (overall: 49274.9) avg_msec=0.959 (overall: 0.959)\r\
                   SET: 51413.88 requests per second, p50=0.847 msec\n\
                   GET: rps=27792.8 (overall: 62285.7) avg_msec=1.006 (overall: 1.006)\r\
                   GET: 62695.92 requests per second, p50=0.951 msec\n\n";
        assert_eq!(
            parse_redis_benchmark(out).unwrap(),
            [("set".to_owned(), 51413.88), ("get".to_owned(), 62695.92)]
        );
        // Older versions print no percentile.
        assert_eq!(
            parse_redis_benchmark("PING_INLINE: 1234.50 requests per second\n").unwrap(),
            [("ping_inline".to_owned(), 1234.5)]
        );
        for bad in [
            "",
            "Could not connect to Redis at 127.0.0.1:1: Connection refused\n",
            "SET: 1.0 requests per second\nError: Server closed the connection\n",
            "Writing to socket: Connection reset by peer (Error)\n",
            "SET: fast requests per second\n",
        ] {
            assert!(parse_redis_benchmark(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn clients_are_killed_at_their_limit() {
        let o = output_within(
            Command::new("sh").args(["-c", "echo hi; echo err >&2"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert!(o.status.success());
        assert_eq!(
            (o.stdout.as_slice(), o.stderr.as_slice()),
            (&b"hi\n"[..], &b"err\n"[..])
        );
        let e =
            output_within(Command::new("sleep").arg("30"), Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            first_line("sh", &["-c", "echo; echo '  v1.2 ' >&2"]).as_deref(),
            Some("v1.2")
        );
    }
}
