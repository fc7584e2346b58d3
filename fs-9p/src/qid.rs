//! The qid: the server's identity for a file (13 bytes on the wire:
//! `type[1] version[4] path[8]`).

/// Bits of [`Qid::ty`] (Linux `enum p9_qid_t`).
pub mod qid_type {
    pub const DIR: u8 = 0x80;
    pub const APPEND: u8 = 0x40;
    pub const EXCL: u8 = 0x20;
    pub const MOUNT: u8 = 0x10;
    pub const AUTH: u8 = 0x08;
    pub const TMP: u8 = 0x04;
    pub const SYMLINK: u8 = 0x02;
    pub const LINK: u8 = 0x01;
    pub const FILE: u8 = 0x00;
}

/// Size of a qid on the wire.
pub const QID_SIZE: usize = 13;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qid {
    /// `qid_type::*` bits.
    pub ty: u8,
    /// Changes when the file changes (servers derive it from mtime, or leave 0).
    pub version: u32,
    /// Unique per file on the server: the inode number, in effect.
    pub path: u64,
}

impl Qid {
    pub fn is_dir(&self) -> bool {
        self.ty & qid_type::DIR != 0
    }

    pub fn is_symlink(&self) -> bool {
        self.ty & qid_type::SYMLINK != 0
    }
}
