//! read/write/readv/writev/ioctl/poll on the console fds 0, 1, 2.
//! fd 0 and 1 are COM1, fd 2 is COM2 (docs/boot-protocol.md).

use crate::abi::{Iovec, Pollfd, Termios, Timespec, Winsize};
use crate::user::{prepare, read_bytes, read_val, write_bytes, write_val, Pod};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;

/// Linux's MAX_RW_COUNT: one read/write moves at most this much.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const UIO_MAXIOV: u64 = 1024;
const CHUNK: usize = 4096;

/// The fd argument is an `unsigned int` in Linux: only the low 32 bits count.
fn check_fd(fd: u64) -> Result<i32, Errno> {
    match fd as u32 {
        fd @ 0..=2 => Ok(fd as i32),
        _ => Err(Errno::EBADF),
    }
}

pub fn sys_write(cx: &mut Cx, fd: u64, buf: u64, count: u64) -> SysResult {
    let fd = check_fd(fd)?;
    write_console(cx, fd, buf, count.min(MAX_RW_COUNT))
}

fn write_console(cx: &mut Cx, fd: i32, buf: u64, count: u64) -> SysResult {
    let out = if fd == 2 { 2 } else { 1 };
    let mut tmp = [0u8; CHUNK];
    let mut done = 0u64;
    while done < count {
        let n = (count - done).min(CHUNK as u64) as usize;
        let addr = buf.checked_add(done).ok_or(Errno::EFAULT)?;
        if let Err(e) = read_bytes(cx.k, &cx.p.mm, addr, &mut tmp[..n]) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        cx.k.console_write(out, &tmp[..n]);
        done += n as u64;
    }
    Ok(done)
}

pub fn sys_read(cx: &mut Cx, fd: u64, buf: u64, count: u64) -> SysResult {
    check_fd(fd)?;
    read_console(cx, buf, count.min(MAX_RW_COUNT))
}

fn read_console(cx: &mut Cx, buf: u64, count: u64) -> SysResult {
    if count == 0 {
        return Ok(0);
    }
    let n = count.min(CHUNK as u64) as usize;
    // Check the buffer before consuming input, so a bad pointer loses nothing.
    prepare(cx.k, &cx.p.mm, buf, n as u64, true)?;
    let mut tmp = [0u8; CHUNK];
    let got = cx.k.console_read(&mut tmp[..n]);
    write_bytes(cx.k, &cx.p.mm, buf, &tmp[..got])?;
    Ok(got as u64)
}

fn read_iovecs(cx: &mut Cx, iov: u64, cnt: u64) -> Result<Vec<Iovec>, Errno> {
    if cnt > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut v = Vec::with_capacity(cnt as usize);
    let mut total = 0u64;
    for i in 0..cnt {
        let e: Iovec = read_val(cx.k, &cx.p.mm, iov.checked_add(i * Iovec::SIZE as u64).ok_or(Errno::EFAULT)?)?;
        total = total.checked_add(e.len).filter(|&t| t <= i64::MAX as u64).ok_or(Errno::EINVAL)?;
        v.push(e);
    }
    Ok(v)
}

pub fn sys_writev(cx: &mut Cx, fd: u64, iov: u64, cnt: u64) -> SysResult {
    let fd = check_fd(fd)?;
    let iovs = read_iovecs(cx, iov, cnt)?;
    let mut done = 0u64;
    for e in iovs {
        let want = e.len.min(MAX_RW_COUNT - done);
        match write_console(cx, fd, e.base, want) {
            Ok(n) => {
                done += n;
                if n < want {
                    break;
                }
            }
            Err(err) => return if done > 0 { Ok(done) } else { Err(err) },
        }
    }
    Ok(done)
}

pub fn sys_readv(cx: &mut Cx, fd: u64, iov: u64, cnt: u64) -> SysResult {
    check_fd(fd)?;
    let iovs = read_iovecs(cx, iov, cnt)?;
    // A console read returns what has arrived: fill the first non-empty buffer.
    match iovs.into_iter().find(|e| e.len > 0) {
        Some(e) => read_console(cx, e.base, e.len),
        None => Ok(0),
    }
}

