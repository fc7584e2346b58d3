//! A libvirt domain for Lintel, as a pure function of what to boot: direct
//! kernel boot (`<os><kernel>`/`<cmdline>`), the root directory shared by tag
//! over virtio-9p or virtio-fs, one serial console, and nothing else Lintel
//! does not drive (no graphics, no USB, no balloon). See `docs/libvirt.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::accel::ResolvedAccel;
use crate::net::{net_device, NetConfig, NetMode};
use crate::ninep::VirtioMode;
use crate::qemu::Machine;

/// How the root directory reaches the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DomainFs {
    /// virtio-9p, QEMU's own server: `root=9p:TAG`.
    #[default]
    NineP,
    /// virtio-fs, served by a virtiofsd libvirt starts: `root=virtiofs:TAG`.
    VirtioFs,
}

impl FromStr for DomainFs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "9p" => Ok(DomainFs::NineP),
            "virtiofs" | "virtio-fs" => Ok(DomainFs::VirtioFs),
            _ => Err(format!(
                "unknown file system `{s}` (expected 9p or virtiofs)"
            )),
        }
    }
}

/// libvirt's `accessmode` of a 9p `<filesystem>` (QEMU's `security_model`:
/// passthrough, mapped-xattr, none).
pub const ACCESS_MODES: &[&str] = &["passthrough", "mapped", "squash"];

/// Where the serial console goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Console {
    /// A file on the host (absolute): `<serial type='file'>`.
    File(PathBuf),
    /// A pseudo-terminal, for `virsh console`: `<serial type='pty'>`.
    Pty,
}

/// A network interface (virtio-net), only when asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    /// QEMU user-mode networking (SLIRP): `<interface type='user'>`.
    User,
    /// A libvirt network by name, e.g. `default`: `<interface type='network'>`.
    Named(String),
}

impl Network {
    pub fn parse(s: &str) -> Network {
        if s == "user" {
            Network::User
        } else {
            Network::Named(s.to_owned())
        }
    }
}

/// One host directory shared by tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filesystem {
    /// The host directory (absolute).
    pub dir: PathBuf,
    /// The mount tag (`<target dir='TAG'/>`).
    pub tag: String,
}

/// Everything the domain XML depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    /// The kernel image (absolute).
    pub kernel: PathBuf,
    /// The kernel command line (docs/boot-protocol.md).
    pub cmdline: String,
    /// Guest memory in KiB.
    pub memory_kib: u64,
    /// `Kvm` gives `<domain type='kvm'>`, `Tcg` `<domain type='qemu'>`.
    pub accel: ResolvedAccel,
    pub machine: Machine,
    /// How the root is shared.
    pub fs: DomainFs,
    pub root: Filesystem,
    /// More directories, always over virtio-9p (`mount=9p:TAG:/path`).
    pub shares: Vec<Filesystem>,
    /// `accessmode` of the 9p file systems (virtio-fs only knows passthrough).
    pub accessmode: String,
    /// The virtiofsd libvirt starts (`<binary path>`); libvirt's own choice
    /// when none.
    pub virtiofsd: Option<PathBuf>,
    pub console: Console,
    pub network: Option<Network>,
    /// User-mode networking with forwarded ports. libvirt 9.0 keeps a
    /// `<portForward>` of a user interface in the XML but does not apply
    /// it (SLIRP gets no `hostfwd`; its `passt` backend is not there yet),
    /// so the network is given to QEMU itself through `<qemu:commandline>`
    /// (libvirt marks the domain `tainted: custom-argv`), instead of an
    /// `<interface>`.
    pub forwarded: Option<NetConfig>,
}

/// The QEMU netdev id of a network passed through `<qemu:commandline>`.
pub const PASSTHROUGH_NETDEV: &str = "lintelnet0";
/// The PCI slot of that device on the root bus. QEMU creates it before
/// libvirt's own devices, which libvirt numbers from slot 2 on `pc` (and
/// puts behind root ports in slot 1 on `q35`, with the ICH9 functions in
/// slot 0x1f): without an address it would take slot 2 from the first
/// `<filesystem>`.
pub const PASSTHROUGH_SLOT: &str = "0x10";

