//! Host directories shared with the guest over virtio-9p: the root file
//! system (`--root DIR`, mounted by the kernel as `/` through `root=9p:TAG`)
//! and extra shares (`--share DIR:TAG:/guest/path`, `mount=9p:TAG:/path`),
//! and how the virtio-9p PCI device presents itself (transitional, modern
//! only, legacy only).

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What the root directory becomes in the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RootFs {
    /// Shared over virtio-9p: the guest reads and writes the directory itself.
    #[default]
    NineP,
    /// Packed into the initrd and unpacked into a tmpfs: changes stay in the guest.
    Initrd,
    /// Shared over virtio-fs, served by a virtiofsd the run starts (see
    /// [`crate::virtiofs`]): the guest reads and writes the directory itself.
    VirtioFs,
}

impl FromStr for RootFs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "9p" => Ok(RootFs::NineP),
            "initrd" => Ok(RootFs::Initrd),
            "virtiofs" | "virtio-fs" => Ok(RootFs::VirtioFs),
            _ => Err(format!(
                "unknown root file system `{s}` (expected 9p, virtiofs or initrd)"
            )),
        }
    }
}

/// Which interfaces the virtio-9p PCI device offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VirtioMode {
    /// Both the virtio 1.x (modern) and the legacy I/O interface: QEMU's
    /// default on `pc` and on q35's root complex. The kernel uses the modern one.
    #[default]
    Transitional,
    /// Modern only (`disable-legacy=on`, device id 0x1049).
    Modern,
    /// Legacy only (`disable-modern=on,disable-legacy=off`, device id 0x1009,
    /// an I/O BAR and no virtio capabilities).
    Legacy,
}

impl VirtioMode {
    /// The `-device virtio-9p-pci` properties choosing the flavour.
    pub fn device_properties(self) -> &'static str {
        match self {
            VirtioMode::Transitional => "",
            VirtioMode::Modern => ",disable-legacy=on",
            VirtioMode::Legacy => ",disable-modern=on,disable-legacy=off",
        }
    }
}

impl FromStr for VirtioMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "transitional" => Ok(VirtioMode::Transitional),
            "modern" => Ok(VirtioMode::Modern),
            "legacy" => Ok(VirtioMode::Legacy),
            _ => Err(format!(
                "unknown virtio flavour `{s}` (expected transitional, modern or legacy)"
            )),
        }
    }
}

/// QEMU's `-fsdev local` security models.
pub const SECURITY_MODELS: &[&str] = &["none", "mapped-xattr", "passthrough", "mapped-file"];

/// Checks a `security_model=` value.
pub fn check_security_model(model: &str) -> Result<(), String> {
    if SECURITY_MODELS.contains(&model) {
        Ok(())
    } else {
        Err(format!(
            "unknown security model `{model}` (expected {})",
            SECURITY_MODELS.join(", ")
        ))
    }
}

/// An extra host directory mounted in the guest: `--share DIR:TAG:/guest/path`
/// (virtio-9p), or `--share-virtiofs DIR:TAG:/guest/path` (virtio-fs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The host directory.
    pub dir: PathBuf,
    /// The mount tag of its virtio-9p or virtio-fs device.
    pub tag: String,
    /// Where the guest mounts it (absolute).
    pub at: String,
}

impl Share {
    /// Parses `DIR:TAG:/guest/path`. `DIR` may itself hold colons: the last
    /// two fields are the tag and the guest path.
    pub fn parse(spec: &OsString) -> Result<Share, String> {
        let share = Share::split(spec, "--share")?;
        share.check()?;
        Ok(share)
    }

    /// [`Share::parse`] for a virtio-fs share (`--share-virtiofs`): the tag
    /// may be up to 36 bytes.
    pub fn parse_virtiofs(spec: &OsString) -> Result<Share, String> {
        let share = Share::split(spec, "--share-virtiofs")?;
        share.check_virtiofs()?;
        Ok(share)
    }

