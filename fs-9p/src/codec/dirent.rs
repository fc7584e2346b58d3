//! Rreaddir's payload: back-to-back `qid[13] offset[8] type[1] name[s]`.

use alloc::vec::Vec;

use crate::codec::{DecodeError, EncodeError};
use crate::qid::Qid;
use crate::wire::{Decoder, Encoder};

/// One directory entry, borrowed from a reply buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntryRef<'a> {
    pub qid: Qid,
    /// Where the next Treaddir continues after this entry (opaque cookie).
    pub offset: u64,
    /// `DT_*` type as in `dirent64.d_type`.
    pub ty: u8,
    pub name: &'a [u8],
}

/// One directory entry, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub qid: Qid,
    pub offset: u64,
    pub ty: u8,
    pub name: Vec<u8>,
}

impl DirEntryRef<'_> {
    pub fn to_owned(&self) -> DirEntry {
        DirEntry {
            qid: self.qid,
            offset: self.offset,
            ty: self.ty,
            name: self.name.to_vec(),
        }
    }
}

impl DirEntry {
    pub fn as_ref(&self) -> DirEntryRef<'_> {
        DirEntryRef {
            qid: self.qid,
            offset: self.offset,
            ty: self.ty,
            name: &self.name,
        }
    }
}

fn decode_one<'a>(d: &mut Decoder<'a>) -> Result<DirEntryRef<'a>, DecodeError> {
    Ok(DirEntryRef {
        qid: d.qid()?,
        offset: d.u64()?,
        ty: d.u8()?,
        name: d.str()?,
    })
}

/// The entries of one Rreaddir. Construction checks that every entry lies
/// wholly inside the data, so iteration cannot fail afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntries<'a> {
    data: &'a [u8],
}

impl<'a> DirEntries<'a> {
    /// Validates `data`: an entry that runs past the end is an error.
    pub fn new(data: &'a [u8]) -> Result<Self, DecodeError> {
        let mut d = Decoder::new(data);
        while d.remaining() > 0 {
            decode_one(&mut d)?;
        }
        Ok(DirEntries { data })
    }

    /// The raw payload (what an Rreaddir's `count` covers).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    pub fn iter(&self) -> DirEntryIter<'a> {
        DirEntryIter {
            d: Decoder::new(self.data),
        }
    }

    /// Appends the wire form of `entry` to `out` (for building replies).
    pub fn encode_entry(out: &mut Vec<u8>, entry: &DirEntryRef<'_>) -> Result<(), EncodeError> {
        let mut e = Encoder::new(out);
        e.qid(&entry.qid);
        e.u64(entry.offset);
        e.u8(entry.ty);
        Ok(e.str(entry.name)?)
    }
}

impl<'a> IntoIterator for DirEntries<'a> {
    type Item = DirEntryRef<'a>;
    type IntoIter = DirEntryIter<'a>;
    fn into_iter(self) -> DirEntryIter<'a> {
        self.iter()
    }
}

pub struct DirEntryIter<'a> {
    d: Decoder<'a>,
}

impl<'a> Iterator for DirEntryIter<'a> {
    type Item = DirEntryRef<'a>;
    fn next(&mut self) -> Option<DirEntryRef<'a>> {
        if self.d.remaining() == 0 {
            return None;
        }
        // Validated in `DirEntries::new`; stop rather than panic regardless.
        decode_one(&mut self.d).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_overrun() {
        let mut data = Vec::new();
        let a = DirEntryRef {
            qid: Qid {
                ty: 0x80,
                version: 1,
                path: 2,
            },
            offset: 10,
            ty: 4,
            name: b"dir",
        };
        let b = DirEntryRef {
            qid: Qid {
                ty: 0,
                version: 3,
                path: 4,
            },
            offset: 20,
            ty: 8,
            name: b"file",
        };
        DirEntries::encode_entry(&mut data, &a).unwrap();
        DirEntries::encode_entry(&mut data, &b).unwrap();
        let entries = DirEntries::new(&data).unwrap();
        let got: Vec<_> = entries.iter().collect();
        assert_eq!(got, [a, b]);
        // Every proper prefix that cuts an entry is refused.
        let first_len = 13 + 8 + 1 + 2 + 3;
        for n in 0..data.len() {
            let r = DirEntries::new(&data[..n]);
            if n == 0 || n == first_len {
                assert!(r.is_ok());
            } else {
                assert_eq!(r, Err(DecodeError::Truncated), "prefix {n}");
            }
        }
        // A name length that points past the end.
        let mut bad = data.clone();
        bad[first_len + 22] = 0xff;
        assert!(DirEntries::new(&bad).is_err());
    }
}
