//! How nginx and redis are built static with musl: the exact `configure`
//! and `make` command lines (pure functions, unit-tested), running them
//! with their output in a log, and what each build leaves for the cache.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What nginx's `configure` is given, besides the compiler options.
///
/// Without the rewrite, gzip and auth_basic modules nginx needs neither
/// PCRE, zlib nor libcrypt (none of which Debian ships for musl). The
/// paths are Debian's (`/etc/nginx`, `/var/log/nginx`, `/var/lib/nginx`),
/// the binary is `/sbin/nginx`, and errors go to stderr until the
/// configuration names a log, so nothing is opened before it is read.
pub const NGINX_CONFIGURE_PATHS: &[&str] = &[
    "--prefix=/usr/share/nginx",
    "--sbin-path=/sbin/nginx",
    "--conf-path=/etc/nginx/nginx.conf",
    "--error-log-path=stderr",
    "--http-log-path=/var/log/nginx/access.log",
    "--pid-path=/run/nginx.pid",
    "--lock-path=/run/nginx.lock",
    "--http-client-body-temp-path=/var/lib/nginx/body",
    "--http-proxy-temp-path=/var/lib/nginx/proxy",
    "--http-fastcgi-temp-path=/var/lib/nginx/fastcgi",
    "--http-uwsgi-temp-path=/var/lib/nginx/uwsgi",
    "--http-scgi-temp-path=/var/lib/nginx/scgi",
    "--user=root",
    "--group=root",
];

/// The modules left out (they need libraries musl builds lack).
pub const NGINX_WITHOUT: &[&str] = &[
    "--without-http_rewrite_module",
    "--without-http_gzip_module",
    "--without-http_auth_basic_module",
];

/// The header musl lacks: nginx includes `<crypt.h>`, musl declares
/// `crypt()` in `<unistd.h>`.
pub const CRYPT_H: &str =
    "/* Written by lintel: musl declares crypt() in <unistd.h>. */\n#include <unistd.h>\n";

/// nginx's `./configure` arguments; `include` is the directory holding
/// [`CRYPT_H`] as `crypt.h`.
pub fn nginx_configure_args(include: &Path) -> Vec<String> {
    let mut args = vec![
        "--with-cc=musl-gcc".to_owned(),
        "--with-ld-opt=-static".to_owned(),
        format!("--with-cc-opt=-I{} -O2", include.display()),
    ];
    args.extend(NGINX_WITHOUT.iter().map(|s| s.to_string()));
    args.extend(NGINX_CONFIGURE_PATHS.iter().map(|s| s.to_string()));
    args
}

/// redis's `make` arguments: libc's malloc (no jemalloc), musl-gcc, linked
/// static, no systemd, no TLS.
pub fn redis_make_args(jobs: usize) -> Vec<String> {
    vec![
        format!("-j{jobs}"),
        "MALLOC=libc".to_owned(),
        "CC=musl-gcc".to_owned(),
        "LDFLAGS=-static".to_owned(),
        "USE_SYSTEMD=no".to_owned(),
        "BUILD_TLS=no".to_owned(),
    ]
}

/// The files a build leaves for the cache: (path in the source tree,
/// name in the cache), executables first.
pub fn nginx_outputs() -> &'static [(&'static str, &'static str)] {
    &[("objs/nginx", "nginx"), ("conf/mime.types", "mime.types")]
}

pub fn redis_outputs() -> &'static [(&'static str, &'static str)] {
    &[
        ("src/redis-server", "redis-server"),
        ("src/redis-cli", "redis-cli"),
        ("src/redis-benchmark", "redis-benchmark"),
        ("redis.conf", "redis.conf.upstream"),
    ]
}

/// The names in the cache that must be static executables.
pub fn executables(package: &str) -> &'static [&'static str] {
    match package {
        "nginx" => &["nginx"],
        _ => &["redis-server", "redis-cli", "redis-benchmark"],
    }
}

/// One step of a build, as run.
#[derive(Clone, Debug)]
pub struct Step {
    pub what: String,
    pub took: Duration,
}

/// Runs `program args` in `dir`, appending its output to `log`, with an
/// environment free of the make, compiler and cargo variables of whoever
/// runs us (a `cargo test` or a shell), so the build is the same every
/// time.
pub fn run_step(
    what: &str,
    program: &str,
    args: &[String],
    dir: &Path,
    log: &Path,
) -> io::Result<Step> {
    use std::io::Write;
    let mut log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    writeln!(
        log_file,
        "\n$ cd {} && {program} {}",
        dir.display(),
        args.join(" ")
    )?;
    let start = Instant::now();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    for var in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "CARGO_MAKEFLAGS",
        "CC",
        "CFLAGS",
        "CPPFLAGS",
        "LDFLAGS",
        "LIBS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running {program}: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "{what} failed ({status}); the end of {}:\n{}",
            log.display(),
            super::tail(log, 25)
        )));
    }
    Ok(Step {
        what: what.to_owned(),
        took: start.elapsed(),
    })
}

