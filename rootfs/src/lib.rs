//! The boot-time root: the kernel command line, the initrd (newc cpio), and
//! later the mount table and the in-memory file systems (see DESIGN.md).
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod cmdline;
pub mod cpio;
