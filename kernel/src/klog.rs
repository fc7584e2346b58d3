//! The kernel log: `log` records and the protocol lines of
//! docs/boot-protocol.md, on the log channel (COM3, else COM1).

use crate::dev::serial;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

struct LogWriter;

impl Write for LogWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        serial::channels().log.write_bytes(s.as_bytes());
        Ok(())
    }
}

static QUIET: AtomicBool = AtomicBool::new(false);

struct Logger;

impl log::Log for Logger {
    fn enabled(&self, m: &log::Metadata) -> bool {
        !QUIET.load(Ordering::Relaxed) || m.level() <= log::Level::Warn
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let us = crate::time::tsc::uptime_ns() / 1000;
        let level = match r.level() {
            log::Level::Error => "error: ",
            log::Level::Warn => "warning: ",
            _ => "",
        };
        let _ = writeln!(
            LogWriter,
            "[{:5}.{:06}] {}{}",
            us / 1_000_000,
            us % 1_000_000,
            level,
            r.args()
        );
    }

    fn flush(&self) {}
}

static LOGGER: Logger = Logger;

pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(log::LevelFilter::Info);
}

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

/// A raw protocol line ("lintel: ..."), never filtered.
pub fn protocol_line(args: fmt::Arguments) {
    let _ = LogWriter.write_fmt(format_args!("lintel: {}\n", args));
}
