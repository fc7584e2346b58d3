//! A program's address space: its own top-level page table sharing the
//! kernel half. Pages are 4 KiB, backed by frames it owns — alone, or with
//! other address spaces after fork: private pages then stay read-only
//! until the first write copies them (copy-on-write); pages of MAP_SHARED
//! mappings (marked SHARED) stay one frame for all.

use super::frame;
use super::paging::{self, NO_EXECUTE, PRESENT, USER, WRITABLE};
use super::phys::{self, FRAME_SIZE};
use lintel_syscall::mm::{PROT_EXEC, PROT_WRITE};
use lintel_syscall::Errno;

pub struct AddressSpace {
    pml4: u64,
}

/// A software PTE bit: the page belongs to a MAP_SHARED mapping, so a
/// frame with several owners is still written in place.
const SHARED: u64 = 1 << 9;

fn pte_flags(prot: u32) -> u64 {
    if prot == 0 {
        return PRESENT; // PROT_NONE: present for the kernel, never for the program
    }
    let mut f = PRESENT | USER;
    if prot & PROT_WRITE != 0 {
        f |= WRITABLE;
    }
    if prot & PROT_EXEC == 0 {
        f |= NO_EXECUTE;
    }
    f
}

impl AddressSpace {
    pub fn new(master: u64) -> Option<Self> {
        Some(AddressSpace {
            pml4: paging::new_pml4(master)?,
        })
    }

    pub fn pml4(&self) -> u64 {
        self.pml4
    }

    pub fn activate(&self) {
        paging::load_cr3(self.pml4);
    }

    /// Makes `page` present; a write-allowed page shared copy-on-write
    /// gets its own frame (or, as the last owner, just becomes writable).
    pub fn populate(&mut self, page: u64, prot: u32) -> Result<(), Errno> {
        let e = paging::entry(self.pml4, page, true).ok_or(Errno::ENOMEM)?;
        if *e & PRESENT == 0 {
            let f = frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
            *e = f | pte_flags(prot);
        } else if prot & PROT_WRITE != 0 && *e & WRITABLE == 0 {
            Self::unshare(e, page, prot)?;
        }
        Ok(())
    }

    /// Maps the kernel's frame `kframe` (a vDSO or vvar page, which the
    /// kernel owns for ever) at `page` when nothing is mapped there; then
    /// as `populate`. The mapping counts as one more owner of the frame, so
    /// it is never writable in place: a write the protection allows copies
    /// it (copy-on-write), and unmapping only drops that owner.
    pub fn populate_special(&mut self, page: u64, kframe: u64, prot: u32) -> Result<(), Errno> {
        let e = paging::entry(self.pml4, page, true).ok_or(Errno::ENOMEM)?;
        if *e & PRESENT == 0 {
            frame::share(kframe);
            *e = kframe | (pte_flags(prot) & !WRITABLE);
        }
        self.populate(page, prot)
    }

    /// Breaks copy-on-write sharing of the present page `e` maps.
    fn unshare(e: &mut u64, page: u64, prot: u32) -> Result<(), Errno> {
        let old = paging::pte_addr(*e);
        let keep = *e & SHARED;
        if keep == 0 && frame::owners(old) > 1 {
            let f = frame::alloc().ok_or(Errno::ENOMEM)?;
            phys::copy_frame(old, f);
            *e = f | pte_flags(prot);
            frame::free(old);
        } else {
            *e = old | pte_flags(prot) | keep;
        }
        paging::flush(page);
        Ok(())
    }

    /// A copy for a forked child: private pages become copy-on-write in
    /// both, pages inside `shared` ranges stay shared. None without memory
    /// for page tables (what was copied is released).
    pub fn fork(&mut self, master: u64, shared: &[(u64, u64)]) -> Option<AddressSpace> {
        let child = AddressSpace::new(master)?;
        let mut ok = true;
        paging::for_each_leaf(self.pml4, 0, lintel_syscall::mm::USER_END, |v, e| {
            if !ok {
                return;
            }
            let Some(ce) = paging::entry(child.pml4, v, true) else {
                ok = false;
                return;
            };
            if shared.iter().any(|&(s, end)| v >= s && v < end) {
                *e |= SHARED;
            } else if *e & WRITABLE != 0 && *e & SHARED == 0 {
                *e &= !WRITABLE;
            }
            *ce = *e;
            frame::share(paging::pte_addr(*e));
        });
        // The parent's pages just lost their write permission.
        paging::load_cr3(paging::current_cr3());
        ok.then_some(child)
    }

