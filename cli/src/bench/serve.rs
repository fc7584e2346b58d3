//! The server rows: a server (nginx, redis-server) runs in either guest with
//! the bench share as its root and one port forwarded from the host; the
//! host waits until it really answers, measures it with a client on the
//! host, then stops the machine.
//!
//! Both guests get the same [`NetConfig`]: QEMU user-mode networking with
//! `hostfwd=tcp:127.0.0.1:PORT-10.0.2.15:GUEST` and one transitional
//! virtio-net device (the arguments of `lintel run -p`, from
//! [`crate::net`]), the guest at the static 10.0.2.15/24 behind 10.0.2.2.
//!
//! Waiting: QEMU accepts connections on the forwarded port as soon as it
//! runs, whether or not the guest listens (it then closes them), so only an
//! answer counts: `HTTP/1.x 200` to `GET /`, `+PONG` to `PING`.
//!
//! Stopping: the Linux run ([`run_linux_until`]) ends its QEMU when asked.
//! Lintel runs through [`crate::run::run`], which offers no such request,
//! so the host ends that QEMU itself: the one child process of ours whose
//! command line forwards this run's host port gets SIGTERM (SIGKILL if it
//! lingers); `run` then returns as for any machine that went away.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::guest::{run_lintel, run_linux_until, Guest, GuestRun, Job, Machines};
use crate::net::{NetConfig, NetMode, PortForward, Proto, DEFAULT_HOST_ADDR};
use crate::net::{USER_GATEWAY, USER_GUEST_ADDR};

/// How the host knows the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// `GET / HTTP/1.0` gets `HTTP/1.x 200`.
    Http,
    /// `PING` gets `+PONG`.
    RedisPing,
}

impl Probe {
    /// What it sends.
    pub fn request(self) -> &'static [u8] {
        match self {
            Probe::Http => b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n",
            Probe::RedisPing => b"PING\r\n",
        }
    }

    /// The reply (its start) says the server is there.
    pub fn answered(self, reply: &[u8]) -> bool {
        match self {
            Probe::Http => http_status(reply) == Some(200),
            Probe::RedisPing => reply.starts_with(b"+PONG\r\n"),
        }
    }

    /// How many bytes of the reply [`Probe::answered`] needs.
    fn needs(self) -> usize {
        match self {
            Probe::Http => 12,
            Probe::RedisPing => 7,
        }
    }

    /// One try against `127.0.0.1:port`: connect, send, read the reply's
    /// start (waiting at most `wait` for each step).
    pub fn try_once(self, port: u16, wait: Duration) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let Ok(mut s) = TcpStream::connect_timeout(&addr, wait) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(wait));
        let _ = s.set_write_timeout(Some(wait));
        if s.write_all(self.request()).is_err() {
            return false;
        }
        let mut reply = Vec::new();
        let mut buf = [0u8; 256];
        while reply.len() < self.needs() {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => reply.extend_from_slice(&buf[..n]),
            }
        }
        self.answered(&reply)
    }
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
pub fn http_status(reply: &[u8]) -> Option<u16> {
    let rest = reply
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| reply.strip_prefix(b"HTTP/1.0 "))?;
    let code = rest.get(..3)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(code).ok()?.parse().ok()
}

/// A host port nobody listens on now (the kernel's pick for port 0).
pub fn free_port() -> io::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// The network of a server run: user-mode networking, the host's
/// `127.0.0.1:host_port` forwarded to the guest's `guest_port` at the
/// static 10.0.2.15/24, gateway 10.0.2.2.
pub fn server_net(host_port: u16, guest_port: u16) -> Result<NetConfig, String> {
    NetConfig::resolve(
        Some(NetMode::User),
        vec![PortForward {
            proto: Proto::Tcp,
            host_addr: DEFAULT_HOST_ADDR,
            host: host_port,
            guest: guest_port,
        }],
        Some(USER_GUEST_ADDR),
        Some(USER_GATEWAY),
    )
}

/// How one server run went.
#[derive(Debug)]
pub struct Served<T> {
    /// The machine's output; `status` is `Ok` when the server answered and
    /// was still running when the host stopped it.
    pub run: GuestRun,
    /// From the start until the server first answered.
    pub ready_after: Option<Duration>,
    /// What `measure` returned (when the server answered).
    pub measured: Option<T>,
    /// The host port that was forwarded.
    pub port: u16,
}

