//! virtio-fs from the host side: the virtiofsd daemon that `lintel run`
//! starts for each directory it shares over virtio-fs (the root with
//! `--fs virtiofs`, each `--share-virtiofs`), and the QEMU arguments that
//! connect a `vhost-user-fs-pci` device to it.
//!
//! Two daemons are understood: the Rust virtiofsd (`cargo install
//! virtiofsd`; `--sandbox none`, so it also runs without privileges) and
//! QEMU's C one (`/usr/lib/qemu/virtiofsd`; `-o sandbox=chroot`, root only).
//! Each daemon listens on a Unix socket in the run's private temporary
//! directory; [`VirtiofsDaemon`] kills and reaps it on every way out and
//! removes what it leaves behind (its socket, its pid file).

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use crate::ninep::escape_option_value;
use crate::setup::find_in_path;

/// QEMU's own daemon, as Debian installs it (package qemu-system-common).
pub const C_VIRTIOFSD: &str = "/usr/lib/qemu/virtiofsd";

/// How long a daemon may take to listen on its socket.
pub const DAEMON_START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a daemon may take to end by itself once QEMU has gone (it
/// does when the vhost-user connection closes) before it is killed.
const DAEMON_EXIT_GRACE: Duration = Duration::from_millis(200);

/// The id of the shared memory backend vhost-user needs.
const MEMORY_BACKEND_ID: &str = "lintel-mem";

/// QEMU refuses longer tags (`tag` of `vhost-user-fs-pci`: the 36-byte
/// field of the device's configuration space).
pub const MAX_VIRTIOFS_TAG_LEN: usize = 36;

/// `--virtiofsd`: which daemon serves the virtio-fs shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VirtiofsdChoice {
    /// The Rust virtiofsd when there is one, else QEMU's C virtiofsd.
    #[default]
    Auto,
    /// The Rust virtiofsd: `virtiofsd` on `PATH`, `~/.cargo/bin/virtiofsd`
    /// or `/usr/libexec/virtiofsd`, whichever answers `--version` like it.
    Rust,
    /// QEMU's C virtiofsd, [`C_VIRTIOFSD`].
    C,
}

impl FromStr for VirtiofsdChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(VirtiofsdChoice::Auto),
            "rust" => Ok(VirtiofsdChoice::Rust),
            "c" | "C" | "qemu" => Ok(VirtiofsdChoice::C),
            _ => Err(format!(
                "unknown virtiofsd `{s}` (expected rust, c or auto)"
            )),
        }
    }
}

/// `--cache`: the daemon's cache policy (how long the guest may trust
/// what it was told; Lintel keeps no page cache, so it mostly changes the
/// attribute and entry timeouts the daemon hands out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VirtiofsCache {
    /// No caching: the Rust daemon's `--cache=never`, the C one's `cache=none`.
    None,
    /// `auto`, both daemons' default.
    #[default]
    Auto,
    /// `always`.
    Always,
}

impl VirtiofsCache {
    pub fn name(self) -> &'static str {
        match self {
            VirtiofsCache::None => "none",
            VirtiofsCache::Auto => "auto",
            VirtiofsCache::Always => "always",
        }
    }

    /// The value of the Rust virtiofsd's `--cache`.
    fn rust_value(self) -> &'static str {
        match self {
            VirtiofsCache::None => "never",
            VirtiofsCache::Auto => "auto",
            VirtiofsCache::Always => "always",
        }
    }
}

impl FromStr for VirtiofsCache {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" | "never" => Ok(VirtiofsCache::None),
            "auto" => Ok(VirtiofsCache::Auto),
            "always" => Ok(VirtiofsCache::Always),
            _ => Err(format!(
                "unknown cache mode `{s}` (expected none, auto or always)"
            )),
        }
    }
}

/// Which daemon a binary is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonKind {
    Rust,
    C,
}

/// A daemon binary found on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Virtiofsd {
    pub kind: DaemonKind,
    pub path: PathBuf,
}

