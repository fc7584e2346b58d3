//! Interrupts for virtio devices: one MSI-X vector for all of them (or
//! INTx through the I/O APIC), and a wait that sleeps (hlt) until an
//! interrupt arrives.

use crate::mem::mmio;
use crate::pci::PciDevice;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Vectors 0x30.. are devices; one is enough while every device shares
/// the wake-up (each waiter re-checks its own queue).
pub const VIRTIO_VECTOR: u8 = 0x30;
/// Legacy INTx lines, routed through the I/O APIC (level-triggered).
pub const INTX_VECTOR: u8 = 0x31;
const IOAPIC_BASE: u64 = 0xfec0_0000;

/// A device's ISR register: reading it acknowledges (lowers) its INTx line.
#[derive(Clone, Copy)]
pub enum Isr {
    Port(u16),
    Mmio(super::mmio_reg::Regs),
}

static INTX_DEVICES: spin::Mutex<alloc::vec::Vec<Isr>> = spin::Mutex::new(alloc::vec::Vec::new());

/// Counts device interrupts; a waiter sleeps until it changes.
pub static IRQS: AtomicU64 = AtomicU64::new(0);

fn eoi() {
    crate::arch::lapic::eoi();
}

/// Points the device's MSI-X entry 0 at this CPU's VIRTIO_VECTOR.
pub fn enable_msix(d: &PciDevice) -> bool {
    if !crate::arch::lapic::ready() {
        return false;
    }
    let Some(cap) = d.cap(0x11) else { return false };
    let table = d.cfg.read32(cap + 4);
    let bir = (table & 7) as usize;
    let off = (table & !7) as u64;
    let Some(Some(crate::pci::Bar::Memory { addr, .. })) = d.bars.get(bir) else {
        return false;
    };
    let Some(v) = mmio::map(addr + off, 16) else {
        return false;
    };
    let entry = super::mmio_reg::Regs::new(v, 16);
    entry.write32(0, 0xfee0_0000); // LAPIC of CPU 0, fixed delivery
    entry.write32(4, 0);
    entry.write32(8, VIRTIO_VECTOR as u32);
    entry.write32(12, 0); // unmasked
    let ctl = d.cfg.read16(cap + 2);
    d.cfg.write16(cap + 2, (ctl | 0x8000) & !0x4000); // enable, no function mask
    true
}

/// Called from the trap handler for VIRTIO_VECTOR.
pub fn handle() {
    IRQS.fetch_add(1, Ordering::Release);
    crate::sched::wake_all();
    eoi();
}

/// Called for INTX_VECTOR: reading each INTx device's ISR lowers its line
/// (a level-triggered interrupt would otherwise fire again at once).
pub fn handle_intx() {
    static FIRST: AtomicBool = AtomicBool::new(true);
    if FIRST.swap(false, Ordering::Relaxed) {
        log::info!("virtio: first INTx interrupt");
    }
    for isr in INTX_DEVICES.lock().iter() {
        match isr {
            Isr::Port(p) => {
                crate::arch::port::inb(*p);
            }
            Isr::Mmio(r) => {
                r.read8(0);
            }
        }
    }
    IRQS.fetch_add(1, Ordering::Release);
    crate::sched::wake_all();
    eoi();
}

/// Routes the device's INTx line (its PCI interrupt line, as the firmware
/// set it) to INTX_VECTOR through the I/O APIC.
pub fn enable_intx(d: &PciDevice, isr: Isr) -> bool {
    if !crate::arch::lapic::ready() {
        return false;
    }
    let line = d.cfg.read8(0x3c);
    if line == 0 || line >= 24 {
        return false;
    }
    let Some(v) = mmio::map(IOAPIC_BASE, 0x20) else {
        return false;
    };
    let io = super::mmio_reg::Regs::new(v, 0x20);
    let reg = 0x10 + 2 * line as u32;
    io.write32(0, reg + 1);
    io.write32(0x10, 0); // destination: APIC 0
    io.write32(0, reg);
    io.write32(0x10, INTX_VECTOR as u32 | 1 << 15); // level-triggered, active high, unmasked
    INTX_DEVICES.lock().push(isr);
    log::info!("virtio: no MSI-X; INTx on I/O APIC pin {line}");
    true
}

/// Sleeps until `done()` holds, waking on device interrupts; without
/// interrupts (no MSI-X) it polls.
pub fn wait(irq: bool, done: &mut dyn FnMut() -> bool) {
    loop {
        if done() {
            return;
        }
        if irq {
            let seen = IRQS.load(Ordering::Acquire);
            // Re-check with interrupts off, then sleep with sti;hlt (atomic).
            x86_64::instructions::interrupts::disable();
            if IRQS.load(Ordering::Acquire) == seen && !done() {
                x86_64::instructions::interrupts::enable_and_hlt();
            }
            x86_64::instructions::interrupts::disable();
        } else {
            core::hint::spin_loop();
        }
    }
}
