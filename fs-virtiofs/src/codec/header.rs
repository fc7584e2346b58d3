//! `fuse_in_header`, `fuse_out_header`, and the checks every reply passes
//! before its arguments are looked at.

use super::wire::{wire_struct, Reader, Wire};
use super::{DecodeError, OUT_HEADER_SIZE};
use crate::errno::Errno;

wire_struct! {
    /// Starts every request (40 bytes).
    pub struct InHeader {
        /// The whole request: header, arguments and data.
        pub len: u32,
        pub opcode: u32,
        pub unique: u64,
        pub nodeid: u64,
        pub uid: u32,
        pub gid: u32,
        pub pid: u32,
        /// Length of extensions in 8-byte units (7.36); always 0 here.
        pub total_extlen: u16,
        pub padding: u16,
    }
}

wire_struct! {
    /// Starts every reply (16 bytes).
    pub struct OutHeader {
        /// The whole reply: header and arguments.
        pub len: u32,
        /// 0, or a negative errno.
        pub error: i32,
        pub unique: u64,
    }
}

const _: () = assert!(InHeader::SIZE == 40 && OutHeader::SIZE == OUT_HEADER_SIZE);

/// The errno of an error reply, if `error` is one a daemon may send: Linux
/// refuses 0 < error and error <= -512 (its internal restart codes).
pub fn reply_errno(error: i32) -> Option<Errno> {
    match error {
        -511..=-1 => Some(Errno::new(-error)),
        _ => None,
    }
}

/// Checks the reply to the request `unique`, of which the device wrote
/// `written` bytes, the first [`OUT_HEADER_SIZE`] of them in `head`.
/// Returns the length of the arguments after the header, or the errno of
/// an error reply. A header that lies about the length, belongs to another
/// request, or carries an impossible error is malformed.
pub fn check_reply(
    head: &[u8],
    written: usize,
    unique: u64,
) -> Result<Result<usize, Errno>, DecodeError> {
    if written < OUT_HEADER_SIZE {
        return Err(DecodeError::Truncated);
    }
    let h = OutHeader::get(&mut Reader::new(head))?;
    if usize::try_from(h.len).ok() != Some(written) {
        return Err(DecodeError::LengthMismatch);
    }
    if h.unique != unique {
        return Err(DecodeError::WrongUnique);
    }
    if h.error == 0 {
        return Ok(Ok(written - OUT_HEADER_SIZE));
    }
    // An error reply is the header alone.
    match reply_errno(h.error) {
        Some(e) if written == OUT_HEADER_SIZE => Ok(Err(e)),
        _ => Err(DecodeError::BadError),
    }
}