/// `s` escaped for XML text and attribute values (single or double quoted).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A value XML 1.0 can hold at all: control characters other than tab, LF
/// and CR cannot appear in a document, not even as character references.
fn xml_text<'a>(what: &str, s: &'a str) -> Result<&'a str, String> {
    match s
        .chars()
        .find(|&c| (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{7f}')
    {
        None => Ok(s),
        Some(c) => Err(format!(
            "{what} `{}` holds the control character {:?}, which XML cannot carry",
            s.escape_debug(),
            c
        )),
    }
}

/// A path as XML text: it must be UTF-8 and free of control characters.
fn xml_path<'a>(what: &str, p: &'a Path) -> Result<&'a str, String> {
    let s = p
        .to_str()
        .ok_or_else(|| format!("{what} {} is not UTF-8", p.display()))?;
    xml_text(what, s)
}

/// Guest memory in QEMU's `-m` syntax (`512`, `512M`, `1G`, `2048K`; no
/// suffix means MiB), in KiB.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let bad = || format!("bad memory size `{s}` (e.g. 512M or 1G)");
    let (digits, shift) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 0),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 10),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 20),
        Some(b't' | b'T') => (&s[..s.len() - 1], 30),
        _ => (s, 10),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let kib = n.checked_mul(1 << shift).ok_or_else(bad)?;
    if kib < 1024 {
        return Err(format!("memory size `{s}` is under 1 MiB"));
    }
    Ok(kib)
}

/// The domain XML.
pub fn domain_xml(d: &Domain) -> Result<String, String> {
    let e = xml_escape;
    let mut x = String::new();
    let domain_type = match d.accel {
        ResolvedAccel::Kvm => "kvm",
        ResolvedAccel::Tcg => "qemu",
    };
    let name = xml_text("the domain name", &d.name)?;
    if name.is_empty() || name.contains('/') {
        return Err(format!("bad domain name `{name}` (not empty, no `/`)"));
    }
    let kernel = xml_path("the kernel", &d.kernel)?;
    if !d.kernel.is_absolute() {
        return Err(format!("the kernel path {kernel} is not absolute"));
    }
    let cmdline = xml_text("the kernel command line", &d.cmdline)?;
    let passthrough = match &d.forwarded {
        None => None,
        Some(_) if matches!(d.network, Some(Network::Named(_))) => {
            return Err("forwarded ports need user-mode networking, not a libvirt network".into())
        }
        Some(net) => {
            if net.mode != NetMode::User {
                return Err("forwarded ports need user-mode networking".into());
            }
            net.check()?;
            net.netdev(PASSTHROUGH_NETDEV)
        }
    };
    match passthrough {
        None => {
            let _ = writeln!(x, "<domain type='{domain_type}'>");
        }
        Some(_) => {
            let _ = writeln!(
                x,
                "<domain type='{domain_type}' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
            );
        }
    }
    let _ = writeln!(x, "  <name>{}</name>", e(name));
    let (amount, unit) = if d.memory_kib.is_multiple_of(1024) {
        (d.memory_kib / 1024, "MiB")
    } else {
        (d.memory_kib, "KiB")
    };
    let _ = writeln!(x, "  <memory unit='{unit}'>{amount}</memory>");
    if d.fs == DomainFs::VirtioFs {
        // vhost-user needs the guest memory shared with virtiofsd.
        x.push_str("  <memoryBacking>\n");
        x.push_str("    <source type='memfd'/>\n");
        x.push_str("    <access mode='shared'/>\n");
        x.push_str("  </memoryBacking>\n");
    }
    x.push_str("  <vcpu>1</vcpu>\n");
    x.push_str("  <os>\n");
    let _ = writeln!(
        x,
        "    <type arch='x86_64' machine='{}'>hvm</type>",
        d.machine.name()
    );
    let _ = writeln!(x, "    <kernel>{}</kernel>", e(kernel));
    let _ = writeln!(x, "    <cmdline>{}</cmdline>", e(cmdline));
    x.push_str("  </os>\n");
    // ACPI: q35's PCI Express configuration space is found through MCFG.
    x.push_str("  <features>\n    <acpi/>\n  </features>\n");
    // As `lintel run`: the host CPU under KVM, everything TCG can do otherwise.
    x.push_str(match d.accel {
        ResolvedAccel::Kvm => "  <cpu mode='host-passthrough' check='none'/>\n",
        ResolvedAccel::Tcg => "  <cpu mode='maximum' check='none'/>\n",
    });
    x.push_str("  <on_poweroff>destroy</on_poweroff>\n");
    x.push_str("  <on_reboot>destroy</on_reboot>\n");
    x.push_str("  <on_crash>destroy</on_crash>\n");
    x.push_str("  <devices>\n");
    if d.fs == DomainFs::VirtioFs && d.accessmode != "passthrough" {
        return Err(format!(
            "virtio-fs only supports accessmode passthrough (got {})",
            d.accessmode
        ));
    }
    if !ACCESS_MODES.contains(&d.accessmode.as_str()) {
        return Err(format!(
            "unknown accessmode `{}` (expected {})",
            d.accessmode,
            ACCESS_MODES.join(", ")
        ));
    }
    let virtiofsd = match (&d.virtiofsd, d.fs) {
        (Some(path), DomainFs::VirtioFs) => Some(xml_path("virtiofsd", path)?),
        _ => None,
    };
    filesystem(&mut x, &d.root, d.fs, &d.accessmode, virtiofsd)?;
    for share in &d.shares {
        filesystem(&mut x, share, DomainFs::NineP, &d.accessmode, None)?;
    }
    match &d.network {
        // The network is QEMU's own (below).
        _ if passthrough.is_some() => {}
        None => {}
        Some(Network::User) => {
            x.push_str("    <interface type='user'>\n");
            x.push_str("      <model type='virtio'/>\n");
            x.push_str("    </interface>\n");
        }
        Some(Network::Named(net)) => {
            let net = xml_text("the network name", net)?;
            x.push_str("    <interface type='network'>\n");
            let _ = writeln!(x, "      <source network='{}'/>", e(net));
            x.push_str("      <model type='virtio'/>\n");
            x.push_str("    </interface>\n");
        }
    }
    // COM1 only: the kernel finds no COM2 or COM3 and writes the program's
    // stderr and its own log there too.
    match &d.console {
        Console::File(path) => {
            let p = xml_path("the serial log", path)?;
            if !path.is_absolute() {
                return Err(format!("the serial log path {p} is not absolute"));
            }
            let p = e(p);
            x.push_str("    <serial type='file'>\n");
            let _ = writeln!(x, "      <source path='{p}'/>");
            x.push_str("      <target port='0'/>\n");
            x.push_str("    </serial>\n");
            x.push_str("    <console type='file'>\n");
            let _ = writeln!(x, "      <source path='{p}'/>");
            x.push_str("      <target type='serial' port='0'/>\n");
            x.push_str("    </console>\n");
        }
        Console::Pty => {
            x.push_str("    <serial type='pty'>\n");
            x.push_str("      <target port='0'/>\n");
            x.push_str("    </serial>\n");
            x.push_str("    <console type='pty'>\n");
            x.push_str("      <target type='serial' port='0'/>\n");
            x.push_str("    </console>\n");
        }
    }
    x.push_str("    <controller type='usb' model='none'/>\n");
    x.push_str("    <memballoon model='none'/>\n");
    x.push_str("  </devices>\n");
    if let Some(netdev) = passthrough {
        x.push_str("  <qemu:commandline>\n");
        for arg in [
            "-netdev",
            &netdev,
            "-device",
            &format!(
                "{},bus={},addr={PASSTHROUGH_SLOT}",
                net_device(PASSTHROUGH_NETDEV, VirtioMode::Transitional),
                match d.machine {
                    Machine::Pc => "pci.0",
                    Machine::Q35 => "pcie.0",
                }
            ),
        ] {
            let _ = writeln!(x, "    <qemu:arg value='{}'/>", e(arg));
        }
        x.push_str("  </qemu:commandline>\n");
    }
    x.push_str("</domain>\n");
    Ok(x)
}

