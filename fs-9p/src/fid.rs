//! Fids: the client's handles for files on the server. Numbers come from a
//! pool and go back to it once the server has forgotten them (Tclunk, or
//! Tremove, or a request that never established them).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use spin::Mutex;

use crate::client::Session;
use crate::codec::NOFID;
use crate::errno::Errno;

pub(crate) struct FidPool {
    inner: Mutex<FidState>,
}

struct FidState {
    /// Returned numbers, reused first (LIFO), so the numbers in use stay
    /// dense and the pool's size tracks the peak of live fids.
    free: Vec<u32>,
    /// The lowest number never handed out.
    next: u32,
    live: usize,
    /// Numbers retired after an exchange whose outcome is unknown.
    retired: usize,
}

/// Counters of the fid pool, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FidStats {
    /// Fids the server knows (or is being asked to learn) right now.
    pub live: usize,
    /// Numbers ever handed out: the pool's high-water mark.
    pub allocated: u32,
    /// Numbers waiting for reuse.
    pub free: usize,
    /// Numbers never reused because a transport failure left their state on
    /// the server unknown.
    pub retired: usize,
}

impl FidPool {
    pub(crate) fn new() -> Self {
        FidPool {
            inner: Mutex::new(FidState {
                free: Vec::new(),
                next: 0,
                live: 0,
                retired: 0,
            }),
        }
    }

    pub(crate) fn alloc(&self) -> Result<u32, Errno> {
        let mut s = self.inner.lock();
        let id = match s.free.pop() {
            Some(id) => id,
            None if s.next < NOFID => {
                let id = s.next;
                s.next += 1;
                id
            }
            // Four billion fids: only reachable through retirements.
            None => return Err(Errno::ENFILE),
        };
        s.live += 1;
        Ok(id)
    }

    /// The server no longer knows `id`: it can be handed out again.
    pub(crate) fn release(&self, id: u32) {
        let mut s = self.inner.lock();
        s.live = s.live.saturating_sub(1);
        s.free.push(id);
    }

    /// The server may or may not know `id`: never reuse it, since a walk to
    /// a fid the server still holds would fail.
    pub(crate) fn retire(&self) {
        let mut s = self.inner.lock();
        s.live = s.live.saturating_sub(1);
        s.retired += 1;
    }

    pub(crate) fn stats(&self) -> FidStats {
        let s = self.inner.lock();
        FidStats {
            live: s.live,
            allocated: s.next,
            free: s.free.len(),
            retired: s.retired,
        }
    }
}

/// A fid the server knows. Dropping it sends Tclunk and returns the number
/// to the pool; [`Client::clunk`](crate::Client::clunk) does the same and
/// reports the server's answer.
pub struct Fid {
    pub(crate) session: Arc<Session>,
    pub(crate) id: u32,
    /// The iounit from Rlopen/Rlcreate (0: none given), which bounds I/O chunks.
    iounit: AtomicU32,
    /// False once clunked or removed explicitly, so drop does nothing.
    live: bool,
}

impl Fid {
    pub(crate) fn new(session: Arc<Session>, id: u32) -> Fid {
        Fid {
            session,
            id,
            iounit: AtomicU32::new(0),
            live: true,
        }
    }

    /// The fid number on the wire.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The iounit the server gave when this fid was opened (0 if none).
    pub fn iounit(&self) -> u32 {
        self.iounit.load(Ordering::Relaxed)
    }

    pub(crate) fn set_iounit(&self, iounit: u32) {
        self.iounit.store(iounit, Ordering::Relaxed);
    }

    /// Takes the number out of the handle; drop will not clunk it.
    pub(crate) fn disarm(mut self) -> (Arc<Session>, u32) {
        self.live = false;
        (self.session.clone(), self.id)
    }
}

impl core::fmt::Debug for Fid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Fid")
            .field("id", &self.id)
            .field("iounit", &self.iounit())
            .finish()
    }
}

impl Drop for Fid {
    fn drop(&mut self) {
        if self.live {
            // Nobody to report a failure to; the number is recycled or
            // retired as the outcome allows.
            let _ = self.session.clunk_id(self.id);
        }
    }
}

/// A number reserved for a request that will create a fid (attach, walk,
/// xattrwalk). If the request fails the server never learned it.
pub(crate) struct FidSlot {
    session: Arc<Session>,
    pub(crate) id: u32,
    done: bool,
}

impl FidSlot {
    pub(crate) fn new(session: &Arc<Session>) -> Result<FidSlot, Errno> {
        let id = session.fids.alloc()?;
        Ok(FidSlot {
            session: session.clone(),
            id,
            done: false,
        })
    }

    /// The server accepted the fid.
    pub(crate) fn establish(mut self) -> Fid {
        self.done = true;
        Fid::new(self.session.clone(), self.id)
    }

    /// The request's outcome is unknown (no valid reply): never reuse the number.
    pub(crate) fn retire(mut self) {
        self.done = true;
        self.session.fids.retire();
    }
}

impl Drop for FidSlot {
    /// The request failed cleanly: the server never bound the number.
    fn drop(&mut self) {
        if !self.done {
            self.session.fids.release(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_reuses_lifo_and_counts() {
        let pool = FidPool::new();
        let a = pool.alloc().unwrap();
        let b = pool.alloc().unwrap();
        assert_eq!((a, b), (0, 1));
        pool.release(a);
        assert_eq!(pool.alloc().unwrap(), a);
        pool.retire();
        let s = pool.stats();
        assert_eq!(
            s,
            FidStats {
                live: 1,
                allocated: 2,
                free: 0,
                retired: 1
            }
        );
        for _ in 0..100_000 {
            let id = pool.alloc().unwrap();
            pool.release(id);
        }
        assert_eq!(pool.stats().allocated, 3);
    }
}
