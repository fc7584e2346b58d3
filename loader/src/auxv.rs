//! The auxiliary vector: the AT_* keys and the entries Linux's `create_elf_tables`
//! emits for a static x86_64 program, in Linux's order.

use alloc::vec::Vec;

use crate::{ElfImage, StackParams, PAGE_SIZE};

pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;
pub const AT_SYSINFO_EHDR: u64 = 33;
pub const AT_MINSIGSTKSZ: u64 = 51;

/// Addresses of the strings and bytes already placed on the stack that auxv points at.
pub(crate) struct AuxvPointers {
    pub execfn: u64,
    pub platform: Option<u64>,
    pub random: u64,
}

/// The (key, value) pairs, ending with AT_NULL.
pub(crate) fn auxv_entries(
    image: &ElfImage,
    p: &StackParams,
    ptrs: &AuxvPointers,
) -> Vec<(u64, u64)> {
    let mut v = Vec::with_capacity(24);
    // x86_64's ARCH_DLINFO comes first.
    if let Some(ehdr) = p.sysinfo_ehdr {
        v.push((AT_SYSINFO_EHDR, ehdr));
    }
    if p.minsigstksz != 0 {
        v.push((AT_MINSIGSTKSZ, p.minsigstksz));
    }
    v.extend_from_slice(&[
        (AT_HWCAP, p.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, p.clktck),
        (AT_PHDR, image.phdr),
        (AT_PHENT, image.phent),
        (AT_PHNUM, image.phnum),
        (AT_BASE, 0), // no interpreter
        (AT_FLAGS, 0),
        (AT_ENTRY, image.entry),
        (AT_UID, u64::from(p.uid)),
        (AT_EUID, u64::from(p.euid)),
        (AT_GID, u64::from(p.gid)),
        (AT_EGID, u64::from(p.egid)),
        (AT_SECURE, u64::from(p.secure)),
        (AT_RANDOM, ptrs.random),
        (AT_HWCAP2, p.hwcap2),
        (AT_EXECFN, ptrs.execfn),
    ]);
    // Linux emits AT_PLATFORM only when the architecture names a platform.
    if let Some(platform) = ptrs.platform {
        v.push((AT_PLATFORM, platform));
    }
    v.push((AT_NULL, 0));
    v
}
