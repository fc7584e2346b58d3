//! Physical memory as the kernel sees it: every RAM byte is mapped at
//! `PHYS_OFFSET + phys` (the direct map).

pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
/// The direct map spans one top-level page-table entry (entry 256).
pub const DIRECT_MAP_SIZE: u64 = 512 << 30;
pub const FRAME_SIZE: u64 = 4096;
/// Where the kernel image is linked: `KERNEL_OFFSET + phys` (linker.ld).
pub const KERNEL_OFFSET: u64 = 0xffff_ffff_8000_0000;

/// The direct-map address of a physical address.
pub fn to_virt(phys: u64) -> u64 {
    PHYS_OFFSET + phys
}

/// The physical address of something in the kernel image (a static).
pub fn image_to_phys(virt: u64) -> u64 {
    virt - KERNEL_OFFSET
}

/// Reads a little-endian value from physical memory (boot structures).
pub fn read<T: Copy>(phys: u64) -> T {
    // SAFETY: callers pass addresses of firmware structures inside RAM that
    // the direct map covers; read_unaligned tolerates any alignment.
    unsafe { core::ptr::read_unaligned(to_virt(phys) as *const T) }
}

/// The bytes of a physical range, e.g. the command line or the initrd.
pub fn slice(phys: u64, len: usize) -> &'static [u8] {
    // SAFETY: the range is RAM covered by the direct map (checked by the
    // caller against the memory map) and reserved from the frame allocator,
    // so nothing writes to it while this shared slice lives.
    unsafe { core::slice::from_raw_parts(to_virt(phys) as *const u8, len) }
}

/// Zeroes one frame.
pub fn zero_frame(phys: u64) {
    // SAFETY: `phys` is a frame the caller owns (fresh from the allocator).
    unsafe { core::ptr::write_bytes(to_virt(phys) as *mut u8, 0, FRAME_SIZE as usize) }
}

/// Copies between a frame's bytes and a buffer.
pub fn copy_from(phys: u64, buf: &mut [u8]) {
    // SAFETY: [phys, phys+len) lies inside one frame owned by the caller's
    // address space; the buffer is a distinct kernel object.
    unsafe {
        core::ptr::copy_nonoverlapping(to_virt(phys) as *const u8, buf.as_mut_ptr(), buf.len())
    }
}

pub fn copy_to(phys: u64, data: &[u8]) {
    // SAFETY: as for `copy_from`.
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), to_virt(phys) as *mut u8, data.len()) }
}

/// Copies a whole frame (copy-on-write).
pub fn copy_frame(from: u64, to: u64) {
    // SAFETY: both are distinct frames: `from` mapped by the caller's
    // address space, `to` fresh from the allocator.
    unsafe {
        core::ptr::copy_nonoverlapping(
            to_virt(from) as *const u8,
            to_virt(to) as *mut u8,
            FRAME_SIZE as usize,
        )
    }
}
