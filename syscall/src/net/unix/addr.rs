//! `struct sockaddr_un`: path names, abstract names and the unnamed
//! address, with the lengths Linux reports for each.

use crate::Errno;
use alloc::vec::Vec;

pub const AF_UNIX: u16 = 1;
/// offsetof(struct sockaddr_un, sun_path).
pub const SUN_PATH: usize = 2;
/// sizeof(struct sockaddr_un).
const SOCKADDR_UN_LEN: usize = 110;

/// A bound name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnixAddr {
    /// A file-system name: the bytes of sun_path before its first NUL.
    Path(Vec<u8>),
    /// An abstract name: the bytes after sun_path's leading NUL, to the
    /// length given (NULs included), so "\0a" and "\0a\0" differ.
    Abstract(Vec<u8>),
}

/// The family of a sockaddr (AF_UNSPEC when too short for one).
pub fn family(raw: &[u8]) -> u16 {
    match raw {
        [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]),
        _ => 0,
    }
}

/// bind with the family alone asks for an autobind (unix_bind).
pub fn is_autobind(raw: &[u8]) -> bool {
    raw.len() == SUN_PATH && family(raw) == AF_UNIX
}

impl UnixAddr {
    /// Linux's unix_validate_addr and unix_mkname_bsd: EINVAL for a
    /// length of 2 or less, over sizeof(sockaddr_un), or another family.
    pub fn parse(raw: &[u8]) -> Result<UnixAddr, Errno> {
        if raw.len() <= SUN_PATH || raw.len() > SOCKADDR_UN_LEN || family(raw) != AF_UNIX {
            return Err(Errno::EINVAL);
        }
        let path = &raw[SUN_PATH..];
        Ok(match path.split_first() {
            Some((0, name)) => UnixAddr::Abstract(name.to_vec()),
            _ => {
                let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
                UnixAddr::Path(path[..end].to_vec())
            }
        })
    }

    /// As getsockname reports it: a path with its NUL (Linux counts it),
    /// an abstract name exactly as long as it was bound.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::from(AF_UNIX.to_le_bytes());
        match self {
            UnixAddr::Path(p) => {
                b.extend_from_slice(p);
                b.push(0);
            }
            UnixAddr::Abstract(n) => {
                b.push(0);
                b.extend_from_slice(n);
            }
        }
        b
    }
}

/// The name of a socket: its address, or the family alone when unbound.
pub fn encode_name(a: Option<&UnixAddr>) -> Vec<u8> {
    match a {
        Some(a) => a.encode(),
        None => Vec::from(AF_UNIX.to_le_bytes()),
    }
}
