//! nginx and redis, Debian's source packages built static with musl
//! (`lintel::workloads`, cached in `target/workloads/`: minutes the first
//! time, nothing after), each tested twice with the same binaries and the
//! same root directory:
//!
//! - **natively** on the host, first: proves the builds and the assembled
//!   roots (`nginx_root`, `redis_root`) are right, so a failure of the
//!   second half is Lintel's. nginx runs on a copy of its root with a
//!   test-only configuration (a free loopback port, the root's host paths;
//!   once more with `master_process on`); curl fetches the 1 KiB and 10 MiB
//!   files, compares them byte for byte and finds the requests in the
//!   access log. redis-server runs with the same kind of variant of its
//!   root's configuration; Debian's redis-cli does SET/GET/INCR/LPUSH/LRANGE, our static
//!   redis-cli talks to it too, and `redis-benchmark -n 2000 -t set,get -P
//!   16` completes without errors.
//! - **under Lintel**: the `lintel` binary boots the root directory over
//!   virtio-9p with the host's port forwarded (`lintel run --root DIR -p
//!   PORT:80 -- /sbin/nginx`, QEMU user-mode networking and a virtio-net
//!   device); the test waits (at most 120 s) until the server answers
//!   through the forwarded port, repeats the checks (redis-benchmark with
//!   `-n 100000`; then BGSAVE, whose forked child writes `dump.rdb` into
//!   the 9p root), stops the machine with SIGTERM to `lintel` (exit status
//!   143) and reads what nginx and redis left on the host. nginx runs once
//!   more with a master process and a worker (fork, socketpair channels).
//!
//! The Lintel half needs the kernel's network stack (virtio-net, TCP
//! sockets, epoll) and its processes. A run that cannot serve fails fast: when nginx or
//! redis exits (e.g. `socket()` failing with ENOSYS), the wait ends at
//! once with their stderr and the kernel log.
//!
//! Needs curl and redis-tools (`cargo lintel test` installs them) and, the
//! first time, apt's source packages (deb-src entries are added as root).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel::workloads::roots::{self, content, NginxConf, RedisConf, NGINX_FILES};
use lintel::workloads::{ensure_workloads, nginx_root, redis_root, Workloads};
use lintel_tests::server::{free_port, output_within, Server};

/// How long a server under Lintel may take to answer (boot included).
const ANSWER_LIMIT: Duration = Duration::from_secs(120);
/// How long a native server may take to answer.
const NATIVE_LIMIT: Duration = Duration::from_secs(30);

/// The `lintel` binary (`tests/src/bin/lintel-cli.rs`).
fn lintel() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lintel-cli"))
}

/// The workloads, built (or found in the cache) once per test process.
fn workloads() -> &'static Workloads {
    static W: OnceLock<Result<Workloads, String>> = OnceLock::new();
    match W.get_or_init(|| {
        let start = Instant::now();
        let w = ensure_workloads().map_err(|e| e.to_string())?;
        eprintln!(
            "workloads: nginx {} and redis {} ready in {:.1?}",
            w.nginx.version,
            w.redis.version,
            start.elapsed()
        );
        Ok(w)
    }) {
        Ok(w) => w,
        Err(e) => panic!("building nginx and redis from Debian's sources failed: {e}"),
    }
}

/// One server test at a time: two TCG guests (or a guest and a native
/// benchmark) on a 2-core machine would only make both slow.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn tool(name: &str) -> Command {
    Command::new(name)
}

/// `curl` of `url` into `out`: the HTTP status, or why there was none.
fn curl(url: &str, out: &Path, limit: Duration) -> Result<u16, String> {
    let o = output_within(
        tool("curl")
            .args(["-sS", "--max-time", &limit.as_secs().to_string()])
            .arg("-o")
            .arg(out)
            .args(["-w", "%{http_code}", url]),
        limit + Duration::from_secs(5),
    )?;
    let code = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    if !o.status.success() {
        return Err(format!(
            "curl {url}: {} ({})",
            String::from_utf8_lossy(&o.stderr).trim(),
            o.status
        ));
    }
    code.parse()
        .map_err(|_| format!("curl {url}: status `{code}`"))
}

/// `GET /` answers 200: nginx is serving (through QEMU's forwarding, the
/// host port accepts connections as soon as QEMU runs; only an HTTP answer
/// says the guest is there).
fn http_ok(port: u16, scratch: &Path) -> bool {
    curl(
        &format!("http://127.0.0.1:{port}/"),
        &scratch.join("probe"),
        Duration::from_secs(5),
    ) == Ok(200)
}

