//! `lintel libvirt-xml`: prints a libvirt domain that boots PROGRAM from a
//! root directory shared by tag, with the kernel command line `lintel run`
//! would give it (see `libvirt.rs` and `docs/libvirt.md`).

use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::accel::ResolvedAccel;
use crate::cmdline::{boot_cmdline, Boot, RootSpec};
use crate::libvirt::{
    domain_xml, find_virtiofsd, parse_memory, Console, Domain, DomainFs, Filesystem, Network,
    ACCESS_MODES,
};
use crate::net::{parse_ipv4, Ipv4Cidr, NetConfig, NetMode, PortForward};
use crate::ninep::{check_tag, share_dir, Share};
use crate::qemu::Machine;
use crate::rootdir;

/// The options of `lintel libvirt-xml`.
#[derive(Clone, Debug, PartialEq)]
pub struct LibvirtArgs {
    /// `--root DIR`: the root file system (required).
    pub root: PathBuf,
    /// `--fs 9p|virtiofs`.
    pub fs: DomainFs,
    /// `--name`: the domain's name (default `lintel`).
    pub name: String,
    /// `-m`: guest memory, QEMU syntax (default `512M`).
    pub memory: String,
    /// `--accel kvm|tcg` (default kvm): the domain type.
    pub accel: ResolvedAccel,
    /// `--machine pc|q35`.
    pub machine: Machine,
    /// `--tag`: the root's mount tag (default `root`).
    pub tag: String,
    /// `--rootflags`: 9p mount options of the root.
    pub rootflags: Option<String>,
    /// `--accessmode`: of the 9p file systems (default passthrough).
    pub accessmode: String,
    /// `--share DIR:TAG:/path`, over virtio-9p, in order.
    pub shares: Vec<Share>,
    /// `--serial FILE|pty` (default pty).
    pub serial: Option<PathBuf>,
    /// `--network user|NAME` (default none).
    pub network: Option<Network>,
    /// `-p HOST:GUEST`, in order (user-mode networking).
    pub forwards: Vec<PortForward>,
    /// `--ip ADDR/PREFIX`: `ip=` on the command line.
    pub ip: Option<Ipv4Cidr>,
    /// `--gw ADDR`: `gw=`.
    pub gw: Option<[u8; 4]>,
    /// `-e KEY=VALUE`, in order.
    pub env: Vec<OsString>,
    /// `-q`: `quiet` on the kernel command line.
    pub quiet: bool,
    /// The program as typed, a path inside the root; also `argv[0]`.
    pub program: PathBuf,
    pub args: Vec<OsString>,
}

