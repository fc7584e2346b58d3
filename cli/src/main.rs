//! The `lintel` command: see `lintel --help`.

use std::ffi::OsString;

use lintel::args::{parse, Command, USAGE};

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let code = match parse(&args) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            0
        }
        Ok(Command::Run(run)) => lintel::run_cmd::run_command(&run),
        Ok(Command::Demo) => lintel::demo::demo(),
        Ok(Command::Test(extra)) => lintel::test_cmd::test(&extra),
        Ok(Command::Bench(a)) => lintel::bench::bench(&a),
        Ok(Command::LibvirtXml(a)) => lintel::libvirt_cmd::libvirt_xml_command(&a),
        Err(msg) => {
            eprintln!("lintel: {msg}\nTry `lintel --help`.");
            2
        }
    };
    std::process::exit(code);
}
