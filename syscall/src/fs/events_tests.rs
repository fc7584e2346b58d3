//! Host tests of eventfd, timerfd, select and pselect6.

extern crate std;

use super::{
    set_clock, sys_eventfd, sys_eventfd2, sys_pselect6, sys_select, sys_timerfd_create,
    sys_timerfd_gettime, sys_timerfd_settime,
};
use crate::testkit::TestBed;
use crate::{Cx, SysResult};
use alloc::vec::Vec;
use core::cell::Cell;
use lintel_vfs::FileKind;

const EBADF: i32 = 9;
const EAGAIN: i32 = 11;
const EFAULT: i32 = 14;
const EINVAL: i32 = 22;
const ERESTARTNOHAND: i32 = 514;
const SIGUSR1: u8 = 10;

const NONBLOCK: u64 = 0o4000;
const CLOEXEC: u64 = 0o2000000;
const EFD_SEMAPHORE: u64 = 1;
const TFD_TIMER_ABSTIME: u64 = 1;
const SEC: u64 = 1_000_000_000;
const MS: u64 = 1_000_000;

/// Runs a handler on the test bed's process as the table would.
fn direct(t: &mut TestBed, f: impl FnOnce(&mut Cx) -> SysResult) -> u64 {
    let mut cx = Cx::new(&mut t.k, &mut t.p, &mut t.regs);
    match f(&mut cx) {
        Ok(v) => v,
        Err(e) => (-(e.into_raw() as i64)) as u64,
    }
}

/// Calls the system calls of this family directly (they may not be in the
/// table yet), any other through the table.
fn call(t: &mut TestBed, name: &str, a: [u64; 6]) -> u64 {
    match name {
        "eventfd" => direct(t, |cx| sys_eventfd(cx, a[0])),
        "eventfd2" => direct(t, |cx| sys_eventfd2(cx, a[0], a[1])),
        "timerfd_create" => direct(t, |cx| sys_timerfd_create(cx, a[0], a[1])),
        "timerfd_settime" => direct(t, |cx| sys_timerfd_settime(cx, a[0], a[1], a[2], a[3])),
        "timerfd_gettime" => direct(t, |cx| sys_timerfd_gettime(cx, a[0], a[1])),
        "select" => direct(t, |cx| sys_select(cx, a[0], a[1], a[2], a[3], a[4])),
        "pselect6" => direct(t, |cx| sys_pselect6(cx, a[0], a[1], a[2], a[3], a[4], a[5])),
        _ => t.call(name, a),
    }
}

