//! The kernel command line (see docs/boot-protocol.md): space-separated
//! `key=value` tokens whose values are percent-encoded.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::net::{Ipv4, Ipv4Cidr};

/// Bytes written as themselves; every other byte becomes `%XX`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._/=:,+-@".contains(&b)
}

/// Percent-encodes `bytes`: every byte outside `A-Z a-z 0-9 . _ / = : , + - @`
/// becomes `%XX` with two upper-case hex digits.
pub fn percent_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

/// The inverse of [`percent_encode`] (what the kernel does); `None` on a
/// malformed escape. Used to check the encoder.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The root file system as the command line names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootSpec<'a> {
    /// `root=initrd`: the initrd unpacked into a tmpfs.
    Initrd,
    /// `root=9p:TAG` and, when given, `rootflags=OPTS`.
    NineP {
        tag: &'a str,
        flags: Option<&'a str>,
    },
    /// `root=virtiofs:TAG`: the virtio-fs device tagged `TAG`.
    VirtioFs { tag: &'a str },
}

/// Everything on the kernel command line.
#[derive(Clone, Copy, Debug)]
pub struct Boot<'a> {
    /// The absolute path of the program in the root, e.g. `/bin/busybox`.
    pub init: &'a [u8],
    pub root: RootSpec<'a>,
    /// Extra virtio-9p mounts, `(tag, guest path)`: `mount=9p:TAG:/path`.
    pub mounts: &'a [(&'a str, &'a str)],
    /// A static IPv4 address: `ip=ADDR/PREFIX` (none: DHCP, when there is
    /// a network at all).
    pub ip: Option<Ipv4Cidr>,
    /// The default gateway: `gw=ADDR`.
    pub gw: Option<[u8; 4]>,
    /// `argv[0]` included.
    pub argv: &'a [OsString],
    /// `KEY=VALUE` strings.
    pub env: &'a [OsString],
    pub quiet: bool,
}

/// Assembles the command line: `init=PATH` first, then `root=` (and
/// `rootflags=`), one `mount=` per extra share, `ip=` and `gw=` when
/// given, one `argv=` per argument
/// (`argv[0]` included), one `env=` per `KEY=VALUE` string, then `quiet`
/// when asked. Every value is percent-encoded.
pub fn boot_cmdline(b: &Boot) -> String {
    boot_cmdline_with_virtiofs(b, &[])
}

/// [`boot_cmdline`] with virtio-fs mounts too, `(tag, guest path)`:
/// `mount=virtiofs:TAG:/path`, after the 9p ones of [`Boot::mounts`].
pub fn boot_cmdline_with_virtiofs(b: &Boot, virtiofs_mounts: &[(&str, &str)]) -> String {
    let mut tokens = Vec::with_capacity(4 + b.mounts.len() + b.argv.len() + b.env.len());
    tokens.push(format!("init={}", percent_encode(b.init)));
    match b.root {
        RootSpec::Initrd => tokens.push("root=initrd".to_owned()),
        RootSpec::NineP { tag, flags } => {
            tokens.push(format!(
                "root={}",
                percent_encode(format!("9p:{tag}").as_bytes())
            ));
            if let Some(flags) = flags {
                tokens.push(format!("rootflags={}", percent_encode(flags.as_bytes())));
            }
        }
        RootSpec::VirtioFs { tag } => tokens.push(format!(
            "root={}",
            percent_encode(format!("virtiofs:{tag}").as_bytes())
        )),
    }
    for (tag, at) in b.mounts {
        tokens.push(format!(
            "mount={}",
            percent_encode(format!("9p:{tag}:{at}").as_bytes())
        ));
    }
    for (tag, at) in virtiofs_mounts {
        tokens.push(format!(
            "mount={}",
            percent_encode(format!("virtiofs:{tag}:{at}").as_bytes())
        ));
    }
    if let Some(ip) = b.ip {
        tokens.push(format!("ip={ip}"));
    }
    if let Some(gw) = b.gw {
        tokens.push(format!("gw={}", Ipv4(gw)));
    }
    for arg in b.argv {
        tokens.push(format!("argv={}", percent_encode(arg.as_bytes())));
    }
    for var in b.env {
        tokens.push(format!("env={}", percent_encode(var.as_bytes())));
    }
    if b.quiet {
        tokens.push("quiet".to_owned());
    }
    tokens.join(" ")
}

