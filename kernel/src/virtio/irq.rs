//! Interrupts for virtio devices: the local APIC, one MSI-X vector per
//! device, and a wait that sleeps (hlt) until an interrupt arrives.

use crate::mem::mmio;
use crate::pci::PciDevice;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::registers::model_specific::Msr;

/// Vectors 0x30.. are devices; one is enough while every device shares
/// the wake-up (each waiter re-checks its own queue).
pub const VIRTIO_VECTOR: u8 = 0x30;
/// Legacy INTx lines, routed through the I/O APIC (level-triggered).
pub const INTX_VECTOR: u8 = 0x31;
/// The local APIC timer: a backstop tick while waiting on INTx.
pub const TICK_VECTOR: u8 = 0x32;
const IOAPIC_BASE: u64 = 0xfec0_0000;

/// A device's ISR register: reading it acknowledges (lowers) its INTx line.
#[derive(Clone, Copy)]
pub enum Isr {
    Port(u16),
    Mmio(super::mmio_reg::Regs),
}

static INTX_DEVICES: spin::Mutex<alloc::vec::Vec<Isr>> = spin::Mutex::new(alloc::vec::Vec::new());
const SPURIOUS_VECTOR: u8 = 0xff;
const APIC_BASE_MSR: u32 = 0x1b;

static LAPIC: AtomicU64 = AtomicU64::new(0);
static READY: AtomicBool = AtomicBool::new(false);
/// Counts device interrupts; a waiter sleeps until it changes.
pub static IRQS: AtomicU64 = AtomicU64::new(0);

fn lapic() -> Option<u64> {
    let v = LAPIC.load(Ordering::Relaxed);
    (v != 0).then_some(v)
}

/// Maps and software-enables the local APIC (xAPIC mode).
pub fn init_lapic() {
    // SAFETY: reading IA32_APIC_BASE has no side effects.
    let base = unsafe { Msr::new(APIC_BASE_MSR).read() } & 0xffff_f000;
    let Some(v) = mmio::map(base, 4096) else {
        return;
    };
    LAPIC.store(v, Ordering::Relaxed);
    let r = super::mmio_reg::Regs::new(v, 4096);
    r.write32(0xf0, 0x100 | SPURIOUS_VECTOR as u32); // SVR: enable
    r.write32(0x80, 0); // TPR: accept everything
    READY.store(true, Ordering::Relaxed);
}

/// End of interrupt.
pub fn eoi() {
    if let Some(v) = lapic() {
        super::mmio_reg::Regs::new(v, 4096).write32(0xb0, 0);
    }
}

/// Points the device's MSI-X entry 0 at this CPU's VIRTIO_VECTOR.
pub fn enable_msix(d: &PciDevice) -> bool {
    if !READY.load(Ordering::Relaxed) {
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

/// Called for TICK_VECTOR.
pub fn handle_tick() {
    crate::sched::tick();
    eoi();
}

/// Routes the device's INTx line (its PCI interrupt line, as the firmware
/// set it) to INTX_VECTOR through the I/O APIC.
pub fn enable_intx(d: &PciDevice, isr: Isr) -> bool {
    if !READY.load(Ordering::Relaxed) {
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

/// Starts the periodic local-APIC tick (about 250 Hz, calibrated against
/// the TSC): waits sleep in `hlt` between ticks instead of spinning, and a
/// wait on INTx wakes up even if a machine routes the line elsewhere.
pub fn start_tick() {
    let Some(v) = lapic() else { return };
    let r = super::mmio_reg::Regs::new(v, 4096);
    r.write32(0x3e0, 0x3); // divide by 16
    r.write32(0x320, 1 << 16); // masked while measuring
    r.write32(0x380, u32::MAX);
    let t0 = crate::time::tsc::uptime_ns();
    while crate::time::tsc::uptime_ns() - t0 < 1_000_000 {
        core::hint::spin_loop();
    }
    let per_ms = u32::MAX - r.read32(0x390);
    r.write32(0x380, 0);
    let count = per_ms.saturating_mul(4).max(1000);
    r.write32(0x320, TICK_VECTOR as u32 | 1 << 17); // periodic
    r.write32(0x380, count);
    log::info!("local APIC tick every 4 ms ({per_ms} counts/ms)");
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
