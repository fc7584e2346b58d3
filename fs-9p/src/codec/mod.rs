//! The 9P2000.L message codec: T-messages (requests) and R-messages
//! (replies), with the exact field layouts of Linux's net/9p and QEMU's
//! hw/9pfs.
//!
//! Both directions are implemented for both kinds of message: the client
//! encodes T and decodes R; tests (and any future server) do the reverse.
//! Decoding never trusts its input.

mod attr;
mod dirent;
mod rmsg;
#[cfg(any(test, feature = "fuzzing"))]
pub mod selfcheck;
mod tdecode;
mod tmsg;

pub use attr::{getattr_mask, lock, setattr_valid, Flock, Getlock, SetAttr, Stat, StatFs};
pub use dirent::{DirEntries, DirEntry, DirEntryRef};
pub use rmsg::{decode_reply, decode_rread_split, is_reply_type as rmsg_is_reply_type, Rmsg};
pub use tmsg::{Tmsg, WalkNames};

use crate::errno::Errno;

/// Message type numbers (Linux `enum p9_msg_t`). R = T + 1.
pub mod msg_type {
    pub const TLERROR: u8 = 6;
    pub const RLERROR: u8 = 7;
    pub const TSTATFS: u8 = 8;
    pub const RSTATFS: u8 = 9;
    pub const TLOPEN: u8 = 12;
    pub const RLOPEN: u8 = 13;
    pub const TLCREATE: u8 = 14;
    pub const RLCREATE: u8 = 15;
    pub const TSYMLINK: u8 = 16;
    pub const RSYMLINK: u8 = 17;
    pub const TMKNOD: u8 = 18;
    pub const RMKNOD: u8 = 19;
    pub const TRENAME: u8 = 20;
    pub const RRENAME: u8 = 21;
    pub const TREADLINK: u8 = 22;
    pub const RREADLINK: u8 = 23;
    pub const TGETATTR: u8 = 24;
    pub const RGETATTR: u8 = 25;
    pub const TSETATTR: u8 = 26;
    pub const RSETATTR: u8 = 27;
    pub const TXATTRWALK: u8 = 30;
    pub const RXATTRWALK: u8 = 31;
    pub const TXATTRCREATE: u8 = 32;
    pub const RXATTRCREATE: u8 = 33;
    pub const TREADDIR: u8 = 40;
    pub const RREADDIR: u8 = 41;
    pub const TFSYNC: u8 = 50;
    pub const RFSYNC: u8 = 51;
    pub const TLOCK: u8 = 52;
    pub const RLOCK: u8 = 53;
    pub const TGETLOCK: u8 = 54;
    pub const RGETLOCK: u8 = 55;
    pub const TLINK: u8 = 70;
    pub const RLINK: u8 = 71;
    pub const TMKDIR: u8 = 72;
    pub const RMKDIR: u8 = 73;
    pub const TRENAMEAT: u8 = 74;
    pub const RRENAMEAT: u8 = 75;
    pub const TUNLINKAT: u8 = 76;
    pub const RUNLINKAT: u8 = 77;
    pub const TVERSION: u8 = 100;
    pub const RVERSION: u8 = 101;
    pub const TAUTH: u8 = 102;
    pub const RAUTH: u8 = 103;
    pub const TATTACH: u8 = 104;
    pub const RATTACH: u8 = 105;
    /// 9P2000's string error; a 9P2000.L server answers Rlerror instead,
    /// but an old or confused server may still send it.
    pub const RERROR: u8 = 107;
    pub const TFLUSH: u8 = 108;
    pub const RFLUSH: u8 = 109;
    pub const TWALK: u8 = 110;
    pub const RWALK: u8 = 111;
    pub const TREAD: u8 = 116;
    pub const RREAD: u8 = 117;
    pub const TWRITE: u8 = 118;
    pub const RWRITE: u8 = 119;
    pub const TCLUNK: u8 = 120;
    pub const RCLUNK: u8 = 121;
    pub const TREMOVE: u8 = 122;
    pub const RREMOVE: u8 = 123;
}

/// `size[4] type[1] tag[2]`.
pub const HDR_SIZE: usize = 7;
/// Room Linux reserves in msize for a Tread/Twrite/Rread header, so that a
/// data chunk of `msize - IOHDRSZ` always fits.
pub const IOHDRSZ: u32 = 24;
/// Room Linux reserves for the Rreaddir header.
pub const READDIRHDRSZ: u32 = 24;
/// The tag of Tversion, which is outside the session's tag space.
pub const NOTAG: u16 = 0xFFFF;
/// "No fid", e.g. the afid of an attach without authentication.
pub const NOFID: u32 = 0xFFFF_FFFF;
/// Most names in one Twalk.
pub const MAXWELEM: usize = 16;
/// The protocol version string this crate speaks.
pub const VERSION_9P2000_L: &[u8] = b"9P2000.L";
/// Bytes before the data of a Twrite: header, fid[4] offset[8] count[4].
pub const TWRITE_HEAD: usize = HDR_SIZE + 16;
/// Bytes before the data of an Rread: header, count[4].
pub const RREAD_HEAD: usize = HDR_SIZE + 4;
/// Size of Rlerror: header, ecode[4].
pub const RLERROR_SIZE: usize = HDR_SIZE + 4;

/// Why a reply could not be decoded. Every variant is EIO to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A field runs past the end of the message.
    Truncated,
    /// The header's size field differs from the number of bytes received.
    SizeMismatch,
    /// The fields end before the message does.
    TrailingBytes,
    /// A type number that is no R-message of 9P2000.L.
    UnknownType(u8),
    /// A valid R-message, but not the answer to the request that was sent.
    UnexpectedType { expected: u8, got: u8 },
    /// The reply carries another request's tag.
    WrongTag { expected: u16, got: u16 },
    /// Rread/Rreaddir/Rwrite count larger than what was asked.
    CountTooLarge,
    /// Rwalk with more qids than names walked, or any walk past 16 elements.
    TooManyWalkElements,
    /// Rversion with an msize we did not offer, or below the minimum.
    BadMsize,
}

/// A request that cannot be put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A string longer than 65535 bytes.
    NameTooLong,
    /// Twalk with more than 16 names.
    TooManyNames,
    /// The message is larger than 4 GiB (or than the negotiated msize,
    /// which the client checks).
    MessageTooLarge,
}

impl From<EncodeError> for Errno {
    fn from(e: EncodeError) -> Errno {
        match e {
            EncodeError::NameTooLong => Errno::ENAMETOOLONG,
            EncodeError::TooManyNames => Errno::EINVAL,
            // Data is chunked to fit, so only names can make a request
            // outgrow msize.
            EncodeError::MessageTooLarge => Errno::ENAMETOOLONG,
        }
    }
}

impl From<crate::wire::StringTooLong> for EncodeError {
    fn from(_: crate::wire::StringTooLong) -> EncodeError {
        EncodeError::NameTooLong
    }
}
