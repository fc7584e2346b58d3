//! The fixed-size arguments and replies of the remaining operations.

use super::wire::{wire_struct, Wire};

wire_struct! {
    /// FORGET's argument: drop `nlookup` lookups of the header's node.
    pub struct ForgetIn { pub nlookup: u64 }
}

wire_struct! {
    /// One node of a BATCH_FORGET.
    pub struct ForgetOne { pub nodeid: u64, pub nlookup: u64 }
}

wire_struct! {
    /// BATCH_FORGET's argument, followed by `count` [`ForgetOne`]s.
    pub struct BatchForgetIn { pub count: u32, pub dummy: u32 }
}

wire_struct! {
    /// MKNOD's argument, followed by the name. `mode` has the type bits.
    pub struct MknodIn { pub mode: u32, pub rdev: u32, pub umask: u32, pub padding: u32 }
}

wire_struct! {
    /// MKDIR's argument, followed by the name.
    pub struct MkdirIn { pub mode: u32, pub umask: u32 }
}

wire_struct! {
    /// RENAME's argument, followed by the old and the new name.
    pub struct RenameIn { pub newdir: u64 }
}

wire_struct! {
    /// RENAME2's argument (renameat2 `flags`), followed by both names.
    pub struct Rename2In { pub newdir: u64, pub flags: u32, pub padding: u32 }
}

wire_struct! {
    /// LINK's argument, followed by the new name; the header names the
    /// directory it goes in.
    pub struct LinkIn { pub oldnodeid: u64 }
}

wire_struct! {
    /// OPEN's and OPENDIR's argument: open(2) flags.
    pub struct OpenIn { pub flags: u32, pub open_flags: u32 }
}

wire_struct! {
    /// CREATE's argument, followed by the name. The reply is an
    /// `EntryOut` and an [`OpenOut`].
    pub struct CreateIn { pub flags: u32, pub mode: u32, pub umask: u32, pub open_flags: u32 }
}

wire_struct! {
    /// OPEN's, OPENDIR's and (second part) CREATE's reply.
    pub struct OpenOut {
        /// The daemon's handle for the open file.
        pub fh: u64,
        /// [`fopen`] bits.
        pub open_flags: u32,
        pub padding: u32,
    }
}

wire_struct! {
    /// RELEASE's and RELEASEDIR's argument.
    pub struct ReleaseIn { pub fh: u64, pub flags: u32, pub release_flags: u32, pub lock_owner: u64 }
}

wire_struct! {
    /// FLUSH's argument.
    pub struct FlushIn { pub fh: u64, pub unused: u32, pub padding: u32, pub lock_owner: u64 }
}

wire_struct! {
    /// READ's, READDIR's and READDIRPLUS's argument.
    pub struct ReadIn {
        pub fh: u64,
        pub offset: u64,
        pub size: u32,
        pub read_flags: u32,
        pub lock_owner: u64,
        /// The open file's flags.
        pub flags: u32,
        pub padding: u32,
    }
}

wire_struct! {
    /// WRITE's argument, followed by `size` bytes of data.
    pub struct WriteIn {
        pub fh: u64,
        pub offset: u64,
        pub size: u32,
        pub write_flags: u32,
        pub lock_owner: u64,
        pub flags: u32,
        pub padding: u32,
    }
}

wire_struct! {
    /// WRITE's reply: bytes written.
    pub struct WriteOut { pub size: u32, pub padding: u32 }
}

wire_struct! {
    /// FSYNC's and FSYNCDIR's argument.
    pub struct FsyncIn { pub fh: u64, pub fsync_flags: u32, pub padding: u32 }
}

wire_struct! {
    /// ACCESS's argument: access(2)'s mode (R_OK 4, W_OK 2, X_OK 1).
    pub struct AccessIn { pub mask: u32, pub padding: u32 }
}

wire_struct! {
    /// INTERRUPT's argument: the request to interrupt.
    pub struct InterruptIn { pub unique: u64 }
}

wire_struct! {
    /// LSEEK's argument (SEEK_DATA / SEEK_HOLE).
    pub struct LseekIn { pub fh: u64, pub offset: u64, pub whence: u32, pub padding: u32 }
}

wire_struct! {
    /// LSEEK's reply.
    pub struct LseekOut { pub offset: u64 }
}

const _: () = assert!(
    ForgetIn::SIZE == 8
        && ForgetOne::SIZE == 16
        && BatchForgetIn::SIZE == 8
        && MknodIn::SIZE == 16
        && MkdirIn::SIZE == 8
        && RenameIn::SIZE == 8
        && Rename2In::SIZE == 16
        && LinkIn::SIZE == 8
        && OpenIn::SIZE == 8
        && CreateIn::SIZE == 16
        && OpenOut::SIZE == 16
        && ReleaseIn::SIZE == 24
        && FlushIn::SIZE == 24
        && ReadIn::SIZE == 40
        && WriteIn::SIZE == 40
        && WriteOut::SIZE == 8
        && FsyncIn::SIZE == 16
        && AccessIn::SIZE == 8
        && InterruptIn::SIZE == 8
        && LseekIn::SIZE == 24
        && LseekOut::SIZE == 8
);

/// `fuse_open_out.open_flags` bits.
pub mod fopen {
    pub const DIRECT_IO: u32 = 1 << 0;
    pub const KEEP_CACHE: u32 = 1 << 1;
    pub const NONSEEKABLE: u32 = 1 << 2;
    pub const CACHE_DIR: u32 = 1 << 3;
    pub const STREAM: u32 = 1 << 4;
    pub const NOFLUSH: u32 = 1 << 5;
}

/// `fuse_fsync_in.fsync_flags`: data only (fdatasync).
pub const FSYNC_FDATASYNC: u32 = 1;
