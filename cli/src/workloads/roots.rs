//! Root directories for nginx and redis, assembled from the built binaries
//! and the templates in `workloads/` (compiled in): what `lintel run --root`
//! boots in the tests and in `lintel demo nginx`, and what the tests run
//! natively first.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::Built;

const NGINX_CONF_TEMPLATE: &str = include_str!("../../../workloads/nginx/nginx.conf.in");
const INDEX_HTML: &str = include_str!("../../../workloads/nginx/index.html");
const REDIS_CONF_TEMPLATE: &str = include_str!("../../../workloads/redis/redis.conf.in");
const PASSWD: &str = include_str!("../../../workloads/etc/passwd");
const GROUP: &str = include_str!("../../../workloads/etc/group");

/// The directories under `/var/lib/nginx` nginx keeps request bodies and
/// upstream replies in (its `--http-*-temp-path`s).
pub const NGINX_TEMP_DIRS: &[&str] = &[
    "var/lib/nginx/body",
    "var/lib/nginx/proxy",
    "var/lib/nginx/fastcgi",
    "var/lib/nginx/uwsgi",
    "var/lib/nginx/scgi",
];

/// The files nginx serves besides `index.html`: name in `/var/www/html`,
/// size, and the seed of their bytes ([`content`]).
pub const NGINX_FILES: &[(&str, usize, u64)] = &[("1k.bin", 1024, 1), ("10m.bin", 10 << 20, 2)];

/// The guest's configuration: `/etc/nginx/nginx.conf`.
pub const NGINX_CONF: &str = "/etc/nginx/nginx.conf";
/// The same with `master_process on` (a master forking one worker).
pub const NGINX_MASTER_CONF: &str = "/etc/nginx/nginx-master.conf";
/// The access log nginx writes in the root.
pub const NGINX_ACCESS_LOG: &str = "/var/log/nginx/access.log";
/// Where nginx's files are.
pub const NGINX_HTML: &str = "/var/www/html";
/// nginx in the root.
pub const NGINX_BIN: &str = "/sbin/nginx";

/// redis in the root.
pub const REDIS_SERVER: &str = "/bin/redis-server";
pub const REDIS_CLI: &str = "/bin/redis-cli";
pub const REDIS_BENCHMARK: &str = "/bin/redis-benchmark";
/// The guest's redis configuration.
pub const REDIS_CONF_PATH: &str = "/etc/redis/redis.conf";

/// What varies in nginx's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NginxConf {
    /// The `listen` value: `80` in the guest, `127.0.0.1:PORT` natively.
    pub listen: String,
    /// `master_process on` (a master and its forked worker) or `off`.
    pub master_process: bool,
    /// Put before every absolute path: empty in the guest, the root's
    /// host path when nginx runs natively on the assembled root.
    pub prefix: String,
}

impl NginxConf {
    /// The guest's: port 80, one process, the root's own paths.
    pub fn guest() -> Self {
        NginxConf {
            listen: "80".to_owned(),
            master_process: false,
            prefix: String::new(),
        }
    }

    /// The configuration text.
    pub fn render(&self) -> String {
        NGINX_CONF_TEMPLATE
            .replace("@PREFIX@", self.prefix.trim_end_matches('/'))
            .replace("@LISTEN@", &self.listen)
            .replace(
                "@MASTER_PROCESS@",
                if self.master_process { "on" } else { "off" },
            )
    }
}

/// What varies in redis's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConf {
    /// `bind`: `0.0.0.0` in the guest, `127.0.0.1` natively.
    pub bind: String,
    pub port: u16,
    /// `dir`, where redis would save: `/data` in the guest, the root's
    /// `data` on the host natively (redis changes into it while reading
    /// the configuration, so it must exist).
    pub dir: String,
}

impl RedisConf {
    /// The guest's: every address, port 6379, `/data`.
    pub fn guest() -> Self {
        RedisConf {
            bind: "0.0.0.0".to_owned(),
            port: 6379,
            dir: "/data".to_owned(),
        }
    }

    /// The configuration text.
    pub fn render(&self) -> String {
        REDIS_CONF_TEMPLATE
            .replace("@BIND@", &self.bind)
            .replace("@PORT@", &self.port.to_string())
            .replace("@DIR@", &self.dir)
    }
}

/// The bytes of a served file: a deterministic stream (splitmix64 of the
/// position) for `seed`, `len` bytes long.
pub fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut i: u64 = 0;
    while out.len() < len {
        let mut z = seed
            .wrapping_mul(0xd1b5_4a32_d192_ed03)
            .wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// `dir` joined with an absolute guest path.
fn at(dir: &Path, guest_path: &str) -> std::path::PathBuf {
    dir.join(guest_path.trim_start_matches('/'))
}

fn write(dir: &Path, guest_path: &str, bytes: &[u8]) -> io::Result<()> {
    let path = at(dir, guest_path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(&path, bytes)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn install_executable(from: &Path, dir: &Path, guest_path: &str) -> io::Result<()> {
    let to = at(dir, guest_path);
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)?;
    }
    // A fresh file, never an in-place overwrite of a binary that may run.
    let _ = fs::remove_file(&to);
    fs::copy(from, &to).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("copying {} to {}: {e}", from.display(), to.display()),
        )
    })?;
    fs::set_permissions(&to, fs::Permissions::from_mode(0o755))
}

