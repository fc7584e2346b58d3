//! eventfd and eventfd2: a 64-bit counter read and written as a file.

use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use lintel_vfs::{FileOps, PollEvents, VfsResult};
use spin::Mutex;

const EFD_SEMAPHORE: u32 = 1;
const EFD_NONBLOCK: u32 = 0o4000;
const EFD_CLOEXEC: u32 = 0o2000000;
/// The most the counter holds: a write that would pass it waits.
const MAX_COUNT: u64 = u64::MAX - 1;

/// Anonymous-inode files (eventfd, timerfd) share one inode, as on Linux:
/// its number, and its mode, which has no file-type bits.
pub(crate) const ANON_INODE_INO: u64 = 1;
pub(crate) const ANON_INODE_MODE: u32 = 0o600;

struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    /// FileOps::event_seq: every read and write, as each wakes Linux's
    /// waiters (a write of 0 too), so edge-triggered epoll reports it.
    seq: AtomicU64,
}

/// The first 8 bytes of `data` as a native-endian u64 (EINVAL if shorter).
fn get_u64(data: &[u8]) -> VfsResult<u64> {
    let b = data.get(..8).ok_or(Errno::EINVAL)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_ne_bytes(a))
}

impl FileOps for EventFd {
    /// The counter, which resets to 0; in semaphore mode 1, and the counter
    /// drops by 1. EAGAIN (wait) while it is 0.
    fn read(&self, buf: &mut [u8]) -> VfsResult<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock();
        if *c == 0 {
            return Err(Errno::EAGAIN);
        }
        let v = if self.semaphore { 1 } else { *c };
        *c -= v;
        drop(c);
        buf[..8].copy_from_slice(&v.to_ne_bytes());
        self.seq.fetch_add(1, Ordering::Relaxed);
        // A writer waiting for room may go on.
        lintel_vfs::wake_waiters();
        Ok(8)
    }

    /// Adds the u64 in the first 8 bytes; EAGAIN (wait) while the sum
    /// would pass MAX_COUNT.
    fn write(&self, data: &[u8]) -> VfsResult<usize> {
        let v = get_u64(data)?;
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut c = self.count.lock();
        if v > MAX_COUNT - *c {
            return Err(Errno::EAGAIN);
        }
        *c += v;
        drop(c);
        self.seq.fetch_add(1, Ordering::Relaxed);
        lintel_vfs::wake_waiters();
        Ok(8)
    }

    fn poll(&self) -> PollEvents {
        let c = *self.count.lock();
        let mut ev = PollEvents::empty();
        if c > 0 {
            ev |= PollEvents::READABLE;
        }
        if c < MAX_COUNT {
            ev |= PollEvents::WRITABLE;
        }
        ev
    }

    fn event_seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    fn mode(&self) -> u32 {
        ANON_INODE_MODE
    }

    fn ino(&self) -> u64 {
        ANON_INODE_INO
    }

    fn describe(&self) -> Vec<u8> {
        Vec::from(&b"anon_inode:[eventfd]"[..])
    }
}

pub fn sys_eventfd2(cx: &mut Cx, initval: u64, flags: u64) -> SysResult {
    // Both arguments are C ints: the upper halves of the registers do not count.
    let flags = flags as u32;
    if flags & !(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(EventFd {
        count: Mutex::new(initval as u32 as u64),
        semaphore: flags & EFD_SEMAPHORE != 0,
        seq: AtomicU64::new(0),
    });
    super::fd::install_special(cx, ops, flags as u32)
}

pub fn sys_eventfd(cx: &mut Cx, initval: u64) -> SysResult {
    sys_eventfd2(cx, initval, 0)
}
