//! Volatile access to mapped device registers.

#[derive(Clone, Copy, Debug)]
pub struct Regs {
    base: u64,
    len: u64,
}

impl Regs {
    /// `base` must be a mapping of `len` bytes of device registers (from mem::mmio).
    pub fn new(base: u64, len: u64) -> Self {
        Regs { base, len }
    }

    fn at(&self, off: u64, size: u64) -> u64 {
        assert!(
            off + size <= self.len,
            "device register {off:#x} outside its {:#x}-byte window",
            self.len
        );
        self.base + off
    }

    pub fn read8(&self, off: u64) -> u8 {
        // SAFETY: inside the mapped register window (checked above); volatile
        // because the device changes it.
        unsafe { core::ptr::read_volatile(self.at(off, 1) as *const u8) }
    }
    pub fn read16(&self, off: u64) -> u16 {
        // SAFETY: as for read8.
        unsafe { core::ptr::read_volatile(self.at(off, 2) as *const u16) }
    }
    pub fn read32(&self, off: u64) -> u32 {
        // SAFETY: as for read8.
        unsafe { core::ptr::read_volatile(self.at(off, 4) as *const u32) }
    }
    pub fn write8(&self, off: u64, v: u8) {
        // SAFETY: as for read8; writes go to the device.
        unsafe { core::ptr::write_volatile(self.at(off, 1) as *mut u8, v) }
    }
    pub fn write16(&self, off: u64, v: u16) {
        // SAFETY: as for write8.
        unsafe { core::ptr::write_volatile(self.at(off, 2) as *mut u16, v) }
    }
    pub fn write32(&self, off: u64, v: u32) {
        // SAFETY: as for write8.
        unsafe { core::ptr::write_volatile(self.at(off, 4) as *mut u32, v) }
    }
    pub fn write64(&self, off: u64, v: u64) {
        self.write32(off, v as u32);
        self.write32(off + 4, (v >> 32) as u32);
    }
}
