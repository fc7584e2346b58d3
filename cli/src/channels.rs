//! The three serial channels between QEMU and us: Unix sockets we listen on
//! and QEMU connects to (COM1 = stdin/stdout, COM2 = stderr, COM3 = kernel log),
//! and the threads that move bytes through them.

use std::io::{self, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// Byte that marks the end of the program's input on COM1 (Ctrl-D).
pub const END_OF_INPUT: u8 = 0x04;

/// The listening sockets, bound before QEMU starts.
pub struct SerialListeners {
    listeners: [UnixListener; 3],
    paths: [PathBuf; 3],
}

/// The accepted connections, in port order.
pub struct SerialStreams {
    pub com1: UnixStream,
    pub com2: UnixStream,
    pub com3: UnixStream,
}

pub enum Connection {
    Connected(SerialStreams),
    /// QEMU ended before connecting to all three.
    QemuExited(ExitStatus),
}

impl SerialListeners {
    pub fn bind(dir: &Path) -> io::Result<SerialListeners> {
        let paths = ["com1", "com2", "com3"].map(|n| dir.join(n));
        let bind = |p: &PathBuf| {
            let l = UnixListener::bind(p)
                .map_err(|e| io::Error::new(e.kind(), format!("binding {}: {e}", p.display())))?;
            l.set_nonblocking(true)?;
            Ok::<_, io::Error>(l)
        };
        let listeners = [bind(&paths[0])?, bind(&paths[1])?, bind(&paths[2])?];
        Ok(SerialListeners { listeners, paths })
    }

    pub fn paths(&self) -> &[PathBuf; 3] {
        &self.paths
    }

    /// Accepts QEMU's three connections, giving up when QEMU exits first or
    /// when `deadline` passes.
    pub fn accept(&self, qemu: &mut Child, deadline: Instant) -> io::Result<Connection> {
        let mut streams: [Option<UnixStream>; 3] = [None, None, None];
        let mut exited = None;
        loop {
            for (slot, listener) in streams.iter_mut().zip(&self.listeners) {
                if slot.is_none() {
                    match listener.accept() {
                        Ok((s, _)) => {
                            s.set_nonblocking(false)?;
                            *slot = Some(s);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            if streams.iter().all(Option::is_some) {
                let [com1, com2, com3] = streams.map(Option::unwrap);
                return Ok(Connection::Connected(SerialStreams { com1, com2, com3 }));
            }
            if let Some(status) = exited {
                return Ok(Connection::QemuExited(status));
            }
            // QEMU may connect and exit at once (a bad kernel): its connections
            // wait in the backlog, so one more pass accepts them.
            if let Some(status) = qemu.try_wait()? {
                exited = Some(status);
                continue;
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "QEMU did not connect to the serial sockets",
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Copies `src` to `sink` until end of file, showing each chunk to `observe`
/// first. A failing sink (a closed pipe) is dropped, and reading goes on so
/// the guest never blocks on a full socket.
pub fn pump(mut src: impl Read, sink: Box<dyn Write + Send>, mut observe: impl FnMut(&[u8])) {
    let mut sink = Some(sink);
    let mut buf = [0u8; 8192];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        observe(&buf[..n]);
        if let Some(w) = sink.as_mut() {
            if w.write_all(&buf[..n]).and_then(|()| w.flush()).is_err() {
                sink = None;
            }
        }
    }
}

/// Sends `input` then [`END_OF_INPUT`].
pub fn send_input(mut com1: impl Write, input: &[u8]) -> io::Result<()> {
    com1.write_all(input)?;
    com1.write_all(&[END_OF_INPUT])?;
    com1.flush()
}

/// Forwards our own stdin as it comes, then [`END_OF_INPUT`] at its end.
pub fn forward_stdin(mut com1: impl Write) -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut buf = [0u8; 4096];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        com1.write_all(&buf[..n])?;
        com1.flush()?;
    }
    send_input(com1, &[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tempdir::TempDir;
    use std::process::Command;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pump_copies_and_observes() {
        let out = Shared::default();
        let mut seen = Vec::new();
        pump(&b"hello world"[..], Box::new(out.clone()), |c| {
            seen.extend_from_slice(c)
        });
        assert_eq!(*out.0.lock().unwrap(), b"hello world");
        assert_eq!(seen, b"hello world");
    }

    #[test]
    fn pump_drains_past_a_broken_sink() {
        let data = vec![7u8; 100_000];
        let mut total = 0;
        pump(&data[..], Box::new(Broken), |c| total += c.len());
        assert_eq!(total, data.len());
    }

    #[test]
    fn input_ends_with_ctrl_d() {
        let mut out = Vec::new();
        send_input(&mut out, b"abc").unwrap();
        assert_eq!(out, b"abc\x04");
        out.clear();
        send_input(&mut out, b"").unwrap();
        assert_eq!(out, b"\x04");
    }

    #[test]
    fn accepts_three_clients_in_any_order() {
        let dir = TempDir::new().unwrap();
        let listeners = SerialListeners::bind(dir.path()).unwrap();
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let c3 = UnixStream::connect(&listeners.paths()[2]).unwrap();
        let c1 = UnixStream::connect(&listeners.paths()[0]).unwrap();
        let c2 = UnixStream::connect(&listeners.paths()[1]).unwrap();
        let conn = listeners
            .accept(&mut child, Instant::now() + Duration::from_secs(5))
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        let Connection::Connected(s) = conn else {
            panic!("not connected")
        };
        for (mut client, mut server) in [(c1, s.com1), (c2, s.com2), (c3, s.com3)] {
            let tag = server
                .local_addr()
                .unwrap()
                .as_pathname()
                .unwrap()
                .to_owned();
            client.write_all(tag.to_str().unwrap().as_bytes()).unwrap();
            drop(client);
            let mut got = String::new();
            server.read_to_string(&mut got).unwrap();
            assert_eq!(Path::new(&got), tag);
        }
    }

    #[test]
    fn a_child_that_exits_without_connecting_is_reported() {
        let dir = TempDir::new().unwrap();
        let listeners = SerialListeners::bind(dir.path()).unwrap();
        let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
        let started = Instant::now();
        match listeners
            .accept(&mut child, Instant::now() + Duration::from_secs(30))
            .unwrap()
        {
            Connection::QemuExited(status) => assert_eq!(status.code(), Some(3)),
            Connection::Connected(_) => panic!("connected?"),
        }
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn accept_times_out() {
        let dir = TempDir::new().unwrap();
        let listeners = SerialListeners::bind(dir.path()).unwrap();
        let mut child = Command::new("sleep").arg("10").spawn().unwrap();
        let r = listeners.accept(&mut child, Instant::now() + Duration::from_millis(50));
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(r.err().map(|e| e.kind()), Some(io::ErrorKind::TimedOut));
    }
}