/// What every root gets: `/etc/passwd` and `/etc/group` (root, nobody,
/// nogroup: what `getpwnam`/`getgrnam` look up), `/tmp`, `/run`.
fn base(dir: &Path) -> io::Result<()> {
    write(dir, "/etc/passwd", PASSWD.as_bytes())?;
    write(dir, "/etc/group", GROUP.as_bytes())?;
    for d in ["tmp", "run"] {
        fs::create_dir_all(dir.join(d))?;
    }
    fs::set_permissions(dir.join("tmp"), fs::Permissions::from_mode(0o1777))
}

/// Assembles nginx's root in `dir` (created when missing; what is there
/// is overwritten, the access log is emptied):
///
/// - `/sbin/nginx`, the static binary of `nginx`;
/// - `/etc/nginx/nginx.conf` ([`NginxConf::guest`]: `daemon off;
///   master_process off; worker_processes 1; error_log stderr`, port 80),
///   `/etc/nginx/nginx-master.conf` (the same with `master_process on`),
///   and `/etc/nginx/mime.types` from nginx's source;
/// - `/var/www/html/index.html` and the files of [`NGINX_FILES`];
/// - `/var/log/nginx/` for `access.log`, the temporary directories of
///   [`NGINX_TEMP_DIRS`], `/run` for the pid file, `/etc/passwd` and
///   `/etc/group` for `user root root;`.
pub fn nginx_root(dir: &Path, nginx: &Built) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    base(dir)?;
    install_executable(&nginx.file("nginx"), dir, NGINX_BIN)?;
    write(dir, NGINX_CONF, NginxConf::guest().render().as_bytes())?;
    let master = NginxConf {
        master_process: true,
        ..NginxConf::guest()
    };
    write(dir, NGINX_MASTER_CONF, master.render().as_bytes())?;
    let mime = fs::read(nginx.file("mime.types"))?;
    write(dir, "/etc/nginx/mime.types", &mime)?;
    write(
        dir,
        &format!("{NGINX_HTML}/index.html"),
        INDEX_HTML.as_bytes(),
    )?;
    for (name, len, seed) in NGINX_FILES {
        write(dir, &format!("{NGINX_HTML}/{name}"), &content(*seed, *len))?;
    }
    write(dir, NGINX_ACCESS_LOG, b"")?;
    for d in NGINX_TEMP_DIRS {
        fs::create_dir_all(dir.join(d))?;
    }
    Ok(())
}