impl VirtiofsdChoice {
    /// Finds the daemon this choice names on this host.
    pub fn resolve(self) -> io::Result<Virtiofsd> {
        let rust = || {
            find_rust_virtiofsd().map(|path| Virtiofsd {
                kind: DaemonKind::Rust,
                path,
            })
        };
        let c = || {
            find_c_virtiofsd().map(|path| Virtiofsd {
                kind: DaemonKind::C,
                path,
            })
        };
        let found = match self {
            VirtiofsdChoice::Auto => rust().or_else(c),
            VirtiofsdChoice::Rust => rust(),
            VirtiofsdChoice::C => c(),
        };
        found.ok_or_else(|| {
            let what = match self {
                VirtiofsdChoice::Auto => "no virtiofsd",
                VirtiofsdChoice::Rust => "no Rust virtiofsd",
                VirtiofsdChoice::C => "no QEMU virtiofsd at /usr/lib/qemu/virtiofsd",
            };
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{what} for virtio-fs (install the Rust one: apt-get install \
                     libseccomp-dev libcap-ng-dev; cargo install virtiofsd --locked; \
                     or run `cargo lintel demo`, which does)"
                ),
            )
        })
    }
}

/// Where a Rust virtiofsd may be: `virtiofsd` on `PATH`, cargo's bin
/// directory (`$CARGO_HOME/bin`, `~/.cargo/bin`), Debian's package
/// (`/usr/libexec/virtiofsd`).
fn rust_virtiofsd_candidates() -> Vec<PathBuf> {
    let mut c: Vec<PathBuf> = find_in_path("virtiofsd").into_iter().collect();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        c.push(PathBuf::from(home).join("bin/virtiofsd"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        c.push(PathBuf::from(home).join(".cargo/bin/virtiofsd"));
    }
    c.push("/usr/libexec/virtiofsd".into());
    c
}

/// The first Rust virtiofsd among the usual places.
pub fn find_rust_virtiofsd() -> Option<PathBuf> {
    rust_virtiofsd_candidates()
        .into_iter()
        .filter(|p| is_executable(p))
        .find(|p| is_rust_virtiofsd(p))
}

/// QEMU's C virtiofsd, when installed.
pub fn find_c_virtiofsd() -> Option<PathBuf> {
    let p = PathBuf::from(C_VIRTIOFSD);
    is_executable(&p).then_some(p)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The Rust virtiofsd says `virtiofsd 1.14.0` to `--version`; QEMU's says
/// `virtiofsd version 7.2.22 (...)`.
fn is_rust_virtiofsd(path: &Path) -> bool {
    Command::new(path)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && is_rust_version_line(&out.stdout))
}

fn is_rust_version_line(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    let mut words = text.lines().next().unwrap_or("").split_whitespace();
    words.next() == Some("virtiofsd")
        && words
            .next()
            .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}

/// A FUSE `-o` option value: libfuse splits options at commas and takes a
/// backslash as an escape, so both are escaped with a backslash.
fn escape_fuse_option(value: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        if b == b',' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    OsString::from_vec(out)
}

impl Virtiofsd {
    /// The daemon's arguments to serve `dir` on `socket`:
    ///
    /// - Rust: `--socket-path S --shared-dir DIR --sandbox none --cache
    ///   never|auto|always`;
    /// - C: `--socket-path=S -o source=DIR -o cache=none|auto|always -o
    ///   sandbox=chroot`.
    pub fn args(&self, dir: &Path, socket: &Path, cache: VirtiofsCache) -> Vec<OsString> {
        match self.kind {
            DaemonKind::Rust => vec![
                "--socket-path".into(),
                socket.into(),
                "--shared-dir".into(),
                dir.into(),
                "--sandbox".into(),
                "none".into(),
                "--cache".into(),
                cache.rust_value().into(),
            ],
            DaemonKind::C => {
                let mut socket_path = OsString::from("--socket-path=");
                socket_path.push(socket);
                let mut source = OsString::from("source=");
                source.push(escape_fuse_option(dir.as_os_str().as_bytes()));
                vec![
                    socket_path,
                    "-o".into(),
                    source,
                    "-o".into(),
                    format!("cache={}", cache.name()).into(),
                    "-o".into(),
                    "sandbox=chroot".into(),
                ]
            }
        }
    }

    /// The command line as one shell-like string, for messages.
    pub fn describe(&self, dir: &Path, socket: &Path, cache: VirtiofsCache) -> String {
        std::iter::once(self.path.as_os_str().to_owned())
            .chain(self.args(dir, socket, cache))
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A mount tag of a virtio-fs device: 1 to 36 printable ASCII bytes, no
/// space or `:` (the field separator of `root=virtiofs:TAG` and
/// `mount=virtiofs:TAG:/path`).
pub fn check_virtiofs_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= MAX_VIRTIOFS_TAG_LEN
        && tag.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad virtio-fs tag `{tag}`: 1 to {MAX_VIRTIOFS_TAG_LEN} printable ASCII \
             characters, no space or `:`"
        ))
    }
}

