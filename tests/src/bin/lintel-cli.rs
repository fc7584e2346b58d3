//! The `lintel` binary, built with the tests: integration tests that start
//! `lintel run` as a user does (and stop it with a signal) find it as
//! `CARGO_BIN_EXE_lintel-cli`. It is `cli/src/main.rs`, word for word.

use std::ffi::OsString;

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(lintel::main_with_args(&args));
}
