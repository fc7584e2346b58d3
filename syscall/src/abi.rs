//! Linux x86_64 ABI structures, encoded field by field (no transmutes).

use crate::user::Pod;

fn put(out: &mut [u8], off: usize, bytes: &[u8]) {
    out[off..off + bytes.len()].copy_from_slice(bytes);
}

fn get_u64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

fn get_u32(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

fn get_u16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

/// Declares a struct of u64-sized fields in ABI order.
macro_rules! u64_struct {
    ($(#[$m:meta])* $name:ident { $($f:ident),+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name { $(pub $f: u64),+ }
        impl Pod for $name {
            const SIZE: usize = 8 * [$(stringify!($f)),+].len();
            fn encode(&self, out: &mut [u8]) {
                let mut off = 0;
                $( put(out, off, &self.$f.to_le_bytes()); off += 8; )+
                let _ = off;
            }
            fn decode(b: &[u8]) -> Self {
                let mut off = 0;
                $( let $f = get_u64(b, off); off += 8; )+
                let _ = off;
                Self { $($f),+ }
            }
        }
    };
}

u64_struct!(
    /// `struct timespec` (seconds may be negative in general; kept raw).
    Timespec { sec, nsec }
);
u64_struct!(
    /// `struct timeval`.
    Timeval { sec, usec }
);
u64_struct!(
    /// `struct iovec`.
    Iovec { base, len }
);
u64_struct!(
    /// `struct rlimit` / `struct rlimit64`.
    Rlimit { cur, max }
);
u64_struct!(
    /// The kernel's `struct sigaction` for rt_sigaction (sa_mask is 8 bytes).
    KSigaction { handler, flags, restorer, mask }
);

/// `struct winsize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Winsize {
    pub rows: u16,
    pub cols: u16,
    pub xpixel: u16,
    pub ypixel: u16,
}

impl Pod for Winsize {
    const SIZE: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        put(out, 0, &self.rows.to_le_bytes());
        put(out, 2, &self.cols.to_le_bytes());
        put(out, 4, &self.xpixel.to_le_bytes());
        put(out, 6, &self.ypixel.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Self { rows: get_u16(b, 0), cols: get_u16(b, 2), xpixel: get_u16(b, 4), ypixel: get_u16(b, 6) }
    }
}

/// The kernel's `struct termios` (TCGETS): four flag words, line, 19 cc.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; 19],
}

impl Termios {
    /// What a Linux serial console reports after boot (`stty -a` defaults).
    pub fn console_default() -> Self {
        let mut cc = [0u8; 19];
        cc[..17].copy_from_slice(&[3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0]);
        Termios { iflag: 0o2406, oflag: 0o5, cflag: 0o2275, lflag: 0o105073, line: 0, cc }
    }
}

impl Pod for Termios {
    const SIZE: usize = 36;
    fn encode(&self, out: &mut [u8]) {
        put(out, 0, &self.iflag.to_le_bytes());
        put(out, 4, &self.oflag.to_le_bytes());
        put(out, 8, &self.cflag.to_le_bytes());
        put(out, 12, &self.lflag.to_le_bytes());
        out[16] = self.line;
        put(out, 17, &self.cc);
    }
    fn decode(b: &[u8]) -> Self {
        let mut cc = [0u8; 19];
        cc.copy_from_slice(&b[17..36]);
        Self { iflag: get_u32(b, 0), oflag: get_u32(b, 4), cflag: get_u32(b, 8), lflag: get_u32(b, 12), line: b[16], cc }
    }
}

/// `struct pollfd`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pollfd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

impl Pod for Pollfd {
    const SIZE: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        put(out, 0, &self.fd.to_le_bytes());
        put(out, 4, &self.events.to_le_bytes());
        put(out, 6, &self.revents.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Self { fd: get_u32(b, 0) as i32, events: get_u16(b, 4) as i16, revents: get_u16(b, 6) as i16 }
    }
}

/// `struct utsname`: six NUL-padded 65-byte fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utsname {
    pub fields: [[u8; 65]; 6],
}

impl Utsname {
    pub fn new(values: [&str; 6]) -> Self {
        let mut fields = [[0u8; 65]; 6];
        for (f, v) in fields.iter_mut().zip(values) {
            let n = v.len().min(64);
            f[..n].copy_from_slice(&v.as_bytes()[..n]);
        }
        Utsname { fields }
    }
}

impl Pod for Utsname {
    const SIZE: usize = 6 * 65;
    fn encode(&self, out: &mut [u8]) {
        for (i, f) in self.fields.iter().enumerate() {
            put(out, i * 65, f);
        }
    }
    fn decode(b: &[u8]) -> Self {
        let mut fields = [[0u8; 65]; 6];
        for (i, f) in fields.iter_mut().enumerate() {
            f.copy_from_slice(&b[i * 65..i * 65 + 65]);
        }
        Utsname { fields }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: Pod + PartialEq + core::fmt::Debug>(v: T) {
        let mut b = [0u8; 512];
        v.encode(&mut b[..T::SIZE]);
        assert_eq!(T::decode(&b[..T::SIZE]), v);
    }

    #[test]
    fn structs_roundtrip_with_linux_sizes() {
        assert_eq!(Timespec::SIZE, 16);
        assert_eq!(KSigaction::SIZE, 32);
        assert_eq!(Utsname::SIZE, 390);
        roundtrip(Timespec { sec: 5, nsec: 7 });
        roundtrip(KSigaction { handler: 1, flags: 2, restorer: 3, mask: 4 });
        roundtrip(Winsize { rows: 24, cols: 80, xpixel: 0, ypixel: 0 });
        roundtrip(Termios::console_default());
        roundtrip(Pollfd { fd: -1, events: 1, revents: 4 });
        roundtrip(Utsname::new(["Linux", "lintel", "6.1.0", "#1", "x86_64", "(none)"]));
    }

    #[test]
    fn timespec_layout_is_sec_then_nsec() {
        let mut b = [0u8; 16];
        Timespec { sec: 1, nsec: 2 }.encode(&mut b);
        assert_eq!(b[0], 1);
        assert_eq!(b[8], 2);
    }
}
