//! Configuration space: the PCI Express ECAM window when ACPI's MCFG names
//! one (machine `q35`), else the legacy I/O ports 0xCF8/0xCFC (`pc`).

use crate::arch::port::{inl, outl};
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// The address/data port pair is one shared resource.
static LOCK: Mutex<()> = Mutex::new(());
/// ECAM: the window's physical base (0 = none), its bus range, and which
/// buses' 1 MiB slices are mapped (on first use: most buses are empty).
static ECAM_BASE: AtomicU64 = AtomicU64::new(0);
static ECAM_BUSES: AtomicU64 = AtomicU64::new(0);
static ECAM_MAPPED: Mutex<[u64; 4]> = Mutex::new([0; 4]);

/// Uses the ECAM window at physical `base` for buses first..=last.
pub fn use_ecam(base: u64, first: u8, last: u8) -> bool {
    if first > last {
        return false;
    }
    ECAM_BUSES.store((first as u64) << 8 | last as u64, Ordering::Relaxed);
    ECAM_BASE.store(base, Ordering::Relaxed);
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl Config {
    fn address(&self, off: u8) -> u32 {
        0x8000_0000
            | (self.bus as u32) << 16
            | (self.dev as u32) << 11
            | (self.func as u32) << 8
            | (off as u32 & 0xfc)
    }

    /// The ECAM register window of this function, if ECAM covers its bus.
    fn ecam(&self) -> Option<crate::virtio::Regs> {
        let base = ECAM_BASE.load(Ordering::Relaxed);
        let buses = ECAM_BUSES.load(Ordering::Relaxed);
        let (first, last) = ((buses >> 8) as u8, buses as u8);
        if base == 0 || self.bus < first || self.bus > last {
            return None;
        }
        let bus_phys = base + (((self.bus - first) as u64) << 20);
        {
            let mut mapped = ECAM_MAPPED.lock();
            let (w, b) = (self.bus as usize / 64, self.bus % 64);
            if mapped[w] & (1 << b) == 0 {
                crate::mem::mmio::map(bus_phys, 1 << 20)?;
                mapped[w] |= 1 << b;
            }
        }
        let off = (self.dev as u64) << 15 | (self.func as u64) << 12;
        Some(crate::virtio::Regs::new(
            crate::mem::phys::to_virt(bus_phys) + off,
            4096,
        ))
    }

    pub fn read32(&self, off: u8) -> u32 {
        if let Some(r) = self.ecam() {
            return r.read32((off & 0xfc) as u64);
        }
        let _g = LOCK.lock();
        outl(0xcf8, self.address(off));
        inl(0xcfc)
    }

    pub fn write32(&self, off: u8, v: u32) {
        if let Some(r) = self.ecam() {
            return r.write32((off & 0xfc) as u64, v);
        }
        let _g = LOCK.lock();
        outl(0xcf8, self.address(off));
        outl(0xcfc, v);
    }

    pub fn read16(&self, off: u8) -> u16 {
        (self.read32(off) >> ((off & 2) * 8)) as u16
    }

    pub fn read8(&self, off: u8) -> u8 {
        (self.read32(off) >> ((off & 3) * 8)) as u8
    }

    pub fn write16(&self, off: u8, v: u16) {
        let shift = (off & 2) * 8;
        let old = self.read32(off) & !(0xffff << shift);
        self.write32(off, old | (v as u32) << shift);
    }
}
