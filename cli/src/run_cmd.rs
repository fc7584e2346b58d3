//! `lintel run`: one program, streamed, with the shell's exit conventions.

use std::io::{self, Write};
use std::time::Duration;

use crate::args::RunArgs;
use crate::kernel_image::build_kernel;
use crate::outcome::{signal_message, Outcome};
use crate::run::{run_streaming, RunOptions, Stdin};

/// Runs the program and returns the exit status for our process.
pub fn run_command(a: &RunArgs) -> i32 {
    match try_run(a) {
        Ok(outcome) => {
            if let Some(msg) = outcome_message(&outcome, a.timeout) {
                eprintln!("{msg}");
            }
            outcome.exit_code()
        }
        Err(e) => {
            eprintln!("lintel: {e}");
            crate::interrupt::exit_code(&e).unwrap_or(125)
        }
    }
}

fn try_run(a: &RunArgs) -> io::Result<Outcome> {
    let mut sinks: Vec<Box<dyn Write + Send>> = Vec::new();
    if let Some(path) = &a.log {
        let file = std::fs::File::create(path)
            .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", path.display())))?;
        sinks.push(Box::new(file));
    }
    if a.verbose {
        sinks.push(Box::new(io::stderr()));
    }
    let kernel = build_kernel(true)?;
    let mut opts = RunOptions::new(kernel, a.program.clone());
    opts.root = a.root.clone();
    opts.fs = a.fs;
    opts.tag = a.tag.clone();
    opts.rootflags = a.rootflags.clone();
    opts.shares = a.shares.clone();
    opts.virtiofs_shares = a.virtiofs_shares.clone();
    opts.virtiofsd = a.virtiofsd;
    opts.cache = a.cache;
    opts.security_model = a.security_model.clone();
    opts.virtio = a.virtio;
    opts.machine = a.machine;
    opts.net = a.net.clone();
    opts.argv = a.argv();
    opts.env = a.env.clone();
    opts.memory = a.memory.clone();
    opts.timeout = a.timeout;
    opts.accel = a.accel;
    opts.stdin = Stdin::Inherit;
    if a.verbose {
        eprintln!(
            "lintel: kernel {}, accelerator {}, machine {}",
            opts.kernel.display(),
            opts.accel.resolve().name(),
            opts.machine.name()
        );
        let virtiofs = !opts.virtiofs_shares.is_empty()
            || (opts.root.is_some() && opts.fs == crate::ninep::RootFs::VirtioFs);
        if virtiofs {
            match opts.virtiofsd.resolve() {
                Ok(d) => eprintln!(
                    "lintel: virtio-fs served by {} ({:?}), cache {}",
                    d.path.display(),
                    d.kind,
                    opts.cache.name()
                ),
                Err(e) => eprintln!("lintel: {e}"),
            }
        }
    }
    // From here on Ctrl-C stops the machine and cleans up (QEMU, virtiofsd,
    // sockets) before we exit with 128 + signal.
    crate::interrupt::enable()?;
    let log: Option<Box<dyn Write + Send>> = if sinks.is_empty() {
        None
    } else {
        Some(Box::new(Tee(sinks)))
    };
    run_streaming(&opts, log)
}

/// What we print on stderr after the program ended, as a shell would.
pub fn outcome_message(outcome: &Outcome, timeout: Option<Duration>) -> Option<String> {
    match outcome {
        Outcome::Exited(_) => None,
        Outcome::Signaled(s) => Some(signal_message(*s)),
        Outcome::Panic(msg) => Some(format!("lintel: kernel panic: {msg}")),
        Outcome::Timeout => Some(match timeout {
            Some(t) => format!("lintel: timed out after {} s", t.as_secs_f64()),
            None => "lintel: timed out".to_owned(),
        }),
        Outcome::Crashed(why) => Some(format!("lintel: the machine stopped: {why}")),
    }
}

/// Writes to every sink; a failing sink is dropped, the others go on.
struct Tee(Vec<Box<dyn Write + Send>>);

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.retain_mut(|w| w.write_all(buf).is_ok());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.retain_mut(|w| w.flush().is_ok());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(outcome_message(&Outcome::Exited(3), None), None);
        assert_eq!(
            outcome_message(&Outcome::Signaled(11), None).unwrap(),
            "Segmentation fault"
        );
        assert_eq!(
            outcome_message(&Outcome::Signaled(40), None).unwrap(),
            "Killed by signal 40"
        );
        assert_eq!(
            outcome_message(&Outcome::Panic("out of memory".into()), None).unwrap(),
            "lintel: kernel panic: out of memory"
        );
        assert_eq!(
            outcome_message(&Outcome::Timeout, Some(Duration::from_secs(10))).unwrap(),
            "lintel: timed out after 10 s"
        );
        assert_eq!(
            outcome_message(&Outcome::Timeout, Some(Duration::from_millis(2500))).unwrap(),
            "lintel: timed out after 2.5 s"
        );
        assert!(outcome_message(&Outcome::Crashed("x".into()), None)
            .unwrap()
            .contains('x'));
    }

    #[test]
    fn tee_writes_everywhere() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl Write for Buf {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (a, b) = (Buf::default(), Buf::default());
        let mut tee = Tee(vec![Box::new(a.clone()), Box::new(b.clone())]);
        tee.write_all(b"log line\n").unwrap();
        assert_eq!(*a.0.lock().unwrap(), b"log line\n");
        assert_eq!(*b.0.lock().unwrap(), b"log line\n");
    }
}
