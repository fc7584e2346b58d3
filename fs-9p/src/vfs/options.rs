//! 9p mount options, parsed from mount(2)'s data as Linux's v9fs does:
//! comma-separated, unknown options ignored, a bad value for a known one
//! EINVAL.

use alloc::vec::Vec;
use lintel_vfs::{Errno, VfsResult};

/// What may be cached on our side (Linux's `cache=` shortcuts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CacheMode {
    /// Nothing: every stat is a Tgetattr, names are looked up each time.
    #[default]
    None,
    /// Linux: a page cache for reads only. Metadata as `None` here.
    Readahead,
    /// Linux: a page cache so shared mmap works. Metadata stays coherent as
    /// with `None`; mapping files is the kernel's business.
    Mmap,
    /// Attributes and names are kept until our own changes invalidate them;
    /// changes made on the host are not seen meanwhile.
    Loose,
    /// Linux: `Loose` plus a persistent cache; here the same as `Loose`.
    Fscache,
}

impl CacheMode {
    /// Whether attributes and names are cached (loose coherency).
    pub fn caches_metadata(self) -> bool {
        matches!(self, CacheMode::Loose | CacheMode::Fscache)
    }

    /// `cache=` as Linux's get_cache_mode: a name, or a number of
    /// `CACHE_*` bits (0x2 metadata, 0x4 writeback, 0x8 loose, 0x1 file).
    fn parse(v: &[u8]) -> VfsResult<CacheMode> {
        Ok(match v {
            b"none" => CacheMode::None,
            b"readahead" => CacheMode::Readahead,
            b"mmap" => CacheMode::Mmap,
            b"loose" => CacheMode::Loose,
            b"fscache" => CacheMode::Fscache,
            _ => {
                let bits = parse_u32(v).ok_or(Errno::EINVAL)?;
                match bits {
                    b if b & 0x80 != 0 => CacheMode::Fscache,
                    b if b & (0x2 | 0x8) != 0 => CacheMode::Loose,
                    b if b & 0x4 != 0 => CacheMode::Mmap,
                    b if b & 0x1 != 0 => CacheMode::Readahead,
                    _ => CacheMode::None,
                }
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MountOptions {
    pub cache: CacheMode,
    /// `msize=`: for the kernel to put in `ClientConfig` (at least 4096).
    pub msize: Option<u32>,
    /// `uname=` and `aname=`: for the kernel's Tattach.
    pub uname: Option<Vec<u8>>,
    pub aname: Option<Vec<u8>>,
}

impl MountOptions {
    /// Parses `cache=`, `msize=`, `uname=`, `aname=` and `version=` (only
    /// 9p2000.L is spoken). Everything else (`trans=virtio`, `access=`,
    /// `posixacl`, typos) is ignored, as Linux does.
    pub fn parse(data: &[u8]) -> VfsResult<MountOptions> {
        let mut o = MountOptions::default();
        // mount(2) data from C is NUL-terminated; stop there.
        let data = data.split(|&c| c == 0).next().unwrap_or(&[]);
        for opt in data.split(|&c| c == b',').filter(|s| !s.is_empty()) {
            let (key, val) = match opt.iter().position(|&c| c == b'=') {
                Some(i) => (&opt[..i], Some(&opt[i + 1..])),
                None => (opt, None),
            };
            match (key, val) {
                (b"cache", Some(v)) => o.cache = CacheMode::parse(v)?,
                (b"msize", Some(v)) => {
                    // Linux refuses less than 4k ("Please specify a msize of at least 4k").
                    let m = parse_u32(v).filter(|&m| m >= 4096).ok_or(Errno::EINVAL)?;
                    o.msize = Some(m);
                }
                (b"uname", Some(v)) => o.uname = Some(v.to_vec()),
                (b"aname", Some(v)) => o.aname = Some(v.to_vec()),
                (b"version", Some(v)) if v.eq_ignore_ascii_case(b"9p2000.L") => {}
                (b"version", _) => return Err(Errno::EINVAL),
                (b"cache" | b"msize" | b"uname" | b"aname", None) => return Err(Errno::EINVAL),
                _ => {}
            }
        }
        Ok(o)
    }
}

/// An unsigned number as kstrtouint(s, 0): decimal, 0x hex or 0 octal.
fn parse_u32(s: &[u8]) -> Option<u32> {
    let (digits, radix) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8),
        _ => (s, 10),
    };
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &c| {
        let d = (c as char).to_digit(radix)?;
        acc.checked_mul(radix)?.checked_add(d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_linux_v9fs() {
        assert_eq!(MountOptions::parse(b"").unwrap(), MountOptions::default());
        let o = MountOptions::parse(
            b"trans=virtio,version=9p2000.L,cache=loose,msize=262144,posixacl\0junk",
        )
        .unwrap();
        assert_eq!(o.cache, CacheMode::Loose);
        assert_eq!(o.msize, Some(262144));
        assert!(o.cache.caches_metadata());
        let o = MountOptions::parse(b"cache=mmap,aname=/srv,uname=bob,bogus=1,,").unwrap();
        assert_eq!(o.cache, CacheMode::Mmap);
        assert!(!o.cache.caches_metadata());
        assert_eq!(
            (o.aname.as_deref(), o.uname.as_deref()),
            (Some(&b"/srv"[..]), Some(&b"bob"[..]))
        );
        assert!(MountOptions::parse(b"cache=fscache")
            .unwrap()
            .cache
            .caches_metadata());
        assert_eq!(
            MountOptions::parse(b"cache=0xf").unwrap().cache,
            CacheMode::Loose
        );
        assert_eq!(
            MountOptions::parse(b"cache=5").unwrap().cache,
            CacheMode::Mmap
        );
        assert_eq!(
            MountOptions::parse(b"cache=0").unwrap().cache,
            CacheMode::None
        );
        assert_eq!(
            MountOptions::parse(b"msize=0x2000").unwrap().msize,
            Some(8192)
        );
        for bad in [
            &b"cache=bogus"[..],
            b"cache",
            b"msize=4095",
            b"msize=",
            b"msize=12k",
            b"msize=99999999999",
            b"version=9p2000.u",
        ] {
            assert_eq!(
                MountOptions::parse(bad),
                Err(Errno::EINVAL),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
    }
}