const TCGETS: u64 = 0x5401;
const TIOCGWINSZ: u64 = 0x5413;

pub fn sys_ioctl(cx: &mut Cx, fd: u64, req: u64, arg: u64) -> SysResult {
    check_fd(fd)?;
    if !cx.k.console_is_tty() {
        return Err(Errno::ENOTTY);
    }
    match req {
        TCGETS => write_val(cx.k, &cx.p.mm, arg, &Termios::console_default())?,
        TIOCGWINSZ => write_val(cx.k, &cx.p.mm, arg, &Winsize { rows: 24, cols: 80, xpixel: 0, ypixel: 0 })?,
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;
const POLLNVAL: i16 = 0x20;

fn poll_once(cx: &mut Cx, fds: &mut [Pollfd]) -> u64 {
    let mut ready = 0;
    for p in fds.iter_mut() {
        p.revents = 0;
        if p.fd < 0 {
            continue;
        }
        if p.fd > 2 {
            p.revents = POLLNVAL;
        } else {
            if p.events & POLLIN != 0 && cx.k.console_readable() {
                p.revents |= POLLIN;
            }
            if p.events & POLLOUT != 0 {
                p.revents |= POLLOUT;
            }
        }
        if p.revents != 0 {
            ready += 1;
        }
    }
    ready
}

/// `timeout_ns`: None waits forever.
fn do_poll(cx: &mut Cx, ufds: u64, nfds: u64, timeout_ns: Option<u64>) -> SysResult {
    if nfds > cx.p.rlimits[crate::process::RLIMIT_NOFILE].cur {
        return Err(Errno::EINVAL);
    }
    let mut fds = Vec::with_capacity(nfds as usize);
    for i in 0..nfds {
        fds.push(read_val::<Pollfd>(cx.k, &cx.p.mm, ufds + i * Pollfd::SIZE as u64)?);
    }
    let deadline = timeout_ns.map(|t| cx.k.monotonic_ns().saturating_add(t));
    let ready = loop {
        let r = poll_once(cx, &mut fds);
        if r > 0 || deadline.is_some_and(|d| cx.k.monotonic_ns() >= d) {
            break r;
        }
        // No scheduler yet: nothing else can run, so wait by polling the console.
        core::hint::spin_loop();
    };
    for (i, p) in fds.iter().enumerate() {
        write_val(cx.k, &cx.p.mm, ufds + i as u64 * Pollfd::SIZE as u64, p)?;
    }
    Ok(ready)
}

pub fn sys_poll(cx: &mut Cx, ufds: u64, nfds: u64, timeout_ms: u64) -> SysResult {
    let t = timeout_ms as i32;
    do_poll(cx, ufds, nfds, (t >= 0).then(|| t as u64 * 1_000_000))
}

pub fn sys_ppoll(cx: &mut Cx, ufds: u64, nfds: u64, tsp: u64, _sigmask: u64) -> SysResult {
    let timeout = if tsp == 0 {
        None
    } else {
        let ts: Timespec = read_val(cx.k, &cx.p.mm, tsp)?;
        if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
            return Err(Errno::EINVAL);
        }
        Some(ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec))
    };
    do_poll(cx, ufds, nfds, timeout)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    fn iov(t: &mut TestBed, at: u64, parts: &[(u64, u64)]) {
        let mut b = alloc::vec::Vec::new();
        for (base, len) in parts {
            b.extend_from_slice(&base.to_le_bytes());
            b.extend_from_slice(&len.to_le_bytes());
        }
        t.poke(at, &b);
    }

    #[test]
    fn write_goes_to_the_right_stream_and_checks_fds() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.poke(buf, b"out err");
        assert_eq!(t.call("write", [1, buf, 3, 0, 0, 0]), 3);
        assert_eq!(t.call("write", [2, buf + 4, 3, 0, 0, 0]), 3);
        assert_eq!(t.k.stdout, b"out");
        assert_eq!(t.k.stderr, b"err");
        assert_eq!(t.call("write", [3, buf, 3, 0, 0, 0]) as i64, -9);
        assert_eq!(t.call("write", [u64::MAX, buf, 3, 0, 0, 0]) as i64, -9);
        // The high half of the fd register is ignored, as for `unsigned int fd`.
        assert_eq!(t.call("write", [1 | 0xdead_0000_0000, buf, 1, 0, 0, 0]), 1);
        assert_eq!(t.call("write", [1, buf, 0, 0, 0, 0]), 0);
    }

    #[test]
    fn bad_buffers_are_efault_and_partial_writes_count() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("write", [1, 1, 10, 0, 0, 0]) as i64, -14);
        assert_eq!(t.call("write", [1, 0xffff_8000_0000_0000, 10, 0, 0, 0]) as i64, -14);
        // A buffer running off the end of the mapping: what fits is written.
        let end = buf + 0x10000;
        assert_eq!(t.call("write", [1, end - 4096, 8192, 0, 0, 0]), 4096);
        assert_eq!(t.call("read", [0, 8, 10, 0, 0, 0]) as i64, -14);
    }

    #[test]
    fn writev_and_readv() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.poke(buf, b"abcdef");
        iov(&mut t, buf + 64, &[(buf, 2), (buf + 2, 0), (buf + 3, 3)]);
        assert_eq!(t.call("writev", [1, buf + 64, 3, 0, 0, 0]), 5);
        assert_eq!(t.k.stdout, b"abdef");
        assert_eq!(t.call("writev", [1, buf + 64, 1025, 0, 0, 0]) as i64, -22);
        iov(&mut t, buf + 64, &[(buf, u64::MAX / 2), (buf, u64::MAX / 2)]);
        assert_eq!(t.call("writev", [1, buf + 64, 2, 0, 0, 0]) as i64, -22);
        t.k.input.extend(b"input");
        iov(&mut t, buf + 64, &[(buf + 128, 0), (buf + 256, 100)]);
        assert_eq!(t.call("readv", [0, buf + 64, 2, 0, 0, 0]), 5);
        assert_eq!(t.peek(buf + 256, 5), b"input");
    }

    #[test]
    fn ioctl_reports_a_terminal_only_when_it_is_one() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("ioctl", [1, 0x5413, buf, 0, 0, 0]) as i64, -25);
        t.k.tty = true;
        assert_eq!(t.call("ioctl", [1, 0x5413, buf, 0, 0, 0]), 0);
        assert_eq!(t.peek(buf, 4), [24, 0, 80, 0]);
        assert_eq!(t.call("ioctl", [0, 0x5401, buf, 0, 0, 0]), 0);
        assert_eq!(t.call("ioctl", [0, 0x5401, 8, 0, 0, 0]) as i64, -14);
        assert_eq!(t.call("ioctl", [0, 0x1234, buf, 0, 0, 0]) as i64, -25);
        assert_eq!(t.call("ioctl", [5, 0x5401, buf, 0, 0, 0]) as i64, -9);
    }

    #[test]
    fn poll_reports_console_readiness_and_nval() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        // {fd 0, POLLIN}, {fd 1, POLLOUT}, {fd 7, POLLIN}, {fd -1, POLLIN}
        let mut b = alloc::vec::Vec::new();
        for (fd, ev) in [(0i32, 1i16), (1, 4), (7, 1), (-1, 1)] {
            b.extend_from_slice(&fd.to_le_bytes());
            b.extend_from_slice(&ev.to_le_bytes());
            b.extend_from_slice(&0i16.to_le_bytes());
        }
        t.poke(buf, &b);
        assert_eq!(t.call("poll", [buf, 4, 0, 0, 0, 0]), 2);
        let r = t.peek(buf, 32);
        assert_eq!(&r[6..8], &[0, 0], "no input yet");
        assert_eq!(&r[14..16], &[4, 0]);
        assert_eq!(&r[22..24], &[0x20, 0]);
        assert_eq!(&r[30..32], &[0, 0]);
        t.k.input.push_back(b'x');
        assert_eq!(t.call("poll", [buf, 1, 0, 0, 0, 0]), 1);
        assert_eq!(t.peek(buf + 6, 2), [1, 0]);
    }
}
