//! The clock's parameters, in the page the vDSO reads (Linux's vvar):
//! the TSC at boot, the TSC calibration and the realtime at boot. It is the
//! only copy, so the kernel's clocks (`tsc::uptime_ns`, `realtime_ns`) and
//! the vDSO's compute from the same values; a sequence counter, odd while
//! the kernel writes, lets both read a consistent set. The page lives in
//! the kernel image, so the clock works from the first instruction, and
//! exec maps its frame read-only into every process (kernel/src/vdso.rs).

use core::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// kernel/vdso/vvar.h's `struct lintel_vvar`, field for field.
#[repr(C, align(4096))]
pub struct VvarPage {
    seq: AtomicU32,
    _reserved: AtomicU32,
    boot_tsc: AtomicU64,
    tsc_per_us_x1024: AtomicU64,
    boot_realtime_ns: AtomicU64,
}

const _: () = {
    assert!(core::mem::offset_of!(VvarPage, seq) == 0);
    assert!(core::mem::offset_of!(VvarPage, boot_tsc) == 8);
    assert!(core::mem::offset_of!(VvarPage, tsc_per_us_x1024) == 16);
    assert!(core::mem::offset_of!(VvarPage, boot_realtime_ns) == 24);
    assert!(core::mem::size_of::<VvarPage>() == 4096);
};

static VVAR: VvarPage = VvarPage {
    seq: AtomicU32::new(0),
    _reserved: AtomicU32::new(0),
    boot_tsc: AtomicU64::new(0),
    tsc_per_us_x1024: AtomicU64::new(0),
    boot_realtime_ns: AtomicU64::new(0),
};

/// One consistent reading of the parameters.
#[derive(Clone, Copy)]
pub struct Params {
    pub boot_tsc: u64,
    /// TSC ticks per microsecond, times 1024 (0 before calibration).
    pub tsc_per_us_x1024: u64,
    pub boot_realtime_ns: u64,
}

/// The page's kernel virtual address (its frame is mapped into programs).
pub fn page_address() -> u64 {
    core::ptr::addr_of!(VVAR) as u64
}

/// Reads the parameters with `f` applied under the same sequence number
/// (so a TSC read inside `f` belongs to this set), as the vDSO does.
pub fn read<T>(mut f: impl FnMut(&Params) -> T) -> T {
    loop {
        let seq = VVAR.seq.load(Ordering::Acquire);
        if seq & 1 == 0 {
            let p = Params {
                boot_tsc: VVAR.boot_tsc.load(Ordering::Relaxed),
                tsc_per_us_x1024: VVAR.tsc_per_us_x1024.load(Ordering::Relaxed),
                boot_realtime_ns: VVAR.boot_realtime_ns.load(Ordering::Relaxed),
            };
            let r = f(&p);
            fence(Ordering::Acquire);
            if VVAR.seq.load(Ordering::Relaxed) == seq {
                return r;
            }
        }
        core::hint::spin_loop();
    }
}

/// Changes the parameters: readers (the vDSO in any process, the kernel)
/// see either all of the old values or all of the new ones. Interrupts
/// are off meanwhile, so nothing on this CPU reads a half-written set.
pub fn update(f: impl FnOnce(&mut Params)) {
    x86_64::instructions::interrupts::without_interrupts(|| {
        let seq = VVAR.seq.load(Ordering::Relaxed);
        let mut p = Params {
            boot_tsc: VVAR.boot_tsc.load(Ordering::Relaxed),
            tsc_per_us_x1024: VVAR.tsc_per_us_x1024.load(Ordering::Relaxed),
            boot_realtime_ns: VVAR.boot_realtime_ns.load(Ordering::Relaxed),
        };
        f(&mut p);
        VVAR.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        VVAR.boot_tsc.store(p.boot_tsc, Ordering::Relaxed);
        VVAR.tsc_per_us_x1024
            .store(p.tsc_per_us_x1024, Ordering::Relaxed);
        VVAR.boot_realtime_ns
            .store(p.boot_realtime_ns, Ordering::Relaxed);
        VVAR.seq.store(seq.wrapping_add(2), Ordering::Release);
    });
}