/// One `vhost-user-fs-pci` device and the daemon socket behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtiofsDevice {
    pub socket: PathBuf,
    pub tag: String,
}

/// The QEMU arguments of the virtio-fs devices, in order (chardevs `vfs0`,
/// `vfs1`...), after the memory backend vhost-user needs: the whole guest
/// memory (`memory`, QEMU's `-m` value) in a shared memfd,
///
/// ```text
/// -object memory-backend-memfd,id=lintel-mem,size=MEM,share=on -numa node,memdev=lintel-mem
/// -chardev socket,id=vfs0,path=SOCKET -device vhost-user-fs-pci,chardev=vfs0,tag=TAG
/// ```
///
/// Nothing without devices.
pub fn qemu_args(memory: &str, devices: &[VirtiofsDevice]) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if devices.is_empty() {
        return args;
    }
    args.push("-object".into());
    let mut backend = OsString::from(format!("memory-backend-memfd,id={MEMORY_BACKEND_ID},size="));
    backend.push(escape_option_value(backend_size(memory).as_bytes()));
    backend.push(",share=on");
    args.push(backend);
    args.push("-numa".into());
    args.push(format!("node,memdev={MEMORY_BACKEND_ID}").into());
    for (i, dev) in devices.iter().enumerate() {
        let id = format!("vfs{i}");
        let mut chardev = OsString::from(format!("socket,id={id},path="));
        chardev.push(escape_option_value(dev.socket.as_os_str().as_bytes()));
        let mut device = OsString::from(format!("vhost-user-fs-pci,chardev={id},tag="));
        device.push(escape_option_value(dev.tag.as_bytes()));
        args.extend(["-chardev".into(), chardev, "-device".into(), device]);
    }
    args
}

/// The backend's `size=` for QEMU's `-m` value: the same text, except that
/// a bare number means MiB to `-m` and bytes to `size=`.
fn backend_size(memory: &str) -> String {
    if memory.ends_with(|c: char| c.is_ascii_digit()) {
        format!("{memory}M")
    } else {
        memory.to_owned()
    }
}

/// A running daemon. Dropping it stops it: it is given a moment to end by
/// itself (it does once QEMU has closed the connection), then killed and
/// reaped; its socket and its pid file are removed.
#[derive(Debug)]
pub struct VirtiofsDaemon {
    child: Child,
    kind: DaemonKind,
    socket: PathBuf,
    log: PathBuf,
}

