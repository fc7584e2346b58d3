//! The `lintel` command: see `lintel --help`.

use std::ffi::OsString;

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(lintel::main_with_args(&args));
}