std::thread_local! {
    /// The fake clock of the test running on this thread: (monotonic, realtime).
    static NOW: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn fake_clock() -> (u64, u64) {
    NOW.with(|c| c.get())
}

/// Also the bed of the epoll tests: the timer clock hook is registered
/// once per test binary, so every timerfd test must use this one.
pub(super) struct Bed {
    pub(super) t: TestBed,
    pub(super) buf: u64,
}

impl Bed {
    pub(super) fn new() -> Self {
        set_clock(fake_clock);
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.k.mono = 100 * SEC;
        t.k.real = 1_700_000_000 * SEC;
        let mut b = Bed { t, buf };
        b.sync();
        b
    }
    /// Makes the timer hook's clock the fake kernel's.
    fn sync(&mut self) {
        NOW.with(|c| c.set((self.t.k.mono, self.t.k.real)));
    }
    pub(super) fn advance(&mut self, ns: u64) {
        self.t.k.mono += ns;
        self.t.k.real += ns;
        self.sync();
    }
    pub(super) fn call(&mut self, name: &str, a: [u64; 6]) -> u64 {
        call(&mut self.t, name, a)
    }
    pub(super) fn ok(&mut self, name: &str, a: [u64; 6]) -> u64 {
        let r = self.call(name, a);
        assert_eq!(TestBed::errno(r), None, "{name} failed");
        r
    }
    pub(super) fn err(&mut self, name: &str, a: [u64; 6]) -> Option<i32> {
        let r = self.call(name, a);
        TestBed::errno(r)
    }
    /// read(fd, buf, len) of a counter: the u64, or the errno.
    pub(super) fn read_u64(&mut self, fd: u64, len: u64) -> Result<u64, i32> {
        let r = self.call("read", [fd, self.buf, len, 0, 0, 0]);
        match TestBed::errno(r) {
            Some(e) => Err(e),
            None => {
                assert_eq!(r, 8);
                Ok(u64::from_le_bytes(
                    self.t.peek(self.buf, 8).try_into().unwrap(),
                ))
            }
        }
    }
    pub(super) fn write_u64(&mut self, fd: u64, v: u64, len: u64) -> Result<u64, i32> {
        self.t.poke(self.buf + 0x100, &v.to_le_bytes());
        let r = self.call("write", [fd, self.buf + 0x100, len, 0, 0, 0]);
        TestBed::errno(r).map_or(Ok(r), Err)
    }
    /// poll(fd, POLLIN|POLLOUT, 0): the revents.
    pub(super) fn revents(&mut self, fd: u64) -> i16 {
        let a = self.buf + 0x200;
        let mut pf = (fd as i32).to_le_bytes().to_vec();
        pf.extend_from_slice(&5i16.to_le_bytes());
        pf.extend_from_slice(&0i16.to_le_bytes());
        self.t.poke(a, &pf);
        self.ok("poll", [a, 1, 0, 0, 0, 0]);
        i16::from_le_bytes(self.t.peek(a + 6, 2).try_into().unwrap())
    }
    pub(super) fn pipe(&mut self) -> (u64, u64) {
        let a = self.buf + 0x300;
        self.ok("pipe2", [a, NONBLOCK, 0, 0, 0, 0]);
        let b = self.t.peek(a, 8);
        (
            u32::from_le_bytes(b[..4].try_into().unwrap()) as u64,
            u32::from_le_bytes(b[4..].try_into().unwrap()) as u64,
        )
    }
    fn describe(&mut self, fd: u64) -> Vec<u8> {
        let f = self.t.p.fds.get(fd as i32).unwrap();
        match &f.kind {
            FileKind::Special(ops) => ops.describe(),
            _ => panic!("not a special file"),
        }
    }
    /// fstat's st_mode and st_ino.
    fn mode_ino(&mut self, fd: u64) -> (u32, u64) {
        let a = self.buf + 0x1000;
        self.ok("fstat", [fd, a, 0, 0, 0, 0]);
        let s = self.t.peek(a, 144);
        (
            u32::from_le_bytes(s[24..28].try_into().unwrap()),
            u64::from_le_bytes(s[8..16].try_into().unwrap()),
        )
    }
}

// ---- eventfd ----

#[test]
fn eventfd_counts_and_resets() {
    let mut b = Bed::new();
    let fd = b.ok("eventfd2", [5, NONBLOCK, 0, 0, 0, 0]);
    assert_eq!(b.revents(fd), 5, "readable and writable");
    assert_eq!(b.read_u64(fd, 8), Ok(5));
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN), "empty and nonblocking");
    assert_eq!(b.revents(fd), 4, "writable only");
    assert_eq!(b.write_u64(fd, 3, 8), Ok(8));
    assert_eq!(b.write_u64(fd, 4, 16), Ok(8), "only 8 bytes count");
    assert_eq!(b.read_u64(fd, 64), Ok(7), "a larger buffer gets 8 bytes");
    assert_eq!(b.write_u64(fd, 0, 8), Ok(8), "adding 0 is fine");
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    // A blocking eventfd with a count reads at once.
    let fd = b.ok("eventfd2", [2, 0, 0, 0, 0, 0]);
    assert_eq!(b.read_u64(fd, 8), Ok(2));
    // eventfd: no flags, and the initial value is an unsigned int.
    let fd = b.ok("eventfd", [0x1_0000_0009, 0, 0, 0, 0, 0]);
    assert_eq!(b.call("fcntl", [fd, 3, 0, 0, 0, 0]) & NONBLOCK, 0);
    assert_eq!(b.call("fcntl", [fd, 1, 0, 0, 0, 0]), 0, "not close-on-exec");
    assert_eq!(b.read_u64(fd, 8), Ok(9));
}