impl VirtiofsDaemon {
    /// Starts `daemon` serving `dir` on `socket`, its stdout and stderr
    /// going to the file `log`, and waits (at most `timeout`) until it
    /// listens. An error carries the end of its log.
    pub fn start(
        daemon: &Virtiofsd,
        dir: &Path,
        socket: &Path,
        cache: VirtiofsCache,
        log: &Path,
        timeout: Duration,
    ) -> io::Result<VirtiofsDaemon> {
        // sun_path holds 108 bytes, the terminating NUL included.
        if socket.as_os_str().len() > 107 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the virtiofsd socket path {} is too long for a Unix socket (set TMPDIR \
                     to a shorter directory)",
                    socket.display()
                ),
            ));
        }
        let out = File::create(log)?;
        let child = Command::new(&daemon.path)
            .args(daemon.args(dir, socket, cache))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("starting {}: {e}", daemon.path.display()))
            })?;
        // From here on, every way out stops it.
        let mut running = VirtiofsDaemon {
            child,
            kind: daemon.kind,
            socket: socket.to_owned(),
            log: log.to_owned(),
        };
        let deadline = Instant::now() + timeout;
        loop {
            if is_listening(socket) {
                return Ok(running);
            }
            if let Some(status) = running.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "{} exited ({status}) before listening on {}:\n{}",
                    daemon.describe(dir, socket, cache),
                    socket.display(),
                    running.log_tail()
                )));
            }
            crate::interrupt::check()?;
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "{} did not listen on {} within {} s:\n{}",
                        daemon.describe(dir, socket, cache),
                        socket.display(),
                        timeout.as_secs_f64(),
                        running.log_tail()
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it ended, when it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The last lines the daemon wrote.
    pub fn log_tail(&self) -> String {
        let mut text = Vec::new();
        if let Ok(f) = File::open(&self.log) {
            let _ = f.take(1 << 20).read_to_end(&mut text);
        }
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops the daemon (see the type) and removes its socket and pid file.
    fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let deadline = Instant::now() + DAEMON_EXIT_GRACE;
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
        let _ = std::fs::remove_file(&self.socket);
        for pid_file in pid_files(self.kind, &self.socket) {
            remove_if_holds_pid(&pid_file, self.child.id());
        }
    }
}

impl Drop for VirtiofsDaemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where a daemon writes its pid: the Rust one next to its socket
/// (`SOCKET.pid`), QEMU's in `/var/run/virtiofsd/`, named after the socket
/// path with `/` and `.` made `.` (`/tmp/x/vfs0.sock` ->
/// `.tmp.x.vfs0.sock.pid`).
pub fn pid_files(kind: DaemonKind, socket: &Path) -> Vec<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    match kind {
        DaemonKind::Rust => {
            let mut p = socket.as_os_str().to_owned();
            p.push(".pid");
            vec![p.into()]
        }
        DaemonKind::C => {
            let mut name: Vec<u8> = socket
                .as_os_str()
                .as_bytes()
                .iter()
                .map(|&b| if b == b'/' { b'.' } else { b })
                .collect();
            name.extend_from_slice(b".pid");
            vec![Path::new("/var/run/virtiofsd").join(OsString::from_vec(name))]
        }
    }
}

/// Removes `path` when it holds `pid` (and so is not another daemon's).
fn remove_if_holds_pid(path: &Path, pid: u32) {
    if std::fs::read_to_string(path).is_ok_and(|s| s.trim() == pid.to_string()) {
        let _ = std::fs::remove_file(path);
    }
}

/// The socket at `path` is listening: `/proc/net/unix` lists it with the
/// `__SO_ACCEPTCON` flag (0x10000). (Connecting to find out would use up
/// the daemon's one connection.) Where `/proc/net/unix` cannot be read,
/// the socket file's existence has to do.
fn is_listening(path: &Path) -> bool {
    match std::fs::read("/proc/net/unix") {
        Ok(table) => listening_in(&table, path.as_os_str().as_bytes()),
        Err(_) => {
            use std::os::unix::fs::FileTypeExt;
            path.symlink_metadata()
                .is_ok_and(|m| m.file_type().is_socket())
        }
    }
}

