//! Kernel stacks: 64 KiB each, mapped page by page from single frames into
//! a region of the kernel half that every address space shares (its top
//! page-table entry exists before the first address space copies the
//! kernel half), with an unmapped guard page below each, so a kernel stack
//! overflow faults (and the double-fault handler, on its own stack, says
//! so) instead of corrupting a neighbour. The frames go back to the frame
//! allocator when the thread is gone; the frames respect its reserve, so
//! running out is ENOMEM for clone, not a kernel panic.

use super::frame;
use super::paging::{self, NO_EXECUTE, PRESENT, WRITABLE};
use super::phys::FRAME_SIZE;
use alloc::vec::Vec;
use spin::Mutex;

/// The region: top-level entry 400 of the kernel half.
const BASE: u64 = 0xffff_c800_0000_0000;
pub const STACK_SIZE: u64 = 64 * 1024;
/// A stack and its guard page below.
const SLOT: u64 = STACK_SIZE + FRAME_SIZE;
/// Slots in the region (Linux's default pid_max of threads).
const SLOTS: u32 = 32768;

/// The next never-used slot, and slots given back.
static SLOTS_FREE: Mutex<(u32, Vec<u32>)> = Mutex::new((0, Vec::new()));

/// Creates the region's top-level entry in the kernel's master tables;
/// must run before the first address space is made.
pub fn init(master: u64) {
    if paging::entry(master, BASE, true).is_none() {
        panic!("no memory for the kernel-stack page tables");
    }
}

pub struct KernelStack {
    slot: u32,
    /// Pages mapped so far (all of them once `new` returns).
    mapped: u64,
}

impl KernelStack {
    /// A fresh zeroed stack; None without a slot or memory.
    pub fn new() -> Option<KernelStack> {
        let slot = {
            let mut s = SLOTS_FREE.lock();
            match s.1.pop() {
                Some(slot) => slot,
                None if s.0 < SLOTS => {
                    s.0 += 1;
                    s.0 - 1
                }
                None => return None,
            }
        };
        let mut k = KernelStack { slot, mapped: 0 };
        let master = paging::current_cr3();
        while k.mapped < STACK_SIZE / FRAME_SIZE {
            let va = k.bottom() + k.mapped * FRAME_SIZE;
            let f = frame::alloc_zeroed()?; // `k`'s drop unmaps what is mapped
            let Some(e) = paging::entry(master, va, true) else {
                frame::free(f);
                return None;
            };
            *e = f | PRESENT | WRITABLE | NO_EXECUTE;
            k.mapped += 1;
        }
        Some(k)
    }

    fn bottom(&self) -> u64 {
        BASE + self.slot as u64 * SLOT + FRAME_SIZE
    }

    /// The initial stack pointer (16-byte aligned).
    pub fn top(&self) -> u64 {
        self.bottom() + STACK_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let master = paging::current_cr3();
        for i in 0..self.mapped {
            let va = self.bottom() + i * FRAME_SIZE;
            if let Some(e) = paging::entry(master, va, false) {
                let f = paging::pte_addr(*e);
                *e = 0;
                paging::flush(va);
                frame::free(f);
            }
        }
        SLOTS_FREE.lock().1.push(self.slot);
    }
}