    fn split(spec: &OsString, option: &str) -> Result<Share, String> {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let bytes = spec.as_bytes();
        let shape = || {
            format!(
                "{option} wants DIR:TAG:/guest/path, got `{}`",
                spec.to_string_lossy()
            )
        };
        let mut fields = bytes.rsplitn(3, |&b| b == b':');
        let (Some(at), Some(tag), Some(dir)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(shape());
        };
        if dir.is_empty() {
            return Err(shape());
        }
        let tag = String::from_utf8(tag.to_vec()).map_err(|_| shape())?;
        let at = String::from_utf8(at.to_vec()).map_err(|_| shape())?;
        Ok(Share {
            dir: PathBuf::from(OsString::from_vec(dir.to_vec())),
            tag,
            at,
        })
    }

    /// The tag is a valid mount tag and the guest path an absolute path
    /// without colons (the `mount=` token is colon-separated).
    pub fn check(&self) -> Result<(), String> {
        check_tag(&self.tag)?;
        self.check_guest_path()
    }

    /// [`Share::check`] for a virtio-fs share.
    pub fn check_virtiofs(&self) -> Result<(), String> {
        crate::virtiofs::check_virtiofs_tag(&self.tag)?;
        self.check_guest_path()
    }

    fn check_guest_path(&self) -> Result<(), String> {
        if !self.at.starts_with('/') || self.at.contains(':') || self.at.contains('\0') {
            return Err(format!(
                "the guest path of a share must be absolute, without `:` (got `{}`)",
                self.at
            ));
        }
        Ok(())
    }
}

/// QEMU refuses mount tags longer than this (`MAX_TAG_LEN - 1` in
/// `hw/9pfs/virtio-9p-device.c`).
pub const MAX_TAG_LEN: usize = 31;

/// A mount tag: 1 to 31 printable ASCII bytes, no space or `:` (which
/// separates the fields of `root=9p:TAG` and `mount=9p:TAG:/path`).
pub fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad mount tag `{tag}`: 1 to {MAX_TAG_LEN} printable ASCII characters, no space or `:`"
        ))
    }
}

/// One `-fsdev local` + `-device virtio-9p-pci` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NinePDevice {
    /// The host directory (absolute).
    pub path: PathBuf,
    pub tag: String,
    pub security_model: String,
    pub virtio: VirtioMode,
}

/// QEMU option values are comma-separated, so a literal comma is doubled.
pub fn escape_option_value(value: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        out.push(b);
        if b == b',' {
            out.push(b',');
        }
    }
    OsString::from_vec(out)
}

impl NinePDevice {
    /// `-fsdev local,id=fsdevN,path=DIR,security_model=M -device
    /// virtio-9p-pci,fsdev=fsdevN,mount_tag=TAG[,FLAVOUR]`, values escaped.
    pub fn qemu_args(&self, index: usize) -> [OsString; 4] {
        use std::os::unix::ffi::OsStrExt;
        let id = format!("fsdev{index}");
        let mut fsdev = OsString::from(format!("local,id={id},path="));
        fsdev.push(escape_option_value(self.path.as_os_str().as_bytes()));
        fsdev.push(",security_model=");
        fsdev.push(escape_option_value(self.security_model.as_bytes()));
        let mut device = OsString::from(format!("virtio-9p-pci,fsdev={id},mount_tag="));
        device.push(escape_option_value(self.tag.as_bytes()));
        device.push(self.virtio.device_properties());
        ["-fsdev".into(), fsdev, "-device".into(), device]
    }
}

