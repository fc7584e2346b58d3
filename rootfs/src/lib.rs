//! The boot-time root: the kernel command line, the initrd (newc cpio) and
//! its unpacking, and the in-memory file systems a root needs: tmpfs,
//! devfs and procfs (see DESIGN.md).
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod cmdline;
pub mod cpio;
pub mod devfs;
mod listing;
pub mod procfs;
pub mod tmpfs;
pub mod unpack;

pub use devfs::{makedev, CharDev, DevFs};
pub use procfs::{ProcFs, ProcSource};
pub use tmpfs::{Tmpfs, TmpfsOptions};
