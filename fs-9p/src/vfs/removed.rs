//! Directories removed through this mount, with their last attributes, for
//! the vnodes that still hold them.
//!
//! A removed directory stays reachable through whatever held it: a working
//! directory above all, where `stat(".")` must still work. Linux answers
//! from the dead inode, with nlink 0. QEMU's server stats a directory fid
//! by its path, so Tgetattr on the fid of a removed directory is ENOENT;
//! diod resolves the path either way. So rmdir takes the directory's
//! attributes before removing it, and a vnode whose Tgetattr says ENOENT
//! answers from here (`NineVnode::getattr`).
//!
//! Files are not recorded: an open file is stat'ed through its open fid
//! (QEMU fstat's it), and keeping every unlink at one round trip matters
//! more than stat of a removed file nothing has open.

use alloc::collections::VecDeque;
use lintel_vfs::Attr;
use spin::Mutex;

/// Records kept at most; the oldest make room. Only directories that
/// something still holds matter, and those are few.
const KEEP: usize = 32;

pub(crate) struct Removed {
    /// (qid path, attributes with nlink 0), newest last.
    dead: Mutex<VecDeque<(u64, Attr)>>,
}

impl Removed {
    pub fn new() -> Removed {
        Removed {
            dead: Mutex::new(VecDeque::new()),
        }
    }

    /// The object with qid path `key` was removed; `last` is what it was.
    pub fn record(&self, key: u64, last: Attr) {
        let mut d = self.dead.lock();
        d.retain(|(k, _)| *k != key);
        if d.len() >= KEEP {
            d.pop_front();
        }
        d.push_back((key, Attr { nlink: 0, ..last }));
    }

    /// What a removed object last was, with nlink 0.
    pub fn get(&self, key: u64) -> Option<Attr> {
        self.dead
            .lock()
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// `key` names a live object again (the server reused the inode number
    /// for something we created).
    pub fn forget(&self, key: u64) {
        let mut d = self.dead.lock();
        if !d.is_empty() {
            d.retain(|(k, _)| *k != key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lintel_vfs::Timespec;

    fn attr(ino: u64) -> Attr {
        Attr {
            ino,
            mode: 0o040755,
            nlink: 2,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 4096,
            blksize: 4096,
            blocks: 8,
            atime: Timespec::default(),
            mtime: Timespec::default(),
            ctime: Timespec::default(),
        }
    }

    #[test]
    fn keeps_the_newest_with_nlink_zero() {
        let r = Removed::new();
        assert_eq!(r.get(1), None);
        r.record(1, attr(1));
        let a = r.get(1).unwrap();
        assert_eq!((a.ino, a.mode, a.nlink), (1, 0o040755, 0));
        for k in 2..(KEEP as u64 + 2) {
            r.record(k, attr(k));
        }
        assert_eq!(r.get(1), None, "the oldest made room");
        assert!(r.get(KEEP as u64 + 1).is_some());
        r.forget(5);
        assert_eq!(r.get(5), None);
        // Recorded again: one record, the latest.
        r.record(7, Attr { size: 1, ..attr(7) });
        assert_eq!(r.get(7).unwrap().size, 1);
        assert_eq!(r.dead.lock().iter().filter(|(k, _)| *k == 7).count(), 1);
    }
}
