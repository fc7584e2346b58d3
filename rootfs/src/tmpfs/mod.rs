//! tmpfs: a read/write file system in memory, as Linux's shmem. Regular
//! files are sparse page maps, directories ordered name maps with stable
//! readdir cookies; open files keep their inode alive after unlink.

mod dir;
mod handle;
mod inode;
mod namespace;
mod options;
mod pages;
mod rename;

pub use options::TmpfsOptions;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use inode::Inode;
use lintel_vfs::{Errno, FileSystem, StatFs, Timespec, VfsResult, VnodeRef, NAME_MAX, TMPFS_MAGIC};
use spin::Mutex;

pub use pages::PAGE_SIZE;

/// What every inode of one instance shares: the clock, inode numbers,
/// space accounting, and the lock that serialises changes to names.
pub(crate) struct Shared {
    pub now: fn() -> Timespec,
    next_ino: AtomicU64,
    /// Held by every operation that changes a directory, so that a check
    /// (empty? exists? inside itself?) and the change it guards are atomic
    /// across directories. Reads (lookup, readdir) do not take it.
    pub names: Mutex<()>,
    used_pages: AtomicU64,
    limit_pages: Option<u64>,
}

impl Shared {
    pub fn ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }

    /// Reserves `n` pages of the size limit: ENOSPC beyond it.
    pub fn charge(&self, n: u64) -> VfsResult<()> {
        let limit = self.limit_pages.unwrap_or(u64::MAX);
        self.used_pages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&u| u <= limit)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    pub fn uncharge(&self, n: u64) {
        // Saturating: accounting must never wrap, whatever the order of drops.
        let _ = self
            .used_pages
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                Some(u.saturating_sub(n))
            });
    }
}

pub struct Tmpfs {
    shared: Arc<Shared>,
    root: Arc<Inode>,
}

impl Tmpfs {
    /// A new, empty instance; `now` is the kernel's realtime clock.
    pub fn new(now: fn() -> Timespec, opts: TmpfsOptions) -> Arc<Tmpfs> {
        let limit_pages = opts
            .size_limit
            .filter(|&s| s != 0)
            .map(|s| s.div_ceil(PAGE_SIZE as u64));
        let shared = Arc::new(Shared {
            now,
            next_ino: AtomicU64::new(1),
            names: Mutex::new(()),
            used_pages: AtomicU64::new(0),
            limit_pages,
        });
        let root = Inode::new_root(&shared, opts.mode & 0o7777);
        Arc::new(Tmpfs { shared, root })
    }

    /// Bytes held by file pages (what counts against the size limit).
    pub fn used_bytes(&self) -> u64 {
        self.shared.used_pages.load(Ordering::Acquire) * PAGE_SIZE as u64
    }
}

/// statfs as Linux's shmem: without a size limit the block counts are 0.
pub(crate) fn statfs(fs: &Shared) -> StatFs {
    let used = fs.used_pages.load(Ordering::Acquire);
    let (blocks, free) = match fs.limit_pages {
        Some(l) => (l, l.saturating_sub(used)),
        None => (0, 0),
    };
    StatFs {
        fs_type: TMPFS_MAGIC,
        bsize: PAGE_SIZE as u64,
        frsize: PAGE_SIZE as u64,
        blocks,
        bfree: free,
        bavail: free,
        files: 0,
        ffree: 0,
        namelen: NAME_MAX as u64,
        flags: 0,
    }
}

impl FileSystem for Tmpfs {
    fn root(&self) -> VnodeRef {
        self.root.clone()
    }
    fn name(&self) -> &str {
        "tmpfs"
    }
}
