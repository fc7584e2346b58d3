//! INIT: `fuse_init_in` and `fuse_init_out` of protocol 7.36+, and the
//! capability flags.

use super::wire::{wire_struct, Reader, Wire};
use super::DecodeError;

wire_struct! {
    /// INIT's argument (64 bytes). Flags 32..63 go in `flags2`, which a
    /// daemon reads only if `flags` has [`init_flags::INIT_EXT`].
    pub struct InitIn {
        pub major: u32,
        pub minor: u32,
        pub max_readahead: u32,
        pub flags: u32,
        pub flags2: u32,
        pub unused: [u32; 11],
    }
}

wire_struct! {
    /// INIT's reply (64 bytes).
    pub struct InitOut {
        pub major: u32,
        pub minor: u32,
        pub max_readahead: u32,
        /// The capabilities the daemon enabled (a subset of those offered).
        pub flags: u32,
        pub max_background: u16,
        pub congestion_threshold: u16,
        /// Largest WRITE payload.
        pub max_write: u32,
        /// Timestamp granularity in nanoseconds.
        pub time_gran: u32,
        /// Largest READ/WRITE in pages, with [`init_flags::MAX_PAGES`].
        pub max_pages: u16,
        /// DAX only.
        pub map_alignment: u16,
        pub flags2: u32,
        pub unused: [u32; 7],
    }
}

const _: () = assert!(InitIn::SIZE == 64 && InitOut::SIZE == 64);

/// The size of the oldest INIT reply that still names a version
/// (`FUSE_COMPAT_INIT_OUT_SIZE`).
pub const COMPAT_INIT_OUT_SIZE: usize = 8;

impl InitIn {
    /// Both flag words as one 64-bit set.
    pub fn flags64(&self) -> u64 {
        u64::from(self.flags) | (u64::from(self.flags2) << 32)
    }
}

impl InitOut {
    pub fn flags64(&self) -> u64 {
        u64::from(self.flags) | (u64::from(self.flags2) << 32)
    }

    /// Decodes an INIT reply as Linux does: a shorter reply (an older
    /// daemon's) reads as zeros past its end; a longer one is malformed.
    pub fn decode(body: &[u8]) -> Result<InitOut, DecodeError> {
        if body.len() < COMPAT_INIT_OUT_SIZE || body.len() > Self::SIZE {
            return Err(DecodeError::BadSize);
        }
        let mut full = [0u8; InitOut::SIZE];
        full[..body.len()].copy_from_slice(body);
        InitOut::get(&mut Reader::new(&full))
    }
}

/// `fuse_init_in.flags` / `fuse_init_out.flags` (bits 32.. in `flags2`).
pub mod init_flags {
    pub const ASYNC_READ: u64 = 1 << 0;
    pub const POSIX_LOCKS: u64 = 1 << 1;
    pub const FILE_OPS: u64 = 1 << 2;
    pub const ATOMIC_O_TRUNC: u64 = 1 << 3;
    pub const EXPORT_SUPPORT: u64 = 1 << 4;
    pub const BIG_WRITES: u64 = 1 << 5;
    pub const DONT_MASK: u64 = 1 << 6;
    pub const SPLICE_WRITE: u64 = 1 << 7;
    pub const SPLICE_MOVE: u64 = 1 << 8;
    pub const SPLICE_READ: u64 = 1 << 9;
    pub const FLOCK_LOCKS: u64 = 1 << 10;
    pub const HAS_IOCTL_DIR: u64 = 1 << 11;
    pub const AUTO_INVAL_DATA: u64 = 1 << 12;
    pub const DO_READDIRPLUS: u64 = 1 << 13;
    pub const READDIRPLUS_AUTO: u64 = 1 << 14;
    pub const ASYNC_DIO: u64 = 1 << 15;
    pub const WRITEBACK_CACHE: u64 = 1 << 16;
    pub const NO_OPEN_SUPPORT: u64 = 1 << 17;
    pub const PARALLEL_DIROPS: u64 = 1 << 18;
    pub const HANDLE_KILLPRIV: u64 = 1 << 19;
    pub const POSIX_ACL: u64 = 1 << 20;
    pub const ABORT_ERROR: u64 = 1 << 21;
    pub const MAX_PAGES: u64 = 1 << 22;
    pub const CACHE_SYMLINKS: u64 = 1 << 23;
    pub const NO_OPENDIR_SUPPORT: u64 = 1 << 24;
    pub const EXPLICIT_INVAL_DATA: u64 = 1 << 25;
    pub const MAP_ALIGNMENT: u64 = 1 << 26;
    pub const SUBMOUNTS: u64 = 1 << 27;
    pub const HANDLE_KILLPRIV_V2: u64 = 1 << 28;
    pub const SETXATTR_EXT: u64 = 1 << 29;
    pub const INIT_EXT: u64 = 1 << 30;
    pub const INIT_RESERVED: u64 = 1 << 31;
    pub const SECURITY_CTX: u64 = 1 << 32;
    pub const HAS_INODE_DAX: u64 = 1 << 33;
    pub const CREATE_SUPP_GROUP: u64 = 1 << 34;
    pub const HAS_EXPIRE_ONLY: u64 = 1 << 35;
}
