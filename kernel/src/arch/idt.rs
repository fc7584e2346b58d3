//! The IDT: every vector goes to its stub in `trap`; the double fault runs
//! on its own stack (IST 1). Only `int3` may be raised from ring 3.

use super::gdt::KERNEL_CS;
use core::ptr::addr_of;
use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;
use x86_64::VirtAddr;

#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

static mut IDT: Idt = Idt([[0; 2]; 256]);

fn gate(handler: u64, ist: u8, dpl: u8) -> [u64; 2] {
    let low = (handler & 0xffff)
        | (KERNEL_CS as u64) << 16
        | (ist as u64) << 32
        | (0x8e | (dpl as u64) << 5) << 40 // present, 64-bit interrupt gate
        | ((handler >> 16) & 0xffff) << 48;
    [low, handler >> 32]
}

pub fn init() {
    let stubs = super::trap::stubs();
    // SAFETY: runs once at boot with interrupts disabled; the IDT is then
    // only read by the CPU.
    unsafe {
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        for (v, &stub) in stubs.iter().enumerate() {
            let ist = if v == 8 { 1 } else { 0 };
            let dpl = if v == 3 { 3 } else { 0 };
            idt.0[v] = gate(stub, ist, dpl);
        }
        lidt(&DescriptorTablePointer {
            limit: (core::mem::size_of::<Idt>() - 1) as u16,
            base: VirtAddr::new(addr_of!(IDT) as u64),
        });
    }
}