#[test]
fn eventfd_semaphore_hands_out_ones() {
    let mut b = Bed::new();
    let fd = b.ok("eventfd2", [2, EFD_SEMAPHORE | NONBLOCK, 0, 0, 0, 0]);
    assert_eq!(b.read_u64(fd, 8), Ok(1));
    b.write_u64(fd, 5, 8).unwrap();
    for _ in 0..6 {
        assert_eq!(b.read_u64(fd, 8), Ok(1));
    }
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
}

#[test]
fn eventfd_overflow_and_bad_arguments() {
    let mut b = Bed::new();
    let fd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    assert_eq!(
        b.write_u64(fd, u64::MAX, 8),
        Err(EINVAL),
        "0xffffffffffffffff is not a value"
    );
    assert_eq!(b.write_u64(fd, 0xffff_ffff_ffff_fffd, 8), Ok(8));
    assert_eq!(b.revents(fd), 5);
    assert_eq!(b.write_u64(fd, 1, 8), Ok(8), "up to 0xfffffffffffffffe");
    assert_eq!(b.revents(fd), 1, "full: not writable");
    assert_eq!(b.write_u64(fd, 1, 8), Err(EAGAIN), "would overflow");
    assert_eq!(b.write_u64(fd, 0, 8), Ok(8));
    assert_eq!(b.write_u64(fd, 1, 7), Err(EINVAL), "short write");
    assert_eq!(b.read_u64(fd, 4), Err(EINVAL), "short read");
    assert_eq!(b.read_u64(fd, 8), Ok(0xffff_ffff_ffff_fffe));
    assert_eq!(b.err("eventfd2", [0, 0x100, 0, 0, 0, 0]), Some(EINVAL));
    assert_eq!(b.err("eventfd2", [0, 2, 0, 0, 0, 0]), Some(EINVAL));
    // The flags are an int: upper register bits do not count.
    b.ok("eventfd2", [0, 1 << 40, 0, 0, 0, 0]);
}

#[test]
fn eventfd_flags_and_identity() {
    let mut b = Bed::new();
    let fd = b.ok("eventfd2", [0, CLOEXEC | NONBLOCK, 0, 0, 0, 0]);
    assert_eq!(b.call("fcntl", [fd, 1, 0, 0, 0, 0]), 1, "FD_CLOEXEC");
    assert_eq!(
        b.call("fcntl", [fd, 3, 0, 0, 0, 0]) & 0o4003,
        0o4002,
        "O_RDWR|O_NONBLOCK"
    );
    assert_eq!(b.mode_ino(fd).0, 0o600, "an anonymous inode: no type bits");
    assert_eq!(b.describe(fd), b"anon_inode:[eventfd]");
}

// ---- timerfd ----

/// Puts a `struct itimerspec` {interval, value} at buf+0x400; returns its address.
fn its(b: &mut Bed, interval: (u64, u64), value: (u64, u64)) -> u64 {
    let a = b.buf + 0x400;
    let words = [interval.0, interval.1, value.0, value.1];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    b.t.poke(a, &bytes);
    a
}

fn ns(n: u64) -> (u64, u64) {
    (n / SEC, n % SEC)
}

/// timerfd_gettime: (interval, remaining) in ns.
fn gettime(b: &mut Bed, fd: u64) -> (u64, u64) {
    let a = b.buf + 0x500;
    b.ok("timerfd_gettime", [fd, a, 0, 0, 0, 0]);
    let w: Vec<u64> =
        b.t.peek(a, 32)
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
    (w[0] * SEC + w[1], w[2] * SEC + w[3])
}

