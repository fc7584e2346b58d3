//! The command line of the `lintel` binary, parsed by hand.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::accel::Accel;
use crate::net::{parse_ipv4, NetConfig, NetMode, PortForward};
use crate::ninep::{check_security_model, check_tag, RootFs, Share, VirtioMode};
use crate::qemu::Machine;
use crate::virtiofs::{VirtiofsCache, VirtiofsdChoice};

pub const USAGE: &str = "\
lintel: run unmodified static Linux x86-64 programs on the Lintel kernel under QEMU

Usage:
  lintel run [OPTIONS] [--] PROGRAM [ARGS...]
  lintel run --root DIR [OPTIONS] [--] /PATH/IN/DIR [ARGS...]
  lintel demo [nginx [--port N]]
  lintel workloads [--out DIR] [--rebuild]
  lintel test [CARGO TEST ARGS...]
  lintel bench [--only NAME] [--rounds N] [--json FILE] [--quick]
  lintel libvirt-xml --root DIR [OPTIONS] [--] /PATH/IN/DIR [ARGS...]
  lintel help

Commands:
  run    Boot PROGRAM (a static Linux ELF on this host) with ARGS. Its stdout and
         stderr become ours, our stdin is its stdin, and we exit with its status
         (128+S when killed by signal S, 124 on timeout, 125 when the kernel
         panics or QEMU fails). Builds the kernel first when needed.
         With --root DIR, the directory DIR becomes the root file system, shared
         over virtio-9p (the guest reads and writes DIR itself), and PROGRAM is
         a path inside it, e.g. `lintel run --root DIR -- /bin/busybox ls -l /`.
         With --fs virtiofs, DIR is shared over virtio-fs instead, served by a
         virtiofsd that lintel starts and stops itself.
         With -p HOST:GUEST, connections to the host's port HOST reach the
         guest's port GUEST (QEMU user-mode networking and a virtio-net
         device), e.g. `lintel run --root DIR -p 8080:80 -- /sbin/nginx`.
  demo   Install what is missing, build the kernel and a few demo programs, run them.
         `demo nginx` builds nginx (see workloads) and serves a root
         directory (target/demo/nginx) on http://127.0.0.1:8080/ (or
         --port N) until Ctrl-C.
  workloads
         Build nginx and redis from Debian's source packages (apt-get source),
         static with musl-gcc, into target/workloads/bin/ (cached by the
         Debian versions); --out DIR also copies the binaries into DIR.
  test   Install what is missing, build the kernel, run `cargo test` in the
         workspace with LINTEL_KERNEL set; exits with cargo's status.
  bench  Run the benchmarks (bench/*.c, and nginx and redis measured from
         the host through a forwarded port) in Lintel and in a Linux guest
         (Debian's kernel, fetched with apt-get download into target/bench)
         on the same QEMU, accelerator and 9p share, alternating over
         rounds; print the table of medians and ratios, write JSON to
         target/bench/latest.json. See docs/benchmarks.md.
  libvirt-xml
         Print a libvirt domain (direct kernel boot) that runs PROGRAM from
         DIR shared by tag, for `virsh define`/`virsh create`; see
         docs/libvirt.md. Builds the kernel first when needed.

Options of `run` (before PROGRAM):
  --root DIR          DIR is the root file system; PROGRAM is then a path in
                      DIR (absolute, or relative to DIR)
  --fs 9p|virtiofs|initrd
                      how DIR reaches the guest (default 9p): 9p shares it over
                      virtio-9p (changes land in DIR); virtiofs shares it over
                      virtio-fs (changes land in DIR; needs a virtiofsd, see
                      --virtiofsd); initrd packs it (files, directories,
                      symlinks, with modes, owners and mtimes) into an
                      in-memory tmpfs, changes stay in the guest (give a large
                      tree enough -m)
  --tag TAG           mount tag of the root (default root)
  --rootflags OPTS    9p mount options of the root, e.g. cache=loose,msize=262144
  --share DIR:TAG:/guest/path
                      also share the host directory DIR over virtio-9p with the
                      tag TAG, mounted at /guest/path (repeatable)
  --share-virtiofs DIR:TAG:/guest/path
                      the same over virtio-fs, one virtiofsd per share
                      (repeatable; mounted after the 9p shares)
  --virtiofsd auto|rust|c
                      the virtio-fs daemon (default auto: the Rust virtiofsd,
                      found on PATH, in ~/.cargo/bin or /usr/libexec, else
                      QEMU's /usr/lib/qemu/virtiofsd, which needs root)
  --cache none|auto|always
                      the virtiofsd cache policy (default auto)
  --security-model M  QEMU's 9p security model for every share: none (default),
                      mapped-xattr, passthrough or mapped-file
  --virtio transitional|modern|legacy
                      interfaces of the virtio-9p and virtio-net devices
                      (default transitional: both; modern:
                      disable-legacy=on; legacy:
                      disable-modern=on,disable-legacy=off)
  --machine pc|q35    QEMU machine type (default pc)
  -p, --publish [tcp:|udp:][ADDR:]HOST:GUEST[/tcp|/udp]
                      forward the host port HOST (on ADDR, default 127.0.0.1)
                      to the guest's port GUEST, TCP unless udp is said
                      (repeatable; implies --net user)
  --net none|user|tap:IFNAME
                      the network: none (default without -p), QEMU user-mode
                      networking (default with -p; the guest is 10.0.2.15,
                      the host 10.0.2.2), or the host's tap interface IFNAME
                      (set up beforehand, no scripts); a virtio-net device
                      that follows --virtio
  --ip ADDR/PREFIX    the guest's static IPv4 address (ip= on the kernel
                      command line), e.g. 10.0.2.15/24; DHCP without it
  --gw ADDR           the guest's default gateway (gw=), e.g. 10.0.2.2
  --timeout SECS      kill the machine after SECS seconds (exit status 124)
  -m, --memory MEM    guest memory, QEMU syntax (default 512M)
  -e, --env KEY=VALUE add to the program's environment (repeatable; it starts empty)
  --accel auto|kvm|tcg
                      accelerator (default auto: KVM when the host has a real one)
  -v, --verbose       show the kernel log on stderr
  --log FILE          write the kernel log to FILE
  -h, --help          this text

Options of `libvirt-xml` (before PROGRAM):
  --root DIR          the root file system (required); PROGRAM is a path in it
  --fs 9p|virtiofs    share DIR over virtio-9p (default) or virtio-fs
  --name NAME         the domain name (default lintel)
  -m, --memory MEM    guest memory, QEMU syntax (default 512M)
  --accel kvm|tcg     domain type kvm (default) or qemu (TCG)
  --machine pc|q35    machine type (default pc)
  --tag TAG           mount tag of the root (default root)
  --rootflags OPTS    9p mount options of the root
  --accessmode M      of the 9p file systems: passthrough (default), mapped, squash
  --share DIR:TAG:/guest/path
                      also share DIR over virtio-9p, mounted at /guest/path
  --serial FILE|pty   the console: a file, or a pty for `virsh console` (default)
  --network user|NAME a virtio-net interface: user-mode, or a libvirt network
  -p, --publish [tcp:|udp:][ADDR:]HOST:GUEST[/tcp|/udp]
                      forward a host port to the guest (<portForward>, libvirt's
                      passt backend; implies --network user; repeatable)
  --ip ADDR/PREFIX, --gw ADDR
                      static IPv4 configuration on the kernel command line
  -e, --env KEY=VALUE add to the program's environment (repeatable)
  -q, --quiet         the kernel logs only warnings and the exit line

Options of `workloads`:
  --out DIR           also copy nginx, redis-server and redis-cli into DIR
  --rebuild           build again even when target/workloads/bin has them
  -j, --jobs N        parallel make jobs (default: the number of CPUs)

Options of `bench`:
  --only NAME         only this group (repeatable or comma-separated): boot,
                      syscall, fileio (= fileio-none, -loose, -virtiofs),
                      fileio-none, fileio-loose, fileio-virtiofs, nginx,
                      redis (net = both: servers measured from the host with
                      wrk and redis-benchmark), footprint
  --rounds N          rounds, each running both guests (default 3)
  --json FILE         also write the results as JSON to FILE
  --quick             smoke run: one round, 8 MiB and 100 files, 2 s of wrk,
                      10000 redis requests, no memory search
  --mib N             file I/O: MiB written and read (default 256)
  --files N           file I/O: files created, stat'ed, listed, removed (default 10000)
  --accel auto|kvm|tcg
                      accelerator of both guests (default auto)

Environment:
  LINTEL_KERNEL   use this kernel image instead of building one
  LINTEL_QEMU     the QEMU binary (default qemu-system-x86_64)
";

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Help,
    /// Boxed: it is much larger than the other variants.
    Run(Box<RunArgs>),
    Demo,
    /// `demo nginx [--port N]`: nginx under Lintel on http://127.0.0.1:N/
    /// (default 8080).
    DemoNginx(u16),
    /// `workloads`: build nginx and redis.
    Workloads(crate::workloads::WorkloadsArgs),
    Test(Vec<OsString>),
    /// `bench`: boxed like `Run`.
    Bench(Box<crate::bench::BenchArgs>),
    /// `libvirt-xml`: boxed like `Run`.
    LibvirtXml(Box<crate::libvirt_cmd::LibvirtArgs>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunArgs {
    pub timeout: Option<Duration>,
    pub memory: String,
    pub env: Vec<OsString>,
    pub accel: Accel,
    pub verbose: bool,
    pub log: Option<PathBuf>,
    /// `--root DIR`: the directory that becomes the root file system.
    pub root: Option<PathBuf>,
    /// `--fs`: how the root reaches the guest.
    pub fs: RootFs,
    /// `--tag`: the 9p root's mount tag.
    pub tag: String,
    /// `--rootflags`: the 9p root's mount options.
    pub rootflags: Option<String>,
    /// `--share DIR:TAG:/path`, in order.
    pub shares: Vec<Share>,
    /// `--share-virtiofs DIR:TAG:/path`, in order.
    pub virtiofs_shares: Vec<Share>,
    /// `--virtiofsd`.
    pub virtiofsd: VirtiofsdChoice,
    /// `--cache`.
    pub cache: VirtiofsCache,
    /// `--security-model`.
    pub security_model: String,
    /// `--virtio`.
    pub virtio: VirtioMode,
    /// `--machine`.
    pub machine: Machine,
    /// `-p`, `--net`, `--ip`, `--gw` (the device follows [`virtio`](Self::virtio)).
    pub net: NetConfig,
    /// The program as typed; it is also `argv[0]`. With a root, a path inside it.
    pub program: PathBuf,
    /// The arguments after the program.
    pub args: Vec<OsString>,
}

impl RunArgs {
    /// The guest argv: the program as typed, then its arguments.
    pub fn argv(&self) -> Vec<OsString> {
        std::iter::once(self.program.clone().into_os_string())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// Parses everything after the binary name.
pub fn parse(args: &[OsString]) -> Result<Command, String> {
    let Some((first, rest)) = args.split_first() else {
        return Ok(Command::Help);
    };
    match first.to_str() {
        Some("run") => parse_run(rest),
        Some("demo") => match rest {
            [] => Ok(Command::Demo),
            [a, ..] if is_help(a) => Ok(Command::Help),
            [a] if a == "nginx" => Ok(Command::DemoNginx(8080)),
            [a, p, n] if a == "nginx" && p == "--port" => n
                .to_str()
                .and_then(|n| n.parse::<u16>().ok())
                .filter(|&n| n > 0)
                .map(Command::DemoNginx)
                .ok_or_else(|| format!("bad port `{}`", n.to_string_lossy())),
            [a, ..] => Err(format!(
                "demo takes no arguments, or `nginx` (got `{}`)",
                a.to_string_lossy()
            )),
        },
        Some("workloads") => Ok(match crate::workloads::parse_args(rest)? {
            Some(a) => Command::Workloads(a),
            None => Command::Help,
        }),
        Some("test") => Ok(Command::Test(rest.to_vec())),
        Some("bench") => Ok(match crate::bench::parse_args(rest)? {
            Some(a) => Command::Bench(Box::new(a)),
            None => Command::Help,
        }),
        Some("libvirt-xml") => Ok(match crate::libvirt_cmd::parse(rest)? {
            Some(a) => Command::LibvirtXml(Box::new(a)),
            None => Command::Help,
        }),
        Some("help" | "-h" | "--help") => Ok(Command::Help),
        _ => Err(format!("unknown command `{}`", first.to_string_lossy())),
    }
}

fn is_help(a: &OsStr) -> bool {
    a == "-h" || a == "--help"
}

fn parse_run(args: &[OsString]) -> Result<Command, String> {
    let mut timeout = None;
    let mut memory = "512M".to_owned();
    let mut env = Vec::new();
    let mut accel = Accel::Auto;
    let mut verbose = false;
    let mut log = None;
    let mut root = None;
    let mut fs = RootFs::NineP;
    let mut tag = "root".to_owned();
    let mut rootflags = None;
    let mut shares = Vec::new();
    let mut security_model = "none".to_owned();
    let mut virtio = VirtioMode::Transitional;
    let mut machine = Machine::Pc;
    let mut virtiofs_shares = Vec::new();
    let mut virtiofsd: Option<VirtiofsdChoice> = None;
    let mut cache: Option<VirtiofsCache> = None;
    let mut net_mode: Option<NetMode> = None;
    let mut publish = Vec::new();
    let mut ip = None;
    let mut gw = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let bytes = arg.as_bytes();
        if bytes == b"--" {
            i += 1;
            break;
        }
        if !bytes.starts_with(b"-") || bytes == b"-" {
            break;
        }
        // `--name=value` or `--name value`.
        let (name, inline) = match arg.to_str().and_then(|s| s.split_once('=')) {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(OsString::from(v))),
            _ => (arg.to_string_lossy().into_owned(), None),
        };
        let mut value = |what: &str| -> Result<OsString, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs {what}"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-v" | "--verbose" => verbose = true,
            "--timeout" => timeout = Some(parse_timeout(&value("a number of seconds")?)?),
            "-m" | "--memory" => {
                memory = value("a size")?
                    .into_string()
                    .map_err(|_| "bad memory size".to_owned())?;
            }
            "-e" | "--env" => {
                let v = value("KEY=VALUE")?;
                match v.as_bytes().iter().position(|&b| b == b'=') {
                    Some(0) | None => {
                        return Err(format!(
                            "{name} wants KEY=VALUE, got `{}`",
                            v.to_string_lossy()
                        ))
                    }
                    Some(_) => env.push(v),
                }
            }
            "--accel" => accel = value("auto, kvm or tcg")?.to_string_lossy().parse()?,
            "--log" => log = Some(PathBuf::from(value("a file name")?)),
            "--root" => root = Some(PathBuf::from(value("a directory")?)),
            "--fs" => fs = value("9p, virtiofs or initrd")?.to_string_lossy().parse()?,
            // Checked below, once the file system is known.
            "--tag" => tag = value("a mount tag")?.to_string_lossy().into_owned(),
            "--rootflags" => {
                rootflags = Some(
                    value("mount options")?
                        .into_string()
                        .map_err(|_| "bad mount options".to_owned())?,
                );
            }
            "--share" => shares.push(Share::parse(&value("DIR:TAG:/guest/path")?)?),
            "--share-virtiofs" => {
                virtiofs_shares.push(Share::parse_virtiofs(&value("DIR:TAG:/guest/path")?)?);
            }
            "--virtiofsd" => {
                virtiofsd = Some(value("rust, c or auto")?.to_string_lossy().parse()?);
            }
            "--cache" => cache = Some(value("none, auto or always")?.to_string_lossy().parse()?),
            "--security-model" => {
                security_model = value("a security model")?.to_string_lossy().into_owned();
                check_security_model(&security_model)?;
            }
            "--virtio" => {
                virtio = value("transitional, modern or legacy")?
                    .to_string_lossy()
                    .parse()?;
            }
            "--machine" => machine = value("pc or q35")?.to_string_lossy().parse()?,
            "-p" | "--publish" => {
                publish.push(PortForward::parse(&value("HOST:GUEST")?.to_string_lossy())?);
            }
            "--net" => {
                net_mode = Some(
                    value("none, user or tap:IFNAME")?
                        .to_string_lossy()
                        .parse()?,
                );
            }
            "--ip" => ip = Some(value("ADDR/PREFIX")?.to_string_lossy().parse()?),
            "--gw" => {
                let v = value("an IPv4 address")?.to_string_lossy().into_owned();
                gw = Some(parse_ipv4(&v).ok_or_else(|| format!("bad gateway address `{v}`"))?);
            }
            _ => return Err(format!("unknown option `{name}` for run")),
        }
        i += 1;
    }
    let Some(program) = args.get(i) else {
        return Err("run needs a PROGRAM".to_owned());
    };
    if rootflags.is_some() && (root.is_none() || fs != RootFs::NineP) {
        return Err("--rootflags needs a 9p root (--root DIR)".to_owned());
    }
    let uses_virtiofs = (root.is_some() && fs == RootFs::VirtioFs) || !virtiofs_shares.is_empty();
    if (virtiofsd.is_some() || cache.is_some()) && !uses_virtiofs {
        return Err(
            "--virtiofsd and --cache need virtio-fs (--root DIR --fs virtiofs, or --share-virtiofs)"
                .to_owned(),
        );
    }
    if root.is_some() && fs == RootFs::VirtioFs {
        crate::virtiofs::check_virtiofs_tag(&tag)?;
    } else {
        check_tag(&tag)?;
    }
    let net = NetConfig::resolve(net_mode, publish, ip, gw)?;
    Ok(Command::Run(Box::new(RunArgs {
        timeout,
        memory,
        env,
        accel,
        verbose,
        log,
        root,
        fs,
        tag,
        rootflags,
        shares,
        security_model,
        virtio,
        machine,
        net,
        virtiofs_shares,
        virtiofsd: virtiofsd.unwrap_or_default(),
        cache: cache.unwrap_or_default(),
        program: PathBuf::from(program),
        args: args[i + 1..].to_vec(),
    })))
}

fn parse_timeout(v: &OsStr) -> Result<Duration, String> {
    let s = v.to_string_lossy();
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs < 1e9 => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(format!("bad timeout `{s}` (seconds, e.g. 30 or 2.5)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn run(args: &[&str]) -> RunArgs {
        match p(args) {
            Ok(Command::Run(r)) => *r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commands() {
        assert_eq!(p(&[]), Ok(Command::Help));
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["help"]), Ok(Command::Help));
        assert_eq!(p(&["demo"]), Ok(Command::Demo));
        assert_eq!(p(&["test"]), Ok(Command::Test(vec![])));
        assert_eq!(
            p(&["test", "-p", "lintel", "--", "--nocapture"]),
            Ok(Command::Test(
                ["-p", "lintel", "--", "--nocapture"]
                    .map(OsString::from)
                    .to_vec()
            ))
        );
        assert!(p(&["frobnicate"]).is_err());
        assert!(p(&["demo", "x"]).is_err());
        assert_eq!(p(&["demo", "nginx"]), Ok(Command::DemoNginx(8080)));
        assert_eq!(
            p(&["demo", "nginx", "--port", "18080"]),
            Ok(Command::DemoNginx(18080))
        );
        assert!(p(&["demo", "nginx", "x"]).is_err());
        assert!(p(&["demo", "nginx", "--port", "0"]).is_err());
        assert!(p(&["demo", "nginx", "--port"]).is_err());
        assert!(p(&["demo", "redis"]).is_err());
        assert!(matches!(p(&["workloads"]), Ok(Command::Workloads(_))));
        assert_eq!(p(&["workloads", "--help"]), Ok(Command::Help));
        assert_eq!(p(&["run", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn run_defaults() {
        let r = run(&["run", "./hello"]);
        assert_eq!(r.program, PathBuf::from("./hello"));
        assert!(r.args.is_empty());
        assert_eq!(r.timeout, None);
        assert_eq!(r.memory, "512M");
        assert!(r.env.is_empty());
        assert_eq!(r.accel, Accel::Auto);
        assert!(!r.verbose);
        assert_eq!(r.log, None);
        assert_eq!(r.root, None);
        assert_eq!(r.argv(), [OsString::from("./hello")]);
        assert_eq!(r.fs, RootFs::NineP);
        assert_eq!(r.tag, "root");
        assert_eq!(r.rootflags, None);
        assert!(r.shares.is_empty());
        assert_eq!(r.security_model, "none");
        assert_eq!(r.virtio, VirtioMode::Transitional);
        assert_eq!(r.machine, Machine::Pc);
        assert!(r.virtiofs_shares.is_empty());
        assert_eq!(r.virtiofsd, VirtiofsdChoice::Auto);
        assert_eq!(r.cache, VirtiofsCache::Auto);
        assert_eq!(r.net, NetConfig::default());
        assert!(!r.net.enabled());
    }

    #[test]
    fn run_with_networking() {
        use crate::net::{Ipv4Cidr, Proto, DEFAULT_HOST_ADDR};
        let r = run(&[
            "run",
            "--root",
            "/srv/www",
            "-p",
            "8080:80",
            "--publish=udp:5353:53",
            "--publish",
            "0.0.0.0:6379:6379/tcp",
            "--virtio",
            "modern",
            "--",
            "/sbin/nginx",
            "-p",
            "1:2",
        ]);
        assert_eq!(r.net.mode, NetMode::User);
        assert_eq!(
            r.net.forwards,
            [
                PortForward {
                    proto: Proto::Tcp,
                    host_addr: DEFAULT_HOST_ADDR,
                    host: 8080,
                    guest: 80
                },
                PortForward {
                    proto: Proto::Udp,
                    host_addr: DEFAULT_HOST_ADDR,
                    host: 5353,
                    guest: 53
                },
                PortForward {
                    proto: Proto::Tcp,
                    host_addr: [0, 0, 0, 0],
                    host: 6379,
                    guest: 6379
                },
            ]
        );
        assert_eq!(r.virtio, VirtioMode::Modern);
        assert_eq!((r.net.ip, r.net.gw), (None, None));
        // Options after the program are its own.
        assert_eq!(r.args, ["-p", "1:2"].map(OsString::from));
        let r = run(&[
            "run",
            "--net",
            "user",
            "--ip",
            "10.0.2.15/24",
            "--gw=10.0.2.2",
            "./srv",
        ]);
        assert_eq!(r.net.mode, NetMode::User);
        assert!(r.net.forwards.is_empty());
        assert_eq!(
            r.net.ip,
            Some(Ipv4Cidr {
                addr: [10, 0, 2, 15],
                prefix: 24
            })
        );
        assert_eq!(r.net.gw, Some([10, 0, 2, 2]));
        let r = run(&["run", "--net=tap:tap0", "--ip", "192.168.100.2/24", "./srv"]);
        assert_eq!(r.net.mode, NetMode::Tap("tap0".into()));
        assert_eq!(
            run(&["run", "--net", "none", "./srv"]).net.mode,
            NetMode::None
        );
    }

    #[test]
    fn networking_errors() {
        for bad in [
            &["run", "-p", "80", "x"][..],
            &["run", "-p", "x:80", "x"],
            &["run", "-p"],
            &["run", "--publish", "8080:80/sctp", "x"],
            &["run", "--net", "bridge", "x"],
            &["run", "--net", "none", "-p", "8080:80", "x"],
            &["run", "--net", "tap:tap0", "-p", "8080:80", "x"],
            &["run", "-p", "8080:80", "-p", "8080:81", "x"],
            &["run", "--ip", "10.0.2.15/24", "x"],
            &["run", "--net", "user", "--ip", "10.0.2.15", "x"],
            &["run", "--net", "user", "--gw", "10.0.2.2", "x"],
            &[
                "run",
                "--net",
                "user",
                "--ip",
                "10.0.2.15/24",
                "--gw",
                "10.1.2.2",
                "x",
            ],
            &[
                "run",
                "--net",
                "user",
                "--ip",
                "10.0.2.15/24",
                "--gw",
                "nope",
                "x",
            ],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn run_with_virtio_fs_options() {
        let r = run(&[
            "run",
            "--root",
            "/srv/root",
            "--fs",
            "virtiofs",
            "--virtiofsd",
            "c",
            "--cache=none",
            "--share-virtiofs",
            "/srv/data:data:/mnt",
            "--share",
            "/srv/nine:nine:/nine",
            "/bin/sh",
        ]);
        assert_eq!(r.fs, RootFs::VirtioFs);
        assert_eq!(r.virtiofsd, VirtiofsdChoice::C);
        assert_eq!(r.cache, VirtiofsCache::None);
        assert_eq!(
            r.virtiofs_shares,
            [Share {
                dir: "/srv/data".into(),
                tag: "data".into(),
                at: "/mnt".into()
            }]
        );
        assert_eq!(r.shares.len(), 1);
        // A virtio-fs share alone (initrd root), with the Rust daemon.
        let r = run(&[
            "run",
            "--share-virtiofs=/d:t:/m",
            "--virtiofsd=rust",
            "--cache",
            "always",
            "./prog",
        ]);
        assert_eq!(r.virtiofsd, VirtiofsdChoice::Rust);
        assert_eq!(r.cache, VirtiofsCache::Always);
        assert_eq!(r.root, None);
        // 36-byte tags are fine for virtio-fs.
        let tag = "t".repeat(36);
        assert_eq!(
            run(&["run", "--root", "d", "--fs", "virtiofs", "--tag", &tag, "/p"]).tag,
            tag
        );
    }

    #[test]
    fn virtio_fs_option_errors() {
        assert!(p(&[
            "run",
            "--virtiofsd",
            "go",
            "--share-virtiofs",
            "/d:t:/m",
            "x"
        ])
        .is_err());
        assert!(p(&[
            "run",
            "--cache",
            "loose",
            "--share-virtiofs",
            "/d:t:/m",
            "x"
        ])
        .is_err());
        assert!(p(&["run", "--share-virtiofs", "/d:/m", "x"]).is_err());
        assert!(p(&["run", "--share-virtiofs", "/d:t:m", "x"]).is_err());
        // Daemon options without virtio-fs.
        assert!(p(&["run", "--virtiofsd", "rust", "x"]).is_err());
        assert!(p(&["run", "--root", "d", "--cache", "none", "/x"]).is_err());
        assert!(p(&["run", "--root", "d", "--fs", "virtiofs", "--cache", "none", "/x"]).is_ok());
        // rootflags are 9p options.
        assert!(p(&[
            "run",
            "--root",
            "d",
            "--fs",
            "virtiofs",
            "--rootflags",
            "cache=loose",
            "/x"
        ])
        .is_err());
    }

    #[test]
    fn run_with_nine_p_options() {
        let r = run(&[
            "run",
            "--root",
            "/srv/root",
            "--fs",
            "9p",
            "--tag=rootfs",
            "--rootflags",
            "cache=loose,msize=262144",
            "--share",
            "/srv/data:data:/mnt",
            "--share=/a:b:c:/x/y",
            "--security-model",
            "mapped-xattr",
            "--virtio",
            "legacy",
            "--machine",
            "q35",
            "/bin/sh",
        ]);
        assert_eq!(r.fs, RootFs::NineP);
        assert_eq!(r.tag, "rootfs");
        assert_eq!(r.rootflags.as_deref(), Some("cache=loose,msize=262144"));
        assert_eq!(
            r.shares,
            [
                Share {
                    dir: "/srv/data".into(),
                    tag: "data".into(),
                    at: "/mnt".into()
                },
                Share {
                    dir: "/a:b".into(),
                    tag: "c".into(),
                    at: "/x/y".into()
                }
            ]
        );
        assert_eq!(r.security_model, "mapped-xattr");
        assert_eq!(r.virtio, VirtioMode::Legacy);
        assert_eq!(r.machine, Machine::Q35);
        let r = run(&[
            "run", "--root", "d", "--fs", "initrd", "--virtio", "modern", "/p",
        ]);
        assert_eq!(r.fs, RootFs::Initrd);
        assert_eq!(r.virtio, VirtioMode::Modern);
    }

    #[test]
    fn nine_p_option_errors() {
        assert!(p(&["run", "--fs", "ext4", "x"]).is_err());
        assert!(p(&["run", "--tag", "a:b", "x"]).is_err());
        assert!(p(&["run", "--tag", "", "x"]).is_err());
        assert!(p(&["run", "--share", "/d:/mnt", "x"]).is_err());
        assert!(p(&["run", "--share", "/d:t:mnt", "x"]).is_err());
        assert!(p(&["run", "--security-model", "mapped", "x"]).is_err());
        assert!(p(&["run", "--virtio", "mmio", "x"]).is_err());
        assert!(p(&["run", "--machine", "microvm", "x"]).is_err());
        // rootflags belong to a 9p root.
        assert!(p(&["run", "--rootflags", "cache=loose", "x"]).is_err());
        assert!(p(&[
            "run",
            "--root",
            "d",
            "--fs",
            "initrd",
            "--rootflags",
            "a",
            "x"
        ])
        .is_err());
        assert!(p(&["run", "--root", "d", "--rootflags", "cache=loose", "x"]).is_ok());
    }

    #[test]
    fn run_with_every_option() {
        let r = run(&[
            "run",
            "--timeout",
            "2.5",
            "-m",
            "1G",
            "-e",
            "A=1",
            "--env=B=two words",
            "--accel",
            "tcg",
            "-v",
            "--log",
            "/tmp/k.log",
            "--",
            "./prog",
            "a",
            "b c",
            "--not-an-option",
            "",
        ]);
        assert_eq!(r.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(r.memory, "1G");
        assert_eq!(r.env, ["A=1", "B=two words"].map(OsString::from));
        assert_eq!(r.accel, Accel::Tcg);
        assert!(r.verbose);
        assert_eq!(r.log, Some(PathBuf::from("/tmp/k.log")));
        assert_eq!(
            r.argv(),
            ["./prog", "a", "b c", "--not-an-option", ""].map(OsString::from)
        );
    }

    #[test]
    fn run_with_a_root() {
        let r = run(&[
            "run",
            "--root",
            "/srv/root",
            "--",
            "/bin/busybox",
            "ls",
            "-l",
            "/",
        ]);
        assert_eq!(r.root, Some(PathBuf::from("/srv/root")));
        assert_eq!(r.program, PathBuf::from("/bin/busybox"));
        assert_eq!(
            r.argv(),
            ["/bin/busybox", "ls", "-l", "/"].map(OsString::from)
        );
        let r = run(&["run", "--root=dir", "bin/sh"]);
        assert_eq!(r.root, Some(PathBuf::from("dir")));
        assert!(p(&["run", "--root"]).is_err());
    }

    #[test]
    fn options_stop_at_the_program() {
        let r = run(&["run", "--timeout=3", "prog", "-v", "--", "x"]);
        assert_eq!(r.timeout, Some(Duration::from_secs(3)));
        assert!(!r.verbose);
        assert_eq!(r.args, ["-v", "--", "x"].map(OsString::from));
        // After `--` even a dash-name is the program.
        let r = run(&["run", "--", "-weird"]);
        assert_eq!(r.program, PathBuf::from("-weird"));
    }

    #[test]
    fn run_errors() {
        assert!(p(&["run"]).is_err());
        assert!(p(&["run", "--"]).is_err());
        assert!(p(&["run", "--timeout"]).is_err());
        assert!(p(&["run", "--timeout", "0", "x"]).is_err());
        assert!(p(&["run", "--timeout", "soon", "x"]).is_err());
        assert!(p(&["run", "--accel", "hvf", "x"]).is_err());
        assert!(p(&["run", "-e", "NOEQUALS", "x"]).is_err());
        assert!(p(&["run", "-e", "=v", "x"]).is_err());
        assert!(p(&["run", "--bogus", "x"]).is_err());
    }
}
