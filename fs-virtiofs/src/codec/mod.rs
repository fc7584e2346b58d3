//! The FUSE protocol codec, protocol 7.31 to 7.38, with the layouts of
//! Linux's `include/uapi/linux/fuse.h`.
//!
//! A request is a `fuse_in_header` (40 bytes), its arguments and, for
//! WRITE, the data; a reply is a `fuse_out_header` (16 bytes) and its
//! arguments. Both directions are implemented for both kinds of message:
//! the client encodes requests and decodes replies; tests (and any future
//! server) do the reverse. Decoding never trusts its input.

pub mod args;
pub mod attr;
pub mod dirent;
pub mod header;
pub mod init;
pub mod request;
pub(crate) mod wire;

pub use args::*;
pub use attr::{fattr, AttrOut, EntryOut, FuseAttr, GetattrIn, Kstatfs, SetattrIn, GETATTR_FH};
pub use dirent::{Dirent, DirentPlus, Dirents, DirentsPlus, DIRENTPLUS_HEAD, DIRENT_HEAD};
pub use header::{check_reply, reply_errno, InHeader, OutHeader};
pub use init::{init_flags, InitIn, InitOut};
pub use request::{Creds, Request};
pub use wire::{Reader, Wire};

use crate::errno::Errno;

/// Opcodes (`enum fuse_opcode`).
pub mod opcode {
    pub const LOOKUP: u32 = 1;
    /// No reply.
    pub const FORGET: u32 = 2;
    pub const GETATTR: u32 = 3;
    pub const SETATTR: u32 = 4;
    pub const READLINK: u32 = 5;
    pub const SYMLINK: u32 = 6;
    pub const MKNOD: u32 = 8;
    pub const MKDIR: u32 = 9;
    pub const UNLINK: u32 = 10;
    pub const RMDIR: u32 = 11;
    pub const RENAME: u32 = 12;
    pub const LINK: u32 = 13;
    pub const OPEN: u32 = 14;
    pub const READ: u32 = 15;
    pub const WRITE: u32 = 16;
    pub const STATFS: u32 = 17;
    pub const RELEASE: u32 = 18;
    pub const FSYNC: u32 = 20;
    pub const FLUSH: u32 = 25;
    pub const INIT: u32 = 26;
    pub const OPENDIR: u32 = 27;
    pub const READDIR: u32 = 28;
    pub const RELEASEDIR: u32 = 29;
    pub const FSYNCDIR: u32 = 30;
    pub const ACCESS: u32 = 34;
    pub const CREATE: u32 = 35;
    /// No reply (the interrupted request answers instead).
    pub const INTERRUPT: u32 = 36;
    pub const DESTROY: u32 = 38;
    /// No reply.
    pub const BATCH_FORGET: u32 = 42;
    pub const READDIRPLUS: u32 = 44;
    pub const RENAME2: u32 = 45;
    pub const LSEEK: u32 = 46;
}

/// The protocol this crate speaks (`FUSE_KERNEL_VERSION`).
pub const KERNEL_VERSION: u32 = 7;
/// The minor version this crate offers (`FUSE_KERNEL_MINOR_VERSION` of Linux 6.3).
pub const KERNEL_MINOR_VERSION: u32 = 38;
/// The oldest minor version accepted from a daemon. QEMU's C virtiofsd
/// refuses anything older itself, and every layout here is 7.31's or newer.
pub const MIN_MINOR_VERSION: u32 = 31;
/// The root directory's node id.
pub const ROOT_ID: u64 = 1;
pub const IN_HEADER_SIZE: usize = 40;
pub const OUT_HEADER_SIZE: usize = 16;
/// Longest name in a directory record (`FUSE_NAME_MAX`).
pub const NAME_MAX: usize = 1024;
/// Set in the unique id of an INTERRUPT (`FUSE_INT_REQ_BIT`); request ids
/// are even so that this bit is free.
pub const INT_REQ_BIT: u64 = 1;

/// Why bytes could not be decoded. Every variant is EIO to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A field runs past the end of the message.
    Truncated,
    /// The fields end before the message does.
    TrailingBytes,
    /// A record of fixed size arrived with another size.
    BadSize,
    /// The header's `len` is not the number of bytes received.
    LengthMismatch,
    /// The reply carries another request's unique id.
    WrongUnique,
    /// An error that is no negative errno (0 < e, or e <= -512), or an
    /// error reply with arguments after its header.
    BadError,
    /// A name without its NUL, or a name that no file can have.
    BadName,
    /// A directory record whose length or name length is impossible.
    BadRecord,
    /// A request opcode this codec does not know.
    UnknownOpcode(u32),
}

/// A request that cannot be put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// A name with a NUL inside: FUSE names are NUL-terminated.
    NameHasNul,
    /// The request is larger than its `len` field can describe.
    TooLarge,
}

impl From<EncodeError> for Errno {
    fn from(e: EncodeError) -> Errno {
        match e {
            EncodeError::NameHasNul => Errno::EINVAL,
            EncodeError::TooLarge => Errno::E2BIG,
        }
    }
}
