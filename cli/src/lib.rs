//! Lintel's host front door: builds the kernel image, shares a root directory
//! over virtio-9p (or packs a program, or a whole root directory, into a newc
//! initrd), boots it under QEMU with the serial channels of
//! `docs/boot-protocol.md`, and reports how it ended.
//!
//! The library is what the `lintel` binary and the integration tests in
//! `tests/` share: [`run_captured`], [`run_streaming`], [`kernel_image()`],
//! the workloads ([`workloads::ensure_workloads`], [`workloads::nginx_root`],
//! [`workloads::redis_root`]) and [`main_with_args`], the binary itself.

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
pub mod net;
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
pub mod workloads;

pub use accel::{Accel, ResolvedAccel};
pub use kernel_image::{kernel_image, workspace_root};
pub use net::{NetConfig, NetMode, PortForward};
pub use ninep::{RootFs, Share, VirtioMode};
pub use outcome::Outcome;
pub use qemu::Machine;
pub use run::{run_captured, run_streaming, RunOptions, RunResult, Stdin};
pub use virtiofs::{VirtiofsCache, VirtiofsdChoice};

/// The `lintel` binary: runs the command `args` (without the program name)
/// and returns the exit status. `cli/src/main.rs` is this and `exit`; the
/// tests start a copy of the binary built from it (`tests/src/bin/`).
pub fn main_with_args(args: &[std::ffi::OsString]) -> i32 {
    use args::{parse, Command, USAGE};
    match parse(args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            0
        }
        Ok(Command::Run(run)) => run_cmd::run_command(&run),
        Ok(Command::Demo) => demo::demo(),
        Ok(Command::DemoNginx(port)) => demo::demo_nginx(port),
        Ok(Command::Workloads(a)) => workloads::workloads_command(&a),
        Ok(Command::Test(extra)) => test_cmd::test(&extra),
        Ok(Command::Bench(a)) => bench::bench(&a),
        Ok(Command::LibvirtXml(a)) => libvirt_cmd::libvirt_xml_command(&a),
        Err(msg) => {
            eprintln!("lintel: {msg}\nTry `lintel --help`.");
            2
        }
    }
}
