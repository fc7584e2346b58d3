//! tmpfs mount options: the size limit and the root directory's mode, as
//! given to the constructor or parsed from mount(2)'s data ("size=64m,mode=1777").

use lintel_vfs::{Errno, VfsResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// Bytes of file data allowed (rounded up to pages); None or 0 = no limit.
    pub size_limit: Option<u64>,
    /// The root directory's permission bits.
    pub mode: u32,
}

impl Default for TmpfsOptions {
    fn default() -> Self {
        TmpfsOptions {
            size_limit: None,
            mode: 0o1777,
        }
    }
}

impl TmpfsOptions {
    /// Parses comma-separated `size=N[kmgtpe]`, `size=N%` (of `ram` bytes)
    /// and `mode=OCTAL`; anything else is EINVAL, as Linux's tmpfs.
    pub fn parse(data: &[u8], ram: u64) -> VfsResult<TmpfsOptions> {
        let mut o = TmpfsOptions::default();
        for opt in data.split(|&c| c == b',').filter(|s| !s.is_empty()) {
            let (key, val) = match opt.iter().position(|&c| c == b'=') {
                Some(i) => (&opt[..i], &opt[i + 1..]),
                None => (opt, &b""[..]),
            };
            match key {
                b"size" => o.size_limit = Some(parse_size(val, ram)?).filter(|&s| s != 0),
                b"mode" => {
                    o.mode = parse_num(val, 8)
                        .filter(|&m| m <= 0o7777)
                        .ok_or(Errno::EINVAL)? as u32
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(o)
    }
}

fn parse_num(s: &[u8], radix: u64) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &c| {
        let d = (c as char).to_digit(radix as u32)? as u64;
        acc.checked_mul(radix)?.checked_add(d)
    })
}

fn parse_size(s: &[u8], ram: u64) -> VfsResult<u64> {
    let (digits, suffix) = s.split_at(
        s.iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(s.len()),
    );
    let n = parse_num(digits, 10).ok_or(Errno::EINVAL)?;
    let shift = match suffix {
        b"" => 0,
        b"k" | b"K" => 10,
        b"m" | b"M" => 20,
        b"g" | b"G" => 30,
        b"t" | b"T" => 40,
        b"p" | b"P" => 50,
        b"e" | b"E" => 60,
        b"%" => return Ok((ram as u128 * n as u128 / 100).min(u64::MAX as u128) as u64),
        _ => return Err(Errno::EINVAL),
    };
    n.checked_mul(1u64 << shift).ok_or(Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_linux_style_options() {
        let o = TmpfsOptions::parse(b"size=64k,mode=755", 0).unwrap();
        assert_eq!(
            o,
            TmpfsOptions {
                size_limit: Some(65536),
                mode: 0o755
            }
        );
        assert_eq!(
            TmpfsOptions::parse(b"", 0).unwrap(),
            TmpfsOptions::default()
        );
        assert_eq!(
            TmpfsOptions::parse(b"size=50%", 1 << 30)
                .unwrap()
                .size_limit,
            Some(1 << 29)
        );
        assert_eq!(TmpfsOptions::parse(b"size=0", 0).unwrap().size_limit, None);
        assert_eq!(
            TmpfsOptions::parse(b"size=2G", 0).unwrap().size_limit,
            Some(2 << 30)
        );
        for bad in [
            &b"size="[..],
            b"size=1x",
            b"mode=9",
            b"mode=17777",
            b"bogus",
            b"size=99999999999999999999",
            b"size=16384E",
        ] {
            assert_eq!(
                TmpfsOptions::parse(bad, 0),
                Err(Errno::EINVAL),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }
}
