//! The fixed-layout records carried by getattr, setattr, statfs, lock and
//! getlock.

use crate::codec::DecodeError;
use crate::qid::Qid;
use crate::wire::{Decoder, Encoder, StringTooLong};

/// Tgetattr `request_mask` / Rgetattr `valid` bits (Linux `P9_STATS_*`).
pub mod getattr_mask {
    pub const MODE: u64 = 0x0001;
    pub const NLINK: u64 = 0x0002;
    pub const UID: u64 = 0x0004;
    pub const GID: u64 = 0x0008;
    pub const RDEV: u64 = 0x0010;
    pub const ATIME: u64 = 0x0020;
    pub const MTIME: u64 = 0x0040;
    pub const CTIME: u64 = 0x0080;
    pub const INO: u64 = 0x0100;
    pub const SIZE: u64 = 0x0200;
    pub const BLOCKS: u64 = 0x0400;
    pub const BTIME: u64 = 0x0800;
    pub const GEN: u64 = 0x1000;
    pub const DATA_VERSION: u64 = 0x2000;
    /// Everything `stat(2)` needs.
    pub const BASIC: u64 = 0x07ff;
    pub const ALL: u64 = 0x3fff;
}

/// Tsetattr `valid` bits (Linux `P9_ATTR_*`, the same as `ATTR_*` of `struct iattr`).
pub mod setattr_valid {
    pub const MODE: u32 = 1 << 0;
    pub const UID: u32 = 1 << 1;
    pub const GID: u32 = 1 << 2;
    pub const SIZE: u32 = 1 << 3;
    /// Set atime: to the given time with `ATIME_SET`, else to the server's now.
    pub const ATIME: u32 = 1 << 4;
    pub const MTIME: u32 = 1 << 5;
    pub const CTIME: u32 = 1 << 6;
    pub const ATIME_SET: u32 = 1 << 7;
    pub const MTIME_SET: u32 = 1 << 8;
}

/// Rgetattr: `struct p9_stat_dotl`. Only fields whose bit is in `valid` are
/// meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    pub valid: u64,
    pub qid: Qid,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime_sec: u64,
    pub atime_nsec: u64,
    pub mtime_sec: u64,
    pub mtime_nsec: u64,
    pub ctime_sec: u64,
    pub ctime_nsec: u64,
    pub btime_sec: u64,
    pub btime_nsec: u64,
    pub gen: u64,
    pub data_version: u64,
}

impl Stat {
    pub(crate) fn encode(&self, e: &mut Encoder<'_>) {
        e.u64(self.valid);
        e.qid(&self.qid);
        e.u32(self.mode);
        e.u32(self.uid);
        e.u32(self.gid);
        for v in [
            self.nlink,
            self.rdev,
            self.size,
            self.blksize,
            self.blocks,
            self.atime_sec,
            self.atime_nsec,
            self.mtime_sec,
            self.mtime_nsec,
            self.ctime_sec,
            self.ctime_nsec,
            self.btime_sec,
            self.btime_nsec,
            self.gen,
            self.data_version,
        ] {
            e.u64(v);
        }
    }

    pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<Stat, DecodeError> {
        Ok(Stat {
            valid: d.u64()?,
            qid: d.qid()?,
            mode: d.u32()?,
            uid: d.u32()?,
            gid: d.u32()?,
            nlink: d.u64()?,
            rdev: d.u64()?,
            size: d.u64()?,
            blksize: d.u64()?,
            blocks: d.u64()?,
            atime_sec: d.u64()?,
            atime_nsec: d.u64()?,
            mtime_sec: d.u64()?,
            mtime_nsec: d.u64()?,
            ctime_sec: d.u64()?,
            ctime_nsec: d.u64()?,
            btime_sec: d.u64()?,
            btime_nsec: d.u64()?,
            gen: d.u64()?,
            data_version: d.u64()?,
        })
    }
}

/// Tsetattr: `struct p9_iattr_dotl`. Only fields whose bit is in `valid`
/// are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SetAttr {
    pub valid: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime_sec: u64,
    pub atime_nsec: u64,
    pub mtime_sec: u64,
    pub mtime_nsec: u64,
}

