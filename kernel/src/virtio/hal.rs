//! `virtio_drivers::Hal` on the kernel's frame allocator and direct map.

use crate::mem::{frame, phys};
use core::ptr::NonNull;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

pub struct KernelHal;

/// The physical address behind a kernel virtual address (direct map,
/// kernel image, or a user page of the current address space).
pub fn virt_to_phys(v: u64) -> u64 {
    if v >= phys::KERNEL_OFFSET {
        phys::image_to_phys(v)
    } else if v >= phys::PHYS_OFFSET {
        v - phys::PHYS_OFFSET
    } else {
        panic!("virtio buffer at {v:#x} is not kernel memory")
    }
}

// SAFETY: dma_alloc returns zeroed, physically contiguous frames that stay
// reserved until dma_dealloc; share translates addresses of memory the
// caller keeps alive and unaliased for the device's use (virtio-drivers'
// contract), and both the direct map and the kernel image are identity-
// offset mappings, so the translation is exact.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _dir: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let Some(p) = frame::alloc_contiguous(pages as u64) else {
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

    unsafe fn share(buffer: NonNull<[u8]>, _dir: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as u64)
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _dir: BufferDirection) {}
}
