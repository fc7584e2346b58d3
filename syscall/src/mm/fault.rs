//! A page fault from user mode: populate the page if the access is allowed
//! by the memory map (lazy allocation), else the program gets SIGSEGV.

use super::{page_down, populate_page, MemoryMap, PROT_EXEC, PROT_WRITE};
use crate::{Errno, Kernel};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAccess {
    Read,
    Write,
    Exec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// No mapping at the address: SIGSEGV with SEGV_MAPERR.
    MapErr,
    /// A mapping that forbids the access: SIGSEGV with SEGV_ACCERR.
    AccErr,
    /// A valid access but no memory left to back it: the OOM killer's SIGKILL.
    OutOfMemory,
}

impl FaultError {
    /// The si_code of the SIGSEGV it becomes.
    pub fn si_code(self) -> i32 {
        match self {
            FaultError::MapErr => 1,
            FaultError::AccErr => 2,
            FaultError::OutOfMemory => 0x80,
        }
    }
}

/// Ok when the page is now present and the access may be retried.
pub fn handle_user_fault(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    access: FaultAccess,
) -> Result<(), FaultError> {
    let vma = mm.find(addr).ok_or(FaultError::MapErr)?;
    let allowed = match access {
        FaultAccess::Read => vma.prot != 0,
        FaultAccess::Write => vma.prot & PROT_WRITE != 0,
        FaultAccess::Exec => vma.prot & PROT_EXEC != 0,
    };
    if !allowed {
        return Err(FaultError::AccErr);
    }
    // A present page faulting on an allowed access is a write to a page
    // shared copy-on-write after fork: populate gives it its own frame.
    populate_page(k, &vma, page_down(addr)).map_err(|e| match e {
        Errno::ENOMEM => FaultError::OutOfMemory,
        _ => FaultError::MapErr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestBed;

    #[test]
    fn faults_populate_allowed_pages_only() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0, 0x2000, 1, 0x22, u64::MAX, 0]); // PROT_READ
        let r = handle_user_fault(&mut t.k, &t.p.mm, a + 5, FaultAccess::Read);
        assert_eq!(r, Ok(()));
        assert!(t.k.pages.contains_key(&a));
        assert_eq!(
            handle_user_fault(&mut t.k, &t.p.mm, a, FaultAccess::Write),
            Err(FaultError::AccErr)
        );
        assert_eq!(
            handle_user_fault(&mut t.k, &t.p.mm, a, FaultAccess::Read),
            Ok(()),
            "present: populate decides"
        );
        assert_eq!(
            handle_user_fault(&mut t.k, &t.p.mm, a, FaultAccess::Exec),
            Err(FaultError::AccErr)
        );
        assert_eq!(
            handle_user_fault(&mut t.k, &t.p.mm, 0, FaultAccess::Read),
            Err(FaultError::MapErr)
        );
        t.k.page_limit = Some(t.k.pages.len());
        assert_eq!(
            handle_user_fault(&mut t.k, &t.p.mm, a + 0x1000, FaultAccess::Read),
            Err(FaultError::OutOfMemory)
        );
    }
}
