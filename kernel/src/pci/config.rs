//! Configuration-space access through the legacy I/O ports (mechanism #1),
//! which QEMU's `pc` and `q35` both provide for the first 256 bytes.

use crate::arch::port::{inl, outl};
use spin::Mutex;

/// The address/data port pair is one shared resource.
static LOCK: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}

impl Config {
    fn address(&self, off: u8) -> u32 {
        0x8000_0000 | (self.bus as u32) << 16 | (self.dev as u32) << 11 | (self.func as u32) << 8 | (off as u32 & 0xfc)
    }

    pub fn read32(&self, off: u8) -> u32 {
        let _g = LOCK.lock();
        outl(0xcf8, self.address(off));
        inl(0xcfc)
    }

    pub fn write32(&self, off: u8, v: u32) {
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
