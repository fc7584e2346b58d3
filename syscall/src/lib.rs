//! The Linux system-call layer: one table keyed by `Sysno`, typed handlers in
//! one file per family, and the traits the kernel implements for them.
//! Host-testable: nothing here touches hardware (see `Kernel`).
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod fs;
mod info;
pub mod kernel;
pub mod mm;
pub mod process;
pub mod signal;
mod table;
mod time;
pub mod user;

#[cfg(test)]
mod testkit;

pub use kernel::Kernel;
pub use process::{ExitStatus, Process};
pub use syscalls::{Errno, Sysno};
pub use table::dispatch;

/// What every handler returns; the table turns `Err(e)` into `-e`.
pub type SysResult = Result<u64, Errno>;

/// The context a handler runs in: the kernel services and the calling process.
pub struct Cx<'a> {
    pub k: &'a mut dyn Kernel,
    pub p: &'a mut Process,
}
