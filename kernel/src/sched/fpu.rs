//! A thread's user FPU/SSE/AVX state across context switches (XSAVE of
//! every enabled component, FXSAVE where the CPU has no XSAVE), and the
//! FXSAVE image signal frames carry.

use alloc::alloc::{alloc_zeroed, dealloc, Layout};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

static SIZE: AtomicUsize = AtomicUsize::new(512);
static XSAVE: AtomicUsize = AtomicUsize::new(0);
static MXCSR_MASK: AtomicU32 = AtomicU32::new(0xffbf);

/// Learns the save-area size and the MXCSR mask (after the FPU is enabled).
pub fn init() {
    use crate::arch::cpu::cpuid;
    if cpuid(1, 0).ecx & (1 << 27) != 0 {
        // OSXSAVE: CPUID.(0xd,0).EBX is the size for the components in XCR0.
        SIZE.store((cpuid(0xd, 0).ebx as usize).max(576), Ordering::Relaxed);
        XSAVE.store(1, Ordering::Relaxed);
    }
    let mut fx = Fx([0; 512]);
    fxsave(&mut fx);
    let mask = u32::from_le_bytes([fx.0[28], fx.0[29], fx.0[30], fx.0[31]]);
    if mask != 0 {
        MXCSR_MASK.store(mask, Ordering::Relaxed);
    }
}

/// A 64-byte aligned save area.
pub struct Area {
    ptr: *mut u8,
    layout: Layout,
}

// SAFETY: the area is plain memory owned by one thread's Task.
unsafe impl Send for Area {}

impl Area {
    /// The current (live) state: a new thread starts with its parent's.
    pub fn capture() -> Option<Area> {
        let layout = Layout::from_size_align(SIZE.load(Ordering::Relaxed), 64).ok()?;
        // SAFETY: non-zero size.
        let ptr = unsafe { alloc_zeroed(layout) };
        if ptr.is_null() {
            return None;
        }
        let a = Area { ptr, layout };
        a.save();
        Some(a)
    }

    pub fn save(&self) {
        // SAFETY: `ptr` is a 64-byte aligned area of the size XSAVE/FXSAVE
        // writes for the enabled components.
        unsafe {
            if XSAVE.load(Ordering::Relaxed) != 0 {
                core::arch::asm!("xsave64 [{0}]", in(reg) self.ptr, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack));
            } else {
                core::arch::asm!("fxsave64 [{0}]", in(reg) self.ptr, options(nostack));
            }
        }
    }

    pub fn restore(&self) {
        // SAFETY: the area holds an image saved by `save` (valid header).
        unsafe {
            if XSAVE.load(Ordering::Relaxed) != 0 {
                core::arch::asm!("xrstor64 [{0}]", in(reg) self.ptr, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack));
            } else {
                core::arch::asm!("fxrstor64 [{0}]", in(reg) self.ptr, options(nostack));
            }
        }
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: allocated in `capture` with this layout.
        unsafe { dealloc(self.ptr, self.layout) }
    }
}

#[repr(C, align(16))]
pub struct Fx(pub [u8; 512]);

/// The live x87/SSE state in FXSAVE format.
pub fn fxsave(out: &mut Fx) {
    // SAFETY: `out` is a 16-byte aligned 512-byte buffer.
    unsafe { core::arch::asm!("fxsave64 [{0}]", in(reg) out.0.as_mut_ptr(), options(nostack)) }
}

/// Loads an FXSAVE image a program supplied (rt_sigreturn): MXCSR bits
/// the CPU does not support are cleared first, or FXRSTOR would fault.
pub fn fxrstor_user(img: &[u8; 512]) {
    let mut fx = Fx(*img);
    let m = u32::from_le_bytes([fx.0[24], fx.0[25], fx.0[26], fx.0[27]])
        & MXCSR_MASK.load(Ordering::Relaxed);
    fx.0[24..28].copy_from_slice(&m.to_le_bytes());
    // SAFETY: a 16-byte aligned 512-byte image with a valid MXCSR.
    unsafe { core::arch::asm!("fxrstor64 [{0}]", in(reg) fx.0.as_ptr(), options(nostack)) }
}