/// Parses the arguments after `libvirt-xml`; `None` for `--help`.
pub fn parse(args: &[OsString]) -> Result<Option<LibvirtArgs>, String> {
    let mut root = None;
    let mut fs = DomainFs::NineP;
    let mut name = "lintel".to_owned();
    let mut memory = "512M".to_owned();
    let mut accel = ResolvedAccel::Kvm;
    let mut machine = Machine::Pc;
    let mut tag = "root".to_owned();
    let mut rootflags = None;
    let mut accessmode = "passthrough".to_owned();
    let mut shares = Vec::new();
    let mut serial = None;
    let mut network = None;
    let mut forwards = Vec::new();
    let mut ip = None;
    let mut gw = None;
    let mut env = Vec::new();
    let mut quiet = false;
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
        let (opt, inline) = match arg.to_str().and_then(|s| s.split_once('=')) {
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
                .ok_or_else(|| format!("{opt} needs {what}"))
        };
        let mut text = |what: &str| -> Result<String, String> {
            value(what)?
                .into_string()
                .map_err(|_| format!("{opt}: {what} must be UTF-8"))
        };
        match opt.as_str() {
            "-h" | "--help" => return Ok(None),
            "-q" | "--quiet" => quiet = true,
            "--root" => root = Some(PathBuf::from(value("a directory")?)),
            "--fs" => fs = text("9p or virtiofs")?.parse()?,
            "--name" => name = text("a domain name")?,
            "-m" | "--memory" => {
                memory = text("a size")?;
                parse_memory(&memory)?;
            }
            "--accel" => {
                accel = match text("kvm or tcg")?.as_str() {
                    "kvm" => ResolvedAccel::Kvm,
                    "tcg" | "qemu" => ResolvedAccel::Tcg,
                    other => {
                        return Err(format!(
                            "unknown accelerator `{other}` (expected kvm or tcg)"
                        ))
                    }
                }
            }
            "--machine" => machine = text("pc or q35")?.parse()?,
            "--tag" => {
                tag = text("a mount tag")?;
                check_tag(&tag)?;
            }
            "--rootflags" => rootflags = Some(text("mount options")?),
            "--accessmode" => {
                accessmode = text("an access mode")?;
                if !ACCESS_MODES.contains(&accessmode.as_str()) {
                    return Err(format!(
                        "unknown accessmode `{accessmode}` (expected {})",
                        ACCESS_MODES.join(", ")
                    ));
                }
            }
            "--share" => shares.push(Share::parse(&value("DIR:TAG:/guest/path")?)?),
            "--serial" => {
                let v = value("a file or pty")?;
                serial = (v != "pty").then(|| PathBuf::from(v));
            }
            "--network" => network = Some(Network::parse(&text("user or a network name")?)),
            "-p" | "--publish" => forwards.push(PortForward::parse(&text("HOST:GUEST")?)?),
            "--ip" => ip = Some(text("ADDR/PREFIX")?.parse()?),
            "--gw" => {
                let v = text("an IPv4 address")?;
                gw = Some(parse_ipv4(&v).ok_or_else(|| format!("bad gateway address `{v}`"))?);
            }
            "-e" | "--env" => {
                let v = value("KEY=VALUE")?;
                match v.as_bytes().iter().position(|&b| b == b'=') {
                    Some(0) | None => {
                        return Err(format!(
                            "{opt} wants KEY=VALUE, got `{}`",
                            v.to_string_lossy()
                        ))
                    }
                    Some(_) => env.push(v),
                }
            }
            _ => return Err(format!("unknown option `{opt}` for libvirt-xml")),
        }
        i += 1;
    }
    let Some(root) = root else {
        return Err("libvirt-xml needs --root DIR".to_owned());
    };
    let Some(program) = args.get(i) else {
        return Err("libvirt-xml needs a PROGRAM".to_owned());
    };
    if !forwards.is_empty() {
        match network {
            None | Some(Network::User) => network = Some(Network::User),
            Some(Network::Named(_)) => {
                return Err(
                    "-p forwards ports of user-mode networking, not of a libvirt network"
                        .to_owned(),
                )
            }
        }
    }
    if (ip.is_some() || gw.is_some()) && network.is_none() {
        return Err("--ip and --gw need a network (--network or -p)".to_owned());
    }
    if network == Some(Network::User) || network.is_none() {
        // The same checks as `lintel run` (the gateway in the address's network...).
        NetConfig::resolve(
            network.as_ref().map(|_| NetMode::User),
            forwards.clone(),
            ip,
            gw,
        )?;
    } else if gw.is_some() && ip.is_none() {
        return Err("--gw needs a static address (--ip ADDR/PREFIX)".to_owned());
    }
    if fs == DomainFs::VirtioFs {
        if rootflags.is_some() {
            return Err("--rootflags needs a 9p root".to_owned());
        }
        if accessmode != "passthrough" {
            return Err("virtio-fs only supports --accessmode passthrough".to_owned());
        }
    }
    Ok(Some(LibvirtArgs {
        root,
        fs,
        name,
        memory,
        accel,
        machine,
        tag,
        rootflags,
        accessmode,
        shares,
        serial,
        network,
        forwards,
        ip,
        gw,
        env,
        quiet,
        program: PathBuf::from(program),
        args: args[i + 1..].to_vec(),
    }))
}

