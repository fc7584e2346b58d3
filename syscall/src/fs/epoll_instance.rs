//! An epoll instance (Linux's `struct eventpoll`): the interest list of
//! (fd, open file description) entries, the readiness rules of
//! level-triggered, edge-triggered and one-shot entries, and the checks
//! that keep nested instances acyclic and shallow.
//!
//! Nothing calls back into an instance when a file changes: readiness is
//! worked out when someone looks, from each file's poll mask and its
//! `event_seq` (which stands in for Linux's wake-up callbacks). Entries hold
//! their file weakly, so a description closed for good drops out, as
//! Linux's eventpoll_release does, without the fd table knowing of epoll.

use super::eventfd::{ANON_INODE_INO, ANON_INODE_MODE};
use super::poll::file_poll;
use crate::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use lintel_vfs::{File, FileKind, FileOps, FileRef, PollEvents, VfsResult};
use spin::Mutex;

pub const EPOLLIN: u32 = 0x1;
pub const EPOLLOUT: u32 = 0x4;
pub const EPOLLERR: u32 = 0x8;
pub const EPOLLHUP: u32 = 0x10;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

/// The bits that say how to report rather than what (EP_PRIVATE_BITS):
/// all a one-shot entry keeps once it has fired.
const EP_PRIVATE_BITS: u32 = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;

/// The only bits an EPOLLEXCLUSIVE entry may ask for.
pub const EPOLLEXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/// The longest chain of instances inside instances Linux allows.
const EP_MAX_NESTS: usize = 4;

/// One registration (Linux's `struct epitem`).
struct Epitem {
    fd: i32,
    file: Weak<File>,
    /// What to report and how; EPOLLERR and EPOLLHUP are always among them.
    events: u32,
    data: u64,
    /// Edge-triggered: the ready bits last reported, or last looked at
    /// while there was nothing to report (so bits lost and regained count
    /// as an edge even for a file without an event count).
    seen: u32,
    /// Edge-triggered: the file's event_seq at the last report.
    seq: Option<u64>,
}

type Key = (i32, usize);

fn key_of(fd: i32, f: &FileRef) -> Key {
    (fd, Arc::as_ptr(f) as usize)
}

/// A file's event count: a new event for an edge-triggered entry. None
/// for a file-system stream (a terminal), which keeps none: an entry on
/// it reports whenever it is ready, as an event between two looks could
/// not be seen, and a spurious report is better than a missed one.
fn file_seq(f: &File) -> Option<u64> {
    match &f.kind {
        FileKind::Special(ops) => Some(ops.event_seq()),
        FileKind::Node { .. } => None,
    }
}

impl Epitem {
    fn new(fd: i32, f: &FileRef, events: u32, data: u64) -> Self {
        Epitem {
            fd,
            file: Arc::downgrade(f),
            events,
            data,
            seen: 0,
            seq: file_seq(f),
        }
    }

    fn key(&self) -> Key {
        (self.fd, Weak::as_ptr(&self.file) as usize)
    }

    /// The ready bits of interest now and the file's event count.
    fn look(&self, f: &FileRef) -> (u32, Option<u64>) {
        (u32::from(file_poll(f).bits()) & self.events, file_seq(f))
    }

    /// Whether `look`'s answer is reported: any ready bit when
    /// level-triggered; when edge-triggered only bits gained or a new event.
    fn reportable(&self, (ready, seq): (u32, Option<u64>)) -> bool {
        ready != 0
            && (self.events & EPOLLET == 0
                || ready & !self.seen != 0
                || seq.is_none()
                || seq != self.seq)
    }
}

/// An entry picked for reporting by `Eventpoll::pick`.
pub struct Ready {
    key: Key,
    pub events: u32,
    pub data: u64,
    seq: Option<u64>,
}

pub struct Eventpoll {
    /// In Linux's ready-list order: entries reported go to the back, so
    /// with a small maxevents every ready entry gets its turn.
    items: Mutex<Vec<Epitem>>,
    /// Changes to the interest list, part of this instance's event count.
    changes: AtomicU64,
}

