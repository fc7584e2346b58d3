//! The Linux system-call layer: one table keyed by `Sysno`, typed handlers in
//! one file per family, and the traits the kernel implements for them.
//! Host-testable: nothing here touches hardware (see `Kernel`).
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod abi;
mod block;
pub mod fs;
mod info;
pub mod kernel;
pub mod mm;
pub mod net;
pub mod process;
mod regs;
pub mod signal;
mod table;
mod time;
pub mod user;

#[cfg(test)]
mod testkit;

pub use kernel::Kernel;
pub use process::{ExitStatus, Process};
pub use regs::{Regs, SYSCALL_VECTOR};
pub use syscalls::{Errno, Sysno};
pub use table::dispatch;

/// What every handler returns; the table turns `Err(e)` into `-e`.
pub type SysResult = Result<u64, Errno>;

/// The context a handler runs in: the kernel services, the calling thread
/// and its saved registers, and a snapshot of its root and cwd.
pub struct Cx<'a> {
    pub k: &'a mut dyn Kernel,
    pub p: &'a mut Process,
    pub regs: &'a mut Regs,
    pub fs: fs::FsContext,
}

impl<'a> Cx<'a> {
    pub fn new(k: &'a mut dyn Kernel, p: &'a mut Process, regs: &'a mut Regs) -> Self {
        let fs = p.fs.lock().clone();
        Cx { k, p, regs, fs }
    }
}
