//! The kernel heap: linked-list allocators over physically contiguous
//! regions from the frame allocator, reached via the direct map. The first
//! region is carved at boot; when every region is full, the heap grows by
//! another region (twice the last, at least what the request needs) as
//! long as the frame allocator has contiguous frames, so sockets, caches
//! and processes can use the machine's memory rather than a fixed share.

use super::{frame, phys};
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{null_mut, NonNull};
use linked_list_allocator::Heap;
use spin::Mutex;

/// At most this many regions (the first and the grown ones).
const MAX_REGIONS: usize = 24;
/// The heap grows by the last region's size, within these bounds (or by
/// what one request needs): few regions, without taking most of the
/// memory programs could use in one step.
const MIN_GROWTH: usize = 8 << 20;
const MAX_GROWTH: usize = 32 << 20;
/// Requests up to this size are the kernel's small, infallible bookkeeping.
const SMALL: usize = 4096;

struct Regions {
    heaps: [Option<Heap>; MAX_REGIONS],
    /// Bytes of the last region added (the next one is twice as large).
    last: usize,
}

// SAFETY: the regions are plain memory owned by the heap; every access
// goes through the mutex.
unsafe impl Send for Regions {}

pub struct KernelHeap(Mutex<Regions>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Mutex::new(Regions {
    heaps: [const { None }; MAX_REGIONS],
    last: 0,
}));

impl Regions {
    fn free_slot(&mut self) -> Option<&mut Option<Heap>> {
        self.heaps.iter_mut().find(|h| h.is_none())
    }

    /// Adds `[start, start+size)`; the caller checked there is a slot.
    fn add(&mut self, start: usize, size: usize) {
        if let Some(slot) = self.free_slot() {
            // SAFETY: the range is RAM the frame allocator gave up for
            // good, mapped writable in the direct map, used by nothing else.
            *slot = Some(unsafe { Heap::new(start as *mut u8, size) });
            self.last = size;
        }
    }

    /// A new region big enough for `layout` (with the allocator's own
    /// overhead); false when there is no slot or no contiguous memory.
    /// Only a small request may take the frame allocator's reserve: large
    /// ones (socket buffers, kernel stacks) are the fallible kind, and
    /// failing them keeps the reserve for the bookkeeping that cannot fail.
    fn grow(&mut self, layout: Layout) -> bool {
        let need = layout.size() + layout.align() + 4096;
        let small = layout.size() <= SMALL;
        if self.free_slot().is_none() {
            return false;
        }
        // The preferred size, then halves of it while they still hold `need`.
        let mut size = self.last.clamp(MIN_GROWTH, MAX_GROWTH).max(need);
        loop {
            let frames = size.div_ceil(phys::FRAME_SIZE as usize) as u64;
            // The frame allocator never allocates from the heap, so taking
            // its lock here, under the heap's, cannot deadlock.
            if let Some(p) = frame::alloc_contiguous(frames, small) {
                let bytes = (frames * phys::FRAME_SIZE) as usize;
                self.add(phys::to_virt(p) as usize, bytes);
                log::info!("heap: grown by {} KiB", bytes >> 10);
                return true;
            }
            if size / 2 < need {
                return false;
            }
            size /= 2;
        }
    }

    fn alloc(&mut self, layout: Layout) -> *mut u8 {
        for h in self.heaps.iter_mut().flatten() {
            if let Ok(p) = h.allocate_first_fit(layout) {
                return p.as_ptr();
            }
        }
        null_mut()
    }
}

// SAFETY: allocations come from disjoint regions of memory the heap owns;
// a block is returned to the region whose range holds it, with the layout
// it was allocated with (GlobalAlloc's contract).
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut r = self.0.lock();
        let p = r.alloc(layout);
        if !p.is_null() || !r.grow(layout) {
            return p;
        }
        r.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(nn) = NonNull::new(ptr) else { return };
        let mut r = self.0.lock();
        let a = ptr as usize;
        for h in r.heaps.iter_mut().flatten() {
            if a >= h.bottom() as usize && a < h.top() as usize {
                // SAFETY: `ptr` came from this region with `layout`.
                unsafe { h.deallocate(nn, layout) };
                return;
            }
        }
    }
}

/// Hands `[start, start+size)` (a direct-map virtual range) to the heap as
/// its first region.
pub fn init(start: usize, size: usize) {
    HEAP.0.lock().add(start, size);
}