/// `dir` made absolute (symlinks resolved), checked to be a directory.
pub fn share_dir(dir: &Path) -> io::Result<PathBuf> {
    let abs = std::fs::canonicalize(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    if !abs.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(abs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!("9p".parse(), Ok(RootFs::NineP));
        assert_eq!("initrd".parse(), Ok(RootFs::Initrd));
        assert_eq!("virtiofs".parse(), Ok(RootFs::VirtioFs));
        assert_eq!("virtio-fs".parse(), Ok(RootFs::VirtioFs));
        assert!("tmpfs".parse::<RootFs>().is_err());
        assert_eq!("transitional".parse(), Ok(VirtioMode::Transitional));
        assert_eq!("modern".parse(), Ok(VirtioMode::Modern));
        assert_eq!("legacy".parse(), Ok(VirtioMode::Legacy));
        assert!("mmio".parse::<VirtioMode>().is_err());
        for m in SECURITY_MODELS {
            assert_eq!(check_security_model(m), Ok(()));
        }
        assert!(check_security_model("mapped").is_err());
    }

    #[test]
    fn shares_parse_from_the_right() {
        let s = Share::parse(&"/srv/data:data:/mnt".into()).unwrap();
        assert_eq!(
            s,
            Share {
                dir: "/srv/data".into(),
                tag: "data".into(),
                at: "/mnt".into()
            }
        );
        let s = Share::parse(&"./a:b:c:t:/mnt/x y".into()).unwrap();
        assert_eq!(
            (s.dir, s.tag.as_str(), s.at.as_str()),
            ("./a:b:c".into(), "t", "/mnt/x y")
        );
        for bad in [
            "dir",
            "dir:tag",
            ":tag:/mnt",
            "dir::/mnt",
            "dir:tag:mnt",
            "dir:tag:",
            "dir:a tag:/mnt",
            "dir:tag_that_is_far_too_long_for_qemu:/m",
        ] {
            assert!(Share::parse(&bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn virtio_fs_shares_take_longer_tags() {
        let tag36 = "x".repeat(36);
        let s = Share::parse_virtiofs(&format!("/srv/d:{tag36}:/mnt").into()).unwrap();
        assert_eq!(s.tag, tag36);
        assert!(Share::parse(&format!("/srv/d:{tag36}:/mnt").into()).is_err());
        for bad in ["dir:tag", "dir:tag:mnt", ":t:/m", "d:a b:/m"] {
            let e = Share::parse_virtiofs(&bad.into()).unwrap_err();
            assert!(
                e.contains("virtio-fs")
                    || e.contains("--share-virtiofs")
                    || e.contains("guest path"),
                "{bad}: {e}"
            );
        }
        assert!(Share::parse_virtiofs(&format!("d:{}:/m", "y".repeat(37)).into()).is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(check_tag("root"), Ok(()));
        assert_eq!(check_tag("a,b"), Ok(()));
        assert_eq!(check_tag(&"x".repeat(31)), Ok(()));
        assert!(check_tag(&"x".repeat(32)).is_err());
        assert!(check_tag("").is_err());
        assert!(check_tag("a:b").is_err());
        assert!(check_tag("é").is_err());
    }

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn device_arguments_for_each_flavour() {
        let mut d = NinePDevice {
            path: "/srv/root".into(),
            tag: "root".into(),
            security_model: "none".into(),
            virtio: VirtioMode::Transitional,
        };
        assert_eq!(
            strings(&d.qemu_args(0)),
            [
                "-fsdev",
                "local,id=fsdev0,path=/srv/root,security_model=none",
                "-device",
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=root"
            ]
        );
        d.virtio = VirtioMode::Modern;
        assert_eq!(
            strings(&d.qemu_args(1))[3],
            "virtio-9p-pci,fsdev=fsdev1,mount_tag=root,disable-legacy=on"
        );
        d.virtio = VirtioMode::Legacy;
        d.security_model = "mapped-xattr".into();
        assert_eq!(
            strings(&d.qemu_args(2)),
            [
                "-fsdev",
                "local,id=fsdev2,path=/srv/root,security_model=mapped-xattr",
                "-device",
                "virtio-9p-pci,fsdev=fsdev2,mount_tag=root,disable-modern=on,disable-legacy=off"
            ]
        );
    }

    #[test]
    fn commas_in_paths_and_tags_are_doubled() {
        let d = NinePDevice {
            path: "/tmp/a,b/root,security_model=passthrough".into(),
            tag: "t,x".into(),
            security_model: "none".into(),
            virtio: VirtioMode::Transitional,
        };
        assert_eq!(
            strings(&d.qemu_args(0)),
            [
                "-fsdev",
                "local,id=fsdev0,path=/tmp/a,,b/root,,security_model=passthrough,security_model=none",
                "-device",
                "virtio-9p-pci,fsdev=fsdev0,mount_tag=t,,x"
            ]
        );
    }

    #[test]
    fn share_dirs_are_absolute_directories() {
        let t = crate::tempdir::TempDir::new().unwrap();
        std::fs::write(t.path().join("f"), b"").unwrap();
        let abs = share_dir(t.path()).unwrap();
        assert!(abs.is_absolute() && abs.is_dir());
        assert_eq!(
            share_dir(&t.path().join("f")).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            share_dir(&t.path().join("nope")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
