//! `lintel test`: the whole test suite against a freshly built kernel.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use crate::kernel_image::{cargo_binary, kernel_image, workspace_root};
use crate::setup::ensure_host_tools;

/// Runs `cargo test EXTRA...` in the workspace root with `LINTEL_KERNEL` set;
/// returns cargo's exit status.
pub fn test(extra: &[OsString]) -> i32 {
    match try_test(extra) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lintel: {e}");
            1
        }
    }
}

fn try_test(extra: &[OsString]) -> io::Result<i32> {
    ensure_host_tools()?;
    let kernel = std::path::absolute(kernel_image()?)?;
    let cargo = cargo_binary();
    let status = Command::new(&cargo)
        .arg("test")
        .args(extra)
        .current_dir(workspace_root())
        .env("LINTEL_KERNEL", &kernel)
        .status()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("running {}: {e}", cargo.to_string_lossy()),
            )
        })?;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