    /// The physical address behind a populated user address.
    fn phys(&self, virt: u64) -> u64 {
        match paging::entry(self.pml4, virt, false) {
            Some(e) if *e & PRESENT != 0 => paging::pte_addr(*e) + virt % FRAME_SIZE,
            _ => panic!("user page {virt:#x} used before it was populated"),
        }
    }

    fn chunks(addr: u64, len: usize, mut f: impl FnMut(u64, core::ops::Range<usize>)) {
        let mut done = 0;
        while done < len {
            let a = addr + done as u64;
            let n = ((FRAME_SIZE - a % FRAME_SIZE) as usize).min(len - done);
            f(a, done..done + n);
            done += n;
        }
    }

    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) {
        Self::chunks(addr, buf.len(), |a, r| {
            phys::copy_from(self.phys(a), &mut buf[r])
        });
    }

    pub fn copy_out(&mut self, addr: u64, data: &[u8]) {
        let pml4 = self.pml4;
        Self::chunks(addr, data.len(), |a, r| {
            // The kernel writes even to read-only pages (the loader); a
            // page shared copy-on-write must get its own frame first.
            if let Some(e) = paging::entry(pml4, a, false) {
                if *e & PRESENT != 0
                    && *e & (WRITABLE | SHARED) == 0
                    && frame::owners(paging::pte_addr(*e)) > 1
                {
                    let flags = *e & !0x000f_ffff_ffff_f000;
                    let old = paging::pte_addr(*e);
                    if let Some(f) = frame::alloc() {
                        phys::copy_frame(old, f);
                        *e = f | flags;
                        frame::free(old);
                        paging::flush(a & !(FRAME_SIZE - 1));
                    }
                }
            }
            phys::copy_to(self.phys(a), &data[r])
        });
    }

    pub fn unmap(&mut self, start: u64, len: u64) {
        paging::for_each_leaf(self.pml4, start, start.saturating_add(len), |v, e| {
            frame::free(paging::pte_addr(*e));
            *e = 0;
            paging::flush(v);
        });
    }

    /// Reads and clears the dirty bit of a present page.
    pub fn take_dirty(&mut self, page: u64) -> bool {
        const DIRTY: u64 = 1 << 6;
        match paging::entry(self.pml4, page, false) {
            Some(e) if *e & PRESENT != 0 && *e & DIRTY != 0 => {
                *e &= !DIRTY;
                paging::flush(page);
                true
            }
            _ => false,
        }
    }

    pub fn protect(&mut self, start: u64, len: u64, prot: u32) {
        paging::for_each_leaf(self.pml4, start, start.saturating_add(len), |v, e| {
            let a = paging::pte_addr(*e);
            let keep = *e & SHARED;
            let mut f = pte_flags(prot) | keep;
            // A copy-on-write page stays read-only until written.
            if keep == 0 && frame::owners(a) > 1 {
                f &= !WRITABLE;
            }
            *e = a | f;
            paging::flush(v);
        });
    }

    pub fn remap(&mut self, from: u64, to: u64, len: u64) {
        let mut moved = alloc::vec::Vec::new();
        paging::for_each_leaf(self.pml4, from, from.saturating_add(len), |v, e| {
            moved.push((v, *e));
            *e = 0;
            paging::flush(v);
        });
        for (v, pte) in moved {
            match paging::entry(self.pml4, v - from + to, true) {
                Some(e) => *e = pte,
                // No frame for a page table: the page is lost, as if unmapped.
                None => frame::free(paging::pte_addr(pte)),
            }
        }
    }
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        self.unmap(0, lintel_syscall::mm::USER_END);
        paging::free_user_tables(self.pml4);
        frame::free(self.pml4);
    }
}