/// The command line of an initrd root without extra mounts: `init=PATH`
/// (`init` is the absolute path of the program inside the initrd, e.g.
/// `/hello` or `/bin/busybox`), `root=initrd`, the `argv=` and `env=`
/// tokens, then `quiet` when asked.
pub fn kernel_cmdline(init: &[u8], argv: &[OsString], env: &[OsString], quiet: bool) -> String {
    boot_cmdline(&Boot {
        init,
        root: RootSpec::Initrd,
        mounts: &[],
        ip: None,
        gw: None,
        argv,
        env,
        quiet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn unreserved_bytes_pass_through() {
        let s = "AZaz09._/=:,+-@";
        assert_eq!(percent_encode(s.as_bytes()), s);
    }

    #[test]
    fn reserved_bytes_are_escaped_upper_case() {
        assert_eq!(percent_encode(b"a b"), "a%20b");
        assert_eq!(percent_encode(b"'\""), "%27%22");
        assert_eq!(percent_encode(b"100%"), "100%25");
        assert_eq!(percent_encode(b"x\ny"), "x%0Ay");
        assert_eq!(percent_encode(b"\t\r\0\xff"), "%09%0D%00%FF");
        assert_eq!(percent_encode("é€".as_bytes()), "%C3%A9%E2%82%AC");
        assert_eq!(
            percent_encode(b"$HOME;*?~!#&()[]{}<>|\\^`"),
            "%24HOME%3B%2A%3F%7E%21%23%26%28%29%5B%5D%7B%7D%3C%3E%7C%5C%5E%60"
        );
        assert_eq!(percent_encode(b""), "");
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let enc = percent_encode(&all);
        assert!(enc
            .bytes()
            .all(|b| is_unreserved(b) || b == b'%' || b.is_ascii_hexdigit()));
        assert!(!enc.contains(' '));
        assert_eq!(percent_decode(&enc).unwrap(), all);
    }

    #[test]
    fn command_line_layout() {
        let argv = ["./hello", "a", "b c", "", "it's \"quoted\"", "50%"].map(OsString::from);
        let env = ["HOME=/", "GREETING=hi there", "EMPTY="].map(OsString::from);
        assert_eq!(
            kernel_cmdline(b"/hello", &argv, &env, false),
            "init=/hello root=initrd argv=./hello argv=a argv=b%20c argv= \
             argv=it%27s%20%22quoted%22 argv=50%25 \
             env=HOME=/ env=GREETING=hi%20there env=EMPTY="
        );
        assert_eq!(
            kernel_cmdline(b"/x", &[], &[], true),
            "init=/x root=initrd quiet"
        );
        assert_eq!(
            kernel_cmdline(b"/bin/busybox", &["busybox".into()], &[], false),
            "init=/bin/busybox root=initrd argv=busybox"
        );
    }

    #[test]
    fn init_name_is_encoded_and_non_utf8_args_survive() {
        let argv = [OsString::from_vec(vec![b'a', 0xff, b'\n'])];
        assert_eq!(
            kernel_cmdline(b"/my prog", &argv, &[], false),
            "init=/my%20prog root=initrd argv=a%FF%0A"
        );
    }

    #[test]
    fn every_token_decodes_back() {
        let argv = ["p", "two words", "tab\there", "new\nline", "ünï", ""].map(OsString::from);
        let line = kernel_cmdline(b"/p", &argv, &[], false);
        let decoded: Vec<Vec<u8>> = line
            .split(' ')
            .filter_map(|t| t.strip_prefix("argv="))
            .map(|v| percent_decode(v).unwrap())
            .collect();
        let expected: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn nine_p_root_with_flags_and_mounts() {
        let argv = ["/bin/busybox", "ls", "-l"].map(OsString::from);
        let env = [OsString::from("PATH=/bin")];
        let line = boot_cmdline(&Boot {
            init: b"/bin/busybox",
            root: RootSpec::NineP {
                tag: "root",
                flags: Some("cache=loose,msize=262144"),
            },
            mounts: &[("data", "/mnt"), ("out put", "/srv/my dir")],
            ip: None,
            gw: None,
            argv: &argv,
            env: &env,
            quiet: true,
        });
        assert_eq!(
            line,
            "init=/bin/busybox root=9p:root rootflags=cache=loose,msize=262144 \
             mount=9p:data:/mnt mount=9p:out%20put:/srv/my%20dir \
             argv=/bin/busybox argv=ls argv=-l env=PATH=/bin quiet"
        );
        let line = boot_cmdline(&Boot {
            init: b"/p",
            root: RootSpec::NineP {
                tag: "my,tag",
                flags: None,
            },
            mounts: &[],
            ip: None,
            gw: None,
            argv: &[],
            env: &[],
            quiet: false,
        });
        assert_eq!(line, "init=/p root=9p:my,tag");
        // Odd bytes in options are encoded like any value.
        let line = boot_cmdline(&Boot {
            init: b"/p",
            root: RootSpec::NineP {
                tag: "root",
                flags: Some("a b%"),
            },
            mounts: &[],
            ip: None,
            gw: None,
            argv: &[],
            env: &[],
            quiet: false,
        });
        assert_eq!(line, "init=/p root=9p:root rootflags=a%20b%25");
    }

    #[test]
    fn virtio_fs_root() {
        let line = boot_cmdline(&Boot {
            init: b"/bin/hello",
            root: RootSpec::VirtioFs { tag: "my root" },
            mounts: &[("data", "/mnt")],
            ip: None,
            gw: None,
            argv: &["hello".into()],
            env: &[],
            quiet: false,
        });
        assert_eq!(
            line,
            "init=/bin/hello root=virtiofs:my%20root mount=9p:data:/mnt argv=hello"
        );
    }

    #[test]
    fn virtio_fs_mounts_follow_the_nine_p_ones() {
        let boot = Boot {
            init: b"/bin/hello",
            root: RootSpec::VirtioFs { tag: "root" },
            mounts: &[("data", "/mnt")],
            ip: None,
            gw: None,
            argv: &["hello".into()],
            env: &[],
            quiet: false,
        };
        assert_eq!(
            boot_cmdline_with_virtiofs(&boot, &[("fast", "/srv/fast"), ("b c", "/x y")]),
            "init=/bin/hello root=virtiofs:root mount=9p:data:/mnt \
             mount=virtiofs:fast:/srv/fast mount=virtiofs:b%20c:/x%20y argv=hello"
        );
        assert_eq!(boot_cmdline_with_virtiofs(&boot, &[]), boot_cmdline(&boot));
    }

    #[test]
    fn static_ipv4_configuration_follows_the_mounts() {
        let line = boot_cmdline(&Boot {
            init: b"/sbin/nginx",
            root: RootSpec::NineP {
                tag: "root",
                flags: None,
            },
            mounts: &[("data", "/mnt")],
            ip: Some("10.0.2.15/24".parse().unwrap()),
            gw: Some([10, 0, 2, 2]),
            argv: &["nginx".into()],
            env: &[],
            quiet: true,
        });
        assert_eq!(
            line,
            "init=/sbin/nginx root=9p:root mount=9p:data:/mnt ip=10.0.2.15/24 gw=10.0.2.2 \
             argv=nginx quiet"
        );
        let line = boot_cmdline(&Boot {
            init: b"/x",
            root: RootSpec::Initrd,
            mounts: &[],
            ip: Some("192.168.1.9/32".parse().unwrap()),
            gw: None,
            argv: &[],
            env: &[],
            quiet: false,
        });
        assert_eq!(line, "init=/x root=initrd ip=192.168.1.9/32");
    }

    #[test]
    fn initrd_root_may_have_mounts_too() {
        let line = boot_cmdline(&Boot {
            init: b"/hello",
            root: RootSpec::Initrd,
            mounts: &[("data", "/mnt")],
            ip: None,
            gw: None,
            argv: &["hello".into()],
            env: &[],
            quiet: false,
        });
        assert_eq!(
            line,
            "init=/hello root=initrd mount=9p:data:/mnt argv=hello"
        );
    }
}
