//! The QEMU command line, as a pure function of what to boot.

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;

use crate::accel::ResolvedAccel;
use crate::net::NetConfig;
use crate::ninep::{escape_option_value, NinePDevice, VirtioMode};

/// The emulator; `LINTEL_QEMU` overrides the name or path.
pub fn qemu_binary() -> OsString {
    std::env::var_os("LINTEL_QEMU").unwrap_or_else(|| "qemu-system-x86_64".into())
}

/// The QEMU machine type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Machine {
    /// i440FX + PIIX: conventional PCI, config space through ports 0xCF8/0xCFC.
    #[default]
    Pc,
    /// Q35 + ICH9: PCI Express (ECAM); devices sit on the root complex.
    Q35,
}

impl Machine {
    pub fn name(self) -> &'static str {
        match self {
            Machine::Pc => "pc",
            Machine::Q35 => "q35",
        }
    }
}

impl FromStr for Machine {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pc" => Ok(Machine::Pc),
            "q35" => Ok(Machine::Q35),
            _ => Err(format!("unknown machine `{s}` (expected pc or q35)")),
        }
    }
}

/// Everything the QEMU command line depends on.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    pub kernel: PathBuf,
    /// `-initrd`; none when the root is shared over virtio-9p.
    pub initrd: Option<PathBuf>,
    pub cmdline: String,
    pub memory: String,
    pub accel: ResolvedAccel,
    pub machine: Machine,
    /// virtio-9p devices, in order: `fsdev0`, `fsdev1`...
    pub ninep: Vec<NinePDevice>,
    /// The network device and what it is attached to (none by default).
    pub net: NetConfig,
    /// The interfaces the virtio-net device offers (the virtio-9p devices
    /// carry their own).
    pub net_virtio: VirtioMode,
    /// Unix sockets QEMU connects to, in order: COM1 (stdin/stdout),
    /// COM2 (stderr), COM3 (kernel log).
    pub serial_sockets: [PathBuf; 3],
}

