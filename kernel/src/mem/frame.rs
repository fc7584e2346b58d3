//! The physical frame allocator: a bitmap over RAM (1 = free), and for
//! each frame a count of its extra owners (a frame mapped by several
//! address spaces: fork's copy-on-write pages, MAP_SHARED pages, the vDSO),
//! both kept in RAM found from the boot memory map.

use super::phys::{to_virt, FRAME_SIZE};
use spin::Mutex;

pub struct FrameAllocator {
    bitmap: &'static mut [u64],
    /// Owners beyond the first, per frame: a frame is freed only when its
    /// last owner lets go. Kernel frames mapped into programs (the vDSO)
    /// have the kernel as a first owner that never lets go.
    extra: &'static mut [u32],
    frames: u64,
    free: u64,
    total: u64,
    /// Frames kept for the kernel's own bookkeeping: programs' pages, page
    /// tables and large kernel buffers stop here, so a small kernel
    /// allocation (a process-table entry, a list node) still finds memory
    /// when programs have used the rest, and running out is an errno.
    reserve: u64,
    hint: usize,
}

pub static FRAMES: Mutex<Option<FrameAllocator>> = Mutex::new(None);

/// A usable RAM range [start, end).
#[derive(Clone, Copy, Debug)]
pub struct Region {
    pub start: u64,
    pub end: u64,
}

/// Builds the allocator: `ram` are the usable ranges, `reserved` ranges
/// (kernel image, initrd, boot info) are kept out.
pub fn init(ram: &[Region], reserved: &[Region]) {
    let max = ram.iter().map(|r| r.end).max().unwrap_or(0);
    let frames = max / FRAME_SIZE;
    let words = frames.div_ceil(64) as usize;
    let bitmap_bytes = (words * 8) as u64;
    let bytes = bitmap_bytes + frames * 4;
    // Place the bitmap and the owner counts in the first RAM range with
    // room above the reserved ones.
    let overlaps = |s: u64, e: u64| reserved.iter().any(|r| s < r.end && r.start < e);
    let mut at = None;
    for r in ram {
        let mut s = r.start.max(0x100000).next_multiple_of(FRAME_SIZE);
        while s + bytes <= r.end {
            if !overlaps(s, s + bytes) {
                at = Some(s);
                break;
            }
            s += FRAME_SIZE;
        }
        if at.is_some() {
            break;
        }
    }
    let Some(bm_phys) = at else {
        panic!("no room for the frame bitmap ({bytes} bytes)")
    };
    // SAFETY: [bm_phys, bm_phys+bytes) is RAM, reserved below so it is never
    // handed out, and mapped by the direct map; these are its only
    // references, to disjoint parts (the counts follow the 8-byte aligned
    // bitmap, so they are 4-byte aligned).
    let (bitmap, extra) = unsafe {
        (
            core::slice::from_raw_parts_mut(to_virt(bm_phys) as *mut u64, words),
            core::slice::from_raw_parts_mut(
                to_virt(bm_phys + bitmap_bytes) as *mut u32,
                frames as usize,
            ),
        )
    };
    bitmap.fill(0);
    extra.fill(0);
    let mut a = FrameAllocator {
        bitmap,
        extra,
        frames,
        free: 0,
        total: 0,
        reserve: 0,
        hint: 0,
    };
    for r in ram {
        let s = r.start.max(0x100000).next_multiple_of(FRAME_SIZE) / FRAME_SIZE;
        let e = r.end / FRAME_SIZE;
        for f in s..e {
            let addr = f * FRAME_SIZE;
            let res = overlaps(addr, addr + FRAME_SIZE)
                || (addr < bm_phys + bytes && bm_phys < addr + FRAME_SIZE);
            if !res {
                a.bitmap[(f / 64) as usize] |= 1 << (f % 64);
                a.free += 1;
            }
        }
    }
    a.total = a.free;
    // A thirty-second of RAM, at least 4 MiB, at most a quarter.
    a.reserve = (a.total / 32).max(1024).min(a.total / 4);
    *FRAMES.lock() = Some(a);
}

impl FrameAllocator {
    fn alloc(&mut self) -> Option<u64> {
        if self.free <= self.reserve {
            return None;
        }
        let n = self.bitmap.len();
        for i in 0..n {
            let w = (self.hint + i) % n;
            if self.bitmap[w] != 0 {
                let bit = self.bitmap[w].trailing_zeros() as u64;
                self.bitmap[w] &= !(1 << bit);
                self.hint = w;
                self.free -= 1;
                return Some((w as u64 * 64 + bit) * FRAME_SIZE);
            }
        }
        None
    }

    /// One owner lets go of `phys`; the last one makes it free.
    fn free(&mut self, phys: u64) {
        let f = phys / FRAME_SIZE;
        if f >= self.frames {
            return;
        }
        if self.extra[f as usize] > 0 {
            self.extra[f as usize] -= 1;
            return;
        }
        let (w, b) = ((f / 64) as usize, f % 64);
        if self.bitmap[w] & (1 << b) != 0 {
            panic!("double free of frame {phys:#x}");
        }
        self.bitmap[w] |= 1 << b;
        self.free += 1;
    }

    /// `count` contiguous frames (heap, DMA); first fit. Only the kernel's
    /// small allocations (`use_reserve`) may take the reserve.
    fn alloc_contiguous(&mut self, count: u64, use_reserve: bool) -> Option<u64> {
        if !use_reserve && self.free < self.reserve + count {
            return None;
        }
        let mut run = 0;
        for f in 0..self.frames {
            if self.bitmap[(f / 64) as usize] & (1 << (f % 64)) != 0 {
                run += 1;
                if run == count {
                    let first = f + 1 - count;
                    for g in first..=f {
                        self.bitmap[(g / 64) as usize] &= !(1 << (g % 64));
                    }
                    self.free -= count;
                    return Some(first * FRAME_SIZE);
                }
            } else {
                run = 0;
            }
        }
        None
    }
}

/// One frame, not zeroed (None once only the reserve is left).
pub fn alloc() -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc()
}

pub fn alloc_zeroed() -> Option<u64> {
    let f = alloc()?;
    super::phys::zero_frame(f);
    Some(f)
}

/// One more owner for `phys`.
pub fn share(phys: u64) {
    if let Some(a) = FRAMES.lock().as_mut() {
        if let Some(n) = a.extra.get_mut((phys / FRAME_SIZE) as usize) {
            *n = n.saturating_add(1);
        }
    }
}

/// How many owners `phys` has.
pub fn owners(phys: u64) -> u32 {
    FRAMES
        .lock()
        .as_ref()
        .and_then(|a| a.extra.get((phys / FRAME_SIZE) as usize).copied())
        .map_or(1, |n| n + 1)
}

/// One owner lets go of `phys`; the last one returns it to the allocator.
pub fn free(phys: u64) {
    if let Some(a) = FRAMES.lock().as_mut() {
        a.free(phys);
    }
}

/// `count` contiguous frames; `use_reserve` lets the kernel's own small
/// allocations (and boot-time setup) dig into the reserve.
pub fn alloc_contiguous(count: u64, use_reserve: bool) -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc_contiguous(count, use_reserve)
}

/// Frames that programs may still get (free beyond the reserve).
pub fn available() -> u64 {
    FRAMES.lock().as_ref().map_or(0, |a| a.free.saturating_sub(a.reserve))
}

/// (total, free) frames.
pub fn stats() -> (u64, u64) {
    FRAMES.lock().as_ref().map_or((0, 0), |a| (a.total, a.free))
}
