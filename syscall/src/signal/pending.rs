//! A set of pending signals (one per thread, one per process) with what
//! each carries: a standard signal (1..=31) is pending at most once, a
//! second send while pending is lost; a real-time signal (32..=64) queues
//! every send, in order, up to `RT_QUEUE_MAX` (Linux's RLIMIT_SIGPENDING
//! default is in the same range).

use super::{bit, SigInfo};
use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// The first real-time signal number (the kernel's SIGRTMIN; libcs reserve
/// a few above it for themselves).
pub const SIGRTMIN: u8 = 32;
/// Queued real-time signals per set before sends fail with EAGAIN.
pub const RT_QUEUE_MAX: usize = 1024;

struct Infos {
    standard: [SigInfo; 31],
    /// Real-time signals in arrival order, each with its own info.
    rt: VecDeque<SigInfo>,
}

pub struct SigPending {
    /// Bit `sig - 1` set while `sig` is pending: read without the lock by
    /// waits and the delivery fast path.
    set: AtomicU64,
    infos: Mutex<Infos>,
}

impl Default for SigPending {
    fn default() -> Self {
        SigPending {
            set: AtomicU64::new(0),
            infos: Mutex::new(Infos {
                standard: [SigInfo::default(); 31],
                rt: VecDeque::new(),
            }),
        }
    }
}

impl SigPending {
    /// The pending signals as a mask.
    pub fn bits(&self) -> u64 {
        self.set.load(Ordering::Acquire)
    }

    /// Adds `sig`; false when a real-time queue is full (the send fails).
    pub fn post(&self, sig: u8, info: SigInfo) -> bool {
        let mut i = self.infos.lock();
        if sig >= SIGRTMIN {
            if i.rt.len() >= RT_QUEUE_MAX {
                return false;
            }
            i.rt.push_back(SigInfo {
                signo: sig as i32,
                ..info
            });
        } else if self.bits() & bit(sig) == 0 {
            i.standard[sig as usize - 1] = info;
        }
        self.set.fetch_or(bit(sig), Ordering::Release);
        true
    }

    /// Adds `sig` replacing a pending one's info (faults: the newest
    /// address is the one that matters).
    pub fn force(&self, sig: u8, info: SigInfo) {
        if sig >= SIGRTMIN {
            self.post(sig, info);
            return;
        }
        let mut i = self.infos.lock();
        i.standard[sig as usize - 1] = info;
        self.set.fetch_or(bit(sig), Ordering::Release);
    }

    /// Takes the lowest-numbered pending signal in `want` (for a real-time
    /// one, its oldest send).
    pub fn take(&self, want: u64) -> Option<(u8, SigInfo)> {
        if self.bits() & want == 0 {
            return None;
        }
        let mut i = self.infos.lock();
        let set = self.bits() & want;
        if set == 0 {
            return None;
        }
        let sig = set.trailing_zeros() as u8 + 1;
        let mut info = if sig >= SIGRTMIN {
            let at = i.rt.iter().position(|x| x.signo == sig as i32);
            let info = at.and_then(|at| i.rt.remove(at)).unwrap_or_default();
            if !i.rt.iter().any(|x| x.signo == sig as i32) {
                self.set.fetch_and(!bit(sig), Ordering::Release);
            }
            info
        } else {
            self.set.fetch_and(!bit(sig), Ordering::Release);
            i.standard[sig as usize - 1]
        };
        info.signo = sig as i32;
        Some((sig, info))
    }

    /// Drops every pending instance of the signals in `mask` (a signal set
    /// to be ignored).
    pub fn discard(&self, mask: u64) {
        let mut i = self.infos.lock();
        i.rt.retain(|x| x.signo <= 0 || x.signo > 64 || mask & bit(x.signo as u8) == 0);
        self.set.fetch_and(!mask, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(sig: u8, v: u64) -> SigInfo {
        SigInfo {
            signo: sig as i32,
            b: v,
            ..Default::default()
        }
    }

    #[test]
    fn standard_signals_do_not_queue() {
        let p = SigPending::default();
        assert!(p.post(10, info(10, 1)));
        assert!(p.post(10, info(10, 2)));
        assert_eq!(
            p.take(u64::MAX),
            Some((10, info(10, 1))),
            "the first send's info"
        );
        assert_eq!(p.take(u64::MAX), None);
    }

    #[test]
    fn real_time_signals_queue_in_order_and_lowest_first() {
        let p = SigPending::default();
        for v in 0..3 {
            assert!(p.post(40, info(40, v)));
        }
        assert!(p.post(34, info(34, 9)));
        assert!(p.post(2, info(2, 7)));
        assert_eq!(p.take(u64::MAX).map(|x| x.0), Some(2));
        assert_eq!(p.take(u64::MAX), Some((34, info(34, 9))));
        for v in 0..3 {
            assert_eq!(p.take(u64::MAX), Some((40, info(40, v))));
        }
        assert_eq!(p.bits(), 0);
    }

    #[test]
    fn masks_queue_limits_and_discard() {
        let p = SigPending::default();
        assert!(p.post(33, info(33, 0)));
        assert!(p.post(5, info(5, 0)));
        assert_eq!(p.take(bit(6)), None, "nothing wanted is pending");
        p.discard(bit(33));
        assert_eq!(p.bits(), bit(5));
        for _ in 0..RT_QUEUE_MAX {
            assert!(p.post(50, info(50, 0)));
        }
        assert!(!p.post(50, info(50, 0)), "queue full");
        p.force(5, info(5, 42));
        assert_eq!(p.take(bit(5)), Some((5, info(5, 42))));
    }
}
