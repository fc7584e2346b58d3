//! MAP_SHARED file mappings. The pages hold a copy of the file; pages the
//! program dirtied are written back to the file on msync, munmap, exec
//! and exit. (Coherence with read()/write() while mapped needs a page cache
//! shared by mappings and files, which Lintel does not have yet.)

use super::{MemoryMap, PAGE_SIZE};
use crate::user::read_bytes;
use crate::{Errno, Kernel};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{Handle, VnodeRef};

#[derive(Clone)]
pub struct SharedFile {
    pub start: u64,
    pub end: u64,
    /// File offset of `start`.
    pub off: u64,
    pub vnode: VnodeRef,
    pub handle: Arc<dyn Handle>,
}

/// Writes back the dirty pages of shared file mappings in [start, end);
/// with `forget`, the mappings there stop being shared file mappings.
pub fn flush(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    start: u64,
    end: u64,
    forget: bool,
) -> Result<(), Errno> {
    let mut result = Ok(());
    for sf in mm.shared_files(start, end) {
        let (s, e) = (sf.start.max(start), sf.end.min(end));
        let size = match sf.vnode.getattr() {
            Ok(a) => a.size,
            Err(err) => {
                result = Err(err);
                continue;
            }
        };
        let mut buf: Vec<u8> = alloc::vec![0u8; PAGE_SIZE as usize];
        let mut page = s;
        while page < e {
            let file_off = sf.off + (page - sf.start);
            if file_off >= size {
                break; // a mapping never extends its file
            }
            if k.take_dirty(page) {
                let n = (size - file_off).min(PAGE_SIZE) as usize;
                if let Err(err) = read_bytes(k, mm, page, &mut buf[..n])
                    .and_then(|_| sf.handle.write_at(file_off, &buf[..n]).map(|_| ()))
                {
                    result = Err(err);
                }
            }
            page += PAGE_SIZE;
        }
    }
    if forget {
        mm.forget_shared_files(start, end);
    }
    result
}
