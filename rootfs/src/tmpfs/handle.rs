//! An open tmpfs file or directory. The handle holds the inode, so a file
//! whose last name was removed stays usable until it is closed.

use super::inode::{Body, Inode};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{DirEntry, Errno, FileType, Handle, OpenFlags, VfsResult};

/// Directory entries copied out per lock hold, so the sink never runs
/// under the directory's lock.
const BATCH: usize = 64;

pub struct TmpHandle {
    inode: Arc<Inode>,
    flags: OpenFlags,
}

pub fn open(inode: &Inode, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
    match inode.body {
        Body::File(_) | Body::Dir(_) => Ok(Arc::new(TmpHandle {
            inode: inode.arc()?,
            flags,
        })),
        Body::Symlink(_) => Err(Errno::ELOOP),
        // FIFOs, sockets and device nodes need a driver, not tmpfs.
        Body::Node(_) => Err(Errno::ENXIO),
    }
}

impl TmpHandle {
    fn accessed(&self) {
        if !self.flags.contains(OpenFlags::NOATIME) {
            self.inode.accessed();
        }
    }
}

impl Handle for TmpHandle {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let Body::File(pages) = &self.inode.body else {
            return Err(Errno::EISDIR);
        };
        if !self.flags.readable() {
            return Err(Errno::EBADF);
        }
        let n = pages.lock().read(off, buf);
        if !buf.is_empty() {
            self.accessed();
        }
        Ok(n)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> VfsResult<usize> {
        let Body::File(pages) = &self.inode.body else {
            return Err(Errno::EISDIR);
        };
        if !self.flags.writable() {
            return Err(Errno::EBADF);
        }
        if data.is_empty() {
            return Ok(0); // Linux leaves the times alone too
        }
        let n = pages.lock().write(&self.inode.fs, off, data)?;
        self.inode.modified();
        Ok(n)
    }

    fn readdir(&self, cookie: u64, sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        let Body::Dir(dir) = &self.inode.body else {
            return Err(Errno::ENOTDIR);
        };
        if dir.lock().dead {
            return Err(Errno::ENOENT);
        }
        self.accessed();
        let dot = |name: &[u8], ino, next| DirEntry {
            ino,
            kind: FileType::Directory,
            name: name.to_vec(),
            next,
        };
        let mut cur = cookie;
        if cur == 0 {
            if !sink(&dot(b".", self.inode.ino, 1)) {
                return Ok(());
            }
            cur = 1;
        }
        if cur == 1 {
            if !sink(&dot(b"..", self.inode.parent_ino(), 2)) {
                return Ok(());
            }
            cur = 2;
        }
        loop {
            let batch: Vec<DirEntry> = dir.lock().after(cur, BATCH);
            if batch.is_empty() {
                return Ok(());
            }
            for e in &batch {
                if !sink(e) {
                    return Ok(());
                }
                cur = e.next;
            }
        }
    }
}