#[test]
fn timerfd_one_shot() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    assert_eq!(b.describe(fd), b"anon_inode:[timerfd]");
    assert_eq!(b.mode_ino(fd).0, 0o600);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN), "a new timer is disarmed");
    assert_eq!(gettime(&mut b, fd), (0, 0));
    let a = its(&mut b, (0, 0), (1, 0));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    assert_eq!(b.revents(fd), 0, "not readable, never writable");
    b.advance(400 * MS);
    assert_eq!(gettime(&mut b, fd), (0, 600 * MS));
    b.advance(600 * MS);
    assert_eq!(b.revents(fd), 1, "due exactly now");
    assert_eq!(b.read_u64(fd, 4), Err(EINVAL), "short read");
    assert_eq!(b.read_u64(fd, 8), Ok(1));
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    b.advance(10 * SEC);
    assert_eq!(
        b.read_u64(fd, 8),
        Err(EAGAIN),
        "a one-shot timer fires once"
    );
    assert_eq!(gettime(&mut b, fd), (0, 0));
    assert_eq!(b.write_u64(fd, 1, 8), Err(EINVAL), "no write");
}

#[test]
fn timerfd_periodic_counts_missed_expirations() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [7, NONBLOCK, 0, 0, 0, 0]);
    let a = its(&mut b, ns(250 * MS), (1, 0));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    b.advance(SEC);
    assert_eq!(b.read_u64(fd, 8), Ok(1));
    b.advance(SEC);
    assert_eq!(b.read_u64(fd, 8), Ok(4));
    b.advance(100 * MS);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    assert_eq!(gettime(&mut b, fd), (250 * MS, 150 * MS));
    b.advance(1000 * MS);
    // gettime counts what passed; the read still gets it.
    assert_eq!(gettime(&mut b, fd), (250 * MS, 150 * MS));
    assert_eq!(b.read_u64(fd, 8), Ok(4));
    // Disarming: it_value 0 never fires, and the old setting comes back.
    b.advance(50 * MS);
    let a = its(&mut b, ns(5 * SEC), (0, 0));
    let old = b.buf + 0x600;
    b.ok("timerfd_settime", [fd, 0, a, old, 0, 0]);
    let w: Vec<u64> =
        b.t.peek(old, 32)
            .chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect();
    assert_eq!(w, [0, 250 * MS, 0, 100 * MS]);
    assert_eq!(gettime(&mut b, fd), (5 * SEC, 0), "disarmed, interval kept");
    b.advance(100 * SEC);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
}

#[test]
fn timerfd_settime_resets_the_count() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    let a = its(&mut b, ns(MS), ns(MS));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    b.advance(10 * MS);
    let a = its(&mut b, (0, 0), (1, 0));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    assert_eq!(
        b.read_u64(fd, 8),
        Err(EAGAIN),
        "expirations of the old setting are gone"
    );
}

#[test]
fn timerfd_absolute_times() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [0, NONBLOCK | CLOEXEC, 0, 0, 0, 0]);
    assert_eq!(b.call("fcntl", [fd, 1, 0, 0, 0, 0]), 1, "TFD_CLOEXEC");
    // On CLOCK_REALTIME, 2 s from now.
    let at = b.t.k.real + 2 * SEC;
    let a = its(&mut b, (0, 0), ns(at));
    b.ok("timerfd_settime", [fd, TFD_TIMER_ABSTIME, a, 0, 0, 0]);
    assert_eq!(gettime(&mut b, fd), (0, 2 * SEC));
    b.advance(SEC);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    b.advance(SEC);
    assert_eq!(b.read_u64(fd, 8), Ok(1));
    // In the past with an interval: every missed period counts at once.
    let at = b.t.k.real - 10 * SEC;
    let a = its(&mut b, (1, 0), ns(at));
    b.ok("timerfd_settime", [fd, TFD_TIMER_ABSTIME, a, 0, 0, 0]);
    assert_eq!(b.read_u64(fd, 8), Ok(11));
    // A monotonic timer's absolute time is on the monotonic clock.
    let fd = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    let at = b.t.k.mono + 500 * MS;
    let a = its(&mut b, (0, 0), ns(at));
    b.ok("timerfd_settime", [fd, TFD_TIMER_ABSTIME | 2, a, 0, 0, 0]);
    b.advance(499 * MS);
    assert_eq!(b.read_u64(fd, 8), Err(EAGAIN));
    b.advance(MS);
    assert_eq!(b.read_u64(fd, 8), Ok(1));
}

