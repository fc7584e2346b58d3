//! Lintel under libvirt: the domain `lintel libvirt-xml` prints validates
//! against libvirt's schema (`virt-xml-validate`), boots with
//! `virsh create` (direct kernel boot, the root directory shared by tag), its
//! program's output and the kernel's exit line reach the serial log file,
//! and the file the program wrote is in the shared directory once the domain
//! is destroyed. Once over virtio-9p, once over virtio-fs.
//!
//! The test sets libvirt up when it is missing, as on a Debian machine
//! without systemd: `apt-get install libvirt-daemon-system libvirt-clients`,
//! five lines appended to `/etc/libvirt/qemu.conf` (no cgroups, no
//! namespaces, no security driver, QEMU as root), then `virtlogd -d` and
//! `libvirtd -d`. It is skipped, with the reason printed, only when the
//! daemon cannot be brought up here.
//!
//! The kernel ends by halting (libvirt's domain has no `isa-debug-exit`),
//! and a halt is not a power-off: the test waits for `lintel: exit
//! status=N` in the serial log, then `virsh destroy`s the domain.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use lintel::args::{parse, Command as LintelCommand};
use lintel::setup::{find_in_path, is_root};
use lintel::tempdir::TempDir;
use lintel_tests::{guest, Link};

const CONNECT: &str = "qemu:///system";
/// From `virsh create` to the exit line (TCG on a busy 2-core machine).
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const QEMU_CONF: &str = "/etc/libvirt/qemu.conf";
/// What `qemu.conf` needs on a machine without systemd or cgroup delegation.
const QEMU_CONF_LINES: &[&str] = &[
    "cgroup_controllers = [ ]",
    "namespaces = [ ]",
    "security_driver = \"none\"",
    "user = \"root\"",
    "group = \"root\"",
];

/// A tool by name: on `PATH`, else in `/usr/sbin` or `/usr/bin`.
fn tool(name: &str) -> Option<PathBuf> {
    find_in_path(name).or_else(|| {
        ["/usr/sbin", "/usr/bin"]
            .iter()
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    })
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Installs libvirt's daemon and clients when `libvirtd`, `virtlogd`,
/// `virsh` or `virt-xml-validate` is missing (`apt-get update` only when the
/// install fails without it).
fn ensure_packages() -> Result<(), String> {
    const TOOLS: &[&str] = &["libvirtd", "virtlogd", "virsh", "virt-xml-validate"];
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| tool(t).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "{} missing and we are not root to apt-get install libvirt-daemon-system libvirt-clients",
            missing.join(", ")
        ));
    }
    let Some(apt) = tool("apt-get") else {
        return Err(format!(
            "{} missing and there is no apt-get",
            missing.join(", ")
        ));
    };
    eprintln!("libvirt test: installing libvirt-daemon-system libvirt-clients");
    let install = || {
        run(Command::new(&apt)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args([
                "install",
                "-y",
                "-q",
                "libvirt-daemon-system",
                "libvirt-clients",
            ]))
    };
    let mut out = install()?;
    if !out.status.success() {
        let update = run(Command::new(&apt).args(["update", "-q"]))?;
        if !update.status.success() {
            return Err(format!("apt-get update failed: {}", describe(&update)));
        }
        out = install()?;
    }
    if !out.status.success() {
        return Err(format!("apt-get install failed: {}", describe(&out)));
    }
    match TOOLS.iter().find(|t| tool(t).is_none()) {
        Some(t) => Err(format!("{t} still missing after apt-get install")),
        None => Ok(()),
    }
}

/// The lines of [`QEMU_CONF_LINES`] that `conf` does not set yet (compared
/// without blanks, commented lines ignored).
fn missing_conf_lines(conf: &str) -> Vec<&'static str> {
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let present: Vec<String> = conf
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(squeeze)
        .collect();
    QEMU_CONF_LINES
        .iter()
        .copied()
        .filter(|l| !present.contains(&squeeze(l)))
        .collect()
}

/// Appends the missing lines to `qemu.conf`; true when it changed.
fn configure_qemu_conf() -> Result<bool, String> {
    let conf = fs::read_to_string(QEMU_CONF).map_err(|e| format!("reading {QEMU_CONF}: {e}"))?;
    let missing = missing_conf_lines(&conf);
    if missing.is_empty() {
        return Ok(false);
    }
    if !is_root() {
        return Err(format!("{QEMU_CONF} lacks {missing:?} and we are not root"));
    }
    let mut text = String::new();
    if !conf.ends_with('\n') && !conf.is_empty() {
        text.push('\n');
    }
    text.push_str("# Added by Lintel's libvirt test: no systemd, no cgroups, QEMU as root.\n");
    for l in &missing {
        text.push_str(l);
        text.push('\n');
    }
    use std::io::Write;
    fs::OpenOptions::new()
        .append(true)
        .open(QEMU_CONF)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("appending to {QEMU_CONF}: {e}"))?;
    eprintln!("libvirt test: appended {missing:?} to {QEMU_CONF}");
    Ok(true)
}

