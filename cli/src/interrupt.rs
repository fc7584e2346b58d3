//! Ctrl-C (SIGINT), SIGTERM and SIGHUP while a machine runs: the `lintel`
//! binary turns them into a request that the run loops see, so that QEMU
//! and the virtiofsd daemons are killed and reaped and the temporary
//! directory (serial and vhost-user sockets) is removed before `lintel`
//! exits with `128 + signal`. A second signal ends `lintel` at once.
//!
//! Only the binary enables this ([`enable`]); the library used by the tests
//! leaves signals alone, and [`check`] is then always `Ok`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The signals handled.
pub const SIGNALS: [i32; 3] = [SIGINT, SIGTERM, SIGHUP];

/// Set by the first signal: a second one exits at once.
static ARMED: AtomicBool = AtomicBool::new(false);
/// The signal that asked to stop, 0 when none did.
static SIGNAL: AtomicUsize = AtomicUsize::new(0);

/// Installs the handlers (once; later calls return the first result).
pub fn enable() -> io::Result<()> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for sig in SIGNALS {
            // The shutdown must be registered first: it sees the flag the
            // first signal sets only from the second signal on.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, &ARMED)
                .map_err(|e| e.to_string())?;
            signal_hook::flag::register(sig, &ARMED).map_err(|e| e.to_string())?;
            signal_hook::flag::register_usize(sig, &SIGNAL, sig as usize)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
    .clone()
    .map_err(|e| io::Error::other(format!("installing the signal handlers: {e}")))
}

/// The signal that asked to stop, if any.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => i32::try_from(s).ok(),
    }
}

/// `Err` (kind [`io::ErrorKind::Interrupted`]) once a signal asked to stop.
pub fn check() -> io::Result<()> {
    match requested() {
        None => Ok(()),
        Some(sig) => Err(interrupted(sig)),
    }
}

/// The error a run returns when a signal stopped it.
pub fn interrupted(sig: i32) -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        format!("interrupted by {}", signal_name(sig)),
    )
}

/// The exit status for our process after `err`: `128 + signal` when a
/// signal stopped the run, else `None`.
pub fn exit_code(err: &io::Error) -> Option<i32> {
    if err.kind() == io::ErrorKind::Interrupted {
        requested().map(|s| 128 + s)
    } else {
        None
    }
}

fn signal_name(sig: i32) -> String {
    match sig {
        SIGINT => "SIGINT".to_owned(),
        SIGTERM => "SIGTERM".to_owned(),
        SIGHUP => "SIGHUP".to_owned(),
        _ => format!("signal {sig}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_requested_without_a_signal() {
        // The unit tests never enable the handlers nor raise a signal.
        assert_eq!(requested(), None);
        assert!(check().is_ok());
        assert_eq!(exit_code(&io::Error::other("x")), None);
        assert_eq!(interrupted(SIGINT).kind(), io::ErrorKind::Interrupted);
        assert!(interrupted(SIGTERM).to_string().contains("SIGTERM"));
    }
}