/// [`is_listening`] over the text of `/proc/net/unix`: `Num RefCount
/// Protocol Flags Type St Inode Path`.
fn listening_in(table: &[u8], path: &[u8]) -> bool {
    const ACCEPTCON: u32 = 0x10000;
    table.split(|&b| b == b'\n').skip(1).any(|line| {
        let Some(head) = line.strip_suffix(path) else {
            return false;
        };
        if !head.ends_with(b" ") {
            return false;
        }
        let flags = String::from_utf8_lossy(head)
            .split_whitespace()
            .nth(3)
            .and_then(|f| u32::from_str_radix(f, 16).ok());
        flags.is_some_and(|f| f & ACCEPTCON != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn choices_and_cache_modes_parse() {
        assert_eq!("auto".parse(), Ok(VirtiofsdChoice::Auto));
        assert_eq!("rust".parse(), Ok(VirtiofsdChoice::Rust));
        assert_eq!("c".parse(), Ok(VirtiofsdChoice::C));
        assert!("go".parse::<VirtiofsdChoice>().is_err());
        assert_eq!(VirtiofsdChoice::default(), VirtiofsdChoice::Auto);
        assert_eq!("none".parse(), Ok(VirtiofsCache::None));
        assert_eq!("auto".parse(), Ok(VirtiofsCache::Auto));
        assert_eq!("always".parse(), Ok(VirtiofsCache::Always));
        assert!("loose".parse::<VirtiofsCache>().is_err());
        assert_eq!(VirtiofsCache::default(), VirtiofsCache::Auto);
    }

    #[test]
    fn rust_daemon_arguments() {
        let d = Virtiofsd {
            kind: DaemonKind::Rust,
            path: "/root/.cargo/bin/virtiofsd".into(),
        };
        for (cache, value) in [
            (VirtiofsCache::None, "never"),
            (VirtiofsCache::Auto, "auto"),
            (VirtiofsCache::Always, "always"),
        ] {
            assert_eq!(
                strings(&d.args(Path::new("/srv/a,b"), Path::new("/t/vfs0.sock"), cache)),
                [
                    "--socket-path",
                    "/t/vfs0.sock",
                    "--shared-dir",
                    "/srv/a,b",
                    "--sandbox",
                    "none",
                    "--cache",
                    value
                ]
            );
        }
        assert_eq!(
            d.describe(Path::new("/d"), Path::new("/s"), VirtiofsCache::Auto),
            "/root/.cargo/bin/virtiofsd --socket-path /s --shared-dir /d --sandbox none --cache auto"
        );
    }

    #[test]
    fn c_daemon_arguments_escape_fuse_options() {
        let d = Virtiofsd {
            kind: DaemonKind::C,
            path: C_VIRTIOFSD.into(),
        };
        assert_eq!(
            strings(&d.args(
                Path::new("/srv/root"),
                Path::new("/t/vfs0.sock"),
                VirtiofsCache::None
            )),
            [
                "--socket-path=/t/vfs0.sock",
                "-o",
                "source=/srv/root",
                "-o",
                "cache=none",
                "-o",
                "sandbox=chroot"
            ]
        );
        assert_eq!(
            strings(&d.args(
                Path::new(r"/srv/a,b\c"),
                Path::new("/t/s"),
                VirtiofsCache::Always
            ))[2],
            r"source=/srv/a\,b\\c"
        );
    }

    #[test]
    fn version_lines() {
        assert!(is_rust_version_line(b"virtiofsd 1.14.0\n"));
        assert!(!is_rust_version_line(
            b"virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7)\nCopyright\n"
        ));
        assert!(!is_rust_version_line(b""));
        assert!(!is_rust_version_line(b"something 1.0\n"));
    }

    #[test]
    fn tags() {
        assert_eq!(check_virtiofs_tag("root"), Ok(()));
        assert_eq!(check_virtiofs_tag(&"x".repeat(36)), Ok(()));
        assert!(check_virtiofs_tag(&"x".repeat(37)).is_err());
        assert!(check_virtiofs_tag("").is_err());
        assert!(check_virtiofs_tag("a:b").is_err());
        assert!(check_virtiofs_tag("a b").is_err());
    }

    #[test]
    fn qemu_arguments() {
        assert!(qemu_args("512M", &[]).is_empty());
        let devices = [
            VirtiofsDevice {
                socket: "/t/vfs0.sock".into(),
                tag: "root".into(),
            },
            VirtiofsDevice {
                socket: "/t,x/vfs1.sock".into(),
                tag: "da,ta".into(),
            },
        ];
        assert_eq!(
            strings(&qemu_args("1G", &devices)),
            [
                "-object",
                "memory-backend-memfd,id=lintel-mem,size=1G,share=on",
                "-numa",
                "node,memdev=lintel-mem",
                "-chardev",
                "socket,id=vfs0,path=/t/vfs0.sock",
                "-device",
                "vhost-user-fs-pci,chardev=vfs0,tag=root",
                "-chardev",
                "socket,id=vfs1,path=/t,,x/vfs1.sock",
                "-device",
                "vhost-user-fs-pci,chardev=vfs1,tag=da,,ta",
            ]
        );
        // `-m 256` is MiB; `size=256` would be bytes.
        assert_eq!(
            strings(&qemu_args("256", &devices[..1]))[1],
            "memory-backend-memfd,id=lintel-mem,size=256M,share=on"
        );
    }

    #[test]
    fn pid_file_names() {
        assert_eq!(
            pid_files(DaemonKind::C, Path::new("/tmp/lintel-1-0-ab/vfs0.sock")),
            [PathBuf::from(
                "/var/run/virtiofsd/.tmp.lintel-1-0-ab.vfs0.sock.pid"
            )]
        );
        assert_eq!(
            pid_files(DaemonKind::Rust, Path::new("/tmp/x/vfs0.sock")),
            [PathBuf::from("/tmp/x/vfs0.sock.pid")]
        );
    }

    #[test]
    fn proc_net_unix_listening_flag() {
        let table = b"Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 179505 /tmp/a b/s\n\
            0000000000000000: 00000003 00000000 00000000 0001 03 179506 /tmp/c/s\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 179507 /tmp/x/s2\n";
        assert!(listening_in(table, b"/tmp/a b/s"));
        // Connected, not listening.
        assert!(!listening_in(table, b"/tmp/c/s"));
        // A suffix of another path is not the path.
        assert!(!listening_in(table, b"x/s2"));
        assert!(!listening_in(table, b"/tmp/none"));
    }

    #[test]
    fn a_real_listener_is_seen() {
        let t = TempDir::new().unwrap();
        let path = t.path().join("s");
        assert!(!is_listening(&path));
        let _l = std::os::unix::net::UnixListener::bind(&path).unwrap();
        assert!(is_listening(&path));
    }

    #[test]
    fn a_daemon_that_exits_at_once_is_reported_with_its_log() {
        let t = TempDir::new().unwrap();
        let fake = Virtiofsd {
            kind: DaemonKind::Rust,
            path: "/bin/sleep".into(),
        };
        // `sleep --socket-path ...` complains and exits before listening.
        let err = VirtiofsDaemon::start(
            &fake,
            t.path(),
            &t.path().join("s"),
            VirtiofsCache::Auto,
            &t.path().join("log"),
            Duration::from_secs(5),
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("exited") && msg.contains("sleep"), "{msg}");
    }

    /// A stand-in daemon that never listens: the start times out, and the
    /// process is gone afterwards.
    #[test]
    fn a_daemon_that_never_listens_is_killed() {
        use std::os::unix::fs::PermissionsExt;
        let t = TempDir::new().unwrap();
        let script = t.path().join("fake-virtiofsd");
        let pid_file = t.path().join("pid");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\necho $$ > {}\nexec sleep 30\n",
                pid_file.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let fake = Virtiofsd {
            kind: DaemonKind::Rust,
            path: script,
        };
        let start = Instant::now();
        let err = VirtiofsDaemon::start(
            &fake,
            t.path(),
            &t.path().join("s"),
            VirtiofsCache::Auto,
            &t.path().join("log"),
            Duration::from_millis(300),
        )
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(start.elapsed() < Duration::from_secs(5));
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        assert!(
            !Path::new(&format!("/proc/{}", pid.trim())).exists(),
            "the fake daemon {pid} still runs"
        );
    }

    #[test]
    fn the_guard_kills_and_reaps() {
        let t = TempDir::new().unwrap();
        let socket = t.path().join("s");
        std::fs::write(&socket, b"").unwrap();
        let child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id();
        std::fs::write(t.path().join("s.pid"), format!("{pid}\n")).unwrap();
        let d = VirtiofsDaemon {
            child,
            kind: DaemonKind::Rust,
            socket: socket.clone(),
            log: t.path().join("log"),
        };
        let start = Instant::now();
        drop(d);
        assert!(start.elapsed() < Duration::from_secs(5));
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
        assert!(!socket.exists());
        assert!(!t.path().join("s.pid").exists());
    }
}
