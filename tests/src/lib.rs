//! The harness for Lintel's integration tests.
//!
//! Guest programs live in `tests/guest/` (C for musl, one Rust program);
//! [`guest`] and [`rust_guest`] build them into `target/guest/`. Each test runs
//! a guest twice: on the host ([`run_native`]) and under the real kernel in
//! real QEMU ([`run_lintel`]), and compares what it printed with
//! [`assert_same_output`]. Programs that need a file system run natively in
//! a directory ([`run_native_in`], or chrooted: [`run_native_chroot`]) and
//! under Lintel with that directory as the root ([`run_lintel_root`]: shared
//! over virtio-9p, so what the guest leaves there can be checked on the host;
//! [`run_lintel_root_with`] for the initrd root, the virtio-fs root, other
//! virtio flavours, q35, other 9p security models).
//!
//! Servers (nginx, redis) run in the background natively or under the
//! `lintel` binary ([`server`]); `src/bin/lintel-cli.rs` is that binary,
//! built with the tests so they can start it (`CARGO_BIN_EXE_lintel-cli`).
//!
//! Environment:
//! - `LINTEL_KERNEL`: a prebuilt kernel image (otherwise `lintel` builds one);
//! - `LINTEL_ACCEL=auto|kvm|tcg`: the accelerator (default `auto`);
//! - `LINTEL_TEST_JOBS=N`: how many QEMU instances may run at once (default:
//!   the number of CPUs, since a TCG guest keeps one core busy).

mod diff;
mod elf;
mod guest;
mod native;
mod run;
pub mod server;
pub mod shared_dir;
pub mod suite;
mod tree;

use std::path::{Path, PathBuf};

pub use diff::{assert_bytes_eq, assert_same_output, describe_difference};
pub use elf::{inspect as inspect_elf, ElfInfo};
pub use guest::{guest, guest_build_dir, guest_source_dir, rust_guest, Link};
pub use native::{is_root, run_native, run_native_chroot, run_native_in, run_native_with_stdin};
pub use run::{
    kernel_log_last_line, kernel_path, run_lintel, run_lintel_root, run_lintel_root_with,
    run_lintel_with_stdin, RootConfig,
};
pub use tree::{copy_tree, describe_tree, set_mtime};

/// The repository root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}
