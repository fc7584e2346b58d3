//! A page fault from user mode: populate the page if the access is allowed
//! by the memory map (lazy allocation), else the program gets SIGSEGV.

use super::{page_down, MemoryMap, PROT_EXEC, PROT_WRITE};
use crate::Kernel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAccess {
    Read,
    Write,
    Exec,
}

/// Ok when the page is now present and the access may be retried.
/// `present` says the page was already mapped (a protection violation).
pub fn handle_user_fault(k: &mut dyn Kernel, mm: &MemoryMap, addr: u64, access: FaultAccess, present: bool) -> Result<(), ()> {
    let vma = mm.find(addr).ok_or(())?;
    let allowed = match access {
        FaultAccess::Read => vma.prot != 0,
        FaultAccess::Write => vma.prot & PROT_WRITE != 0,
        FaultAccess::Exec => vma.prot & PROT_EXEC != 0,
    };
    if !allowed || present {
        return Err(());
    }
    k.populate(page_down(addr), vma.prot).map_err(|_| ())
}