/// The arguments after the binary name.
pub fn qemu_args(cfg: &QemuConfig) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&[
        "-machine",
        cfg.machine.name(),
        "-display",
        "none",
        "-monitor",
        "none",
        "-no-reboot",
        "-nodefaults",
        "-no-user-config",
    ]);
    push(&["-m", &cfg.memory]);
    push(&cfg.accel.qemu_args());
    args.push("-kernel".into());
    args.push(cfg.kernel.clone().into());
    if let Some(initrd) = &cfg.initrd {
        args.push("-initrd".into());
        args.push(initrd.clone().into());
    }
    args.push("-append".into());
    args.push(cfg.cmdline.clone().into());
    for (i, dev) in cfg.ninep.iter().enumerate() {
        args.extend(dev.qemu_args(i));
    }
    args.extend(cfg.net.qemu_args(cfg.net_virtio));
    for (i, socket) in cfg.serial_sockets.iter().enumerate() {
        use std::os::unix::ffi::OsStrExt;
        let id = format!("c{}", i + 1);
        let mut chardev = OsString::from(format!("socket,id={id},path="));
        chardev.push(escape_option_value(socket.as_os_str().as_bytes()));
        args.push("-chardev".into());
        args.push(chardev);
        args.push("-serial".into());
        args.push(format!("chardev:{id}").into());
    }
    args.push("-device".into());
    args.push("isa-debug-exit,iobase=0xf4,iosize=1".into());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(accel: ResolvedAccel) -> QemuConfig {
        QemuConfig {
            kernel: "/k/lintel-kernel".into(),
            initrd: Some("/t/initrd.cpio".into()),
            cmdline: "init=/hello argv=hello argv=a%20b".into(),
            memory: "512M".into(),
            accel,
            machine: Machine::Pc,
            ninep: Vec::new(),
            net: NetConfig::default(),
            net_virtio: VirtioMode::Transitional,
            serial_sockets: ["/t/c1".into(), "/t/c2".into(), "/t/c3".into()],
        }
    }

    #[test]
    fn full_command_line() {
        let args: Vec<String> = qemu_args(&config(ResolvedAccel::Tcg))
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        let expected = [
            "-machine",
            "pc",
            "-display",
            "none",
            "-monitor",
            "none",
            "-no-reboot",
            "-nodefaults",
            "-no-user-config",
            "-m",
            "512M",
            "-accel",
            "tcg",
            "-cpu",
            "max",
            "-kernel",
            "/k/lintel-kernel",
            "-initrd",
            "/t/initrd.cpio",
            "-append",
            "init=/hello argv=hello argv=a%20b",
            "-chardev",
            "socket,id=c1,path=/t/c1",
            "-serial",
            "chardev:c1",
            "-chardev",
            "socket,id=c2,path=/t/c2",
            "-serial",
            "chardev:c2",
            "-chardev",
            "socket,id=c3,path=/t/c3",
            "-serial",
            "chardev:c3",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=1",
        ];
        assert_eq!(args, expected);
    }

    #[test]
    fn kvm_uses_the_host_cpu() {
        let args = qemu_args(&config(ResolvedAccel::Kvm));
        let joined = args
            .iter()
            .map(|a| a.to_str().unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(joined.contains("-accel kvm -cpu host"), "{joined}");
    }

    #[test]
    fn commas_in_socket_paths_are_doubled() {
        let mut cfg = config(ResolvedAccel::Tcg);
        cfg.serial_sockets[0] = "/tmp/a,b/c1".into();
        let args = qemu_args(&cfg);
        assert!(args.contains(&OsString::from("socket,id=c1,path=/tmp/a,,b/c1")));
    }

    fn ninep(path: &str, tag: &str, virtio: VirtioMode) -> NinePDevice {
        NinePDevice {
            path: path.into(),
            tag: tag.into(),
            security_model: "none".into(),
            virtio,
        }
    }

    fn nine_p_root(virtio: VirtioMode, machine: Machine) -> Vec<String> {
        let mut cfg = config(ResolvedAccel::Tcg);
        cfg.initrd = None;
        cfg.cmdline = "init=/bin/sh root=9p:root argv=sh".into();
        cfg.machine = machine;
        cfg.ninep = vec![ninep("/srv/root", "root", virtio)];
        qemu_args(&cfg)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    /// The arguments between `-append CMDLINE` and the first `-chardev`.
    fn devices(args: &[String]) -> &[String] {
        let start = args.iter().position(|a| a == "-append").unwrap() + 2;
        let end = args.iter().position(|a| a == "-chardev").unwrap();
        &args[start..end]
    }

    #[test]
    fn nine_p_root_has_no_initrd_and_one_device_per_flavour() {
        for (virtio, device) in [
            (
                VirtioMode::Transitional,
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=root",
            ),
            (
                VirtioMode::Modern,
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=root,disable-legacy=on",
            ),
            (
                VirtioMode::Legacy,
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=root,disable-modern=on,disable-legacy=off",
            ),
        ] {
            let args = nine_p_root(virtio, Machine::Pc);
            assert!(!args.iter().any(|a| a == "-initrd"), "{args:?}");
            assert_eq!(args[..2], ["-machine", "pc"]);
            assert_eq!(
                devices(&args),
                [
                    "-fsdev",
                    "local,id=fsdev0,path=/srv/root,security_model=none",
                    "-device",
                    device
                ]
            );
        }
    }

    #[test]
    fn q35_keeps_the_device_on_the_root_complex() {
        let args = nine_p_root(VirtioMode::Transitional, Machine::Q35);
        assert_eq!(args[..2], ["-machine", "q35"]);
        assert_eq!(
            devices(&args)[3],
            "virtio-9p-pci,fsdev=fsdev0,mount_tag=root"
        );
        assert!(!args.iter().any(|a| a.contains("bus=")), "{args:?}");
    }

    #[test]
    fn shares_follow_the_root_with_their_own_ids_and_escaping() {
        let mut cfg = config(ResolvedAccel::Tcg);
        cfg.initrd = None;
        cfg.ninep = vec![
            ninep("/srv/root", "root", VirtioMode::Modern),
            ninep("/srv/da,ta", "data", VirtioMode::Modern),
            NinePDevice {
                security_model: "mapped-xattr".into(),
                ..ninep("/home/u/out", "o,ut", VirtioMode::Modern)
            },
        ];
        let args: Vec<String> = qemu_args(&cfg)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(
            devices(&args),
            [
                "-fsdev",
                "local,id=fsdev0,path=/srv/root,security_model=none",
                "-device",
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=root,disable-legacy=on",
                "-fsdev",
                "local,id=fsdev1,path=/srv/da,,ta,security_model=none",
                "-device",
                "virtio-9p-pci,fsdev=fsdev1,mount_tag=data,disable-legacy=on",
                "-fsdev",
                "local,id=fsdev2,path=/home/u/out,security_model=mapped-xattr",
                "-device",
                "virtio-9p-pci,fsdev=fsdev2,mount_tag=o,,ut,disable-legacy=on",
            ]
        );
    }

    #[test]
    fn the_network_device_follows_the_shares() {
        use crate::net::{NetMode, PortForward};
        for machine in [Machine::Pc, Machine::Q35] {
            let mut cfg = config(ResolvedAccel::Tcg);
            cfg.initrd = None;
            cfg.machine = machine;
            cfg.ninep = vec![ninep("/srv/www", "root", VirtioMode::Legacy)];
            cfg.net = NetConfig::resolve(
                None,
                vec![PortForward::parse("8080:80").unwrap()],
                None,
                None,
            )
            .unwrap();
            cfg.net_virtio = VirtioMode::Legacy;
            assert_eq!(cfg.net.mode, NetMode::User);
            let args: Vec<String> = qemu_args(&cfg)
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect();
            assert_eq!(args[..2], ["-machine", machine.name()]);
            assert_eq!(
                devices(&args),
                [
                    "-fsdev",
                    "local,id=fsdev0,path=/srv/www,security_model=none",
                    "-device",
                    "virtio-9p-pci,fsdev=fsdev0,mount_tag=root,disable-modern=on,disable-legacy=off",
                    "-netdev",
                    "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80",
                    "-device",
                    "virtio-net-pci,netdev=net0,romfile=,disable-modern=on,disable-legacy=off",
                ]
            );
        }
    }

    #[test]
    fn machines_parse() {
        assert_eq!("pc".parse(), Ok(Machine::Pc));
        assert_eq!("q35".parse(), Ok(Machine::Q35));
        assert_eq!(Machine::default(), Machine::Pc);
        assert!("microvm".parse::<Machine>().is_err());
    }
}