/// `path` made absolute against the current directory (it need not exist).
fn absolute(path: &Path) -> io::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(path))
    }
}

/// The domain for `a` with the kernel image `kernel`: checks the program in
/// the root and the directories on the host, makes every path absolute,
/// builds the command line.
pub fn domain(a: &LibvirtArgs, kernel: &Path) -> io::Result<Domain> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    let root = share_dir(&a.root)?;
    check_tag(&a.tag).map_err(invalid)?;
    let init = rootdir::init_path(&root, &a.program)?;
    let mut shares = Vec::new();
    for share in &a.shares {
        share.check().map_err(invalid)?;
        if share.tag == a.tag || a.shares.iter().filter(|s| s.tag == share.tag).count() > 1 {
            return Err(invalid(format!(
                "the mount tag `{}` is used twice",
                share.tag
            )));
        }
        shares.push(Filesystem {
            dir: share_dir(&share.dir)?,
            tag: share.tag.clone(),
        });
    }
    let mounts: Vec<(&str, &str)> = a
        .shares
        .iter()
        .map(|s| (s.tag.as_str(), s.at.as_str()))
        .collect();
    let argv: Vec<OsString> = std::iter::once(a.program.clone().into_os_string())
        .chain(a.args.iter().cloned())
        .collect();
    let cmdline = boot_cmdline(&Boot {
        init: &init,
        root: match a.fs {
            DomainFs::NineP => RootSpec::NineP {
                tag: &a.tag,
                flags: a.rootflags.as_deref(),
            },
            DomainFs::VirtioFs => RootSpec::VirtioFs { tag: &a.tag },
        },
        mounts: &mounts,
        ip: a.ip,
        gw: a.gw,
        argv: &argv,
        env: &a.env,
        quiet: a.quiet,
    });
    Ok(Domain {
        name: a.name.clone(),
        kernel: std::fs::canonicalize(kernel)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", kernel.display())))?,
        cmdline,
        memory_kib: parse_memory(&a.memory).map_err(invalid)?,
        accel: a.accel,
        machine: a.machine,
        fs: a.fs,
        root: Filesystem {
            dir: root,
            tag: a.tag.clone(),
        },
        shares,
        accessmode: a.accessmode.clone(),
        virtiofsd: match a.fs {
            DomainFs::VirtioFs => find_virtiofsd(),
            DomainFs::NineP => None,
        },
        console: match &a.serial {
            Some(file) => Console::File(absolute(file)?),
            None => Console::Pty,
        },
        network: a.network.clone(),
        forwarded: (!a.forwards.is_empty())
            .then(|| NetConfig::resolve(Some(NetMode::User), a.forwards.clone(), a.ip, a.gw))
            .transpose()
            .map_err(invalid)?,
    })
}