#[test]
fn timerfd_blocking_read_of_an_expired_timer() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [1, 0, 0, 0, 0, 0]);
    let a = its(&mut b, (0, 0), (0, 5));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    b.advance(5);
    assert_eq!(b.read_u64(fd, 8), Ok(1));
}

#[test]
fn timerfd_errors() {
    let mut b = Bed::new();
    for clock in [2, 3, 4, 5, 6, 10, 11, u32::MAX as u64] {
        assert_eq!(
            b.err("timerfd_create", [clock, 0, 0, 0, 0, 0]),
            Some(EINVAL),
            "clock {clock}"
        );
    }
    assert_eq!(
        b.err("timerfd_create", [1, 1, 0, 0, 0, 0]),
        Some(EINVAL),
        "bad flags"
    );
    let fd = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    let a = its(&mut b, (0, 0), (0, SEC));
    assert_eq!(
        b.err("timerfd_settime", [fd, 0, a, 0, 0, 0]),
        Some(EINVAL),
        "nsec of 1e9"
    );
    let a = its(&mut b, (0, SEC), (1, 0));
    assert_eq!(
        b.err("timerfd_settime", [fd, 0, a, 0, 0, 0]),
        Some(EINVAL),
        "interval nsec of 1e9"
    );
    let a = its(&mut b, (0, 0), (-1i64 as u64, 0));
    assert_eq!(
        b.err("timerfd_settime", [fd, 0, a, 0, 0, 0]),
        Some(EINVAL),
        "negative seconds"
    );
    let a = its(&mut b, (0, 0), (0, -1i64 as u64));
    assert_eq!(
        b.err("timerfd_settime", [fd, 0, a, 0, 0, 0]),
        Some(EINVAL),
        "negative nsec"
    );
    let a = its(&mut b, (0, 0), (1, 0));
    assert_eq!(
        b.err("timerfd_settime", [fd, 4, a, 0, 0, 0]),
        Some(EINVAL),
        "bad settime flags"
    );
    assert_eq!(b.err("timerfd_settime", [fd, 0, 8, 0, 0, 0]), Some(EFAULT));
    assert_eq!(b.err("timerfd_settime", [77, 0, a, 0, 0, 0]), Some(EBADF));
    let efd = b.ok("eventfd2", [0, 0, 0, 0, 0, 0]);
    assert_eq!(
        b.err("timerfd_settime", [efd, 0, a, 0, 0, 0]),
        Some(EINVAL),
        "not a timerfd"
    );
    let (r, _) = b.pipe();
    assert_eq!(
        b.err("timerfd_gettime", [r, b.buf, 0, 0, 0, 0]),
        Some(EINVAL)
    );
    assert_eq!(
        b.err("timerfd_gettime", [77, b.buf, 0, 0, 0, 0]),
        Some(EBADF)
    );
    assert_eq!(b.err("timerfd_gettime", [fd, 8, 0, 0, 0, 0]), Some(EFAULT));
    // A closed timer is no longer found at its number.
    b.ok("close", [fd, 0, 0, 0, 0, 0]);
    assert_eq!(
        b.err("timerfd_gettime", [fd, b.buf, 0, 0, 0, 0]),
        Some(EBADF)
    );
    let efd2 = b.ok("eventfd2", [0, 0, 0, 0, 0, 0]);
    assert_eq!(
        b.err("timerfd_gettime", [efd2, b.buf, 0, 0, 0, 0]),
        Some(EINVAL)
    );
}

