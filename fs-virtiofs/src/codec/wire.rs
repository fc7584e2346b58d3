//! Little-endian fixed-layout records, the shape of every FUSE argument.
//!
//! A record is declared once with [`wire_struct!`], which derives both its
//! encoder and its decoder from the field list, so the two cannot disagree.
//! Decoding reads from an untrusted slice: every read is bounds-checked and
//! a short buffer is an error, never a panic.

use alloc::vec::Vec;

use super::DecodeError;

/// Reads fields from an untrusted byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
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

    /// Everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    /// A NUL-terminated name; the NUL is consumed, not returned.
    pub fn cstr(&mut self) -> Result<&'a [u8], DecodeError> {
        let end = self
            .buf
            .iter()
            .position(|&c| c == 0)
            .ok_or(DecodeError::BadName)?;
        let name = self.take(end)?;
        self.take(1)?;
        Ok(name)
    }

    /// Fails if anything is left over.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// A fixed-size little-endian record.
pub trait Wire: Sized {
    /// Bytes on the wire.
    const SIZE: usize;
    fn put(&self, out: &mut Vec<u8>);
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(Self::SIZE);
        self.put(&mut v);
        v
    }

    /// Decodes exactly one record: a longer or shorter slice is an error.
    fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        if b.len() != Self::SIZE {
            return Err(DecodeError::BadSize);
        }
        let mut r = Reader::new(b);
        let v = Self::get(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

macro_rules! primitive {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                let mut a = [0u8; core::mem::size_of::<$t>()];
                a.copy_from_slice(r.take(Self::SIZE)?);
                Ok(<$t>::from_le_bytes(a))
            }
        }
    )*};
}
primitive!(u16, u32, u64, i32);

/// Reserved and padding arrays (`unused[11]`, `spare[6]`).
impl<const N: usize> Wire for [u32; N] {
    const SIZE: usize = 4 * N;
    fn put(&self, out: &mut Vec<u8>) {
        for v in self {
            v.put(out);
        }
    }
    fn get(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut a = [0u32; N];
        for v in a.iter_mut() {
            *v = u32::get(r)?;
        }
        Ok(a)
    }
}

/// Declares a record: a plain struct whose fields are laid out in order,
/// with no implicit padding (fuse.h pads explicitly).
macro_rules! wire_struct {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name { $($(#[$fm])* pub $f: $t),* }

        impl $crate::codec::wire::Wire for $name {
            const SIZE: usize = 0 $(+ <$t as $crate::codec::wire::Wire>::SIZE)*;
            fn put(&self, out: &mut alloc::vec::Vec<u8>) {
                $($crate::codec::wire::Wire::put(&self.$f, out);)*
            }
            fn get(r: &mut $crate::codec::wire::Reader<'_>) -> Result<Self, $crate::codec::DecodeError> {
                Ok($name { $($f: <$t as $crate::codec::wire::Wire>::get(r)?),* })
            }
        }
    };
}
pub(crate) use wire_struct;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_and_names() {
        let mut v = Vec::new();
        0x1234u16.put(&mut v);
        0xdead_beefu32.put(&mut v);
        (-2i32).put(&mut v);
        0x0102_0304_0506_0708u64.put(&mut v);
        [1u32, 2].put(&mut v);
        v.extend_from_slice(b"ab\0");
        assert_eq!(&v[..6], &[0x34, 0x12, 0xef, 0xbe, 0xad, 0xde]);
        let mut r = Reader::new(&v);
        assert_eq!(u16::get(&mut r), Ok(0x1234));
        assert_eq!(u32::get(&mut r), Ok(0xdead_beef));
        assert_eq!(i32::get(&mut r), Ok(-2));
        assert_eq!(u64::get(&mut r), Ok(0x0102_0304_0506_0708));
        assert_eq!(<[u32; 2]>::get(&mut r), Ok([1, 2]));
        assert_eq!(r.cstr(), Ok(&b"ab"[..]));
        r.finish().unwrap();
    }

    #[test]
    fn short_reads_fail_without_consuming() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(u32::get(&mut r), Err(DecodeError::Truncated));
        assert_eq!(r.remaining(), 3);
        assert_eq!(r.cstr(), Err(DecodeError::BadName));
        assert_eq!(Reader::new(&[0]).finish(), Err(DecodeError::TrailingBytes));
        assert_eq!(u32::from_bytes(&[0; 5]), Err(DecodeError::BadSize));
    }
}
