//! Port I/O: the few devices Lintel drives through ports (UARTs, PIC, PIT,
//! CMOS, isa-debug-exit, PCI config) go through these two functions.

use x86_64::instructions::port::Port;

pub fn outb(port: u16, value: u8) {
    // SAFETY: callers only name ports of devices this kernel owns; writing an
    // I/O port has no memory-safety effect on Rust state.
    unsafe { Port::new(port).write(value) }
}

pub fn inb(port: u16) -> u8 {
    // SAFETY: as for `outb`: a port read touches no Rust-visible memory.
    unsafe { Port::new(port).read() }
}

pub fn outw(port: u16, value: u16) {
    // SAFETY: as for `outb`.
    unsafe { Port::new(port).write(value) }
}

pub fn inw(port: u16) -> u16 {
    // SAFETY: as for `inb`.
    unsafe { Port::new(port).read() }
}

pub fn outl(port: u16, value: u32) {
    // SAFETY: as for `outb`.
    unsafe { Port::new(port).write(value) }
}

pub fn inl(port: u16) -> u32 {
    // SAFETY: as for `inb`.
    unsafe { Port::new(port).read() }
}