/// The XML text for `a`, building the kernel first when needed
/// (`LINTEL_KERNEL` names a ready one).
pub fn xml(a: &LibvirtArgs) -> io::Result<String> {
    let kernel = crate::kernel_image::build_kernel(true)?;
    let d = domain(a, &kernel)?;
    domain_xml(&d).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// `lintel libvirt-xml`: prints the XML; 0, or 2 on a usage error, 1 otherwise.
pub fn libvirt_xml_command(a: &LibvirtArgs) -> i32 {
    match xml(a) {
        Ok(x) => {
            print!("{x}");
            0
        }
        Err(e) => {
            eprintln!("lintel: {e}");
            if e.kind() == io::ErrorKind::InvalidInput {
                2
            } else {
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;

    fn p(args: &[&str]) -> Result<Option<LibvirtArgs>, String> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn args(a: &[&str]) -> LibvirtArgs {
        p(a).unwrap().unwrap()
    }

    #[test]
    fn defaults() {
        let a = args(&["--root", "/srv/r", "/bin/hello"]);
        assert_eq!(a.root, PathBuf::from("/srv/r"));
        assert_eq!(a.fs, DomainFs::NineP);
        assert_eq!(a.name, "lintel");
        assert_eq!(a.memory, "512M");
        assert_eq!(a.accel, ResolvedAccel::Kvm);
        assert_eq!(a.machine, Machine::Pc);
        assert_eq!(a.tag, "root");
        assert_eq!(a.accessmode, "passthrough");
        assert_eq!(a.serial, None);
        assert_eq!(a.network, None);
        assert!(a.forwards.is_empty() && a.ip.is_none() && a.gw.is_none());
        assert!(a.env.is_empty() && a.shares.is_empty() && a.args.is_empty());
        assert!(!a.quiet);
    }

    #[test]
    fn every_option() {
        let a = args(&[
            "--root=/srv/r",
            "--fs",
            "virtiofs",
            "--name",
            "web",
            "-m",
            "1G",
            "--accel",
            "tcg",
            "--machine",
            "q35",
            "--tag",
            "rootfs",
            "--serial",
            "/tmp/console.log",
            "--network",
            "default",
            "-e",
            "A=1",
            "--env=B=two words",
            "--share",
            "/srv/d:data:/mnt",
            "-q",
            "--",
            "/bin/prog",
            "-v",
            "x y",
        ]);
        assert_eq!(a.fs, DomainFs::VirtioFs);
        assert_eq!(a.name, "web");
        assert_eq!(a.memory, "1G");
        assert_eq!(a.accel, ResolvedAccel::Tcg);
        assert_eq!(a.machine, Machine::Q35);
        assert_eq!(a.tag, "rootfs");
        assert_eq!(a.serial, Some(PathBuf::from("/tmp/console.log")));
        assert_eq!(a.network, Some(Network::Named("default".into())));
        assert_eq!(a.env, ["A=1", "B=two words"].map(OsString::from));
        assert_eq!(a.shares.len(), 1);
        assert!(a.quiet);
        assert_eq!(a.program, PathBuf::from("/bin/prog"));
        assert_eq!(a.args, ["-v", "x y"].map(OsString::from));
        assert_eq!(args(&["--root", "r", "--serial", "pty", "p"]).serial, None);
        assert_eq!(
            args(&["--root", "r", "--network", "user", "p"]).network,
            Some(Network::User)
        );
        assert_eq!(
            args(&["--root", "r", "--accessmode", "squash", "p"]).accessmode,
            "squash"
        );
    }

    #[test]
    fn networking() {
        let a = args(&[
            "--root",
            "r",
            "-p",
            "8080:80",
            "--ip",
            "10.0.2.15/24",
            "--gw",
            "10.0.2.2",
            "p",
        ]);
        assert_eq!(a.network, Some(Network::User));
        assert_eq!(a.forwards, [PortForward::parse("8080:80").unwrap()]);
        assert_eq!(a.ip, Some("10.0.2.15/24".parse().unwrap()));
        assert_eq!(a.gw, Some([10, 0, 2, 2]));
        let a = args(&[
            "--root",
            "r",
            "--network",
            "default",
            "--ip",
            "192.168.122.9/24",
            "p",
        ]);
        assert_eq!(a.network, Some(Network::Named("default".into())));
        for bad in [
            &["--root", "r", "--network", "default", "-p", "8080:80", "p"][..],
            &["--root", "r", "--ip", "10.0.2.15/24", "p"],
            &["--root", "r", "--network", "user", "--gw", "10.0.2.2", "p"],
            &[
                "--root",
                "r",
                "--network",
                "default",
                "--gw",
                "10.0.2.2",
                "p",
            ],
            &["--root", "r", "-p", "80", "p"],
            &["--root", "r", "-p", "1:2", "-p", "1:3", "p"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(p(&["--help"]), Ok(None));
        for bad in [
            &["/bin/p"][..],
            &["--root", "r"],
            &["--root", "r", "--fs", "initrd", "p"],
            &["--root", "r", "--accel", "hvf", "p"],
            &["--root", "r", "-m", "lots", "p"],
            &["--root", "r", "--tag", "a:b", "p"],
            &["--root", "r", "--accessmode", "none", "p"],
            &[
                "--root",
                "r",
                "--fs",
                "virtiofs",
                "--accessmode",
                "mapped",
                "p",
            ],
            &[
                "--root",
                "r",
                "--fs",
                "virtiofs",
                "--rootflags",
                "cache=loose",
                "p",
            ],
            &["--root", "r", "-e", "NOEQUALS", "p"],
            &["--root", "r", "--bogus", "p"],
            &["--root"],
        ] {
            assert!(p(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn domain_from_arguments() {
        let t = TempDir::new().unwrap();
        std::fs::create_dir(t.path().join("bin")).unwrap();
        std::fs::write(t.path().join("bin/hello"), b"\x7fELF").unwrap();
        std::fs::create_dir(t.path().join("data")).unwrap();
        let kernel = t.path().join("kernel");
        std::fs::write(&kernel, b"").unwrap();
        let root = t.path().display().to_string();
        let share = format!("{}/data:data:/mnt", t.path().display());
        let a = args(&[
            "--root",
            &root,
            "--share",
            &share,
            "-e",
            "K=v w",
            "--serial",
            "c.log",
            "--",
            "/bin/hello",
            "a b",
        ]);
        let d = domain(&a, &kernel).unwrap();
        let abs = std::fs::canonicalize(t.path()).unwrap();
        assert_eq!(d.kernel, abs.join("kernel"));
        assert_eq!(d.root.dir, abs);
        assert_eq!(d.shares[0].dir, abs.join("data"));
        assert_eq!(
            d.cmdline,
            "init=/bin/hello root=9p:root mount=9p:data:/mnt argv=/bin/hello argv=a%20b env=K=v%20w"
        );
        assert_eq!(
            d.console,
            Console::File(std::env::current_dir().unwrap().join("c.log"))
        );
        assert_eq!(d.memory_kib, 512 * 1024);
        assert_eq!(d.virtiofsd, None);
        assert_eq!(d.forwarded, None);

        // Forwarded ports: QEMU's own user-mode network; ip= and gw= on the line.
        let a = args(&[
            "--root",
            &root,
            "-p",
            "8080:80",
            "--ip",
            "10.0.2.15/24",
            "--gw",
            "10.0.2.2",
            "/bin/hello",
        ]);
        let d = domain(&a, &kernel).unwrap();
        assert_eq!(
            d.cmdline,
            "init=/bin/hello root=9p:root ip=10.0.2.15/24 gw=10.0.2.2 argv=/bin/hello"
        );
        let net = d.forwarded.clone().unwrap();
        assert_eq!(
            net.netdev("x").unwrap(),
            "user,id=x,hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80"
        );
        assert!(domain_xml(&d).unwrap().contains("<qemu:commandline>"));

        let a = args(&[
            "--root",
            &root,
            "--fs",
            "virtiofs",
            "--tag",
            "r",
            "bin/hello",
        ]);
        let d = domain(&a, &kernel).unwrap();
        assert_eq!(d.cmdline, "init=/bin/hello root=virtiofs:r argv=bin/hello");
        assert_eq!(d.console, Console::Pty);
        assert_eq!(d.virtiofsd, find_virtiofsd());

        // The program is checked in the root; tags are not reused.
        assert!(domain(&args(&["--root", &root, "/bin/nope"]), &kernel).is_err());
        let twice = format!("{}/data:root:/mnt", t.path().display());
        assert!(domain(
            &args(&["--root", &root, "--share", &twice, "/bin/hello"]),
            &kernel
        )
        .is_err());
    }
}
