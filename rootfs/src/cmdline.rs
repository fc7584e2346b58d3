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
    fn decodes_every_byte() {
        let enc: Vec<u8> = (0..=255u8)
            .flat_map(|b| alloc::format!("%{b:02X}").into_bytes())
            .collect();
        assert_eq!(percent_decode(&enc), (0..=255u8).collect::<Vec<_>>());
    }
}