// ---- select and pselect6 ----

const RSET: u64 = 0x2000;
const WSET: u64 = 0x2100;
const XSET: u64 = 0x2200;
const TV: u64 = 0x2300;

impl Bed {
    fn set(&mut self, off: u64, fds: &[u64]) -> u64 {
        let mut words = [0u64; 16];
        for &fd in fds {
            words[fd as usize / 64] |= 1 << (fd % 64);
        }
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.t.poke(self.buf + off, &bytes);
        self.buf + off
    }
    fn get_set(&mut self, off: u64) -> Vec<u64> {
        let b = self.t.peek(self.buf + off, 128);
        let mut fds = Vec::new();
        for (i, w) in b.chunks(8).enumerate() {
            let w = u64::from_le_bytes(w.try_into().unwrap());
            for bit in 0..64 {
                if w & (1 << bit) != 0 {
                    fds.push(i as u64 * 64 + bit);
                }
            }
        }
        fds
    }
    fn timeval(&mut self, sec: u64, usec: u64) -> u64 {
        let a = self.buf + TV;
        let mut v = sec.to_le_bytes().to_vec();
        v.extend_from_slice(&usec.to_le_bytes());
        self.t.poke(a, &v);
        a
    }
    fn get_tv(&mut self) -> (u64, u64) {
        let v = self.t.peek(self.buf + TV, 16);
        (
            u64::from_le_bytes(v[..8].try_into().unwrap()),
            u64::from_le_bytes(v[8..].try_into().unwrap()),
        )
    }
}

#[test]
fn select_reports_ready_bits_per_set() {
    let mut b = Bed::new();
    let full = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    let empty = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    let (r, w) = b.pipe();
    let n = [full, empty, r, w].into_iter().max().unwrap() + 1;
    let rs = b.set(RSET, &[full, empty, r]);
    let ws = b.set(WSET, &[full, empty, w]);
    let xs = b.set(XSET, &[full, r]);
    let tv = b.timeval(0, 0);
    assert_eq!(b.call("select", [n, rs, ws, xs, tv, 0]), 4);
    assert_eq!(b.get_set(RSET), [full]);
    let mut want = [full, empty, w];
    want.sort();
    assert_eq!(b.get_set(WSET), want);
    assert_eq!(b.get_set(XSET), [] as [u64; 0]);
    assert_eq!(b.get_tv(), (0, 0), "a zero timeout is not written back");
    // Data in the pipe makes its read end ready; null sets are fine.
    b.write_u64(w, 7, 8).unwrap();
    let rs = b.set(RSET, &[full, empty, r]);
    assert_eq!(b.call("select", [n, rs, 0, 0, tv, 0]), 2);
    let mut want = [full, r];
    want.sort();
    assert_eq!(b.get_set(RSET), want);
    // A broken pipe's write end is ready (POLLERR) for reading and writing.
    b.ok("close", [r, 0, 0, 0, 0, 0]);
    let rs = b.set(RSET, &[w]);
    let ws = b.set(WSET, &[w]);
    assert_eq!(b.call("select", [n, rs, ws, 0, tv, 0]), 2);
}