/// The live instances by address, so epoll_ctl/epoll_wait can tell an
/// instance from another special file (`FileOps` offers no downcast) and
/// the nesting check can find an instance's parents.
static INSTANCES: Mutex<BTreeMap<usize, Weak<Eventpoll>>> = Mutex::new(BTreeMap::new());

/// Held while an instance is added to another, so that two such additions
/// cannot together close a cycle (Linux's epnested_mutex).
static NESTING: Mutex<()> = Mutex::new(());

impl Drop for Eventpoll {
    fn drop(&mut self) {
        INSTANCES
            .lock()
            .remove(&(self as *const Eventpoll as usize));
    }
}

impl Eventpoll {
    pub fn new() -> Arc<Self> {
        let ep = Arc::new(Eventpoll {
            items: Mutex::new(Vec::new()),
            changes: AtomicU64::new(0),
        });
        INSTANCES
            .lock()
            .insert(Arc::as_ptr(&ep) as usize, Arc::downgrade(&ep));
        ep
    }

    /// The instance `f` is, if it is one.
    pub fn of(f: &File) -> Option<Arc<Eventpoll>> {
        let FileKind::Special(ops) = &f.kind else {
            return None;
        };
        let addr = Arc::as_ptr(ops) as *const () as usize;
        INSTANCES.lock().get(&addr).and_then(Weak::upgrade)
    }

    /// EPOLL_CTL_ADD: ELOOP if `f` is an instance this one would end up
    /// inside of (or too deep), EEXIST if (fd, f) is registered already.
    pub fn insert(&self, fd: i32, f: &FileRef, events: u32, data: u64) -> Result<(), Errno> {
        let nested = Eventpoll::of(f);
        let _nesting = nested.as_ref().map(|_| NESTING.lock());
        if let Some(to) = &nested {
            self.loop_check(to)?;
        }
        let mut items = self.items.lock();
        items.retain(|it| it.file.strong_count() > 0);
        let key = key_of(fd, f);
        if items.iter().any(|it| it.key() == key) {
            return Err(Errno::EEXIST);
        }
        items.push(Epitem::new(fd, f, events, data));
        drop(items);
        self.changed();
        Ok(())
    }

    /// EPOLL_CTL_MOD: new events and data, and a fresh start for an edge-
    /// triggered or fired one-shot entry. EINVAL for an EPOLLEXCLUSIVE entry.
    pub fn modify(&self, fd: i32, f: &FileRef, events: u32, data: u64) -> Result<(), Errno> {
        let mut items = self.items.lock();
        let key = key_of(fd, f);
        let it = items
            .iter_mut()
            .find(|it| it.key() == key)
            .ok_or(Errno::ENOENT)?;
        if it.events & EPOLLEXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        *it = Epitem::new(fd, f, events, data);
        drop(items);
        self.changed();
        Ok(())
    }

