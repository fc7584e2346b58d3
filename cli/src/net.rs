//! The guest's network: a virtio-net PCI device on QEMU user-mode networking
//! (SLIRP) with host ports forwarded to the guest (`lintel run -p
//! HOST:GUEST`), or on a tap interface the host set up; and the IPv4
//! configuration the kernel gets on its command line (`ip=ADDR/PREFIX`,
//! `gw=ADDR`; DHCP without them). See docs/boot-protocol.md.

use std::ffi::OsString;
use std::fmt;
use std::str::FromStr;

use crate::ninep::VirtioMode;

/// The transport protocol of a forwarded port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Proto {
    #[default]
    Tcp,
    Udp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// One forwarded port: connections to `host_addr:host` on the host reach
/// the guest's port `guest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortForward {
    pub proto: Proto,
    /// The host address QEMU listens on (default 127.0.0.1).
    pub host_addr: [u8; 4],
    pub host: u16,
    pub guest: u16,
}

/// The host address a forwarded port listens on unless one is given.
pub const DEFAULT_HOST_ADDR: [u8; 4] = [127, 0, 0, 1];

impl PortForward {
    /// Parses `-p` values: `[tcp:|udp:][ADDR:]HOST:GUEST[/tcp|/udp]`, e.g.
    /// `8080:80`, `udp:5353:53`, `5353:53/udp`, `0.0.0.0:8080:80`.
    pub fn parse(spec: &str) -> Result<PortForward, String> {
        let bad = |why: &str| {
            format!(
                "bad port forward `{spec}`: {why} (expected [tcp:|udp:][ADDR:]HOST:GUEST[/tcp|/udp], e.g. 8080:80)"
            )
        };
        let mut rest = spec;
        let mut proto = None;
        for (prefix, p) in [("tcp:", Proto::Tcp), ("udp:", Proto::Udp)] {
            if let Some(r) = rest.strip_prefix(prefix) {
                proto = Some(p);
                rest = r;
            }
        }
        for (suffix, p) in [("/tcp", Proto::Tcp), ("/udp", Proto::Udp)] {
            if let Some(r) = rest.strip_suffix(suffix) {
                if proto.is_some_and(|q| q != p) {
                    return Err(bad("two different protocols"));
                }
                proto = Some(p);
                rest = r;
            }
        }
        let fields: Vec<&str> = rest.split(':').collect();
        let (host_addr, host, guest) = match fields[..] {
            [h, g] => (DEFAULT_HOST_ADDR, h, g),
            [a, h, g] => (
                parse_ipv4(a).ok_or_else(|| bad(&format!("`{a}` is not an IPv4 address")))?,
                h,
                g,
            ),
            _ => return Err(bad("two or three fields")),
        };
        let port = |s: &str| match s.parse::<u16>() {
            Ok(p) if p > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
            _ => Err(bad(&format!("`{s}` is not a port (1 to 65535)"))),
        };
        Ok(PortForward {
            proto: proto.unwrap_or_default(),
            host_addr,
            host: port(host)?,
            guest: port(guest)?,
        })
    }

    /// QEMU's `hostfwd=` value: `tcp:127.0.0.1:8080-:80`, or with the
    /// guest's address `tcp:127.0.0.1:8080-10.0.2.20:80` (an empty guest
    /// address is the first address QEMU's DHCP server hands out).
    pub fn hostfwd(&self, guest_addr: Option<[u8; 4]>) -> String {
        format!(
            "{}:{}:{}-{}:{}",
            self.proto.name(),
            Ipv4(self.host_addr),
            self.host,
            guest_addr.map(|a| Ipv4(a).to_string()).unwrap_or_default(),
            self.guest
        )
    }
}

impl fmt::Display for PortForward {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.host_addr != DEFAULT_HOST_ADDR {
            write!(f, "{}:", Ipv4(self.host_addr))?;
        }
        write!(f, "{}:{}", self.host, self.guest)?;
        if self.proto == Proto::Udp {
            f.write_str("/udp")?;
        }
        Ok(())
    }
}

/// An IPv4 address, printed dotted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4(pub [u8; 4]);

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// A dotted-quad IPv4 address: four numbers 0 to 255 of one to three digits.
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for slot in out.iter_mut() {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// A static IPv4 address with its prefix length: `--ip 10.0.2.15/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub addr: [u8; 4],
    pub prefix: u8,
}

