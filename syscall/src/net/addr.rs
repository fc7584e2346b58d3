//! `struct sockaddr_in` from and to the program, with Linux's length rules.

use crate::user::{read_bytes, read_val, write_bytes, write_val};
use crate::{Cx, Errno};
use lintel_net::{Ipv4Addr, SocketAddrV4};

pub const AF_UNSPEC: u16 = 0;
pub const AF_INET: u16 = 2;
/// sizeof(struct sockaddr_in).
pub const SOCKADDR_IN_LEN: usize = 16;
/// sizeof(struct sockaddr_storage): the most a call copies in.
const SOCKADDR_MAX: u32 = 128;

/// A sockaddr as the program passed it: its family and, when long enough
/// for one, the IPv4 address.
pub struct SockAddrIn {
    pub family: u16,
    pub len: usize,
    pub addr: SocketAddrV4,
}

/// Copies `len` bytes of sockaddr from `ptr` (Linux's move_addr_to_kernel:
/// EINVAL over 128 or negative, EFAULT for a bad pointer).
pub fn read_raw(cx: &mut Cx, ptr: u64, len: u64) -> Result<alloc::vec::Vec<u8>, Errno> {
    let len = len as u32;
    if len > SOCKADDR_MAX {
        return Err(Errno::EINVAL);
    }
    let mut b = alloc::vec![0u8; len as usize];
    read_bytes(cx.k, &cx.p.mm, ptr, &mut b)?;
    Ok(b)
}

/// An AF_INET sockaddr from the program (see `read_raw`).
pub fn read_sockaddr(cx: &mut Cx, ptr: u64, len: u64) -> Result<SockAddrIn, Errno> {
    let raw = read_raw(cx, ptr, len)?;
    let b = &raw[..];
    let len = b.len() as u32;
    let family = match b {
        [lo, hi, ..] => u16::from_le_bytes([*lo, *hi]),
        _ => AF_UNSPEC,
    };
    let addr = match b {
        [_, _, p0, p1, a, b2, c, d, ..] => SocketAddrV4::new(
            Ipv4Addr::new(*a, *b2, *c, *d),
            u16::from_be_bytes([*p0, *p1]),
        ),
        _ => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
    };
    Ok(SockAddrIn {
        family,
        len: len as usize,
        addr,
    })
}

impl SockAddrIn {
    /// An AF_INET address of full length: EINVAL when short, EAFNOSUPPORT
    /// for another family.
    pub fn inet(&self) -> Result<SocketAddrV4, Errno> {
        if self.len < SOCKADDR_IN_LEN {
            return Err(Errno::EINVAL);
        }
        if self.family != AF_INET {
            return Err(Errno::EAFNOSUPPORT);
        }
        Ok(self.addr)
    }
}

pub fn encode(a: SocketAddrV4) -> [u8; SOCKADDR_IN_LEN] {
    let mut b = [0u8; SOCKADDR_IN_LEN];
    b[..2].copy_from_slice(&AF_INET.to_le_bytes());
    b[2..4].copy_from_slice(&a.port().to_be_bytes());
    b[4..8].copy_from_slice(&a.ip().octets());
    b
}

/// Linux's move_addr_to_user: reads the buffer size at `lenp`, copies at
/// most that much of `data` to `ptr` and stores the full length at `lenp`.
pub fn write_sockaddr(cx: &mut Cx, ptr: u64, lenp: u64, data: &[u8]) -> Result<(), Errno> {
    let len: i32 = read_val(cx.k, &cx.p.mm, lenp)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (len as usize).min(data.len());
    write_bytes(cx.k, &cx.p.mm, ptr, &data[..n])?;
    write_val(cx.k, &cx.p.mm, lenp, &(data.len() as i32))
}

/// The length check move_addr_to_user makes before a call that consumes
/// something (accept): EFAULT/EINVAL before the connection is taken.
pub fn check_addrlen(cx: &mut Cx, ptr: u64, lenp: u64) -> Result<(), Errno> {
    if ptr == 0 {
        return Ok(());
    }
    let len: i32 = read_val(cx.k, &cx.p.mm, lenp)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    crate::user::prepare(
        cx.k,
        &cx.p.mm,
        ptr,
        (len as u64).min(SOCKADDR_IN_LEN as u64),
        true,
    )?;
    crate::user::prepare(cx.k, &cx.p.mm, lenp, 4, true)
}
