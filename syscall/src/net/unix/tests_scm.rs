//! SCM_RIGHTS and SCM_CREDENTIALS on the host: files passed through a
//! socket, short control buffers, bad control messages, and how stream
//! reads stop at passed files.

use super::tests::*;
use alloc::vec::Vec;

const ESRCH: i32 = 3;
const ENOBUFS: i32 = 105;
const MSG_CTRUNC: u32 = 8;
const MSG_CMSG_CLOEXEC: u64 = 0x4000_0000;

/// One control message's bytes: header then data, padded to 8.
fn cmsg(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
    let mut b = Vec::from(((16 + data.len()) as u64).to_le_bytes());
    b.extend_from_slice(&level.to_le_bytes());
    b.extend_from_slice(&ty.to_le_bytes());
    b.extend_from_slice(data);
    b.resize((b.len() + 7) & !7, 0);
    b
}

fn rights(fds: &[u64]) -> Vec<u8> {
    let data: Vec<u8> = fds.iter().flat_map(|&f| (f as i32).to_le_bytes()).collect();
    cmsg(1, 1, &data)
}

/// What recvmsg returned: the data, msg_flags and the control bytes.
struct Got {
    data: Vec<u8>,
    flags: u32,
    control: Vec<u8>,
}

impl Got {
    /// The fds of the SCM_RIGHTS message, if any.
    fn fds(&self) -> Vec<u64> {
        let mut out = Vec::new();
        let mut at = 0;
        while at + 16 <= self.control.len() {
            let len = u64::from_le_bytes(self.control[at..at + 8].try_into().unwrap()) as usize;
            let ty = i32::from_le_bytes(self.control[at + 12..at + 16].try_into().unwrap());
            let end = (at + len).min(self.control.len());
            if ty == 1 {
                for c in self.control[at + 16..end].chunks_exact(4) {
                    out.push(i32::from_le_bytes(c.try_into().unwrap()) as u64);
                }
            }
            at += (len + 7) & !7;
        }
        out
    }
}

impl Ux {
    /// sendmsg of `data` with `control` (as given, length included).
    fn sendmsg(&mut self, fd: u64, data: &[u8], control: &[u8], flags: u64) -> u64 {
        let (m, iov, d, c) = (
            self.mem + 0x800,
            self.mem + 0x840,
            self.mem + 0x1000,
            self.mem + 0x900,
        );
        self.t.poke(d, data);
        self.t.poke(c, control);
        let mut v = Vec::from(d.to_le_bytes());
        v.extend_from_slice(&(data.len() as u64).to_le_bytes());
        self.t.poke(iov, &v);
        self.msghdr(
            m,
            iov,
            if control.is_empty() { 0 } else { c },
            control.len() as u64,
        );
        self.call("sendmsg", [fd, m, flags, 0, 0, 0])
    }

    fn msghdr(&mut self, m: u64, iov: u64, control: u64, controllen: u64) {
        let mut h = [0u8; 56];
        h[16..24].copy_from_slice(&iov.to_le_bytes());
        h[24..32].copy_from_slice(&1u64.to_le_bytes());
        h[32..40].copy_from_slice(&control.to_le_bytes());
        h[40..48].copy_from_slice(&controllen.to_le_bytes());
        self.t.poke(m, &h);
    }

    /// recvmsg into 100 bytes with `room` bytes of control (None: NULL).
    fn recvmsg(&mut self, fd: u64, room: Option<u64>, flags: u64) -> Result<Got, i32> {
        self.recvmsg_n(fd, 100, room, flags)
    }

    fn recvmsg_n(&mut self, fd: u64, n: u64, room: Option<u64>, flags: u64) -> Result<Got, i32> {
        let (m, iov, d, c) = (
            self.mem + 0x800,
            self.mem + 0x840,
            self.mem + 0x8000,
            self.mem + 0xa00,
        );
        let mut v = Vec::from(d.to_le_bytes());
        v.extend_from_slice(&n.to_le_bytes());
        self.t.poke(iov, &v);
        self.msghdr(m, iov, room.map_or(0, |_| c), room.unwrap_or(0));
        let r = self.call("recvmsg", [fd, m, flags, 0, 0, 0]);
        if let Some(e) = err(r) {
            return Err(e);
        }
        let h = self.t.peek(m, 56);
        let clen = u64::from_le_bytes(h[40..48].try_into().unwrap()) as usize;
        Ok(Got {
            data: self.t.peek(d, (r as usize).min(100)),
            flags: u32::from_le_bytes(h[48..52].try_into().unwrap()),
            control: self.t.peek(c, clen),
        })
    }

    fn pipe(&mut self) -> (u64, u64) {
        let p = self.mem + 0x20;
        self.ok("pipe", [p, 0, 0, 0, 0, 0]);
        let b = self.t.peek(p, 8);
        let fd = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as u64;
        (fd(0), fd(4))
    }
}