impl Ipv4Cidr {
    /// The network mask of the prefix.
    pub fn mask(self) -> u32 {
        match self.prefix {
            0 => 0,
            p => u32::MAX << (32 - u32::from(p.min(32))),
        }
    }

    /// The network's first address.
    pub fn network(self) -> [u8; 4] {
        (u32::from_be_bytes(self.addr) & self.mask()).to_be_bytes()
    }

    /// `addr` is inside this network.
    pub fn contains(self, addr: [u8; 4]) -> bool {
        u32::from_be_bytes(addr) & self.mask() == u32::from_be_bytes(self.network())
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("bad address `{s}` (expected ADDR/PREFIX, e.g. 10.0.2.15/24)");
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        let addr = parse_ipv4(addr).ok_or_else(bad)?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        if prefix > 32 {
            return Err(bad());
        }
        Ok(Ipv4Cidr { addr, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", Ipv4(self.addr), self.prefix)
    }
}

/// QEMU user-mode networking's own network: the guest is 10.0.2.15 (the
/// first DHCP address), the host and gateway 10.0.2.2, DNS 10.0.2.3.
pub const USER_NET: Ipv4Cidr = Ipv4Cidr {
    addr: [10, 0, 2, 0],
    prefix: 24,
};
/// The usual static configuration on QEMU user-mode networking.
pub const USER_GUEST_ADDR: Ipv4Cidr = Ipv4Cidr {
    addr: [10, 0, 2, 15],
    prefix: 24,
};
pub const USER_GATEWAY: [u8; 4] = [10, 0, 2, 2];

/// What the guest's network interface is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum NetMode {
    /// No network device at all.
    #[default]
    None,
    /// QEMU user-mode networking (SLIRP): no privileges, ports forwarded
    /// with `-p`; the guest reaches the host as 10.0.2.2.
    User,
    /// The host's tap interface `IFNAME`, set up by the host beforehand
    /// (`ip tuntap add IFNAME mode tap`, a bridge or an address); QEMU
    /// runs no scripts. No port forwarding: the guest has its own address.
    Tap(String),
}

impl FromStr for NetMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(NetMode::None),
            "user" => Ok(NetMode::User),
            _ => match s.strip_prefix("tap:") {
                Some(ifname) if valid_ifname(ifname) => Ok(NetMode::Tap(ifname.to_owned())),
                Some(ifname) => Err(format!("bad tap interface name `{ifname}`")),
                None => Err(format!(
                    "unknown network `{s}` (expected none, user or tap:IFNAME)"
                )),
            },
        }
    }
}

/// The `-device` value of the virtio-net device on the netdev `id`,
/// without an option ROM (nothing boots from the network).
pub fn net_device(id: &str, virtio: VirtioMode) -> String {
    format!(
        "virtio-net-pci,netdev={id},romfile={}",
        virtio.device_properties()
    )
}

/// A Linux interface name: 1 to 15 bytes, no `/`, `,`, `:`, space or `=`.
fn valid_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"/,:=".contains(&b))
}

/// Everything about the guest's network.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct NetConfig {
    pub mode: NetMode,
    /// Forwarded ports (user-mode networking only).
    pub forwards: Vec<PortForward>,
    /// A static address (`ip=` on the command line); DHCP without one.
    pub ip: Option<Ipv4Cidr>,
    /// The default gateway (`gw=`).
    pub gw: Option<[u8; 4]>,
}

impl NetConfig {
    /// Settles the mode (`--net` when given, else user-mode networking when
    /// a port is forwarded, else none) and checks the combination.
    pub fn resolve(
        mode: Option<NetMode>,
        forwards: Vec<PortForward>,
        ip: Option<Ipv4Cidr>,
        gw: Option<[u8; 4]>,
    ) -> Result<NetConfig, String> {
        let mode = mode.unwrap_or(if forwards.is_empty() {
            NetMode::None
        } else {
            NetMode::User
        });
        let config = NetConfig {
            mode,
            forwards,
            ip,
            gw,
        };
        config.check()?;
        Ok(config)
    }