/// What nginx serves, fetched and compared byte for byte with the root's
/// files and with what they were made from; `/missing` is a 404.
fn check_nginx_files(port: u16, root: &Path, scratch: &Path) {
    for (name, len, seed) in NGINX_FILES {
        let got = scratch.join(name);
        let start = Instant::now();
        let status = curl(
            &format!("http://127.0.0.1:{port}/{name}"),
            &got,
            Duration::from_secs(300),
        )
        .unwrap();
        let took = start.elapsed();
        assert_eq!(status, 200, "GET /{name}");
        let bytes = fs::read(&got).unwrap();
        assert_eq!(bytes.len(), *len, "GET /{name}: size");
        assert!(
            bytes == content(*seed, *len),
            "GET /{name}: the bytes differ from what was written, first at {:?}",
            bytes
                .iter()
                .zip(content(*seed, *len))
                .position(|(a, b)| *a != b)
        );
        assert_eq!(
            bytes,
            fs::read(root.join("var/www/html").join(name)).unwrap()
        );
        eprintln!(
            "GET /{name}: {len} bytes in {took:.2?} ({:.1} MB/s, curl included)",
            *len as f64 / took.as_secs_f64() / 1e6
        );
    }
    let index = scratch.join("index.html");
    assert_eq!(
        curl(
            &format!("http://127.0.0.1:{port}/"),
            &index,
            Duration::from_secs(30)
        ),
        Ok(200)
    );
    assert!(fs::read_to_string(&index)
        .unwrap()
        .contains("<h1>nginx on Lintel</h1>"));
    assert_eq!(
        curl(
            &format!("http://127.0.0.1:{port}/missing"),
            &scratch.join("missing"),
            Duration::from_secs(30)
        ),
        Ok(404)
    );
}

/// The access log in `root` holds a line for each request of
/// [`check_nginx_files`], from `client`.
fn check_access_log(root: &Path, client: &str) {
    let log = fs::read_to_string(root.join("var/log/nginx/access.log")).unwrap();
    for (name, len, _) in NGINX_FILES {
        let want = format!("\"GET /{name} HTTP/1.1\" 200 {len} ");
        assert!(
            log.lines()
                .any(|l| l.starts_with(&format!("{client} ")) && l.contains(&want)),
            "no `{client} ... {want}` in the access log:\n{log}"
        );
    }
    assert!(log.contains("\"GET /missing HTTP/1.1\" 404 "), "{log}");
}

