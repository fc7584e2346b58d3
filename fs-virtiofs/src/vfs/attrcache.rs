//! Per-vnode attributes, kept until the daemon's `attr_valid` runs out or
//! our own change invalidates them.
//!
//! A reply may race with an invalidation (a GETATTR sent before a WRITE
//! returns after it): every reply is stored with a ticket, the mount's
//! version when its request left, and is dropped if an invalidation came
//! since (Linux's `attr_version`).

use core::sync::atomic::{AtomicU64, Ordering};
use lintel_vfs::Attr;
use spin::Mutex;

/// The mount-wide versions.
pub(crate) struct Versions {
    version: AtomicU64,
    /// The version of the last "forget all attributes".
    all_invalid_at: AtomicU64,
}

/// Taken before a request whose reply carries attributes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket(u64);

impl Versions {
    pub fn new() -> Self {
        Versions {
            version: AtomicU64::new(1),
            all_invalid_at: AtomicU64::new(0),
        }
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.version.load(Ordering::Acquire))
    }

    fn bump(&self) -> u64 {
        self.version.fetch_add(1, Ordering::AcqRel).wrapping_add(1)
    }

    /// Every slot becomes stale (a removal changed some unknown file's nlink).
    pub fn invalidate_all(&self) {
        let v = self.bump();
        self.all_invalid_at.fetch_max(v, Ordering::AcqRel);
    }

    fn all_invalid_at(&self) -> u64 {
        self.all_invalid_at.load(Ordering::Acquire)
    }
}

#[derive(Default)]
struct Slot {
    attr: Option<Attr>,
    /// Clock time past which `attr` is stale.
    expires: u64,
    /// The ticket `attr` came with.
    filled: u64,
    /// The version of this slot's last invalidation.
    invalid_at: u64,
    /// The latest attributes any reply brought, valid or not: what a
    /// directory we removed last was (removed.rs).
    last: Option<Attr>,
}

#[derive(Default)]
pub(crate) struct AttrCache {
    slot: Mutex<Slot>,
}

impl AttrCache {
    /// The attributes, if still valid at `now`.
    pub fn get(&self, v: &Versions, now: u64) -> Option<Attr> {
        let s = self.slot.lock();
        if now < s.expires && s.filled >= v.all_invalid_at() {
            s.attr
        } else {
            None
        }
    }

    /// Keeps `attr` until `expires`, unless an invalidation came after `t`.
    pub fn put(&self, v: &Versions, attr: Attr, expires: u64, t: Ticket) {
        let mut s = self.slot.lock();
        s.last = Some(attr);
        if t.0 < s.invalid_at || t.0 < v.all_invalid_at() {
            return;
        }
        *s = Slot {
            attr: Some(attr),
            expires,
            filled: t.0,
            invalid_at: s.invalid_at,
            last: s.last,
        };
    }

    /// The latest attributes seen, however old.
    pub fn last(&self) -> Option<Attr> {
        self.slot.lock().last
    }

    pub fn invalidate(&self, v: &Versions) {
        let at = v.bump();
        let mut s = self.slot.lock();
        s.invalid_at = s.invalid_at.max(at);
        s.expires = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lintel_vfs::Timespec;

    fn attr(size: u64) -> Attr {
        let t = Timespec::default();
        Attr {
            ino: 1,
            mode: 0o100644,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size,
            blksize: 4096,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
        }
    }

    #[test]
    fn expiry_and_races() {
        let v = Versions::new();
        let c = AttrCache::default();
        c.put(&v, attr(1), 100, v.ticket());
        assert_eq!(c.get(&v, 99).map(|a| a.size), Some(1));
        assert_eq!(c.get(&v, 100), None, "expired");
        // A reply that left before an invalidation is not kept.
        let early = v.ticket();
        c.invalidate(&v);
        c.put(&v, attr(2), 1000, early);
        assert_eq!(c.get(&v, 0), None);
        c.put(&v, attr(3), 1000, v.ticket());
        assert_eq!(c.get(&v, 0).map(|a| a.size), Some(3));
        // Forgetting everything stales every slot, and early replies.
        let early = v.ticket();
        v.invalidate_all();
        assert_eq!(c.get(&v, 0), None);
        c.put(&v, attr(4), 1000, early);
        assert_eq!(c.get(&v, 0), None);
        c.put(&v, attr(5), 1000, v.ticket());
        assert_eq!(c.get(&v, 0).map(|a| a.size), Some(5));
        // The latest reply is remembered, even one too early to keep.
        let early = v.ticket();
        c.invalidate(&v);
        c.put(&v, attr(6), 1000, early);
        assert_eq!(c.get(&v, 0), None);
        assert_eq!(c.last().map(|a| a.size), Some(6));
    }
}