    /// The combination makes sense: ports are forwarded by user-mode
    /// networking only, each host port once; an address needs a network;
    /// a gateway needs a static address in its network.
    pub fn check(&self) -> Result<(), String> {
        if !self.forwards.is_empty() && self.mode != NetMode::User {
            return Err(
                "-p/--publish forwards ports with user-mode networking (--net user)".to_owned(),
            );
        }
        for (i, a) in self.forwards.iter().enumerate() {
            if self.forwards[..i]
                .iter()
                .any(|b| (a.proto, a.host_addr, a.host) == (b.proto, b.host_addr, b.host))
            {
                return Err(format!(
                    "the host port {}/{} is forwarded twice",
                    a.host,
                    a.proto.name()
                ));
            }
        }
        if self.mode == NetMode::None && (self.ip.is_some() || self.gw.is_some()) {
            return Err("--ip and --gw need a network (-p or --net user|tap:IFNAME)".to_owned());
        }
        match (self.ip, self.gw) {
            (None, Some(_)) => {
                return Err("--gw needs a static address (--ip ADDR/PREFIX)".to_owned())
            }
            (Some(ip), Some(gw)) if !ip.contains(gw) || gw == ip.addr => {
                return Err(format!(
                    "the gateway {} is not another address in {}/{}",
                    Ipv4(gw),
                    Ipv4(ip.network()),
                    ip.prefix
                ))
            }
            _ => {}
        }
        if let (NetMode::User, Some(ip)) = (&self.mode, self.ip) {
            if ip.prefix > 30 {
                return Err(format!(
                    "--ip {ip}: user-mode networking needs a network of at least 4 addresses (a prefix up to /30)"
                ));
            }
        }
        Ok(())
    }

    pub fn enabled(&self) -> bool {
        self.mode != NetMode::None
    }

    /// The QEMU arguments: a `-netdev` and its `virtio-net-pci` device
    /// offering the interfaces `virtio` says (as the virtio-9p devices), or
    /// nothing without a network.
    pub fn qemu_args(&self, virtio: VirtioMode) -> Vec<OsString> {
        let Some(netdev) = self.netdev("net0") else {
            return Vec::new();
        };
        let device = net_device("net0", virtio);
        ["-netdev", &netdev, "-device", &device]
            .iter()
            .map(OsString::from)
            .collect()
    }

