//! Little-endian primitives of the 9P wire format.
//!
//! The encoder writes into a growable buffer (requests are ours, so their
//! size is known). The decoder reads replies, which come from an untrusted
//! server: every read is bounds-checked and a short buffer is an error,
//! never a panic.

use alloc::vec::Vec;

use crate::codec::DecodeError;
use crate::qid::Qid;

/// Appends 9P primitives to a byte vector.
pub struct Encoder<'a> {
    out: &'a mut Vec<u8>,
}

/// A string longer than a 9P `len[2]` prefix can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringTooLong;

impl<'a> Encoder<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Encoder { out }
    }

    pub fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// `len[2]` followed by the bytes (file names are bytes in Linux, not UTF-8).
    pub fn str(&mut self, s: &[u8]) -> Result<(), StringTooLong> {
        let len = u16::try_from(s.len()).map_err(|_| StringTooLong)?;
        self.u16(len);
        self.out.extend_from_slice(s);
        Ok(())
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    pub fn qid(&mut self, q: &Qid) {
        self.u8(q.ty);
        self.u32(q.version);
        self.u64(q.path);
    }
}

/// Reads 9P primitives from an untrusted byte slice.
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Decoder { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Takes the next `n` bytes, or fails without consuming anything.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let b = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// `len[2]` + bytes; a length past the end of the message is an error.
    pub fn str(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    pub fn qid(&mut self) -> Result<Qid, DecodeError> {
        Ok(Qid {
            ty: self.u8()?,
            version: self.u32()?,
            path: self.u64()?,
        })
    }

    /// Fails if anything is left: a reply whose fields do not fill its size
    /// exactly is malformed.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_round_trip() {
        let mut v = Vec::new();
        let mut e = Encoder::new(&mut v);
        e.u8(0xab);
        e.u16(0x1234);
        e.u32(0xdead_beef);
        e.u64(0x0102_0304_0506_0708);
        e.str(b"hi").unwrap();
        e.qid(&Qid {
            ty: 0x80,
            version: 7,
            path: 9,
        });
        assert_eq!(
            &v[..17],
            &[0xab, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 8, 7, 6, 5, 4, 3, 2, 1, 2, 0]
        );
        let mut d = Decoder::new(&v);
        assert_eq!(d.u8().unwrap(), 0xab);
        assert_eq!(d.u16().unwrap(), 0x1234);
        assert_eq!(d.u32().unwrap(), 0xdead_beef);
        assert_eq!(d.u64().unwrap(), 0x0102_0304_0506_0708);
        assert_eq!(d.str().unwrap(), b"hi");
        assert_eq!(
            d.qid().unwrap(),
            Qid {
                ty: 0x80,
                version: 7,
                path: 9
            }
        );
        d.finish().unwrap();
    }

    #[test]
    fn short_reads_fail_without_consuming() {
        let mut d = Decoder::new(&[1, 2, 3]);
        assert_eq!(d.u32(), Err(DecodeError::Truncated));
        assert_eq!(d.remaining(), 3);
        // A string whose length runs past the end.
        let mut d = Decoder::new(&[5, 0, b'a', b'b']);
        assert_eq!(d.str(), Err(DecodeError::Truncated));
        assert_eq!(Decoder::new(&[0]).finish(), Err(DecodeError::TrailingBytes));
    }

    #[test]
    fn overlong_string_refused() {
        let mut v = Vec::new();
        let long = alloc::vec![b'x'; 65536];
        assert_eq!(Encoder::new(&mut v).str(&long), Err(StringTooLong));
        assert!(v.is_empty());
    }
}
