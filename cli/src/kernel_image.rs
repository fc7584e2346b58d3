//! Finding (and building) the kernel image.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub const KERNEL_PACKAGE: &str = "lintel-kernel";
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// The root of the Lintel workspace (the parent of `cli/`).
pub fn workspace_root() -> PathBuf {
    let cli = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    cli.parent().map(PathBuf::from).unwrap_or(cli)
}

/// The cargo that runs us, if any, else `cargo` from `PATH`.
pub fn cargo_binary() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// A separate target directory, so the kernel builds while an outer `cargo`
/// (say `cargo test`) holds the lock of `target/`.
pub fn kernel_target_dir() -> PathBuf {
    workspace_root().join("target").join("kernel")
}

/// Where `cargo build` puts the image.
pub fn built_kernel_path() -> PathBuf {
    kernel_target_dir()
        .join(KERNEL_TARGET)
        .join("release")
        .join(KERNEL_PACKAGE)
}

/// The `cargo build` arguments for the kernel.
pub fn kernel_build_args(quiet: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "build",
        "--release",
        "-p",
        KERNEL_PACKAGE,
        "--target",
        KERNEL_TARGET,
        "--target-dir",
    ]
    .map(OsString::from)
    .to_vec();
    args.push(kernel_target_dir().into_os_string());
    if quiet {
        args.push("--quiet".into());
    }
    args
}

/// Path of the kernel image, building it first when needed: `LINTEL_KERNEL`
/// as is when set, else the result of `cargo build` (whose output goes to our
/// stderr).
pub fn kernel_image() -> io::Result<PathBuf> {
    build_kernel(false)
}

/// [`kernel_image()`], with cargo's progress lines suppressed when `quiet`
/// (errors and warnings still show).
pub fn build_kernel(quiet: bool) -> io::Result<PathBuf> {
    if let Some(path) = std::env::var_os("LINTEL_KERNEL") {
        return Ok(PathBuf::from(path));
    }
    let cargo = cargo_binary();
    let status = Command::new(&cargo)
        .args(kernel_build_args(quiet))
        .current_dir(workspace_root())
        // The kernel's flags come from .cargo/config.toml's target table;
        // RUSTFLAGS meant for host code would silently replace them.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .stdin(Stdio::null())
        .stdout(io::stderr())
        .stderr(io::stderr())
        .status()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("running {}: {e}", cargo.to_string_lossy()),
            )
        })?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "building the kernel failed ({status})"
        )));
    }
    let image = built_kernel_path();
    if !image.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} was not built", image.display()),
        ));
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file());
        assert!(root.join("cli").join("Cargo.toml").is_file());
        assert_eq!(
            built_kernel_path(),
            root.join("target/kernel/x86_64-unknown-none/release/lintel-kernel")
        );
    }

    #[test]
    fn build_arguments() {
        let args: Vec<String> = kernel_build_args(false)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        let dir = kernel_target_dir().display().to_string();
        assert_eq!(
            args,
            [
                "build",
                "--release",
                "-p",
                "lintel-kernel",
                "--target",
                "x86_64-unknown-none",
                "--target-dir",
                dir.as_str()
            ]
        );
        assert_eq!(kernel_build_args(true).last().unwrap(), "--quiet");
    }
}
