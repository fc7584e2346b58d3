//! The kernel heap: a linked-list allocator over a physically contiguous
//! region taken from the frame allocator at boot, reached via the direct map.

use linked_list_allocator::LockedHeap;

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

/// Hands `[start, start+size)` (a direct-map virtual range) to the heap.
pub fn init(start: usize, size: usize) {
    // SAFETY: the range is RAM the frame allocator gave up for good, mapped
    // writable in the direct map, used by nothing else, and init runs once.
    unsafe { HEAP.lock().init(start as *mut u8, size) };
}