    /// EPOLL_CTL_DEL.
    pub fn remove(&self, fd: i32, f: &FileRef) -> Result<(), Errno> {
        let mut items = self.items.lock();
        let key = key_of(fd, f);
        let i = items
            .iter()
            .position(|it| it.key() == key)
            .ok_or(Errno::ENOENT)?;
        items.remove(i);
        Ok(())
    }

    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Relaxed);
        lintel_vfs::wake_waiters();
    }

    /// Whether `pick` would find anything (changes nothing).
    pub fn any_ready(&self) -> bool {
        self.items.lock().iter().any(|it| {
            it.file
                .upgrade()
                .is_some_and(|f| it.reportable(it.look(&f)))
        })
    }

    /// Up to `max` entries to report, in order. Nothing is consumed until
    /// `commit` says which were delivered.
    pub fn pick(&self, max: usize) -> Vec<Ready> {
        let mut items = self.items.lock();
        items.retain(|it| it.file.strong_count() > 0);
        let mut out = Vec::new();
        for it in items.iter_mut() {
            if out.len() >= max {
                break;
            }
            let Some(f) = it.file.upgrade() else { continue };
            let now = it.look(&f);
            if it.reportable(now) {
                out.push(Ready {
                    key: it.key(),
                    events: now.0,
                    data: it.data,
                    seq: now.1,
                });
            } else {
                it.seen = now.0;
            }
        }
        out
    }

    /// The entries of `done` were delivered: edge-triggered ones remember
    /// what they reported, one-shot ones are disabled until EPOLL_CTL_MOD,
    /// and all go to the back of the line.
    pub fn commit(&self, done: &[Ready]) {
        if done.is_empty() {
            return;
        }
        let delivered: BTreeMap<Key, &Ready> = done.iter().map(|r| (r.key, r)).collect();
        let mut items = self.items.lock();
        let (rest, mut reported): (Vec<Epitem>, Vec<Epitem>) = items
            .drain(..)
            .partition(|it| !delivered.contains_key(&it.key()));
        for it in reported.iter_mut() {
            if let Some(r) = delivered.get(&it.key()) {
                it.seen = r.events;
                it.seq = r.seq;
            }
            if it.events & EPOLLONESHOT != 0 {
                it.events &= EP_PRIVATE_BITS;
            }
        }
        *items = rest;
        items.append(&mut reported);
    }

    /// The instances registered in this one.
    fn children(&self) -> Vec<Arc<Eventpoll>> {
        let files: Vec<FileRef> = self
            .items
            .lock()
            .iter()
            .filter_map(|it| it.file.upgrade())
            .collect();
        files.iter().filter_map(|f| Eventpoll::of(f)).collect()
    }

    /// Linux's ep_loop_check for adding `to` to `self`: no path from `to`
    /// may lead back here, and the longest chain of instances through the
    /// new link (parents above `self`, `to` and what is below it) may hold
    /// at most EP_MAX_NESTS links.
    fn loop_check(&self, to: &Arc<Eventpoll>) -> Result<(), Errno> {
        let below = to.depth_below(self)?;
        if below + 1 + self.depth_above() > EP_MAX_NESTS {
            return Err(Errno::ELOOP);
        }
        Ok(())
    }

    /// The longest chain of instances below this one; ELOOP if `target`
    /// is among them.
    fn depth_below(&self, target: &Eventpoll) -> Result<usize, Errno> {
        let mut depth = 0;
        for c in self.children() {
            if core::ptr::eq(c.as_ref(), target) {
                return Err(Errno::ELOOP);
            }
            depth = depth.max(1 + c.depth_below(target)?);
        }
        Ok(depth)
    }

    /// The longest chain of instances this one is inside of.
    fn depth_above(&self) -> usize {
        let all: Vec<Arc<Eventpoll>> = INSTANCES
            .lock()
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        let me = self as *const Eventpoll;
        all.iter()
            .filter(|p| {
                p.children()
                    .iter()
                    .any(|c| core::ptr::eq(Arc::as_ptr(c), me))
            })
            .map(|p| 1 + p.depth_above())
            .max()
            .unwrap_or(0)
    }
}

/// The instance is a file too: readable while an entry is ready, so it
/// can be polled, selected and put in another instance.
impl FileOps for Eventpoll {
    fn read(&self, _: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EINVAL)
    }

    fn write(&self, _: &[u8]) -> VfsResult<usize> {
        Err(Errno::EINVAL)
    }

    fn poll(&self) -> PollEvents {
        if self.any_ready() {
            PollEvents::READABLE
        } else {
            PollEvents::empty()
        }
    }

    /// Grows with every event of a registered file and every change to the
    /// interest list: what wakes an instance's own waiters on Linux.
    fn event_seq(&self) -> u64 {
        let files: Vec<FileRef> = self
            .items
            .lock()
            .iter()
            .filter_map(|it| it.file.upgrade())
            .collect();
        files
            .iter()
            .fold(self.changes.load(Ordering::Relaxed), |s, f| {
                s.wrapping_add(file_seq(f).unwrap_or(0))
            })
    }

    fn mode(&self) -> u32 {
        ANON_INODE_MODE
    }

    fn ino(&self) -> u64 {
        ANON_INODE_INO
    }

    fn describe(&self) -> Vec<u8> {
        Vec::from(&b"anon_inode:[eventpoll]"[..])
    }
}