impl SetAttr {
    pub(crate) fn encode(&self, e: &mut Encoder<'_>) {
        e.u32(self.valid);
        e.u32(self.mode);
        e.u32(self.uid);
        e.u32(self.gid);
        e.u64(self.size);
        e.u64(self.atime_sec);
        e.u64(self.atime_nsec);
        e.u64(self.mtime_sec);
        e.u64(self.mtime_nsec);
    }

    pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<SetAttr, DecodeError> {
        Ok(SetAttr {
            valid: d.u32()?,
            mode: d.u32()?,
            uid: d.u32()?,
            gid: d.u32()?,
            size: d.u64()?,
            atime_sec: d.u64()?,
            atime_nsec: d.u64()?,
            mtime_sec: d.u64()?,
            mtime_nsec: d.u64()?,
        })
    }
}

/// Rstatfs: `struct p9_rstatfs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatFs {
    /// File-system magic (9p servers usually report V9FS_MAGIC 0x01021997).
    pub ty: u32,
    pub bsize: u32,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: u64,
    pub namelen: u32,
}

impl StatFs {
    pub(crate) fn encode(&self, e: &mut Encoder<'_>) {
        e.u32(self.ty);
        e.u32(self.bsize);
        e.u64(self.blocks);
        e.u64(self.bfree);
        e.u64(self.bavail);
        e.u64(self.files);
        e.u64(self.ffree);
        e.u64(self.fsid);
        e.u32(self.namelen);
    }

    pub(crate) fn decode(d: &mut Decoder<'_>) -> Result<StatFs, DecodeError> {
        Ok(StatFs {
            ty: d.u32()?,
            bsize: d.u32()?,
            blocks: d.u64()?,
            bfree: d.u64()?,
            bavail: d.u64()?,
            files: d.u64()?,
            ffree: d.u64()?,
            fsid: d.u64()?,
            namelen: d.u32()?,
        })
    }
}

/// Lock types, Tlock flags and Rlock status (Linux `P9_LOCK_*`).
pub mod lock {
    pub const TYPE_RDLCK: u8 = 0;
    pub const TYPE_WRLCK: u8 = 1;
    pub const TYPE_UNLCK: u8 = 2;
    pub const FLAGS_BLOCK: u32 = 1;
    pub const FLAGS_RECLAIM: u32 = 2;
    pub const SUCCESS: u8 = 0;
    pub const BLOCKED: u8 = 1;
    pub const ERROR: u8 = 2;
    pub const GRACE: u8 = 3;
}

/// Tlock: `struct p9_flock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flock<'a> {
    pub ty: u8,
    pub flags: u32,
    pub start: u64,
    pub length: u64,
    pub proc_id: u32,
    pub client_id: &'a [u8],
}

impl<'a> Flock<'a> {
    pub(crate) fn encode(&self, e: &mut Encoder<'_>) -> Result<(), StringTooLong> {
        e.u8(self.ty);
        e.u32(self.flags);
        e.u64(self.start);
        e.u64(self.length);
        e.u32(self.proc_id);
        e.str(self.client_id)
    }

    pub(crate) fn decode(d: &mut Decoder<'a>) -> Result<Flock<'a>, DecodeError> {
        Ok(Flock {
            ty: d.u8()?,
            flags: d.u32()?,
            start: d.u64()?,
            length: d.u64()?,
            proc_id: d.u32()?,
            client_id: d.str()?,
        })
    }
}

/// Tgetlock and Rgetlock: `struct p9_getlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Getlock<'a> {
    pub ty: u8,
    pub start: u64,
    pub length: u64,
    pub proc_id: u32,
    pub client_id: &'a [u8],
}

impl<'a> Getlock<'a> {
    pub(crate) fn encode(&self, e: &mut Encoder<'_>) -> Result<(), StringTooLong> {
        e.u8(self.ty);
        e.u64(self.start);
        e.u64(self.length);
        e.u32(self.proc_id);
        e.str(self.client_id)
    }

    pub(crate) fn decode(d: &mut Decoder<'a>) -> Result<Getlock<'a>, DecodeError> {
        Ok(Getlock {
            ty: d.u8()?,
            start: d.u64()?,
            length: d.u64()?,
            proc_id: d.u32()?,
            client_id: d.str()?,
        })
    }
}
