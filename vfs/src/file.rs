//! `File`: an open file description — what open(2) creates and dup(2)
//! shares: the object, the offset and the status flags.

use crate::mount::Path;
use crate::types::{Errno, OpenFlags, PollEvents, VfsResult};
use crate::vnode::{Handle, VnodeRef};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

/// What an fd refers to besides files in a file system (pipes, later
/// sockets and event fds) implements this. Reads and writes never block:
/// they return EAGAIN and the syscall layer waits for `poll` to change.
pub trait FileOps: Send + Sync {
    fn read(&self, buf: &mut [u8]) -> VfsResult<usize>;
    fn write(&self, data: &[u8]) -> VfsResult<usize>;
    /// What the file is ready for now, as Linux's `f_op->poll` mask
    /// (poll filters it by the events asked for; ERR and HUP always count).
    fn poll(&self) -> PollEvents;
    /// A count that grows with every event a waiter may care about (data
    /// arriving, room appearing, the peer closing), so edge-triggered
    /// epoll reports a new arrival even when the ready mask did not change.
    fn event_seq(&self) -> u64 {
        0
    }
    /// The `st_mode` type and permission bits fstat reports.
    fn mode(&self) -> u32;
    fn ioctl(&self, _req: u64, _arg: u64) -> VfsResult<u64> {
        Err(Errno::ENOTTY)
    }
    fn is_tty(&self) -> bool {
        false
    }
    /// The inode number fstat shows (unique among live special files).
    fn ino(&self) -> u64 {
        0
    }
    /// What readlink of /proc/self/fd/N shows, e.g. "pipe:[5]".
    fn describe(&self) -> alloc::vec::Vec<u8> {
        alloc::vec::Vec::from(&b"anon_inode:[unknown]"[..])
    }
    /// Bytes a read would return at once (FIONREAD).
    fn available(&self) -> usize {
        0
    }
}

pub enum FileKind {
    /// A file-system object opened by path.
    Node {
        path: Path,
        handle: Option<Arc<dyn Handle>>,
    },
    /// Anything else.
    Special(Arc<dyn FileOps>),
}

pub struct File {
    pub kind: FileKind,
    /// Access mode and status flags (O_APPEND, O_NONBLOCK, ...).
    flags: AtomicU32,
    pub offset: Mutex<u64>,
}

pub type FileRef = Arc<File>;

impl File {
    pub fn new_node(path: Path, handle: Option<Arc<dyn Handle>>, flags: OpenFlags) -> FileRef {
        Arc::new(File {
            kind: FileKind::Node { path, handle },
            flags: AtomicU32::new(flags.bits()),
            offset: Mutex::new(0),
        })
    }

    pub fn new_special(ops: Arc<dyn FileOps>, flags: OpenFlags) -> FileRef {
        Arc::new(File {
            kind: FileKind::Special(ops),
            flags: AtomicU32::new(flags.bits()),
            offset: Mutex::new(0),
        })
    }

    pub fn flags(&self) -> OpenFlags {
        OpenFlags::from_bits_retain(self.flags.load(Ordering::Relaxed))
    }

    /// F_SETFL: only the status flags change.
    pub fn set_status_flags(&self, f: OpenFlags) {
        let keep = self.flags() & !OpenFlags::STATUS;
        self.flags
            .store((keep | (f & OpenFlags::STATUS)).bits(), Ordering::Relaxed);
    }

    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            FileKind::Node { path, .. } => Some(path),
            FileKind::Special(_) => None,
        }
    }

    pub fn vnode(&self) -> Option<&VnodeRef> {
        self.path().map(|p| p.dentry.vnode())
    }

    /// The handle for I/O: EBADF for O_PATH files.
    pub fn handle(&self) -> VfsResult<&Arc<dyn Handle>> {
        match &self.kind {
            FileKind::Node {
                handle: Some(h), ..
            } => Ok(h),
            _ => Err(Errno::EBADF),
        }
    }
}