/// Boots `guest` with `job` (its `net` is replaced by [`server_net`] for a
/// free host port), waits at most `ready_limit` until `probe` answers,
/// calls `measure(host_port)`, then stops the machine.
pub fn serve<T>(
    m: &Machines,
    guest: Guest,
    job: &Job,
    guest_port: u16,
    probe: Probe,
    ready_limit: Duration,
    measure: impl FnOnce(u16) -> T,
) -> io::Result<Served<T>> {
    let port = free_port()?;
    let mut job = job.clone();
    job.net = server_net(port, guest_port).map_err(io::Error::other)?;
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let machine = {
        let (m, job, stop) = (m.clone(), job.clone(), stop.clone());
        thread::spawn(move || match guest {
            Guest::Lintel => run_lintel(&m.lintel, &m.share, &job, m.accel),
            Guest::Linux => run_linux_until(&m.linux, &m.share, &job, m.accel, Some(&stop)),
        })
    };
    let mut ready_after = None;
    while start.elapsed() < ready_limit && !machine.is_finished() {
        // Short waits: while the guest does not listen yet, QEMU keeps the
        // connection open without an answer.
        if probe.try_once(port, Duration::from_secs(2)) {
            ready_after = Some(start.elapsed());
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let measured = ready_after.map(|_| measure(port));
    let alive = !machine.is_finished();
    stop.store(true, Ordering::Relaxed);
    if guest == Guest::Lintel && alive {
        stop_lintel(port, &machine);
    }
    let mut run = machine
        .join()
        .map_err(|_| io::Error::other("the machine's thread panicked"))??;
    run.status = match (ready_after, alive) {
        (Some(_), true) => Ok(()),
        (Some(_), false) => Err(format!(
            "the server ended while it was measured: {}",
            describe(&run.status)
        )),
        (None, _) => Err(format!(
            "no answer on the forwarded port {port} after {:.0} s: {}",
            start.elapsed().as_secs_f64(),
            if alive {
                "still running".to_owned()
            } else {
                describe(&run.status)
            }
        )),
    };
    Ok(Served {
        run,
        ready_after,
        measured,
        port,
    })
}

fn describe(status: &Result<(), String>) -> String {
    match status {
        Ok(()) => "exited with status 0".to_owned(),
        Err(e) => e.clone(),
    }
}

/// Ends the QEMU of a Lintel server run: SIGTERM to our child process
/// forwarding `port`, SIGKILL when the run has not returned 10 s later.
fn stop_lintel<T>(port: u16, machine: &thread::JoinHandle<T>) {
    let marker = hostfwd_marker(port);
    for signal in ["TERM", "KILL"] {
        for pid in children_with(&marker) {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status();
        }
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until && !machine.is_finished() {
            thread::sleep(Duration::from_millis(20));
        }
        if machine.is_finished() {
            return;
        }
    }
}

/// What only the QEMU forwarding `port` has on its command line.
pub fn hostfwd_marker(port: u16) -> String {
    format!("hostfwd=tcp:127.0.0.1:{port}-")
}

/// The parent pid in a `/proc/PID/stat` line (`PID (COMM) STATE PPID ...`;
/// COMM may hold spaces and parentheses).
pub fn stat_ppid(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// Our own child processes whose command line contains `marker`.
fn children_with(marker: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| stat_ppid(&s))
                == Some(me)
        })
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                c.split(|&b| b == 0)
                    .any(|arg| String::from_utf8_lossy(arg).contains(marker))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_status_lines() {
        assert_eq!(http_status(b"HTTP/1.1 200 OK\r\nServer: nginx"), Some(200));
        assert_eq!(http_status(b"HTTP/1.0 404 Not Found\r\n"), Some(404));
        assert_eq!(http_status(b"HTTP/1.1 20"), None);
        assert_eq!(http_status(b"HTTP/2 200"), None);
        assert_eq!(http_status(b"HTTP/1.1 2x0"), None);
        assert_eq!(http_status(b""), None);
        assert!(Probe::Http.answered(b"HTTP/1.1 200 OK\r\n"));
        assert!(!Probe::Http.answered(b"HTTP/1.1 502 Bad Gateway\r\n"));
        assert!(Probe::RedisPing.answered(b"+PONG\r\n"));
        assert!(!Probe::RedisPing.answered(b"-ERR unknown\r\n"));
        assert!(!Probe::RedisPing.answered(b""));
    }

    /// A one-shot server on a free port answering `reply` to whatever comes.
    fn answer_once(reply: &'static [u8]) -> u16 {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf);
                let _ = s.write_all(reply);
            }
        });
        port
    }

    #[test]
    fn probes_need_a_real_answer() {
        let wait = Duration::from_secs(10);
        let port = answer_once(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(Probe::Http.try_once(port, wait));
        let port = answer_once(b"+PONG\r\n");
        assert!(Probe::RedisPing.try_once(port, wait));
        // Accepted, then closed without a word: what QEMU's forwarding does
        // while nothing listens in the guest.
        let port = answer_once(b"");
        assert!(!Probe::Http.try_once(port, wait));
        let port = answer_once(b"HTTP/1.1 503 Busy\r\n\r\n");
        assert!(!Probe::Http.try_once(port, wait));
        // Nobody there at all.
        let port = free_port().unwrap();
        assert!(!Probe::RedisPing.try_once(port, wait));
    }

    #[test]
    fn the_network_of_a_server_run() {
        let net = server_net(18080, 80).unwrap();
        assert_eq!(
            net.netdev("net0").unwrap(),
            "user,id=net0,hostfwd=tcp:127.0.0.1:18080-10.0.2.15:80"
        );
        assert!(net.netdev("net0").unwrap().contains(&hostfwd_marker(18080)));
        assert!(!net.netdev("net0").unwrap().contains(&hostfwd_marker(1808)));
        assert_eq!(
            (net.ip, net.gw),
            (Some(USER_GUEST_ADDR), Some(USER_GATEWAY))
        );
    }

    #[test]
    fn parent_pids_from_proc_stat() {
        assert_eq!(stat_ppid("4242 (qemu-system-x86) S 17 4242 17 0"), Some(17));
        assert_eq!(stat_ppid("7 (a) b (c)) R 99 7 7"), Some(99));
        assert_eq!(stat_ppid("7 (x"), None);
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(stat_ppid(&me).is_some());
    }

    #[test]
    fn our_children_are_found_by_their_command_line() {
        let marker = format!("lintel-bench-test-{}", std::process::id());
        // `sh -c 'read x' MARKER`: the marker is its $0, and the shell's own
        // `read` keeps it waiting, with no process of its own.
        let mut child = Command::new("sh")
            .args(["-c", "read x", &marker])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let found = children_with(&marker);
        assert!(child.try_wait().unwrap().is_none());
        assert_eq!(found, [child.id()]);
        let _ = child.kill();
        let _ = child.wait();
        assert!(children_with(&marker).is_empty());
    }
}
