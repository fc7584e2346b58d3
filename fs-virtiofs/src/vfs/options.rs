//! virtiofs mount options, parsed from mount(2)'s data as Linux does.
//!
//! Linux's virtiofs takes only `dax`, `dax=always|never|inode` besides the
//! generic superblock flags (`ro`, `rw`, `sync`, …), and refuses anything
//! else with EINVAL ("Unknown parameter"): unlike 9p or a /dev/fuse mount,
//! FUSE's own options (`allow_other`, `default_permissions`, `max_read=`,
//! …) do not apply. Caching is the daemon's choice (its `cache=` option
//! sets the timeouts it sends), so there is no cache option here either.
//!
//! The same here: the generic flags are accepted and left to the VFS (the
//! mount flags carry them), `dax=never` is accepted, and the other DAX
//! modes fail EINVAL, as Linux fails them for a device without a DAX
//! window (upstream QEMU has none). Anything else is EINVAL.

use lintel_vfs::{Errno, VfsResult};

/// Nothing is tunable yet: parsing only validates, as Linux does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MountOptions {}

/// Superblock flags that mount(2) data may spell out (Linux's
/// `common_set_sb_flag` and `common_clear_sb_flag`).
const SB_FLAGS: &[&[u8]] = &[
    b"ro",
    b"rw",
    b"sync",
    b"async",
    b"dirsync",
    b"lazytime",
    b"nolazytime",
    b"mand",
    b"nomand",
    b"posixacl",
];

impl MountOptions {
    pub fn parse(data: &[u8]) -> VfsResult<MountOptions> {
        // mount(2) data from C is NUL-terminated; stop there.
        let data = data.split(|&c| c == 0).next().unwrap_or(&[]);
        for opt in data.split(|&c| c == b',').filter(|s| !s.is_empty()) {
            match opt {
                b"dax=never" => {}
                o if SB_FLAGS.contains(&o) => {}
                // dax, dax=always, dax=inode need a DAX window; typos and
                // FUSE's /dev/fuse options are unknown to virtiofs.
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(MountOptions {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_linux_virtiofs() {
        for ok in [
            &b""[..],
            b"dax=never",
            b"ro,dax=never,,sync\0garbage",
            b"rw,lazytime",
        ] {
            assert_eq!(
                MountOptions::parse(ok),
                Ok(MountOptions::default()),
                "{:?}",
                core::str::from_utf8(ok)
            );
        }
        for bad in [
            &b"dax"[..],
            b"dax=always",
            b"dax=inode",
            b"dax=",
            b"cache=auto",
            b"allow_other",
            b"ro,bogus",
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
