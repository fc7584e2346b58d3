//! The kernel command line (docs/boot-protocol.md): space-separated
//! `key=value` tokens whose values are percent-encoded.

use alloc::vec::Vec;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BootConfig {
    /// `init=`: the program to run.
    pub init: Option<Vec<u8>>,
    /// `argv=`, in order (argv[0] first).
    pub argv: Vec<Vec<u8>>,
    /// `env=`, in order.
    pub env: Vec<Vec<u8>>,
    /// `root=`: `initrd` (default), `9p:TAG`, `virtiofs:TAG`.
    pub root: Option<Vec<u8>>,
    /// `rootflags=`: mount options for the root (e.g. `cache=loose,msize=262144`).
    pub rootflags: Vec<u8>,
    /// `mount=TYPE:SOURCE:/path[:options]`, in order.
    pub mounts: Vec<Vec<u8>>,
    /// `virtio=legacy`: drive transitional devices through their legacy interface.
    pub virtio_legacy: bool,
    /// `clock=SECONDS.NANOS`: the host's wall clock when it started the VMM,
    /// finer than the RTC's whole seconds.
    pub clock_ns: Option<u64>,
    /// `quiet`: only warnings and the exit line in the kernel log.
    pub quiet: bool,
    /// `console=tty`: the console behaves as a terminal (the host's is one).
    pub tty: bool,
    /// `ip=ADDR/PREFIX`: a static IPv4 address and prefix length for the
    /// network interface, e.g. `10.0.2.15/24`. `None` (no `ip=`, or
    /// `ip=dhcp`): the kernel asks DHCP.
    pub ip: Option<([u8; 4], u8)>,
    /// `gw=ADDR`: the IPv4 default gateway, e.g. `10.0.2.2` (used with a
    /// static `ip=`; DHCP brings its own router).
    pub gw: Option<[u8; 4]>,
    /// Tokens not understood, reported by the kernel.
    pub unknown: Vec<Vec<u8>>,
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX`; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            if let (Some(h), Some(l)) = (
                s.get(i + 1).and_then(|&c| hex(c)),
                s.get(i + 2).and_then(|&c| hex(c)),
            ) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// "1700000000.123456789" (nanoseconds optional) as nanoseconds since the epoch.
fn parse_clock(v: &[u8]) -> Option<u64> {
    let s = core::str::from_utf8(v).ok()?;
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let secs: u64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0u64;
    for i in 0..9 {
        nanos = nanos * 10 + frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as u64);
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// A dotted-quad IPv4 address, `10.0.2.15`: four decimal numbers 0 to 255
/// of one to three digits each.
pub fn parse_ipv4(v: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = v.split(|&b| b == b'.');
    for slot in out.iter_mut() {
        *slot = parse_decimal(parts.next()?, 3)?.try_into().ok()?;
    }
    match parts.next() {
        None => Some(out),
        Some(_) => None,
    }
}

/// `ADDR/PREFIX`, e.g. `10.0.2.15/24`, the prefix length 0 to 32.
pub fn parse_ipv4_cidr(v: &[u8]) -> Option<([u8; 4], u8)> {
    let slash = v.iter().position(|&b| b == b'/')?;
    let addr = parse_ipv4(&v[..slash])?;
    let prefix = u8::try_from(parse_decimal(&v[slash + 1..], 2)?).ok()?;
    (prefix <= 32).then_some((addr, prefix))
}

/// One to `max_digits` ASCII digits, nothing else (no sign, no space).
fn parse_decimal(v: &[u8], max_digits: usize) -> Option<u32> {
    if v.is_empty() || v.len() > max_digits || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')))
}

pub fn parse(cmdline: &[u8]) -> BootConfig {
    let mut c = BootConfig::default();
    for tok in cmdline
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        let (key, val) = match tok.iter().position(|&b| b == b'=') {
            Some(i) => (&tok[..i], Some(percent_decode(&tok[i + 1..]))),
            None => (tok, None),
        };
        match (key, val) {
            (b"init", Some(v)) => c.init = Some(v),
            (b"argv", Some(v)) => c.argv.push(v),
            (b"env", Some(v)) => c.env.push(v),
            (b"root", Some(v)) => c.root = Some(v),
            (b"rootflags", Some(v)) => c.rootflags = v,
            (b"mount", Some(v)) => c.mounts.push(v),
            (b"virtio", Some(v)) if v == b"legacy" => c.virtio_legacy = true,
            (b"virtio", Some(v)) if v == b"modern" => c.virtio_legacy = false,
            (b"clock", Some(v)) if parse_clock(&v).is_some() => c.clock_ns = parse_clock(&v),
            (b"console", Some(v)) if v == b"tty" => c.tty = true,
            (b"quiet", None) => c.quiet = true,
            (b"ip", Some(v)) if v == b"dhcp" => c.ip = None,
            (b"ip", Some(v)) if parse_ipv4_cidr(&v).is_some() => c.ip = parse_ipv4_cidr(&v),
            (b"gw", Some(v)) if parse_ipv4(&v).is_some() => c.gw = parse_ipv4(&v),
            _ => c.unknown.push(tok.to_vec()),
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_arguments_with_spaces_quotes_and_percent() {
        let c = parse(
            b"init=/hello argv=./hello argv=b%20c argv=%22q%22 argv= argv=100%25 env=K=V%3Dx quiet",
        );
        assert_eq!(c.init.as_deref(), Some(&b"/hello"[..]));
        assert_eq!(c.argv, [&b"./hello"[..], b"b c", b"\"q\"", b"", b"100%"]);
        assert_eq!(c.env, [&b"K=V=x"[..]]);
        assert!(c.quiet);
        assert!(!c.tty);
    }

    #[test]
    fn keeps_unknown_tokens_and_malformed_escapes() {
        let c = parse(b"  foo  argv=%zz%4 console=tty root=initrd mount=9p:data:/mnt rootflags=cache%3Dloose virtio=legacy");
        assert_eq!(c.mounts, [&b"9p:data:/mnt"[..]]);
        assert_eq!(c.rootflags, b"cache=loose");
        assert_eq!(
            parse(b"clock=1700000000.5").clock_ns,
            Some(1_700_000_000_500_000_000)
        );
        assert_eq!(parse(b"clock=12").clock_ns, Some(12_000_000_000));
        assert_eq!(parse(b"clock=1.2.3").clock_ns, None);
        assert!(c.virtio_legacy);
        assert_eq!(c.unknown, [&b"foo"[..]]);
        assert_eq!(c.argv, [&b"%zz%4"[..]]);
        assert!(c.tty);
        assert_eq!(c.root.as_deref(), Some(&b"initrd"[..]));
    }

    #[test]
    fn static_ipv4_configuration() {
        let c = parse(b"init=/sbin/nginx ip=10.0.2.15/24 gw=10.0.2.2");
        assert_eq!(c.ip, Some(([10, 0, 2, 15], 24)));
        assert_eq!(c.gw, Some([10, 0, 2, 2]));
        assert!(c.unknown.is_empty());
        // Percent-encoded like every value; the edges of the ranges.
        let c = parse(b"ip=192.168.1.200%2F32 gw=255.255.255.255");
        assert_eq!(c.ip, Some(([192, 168, 1, 200], 32)));
        assert_eq!(c.gw, Some([255; 4]));
        assert_eq!(parse(b"ip=0.0.0.0/0").ip, Some(([0; 4], 0)));
        assert_eq!(
            parse(b"ip=010.000.002.015/08").ip,
            Some(([10, 0, 2, 15], 8))
        );
    }

    #[test]
    fn dhcp_without_ip() {
        let c = parse(b"init=/x root=initrd");
        assert_eq!((c.ip, c.gw), (None, None));
        let c = parse(b"ip=10.0.2.15/24 ip=dhcp");
        assert_eq!(c.ip, None);
        assert!(c.unknown.is_empty());
    }

    #[test]
    fn malformed_addresses_are_unknown_tokens() {
        let bad: &[&[u8]] = &[
            b"ip=10.0.2.15",
            b"ip=10.0.2.15/",
            b"ip=10.0.2.15/33",
            b"ip=10.0.2.15/024",
            b"ip=10.0.2/24",
            b"ip=10.0.2.15.1/24",
            b"ip=10.0.2.256/24",
            b"ip=10.0.2.1000/24",
            b"ip=10..2.15/24",
            b"ip=+10.0.2.15/24",
            b"ip=10.0.2.15/+8",
            b"ip=10.0.2.15/24/1",
            b"ip=a.b.c.d/24",
            b"ip=",
            b"ip",
            b"ip=DHCP",
            b"gw=10.0.2",
            b"gw=10.0.2.2/24",
            b"gw=-1.0.0.0",
            b"gw=",
            b"gw",
            b"gw=%FF%FF",
        ];
        for tok in bad {
            let c = parse(tok);
            assert_eq!(
                (c.ip, c.gw),
                (None, None),
                "{}",
                core::str::from_utf8(tok).unwrap()
            );
            assert_eq!(c.unknown, [tok.to_vec()]);
        }
        // A bad token leaves an earlier good one alone.
        let c = parse(b"ip=10.0.2.15/24 gw=10.0.2.2 ip=10.0.2.16/99 gw=x");
        assert_eq!(c.ip, Some(([10, 0, 2, 15], 24)));
        assert_eq!(c.gw, Some([10, 0, 2, 2]));
        assert_eq!(c.unknown.len(), 2);
    }

    #[test]
    fn address_parsers() {
        assert_eq!(parse_ipv4(b"1.2.3.4"), Some([1, 2, 3, 4]));
        assert_eq!(parse_ipv4(b"1.2.3.4 "), None);
        assert_eq!(parse_ipv4(b""), None);
        assert_eq!(parse_ipv4_cidr(b"1.2.3.4/0"), Some(([1, 2, 3, 4], 0)));
        assert_eq!(parse_ipv4_cidr(b"/24"), None);
    }

    #[test]
    fn decodes_every_byte() {
        let enc: Vec<u8> = (0..=255u8)
            .flat_map(|b| alloc::format!("%{b:02X}").into_bytes())
            .collect();
        assert_eq!(percent_decode(&enc), (0..=255u8).collect::<Vec<_>>());
    }
}
