//! Lintel's host front door: builds the kernel image, shares a root directory
//! over virtio-9p (or packs a program, or a whole root directory, into a newc
//! initrd), boots it under QEMU with the serial channels of
//! `docs/boot-protocol.md`, and reports how it ended.
//!
//! The library is what the `lintel` binary and the integration tests in
//! `tests/` share: [`run_captured`], [`run_streaming`], [`kernel_image()`].

pub mod accel;
pub mod args;
pub mod bench;
pub mod channels;
pub mod cmdline;
pub mod cpio;
pub mod demo;
pub mod interrupt;
pub mod kernel_image;
pub mod libvirt;
pub mod libvirt_cmd;
pub mod ninep;
pub mod outcome;
pub mod qemu;
pub mod rootdir;
pub mod run;
pub mod run_cmd;
pub mod setup;
pub mod tempdir;
pub mod test_cmd;
pub mod virtiofs;

pub use accel::{Accel, ResolvedAccel};
pub use kernel_image::{kernel_image, workspace_root};
pub use ninep::{RootFs, Share, VirtioMode};
pub use outcome::Outcome;
pub use qemu::Machine;
pub use run::{run_captured, run_streaming, RunOptions, RunResult, Stdin};
pub use virtiofs::{VirtiofsCache, VirtiofsdChoice};
