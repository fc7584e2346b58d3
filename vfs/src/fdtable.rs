//! `FdTable`: the process's file descriptors, lowest free number first,
//! each with its close-on-exec flag.

use crate::file::FileRef;
use crate::types::{Errno, VfsResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

#[derive(Clone)]
struct Slot {
    file: FileRef,
    cloexec: bool,
}

/// A handle on a table: clones share it (threads with CLONE_FILES, and
/// /proc/self/fd); `duplicate` copies it (fork).
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Arc<Mutex<Vec<Option<Slot>>>>,
}

impl FdTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// An independent copy sharing the open files (fork).
    pub fn duplicate(&self) -> Self {
        FdTable {
            slots: Arc::new(Mutex::new(self.slots.lock().clone())),
        }
    }

    pub fn get(&self, fd: i32) -> VfsResult<FileRef> {
        let slots = self.slots.lock();
        usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| s.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free fd >= `min`, below `limit` (EMFILE beyond).
    pub fn insert_from(
        &self,
        min: usize,
        file: FileRef,
        cloexec: bool,
        limit: usize,
    ) -> VfsResult<i32> {
        let mut slots = self.slots.lock();
        let free = (min..limit).find(|&i| slots.get(i).is_none_or(|s| s.is_none()));
        let i = free.ok_or(Errno::EMFILE)?;
        if i >= slots.len() {
            slots.resize(i + 1, None);
        }
        slots[i] = Some(Slot { file, cloexec });
        Ok(i as i32)
    }

    pub fn insert(&self, file: FileRef, cloexec: bool, limit: usize) -> VfsResult<i32> {
        self.insert_from(0, file, cloexec, limit)
    }

    /// dup2/dup3: puts `file` at `fd`, returning what was there (closed by the caller's drop).
    pub fn set(
        &self,
        fd: i32,
        file: FileRef,
        cloexec: bool,
        limit: usize,
    ) -> VfsResult<Option<FileRef>> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < limit)
            .ok_or(Errno::EBADF)?;
        let mut slots = self.slots.lock();
        if i >= slots.len() {
            slots.resize(i + 1, None);
        }
        Ok(slots[i].replace(Slot { file, cloexec }).map(|s| s.file))
    }

    pub fn remove(&self, fd: i32) -> VfsResult<FileRef> {
        let mut slots = self.slots.lock();
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get_mut(i))
            .ok_or(Errno::EBADF)?;
        let s = slot.take().ok_or(Errno::EBADF)?;
        while slots.last().is_some_and(|s| s.is_none()) {
            slots.pop();
        }
        Ok(s.file)
    }

    pub fn cloexec(&self, fd: i32) -> VfsResult<bool> {
        let slots = self.slots.lock();
        usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| s.cloexec)
            .ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&self, fd: i32, on: bool) -> VfsResult<()> {
        let mut slots = self.slots.lock();
        let s = usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get_mut(i))
            .and_then(|s| s.as_mut())
            .ok_or(Errno::EBADF)?;
        s.cloexec = on;
        Ok(())
    }

    /// execve: closes the close-on-exec fds.
    pub fn close_on_exec(&self) {
        for s in self.slots.lock().iter_mut() {
            if s.as_ref().is_some_and(|s| s.cloexec) {
                *s = None;
            }
        }
    }

    /// (fd, file) for every open fd (/proc/self/fd).
    pub fn snapshot(&self) -> Vec<(i32, FileRef)> {
        let slots = self.slots.lock();
        slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, s.file.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::{File, FileOps};
    use crate::types::OpenFlags;
    use alloc::sync::Arc;

    struct Nothing;
    impl FileOps for Nothing {
        fn read(&self, _: &mut [u8]) -> VfsResult<usize> {
            Ok(0)
        }
        fn write(&self, d: &[u8]) -> VfsResult<usize> {
            Ok(d.len())
        }
        fn poll(&self) -> crate::PollEvents {
            crate::PollEvents::READABLE | crate::PollEvents::WRITABLE
        }
        fn mode(&self) -> u32 {
            0o020666
        }
    }

    fn f() -> FileRef {
        File::new_special(Arc::new(Nothing), OpenFlags::RDWR)
    }

    #[test]
    fn lowest_free_fd_limits_and_cloexec() {
        let t = FdTable::new();
        assert_eq!(t.insert(f(), false, 4).unwrap(), 0);
        assert_eq!(t.insert(f(), true, 4).unwrap(), 1);
        assert_eq!(t.insert(f(), false, 4).unwrap(), 2);
        t.remove(1).unwrap();
        assert_eq!(
            t.insert(f(), false, 4).unwrap(),
            1,
            "reuses the lowest hole"
        );
        assert_eq!(t.insert(f(), false, 4).unwrap(), 3);
        assert_eq!(t.insert(f(), false, 4), Err(Errno::EMFILE));
        assert_eq!(t.insert_from(10, f(), false, 4), Err(Errno::EMFILE));
        assert_eq!(t.remove(7).err(), Some(Errno::EBADF));
        assert_eq!(t.get(-1).err(), Some(Errno::EBADF));
        t.set_cloexec(2, true).unwrap();
        t.close_on_exec();
        assert!(t.get(2).is_err());
        assert!(t.get(0).is_ok());
    }

    #[test]
    fn dup2_shares_the_description() {
        let t = FdTable::new();
        let a = f();
        t.insert(a.clone(), false, 16).unwrap();
        assert!(t.set(9, a.clone(), false, 16).unwrap().is_none());
        assert!(Arc::ptr_eq(&t.get(9).unwrap(), &a));
        assert_eq!(t.set(16, a, false, 16).err(), Some(Errno::EBADF));
    }
}
