//! A directory listing kept between getdents calls: file systems that
//! read entries from a server in large batches (9p, FUSE) hand them out
//! from here, so a small getdents buffer does not cost a round trip each.

use crate::types::{DirEntry, Errno, VfsResult};
use alloc::vec::Vec;

#[derive(Default)]
pub struct DirBatch {
    /// The cookie the entries were read from.
    pub from: u64,
    pub entries: Vec<DirEntry>,
    pub valid: bool,
}

impl DirBatch {
    /// Hands entries from cookie `cur` to `sink`, reading batches with
    /// `fetch(batch, cookie)` as needed; a rewind (0) always reads again.
    pub fn list(
        &mut self,
        mut cur: u64,
        sink: &mut dyn FnMut(&DirEntry) -> bool,
        fetch: &mut dyn FnMut(&mut DirBatch, u64) -> VfsResult<()>,
    ) -> VfsResult<()> {
        // Where `cur` continues in the kept batch.
        let mut pos = match cur {
            0 => None,
            _ if !self.valid => None,
            _ if self.from == cur => Some(0),
            _ => self
                .entries
                .iter()
                .position(|e| e.next == cur)
                .map(|i| i + 1),
        };
        loop {
            let i = match pos {
                Some(i) if i < self.entries.len() => i,
                // A kept end of the directory, shown once (then asked again).
                Some(0) => {
                    self.valid = false;
                    return Ok(());
                }
                _ => {
                    fetch(self, cur)?;
                    if self.entries.is_empty() {
                        return Ok(());
                    }
                    0
                }
            };
            let before = cur;
            for e in self.entries.get(i..).unwrap_or(&[]) {
                if !sink(e) {
                    return Ok(());
                }
                cur = e.next;
            }
            // A batch that leads back to where it started would never end.
            if cur == before || cur == self.from {
                return Err(Errno::EIO);
            }
            pos = Some(self.entries.len());
        }
    }
}
