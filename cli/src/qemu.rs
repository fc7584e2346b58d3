//! The QEMU command line, as a pure function of what to boot.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::accel::ResolvedAccel;

/// The emulator; `LINTEL_QEMU` overrides the name or path.
pub fn qemu_binary() -> OsString {
    std::env::var_os("LINTEL_QEMU").unwrap_or_else(|| "qemu-system-x86_64".into())
}

/// Everything the QEMU command line depends on.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub cmdline: String,
    pub memory: String,
    pub accel: ResolvedAccel,
    /// Unix sockets QEMU connects to, in order: COM1 (stdin/stdout),
    /// COM2 (stderr), COM3 (kernel log).
    pub serial_sockets: [PathBuf; 3],
}

/// QEMU option values are comma-separated, so a literal comma is doubled.
fn escape_option_value(value: &std::path::Path) -> OsString {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let mut out = Vec::with_capacity(value.as_os_str().len());
    for &b in value.as_os_str().as_bytes() {
        out.push(b);
        if b == b',' {
            out.push(b',');
        }
    }
    OsString::from_vec(out)
}

/// The arguments after the binary name.
pub fn qemu_args(cfg: &QemuConfig) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&[
        "-machine",
        "pc",
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
    args.push("-initrd".into());
    args.push(cfg.initrd.clone().into());
    args.push("-append".into());
    args.push(cfg.cmdline.clone().into());
    for (i, socket) in cfg.serial_sockets.iter().enumerate() {
        let id = format!("c{}", i + 1);
        let mut chardev = OsString::from(format!("socket,id={id},path="));
        chardev.push(escape_option_value(socket));
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
            initrd: "/t/initrd.cpio".into(),
            cmdline: "init=/hello argv=hello argv=a%20b".into(),
            memory: "512M".into(),
            accel,
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
}