/// Builds the unpacked source tree `src` of `package` (nginx or redis);
/// returns the steps with their times. `include` is where `crypt.h` goes.
pub fn build(
    package: &str,
    src: &Path,
    include: &Path,
    jobs: usize,
    log: &Path,
) -> io::Result<Vec<Step>> {
    let make_jobs = vec![format!("-j{jobs}")];
    match package {
        "nginx" => {
            std::fs::create_dir_all(include)?;
            std::fs::write(include.join("crypt.h"), CRYPT_H)?;
            if include.to_string_lossy().contains(char::is_whitespace) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "nginx's configure cannot take a path with spaces: {}",
                        include.display()
                    ),
                ));
            }
            let configure = run_step(
                "configure",
                "./configure",
                &nginx_configure_args(include),
                src,
                log,
            )?;
            let make = run_step("make", "make", &make_jobs, src, log)?;
            Ok(vec![configure, make])
        }
        "redis" => Ok(vec![run_step(
            "make",
            "make",
            &redis_make_args(jobs),
            src,
            log,
        )?]),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no recipe for {other}"),
        )),
    }
}

/// The outputs of `package` in its source tree `src`: `(from, to)`.
pub fn outputs(package: &str, src: &Path, into: &Path) -> Vec<(PathBuf, PathBuf)> {
    let list = match package {
        "nginx" => nginx_outputs(),
        _ => redis_outputs(),
    };
    list.iter()
        .map(|(from, to)| (src.join(from), into.join(to)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_configure_line() {
        let args = nginx_configure_args(Path::new("/w/target/workloads/include"));
        assert_eq!(
            args[..6],
            [
                "--with-cc=musl-gcc",
                "--with-ld-opt=-static",
                "--with-cc-opt=-I/w/target/workloads/include -O2",
                "--without-http_rewrite_module",
                "--without-http_gzip_module",
                "--without-http_auth_basic_module",
            ]
        );
        for want in [
            "--sbin-path=/sbin/nginx",
            "--conf-path=/etc/nginx/nginx.conf",
            "--error-log-path=stderr",
            "--http-log-path=/var/log/nginx/access.log",
            "--pid-path=/run/nginx.pid",
        ] {
            assert!(args.iter().any(|a| a == want), "{want}");
        }
        // Every temporary directory is one the root directory provides.
        for a in &args {
            if let Some(dir) = a
                .strip_prefix("--http-")
                .and_then(|r| r.split_once("-temp-path="))
            {
                assert!(
                    crate::workloads::roots::NGINX_TEMP_DIRS
                        .iter()
                        .any(|d| format!("/{d}") == dir.1),
                    "{a}"
                );
            }
        }
    }

    #[test]
    fn redis_make_line() {
        assert_eq!(
            redis_make_args(2),
            [
                "-j2",
                "MALLOC=libc",
                "CC=musl-gcc",
                "LDFLAGS=-static",
                "USE_SYSTEMD=no",
                "BUILD_TLS=no"
            ]
        );
    }

    #[test]
    fn outputs_land_in_the_cache() {
        let o = outputs("redis", Path::new("/s"), Path::new("/c"));
        assert_eq!(
            o[0],
            (
                PathBuf::from("/s/src/redis-server"),
                PathBuf::from("/c/redis-server")
            )
        );
        assert_eq!(executables("redis").len(), 3);
        let o = outputs("nginx", Path::new("/s"), Path::new("/c"));
        assert_eq!(
            o,
            [
                (PathBuf::from("/s/objs/nginx"), PathBuf::from("/c/nginx")),
                (
                    PathBuf::from("/s/conf/mime.types"),
                    PathBuf::from("/c/mime.types")
                )
            ]
        );
        assert_eq!(executables("nginx"), ["nginx"]);
    }

    #[test]
    fn a_failing_step_shows_the_end_of_its_log() {
        let t = crate::tempdir::TempDir::new().unwrap();
        let log = t.path().join("log");
        let ok = run_step(
            "echo",
            "sh",
            &["-c".into(), "echo fine".into()],
            t.path(),
            &log,
        )
        .unwrap();
        assert_eq!(ok.what, "echo");
        let err = run_step(
            "compile",
            "sh",
            &[
                "-c".into(),
                "echo 'error: no such thing' >&2; exit 3".into(),
            ],
            t.path(),
            &log,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("compile failed"), "{err}");
        assert!(err.contains("error: no such thing"), "{err}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains("fine\n") && text.contains("$ cd "), "{text}");
    }
}
