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
        Self {
            rows: get_u16(b, 0),
            cols: get_u16(b, 2),
            xpixel: get_u16(b, 4),
            ypixel: get_u16(b, 6),
        }
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
        Termios {
            iflag: 0o2406,
            oflag: 0o5,
            cflag: 0o2275,
            lflag: 0o105073,
            line: 0,
            cc,
        }
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
        Self {
            iflag: get_u32(b, 0),
            oflag: get_u32(b, 4),
            cflag: get_u32(b, 8),
            lflag: get_u32(b, 12),
            line: b[16],
            cc,
        }
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
        Self {
            fd: get_u32(b, 0) as i32,
            events: get_u16(b, 4) as i16,
            revents: get_u16(b, 6) as i16,
        }
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

/// `struct msghdr` (sendmsg, recvmsg): 56 bytes, padding after the two ints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Msghdr {
    pub name: u64,
    pub namelen: u32,
    pub iov: u64,
    pub iovlen: u64,
    pub control: u64,
    pub controllen: u64,
    pub flags: i32,
}

impl Pod for Msghdr {
    const SIZE: usize = 56;
    fn encode(&self, out: &mut [u8]) {
        out[..Self::SIZE].fill(0);
        put(out, 0, &self.name.to_le_bytes());
        put(out, 8, &self.namelen.to_le_bytes());
        put(out, 16, &self.iov.to_le_bytes());
        put(out, 24, &self.iovlen.to_le_bytes());
        put(out, 32, &self.control.to_le_bytes());
        put(out, 40, &self.controllen.to_le_bytes());
        put(out, 48, &self.flags.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Self {
            name: get_u64(b, 0),
            namelen: get_u32(b, 8),
            iov: get_u64(b, 16),
            iovlen: get_u64(b, 24),
            control: get_u64(b, 32),
            controllen: get_u64(b, 40),
            flags: get_u32(b, 48) as i32,
        }
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
        roundtrip(KSigaction {
            handler: 1,
            flags: 2,
            restorer: 3,
            mask: 4,
        });
        roundtrip(Winsize {
            rows: 24,
            cols: 80,
            xpixel: 0,
            ypixel: 0,
        });
        roundtrip(Termios::console_default());
        roundtrip(Pollfd {
            fd: -1,
            events: 1,
            revents: 4,
        });
        roundtrip(Utsname::new([
            "Linux", "lintel", "6.1.0", "#1", "x86_64", "(none)",
        ]));
    }

    #[test]
    fn timespec_layout_is_sec_then_nsec() {
        let mut b = [0u8; 16];
        Timespec { sec: 1, nsec: 2 }.encode(&mut b);
        assert_eq!(b[0], 1);
        assert_eq!(b[8], 2);
    }
}

/// `struct stat` (x86_64, 144 bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: (i64, u64),
    pub mtime: (i64, u64),
    pub ctime: (i64, u64),
}

impl Pod for Stat {
    const SIZE: usize = 144;
    fn encode(&self, out: &mut [u8]) {
        out[..144].fill(0);
        put(out, 0, &self.dev.to_le_bytes());
        put(out, 8, &self.ino.to_le_bytes());
        put(out, 16, &self.nlink.to_le_bytes());
        put(out, 24, &self.mode.to_le_bytes());
        put(out, 28, &self.uid.to_le_bytes());
        put(out, 32, &self.gid.to_le_bytes());
        put(out, 40, &self.rdev.to_le_bytes());
        put(out, 48, &self.size.to_le_bytes());
        put(out, 56, &self.blksize.to_le_bytes());
        put(out, 64, &self.blocks.to_le_bytes());
        for (i, t) in [self.atime, self.mtime, self.ctime].iter().enumerate() {
            put(out, 72 + i * 16, &t.0.to_le_bytes());
            put(out, 80 + i * 16, &t.1.to_le_bytes());
        }
    }
    fn decode(b: &[u8]) -> Self {
        let t = |o| (get_u64(b, o) as i64, get_u64(b, o + 8));
        Stat {
            dev: get_u64(b, 0),
            ino: get_u64(b, 8),
            nlink: get_u64(b, 16),
            mode: get_u32(b, 24),
            uid: get_u32(b, 28),
            gid: get_u32(b, 32),
            rdev: get_u64(b, 40),
            size: get_u64(b, 48) as i64,
            blksize: get_u64(b, 56) as i64,
            blocks: get_u64(b, 64) as i64,
            atime: t(72),
            mtime: t(88),
            ctime: t(104),
        }
    }
}