#[test]
fn select_bad_fds_and_nfds() {
    let mut b = Bed::new();
    let efd = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    let tv = b.timeval(0, 0);
    let rs = b.set(RSET, &[efd, 40]);
    assert_eq!(b.err("select", [64, rs, 0, 0, tv, 0]), Some(EBADF));
    assert_eq!(b.get_set(RSET), [efd, 40], "sets untouched on error");
    let ws = b.set(WSET, &[40]);
    assert_eq!(
        b.err("select", [64, 0, ws, 0, tv, 0]),
        Some(EBADF),
        "in the write set too"
    );
    let xs = b.set(XSET, &[40]);
    assert_eq!(
        b.err("select", [64, 0, 0, xs, tv, 0]),
        Some(EBADF),
        "and the except set"
    );
    // Bits at or past nfds are ignored, and cleared in the words written back.
    assert_eq!(b.call("select", [40, rs, 0, 0, tv, 0]), 1);
    assert_eq!(b.get_set(RSET), [efd]);
    assert_eq!(
        b.err("select", [-1i64 as u64, rs, 0, 0, tv, 0]),
        Some(EINVAL)
    );
    // Past the fd limit, nfds is cut down (as Linux cuts it to the table's size).
    let rs = b.set(RSET, &[efd]);
    assert_eq!(b.call("select", [100_000, rs, 0, 0, tv, 0]), 1);
    // The upper half of nfds (an int) does not count.
    let rs = b.set(RSET, &[efd]);
    assert_eq!(b.call("select", [(1 << 32) | 64, rs, 0, 0, tv, 0]), 1);
    assert_eq!(b.err("select", [64, 8, 0, 0, tv, 0]), Some(EFAULT));
}

#[test]
fn select_timeouts() {
    let mut b = Bed::new();
    let empty = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    let full = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    // Nothing ready: the call waits out the whole timeout.
    let rs = b.set(RSET, &[empty]);
    let tv = b.timeval(1, 500_000);
    let start = b.t.k.mono;
    assert_eq!(b.call("select", [64, rs, 0, 0, tv, 0]), 0);
    assert_eq!(b.t.k.mono - start, 1_500 * MS);
    assert_eq!(b.get_set(RSET), [] as [u64; 0]);
    assert_eq!(b.get_tv(), (0, 0), "no time left");
    // Ready at once: the time left is all of it.
    let rs = b.set(RSET, &[empty, full]);
    let tv = b.timeval(5, 0);
    assert_eq!(b.call("select", [64, rs, 0, 0, tv, 0]), 1);
    assert_eq!(b.get_tv(), (5, 0));
    // tv_usec past a second is folded into seconds, as Linux does.
    let rs = b.set(RSET, &[full]);
    let tv = b.timeval(1, 2_500_000);
    assert_eq!(b.call("select", [64, rs, 0, 0, tv, 0]), 1);
    assert_eq!(b.get_tv(), (3, 500_000));
    let tv = b.timeval(-1i64 as u64, 0);
    assert_eq!(b.err("select", [64, rs, 0, 0, tv, 0]), Some(EINVAL));
    let tv = b.timeval(1, -1i64 as u64);
    assert_eq!(b.err("select", [64, rs, 0, 0, tv, 0]), Some(EINVAL));
    assert_eq!(b.err("select", [64, rs, 0, 0, 8, 0]), Some(EFAULT));
    // No fds at all: a sleep.
    let tv = b.timeval(0, 250_000);
    let start = b.t.k.mono;
    assert_eq!(b.call("select", [0, 0, 0, 0, tv, 0]), 0);
    assert_eq!(b.t.k.mono - start, 250 * MS);
}

#[test]
fn select_sees_timerfd_expiry() {
    let mut b = Bed::new();
    let fd = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    let a = its(&mut b, (0, 0), (1, 0));
    b.ok("timerfd_settime", [fd, 0, a, 0, 0, 0]);
    let tv = b.timeval(0, 0);
    let rs = b.set(RSET, &[fd]);
    assert_eq!(b.call("select", [fd + 1, rs, 0, 0, tv, 0]), 0);
    b.advance(SEC);
    let rs = b.set(RSET, &[fd]);
    assert_eq!(b.call("select", [fd + 1, rs, 0, 0, tv, 0]), 1);
    assert_eq!(b.get_set(RSET), [fd]);
}

