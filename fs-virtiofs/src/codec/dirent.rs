//! READDIR's `fuse_dirent` and READDIRPLUS's `fuse_direntplus` records,
//! each padded to a multiple of 8 bytes.

use alloc::vec::Vec;

use super::attr::EntryOut;
use super::wire::{wire_struct, Reader, Wire};
use super::{DecodeError, NAME_MAX};

wire_struct! {
    /// The fixed part of a `fuse_dirent`; `namelen` name bytes follow.
    pub struct DirentHead { pub ino: u64, pub off: u64, pub namelen: u32, pub typ: u32 }
}

/// Bytes before the name of a `fuse_dirent`.
pub const DIRENT_HEAD: usize = 24;
/// Bytes before the name of a `fuse_direntplus`.
pub const DIRENTPLUS_HEAD: usize = EntryOut::SIZE + DIRENT_HEAD;

const _: () = assert!(DirentHead::SIZE == DIRENT_HEAD && DIRENTPLUS_HEAD == 152);

/// One directory entry, borrowing its name from the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirent<'a> {
    pub ino: u64,
    /// The cookie that continues the listing after this entry.
    pub off: u64,
    /// `(st_mode & S_IFMT) >> 12`, 0 if unknown.
    pub typ: u32,
    pub name: &'a [u8],
}

/// One READDIRPLUS entry: the entry as LOOKUP would give it, and the
/// directory record. A non-zero `entry.nodeid` counts as a lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirentPlus<'a> {
    pub entry: EntryOut,
    pub dirent: Dirent<'a>,
}

fn pad(out: &mut Vec<u8>, len: usize) {
    out.resize(out.len() + (len.wrapping_neg() & 7), 0);
}

impl<'a> Dirent<'a> {
    /// Appends the padded record. Names longer than 4 GiB cannot occur.
    pub fn encode(&self, out: &mut Vec<u8>) {
        DirentHead {
            ino: self.ino,
            off: self.off,
            namelen: u32::try_from(self.name.len()).unwrap_or(u32::MAX),
            typ: self.typ,
        }
        .put(out);
        out.extend_from_slice(self.name);
        pad(out, self.name.len());
    }

    fn get(r: &mut Reader<'a>) -> Result<Dirent<'a>, DecodeError> {
        let h = DirentHead::get(r)?;
        let len = usize::try_from(h.namelen).map_err(|_| DecodeError::BadRecord)?;
        if len == 0 || len > NAME_MAX {
            return Err(DecodeError::BadRecord);
        }
        let name = r.take(len)?;
        r.take(len.wrapping_neg() & 7)?;
        Ok(Dirent {
            ino: h.ino,
            off: h.off,
            typ: h.typ,
            name,
        })
    }
}

impl DirentPlus<'_> {
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.entry.put(out);
        self.dirent.encode(out);
    }
}

/// The records of a READDIR reply. After the first malformed record the
/// iterator yields that error, then ends.
pub struct Dirents<'a> {
    r: Reader<'a>,
}

impl<'a> Dirents<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        Dirents {
            r: Reader::new(body),
        }
    }
}

impl<'a> Iterator for Dirents<'a> {
    type Item = Result<Dirent<'a>, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.remaining() == 0 {
            return None;
        }
        let d = Dirent::get(&mut self.r);
        if d.is_err() {
            self.r.rest();
        }
        Some(d)
    }
}

/// The records of a READDIRPLUS reply.
pub struct DirentsPlus<'a> {
    r: Reader<'a>,
}

impl<'a> DirentsPlus<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        DirentsPlus {
            r: Reader::new(body),
        }
    }
}

impl<'a> Iterator for DirentsPlus<'a> {
    type Item = Result<DirentPlus<'a>, DecodeError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.r.remaining() == 0 {
            return None;
        }
        let d = EntryOut::get(&mut self.r).and_then(|entry| {
            Ok(DirentPlus {
                entry,
                dirent: Dirent::get(&mut self.r)?,
            })
        });
        if d.is_err() {
            self.r.rest();
        }
        Some(d)
    }
}