/// A process whose name (`/proc/PID/comm`) is `name` is running.
fn running(name: &str) -> bool {
    let Ok(dir) = fs::read_dir("/proc") else {
        return false;
    };
    dir.flatten().any(|e| {
        e.file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            && fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim_end() == name)
    })
}

/// Starts `NAME -d` (it daemonizes itself) unless one is running.
fn start_daemon(name: &str) -> Result<(), String> {
    if running(name) {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "{name} is not running and we are not root to start it"
        ));
    }
    let bin = tool(name).ok_or_else(|| format!("no {name}"))?;
    eprintln!("libvirt test: starting {} -d", bin.display());
    // The daemon outlives the test: it gets a plain environment (not
    // cargo's), and no pipe of ours may stay open in it.
    let mut cmd = Command::new(&bin);
    cmd.env_clear().env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    );
    if let Some(home) = std::env::var_os("HOME") {
        cmd.env("HOME", home);
    }
    let status = cmd
        .arg("-d")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !status.success() {
        return Err(format!("{} -d failed ({status})", bin.display()));
    }
    Ok(())
}

fn virsh(args: &[&str]) -> Result<Output, String> {
    run(Command::new(tool("virsh").ok_or("no virsh")?)
        .args(["-q", "-c", CONNECT])
        .args(args))
}

/// Waits (up to 30 s) until `virsh` gets an answer from the QEMU driver.
fn wait_for_daemon() -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = virsh(&["version"])?;
        if out.status.success() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "libvirtd does not answer on {CONNECT} after 30 s: {}",
                describe(&out)
            ));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Brings libvirt up once per test process; `Err(why)` means skip.
