//! `lintel demo`: a few programs, built here or taken from Debian, run on
//! the kernel one after the other.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::kernel_image::{kernel_image, workspace_root};
use crate::outcome::Outcome;
use crate::run::{run_streaming, RunOptions, Stdin};
use crate::setup::{ensure_host_tools, BUSYBOX};

/// One program run of the demo.
#[derive(Clone, Debug)]
pub struct DemoStep {
    pub program: PathBuf,
    /// `argv[0]` included.
    pub argv: Vec<OsString>,
}

/// Exit status for our process: 0 when every step exited 0.
pub fn demo() -> i32 {
    match try_demo() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("lintel: {e}");
            1
        }
    }
}

fn try_demo() -> io::Result<bool> {
    ensure_host_tools()?;
    let kernel = kernel_image()?;
    let dir = workspace_root().join("target").join("demo");
    let steps = build_initrd_demo(&dir)?;
    run_steps(&kernel, &steps)
}

/// Builds the demo programs into `dir`: `hello` (from `cli/demo/hello.c`,
/// static musl) and Debian's static busybox.
pub fn build_initrd_demo(dir: &Path) -> io::Result<Vec<DemoStep>> {
    std::fs::create_dir_all(dir)?;
    let hello = dir.join("hello");
    let source = workspace_root().join("cli").join("demo").join("hello.c");
    let status = Command::new("musl-gcc")
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(&hello)
        .arg(&source)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running musl-gcc: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "musl-gcc failed on {} ({status})",
            source.display()
        )));
    }
    let busybox = dir.join("busybox");
    std::fs::copy(BUSYBOX, &busybox)
        .map_err(|e| io::Error::new(e.kind(), format!("copying {BUSYBOX}: {e}")))?;
    let step = |program: &Path, argv: &[&str]| DemoStep {
        program: program.to_owned(),
        argv: argv.iter().map(OsString::from).collect(),
    };
    Ok(vec![
        step(
            &hello,
            &["hello", "from the host", "it's \"quoted\"", "100%"],
        ),
        step(
            &busybox,
            &["busybox", "echo", "Hello from busybox on Lintel"],
        ),
        step(&busybox, &["busybox", "uname", "-a"]),
    ])
}

/// Runs each step with a header line; true when all exited 0.
pub fn run_steps(kernel: &Path, steps: &[DemoStep]) -> io::Result<bool> {
    let mut all_ok = true;
    for (i, step) in steps.iter().enumerate() {
        {
            let mut out = io::stdout().lock();
            if i > 0 {
                writeln!(out)?;
            }
            writeln!(out, "==> {}", shell_words(&step.argv))?;
            out.flush()?;
        }
        let mut opts = RunOptions::new(kernel.to_owned(), step.program.clone());
        opts.argv = step.argv.clone();
        opts.env = vec!["PATH=/".into(), "HOME=/".into()];
        opts.stdin = Stdin::Null;
        opts.timeout = Some(Duration::from_secs(120));
        let outcome = run_streaming(&opts, None)?;
        if outcome != Outcome::Exited(0) {
            eprintln!("lintel: {} {outcome}", step.argv[0].to_string_lossy());
            all_ok = false;
        }
    }
    Ok(all_ok)
}

/// The words as a POSIX shell would need them typed.
pub fn shell_words(words: &[OsString]) -> String {
    words
        .iter()
        .map(|w| shell_quote(&w.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let words = ["hello", "two words", "it's", "", "100%", "a\"b"].map(OsString::from);
        assert_eq!(
            shell_words(&words),
            r#"hello 'two words' 'it'\''s' '' 100% 'a"b'"#
        );
    }

    #[test]
    fn demo_source_exists() {
        assert!(workspace_root().join("cli/demo/hello.c").is_file());
    }
}
