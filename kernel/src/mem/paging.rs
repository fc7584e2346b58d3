//! x86_64 4-level page tables, walked through the direct map.

use super::frame;
use super::phys::to_virt;

pub const PRESENT: u64 = 1;
pub const WRITABLE: u64 = 1 << 1;
pub const USER: u64 = 1 << 2;
pub const HUGE: u64 = 1 << 7;
pub const NO_EXECUTE: u64 = 1 << 63;
const ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// One page-table page, seen through the direct map.
fn table(phys: u64) -> &'static mut [u64; 512] {
    // SAFETY: `phys` is a page-table frame owned by a page-table tree that
    // the caller holds exclusively (the current address space or the master
    // kernel tables during boot), mapped by the direct map.
    unsafe { &mut *(to_virt(phys) as *mut [u64; 512]) }
}

fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// The leaf entry for `virt`, creating intermediate tables when `create`.
/// None if a table is missing (and not created) or a huge page is in the way.
pub fn entry(pml4: u64, virt: u64, create: bool) -> Option<&'static mut u64> {
    let mut t = pml4;
    for level in (2..=4).rev() {
        let e = &mut table(t)[index(virt, level)];
        if *e & PRESENT == 0 {
            if !create {
                return None;
            }
            let f = frame::alloc_zeroed()?;
            // Intermediate entries allow everything; the leaf decides.
            *e = f | PRESENT | WRITABLE | USER;
        } else if *e & HUGE != 0 {
            return None;
        }
        t = *e & ADDR_MASK;
    }
    Some(&mut table(t)[index(virt, 1)])
}

pub fn pte_addr(pte: u64) -> u64 {
    pte & ADDR_MASK
}

/// Calls `f(virt, leaf)` for every present 4 KiB leaf in [start, end),
/// skipping absent tables.
pub fn for_each_leaf(pml4: u64, start: u64, end: u64, mut f: impl FnMut(u64, &mut u64)) {
    walk(pml4, 4, 0, start, end, &mut f);
}

fn walk(t: u64, level: u32, base: u64, start: u64, end: u64, f: &mut dyn FnMut(u64, &mut u64)) {
    let span = 1u64 << (12 + 9 * (level - 1));
    let tab = table(t);
    for (i, e) in tab.iter_mut().enumerate() {
        let lo = base + i as u64 * span;
        let hi = lo.wrapping_add(span);
        if hi <= start || lo >= end || *e & PRESENT == 0 {
            continue;
        }
        if level == 1 {
            f(lo, e);
        } else if *e & HUGE == 0 {
            walk(*e & ADDR_MASK, level - 1, lo, start, end, f);
        }
    }
}

/// Frees the tables of the user half of `pml4` (leaves must already be gone).
pub fn free_user_tables(pml4: u64) {
    fn free_level(t: u64, level: u32) {
        for e in table(t).iter_mut() {
            if *e & PRESENT != 0 && *e & HUGE == 0 {
                if level > 2 {
                    free_level(*e & ADDR_MASK, level - 1);
                }
                frame::free(*e & ADDR_MASK);
            }
            *e = 0;
        }
    }
    for e in table(pml4)[..256].iter_mut() {
        if *e & PRESENT != 0 {
            free_level(*e & ADDR_MASK, 3);
            frame::free(*e & ADDR_MASK);
            *e = 0;
        }
    }
}

/// A new top-level table sharing the kernel half of `master`.
pub fn new_pml4(master: u64) -> Option<u64> {
    let f = frame::alloc_zeroed()?;
    let (src, dst) = (table(master), table(f));
    dst[256..].copy_from_slice(&src[256..]);
    Some(f)
}

pub fn load_cr3(pml4: u64) {
    use x86_64::registers::control::{Cr3, Cr3Flags};
    use x86_64::structures::paging::PhysFrame;
    use x86_64::PhysAddr;
    let frame = PhysFrame::containing_address(PhysAddr::new(pml4));
    // SAFETY: `pml4` maps the kernel half exactly as the master tables do,
    // so the running code and its stack stay mapped.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) }
}

pub fn current_cr3() -> u64 {
    x86_64::registers::control::Cr3::read()
        .0
        .start_address()
        .as_u64()
}

pub fn flush(virt: u64) {
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(virt));
}

/// Extends the direct map (2 MiB pages) over [start, end) of physical memory
/// and drops the boot identity map, in the master tables.
pub fn finish_kernel_map(master: u64, ranges: &[(u64, u64)]) {
    const TWO_MIB: u64 = 2 << 20;
    let pml4 = table(master);
    let pdpt = pml4[256] & ADDR_MASK;
    for &(s, e) in ranges {
        let mut a = s & !(TWO_MIB - 1);
        while a < e {
            let virt = to_virt(a);
            let pdpt_e = &mut table(pdpt)[index(virt, 3)];
            if *pdpt_e & PRESENT == 0 {
                let f = frame::alloc_zeroed().expect("frame for the direct map");
                *pdpt_e = f | PRESENT | WRITABLE;
            }
            let pd = &mut table(*pdpt_e & ADDR_MASK)[index(virt, 2)];
            if *pd & PRESENT == 0 {
                *pd = a | PRESENT | WRITABLE | HUGE | NO_EXECUTE;
            }
            a += TWO_MIB;
        }
    }
    pml4[0] = 0;
    x86_64::instructions::tlb::flush_all();
}
