//! The PVH start info (`struct hvm_start_info`, Xen's arch-x86/hvm/start_info.h):
//! memory map, command line and modules (the initrd).

use crate::mem::phys;

const MAGIC: u32 = 0x336e_c578;
const E820_RAM: u32 = 1;

/// Read before the heap exists, so it holds no allocations.
pub struct BootInfo {
    ram: [(u64, u64); 64],
    nram: usize,
    pub cmdline: &'static [u8],
    /// (physical address, size) of the first module: the initrd.
    pub initrd: Option<(u64, u64)>,
    /// The ACPI RSDP, if the VMM gave one.
    pub rsdp: u64,
}

impl BootInfo {
    /// Usable RAM ranges [start, end).
    pub fn ram(&self) -> &[(u64, u64)] {
        &self.ram[..self.nram]
    }
}

fn cstr(paddr: u64) -> &'static [u8] {
    if paddr == 0 {
        return &[];
    }
    let mut n = 0;
    while n < 65536 && phys::read::<u8>(paddr + n) != 0 {
        n += 1;
    }
    phys::slice(paddr, n as usize)
}

pub fn parse(start_info: u64) -> BootInfo {
    let magic: u32 = phys::read(start_info);
    if magic != MAGIC {
        panic!("PVH start info has bad magic {magic:#x}: not booted through PVH?");
    }
    let version: u32 = phys::read(start_info + 4);
    let nr_modules: u32 = phys::read(start_info + 12);
    let modlist: u64 = phys::read(start_info + 16);
    let cmdline = cstr(phys::read(start_info + 24));
    let mut ram = [(0, 0); 64];
    let mut nram = 0;
    if version >= 1 {
        let memmap: u64 = phys::read(start_info + 40);
        let entries: u32 = phys::read(start_info + 48);
        for i in 0..entries as u64 {
            let e = memmap + i * 24;
            let (addr, size, ty): (u64, u64, u32) =
                (phys::read(e), phys::read(e + 8), phys::read(e + 16));
            if ty == E820_RAM && size > 0 && nram < ram.len() {
                ram[nram] = (addr, addr.saturating_add(size));
                nram += 1;
            }
        }
    }
    if nram == 0 {
        panic!("PVH start info has no memory map (version {version})");
    }
    let initrd = (nr_modules > 0 && modlist != 0).then(|| {
        let paddr: u64 = phys::read(modlist);
        let size: u64 = phys::read(modlist + 8);
        (paddr, size)
    });
    BootInfo {
        ram,
        nram,
        cmdline,
        initrd,
        rsdp: phys::read(start_info + 32),
    }
}