/// nginx on the host with the root's binary and a variant of its
/// configuration (`master_process` as given, a free loopback port, the
/// root's host paths), started with `-p ROOT/`.
fn nginx_natively(master_process: bool) {
    let w = workloads();
    let _one = one_at_a_time();
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    nginx_root(&root, &w.nginx).unwrap();
    let port = free_port();
    let conf = root.join("etc/nginx/nginx-native.conf");
    let variant = NginxConf {
        listen: format!("127.0.0.1:{port}"),
        master_process,
        prefix: root.display().to_string(),
    };
    fs::write(&conf, variant.render()).unwrap();
    let mut prefix = root.clone().into_os_string();
    prefix.push("/");
    let mut nginx = Server::start(
        "nginx (native)",
        &root.join("sbin/nginx"),
        &[OsString::from("-p"), prefix, "-c".into(), conf.into()],
        &[],
    );
    let took = nginx
        .wait_until(&format!("GET / on port {port}"), NATIVE_LIMIT, || {
            http_ok(port, t.path())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("native nginx answered after {took:.2?}");
    check_nginx_files(port, &root, t.path());
    let pid_file = fs::read_to_string(root.join("run/nginx.pid")).unwrap();
    assert_eq!(pid_file.trim(), nginx.pid().to_string());
    let status = nginx.stop(Duration::from_secs(30));
    assert!(
        status.success(),
        "nginx ended with {status}\n{}",
        nginx.report()
    );
    check_access_log(&root, "127.0.0.1");
    let (_, stderr) = nginx.output();
    if master_process {
        assert!(stderr.contains("start worker process"), "{stderr}");
    }
    assert!(!stderr.contains("[emerg]"), "{stderr}");
}

#[test]
fn nginx_natively_serves_its_root() {
    nginx_natively(false);
}

#[test]
fn nginx_natively_with_a_master_process_and_a_worker() {
    nginx_natively(true);
}

/// `redis-cli -h 127.0.0.1 -p PORT ARGS` (Debian's, or `cli`): its stdout.
fn redis_cli(cli: &Path, port: u16, args: &[&str]) -> String {
    let o = output_within(
        Command::new(cli)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args),
        Duration::from_secs(60),
    )
    .unwrap();
    assert!(
        o.status.success(),
        "redis-cli {args:?}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The redis commands of both halves, through Debian's redis-cli.
fn check_redis_commands(port: u16) {
    let cli = Path::new("redis-cli");
    let r = |args: &[&str]| redis_cli(cli, port, args);
    assert_eq!(r(&["SET", "greeting", "hello from Lintel"]), "OK\n");
    assert_eq!(r(&["GET", "greeting"]), "hello from Lintel\n");
    assert_eq!(r(&["INCR", "counter"]), "1\n");
    assert_eq!(r(&["INCR", "counter"]), "2\n");
    assert_eq!(r(&["INCRBY", "counter", "40"]), "42\n");
    assert_eq!(r(&["LPUSH", "list", "a", "b", "c"]), "3\n");
    assert_eq!(r(&["LRANGE", "list", "0", "-1"]), "c\nb\na\n");
    assert_eq!(r(&["DBSIZE"]), "3\n");
}

/// `redis-benchmark -q -n N -t set,get -P 16`: it ends in time, reports
/// both tests and no error. Returns its report.
fn check_redis_benchmark(port: u16, n: u32, limit: Duration) -> String {
    let start = Instant::now();
    let o = output_within(
        Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(["-q", "-n", &n.to_string(), "-t", "set,get", "-P", "16"]),
        limit,
    )
    .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "redis-benchmark: {}\n{out}\n{err}",
        o.status
    );
    // -q prints progress with carriage returns, then one line per test.
    let lines: Vec<&str> = out
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| l.contains("requests per second") && !l.contains("rps="))
        .collect();
    for test in ["SET: ", "GET: "] {
        assert!(
            lines.iter().any(|l| l.starts_with(test)),
            "no {test} result in:\n{out}"
        );
    }
    for bad in ["error", "Error", "ERR"] {
        assert!(!out.contains(bad) && !err.contains(bad), "{out}\n{err}");
    }
    let report = format!(
        "redis-benchmark -n {n}: {} in {:.1?}",
        lines.join("; "),
        start.elapsed()
    );
    eprintln!("{report}");
    report
}

#[test]
fn redis_natively_answers_commands_and_the_benchmark() {
    let w = workloads();
    let _one = one_at_a_time();
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    redis_root(&root, &w.redis).unwrap();
    let port = free_port();
    let data = root.join("data");
    let conf = root.join("etc/redis/redis-native.conf");
    let variant = RedisConf {
        bind: "127.0.0.1".into(),
        port,
        dir: data.display().to_string(),
    };
    fs::write(&conf, variant.render()).unwrap();
    let mut redis = Server::start(
        "redis-server (native)",
        &root.join("bin/redis-server"),
        &[conf.into()],
        &[],
    );
    let ours = root.join("bin/redis-cli");
    redis
        .wait_until(&format!("PING on port {port}"), NATIVE_LIMIT, || {
            output_within(
                Command::new(&ours).args(["-h", "127.0.0.1", "-p", &port.to_string(), "PING"]),
                Duration::from_secs(10),
            )
            .is_ok_and(|o| o.stdout == b"PONG\n")
        })
        .unwrap_or_else(|e| panic!("{e}"));
    check_redis_commands(port);
    // Our static redis-cli sees what Debian's wrote.
    assert_eq!(
        redis_cli(&ours, port, &["GET", "greeting"]),
        "hello from Lintel\n"
    );
    check_redis_benchmark(port, 2000, Duration::from_secs(120));
    let status = redis.stop(Duration::from_secs(30));
    assert!(
        status.success(),
        "redis ended with {status}\n{}",
        redis.report()
    );
    let (stdout, _) = redis.output();
    assert!(stdout.contains("Ready to accept connections"), "{stdout}");
    // `save ""`: nothing was written to /data, not even at shutdown.
    assert_eq!(fs::read_dir(&data).unwrap().count(), 0);
}

/// nginx under Lintel: `lintel run --root ROOT -p PORT:80 -- /sbin/nginx
/// [-c CONF]`, then the same checks as natively through the forwarded port.
fn nginx_under_lintel(conf: Option<&str>) {
    let w = workloads();
    let _one = one_at_a_time();
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    nginx_root(&root, &w.nginx).unwrap();
    let port = free_port();
    let mut args = vec![
        "--root".into(),
        root.clone().into_os_string(),
        "-p".into(),
        format!("{port}:80").into(),
        "--timeout".into(),
        "1200".into(),
        "--".into(),
        roots::NGINX_BIN.into(),
    ];
    if let Some(c) = conf {
        args.extend(os(&["-c", c]));
    }
    let mut lintel = Server::lintel("lintel run nginx", &lintel(), &args);
    let took = lintel
        .wait_until(
            &format!("nginx answering GET / on the forwarded port {port}"),
            ANSWER_LIMIT,
            || http_ok(port, t.path()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("nginx under Lintel answered {took:.1?} after `lintel run` started");
    check_nginx_files(port, &root, t.path());
    let status = lintel.stop(Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "lintel after SIGTERM: {status}\n{}",
        lintel.report()
    );
    // QEMU's user-mode network: the guest sees the host as 10.0.2.2.
    check_access_log(&root, "10.0.2.2");
}

#[test]
fn nginx_under_lintel_serves_its_root_through_a_forwarded_port() {
    nginx_under_lintel(None);
}

#[test]
fn nginx_under_lintel_with_a_master_process_and_a_worker() {
    nginx_under_lintel(Some(roots::NGINX_MASTER_CONF));
}

#[test]
fn redis_under_lintel_answers_commands_and_the_benchmark() {
    let w = workloads();
    let _one = one_at_a_time();
    let t = TempDir::new().unwrap();
    let root = t.path().join("root");
    redis_root(&root, &w.redis).unwrap();
    let port = free_port();
    let args = vec![
        "--root".into(),
        root.clone().into_os_string(),
        "-p".into(),
        format!("{port}:6379").into(),
        "--timeout".into(),
        "1800".into(),
        "--".into(),
        roots::REDIS_SERVER.into(),
        roots::REDIS_CONF_PATH.into(),
    ];
    let mut lintel = Server::lintel("lintel run redis-server", &lintel(), &args);
    let took = lintel
        .wait_until(
            &format!("redis answering PING on the forwarded port {port}"),
            ANSWER_LIMIT,
            || {
                output_within(
                    Command::new("redis-cli").args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &port.to_string(),
                        "PING",
                    ]),
                    Duration::from_secs(10),
                )
                .is_ok_and(|o| o.stdout == b"PONG\n")
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("redis under Lintel answered {took:.1?} after `lintel run` started");
    check_redis_commands(port);
    check_redis_benchmark(port, 100_000, Duration::from_secs(900));
    check_redis_bgsave(port, &root);
    let status = lintel.stop(Duration::from_secs(60));
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "lintel after SIGTERM: {status}\n{}",
        lintel.report()
    );
    let (stdout, _) = lintel.output();
    assert!(stdout.contains("Ready to accept connections"), "{stdout}");
    let left: Vec<_> = fs::read_dir(root.join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["dump.rdb"], "only BGSAVE's file in /data");
}

/// BGSAVE: redis forks a child that writes the snapshot into `dir` (/data
/// on the 9p root) and renames it into place, and the parent reaps it.
/// The file is then on the host, with redis's magic and our key.
fn check_redis_bgsave(port: u16, root: &Path) {
    let cli = Path::new("redis-cli");
    assert_eq!(
        redis_cli(cli, port, &["SET", "saved-key", "saved by a child"]),
        "OK\n"
    );
    assert_eq!(
        redis_cli(cli, port, &["BGSAVE"]),
        "Background saving started\n"
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let info = loop {
        let info = redis_cli(cli, port, &["INFO", "persistence"]);
        if info.contains("rdb_bgsave_in_progress:0") || Instant::now() >= deadline {
            break info;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        info.contains("rdb_bgsave_in_progress:0") && info.contains("rdb_last_bgsave_status:ok"),
        "BGSAVE did not finish well:\n{info}"
    );
    let dump = fs::read(root.join("data/dump.rdb")).expect("data/dump.rdb on the host");
    assert!(
        dump.starts_with(b"REDIS"),
        "not an RDB file: {:?}",
        &dump[..dump.len().min(16)]
    );
    let has = |needle: &[u8]| dump.windows(needle.len()).any(|w| w == needle);
    assert!(
        has(b"saved-key") && has(b"saved by a child"),
        "the key is not in dump.rdb"
    );
}