fn filesystem(
    x: &mut String,
    fs: &Filesystem,
    kind: DomainFs,
    accessmode: &str,
    virtiofsd: Option<&str>,
) -> Result<(), String> {
    let dir = xml_path("the shared directory", &fs.dir)?;
    if !fs.dir.is_absolute() {
        return Err(format!("the shared directory {dir} is not absolute"));
    }
    let tag = xml_text("the mount tag", &fs.tag)?;
    let _ = writeln!(
        x,
        "    <filesystem type='mount' accessmode='{}'>",
        xml_escape(accessmode)
    );
    if kind == DomainFs::VirtioFs {
        x.push_str("      <driver type='virtiofs'/>\n");
        if let Some(bin) = virtiofsd {
            let _ = writeln!(x, "      <binary path='{}'/>", xml_escape(bin));
        }
    }
    let _ = writeln!(x, "      <source dir='{}'/>", xml_escape(dir));
    let _ = writeln!(x, "      <target dir='{}'/>", xml_escape(tag));
    x.push_str("    </filesystem>\n");
    Ok(())
}

/// The virtiofsd to name in `<binary path>`: `virtiofsd` on `PATH` (the Rust
/// one, e.g. `~/.cargo/bin/virtiofsd`), else QEMU's `/usr/lib/qemu/virtiofsd`.
pub fn find_virtiofsd() -> Option<PathBuf> {
    crate::setup::find_in_path("virtiofsd")
        .and_then(|p| std::fs::canonicalize(p).ok())
        .or_else(|| {
            let qemu = Path::new("/usr/lib/qemu/virtiofsd");
            qemu.is_file().then(|| qemu.to_path_buf())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> Domain {
        Domain {
            name: "lintel".into(),
            kernel: "/k/lintel-kernel".into(),
            cmdline: "init=/bin/hello root=9p:root argv=/bin/hello argv=a%20b".into(),
            memory_kib: 512 * 1024,
            accel: ResolvedAccel::Kvm,
            machine: Machine::Pc,
            fs: DomainFs::NineP,
            root: Filesystem {
                dir: "/srv/root".into(),
                tag: "root".into(),
            },
            shares: Vec::new(),
            accessmode: "passthrough".into(),
            virtiofsd: Some("/usr/libexec/virtiofsd".into()),
            console: Console::File("/var/log/lintel.log".into()),
            network: None,
            forwarded: None,
        }
    }

    #[test]
    fn nine_p_domain() {
        assert_eq!(
            domain_xml(&domain()).unwrap(),
            "\
<domain type='kvm'>
  <name>lintel</name>
  <memory unit='MiB'>512</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/k/lintel-kernel</kernel>
    <cmdline>init=/bin/hello root=9p:root argv=/bin/hello argv=a%20b</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <cpu mode='host-passthrough' check='none'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/srv/root'/>
      <target dir='root'/>
    </filesystem>
    <serial type='file'>
      <source path='/var/log/lintel.log'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='/var/log/lintel.log'/>
      <target type='serial' port='0'/>
    </console>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"
        );
    }

    #[test]
    fn virtio_fs_domain_under_tcg_on_q35() {
        let mut d = domain();
        d.fs = DomainFs::VirtioFs;
        d.accel = ResolvedAccel::Tcg;
        d.machine = Machine::Q35;
        d.cmdline = "init=/bin/hello root=virtiofs:root".into();
        d.console = Console::Pty;
        d.memory_kib = 1024 * 1024 + 4;
        let xml = domain_xml(&d).unwrap();
        assert!(xml.starts_with("<domain type='qemu'>\n"), "{xml}");
        assert!(
            xml.contains("<memory unit='KiB'>1048580</memory>\n"),
            "{xml}"
        );
        assert!(xml.contains(
            "  <memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n"
        ));
        assert!(xml.contains("<type arch='x86_64' machine='q35'>hvm</type>"));
        assert!(xml.contains("<cpu mode='maximum' check='none'/>"));
        assert!(xml.contains(
            "    <filesystem type='mount' accessmode='passthrough'>
      <driver type='virtiofs'/>
      <binary path='/usr/libexec/virtiofsd'/>
      <source dir='/srv/root'/>
      <target dir='root'/>
    </filesystem>
"
        ));
        assert!(xml.contains(
            "    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
"
        ));
        // Without a virtiofsd libvirt picks one itself.
        d.virtiofsd = None;
        assert!(!domain_xml(&d).unwrap().contains("<binary"));
        // virtio-fs knows only passthrough.
        d.accessmode = "mapped".into();
        assert!(domain_xml(&d).is_err());
    }

    #[test]
    fn nine_p_has_no_virtio_fs_parts() {
        let xml = domain_xml(&domain()).unwrap();
        for absent in [
            "memoryBacking",
            "virtiofs",
            "<binary",
            "<interface",
            "graphics",
        ] {
            assert!(!xml.contains(absent), "{absent} in {xml}");
        }
    }

    #[test]
    fn shares_network_and_accessmode() {
        let mut d = domain();
        d.accessmode = "squash".into();
        d.shares = vec![Filesystem {
            dir: "/srv/data".into(),
            tag: "data".into(),
        }];
        d.network = Some(Network::User);
        let xml = domain_xml(&d).unwrap();
        assert!(xml.contains(
            "    <filesystem type='mount' accessmode='squash'>
      <source dir='/srv/data'/>
      <target dir='data'/>
    </filesystem>
"
        ));
        assert!(xml.contains(
            "    <interface type='user'>\n      <model type='virtio'/>\n    </interface>\n"
        ));
        d.network = Some(Network::parse("default"));
        assert!(domain_xml(&d)
            .unwrap()
            .contains("    <interface type='network'>\n      <source network='default'/>\n"));
        d.accessmode = "none".into();
        assert!(domain_xml(&d).is_err());
    }

    #[test]
    fn forwarded_ports_go_through_the_qemu_command_line() {
        use crate::net::PortForward;
        let mut d = domain();
        d.network = Some(Network::User);
        d.forwarded = Some(
            NetConfig::resolve(
                None,
                vec![
                    PortForward::parse("8080:80").unwrap(),
                    PortForward::parse("5353:53/udp").unwrap(),
                ],
                None,
                None,
            )
            .unwrap(),
        );
        let xml = domain_xml(&d).unwrap();
        assert!(xml.starts_with(
            "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        ));
        assert!(!xml.contains("<interface"), "{xml}");
        assert!(xml.ends_with(
            "  </devices>
  <qemu:commandline>
    <qemu:arg value='-netdev'/>
    <qemu:arg value='user,id=lintelnet0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53'/>
    <qemu:arg value='-device'/>
    <qemu:arg value='virtio-net-pci,netdev=lintelnet0,romfile=,bus=pci.0,addr=0x10'/>
  </qemu:commandline>
</domain>
"
        ));
        d.machine = Machine::Q35;
        assert!(domain_xml(&d).unwrap().contains(
            "<qemu:arg value='virtio-net-pci,netdev=lintelnet0,romfile=,bus=pcie.0,addr=0x10'/>"
        ));
        // Not with a libvirt network.
        d.network = Some(Network::Named("default".into()));
        assert!(domain_xml(&d).is_err());
        d.network = None;
        assert!(domain_xml(&d).is_ok());
    }

    #[test]
    fn every_value_is_escaped() {
        let mut d = domain();
        d.name = "a<b>&'c\"".into();
        d.kernel = "/k/it's & <x>".into();
        d.cmdline = "init=/p argv=%26".into();
        d.root.dir = "/srv/O'Brien & co".into();
        d.root.tag = "t'g".into();
        d.console = Console::File("/log/\"x\".log".into());
        d.network = Some(Network::Named("n<1>".into()));
        let xml = domain_xml(&d).unwrap();
        assert!(xml.contains("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>"));
        assert!(xml.contains("<kernel>/k/it&apos;s &amp; &lt;x&gt;</kernel>"));
        assert!(xml.contains("<source dir='/srv/O&apos;Brien &amp; co'/>"));
        assert!(xml.contains("<target dir='t&apos;g'/>"));
        assert!(xml.contains("<source path='/log/&quot;x&quot;.log'/>"));
        assert!(xml.contains("<source network='n&lt;1&gt;'/>"));
    }

    #[test]
    fn what_xml_cannot_carry_is_refused() {
        let mut d = domain();
        d.root.dir = "/srv/a\u{1}b".into();
        assert!(domain_xml(&d).unwrap_err().contains("control character"));
        let mut d = domain();
        d.cmdline = "init=/p\u{7}".into();
        assert!(domain_xml(&d).is_err());
        let mut d = domain();
        d.root.dir = "relative".into();
        assert!(domain_xml(&d).is_err());
        let mut d = domain();
        d.console = Console::File("log".into());
        assert!(domain_xml(&d).is_err());
        let mut d = domain();
        d.name = "a/b".into();
        assert!(domain_xml(&d).is_err());
        {
            use std::os::unix::ffi::OsStrExt;
            let mut d = domain();
            d.kernel = PathBuf::from(std::ffi::OsStr::from_bytes(b"/k/\xff"));
            assert!(domain_xml(&d).unwrap_err().contains("UTF-8"));
        }
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512M"), Ok(512 * 1024));
        assert_eq!(parse_memory("512"), Ok(512 * 1024));
        assert_eq!(parse_memory("1G"), Ok(1024 * 1024));
        assert_eq!(parse_memory("1g"), Ok(1024 * 1024));
        assert_eq!(parse_memory("2048K"), Ok(2048));
        assert_eq!(parse_memory("1T"), Ok(1 << 30));
        for bad in [
            "",
            "M",
            "1.5G",
            "-1",
            "12X",
            "512MB",
            "1K",
            "99999999999999999999T",
        ] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!("9p".parse(), Ok(DomainFs::NineP));
        assert_eq!("virtiofs".parse(), Ok(DomainFs::VirtioFs));
        assert!("initrd".parse::<DomainFs>().is_err());
        assert_eq!(Network::parse("user"), Network::User);
        assert_eq!(Network::parse("br0"), Network::Named("br0".into()));
    }
}
