//! The memory devices of Linux's drivers/char/mem.c and random.c: null,
//! zero, full, random, urandom. They ignore the offset, but are not
//! streams: pread and lseek work on them, as on Linux.

use lintel_vfs::{Errno, Handle, VfsResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemDev {
    /// Reads end of file, writes are swallowed.
    Null,
    /// Reads zeros, writes are swallowed.
    Zero,
    /// Reads zeros, writes fail with ENOSPC.
    Full,
    /// Reads the entropy source; writes are accepted (Linux mixes them in).
    Random,
}

impl MemDev {
    /// (name, minor) under major 1, as Linux numbers them.
    pub const ALL: [(&'static str, MemDev, u64); 5] = [
        ("null", MemDev::Null, 3),
        ("zero", MemDev::Zero, 5),
        ("full", MemDev::Full, 7),
        ("random", MemDev::Random, 8),
        ("urandom", MemDev::Random, 9),
    ];
}

pub struct MemHandle {
    pub dev: MemDev,
    pub entropy: fn(&mut [u8]),
}

impl Handle for MemHandle {
    fn read_at(&self, _off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        match self.dev {
            MemDev::Null => return Ok(0),
            MemDev::Zero | MemDev::Full => buf.fill(0),
            MemDev::Random => (self.entropy)(buf),
        }
        Ok(buf.len())
    }

    fn write_at(&self, _off: u64, data: &[u8]) -> VfsResult<usize> {
        match self.dev {
            MemDev::Full => Err(Errno::ENOSPC),
            _ => Ok(data.len()),
        }
    }
}