fn libvirt_ready() -> Result<(), String> {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let t = Instant::now();
            ensure_packages()?;
            let changed = configure_qemu_conf()?;
            if changed && running("libvirtd") {
                eprintln!(
                    "libvirt test: warning: {QEMU_CONF} changed while libvirtd runs; \
                     it reads the file only when it starts"
                );
            }
            start_daemon("virtlogd")?;
            start_daemon("libvirtd")?;
            wait_for_daemon()?;
            eprintln!(
                "libvirt test: libvirt ready in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        })
        .clone()
}

/// `virsh destroy`s the domain when dropped, whatever happened.
struct DomainGuard {
    name: String,
}

impl DomainGuard {
    fn destroy(&self) -> Result<Output, String> {
        virsh(&["destroy", &self.name])
    }
}

impl Drop for DomainGuard {
    fn drop(&mut self) {
        let _ = self.destroy();
    }
}

fn read_log(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The domain's state as `virsh domstate` says (`running`, `shut off`...),
/// `gone` when libvirt no longer knows it (a transient domain that ended).
fn domstate(name: &str) -> String {
    match virsh(&["domstate", name]) {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        Ok(_) => "gone".to_owned(),
        Err(e) => e,
    }
}

/// Waits for the kernel's exit line (or a panic) in the serial log; returns
/// the log, or panics with it when the domain stops or the time runs out.
fn wait_for_exit_line(log: &Path, name: &str) -> String {
    let start = Instant::now();
    let mut last_state_check = start;
    loop {
        let text = read_log(log);
        let ended = text.lines().any(|l| {
            let l = l.trim_end_matches('\r');
            l.starts_with("lintel: exit ") || l.starts_with("lintel: panic")
        });
        if ended {
            return text;
        }
        if start.elapsed() > BOOT_TIMEOUT {
            panic!(
                "no exit line in {} after {} s (domain {}):\n{text}",
                log.display(),
                BOOT_TIMEOUT.as_secs(),
                domstate(name)
            );
        }
        if last_state_check.elapsed() > Duration::from_secs(2) {
            last_state_check = Instant::now();
            let state = domstate(name);
            if state != "running" {
                // A last look: the line may have come just before it stopped.
                let text = read_log(log);
                if text.contains("lintel: exit ") {
                    return text;
                }
                panic!("the domain is `{state}` without an exit line; serial log:\n{text}");
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Boots the guest program through libvirt with its root shared over `fs`
/// (`9p` or `virtiofs`) and checks what it printed and wrote.
fn boot_through_libvirt(fs_name: &str) {
    if let Err(why) = libvirt_ready() {
        eprintln!("SKIPPED libvirt {fs_name} test: libvirtd cannot run here: {why}");
        println!("SKIPPED libvirt {fs_name} test: libvirtd cannot run here: {why}");
        return;
    }
    let work = TempDir::new().unwrap();
    // Quotes, an ampersand and a space in the path: escaped in the XML, they
    // must reach QEMU (and virtiofsd) intact.
    let root = work.path().join(format!("root {fs_name} & o'k"));
    fs::create_dir_all(root.join("bin")).unwrap();
    let program = root.join("bin/libvirt_guest");
    fs::copy(guest("libvirt_guest", Link::Static), &program).unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    let log = work.path().join("console.log");
    let xml_file = work.path().join("domain.xml");
    let name = format!("lintel-test-{fs_name}-{}", std::process::id());
    let who = format!("libvirt {fs_name}");

    let args: Vec<std::ffi::OsString> = [
        "libvirt-xml",
        "--root",
        root.to_str().unwrap(),
        "--fs",
        fs_name,
        "--name",
        &name,
        "--accel",
        "tcg",
        "-m",
        "256M",
        "--serial",
        log.to_str().unwrap(),
        "-e",
        &format!("LINTEL_WHO={who}"),
        "--",
        "/bin/libvirt_guest",
        "two words",
        "<&'\">",
    ]
    .iter()
    .map(Into::into)
    .collect();
    let LintelCommand::LibvirtXml(a) = parse(&args).unwrap() else {
        panic!("libvirt-xml did not parse");
    };
    let xml = lintel::libvirt_cmd::xml(&a).expect("lintel libvirt-xml");
    eprintln!("--- domain XML ({fs_name}) ---\n{xml}");
    fs::write(&xml_file, &xml).unwrap();

    let validate = run(Command::new(tool("virt-xml-validate").unwrap())
        .arg(&xml_file)
        .arg("domain"))
    .unwrap();
    assert!(
        validate.status.success(),
        "virt-xml-validate refused the domain: {}",
        describe(&validate)
    );

    let guard = DomainGuard { name: name.clone() };
    let t = Instant::now();
    let created = virsh(&["create", xml_file.to_str().unwrap()]).unwrap();
    assert!(
        created.status.success(),
        "virsh create failed: {}",
        describe(&created)
    );
    let create_time = t.elapsed();
    let text = wait_for_exit_line(&log, &name);
    let boot_time = t.elapsed();
    let t = Instant::now();
    let destroyed = guard.destroy().unwrap();
    let destroy_time = t.elapsed();
    eprintln!(
        "libvirt test ({fs_name}): virsh create {:.2} s, exit line after {:.2} s, \
         virsh destroy {:.2} s\n--- serial log ---\n{text}",
        create_time.as_secs_f64(),
        boot_time.as_secs_f64(),
        destroy_time.as_secs_f64()
    );
    assert!(
        destroyed.status.success(),
        "virsh destroy failed: {}",
        describe(&destroyed)
    );
    assert!(
        text.lines()
            .any(|l| l.trim_end_matches('\r') == "lintel: exit status=0"),
        "the guest did not end with `lintel: exit status=0`:\n{text}"
    );
    assert!(
        text.contains(&format!(
            "libvirt guest: argc=3 [two words] [<&'\">] who=[{who}]"
        )),
        "the program's stdout is not in the serial log:\n{text}"
    );
    assert!(
        text.contains("libvirt guest: a line on stderr"),
        "stderr does not reach the single serial port:\n{text}"
    );
    assert!(
        text.contains("libvirt guest: wrote /from-guest.txt"),
        "{text}"
    );
    let written = fs::read_to_string(root.join("from-guest.txt"))
        .expect("the guest's file in the shared directory");
    assert_eq!(
        written,
        format!("written by the guest for {who}\narg 1: two words\narg 2: <&'\">\n")
    );
}

#[test]
fn nine_p_root_under_libvirt() {
    boot_through_libvirt("9p");
}

#[test]
fn virtio_fs_root_under_libvirt() {
    boot_through_libvirt("virtiofs");
}

#[test]
fn qemu_conf_lines_are_appended_once() {
    let all = QEMU_CONF_LINES.join("\n");
    assert!(missing_conf_lines(&all).is_empty());
    assert_eq!(missing_conf_lines(""), QEMU_CONF_LINES);
    let commented = "#user = \"root\"\n  security_driver=\"none\"\n";
    let missing = missing_conf_lines(commented);
    assert!(missing.contains(&"user = \"root\""));
    assert!(!missing.contains(&"security_driver = \"none\""));
}
