//! The few ACPI tables Lintel reads: from the RSDP (PVH start info) through
//! the RSDT/XSDT to MCFG, the PCI Express ECAM window of machine `q35`.

use crate::mem::phys;

/// (ECAM base, first bus, last bus) of PCI segment 0.
pub fn mcfg(rsdp: u64) -> Option<(u64, u8, u8)> {
    if rsdp == 0 || phys::slice(rsdp, 8) != b"RSD PTR " {
        return None;
    }
    let revision: u8 = phys::read(rsdp + 15);
    let (table, entry_size) = if revision >= 2 {
        (phys::read::<u64>(rsdp + 24), 8)
    } else {
        (phys::read::<u32>(rsdp + 16) as u64, 4)
    };
    if table == 0 {
        return None;
    }
    let len: u32 = phys::read(table + 4);
    let count = (len.saturating_sub(36) / entry_size) as u64;
    for i in 0..count.min(256) {
        let at = table + 36 + i * entry_size as u64;
        let t = if entry_size == 8 {
            phys::read::<u64>(at)
        } else {
            phys::read::<u32>(at) as u64
        };
        if t == 0 || phys::slice(t, 4) != b"MCFG" {
            continue;
        }
        let tlen: u32 = phys::read(t + 4);
        // Header (36) + reserved (8), then 16-byte allocations.
        let mut e = t + 44;
        while e + 16 <= t + tlen as u64 {
            let base: u64 = phys::read(e);
            let segment: u16 = phys::read(e + 8);
            let (first, last): (u8, u8) = (phys::read(e + 10), phys::read(e + 11));
            if segment == 0 && base != 0 {
                return Some((base, first, last));
            }
            e += 16;
        }
    }
    None
}
