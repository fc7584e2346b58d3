//! INIT: version and capability negotiation.
//!
//! We offer 7.38 (the layouts of Linux 6.3's fuse.h) and accept any daemon
//! answering 7.31 or newer; QEMU's C virtiofsd speaks 7.31+, the Rust
//! virtiofsd 7.38. The capabilities asked for are those whose semantics
//! this client honours, no more:
//!
//! - ASYNC_READ: reads may be in flight in parallel (many threads do).
//! - BIG_WRITES: writes larger than a page (without it Linux, and this
//!   client, send one page per WRITE).
//! - DO_READDIRPLUS: READDIRPLUS returns entries with attributes.
//! - PARALLEL_DIROPS: lookups and readdirs in one directory may run in
//!   parallel; nothing here serializes them.
//! - MAX_PAGES: the daemon says how many pages a READ/WRITE may carry.
//!
//! Not asked for: WRITEBACK_CACHE (there is no page cache to write back),
//! POSIX_LOCKS and FLOCK_LOCKS (no lock requests are sent), ATOMIC_O_TRUNC
//! (O_TRUNC is a separate SETATTR, as the VFS does it), AUTO_INVAL_DATA,
//! EXPLICIT_INVAL_DATA and CACHE_SYMLINKS (nothing to invalidate),
//! HANDLE_KILLPRIV(_V2), POSIX_ACL, SUBMOUNTS, the DAX flags, and INIT_EXT
//! (nothing in `flags2` is wanted; `fuse_init_in` still goes out at its
//! full 64 bytes, as QEMU's C virtiofsd reads it).

use crate::codec::{
    check_reply, init_flags as f, Creds, InitIn, InitOut, Request, Wire, KERNEL_MINOR_VERSION,
    KERNEL_VERSION, MIN_MINOR_VERSION, OUT_HEADER_SIZE,
};
use crate::errno::Errno;
use crate::transport::Transport;

/// The INIT flags this client sends.
pub const REQUESTED_FLAGS: u64 =
    f::ASYNC_READ | f::BIG_WRITES | f::DO_READDIRPLUS | f::PARALLEL_DIROPS | f::MAX_PAGES;

const PAGE_SIZE: usize = 4096;
/// Pages per request without MAX_PAGES (`FUSE_DEFAULT_MAX_PAGES_PER_REQ`).
const DEFAULT_MAX_PAGES: u16 = 32;
/// Linux's default cap (`fuse_max_pages_limit`); also the 1 MiB READ the
/// Rust virtiofsd accepts.
const MAX_MAX_PAGES: u16 = 256;

/// What INIT settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitInfo {
    pub major: u32,
    /// The smaller of ours and the daemon's.
    pub minor: u32,
    /// Capabilities both sides enabled ([`REQUESTED_FLAGS`] at most).
    pub flags: u64,
    /// Largest WRITE payload the daemon takes (at least 4096, as Linux).
    pub max_write: u32,
    /// Pages per READ/WRITE: the daemon's with MAX_PAGES (1..=256), else 32.
    pub max_pages: u16,
    pub max_readahead: u32,
    /// Timestamp granularity in nanoseconds.
    pub time_gran: u32,
    pub max_background: u16,
    pub congestion_threshold: u16,
}

impl InitInfo {
    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag == flag
    }

    /// Bytes per READ (and READDIR) request.
    pub fn read_chunk(&self) -> usize {
        usize::from(self.max_pages) * PAGE_SIZE
    }

    /// Bytes per WRITE request: one page without BIG_WRITES, else
    /// max_write within max_pages.
    pub fn write_chunk(&self) -> usize {
        if !self.has(f::BIG_WRITES) {
            return PAGE_SIZE;
        }
        usize::try_from(self.max_write)
            .map_or(usize::MAX, |w| w.max(PAGE_SIZE))
            .min(self.read_chunk())
    }

    /// Settles an INIT reply: 7.x with x >= 31, or EPROTO.
    pub fn from_reply(out: &InitOut) -> Result<InitInfo, Errno> {
        if out.major != KERNEL_VERSION || out.minor < MIN_MINOR_VERSION {
            return Err(Errno::EPROTO);
        }
        let flags = out.flags64() & REQUESTED_FLAGS;
        let max_pages = if flags & f::MAX_PAGES != 0 {
            out.max_pages.clamp(1, MAX_MAX_PAGES)
        } else {
            DEFAULT_MAX_PAGES
        };
        Ok(InitInfo {
            major: out.major,
            minor: out.minor.min(KERNEL_MINOR_VERSION),
            flags,
            max_write: out.max_write.max(PAGE_SIZE as u32),
            max_pages,
            max_readahead: out.max_readahead,
            time_gran: out.time_gran,
            max_background: out.max_background,
            congestion_threshold: out.congestion_threshold,
        })
    }
}

/// The INIT request this client sends. No readahead is done, so none is offered.
pub(crate) fn init_request() -> InitIn {
    InitIn {
        major: KERNEL_VERSION,
        minor: KERNEL_MINOR_VERSION,
        max_readahead: 0,
        flags: REQUESTED_FLAGS as u32,
        flags2: (REQUESTED_FLAGS >> 32) as u32,
        unused: [0; 11],
    }
}

pub(super) fn negotiate(
    transport: &dyn Transport,
    unique: u64,
    creds: Creds,
) -> Result<InitInfo, Errno> {
    let head = Request::Init(init_request()).encode(unique, 0, creds, 0)?;
    let mut out = [0u8; OUT_HEADER_SIZE];
    let mut body = [0u8; InitOut::SIZE];
    let n = transport.request(&[&head], &mut [&mut out[..], &mut body[..]])?;
    if n > OUT_HEADER_SIZE + InitOut::SIZE {
        return Err(Errno::EIO);
    }
    let len = check_reply(&out, n, unique)??;
    let reply = InitOut::decode(body.get(..len).ok_or(Errno::EIO)?)?;
    InitInfo::from_reply(&reply)
}
