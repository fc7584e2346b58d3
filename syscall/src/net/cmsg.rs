//! Control messages (`struct cmsghdr` chains): walking what sendmsg
//! passed, and building what recvmsg returns, with Linux's CMSG_* rules.

use crate::Errno;
use alloc::vec::Vec;

pub const SOL_SOCKET: i32 = 1;
/// sizeof(struct cmsghdr): size_t cmsg_len, int cmsg_level, int cmsg_type.
pub const CMSG_HDR: usize = 16;

/// CMSG_ALIGN: to 8 bytes.
pub fn align(n: usize) -> usize {
    n.saturating_add(7) & !7
}

/// CMSG_SPACE(n).
pub fn space(n: usize) -> usize {
    CMSG_HDR + align(n)
}

/// One control message.
pub struct Cmsg<'a> {
    pub level: i32,
    pub ty: i32,
    pub data: &'a [u8],
}

/// The messages in `control` (Linux's for_each_cmsghdr with __scm_send's
/// CMSG_OK): a header shorter than itself or running past the buffer is
/// EINVAL; a buffer too short for a header holds none.
pub fn parse(control: &[u8]) -> Result<Vec<Cmsg<'_>>, Errno> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(h) = control.get(at..).filter(|r| r.len() >= CMSG_HDR) {
        let word = |i: usize| -> [u8; 4] { [h[i], h[i + 1], h[i + 2], h[i + 3]] };
        let len = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
        if len < CMSG_HDR as u64 || len > h.len() as u64 {
            return Err(Errno::EINVAL);
        }
        let len = len as usize;
        out.push(Cmsg {
            level: i32::from_le_bytes(word(8)),
            ty: i32::from_le_bytes(word(12)),
            data: &h[CMSG_HDR..len],
        });
        at += align(len);
    }
    Ok(out)
}

/// What recvmsg writes to the control buffer: messages appended within
/// `room` bytes (Linux's put_cmsg: a message that does not fit is cut,
/// or left out when not even its header fits; either sets MSG_CTRUNC).
pub struct ControlOut {
    pub bytes: Vec<u8>,
    room: usize,
    pub truncated: bool,
}

impl ControlOut {
    pub fn new(room: usize) -> ControlOut {
        ControlOut {
            bytes: Vec::new(),
            room,
            truncated: false,
        }
    }

    pub fn room(&self) -> usize {
        self.room - self.bytes.len()
    }

    /// Appends a message whose header says `len` (which may be less than
    /// `data` holds) with `data`; the space used is CMSG_SPACE of the
    /// data, or what is left.
    pub fn put(&mut self, level: i32, ty: i32, data: &[u8]) {
        let left = self.room();
        if left < CMSG_HDR {
            self.truncated = true;
            return;
        }
        let mut len = CMSG_HDR + data.len();
        if left < len {
            self.truncated = true;
            len = left;
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&(len as u64).to_le_bytes());
        self.bytes.extend_from_slice(&level.to_le_bytes());
        self.bytes.extend_from_slice(&ty.to_le_bytes());
        self.bytes.extend_from_slice(&data[..len - CMSG_HDR]);
        let used = space(data.len()).min(left);
        self.bytes.resize(start + used, 0);
    }
}
