//! `virtio_drivers::Hal` on the kernel's frame allocator and direct map.

use crate::mem::{frame, phys};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use core::ptr::NonNull;
use spin::Mutex;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

pub struct KernelHal;

/// The physical address behind a kernel virtual address in the direct
/// map or the kernel image (both map physical memory at a fixed offset, so
/// a buffer there is one physical range); None elsewhere.
fn linear_to_phys(v: u64, len: u64) -> Option<u64> {
    if v >= phys::KERNEL_OFFSET {
        Some(phys::image_to_phys(v))
    } else if v >= phys::PHYS_OFFSET
        && v.checked_add(len)? <= phys::PHYS_OFFSET + phys::DIRECT_MAP_SIZE
    {
        Some(v - phys::PHYS_OFFSET)
    } else {
        None
    }
}

/// Copies of buffers the device cannot reach as one physical range (on a
/// kernel stack, which is mapped page by page), by the copy's physical
/// address, until the device hands them back.
static BOUNCES: Mutex<BTreeMap<u64, Box<[u8]>>> = Mutex::new(BTreeMap::new());

// SAFETY: dma_alloc returns zeroed, physically contiguous frames that stay
// reserved until dma_dealloc; share translates addresses of memory the
// caller keeps alive and unaliased for the device's use (virtio-drivers'
// contract): the direct map and the kernel image are fixed-offset
// mappings, so that translation is exact, and any other buffer is copied
// into the heap (a bounce buffer) and copied back on unshare.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let Some(p) = frame::alloc_contiguous(pages as u64, true) else {
            panic!("virtio: no memory for {pages} DMA pages")
        };
        for i in 0..pages as u64 {
            phys::zero_frame(p + i * phys::FRAME_SIZE);
        }
        let v = NonNull::new(phys::to_virt(p) as *mut u8).expect("direct map address is not null");
        (p, v)
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        for i in 0..pages as u64 {
            frame::free(paddr + i * phys::FRAME_SIZE);
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        let v = crate::mem::mmio::map(paddr, size as u64).expect("virtio: cannot map MMIO");
        NonNull::new(v as *mut u8).expect("mapped MMIO is not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, dir: BufferDirection) -> PhysAddr {
        let v = buffer.as_ptr() as *mut u8 as u64;
        let len = buffer.len();
        if let Some(p) = linear_to_phys(v, len as u64) {
            return p;
        }
        // A bounce copy in the heap (the direct map); at least a byte, so
        // it has a real address.
        let mut copy = vec![0u8; len.max(1)].into_boxed_slice();
        if dir != BufferDirection::DeviceToDriver {
            // SAFETY: the caller keeps `buffer` valid for reads (Hal::share).
            copy[..len].copy_from_slice(unsafe { buffer.as_ref() });
        }
        let Some(p) = linear_to_phys(copy.as_ptr() as u64, copy.len() as u64) else {
            panic!("virtio: a heap buffer outside the direct map")
        };
        BOUNCES.lock().insert(p, copy);
        p
    }

    unsafe fn unshare(paddr: PhysAddr, mut buffer: NonNull<[u8]>, dir: BufferDirection) {
        let Some(copy) = BOUNCES.lock().remove(&paddr) else {
            return;
        };
        if dir != BufferDirection::DriverToDevice {
            let len = buffer.len();
            // SAFETY: the caller keeps `buffer` valid for writes until
            // unshare returns (Hal::unshare), and `copy` is as long.
            unsafe { buffer.as_mut() }.copy_from_slice(&copy[..len]);
        }
    }
}