#[test]
fn a_pipe_end_goes_through_a_socket() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    let (r, w) = u.pipe();
    assert_eq!(u.sendmsg(a, b"x", &rights(&[r]), 0), 1);
    u.close(r);
    let got = u.recvmsg(b, Some(64), 0).unwrap();
    assert_eq!((got.data.as_slice(), got.flags), (&b"x"[..], 0));
    assert_eq!(got.control.len(), 24, "CMSG_SPACE(4)");
    assert_eq!(got.control[..8], 20u64.to_le_bytes(), "CMSG_LEN(4)");
    let fds = got.fds();
    assert_eq!(fds.len(), 1);
    // The same pipe: what goes in at `w` comes out of the new fd.
    let buf = u.mem + 0x2000;
    u.t.poke(buf, b"through");
    assert_eq!(u.call("write", [w, buf, 7, 0, 0, 0]), 7);
    assert_eq!(u.call("read", [fds[0], buf + 0x100, 64, 0, 0, 0]), 7);
    assert_eq!(u.t.peek(buf + 0x100, 7), b"through");
    assert_eq!(u.call("fcntl", [fds[0], 1, 0, 0, 0, 0]), 0, "no FD_CLOEXEC");
}

#[test]
fn short_control_buffers_truncate_and_close_the_rest() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    let (r, w) = u.pipe();
    // Room for one of two.
    assert_eq!(u.sendmsg(a, b"ab", &rights(&[r, r]), 0), 2);
    let got = u.recvmsg(b, Some(20), 0).unwrap();
    assert_eq!(
        (got.flags, got.control.len(), got.fds().len()),
        (MSG_CTRUNC, 20, 1)
    );
    u.close(got.fds()[0]);
    // Room for a header only, and none at all.
    for room in [Some(16), Some(10), None] {
        assert_eq!(u.sendmsg(a, b"ab", &rights(&[r]), 0), 2);
        let got = u.recvmsg(b, room, 0).unwrap();
        assert_eq!(
            (got.data.len(), got.flags, got.control.len()),
            (2, MSG_CTRUNC, 0)
        );
    }
    // Every passed read end is closed now: the pipe has no reader left.
    u.close(r);
    let buf = u.mem + 0x2000;
    assert_eq!(err(u.call("write", [w, buf, 1, 0, 0, 0])), Some(EPIPE));
    u.clear_signals();
}

#[test]
fn bad_control_messages() {
    let mut u = Ux::new();
    let (a, _b) = u.pair(STREAM);
    let (r, _w) = u.pipe();
    assert_eq!(err(u.sendmsg(a, b"e", &rights(&[999]), 0)), Some(EBADF));
    assert_eq!(
        err(u.sendmsg(a, b"e", &rights(&[u64::from(u32::MAX)]), 0)),
        Some(EBADF)
    );
    assert_eq!(err(u.sendmsg(a, b"e", &rights(&[r; 254]), 0)), Some(EINVAL));
    assert_eq!(u.sendmsg(a, b"e", &rights(&[r; 253]), 0), 1);
    assert_eq!(u.sendmsg(a, b"e", &rights(&[]), 0), 1, "no fds");
    assert_eq!(u.sendmsg(a, b"e", &[0; 8], 0), 1, "too short for a header");
    let mut short = rights(&[r]);
    short[..8].copy_from_slice(&8u64.to_le_bytes());
    assert_eq!(err(u.sendmsg(a, b"e", &short, 0)), Some(EINVAL));
    let mut long = rights(&[r]);
    long[..8].copy_from_slice(&25u64.to_le_bytes());
    assert_eq!(err(u.sendmsg(a, b"e", &long, 0)), Some(EINVAL));
    assert_eq!(
        err(u.sendmsg(a, b"e", &cmsg(1, 99, &[0; 4]), 0)),
        Some(EINVAL)
    );
    assert_eq!(
        u.sendmsg(a, b"e", &cmsg(99, 1, &[0; 4]), 0),
        1,
        "other levels are skipped"
    );
    // A second message after the first must be whole.
    let mut two = rights(&[r]);
    two.extend_from_slice(&[0; 16]);
    assert_eq!(err(u.sendmsg(a, b"e", &two, 0)), Some(EINVAL));
    // SCM_CREDENTIALS: 12 bytes of a process that exists.
    let pid = u.t.p.pid;
    let cred = |pid: i32| -> Vec<u8> {
        let mut c = Vec::from(pid.to_le_bytes());
        c.extend_from_slice(&[0; 8]);
        c
    };
    assert_eq!(
        err(u.sendmsg(a, b"e", &cmsg(1, 2, &[0; 8]), 0)),
        Some(EINVAL)
    );
    assert_eq!(u.sendmsg(a, b"e", &cmsg(1, 2, &cred(pid)), 0), 1);
    assert_eq!(
        err(u.sendmsg(a, b"e", &cmsg(1, 2, &cred(99_999)), 0)),
        Some(ESRCH)
    );
    // The control buffer itself.
    let (m, iov) = (u.mem + 0x800, u.mem + 0x840);
    u.msghdr(m, iov, 0x10, 24);
    assert_eq!(err(u.call("sendmsg", [a, m, 0, 0, 0, 0])), Some(EFAULT));
    u.msghdr(m, iov, u.mem, 1 << 20);
    assert_eq!(err(u.call("sendmsg", [a, m, 0, 0, 0, 0])), Some(ENOBUFS));
}