#[test]
fn pselect6_timespec_and_sigmask_argument() {
    let mut b = Bed::new();
    let empty = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    let full = b.ok("eventfd2", [3, NONBLOCK, 0, 0, 0, 0]);
    let ts = b.timeval(2, 5); // {2 s, 5 ns} as a timespec
    let rs = b.set(RSET, &[empty, full]);
    let ws = b.set(WSET, &[empty]);
    assert_eq!(b.call("pselect6", [64, rs, ws, 0, ts, 0]), 2);
    assert_eq!(b.get_tv(), (2, 5), "the time left, as a timespec");
    // The signal argument: {sigset pointer, size}.
    let mask = b.buf + 0x2400;
    b.t.poke(mask, &0u64.to_le_bytes());
    let arg = b.buf + 0x2500;
    let put = |b: &mut Bed, ss: u64, len: u64| {
        let mut v = ss.to_le_bytes().to_vec();
        v.extend_from_slice(&len.to_le_bytes());
        b.t.poke(arg, &v);
    };
    put(&mut b, mask, 8);
    let rs = b.set(RSET, &[full]);
    assert_eq!(b.call("pselect6", [64, rs, 0, 0, ts, arg]), 1);
    put(&mut b, mask, 4);
    assert_eq!(b.err("pselect6", [64, rs, 0, 0, ts, arg]), Some(EINVAL));
    put(&mut b, 0, 4);
    assert_eq!(
        b.call("pselect6", [64, rs, 0, 0, ts, arg]),
        1,
        "no mask: the size is not looked at"
    );
    put(&mut b, 8, 8);
    assert_eq!(b.err("pselect6", [64, rs, 0, 0, ts, arg]), Some(EFAULT));
    assert_eq!(b.err("pselect6", [64, rs, 0, 0, ts, 8]), Some(EFAULT));
    let ts = b.timeval(0, 1_000_000_000);
    assert_eq!(b.err("pselect6", [64, rs, 0, 0, ts, 0]), Some(EINVAL));
    // Timing out on a nanosecond timeout.
    let rs = b.set(RSET, &[empty]);
    let ts = b.timeval(0, 700);
    let start = b.t.k.mono;
    assert_eq!(b.call("pselect6", [64, rs, 0, 0, ts, 0]), 0);
    assert_eq!(b.t.k.mono - start, 700);
    assert_eq!(b.get_tv(), (0, 0));
}

#[test]
fn a_signal_interrupts_select_and_pselect6_waits_with_its_mask() {
    let mut b = Bed::new();
    let empty = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    crate::signal::raise(&mut b.t.p, SIGUSR1);
    // select: interrupted at once, the sets untouched, the time left stored
    // so a restart goes on with it.
    let rs = b.set(RSET, &[empty]);
    let tv = b.timeval(1, 0);
    let start = b.t.k.mono;
    assert_eq!(b.err("select", [64, rs, 0, 0, tv, 0]), Some(ERESTARTNOHAND));
    assert_eq!(b.t.k.mono, start);
    assert_eq!(b.get_set(RSET), [empty]);
    assert_eq!(b.get_tv(), (1, 0));
    // pselect6 with SIGUSR1 blocked: no interruption, the timeout runs out,
    // and the thread's own mask is back afterwards.
    let before = b.t.p.blocked;
    let mask = b.buf + 0x2400;
    b.t.poke(mask, &(1u64 << (SIGUSR1 - 1)).to_le_bytes());
    let arg = b.buf + 0x2500;
    let mut v = mask.to_le_bytes().to_vec();
    v.extend_from_slice(&8u64.to_le_bytes());
    b.t.poke(arg, &v);
    let ts = b.timeval(0, 300);
    assert_eq!(b.call("pselect6", [64, rs, 0, 0, ts, arg]), 0);
    assert_eq!(b.t.k.mono - start, 300);
    assert_eq!(b.t.p.blocked, before);
    assert_eq!(b.t.p.saved_mask, None);
    // Without the mask the signal interrupts it; the temporary mask stays
    // for the delivery code to end.
    let ts = b.timeval(0, 300);
    b.t.poke(mask, &0u64.to_le_bytes());
    assert_eq!(
        b.err("pselect6", [64, rs, 0, 0, ts, arg]),
        Some(ERESTARTNOHAND)
    );
    assert_eq!(b.t.p.saved_mask, Some(before));
}
