//! The physical frame allocator: a bitmap over RAM (1 = free), itself kept
//! in RAM found from the boot memory map.

use super::phys::{to_virt, FRAME_SIZE};
use spin::Mutex;

pub struct FrameAllocator {
    bitmap: &'static mut [u64],
    frames: u64,
    free: u64,
    total: u64,
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
    let bytes = (words * 8) as u64;
    // Place the bitmap in the first RAM range with room above the reserved ones.
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
    // handed out, and mapped by the direct map; this is its only reference.
    let bitmap = unsafe { core::slice::from_raw_parts_mut(to_virt(bm_phys) as *mut u64, words) };
    bitmap.fill(0);
    let mut a = FrameAllocator {
        bitmap,
        frames,
        free: 0,
        total: 0,
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
    *FRAMES.lock() = Some(a);
}

impl FrameAllocator {
    fn alloc(&mut self) -> Option<u64> {
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

    fn free(&mut self, phys: u64) {
        let f = phys / FRAME_SIZE;
        if f >= self.frames {
            return;
        }
        let (w, b) = ((f / 64) as usize, f % 64);
        if self.bitmap[w] & (1 << b) != 0 {
            panic!("double free of frame {phys:#x}");
        }
        self.bitmap[w] |= 1 << b;
        self.free += 1;
    }

    /// `count` contiguous frames (heap, DMA); first fit.
    fn alloc_contiguous(&mut self, count: u64) -> Option<u64> {
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

/// One frame, not zeroed.
pub fn alloc() -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc()
}

pub fn alloc_zeroed() -> Option<u64> {
    let f = alloc()?;
    super::phys::zero_frame(f);
    Some(f)
}

/// Extra owners of frames mapped by more than one address space (fork's
/// copy-on-write pages, MAP_SHARED pages): a frame here is freed only when
/// its last owner lets go. Most frames have one owner and no entry.
static SHARED: Mutex<alloc::collections::BTreeMap<u64, u32>> =
    Mutex::new(alloc::collections::BTreeMap::new());

/// One more owner for `phys`.
pub fn share(phys: u64) {
    *SHARED.lock().entry(phys).or_insert(0) += 1;
}

/// How many owners `phys` has.
pub fn owners(phys: u64) -> u32 {
    1 + SHARED.lock().get(&phys).copied().unwrap_or(0)
}

/// One owner lets go of `phys`; the last one returns it to the allocator.
pub fn free(phys: u64) {
    {
        let mut s = SHARED.lock();
        if let Some(n) = s.get_mut(&phys) {
            *n -= 1;
            if *n == 0 {
                s.remove(&phys);
            }
            return;
        }
    }
    if let Some(a) = FRAMES.lock().as_mut() {
        a.free(phys);
    }
}

pub fn alloc_contiguous(count: u64) -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc_contiguous(count)
}

/// (total, free) frames.
pub fn stats() -> (u64, u64) {
    FRAMES.lock().as_ref().map_or((0, 0), |a| (a.total, a.free))
}
