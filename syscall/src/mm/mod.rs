//! Memory management: the map of a process's virtual memory areas and the
//! calls that change it. Pages are populated lazily, on first touch.

mod brk;
mod fault;
mod mmap;
pub mod shared_file;
mod special;
mod vma;

pub use brk::sys_brk;
pub use fault::{handle_user_fault, FaultAccess, FaultError};
pub use mmap::{sys_madvise, sys_mmap, sys_mprotect, sys_mremap, sys_msync, sys_munmap};
pub use special::{map_vdso, populate_page, vdso_place, SpecialPages, VdsoLayout, VVAR_START};
pub use vma::{MemoryMap, Vma, VmaKind};

pub const PAGE_SIZE: u64 = 4096;
pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;

/// Top of the main thread's stack, as on Linux without randomisation.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
pub const STACK_SIZE: u64 = 8 << 20;
/// mmap allocates top-down from here (TASK_SIZE minus a 128 MiB stack gap).
pub const MMAP_BASE: u64 = 0x7fff_f7ff_f000;
/// Lowest address a mapping may take (Linux's vm.mmap_min_addr).
pub const MMAP_MIN: u64 = 0x10000;
pub const USER_END: u64 = 0x7fff_ffff_f000;

pub fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

/// Rounds up, or None past the address space.
pub fn page_up(a: u64) -> Option<u64> {
    a.checked_add(PAGE_SIZE - 1).map(page_down)
}
