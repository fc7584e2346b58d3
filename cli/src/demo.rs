//! `lintel demo`: a host directory, built here, becomes the guest's root
//! file system over virtio-9p; a few programs run in it one after the other,
//! one of them leaves a file that the host reads back, and a last boot
//! shares the same directory over virtio-fs (served by a virtiofsd) and
//! reads that file in the guest.
//!
//! `lintel demo nginx`: Debian's nginx, built static with musl
//! ([`crate::workloads`]), serves `target/demo/nginx` from a Lintel guest
//! on a forwarded port until Ctrl-C.

use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::kernel_image::{kernel_image, workspace_root};
use crate::ninep::RootFs;
use crate::outcome::Outcome;
use crate::run::{run_streaming, RunOptions, Stdin};
use crate::setup::{ensure_host_tools, BUSYBOX};

/// One program run of the demo.
#[derive(Clone, Debug)]
pub struct DemoStep {
    /// The program's path inside the root.
    pub program: PathBuf,
    /// `argv[0]` included.
    pub argv: Vec<OsString>,
    /// How the root reaches the guest: virtio-9p or virtio-fs.
    pub fs: RootFs,
}

/// The demo's root directory and what runs in it.
#[derive(Clone, Debug)]
pub struct Demo {
    pub root: PathBuf,
    pub steps: Vec<DemoStep>,
    /// The file a step writes, as a path inside the root.
    pub note: &'static str,
}

/// What `/etc/motd` says in the demo's root.
pub const MOTD: &str = "Welcome to Lintel: this file lives on the host, read over virtio-9p.\n";

/// Exit status for our process: 0 when every step exited 0 and the note
/// written by the guest is on the host.
pub fn demo() -> i32 {
    match try_demo() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("lintel: {e}");
            crate::interrupt::exit_code(&e).unwrap_or(1)
        }
    }
}

fn try_demo() -> io::Result<bool> {
    ensure_host_tools()?;
    let kernel = kernel_image()?;
    let demo = build_demo(&workspace_root().join("target").join("demo"))?;
    crate::interrupt::enable()?;
    let mut ok = run_steps(&kernel, &demo.root, &demo.steps)?;
    let note = demo.root.join(demo.note.trim_start_matches('/'));
    match std::fs::read_to_string(&note) {
        Ok(text) => println!("\nwritten by the guest: {}", text.trim_end()),
        Err(e) => {
            eprintln!(
                "lintel: the guest's note {} is not there: {e}",
                note.display()
            );
            ok = false;
        }
    }
    Ok(ok)
}

/// `lintel demo nginx`: builds the workloads when needed, assembles
/// nginx's root in `target/demo/nginx`, and runs nginx under Lintel with
/// the host's `127.0.0.1:PORT` forwarded to the guest's port 80, until
/// Ctrl-C (exit status 0 then) or until nginx ends (its status).
pub fn demo_nginx(port: u16) -> i32 {
    match try_demo_nginx(port) {
        Ok(outcome) => {
            if let Some(msg) = crate::run_cmd::outcome_message(&outcome, None) {
                eprintln!("{msg}");
            }
            if outcome != Outcome::Exited(0) {
                eprintln!(
                    "lintel: nginx ended ({outcome}); the kernel log is in {}",
                    demo_kernel_log().display()
                );
            }
            outcome.exit_code()
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {
            eprintln!(
                "\nlintel: stopped; nginx's access log is {}",
                nginx_demo_root().join("var/log/nginx/access.log").display()
            );
            0
        }
        Err(e) => {
            eprintln!("lintel: {e}");
            1
        }
    }
}

/// Where `demo nginx` assembles its root.
pub fn nginx_demo_root() -> PathBuf {
    workspace_root().join("target").join("demo").join("nginx")
}

fn demo_kernel_log() -> PathBuf {
    workspace_root()
        .join("target")
        .join("demo")
        .join("nginx-kernel.log")
}

fn try_demo_nginx(port: u16) -> io::Result<Outcome> {
    use crate::net::{NetConfig, PortForward};
    use crate::workloads::{ensure_workloads, nginx_root, roots};
    ensure_host_tools()?;
    let workloads = ensure_workloads()?;
    let kernel = kernel_image()?;
    let root = nginx_demo_root();
    nginx_root(&root, &workloads.nginx)?;
    let forward = PortForward::parse(&format!("{port}:80")).map_err(io::Error::other)?;
    let mut opts = RunOptions::new(kernel, roots::NGINX_BIN.into());
    opts.root = Some(root.clone());
    opts.argv = vec![roots::NGINX_BIN.into()];
    opts.net = NetConfig::resolve(None, vec![forward], None, None).map_err(io::Error::other)?;
    opts.stdin = Stdin::Null;
    let url = format!("http://127.0.0.1:{port}/");
    println!(
        "==> nginx {} (Debian's source, static musl) under Lintel, serving {}",
        workloads.nginx.version,
        root.join("var/www/html").display()
    );
    println!(
        "    the host's 127.0.0.1:{port} is forwarded to the guest's port 80; Ctrl-C stops it"
    );
    crate::interrupt::enable()?;
    // Says where to look once nginx answers.
    let announce = url.clone();
    std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(600);
        while std::time::Instant::now() < deadline {
            if http_status(port).is_some_and(|s| s.starts_with("HTTP/1.1 200")) {
                println!("==> nginx answers: open {announce}");
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let log = std::fs::File::create(demo_kernel_log())?;
    run_streaming(&opts, Some(Box::new(log)))
}

/// The status line of `GET /` on `127.0.0.1:port`, if one comes back.
fn http_status(port: u16) -> Option<String> {
    use std::io::{BufRead, BufReader};
    use std::net::{SocketAddr, TcpStream};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    (!line.is_empty()).then(|| line.trim_end().to_owned())
}

/// Compiles `cli/demo/NAME.c` static with musl into `out`.
fn musl_build(name: &str, out: &Path) -> io::Result<()> {
    let source = workspace_root()
        .join("cli")
        .join("demo")
        .join(format!("{name}.c"));
    let status = Command::new("musl-gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(out)
        .arg(&source)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running musl-gcc: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "musl-gcc failed on {} ({status})",
            source.display()
        )));
    }
    Ok(())
}