    /// The `-netdev` value with the id `id`; `None` without a network.
    ///
    /// With user-mode networking and a static address outside QEMU's
    /// 10.0.2.0/24, QEMU's network becomes the address's (`net=`) and its
    /// host side the gateway (`host=`, else the network's second address),
    /// and forwarded ports go to that address.
    pub fn netdev(&self, id: &str) -> Option<String> {
        Some(match &self.mode {
            NetMode::None => return None,
            NetMode::User => {
                let mut netdev = format!("user,id={id}");
                if let Some(ip) = self.ip.filter(|ip| !USER_NET.contains(ip.addr)) {
                    let host = self
                        .gw
                        .unwrap_or_else(|| (u32::from_be_bytes(ip.network()) + 2).to_be_bytes());
                    netdev.push_str(&format!(
                        ",net={}/{},host={}",
                        Ipv4(ip.network()),
                        ip.prefix,
                        Ipv4(host)
                    ));
                }
                for f in &self.forwards {
                    netdev.push_str(",hostfwd=");
                    netdev.push_str(&f.hostfwd(self.ip.map(|ip| ip.addr)));
                }
                netdev
            }
            NetMode::Tap(ifname) => {
                format!("tap,id={id},ifname={ifname},script=no,downscript=no")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd(proto: Proto, host: u16, guest: u16) -> PortForward {
        PortForward {
            proto,
            host_addr: DEFAULT_HOST_ADDR,
            host,
            guest,
        }
    }

    #[test]
    fn port_forward_forms() {
        assert_eq!(PortForward::parse("8080:80"), Ok(fwd(Proto::Tcp, 8080, 80)));
        assert_eq!(
            PortForward::parse("tcp:8080:80"),
            Ok(fwd(Proto::Tcp, 8080, 80))
        );
        assert_eq!(
            PortForward::parse("udp:5353:53"),
            Ok(fwd(Proto::Udp, 5353, 53))
        );
        assert_eq!(
            PortForward::parse("5353:53/udp"),
            Ok(fwd(Proto::Udp, 5353, 53))
        );
        assert_eq!(
            PortForward::parse("8080:80/tcp"),
            Ok(fwd(Proto::Tcp, 8080, 80))
        );
        assert_eq!(PortForward::parse("udp:1:2/udp"), Ok(fwd(Proto::Udp, 1, 2)));
        assert_eq!(
            PortForward::parse("0.0.0.0:8080:80"),
            Ok(PortForward {
                host_addr: [0; 4],
                ..fwd(Proto::Tcp, 8080, 80)
            })
        );
        assert_eq!(
            PortForward::parse("udp:192.168.1.2:65535:1"),
            Ok(PortForward {
                host_addr: [192, 168, 1, 2],
                ..fwd(Proto::Udp, 65535, 1)
            })
        );
    }

    #[test]
    fn bad_port_forwards() {
        for bad in [
            "",
            "80",
            "8080:",
            ":80",
            "8080:80:90",
            "0:80",
            "8080:0",
            "65536:80",
            "+80:80",
            "80 :80",
            "tcp:8080:80/udp",
            "sctp:8080:80",
            "8080:80/sctp",
            "localhost:8080:80",
            "1.2.3:8080:80",
            "1.2.3.4:5:6:7",
        ] {
            assert!(PortForward::parse(bad).is_err(), "{bad}");
        }
        assert!(PortForward::parse("x:1")
            .unwrap_err()
            .contains("HOST:GUEST"));
    }

    #[test]
    fn hostfwd_values() {
        let f = fwd(Proto::Tcp, 8080, 80);
        assert_eq!(f.hostfwd(None), "tcp:127.0.0.1:8080-:80");
        assert_eq!(
            f.hostfwd(Some([10, 0, 2, 20])),
            "tcp:127.0.0.1:8080-10.0.2.20:80"
        );
        let f = PortForward {
            host_addr: [0; 4],
            ..fwd(Proto::Udp, 5353, 53)
        };
        assert_eq!(f.hostfwd(None), "udp:0.0.0.0:5353-:53");
        assert_eq!(f.to_string(), "0.0.0.0:5353:53/udp");
        assert_eq!(fwd(Proto::Tcp, 1, 2).to_string(), "1:2");
    }

    #[test]
    fn addresses() {
        assert_eq!(
            "10.0.2.15/24".parse(),
            Ok(Ipv4Cidr {
                addr: [10, 0, 2, 15],
                prefix: 24
            })
        );
        for bad in [
            "10.0.2.15",
            "10.0.2.15/33",
            "10.0.2/24",
            "10.0.2.15/",
            "/24",
            "10.0.2.256/24",
            "10.0.2.15/2 4",
        ] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
        let c: Ipv4Cidr = "192.168.7.9/20".parse().unwrap();
        assert_eq!(c.network(), [192, 168, 0, 0]);
        assert!(c.contains([192, 168, 15, 255]));
        assert!(!c.contains([192, 168, 16, 0]));
        assert_eq!(c.to_string(), "192.168.7.9/20");
        let all: Ipv4Cidr = "1.2.3.4/0".parse().unwrap();
        assert_eq!(all.network(), [0; 4]);
        assert!(all.contains([255; 4]));
        assert_eq!(parse_ipv4("10.0.2.2"), Some([10, 0, 2, 2]));
        assert_eq!(parse_ipv4("10.0.2.2."), None);
        assert_eq!(Ipv4([10, 0, 2, 2]).to_string(), "10.0.2.2");
    }

    #[test]
    fn modes() {
        assert_eq!("none".parse(), Ok(NetMode::None));
        assert_eq!("user".parse(), Ok(NetMode::User));
        assert_eq!("tap:tap0".parse(), Ok(NetMode::Tap("tap0".into())));
        for bad in [
            "tap",
            "tap:",
            "tap:a,b",
            "tap:sixteen-bytes-xy",
            "bridge",
            "",
        ] {
            assert!(bad.parse::<NetMode>().is_err(), "{bad}");
        }
    }

    fn resolve(
        mode: Option<&str>,
        forwards: &[&str],
        ip: Option<&str>,
        gw: Option<&str>,
    ) -> Result<NetConfig, String> {
        NetConfig::resolve(
            mode.map(|m| m.parse().unwrap()),
            forwards
                .iter()
                .map(|f| PortForward::parse(f).unwrap())
                .collect(),
            ip.map(|i| i.parse().unwrap()),
            gw.map(|g| parse_ipv4(g).unwrap()),
        )
    }

    #[test]
    fn the_default_mode_follows_the_ports() {
        assert_eq!(resolve(None, &[], None, None).unwrap().mode, NetMode::None);
        assert_eq!(
            resolve(None, &["8080:80"], None, None).unwrap().mode,
            NetMode::User
        );
        assert_eq!(
            resolve(Some("user"), &[], None, None).unwrap().mode,
            NetMode::User
        );
        assert!(resolve(Some("none"), &["8080:80"], None, None).is_err());
        assert!(resolve(Some("tap:tap0"), &["8080:80"], None, None).is_err());
        assert!(resolve(None, &["8080:80", "8080:81"], None, None).is_err());
        // The same port number over TCP and UDP, or on two host addresses.
        assert!(resolve(None, &["53:53", "53:53/udp", "0.0.0.0:53:53"], None, None).is_ok());
    }

    #[test]
    fn addresses_need_a_network_and_gateways_an_address() {
        assert!(resolve(None, &[], Some("10.0.2.15/24"), None).is_err());
        assert!(resolve(Some("user"), &[], None, Some("10.0.2.2")).is_err());
        assert!(resolve(Some("user"), &[], Some("10.0.2.15/24"), Some("10.0.3.2")).is_err());
        assert!(resolve(Some("user"), &[], Some("10.0.2.15/24"), Some("10.0.2.15")).is_err());
        assert!(resolve(Some("user"), &[], Some("10.0.2.15/31"), None).is_err());
        assert!(resolve(Some("tap:tap0"), &[], Some("10.0.2.15/31"), None).is_ok());
        let c = resolve(Some("user"), &[], Some("10.0.2.15/24"), Some("10.0.2.2")).unwrap();
        assert_eq!((c.ip, c.gw), (Some(USER_GUEST_ADDR), Some(USER_GATEWAY)));
    }

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn user_networking_arguments() {
        assert!(resolve(None, &[], None, None)
            .unwrap()
            .qemu_args(VirtioMode::Transitional)
            .is_empty());
        let c = resolve(None, &["8080:80", "udp:5353:53"], None, None).unwrap();
        assert_eq!(
            strings(c.qemu_args(VirtioMode::Transitional)),
            [
                "-netdev",
                "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53",
                "-device",
                "virtio-net-pci,netdev=net0,romfile=",
            ]
        );
        // A static address in QEMU's network: the ports go to it.
        let c = resolve(None, &["8080:80"], Some("10.0.2.20/24"), Some("10.0.2.2")).unwrap();
        assert_eq!(
            strings(c.qemu_args(VirtioMode::Transitional))[1],
            "user,id=net0,hostfwd=tcp:127.0.0.1:8080-10.0.2.20:80"
        );
        // Elsewhere: QEMU's network follows it.
        let c = resolve(
            None,
            &["8080:80"],
            Some("192.168.76.9/24"),
            Some("192.168.76.1"),
        )
        .unwrap();
        assert_eq!(
            strings(c.qemu_args(VirtioMode::Transitional))[1],
            "user,id=net0,net=192.168.76.0/24,host=192.168.76.1,hostfwd=tcp:127.0.0.1:8080-192.168.76.9:80"
        );
        let c = resolve(Some("user"), &[], Some("172.16.5.5/16"), None).unwrap();
        assert_eq!(
            strings(c.qemu_args(VirtioMode::Transitional))[1],
            "user,id=net0,net=172.16.0.0/16,host=172.16.0.2"
        );
    }

    #[test]
    fn the_device_follows_the_virtio_flavour() {
        for (virtio, device) in [
            (
                VirtioMode::Transitional,
                "virtio-net-pci,netdev=net0,romfile=",
            ),
            (
                VirtioMode::Modern,
                "virtio-net-pci,netdev=net0,romfile=,disable-legacy=on",
            ),
            (
                VirtioMode::Legacy,
                "virtio-net-pci,netdev=net0,romfile=,disable-modern=on,disable-legacy=off",
            ),
        ] {
            let c = resolve(None, &["1:2"], None, None).unwrap();
            assert_eq!(strings(c.qemu_args(virtio))[3], device);
        }
    }

    #[test]
    fn tap_arguments() {
        let c = resolve(Some("tap:tap0"), &[], Some("192.168.100.2/24"), None).unwrap();
        assert_eq!(
            strings(c.qemu_args(VirtioMode::Transitional)),
            [
                "-netdev",
                "tap,id=net0,ifname=tap0,script=no,downscript=no",
                "-device",
                "virtio-net-pci,netdev=net0,romfile=",
            ]
        );
    }
}