/// Assembles redis's root in `dir`: `/bin/redis-server`, `/bin/redis-cli`
/// and `/bin/redis-benchmark` (static), `/etc/redis/redis.conf` (`bind
/// 0.0.0.0`, `protected-mode no`, `daemonize no`, `save ""`, `appendonly
/// no`, `dir /data`, `port 6379`, `logfile ""`), an empty `/data`, and the
/// base files (`/etc/passwd`, `/etc/group`, `/tmp`, `/run`).
pub fn redis_root(dir: &Path, redis: &Built) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    base(dir)?;
    for (name, path) in [
        ("redis-server", REDIS_SERVER),
        ("redis-cli", REDIS_CLI),
        ("redis-benchmark", REDIS_BENCHMARK),
    ] {
        install_executable(&redis.file(name), dir, path)?;
    }
    write(dir, REDIS_CONF_PATH, RedisConf::guest().render().as_bytes())?;
    fs::create_dir_all(dir.join("data"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    #[test]
    fn the_guest_configuration() {
        let c = NginxConf::guest().render();
        for line in [
            "daemon off;",
            "master_process off;",
            "worker_processes 1;",
            "error_log stderr notice;",
            "access_log /var/log/nginx/access.log;",
            "listen 80;",
            "root /var/www/html;",
            "pid /run/nginx.pid;",
            "client_body_temp_path /var/lib/nginx/body;",
            "include mime.types;",
        ] {
            assert!(c.contains(line), "{line} in\n{c}");
        }
        assert!(!c.contains('@'), "{c}");
    }

    #[test]
    fn the_native_variant() {
        let c = NginxConf {
            listen: "127.0.0.1:18080".into(),
            master_process: true,
            prefix: "/tmp/root/".into(),
        }
        .render();
        for line in [
            "master_process on;",
            "listen 127.0.0.1:18080;",
            "access_log /tmp/root/var/log/nginx/access.log;",
            "root /tmp/root/var/www/html;",
            "pid /tmp/root/run/nginx.pid;",
            "scgi_temp_path /tmp/root/var/lib/nginx/scgi;",
        ] {
            assert!(c.contains(line), "{line} in\n{c}");
        }
        // Every temporary directory the configuration names is one the root has.
        for l in c.lines().filter(|l| l.contains("_temp_path")) {
            let path = l.split_whitespace().nth(1).unwrap().trim_end_matches(';');
            let rel = path.strip_prefix("/tmp/root/").unwrap();
            assert!(NGINX_TEMP_DIRS.contains(&rel), "{l}");
        }
    }

    #[test]
    fn content_is_deterministic() {
        let a = content(2, 10 << 20);
        assert_eq!(a.len(), 10 << 20);
        assert_eq!(a[..100], content(2, 100)[..]);
        assert_ne!(content(1, 1024), content(2, 1024));
        assert_eq!(content(1, 0), b"");
        assert_eq!(content(1, 13).len(), 13);
        // Not a short cycle: 64 KiB of distinct words.
        let words: std::collections::HashSet<&[u8]> = a[..65536].chunks(8).collect();
        assert_eq!(words.len(), 8192);
    }

    fn fake_built(dir: &Path, files: &[&str]) -> Built {
        fs::create_dir_all(dir).unwrap();
        for f in files {
            fs::write(dir.join(f), format!("{f} contents")).unwrap();
        }
        Built {
            package: "test",
            version: "1.0-1".into(),
            dir: dir.to_path_buf(),
            build: None,
        }
    }

    #[test]
    fn nginx_root_layout() {
        let t = TempDir::new().unwrap();
        let built = fake_built(&t.path().join("bin"), &["nginx", "mime.types"]);
        let root = t.path().join("root");
        nginx_root(&root, &built).unwrap();
        let mode = |p: &str| fs::metadata(at(&root, p)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(fs::read(at(&root, NGINX_BIN)).unwrap(), b"nginx contents");
        assert_eq!(mode(NGINX_BIN), 0o755);
        assert_eq!(
            fs::read_to_string(at(&root, NGINX_CONF)).unwrap(),
            NginxConf::guest().render()
        );
        assert!(fs::read_to_string(at(&root, NGINX_MASTER_CONF))
            .unwrap()
            .contains("master_process on;"));
        assert_eq!(
            fs::read(root.join("etc/nginx/mime.types")).unwrap(),
            b"mime.types contents"
        );
        assert_eq!(
            fs::read(root.join("var/www/html/1k.bin")).unwrap(),
            content(1, 1024)
        );
        assert_eq!(
            fs::metadata(root.join("var/www/html/10m.bin"))
                .unwrap()
                .len(),
            10 << 20
        );
        assert!(fs::read_to_string(root.join("var/www/html/index.html"))
            .unwrap()
            .contains("nginx on Lintel"));
        assert_eq!(fs::read(at(&root, NGINX_ACCESS_LOG)).unwrap(), b"");
        for d in NGINX_TEMP_DIRS.iter().chain(&["run", "tmp"]) {
            assert!(root.join(d).is_dir(), "{d}");
        }
        assert_eq!(mode("/tmp"), 0o1777);
        assert!(fs::read_to_string(root.join("etc/passwd"))
            .unwrap()
            .starts_with("root:x:0:0:"));
        assert!(fs::read_to_string(root.join("etc/group"))
            .unwrap()
            .starts_with("root:x:0:"));
        // Again over the same directory: the access log starts empty.
        fs::write(at(&root, NGINX_ACCESS_LOG), "old").unwrap();
        nginx_root(&root, &built).unwrap();
        assert_eq!(fs::read(at(&root, NGINX_ACCESS_LOG)).unwrap(), b"");
    }

    #[test]
    fn redis_root_layout() {
        let t = TempDir::new().unwrap();
        let built = fake_built(
            &t.path().join("bin"),
            &["redis-server", "redis-cli", "redis-benchmark"],
        );
        let root = t.path().join("root");
        redis_root(&root, &built).unwrap();
        for p in [REDIS_SERVER, REDIS_CLI, REDIS_BENCHMARK] {
            let m = fs::metadata(at(&root, p)).unwrap();
            assert_eq!(m.permissions().mode() & 0o777, 0o755, "{p}");
        }
        let conf = fs::read_to_string(at(&root, REDIS_CONF_PATH)).unwrap();
        for line in [
            "bind 0.0.0.0",
            "protected-mode no",
            "daemonize no",
            "save \"\"",
            "appendonly no",
            "dir /data",
            "port 6379",
            "logfile \"\"",
        ] {
            assert!(conf.lines().any(|l| l == line), "{line} in\n{conf}");
        }
        assert!(root.join("data").is_dir());
        assert_eq!(fs::read_dir(root.join("data")).unwrap().count(), 0);
        assert!(!conf.contains('@'), "{conf}");
        let native = RedisConf {
            bind: "127.0.0.1".into(),
            port: 16379,
            dir: "/tmp/r/data".into(),
        }
        .render();
        for line in [
            "bind 127.0.0.1",
            "port 16379",
            "dir /tmp/r/data",
            "save \"\"",
        ] {
            assert!(native.lines().any(|l| l == line), "{line} in\n{native}");
        }
    }
}