/// Builds the demo's root afresh as `dir/root`: `/bin/hello` and
/// `/bin/write-note` (from `cli/demo/`, static musl), Debian's static
/// `/bin/busybox`, and `/etc/motd`.
pub fn build_demo(dir: &Path) -> io::Result<Demo> {
    let root = dir.join("root");
    match std::fs::remove_dir_all(&root) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(io::Error::new(
                e.kind(),
                format!("removing {}: {e}", root.display()),
            ))
        }
        _ => {}
    }
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin)?;
    std::fs::create_dir_all(root.join("etc"))?;
    musl_build("hello", &bin.join("hello"))?;
    musl_build("write_note", &bin.join("write-note"))?;
    std::fs::copy(BUSYBOX, bin.join("busybox"))
        .map_err(|e| io::Error::new(e.kind(), format!("copying {BUSYBOX}: {e}")))?;
    std::fs::set_permissions(bin.join("busybox"), std::fs::Permissions::from_mode(0o755))?;
    std::fs::write(root.join("etc/motd"), MOTD)?;
    let step = |program: &str, argv: &[&str]| DemoStep {
        program: program.into(),
        argv: argv.iter().map(OsString::from).collect(),
        fs: RootFs::NineP,
    };
    let note = "/from-the-guest.txt";
    Ok(Demo {
        steps: vec![
            step(
                "/bin/hello",
                &["hello", "from the host", "it's \"quoted\"", "100%"],
            ),
            step("/bin/busybox", &["busybox", "ls", "-l", "/bin"]),
            step("/bin/busybox", &["busybox", "cat", "/etc/motd"]),
            step("/bin/write-note", &["write-note", note]),
            DemoStep {
                fs: RootFs::VirtioFs,
                ..step("/bin/busybox", &["busybox", "cat", note])
            },
        ],
        root,
        note,
    })
}

/// Runs each step with `root` as its root (over virtio-9p or virtio-fs, as
/// the step says), with a header line; true when all exited 0.
pub fn run_steps(kernel: &Path, root: &Path, steps: &[DemoStep]) -> io::Result<bool> {
    let mut all_ok = true;
    for (i, step) in steps.iter().enumerate() {
        {
            let mut out = io::stdout().lock();
            if i > 0 {
                writeln!(out)?;
            }
            match step.fs {
                RootFs::VirtioFs => writeln!(
                    out,
                    "==> {}    (the root over virtio-fs)",
                    shell_words(&step.argv)
                )?,
                _ => writeln!(out, "==> {}", shell_words(&step.argv))?,
            }
            out.flush()?;
        }
        let mut opts = RunOptions::new(kernel.to_owned(), step.program.clone());
        opts.root = Some(root.to_owned());
        opts.fs = step.fs;
        opts.argv = step.argv.clone();
        opts.env = vec!["PATH=/bin".into(), "HOME=/".into()];
        opts.stdin = Stdin::Null;
        opts.timeout = Some(Duration::from_secs(120));
        let outcome = run_streaming(&opts, None)?;
        if outcome != Outcome::Exited(0) {
            eprintln!("lintel: {} {outcome}", step.argv[0].to_string_lossy());
            all_ok = false;
        }
    }
    Ok(all_ok)
}

/// The words as a POSIX shell would need them typed.
pub fn shell_words(words: &[OsString]) -> String {
    words
        .iter()
        .map(|w| shell_quote(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let words = ["hello", "two words", "it's", "", "100%", "a\"b"].map(OsString::from);
        assert_eq!(
            shell_words(&words),
            r#"hello 'two words' 'it'\''s' '' 100% 'a"b'"#
        );
    }

    #[test]
    fn demo_sources_exist() {
        assert!(workspace_root().join("cli/demo/hello.c").is_file());
        assert!(workspace_root().join("cli/demo/write_note.c").is_file());
    }
}
