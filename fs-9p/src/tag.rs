//! Tag allocation: each request in flight carries a tag no other request in
//! flight has, so replies can be matched to requests.

use alloc::vec::Vec;

use spin::Mutex;

use crate::codec::NOTAG;
use crate::errno::Errno;

pub(crate) struct TagPool {
    inner: Mutex<TagState>,
}

struct TagState {
    /// Tags returned after use, reused first so the set of tags stays small.
    free: Vec<u16>,
    /// The lowest tag never handed out.
    next: u16,
}

impl TagPool {
    pub(crate) fn new() -> Self {
        TagPool {
            inner: Mutex::new(TagState {
                free: Vec::new(),
                next: 0,
            }),
        }
    }

    /// A tag for one request; it returns to the pool when the guard drops,
    /// unless [`TagGuard::poison`] was called.
    pub(crate) fn alloc(&self) -> Result<TagGuard<'_>, Errno> {
        let mut s = self.inner.lock();
        let tag = match s.free.pop() {
            Some(t) => t,
            // NOTAG (0xFFFF) belongs to Tversion.
            None if s.next < NOTAG => {
                let t = s.next;
                s.next += 1;
                t
            }
            None => return Err(Errno::EAGAIN),
        };
        Ok(TagGuard {
            pool: self,
            tag,
            poisoned: false,
        })
    }

    fn release(&self, tag: u16) {
        self.inner.lock().free.push(tag);
    }

    /// Tags handed out and not (yet) returned.
    #[cfg(test)]
    pub(crate) fn outstanding(&self) -> usize {
        let s = self.inner.lock();
        usize::from(s.next).saturating_sub(s.free.len())
    }
}

pub(crate) struct TagGuard<'a> {
    pool: &'a TagPool,
    pub(crate) tag: u16,
    poisoned: bool,
}

impl TagGuard<'_> {
    /// Keeps the tag out of circulation: after a transport failure the server
    /// may still answer it later, and that late reply must not be taken for
    /// the answer to a new request.
    pub(crate) fn poison(&mut self) {
        self.poisoned = true;
    }
}

impl Drop for TagGuard<'_> {
    fn drop(&mut self) {
        if !self.poisoned {
            self.pool.release(self.tag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_unique_while_held_and_reused() {
        let pool = TagPool::new();
        let a = pool.alloc().unwrap();
        let b = pool.alloc().unwrap();
        assert_ne!(a.tag, b.tag);
        let at = a.tag;
        drop(a);
        assert_eq!(pool.alloc().unwrap().tag, at);
        drop(b);
        assert_eq!(pool.outstanding(), 0);
    }

    #[test]
    fn exhaustion_is_eagain_and_poison_retires() {
        let pool = TagPool::new();
        let mut held = Vec::new();
        for _ in 0..0xFFFF {
            held.push(pool.alloc().unwrap());
        }
        assert!(held.iter().all(|g| g.tag != NOTAG));
        assert_eq!(pool.alloc().err(), Some(Errno::EAGAIN));
        let mut g = held.pop().unwrap();
        g.poison();
        drop(g);
        assert_eq!(pool.alloc().err(), Some(Errno::EAGAIN));
        held.pop();
        assert!(pool.alloc().is_ok());
    }
}