#[test]
fn a_stream_read_stops_after_passed_files() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    let (r, _w) = u.pipe();
    assert_eq!(u.send(a, b"xx", 0), 2);
    assert_eq!(u.sendmsg(a, b"ab", &rights(&[r]), 0), 2);
    assert_eq!(u.send(a, b"yy", 0), 2);
    let got = u.recvmsg(b, Some(64), 0).unwrap();
    assert_eq!((got.data.as_slice(), got.fds().len()), (&b"xxab"[..], 1));
    let got = u.recvmsg(b, Some(64), 0).unwrap();
    assert_eq!((got.data.as_slice(), got.control.len()), (&b"yy"[..], 0));
    // Files go with the first byte read of their message.
    assert_eq!(u.sendmsg(a, b"abcd", &rights(&[r]), 0), 4);
    let got = u.recvmsg_n(b, 2, Some(64), 0).unwrap();
    assert_eq!((got.data.as_slice(), got.fds().len()), (&b"ab"[..], 1));
    let got = u.recvmsg_n(b, 2, Some(64), 0).unwrap();
    assert_eq!((got.data.as_slice(), got.fds().len()), (&b"cd"[..], 0));
    // With no bytes a stream sends nothing, files included.
    assert_eq!(u.sendmsg(a, b"", &rights(&[r]), 0), 0);
    assert_eq!(u.recvmsg(b, Some(64), MSG_DONTWAIT).err(), Some(EAGAIN));
}

#[test]
fn datagrams_carry_files_with_no_bytes_peek_dups_them_and_cloexec() {
    let mut u = Ux::new();
    let (a, b) = u.pair(DGRAM);
    let (r, _w) = u.pipe();
    assert_eq!(u.sendmsg(a, b"", &rights(&[r]), 0), 0);
    let peeked = u.recvmsg(b, Some(64), MSG_PEEK).unwrap();
    assert_eq!(peeked.fds().len(), 1);
    let got = u.recvmsg(b, Some(64), MSG_CMSG_CLOEXEC).unwrap();
    assert_eq!(got.flags, MSG_CMSG_CLOEXEC as u32, "echoed, as Linux");
    let fd = got.fds()[0];
    assert_ne!(fd, peeked.fds()[0], "peeking installed its own");
    assert_eq!(u.call("fcntl", [fd, 1, 0, 0, 0, 0]), 1, "FD_CLOEXEC");
    // A truncated datagram keeps its files.
    assert_eq!(u.sendmsg(a, &[7; 150], &rights(&[r]), 0), 150);
    let got = u.recvmsg(b, Some(64), 0).unwrap();
    assert_eq!(
        (got.data.len(), got.flags, got.fds().len()),
        (100, MSG_TRUNC as u32, 1)
    );
}

#[test]
fn so_passcred_adds_the_senders_credentials_first() {
    let mut u = Ux::new();
    let (a, b) = u.pair(STREAM);
    let (r, _w) = u.pipe();
    assert_eq!(u.setopt(b, SOL_SOCKET, 16, &1i32.to_le_bytes()), 0);
    let mut cred = Vec::from(u.t.p.pid.to_le_bytes());
    cred.extend_from_slice(&[0; 8]);
    assert_eq!(u.sendmsg(a, b"ab", &rights(&[r]), 0), 2);
    let got = u.recvmsg(b, Some(64), 0).unwrap();
    let mut want = cmsg(1, 2, &cred);
    want.extend_from_slice(&cmsg(1, 1, &(got.fds()[0] as i32).to_le_bytes()));
    assert_eq!(got.control, want);
    // Room for the credentials only: the files are cut.
    assert_eq!(u.sendmsg(a, b"ab", &rights(&[r]), 0), 2);
    let got = u.recvmsg(b, Some(32), 0).unwrap();
    assert_eq!((got.flags, got.control), (MSG_CTRUNC, cmsg(1, 2, &cred)));
    // No control buffer: MSG_CTRUNC for the credentials alone.
    assert_eq!(u.send(a, b"cc", 0), 2);
    assert_eq!(u.recvmsg(b, None, 0).unwrap().flags, MSG_CTRUNC);
    // A cut header keeps what fits of the credentials.
    assert_eq!(u.send(a, b"cc", 0), 2);
    let got = u.recvmsg(b, Some(20), 0).unwrap();
    assert_eq!(got.flags, MSG_CTRUNC);
    assert_eq!(got.control[..8], 20u64.to_le_bytes());
    assert_eq!(got.control[16..20], u.t.p.pid.to_le_bytes());
}
