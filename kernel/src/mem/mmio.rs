//! Device registers: physical MMIO ranges mapped uncached into the kernel
//! half, at the same offset as the direct map (PHYS_OFFSET + phys).

use super::paging::{self, NO_EXECUTE, PRESENT, WRITABLE};
use super::phys::{to_virt, FRAME_SIZE};

const CACHE_DISABLE: u64 = (1 << 3) | (1 << 4); // PWT | PCD

/// Maps [phys, phys+len) and returns its virtual address; None when a page
/// table cannot be allocated or the range overlaps RAM mapped with huge pages.
pub fn map(phys: u64, len: u64) -> Option<u64> {
    let master = paging::current_cr3();
    let start = phys & !(FRAME_SIZE - 1);
    let end = phys.checked_add(len)?.next_multiple_of(FRAME_SIZE);
    let mut p = start;
    while p < end {
        let e = paging::entry(master, to_virt(p), true)?;
        *e = p | PRESENT | WRITABLE | NO_EXECUTE | CACHE_DISABLE;
        paging::flush(to_virt(p));
        p += FRAME_SIZE;
    }
    Some(to_virt(phys))
}
