//! Attributes: `fuse_attr` and the replies that carry it (`fuse_attr_out`,
//! `fuse_entry_out`), GETATTR and SETATTR arguments, and `fuse_kstatfs`.

use super::wire::{wire_struct, Wire};

wire_struct! {
    /// `struct fuse_attr` (88 bytes): what stat(2) shows, as the daemon sees it.
    pub struct FuseAttr {
        pub ino: u64,
        pub size: u64,
        pub blocks: u64,
        pub atime: u64,
        pub mtime: u64,
        pub ctime: u64,
        pub atimensec: u32,
        pub mtimensec: u32,
        pub ctimensec: u32,
        pub mode: u32,
        pub nlink: u32,
        pub uid: u32,
        pub gid: u32,
        /// `new_encode_dev` of the device number.
        pub rdev: u32,
        pub blksize: u32,
        /// FUSE_ATTR_SUBMOUNT, FUSE_ATTR_DAX (ignored here).
        pub flags: u32,
    }
}

wire_struct! {
    /// GETATTR's reply (104 bytes).
    pub struct AttrOut {
        /// How long the attributes stay valid: seconds, then nanoseconds.
        pub attr_valid: u64,
        pub attr_valid_nsec: u32,
        pub dummy: u32,
        pub attr: FuseAttr,
    }
}

wire_struct! {
    /// The reply of LOOKUP, MKNOD, MKDIR, SYMLINK, LINK and (first part)
    /// CREATE (128 bytes). Each one with a non-zero `nodeid` adds one to
    /// that node's lookup count in the daemon.
    pub struct EntryOut {
        /// 0 in a LOOKUP reply: a negative entry (ENOENT).
        pub nodeid: u64,
        pub generation: u64,
        /// How long the name stays valid.
        pub entry_valid: u64,
        pub attr_valid: u64,
        pub entry_valid_nsec: u32,
        pub attr_valid_nsec: u32,
        pub attr: FuseAttr,
    }
}

wire_struct! {
    /// GETATTR's argument.
    pub struct GetattrIn {
        /// [`GETATTR_FH`]: `fh` names an open file to stat.
        pub getattr_flags: u32,
        pub dummy: u32,
        pub fh: u64,
    }
}

/// `getattr_flags`: use `fh`.
pub const GETATTR_FH: u32 = 1;

wire_struct! {
    /// SETATTR's argument (88 bytes); only the fields named in `valid`
    /// ([`fattr`]) matter. The reply is an [`AttrOut`].
    pub struct SetattrIn {
        pub valid: u32,
        pub padding: u32,
        pub fh: u64,
        pub size: u64,
        pub lock_owner: u64,
        pub atime: u64,
        pub mtime: u64,
        pub ctime: u64,
        pub atimensec: u32,
        pub mtimensec: u32,
        pub ctimensec: u32,
        pub mode: u32,
        pub unused4: u32,
        pub uid: u32,
        pub gid: u32,
        pub unused5: u32,
    }
}

/// `fuse_setattr_in.valid` bits.
pub mod fattr {
    pub const MODE: u32 = 1 << 0;
    pub const UID: u32 = 1 << 1;
    pub const GID: u32 = 1 << 2;
    pub const SIZE: u32 = 1 << 3;
    pub const ATIME: u32 = 1 << 4;
    pub const MTIME: u32 = 1 << 5;
    pub const FH: u32 = 1 << 6;
    /// With ATIME: the daemon's clock, not `atime`.
    pub const ATIME_NOW: u32 = 1 << 7;
    pub const MTIME_NOW: u32 = 1 << 8;
    pub const LOCKOWNER: u32 = 1 << 9;
    pub const CTIME: u32 = 1 << 10;
    pub const KILL_SUIDGID: u32 = 1 << 11;
}

wire_struct! {
    /// STATFS's reply, `fuse_statfs_out` (80 bytes).
    pub struct Kstatfs {
        pub blocks: u64,
        pub bfree: u64,
        pub bavail: u64,
        pub files: u64,
        pub ffree: u64,
        pub bsize: u32,
        pub namelen: u32,
        pub frsize: u32,
        pub padding: u32,
        pub spare: [u32; 6],
    }
}

const _: () = assert!(
    FuseAttr::SIZE == 88
        && AttrOut::SIZE == 104
        && EntryOut::SIZE == 128
        && GetattrIn::SIZE == 16
        && SetattrIn::SIZE == 88
        && Kstatfs::SIZE == 80
);