/// `struct statx` (256 bytes); only the fields Lintel fills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statx {
    pub mask: u32,
    pub blksize: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u16,
    pub ino: u64,
    pub size: u64,
    pub blocks: u64,
    pub atime: (i64, u32),
    pub btime: (i64, u32),
    pub ctime: (i64, u32),
    pub mtime: (i64, u32),
    pub rdev: (u32, u32),
    pub dev: (u32, u32),
    pub mnt_id: u64,
}

impl Pod for Statx {
    const SIZE: usize = 256;
    fn encode(&self, out: &mut [u8]) {
        out[..256].fill(0);
        put(out, 0, &self.mask.to_le_bytes());
        put(out, 4, &self.blksize.to_le_bytes());
        put(out, 16, &self.nlink.to_le_bytes());
        put(out, 20, &self.uid.to_le_bytes());
        put(out, 24, &self.gid.to_le_bytes());
        put(out, 28, &self.mode.to_le_bytes());
        put(out, 32, &self.ino.to_le_bytes());
        put(out, 40, &self.size.to_le_bytes());
        put(out, 48, &self.blocks.to_le_bytes());
        for (i, t) in [self.atime, self.btime, self.ctime, self.mtime]
            .iter()
            .enumerate()
        {
            put(out, 64 + i * 16, &t.0.to_le_bytes());
            put(out, 72 + i * 16, &t.1.to_le_bytes());
        }
        put(out, 128, &self.rdev.0.to_le_bytes());
        put(out, 132, &self.rdev.1.to_le_bytes());
        put(out, 136, &self.dev.0.to_le_bytes());
        put(out, 140, &self.dev.1.to_le_bytes());
        put(out, 144, &self.mnt_id.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Statx {
            mask: get_u32(b, 0),
            blksize: get_u32(b, 4),
            nlink: get_u32(b, 16),
            uid: get_u32(b, 20),
            gid: get_u32(b, 24),
            mode: get_u16(b, 28),
            ino: get_u64(b, 32),
            size: get_u64(b, 40),
            blocks: get_u64(b, 48),
            mnt_id: get_u64(b, 144),
            ..Statx::default()
        }
    }
}

/// `struct statfs` (x86_64, 120 bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Statfs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: u64,
    pub namelen: u64,
    pub frsize: u64,
    pub flags: u64,
}

impl Pod for Statfs {
    const SIZE: usize = 120;
    fn encode(&self, out: &mut [u8]) {
        out[..120].fill(0);
        let v = [
            self.fs_type,
            self.bsize,
            self.blocks,
            self.bfree,
            self.bavail,
            self.files,
            self.ffree,
            self.fsid,
            self.namelen,
            self.frsize,
            self.flags,
        ];
        for (i, x) in v.iter().enumerate() {
            put(out, i * 8, &x.to_le_bytes());
        }
    }
    fn decode(b: &[u8]) -> Self {
        let g = |i: usize| get_u64(b, i * 8);
        Statfs {
            fs_type: g(0),
            bsize: g(1),
            blocks: g(2),
            bfree: g(3),
            bavail: g(4),
            files: g(5),
            ffree: g(6),
            fsid: g(7),
            namelen: g(8),
            frsize: g(9),
            flags: g(10),
        }
    }
}

/// `struct flock` (x86_64, 32 bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flock {
    pub kind: i16,
    pub whence: i16,
    pub start: i64,
    pub len: i64,
    pub pid: i32,
}

impl Pod for Flock {
    const SIZE: usize = 32;
    fn encode(&self, out: &mut [u8]) {
        out[..32].fill(0);
        put(out, 0, &self.kind.to_le_bytes());
        put(out, 2, &self.whence.to_le_bytes());
        put(out, 8, &self.start.to_le_bytes());
        put(out, 16, &self.len.to_le_bytes());
        put(out, 24, &self.pid.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        Flock {
            kind: get_u16(b, 0) as i16,
            whence: get_u16(b, 2) as i16,
            start: get_u64(b, 8) as i64,
            len: get_u64(b, 16) as i64,
            pid: get_u32(b, 24) as i32,
        }
    }
}
