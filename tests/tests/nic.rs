//! The guest's network card end to end: `tests/guest/nic/echo.c`, a TCP
//! and UDP echo server, runs under Lintel with its ports forwarded by
//! `lintel run -p` (QEMU's user-mode network, a virtio-net device), and
//! the host talks to it through them: a few MiB echoed over TCP while
//! both directions stream, a second connection, then UDP datagrams.
//!
//! One boot per configuration of the device and the address: a
//! transitional device on `pc` with an address from QEMU's DHCP server, a
//! modern-only device on `q35` and a legacy-only device on `pc` with a
//! static `--ip`/`--gw`. The guest prints the local address each
//! connection was accepted on (10.0.2.15 either way) and the peer QEMU
//! shows (10.0.2.2).

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lintel::tempdir::TempDir;
use lintel_tests::server::{free_port, Server};
use lintel_tests::shared_dir::pattern;
use lintel_tests::{guest, Link};
use std::sync::{Mutex, MutexGuard};

/// The port the guest listens on (TCP and UDP).
const GUEST_PORT: u16 = 7;
/// How long the guest may take to boot and answer (TCG is slow).
const ANSWER_LIMIT: Duration = Duration::from_secs(120);
/// The echoed stream: large enough that both directions stream at once
/// through the guest's buffers and QEMU's.
const STREAM_BYTES: usize = 4 << 20;

fn lintel() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lintel-cli"))
}

/// The echo server under Lintel with TCP and UDP forwarded, and the host
/// ports they arrive on.
struct Echo {
    server: Server,
    tcp: u16,
    udp: u16,
    _root: TempDir,
}

fn start(extra: &[&str]) -> Echo {
    let root = TempDir::new().unwrap();
    let prog = root.path().join("echo");
    std::fs::copy(guest("nic/echo", Link::Static), &prog).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (tcp, udp) = (free_port(), free_udp_port());
    let mut args: Vec<OsString> = vec![
        "--root".into(),
        root.path().into(),
        "-p".into(),
        format!("{tcp}:{GUEST_PORT}").into(),
        "-p".into(),
        format!("udp:{udp}:{GUEST_PORT}").into(),
        "--timeout".into(),
        "600".into(),
    ];
    args.extend(extra.iter().map(OsString::from));
    // Two connections: the readiness probe and the stream.
    args.extend(["--", "/echo", &GUEST_PORT.to_string(), "2"].map(OsString::from));
    let server = Server::lintel("lintel run echo", &lintel(), &args);
    Echo {
        server,
        tcp,
        udp,
        _root: root,
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

/// One connection that echoes `data` back; Err when the guest is not
/// there yet (QEMU accepts on the host side, then the guest refuses).
fn echo_once(port: u16, data: &[u8]) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let mut w = s.try_clone().map_err(|e| e.to_string())?;
    let out = data.to_vec();
    // Write from another thread so both directions stream at once.
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        w.write_all(&out)?;
        w.shutdown(Shutdown::Write)
    });
    let mut back = Vec::new();
    let r = s.read_to_end(&mut back);
    let w = writer.join().expect("the writer thread");
    r.map_err(|e| format!("reading the echo: {e}"))?;
    w.map_err(|e| format!("writing: {e}"))?;
    Ok(back)
}

/// One boot at a time: each keeps a core busy under TCG.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn check(extra: &[&str]) {
    let _one = one_at_a_time();
    let mut e = start(extra);
    let probe = b"ping\n";
    let mut probed = None;
    e.server
        .wait_until(
            "the echo server answering on its forwarded TCP port",
            ANSWER_LIMIT,
            || match echo_once(e.tcp, probe) {
                Ok(back) if back == probe => {
                    probed = Some(back);
                    true
                }
                _ => false,
            },
        )
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(probed.is_some());

    let data = pattern(7, 0, STREAM_BYTES);
    let start = Instant::now();
    let back = echo_once(e.tcp, &data).unwrap_or_else(|err| panic!("{err}\n{}", e.server.report()));
    eprintln!(
        "{} MiB echoed in {:.1?}",
        STREAM_BYTES >> 20,
        start.elapsed()
    );
    assert!(
        back == data,
        "the echo differs: {} bytes back of {}\n{}",
        back.len(),
        data.len(),
        e.server.report()
    );

    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    u.connect(("127.0.0.1", e.udp)).unwrap();
    let mut got = [0u8; 2048];
    let datagram = pattern(9, 0, 1400);
    // UDP may be lost: send until the echo comes back.
    let echoed = (0..30).any(|_| {
        u.send(&datagram).is_ok() && u.recv(&mut got).is_ok_and(|n| got[..n] == datagram[..])
    });
    assert!(
        echoed,
        "no UDP echo of a 1400-byte datagram\n{}",
        e.server.report()
    );
    let bye = (0..30)
        .any(|_| u.send(b"bye").is_ok() && u.recv(&mut got).is_ok_and(|n| &got[..n] == b"bye"));
    assert!(bye, "no UDP echo of bye\n{}", e.server.report());

    // The guest ends by itself after "bye".
    let deadline = Instant::now() + Duration::from_secs(60);
    while e.server.exited().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = e.server.stop(Duration::from_secs(10));
    assert_eq!(
        status.code(),
        Some(0),
        "the guest's exit status\n{}",
        e.server.report()
    );
    let (out, _) = e.server.output();
    let expected = format!(
        "listening on port 7\n\
         connection 1: 10.0.2.15:7 from 10.0.2.2, {} bytes echoed\n\
         connection 2: 10.0.2.15:7 from 10.0.2.2, {STREAM_BYTES} bytes echoed\n\
         udp: echoed until bye\n",
        probe.len()
    );
    assert_eq!(out, expected, "{}", e.server.report());
}

#[test]
fn transitional_device_on_pc_with_dhcp() {
    check(&[]);
}

#[test]
fn modern_device_on_q35_with_a_static_address() {
    check(&[
        "--machine",
        "q35",
        "--virtio",
        "modern",
        "--ip",
        "10.0.2.15/24",
        "--gw",
        "10.0.2.2",
    ]);
}

#[test]
fn legacy_device_with_a_static_address() {
    check(&[
        "--virtio",
        "legacy",
        "--ip",
        "10.0.2.15/24",
        "--gw",
        "10.0.2.2",
    ]);
}
