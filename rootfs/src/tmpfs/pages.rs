//! A regular file's contents: 4 KiB pages keyed by index. A missing page
//! is a hole and reads as zeros, so sparse files cost only what was
//! written, and growing a file never copies it.

use super::Shared;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use lintel_vfs::{Errno, VfsResult};

pub const PAGE_SIZE: usize = 4096;
const PAGE: u64 = PAGE_SIZE as u64;
/// Linux's MAX_LFS_FILESIZE on 64-bit.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

#[derive(Default)]
pub struct Pages {
    map: BTreeMap<u64, Box<[u8]>>,
    size: u64,
}

/// A zeroed page, or ENOMEM rather than an allocation abort.
fn new_page() -> VfsResult<Box<[u8]>> {
    let mut v = Vec::new();
    v.try_reserve_exact(PAGE_SIZE).map_err(|_| Errno::ENOMEM)?;
    v.resize(PAGE_SIZE, 0);
    Ok(v.into_boxed_slice())
}

impl Pages {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Pages held (st_blocks is this times 8).
    pub fn count(&self) -> u64 {
        self.map.len() as u64
    }

    /// Copies from `off` into `buf`; stops at the end of the file.
    pub fn read(&self, off: u64, buf: &mut [u8]) -> usize {
        let n = buf.len().min(
            self.size
                .saturating_sub(off)
                .try_into()
                .unwrap_or(usize::MAX),
        );
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let at = (pos % PAGE) as usize;
            let take = (PAGE_SIZE - at).min(n - done);
            let dst = &mut buf[done..done + take];
            match self.map.get(&(pos / PAGE)) {
                Some(page) => dst.copy_from_slice(&page[at..at + take]),
                None => dst.fill(0),
            }
            done += take;
        }
        n
    }

    /// Writes `data` at `off`, allocating pages (charged to `fs`) as
    /// needed. A write cut short by ENOSPC/EFBIG returns what it wrote.
    pub fn write(&mut self, fs: &Shared, off: u64, data: &[u8]) -> VfsResult<usize> {
        if off >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let n = data
            .len()
            .min((MAX_FILE_SIZE - off).try_into().unwrap_or(usize::MAX));
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let at = (pos % PAGE) as usize;
            let take = (PAGE_SIZE - at).min(n - done);
            let page = match self.map.get_mut(&(pos / PAGE)) {
                Some(p) => p,
                None => match fs
                    .charge(1)
                    .and_then(|()| new_page().inspect_err(|_| fs.uncharge(1)))
                {
                    Ok(p) => self.map.entry(pos / PAGE).or_insert(p),
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            page[at..at + take].copy_from_slice(&data[done..done + take]);
            done += take;
        }
        self.size = self.size.max(off + done as u64);
        Ok(done)
    }

    /// Sets the size; returns the number of pages freed. Bytes past the new
    /// end in its last page are zeroed so that growing again shows zeros.
    pub fn truncate(&mut self, size: u64) -> VfsResult<u64> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut freed = 0;
        if size < self.size {
            let gone = self.map.split_off(&size.div_ceil(PAGE));
            freed = gone.len() as u64;
            let at = (size % PAGE) as usize;
            if at != 0 {
                if let Some(p) = self.map.get_mut(&(size / PAGE)) {
                    p[at..].fill(0);
                }
            }
        }
        self.size = size;
        Ok(freed)
    }
}
