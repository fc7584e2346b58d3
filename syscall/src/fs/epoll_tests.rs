//! Host tests of epoll over pipes, eventfds, timerfds and other instances.
//! The expected values are what Linux 6.18 does (checked with a C program
//! on the host; tests/guest/proc/epoll.c runs the same checks both ways).

extern crate std;

use super::events_tests::Bed;
use crate::testkit::TestBed;
use alloc::vec::Vec;

const EBADF: i32 = 9;
const EFAULT: i32 = 14;
const EEXIST: i32 = 17;
const ENOENT: i32 = 2;
const EINTR: i32 = 4;
const EPERM: i32 = 1;
const EINVAL: i32 = 22;
const ELOOP: i32 = 40;
const SIGUSR1: u8 = 10;

const NONBLOCK: u64 = 0o4000;
const CLOEXEC: u64 = 0o2000000;
const MS: u64 = 1_000_000;

const ADD: u64 = 1;
const DEL: u64 = 2;
const MOD: u64 = 3;
const IN: u32 = 0x1;
const PRI: u32 = 0x2;
const OUT: u32 = 0x4;
const ERR: u32 = 0x8;
const HUP: u32 = 0x10;
const RDNORM: u32 = 0x40;
const RDHUP: u32 = 0x2000;
const EXCLUSIVE: u32 = 1 << 28;
const ONESHOT: u32 = 1 << 30;
const ET: u32 = 1 << 31;

/// Where the tests keep a `struct epoll_event` and the result array.
const EVENT: u64 = 0x3000;
const ARRAY: u64 = 0x4000;

impl Bed {
    fn epoll(&mut self) -> u64 {
        self.ok("epoll_create1", [0; 6])
    }
    /// epoll_ctl with an event {events, data}: None on success, else the errno.
    fn ctl(&mut self, ep: u64, op: u64, fd: u64, events: u32, data: u64) -> Option<i32> {
        let a = self.buf + EVENT;
        let mut e = events.to_le_bytes().to_vec();
        e.extend_from_slice(&data.to_le_bytes());
        self.t.poke(a, &e);
        self.err("epoll_ctl", [ep, op, fd, a, 0, 0])
    }
    fn add(&mut self, ep: u64, fd: u64, events: u32, data: u64) {
        assert_eq!(self.ctl(ep, ADD, fd, events, data), None, "EPOLL_CTL_ADD");
    }
    /// The `n` events at `addr`, as (events, data).
    fn events_at(&mut self, addr: u64, n: u64) -> Vec<(u32, u64)> {
        let b = self.t.peek(addr, n as usize * 12);
        b.chunks(12)
            .map(|c| {
                (
                    u32::from_le_bytes(c[..4].try_into().unwrap()),
                    u64::from_le_bytes(c[4..].try_into().unwrap()),
                )
            })
            .collect()
    }
    /// epoll_wait(ep, ARRAY, max, timeout_ms): the events, or the errno.
    fn wait(&mut self, ep: u64, max: u64, timeout: i32) -> Result<Vec<(u32, u64)>, i32> {
        let a = self.buf + ARRAY;
        let r = self.call("epoll_wait", [ep, a, max, timeout as u64, 0, 0]);
        match TestBed::errno(r) {
            Some(e) => Err(e),
            None => Ok(self.events_at(a, r)),
        }
    }
    /// What a non-blocking look reports.
    fn now(&mut self, ep: u64) -> Vec<(u32, u64)> {
        self.wait(ep, 16, 0).expect("epoll_wait")
    }
    fn close(&mut self, fd: u64) {
        self.ok("close", [fd, 0, 0, 0, 0, 0]);
    }
    fn write_bytes(&mut self, fd: u64, n: u64) -> u64 {
        self.call("write", [fd, self.buf + 0x8000, n, 0, 0, 0])
    }
    fn read_bytes(&mut self, fd: u64, n: u64) -> u64 {
        self.call("read", [fd, self.buf + 0x8000, n, 0, 0, 0])
    }
    fn open(&mut self, path: &str, flags: u64) -> u64 {
        let p = self.t.cstr(self.buf + 0x2800, path);
        self.ok("open", [p, flags, 0o600, 0, 0, 0])
    }
}

#[test]
fn create_flags_and_identity() {
    let mut b = Bed::new();
    assert_eq!(b.err("epoll_create", [0, 0, 0, 0, 0, 0]), Some(EINVAL));
    assert_eq!(
        b.err("epoll_create", [-1i64 as u64, 0, 0, 0, 0, 0]),
        Some(EINVAL)
    );
    assert_eq!(
        b.err("epoll_create", [1 << 32, 0, 0, 0, 0, 0]),
        Some(EINVAL),
        "size is an int: 1 << 32 is 0"
    );
    let ep = b.ok("epoll_create", [1, 0, 0, 0, 0, 0]);
    assert_eq!(b.call("fcntl", [ep, 1, 0, 0, 0, 0]), 0, "not close-on-exec");
    assert_eq!(b.call("fcntl", [ep, 3, 0, 0, 0, 0]), 2, "O_RDWR");
    assert_eq!(b.err("epoll_create1", [1, 0, 0, 0, 0, 0]), Some(EINVAL));
    assert_eq!(
        b.err("epoll_create1", [CLOEXEC | 1, 0, 0, 0, 0, 0]),
        Some(EINVAL)
    );
    b.ok("epoll_create1", [1 << 32, 0, 0, 0, 0, 0]);
    let ep = b.ok("epoll_create1", [CLOEXEC, 0, 0, 0, 0, 0]);
    assert_eq!(b.call("fcntl", [ep, 1, 0, 0, 0, 0]), 1, "EPOLL_CLOEXEC");
    let f = b.t.p.fds.get(ep as i32).unwrap();
    let lintel_vfs::FileKind::Special(ops) = &f.kind else {
        panic!("not a special file")
    };
    assert_eq!(ops.describe(), b"anon_inode:[eventpoll]");
    assert_eq!(ops.mode(), 0o600, "an anonymous inode: no type bits");
    assert_eq!(TestBed::errno(b.read_bytes(ep, 8)), Some(EINVAL));
    assert_eq!(TestBed::errno(b.write_bytes(ep, 8)), Some(EINVAL));
    assert_eq!(b.revents(ep), 0, "empty: not readable, never writable");
}

#[test]
fn ctl_errors_in_linux_order() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let efd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    // The event is read first, for every op but DEL.
    assert_eq!(b.err("epoll_ctl", [ep, ADD, 99, 0, 0, 0]), Some(EFAULT));
    assert_eq!(b.err("epoll_ctl", [99, ADD, efd, 8, 0, 0]), Some(EFAULT));
    assert_eq!(b.err("epoll_ctl", [ep, 7, efd, 0, 0, 0]), Some(EFAULT));
    assert_eq!(b.err("epoll_ctl", [ep, DEL, efd, 0, 0, 0]), Some(ENOENT));
    // Then the fds, then whether the target can be polled, then the instance.
    assert_eq!(b.ctl(99, ADD, efd, IN, 0), Some(EBADF));
    assert_eq!(b.ctl(ep, ADD, 99, IN, 0), Some(EBADF));
    assert_eq!(b.ctl(efd, 7, 99, IN, 0), Some(EBADF));
    let file = b.open("/f", 0o102);
    let dir = b.open("/", 0o200000);
    let path = b.open("/", 0o10000000);
    assert_eq!(b.ctl(ep, ADD, file, IN, 0), Some(EPERM), "a regular file");
    assert_eq!(b.ctl(ep, ADD, dir, IN, 0), Some(EPERM), "a directory");
    assert_eq!(b.ctl(ep, ADD, path, IN, 0), Some(EBADF), "O_PATH");
    assert_eq!(b.ctl(path, ADD, efd, IN, 0), Some(EBADF), "O_PATH");
    assert_eq!(b.ctl(efd, ADD, file, IN, 0), Some(EPERM), "EPERM first");
    assert_eq!(b.ctl(efd, ADD, ep, IN, 0), Some(EINVAL), "not an instance");
    assert_eq!(b.ctl(ep, ADD, ep, IN, 0), Some(EINVAL), "itself");
    let dup = b.ok("dup", [ep, 0, 0, 0, 0, 0]);
    assert_eq!(b.ctl(ep, ADD, dup, IN, 0), Some(EINVAL), "itself, dup'ed");
    assert_eq!(b.ctl(ep, 0, efd, IN, 0), Some(EINVAL), "op 0");
    assert_eq!(b.ctl(ep, 4, efd, IN, 0), Some(EINVAL), "op 4");
    assert_eq!(b.ctl(ep, MOD, efd, IN, 0), Some(ENOENT));
    assert_eq!(b.ctl(ep, DEL, efd, IN, 0), Some(ENOENT));
    b.add(ep, efd, IN, 0);
    assert_eq!(b.ctl(ep, ADD, efd, OUT, 0), Some(EEXIST));
    assert_eq!(b.ctl(ep, MOD, efd, OUT, 0), None);
    assert_eq!(b.ctl(ep, DEL, efd, 0, 0), None);
    // The op and the fds are ints.
    assert_eq!(b.ctl(ep, 1 << 32 | ADD, efd | 1 << 32, IN, 0), None);
    assert_eq!(b.ctl(ep, DEL, efd, 0, 0), None);
}

#[test]
fn exclusive_is_for_add_and_plain_events() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let inner = b.epoll();
    let efd = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    for bad in [ONESHOT, RDHUP, PRI, RDNORM] {
        assert_eq!(b.ctl(ep, ADD, efd, IN | EXCLUSIVE | bad, 0), Some(EINVAL));
    }
    assert_eq!(b.ctl(ep, ADD, inner, IN | EXCLUSIVE, 0), Some(EINVAL));
    b.add(ep, efd, IN | OUT | ERR | HUP | ET | EXCLUSIVE, 3);
    assert_eq!(b.ctl(ep, MOD, efd, IN | EXCLUSIVE, 0), Some(EINVAL));
    assert_eq!(
        b.ctl(ep, MOD, efd, IN, 0),
        Some(EINVAL),
        "an exclusive entry cannot change"
    );
    assert_eq!(b.now(ep), [(IN | OUT, 3)]);
    assert_eq!(b.ctl(ep, DEL, efd, 0, 0), None);
}

#[test]
fn level_triggered_pipe() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let (r, w) = b.pipe();
    b.add(ep, r, IN | RDHUP | PRI, 0xdead_beef_cafe);
    assert_eq!(b.now(ep), []);
    assert_eq!(b.revents(ep), 0);
    assert_eq!(b.write_bytes(w, 4), 4);
    assert_eq!(b.now(ep), [(IN, 0xdead_beef_cafe)]);
    assert_eq!(b.now(ep), [(IN, 0xdead_beef_cafe)], "still ready");
    assert_eq!(b.revents(ep), 1, "the instance is readable");
    assert_eq!(b.read_bytes(r, 4), 4);
    assert_eq!(b.now(ep), []);
    // HUP is reported though not asked for; a pipe never says RDHUP.
    b.close(w);
    assert_eq!(b.now(ep), [(HUP, 0xdead_beef_cafe)]);
    // The write end: ERR once the reader is gone.
    let (r, w) = b.pipe();
    b.add(ep, w, OUT, 2);
    b.close(r);
    let got = b.now(ep);
    assert!(got.contains(&(OUT | ERR, 2)), "{got:?}");
}

#[test]
fn edge_triggered_pipe_ends() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let (r, w) = b.pipe();
    b.add(ep, w, OUT | ET, 1);
    b.add(ep, r, IN | ET, 0);
    assert_eq!(b.now(ep), [(OUT, 1)], "ready when added");
    assert_eq!(b.now(ep), []);
    b.write_bytes(w, 4);
    assert_eq!(b.now(ep), [(IN, 0)], "a write wakes readers only");
    b.read_bytes(r, 2);
    assert_eq!(b.now(ep), [], "a partial read re-arms nobody");
    b.read_bytes(r, 2);
    assert_eq!(b.now(ep), []);
    b.write_bytes(w, 4);
    assert_eq!(b.now(ep), [(IN, 0)]);
    b.write_bytes(w, 4);
    assert_eq!(b.now(ep), [(IN, 0)], "each write is an event");
    while TestBed::errno(b.write_bytes(w, 4096)).is_none() {}
    assert_eq!(b.now(ep), [(IN, 0)]);
    b.read_bytes(r, 4096);
    assert_eq!(b.now(ep), [(OUT, 1)], "room in a full pipe wakes writers");
    b.read_bytes(r, 4096);
    assert_eq!(b.now(ep), [], "more room: no new event");
    b.close(r);
    assert_eq!(b.now(ep), [(OUT | ERR, 1)]);
}

#[test]
fn edge_triggered_eventfd_and_timerfd() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let efd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, efd, IN | ET, 5);
    b.write_u64(efd, 0, 8).unwrap();
    assert_eq!(b.now(ep), [], "a write of 0 to a zero count");
    b.write_u64(efd, 1, 8).unwrap();
    assert_eq!(b.now(ep), [(IN, 5)]);
    assert_eq!(b.now(ep), []);
    b.write_u64(efd, 0, 8).unwrap();
    assert_eq!(b.now(ep), [(IN, 5)], "a write of 0 is an event too");

    let t = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, t, IN | ET, 7);
    let its = b.buf + 0x400;
    let w: Vec<u8> = [0, 5 * MS, 0, 5 * MS]
        .iter()
        .flat_map(|v: &u64| v.to_le_bytes())
        .collect();
    b.t.poke(its, &w);
    b.ok("timerfd_settime", [t, 0, its, 0, 0, 0]);
    assert_eq!(b.now(ep), []);
    b.advance(12 * MS);
    assert_eq!(b.now(ep), [(IN, 7)]);
    b.advance(6 * MS);
    assert_eq!(
        b.now(ep),
        [],
        "expiries before a read wake nobody (the timer restarts when read)"
    );
    assert_eq!(b.read_u64(t, 8), Ok(3));
    b.advance(5 * MS);
    assert_eq!(b.now(ep), [(IN, 7)], "the first expiry after a read");
}

#[test]
fn level_triggered_timerfd() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let t = b.ok("timerfd_create", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, t, IN, 7);
    let its = b.buf + 0x400;
    let w: Vec<u8> = [0, 0, 0, 30 * MS]
        .iter()
        .flat_map(|v: &u64| v.to_le_bytes())
        .collect();
    b.t.poke(its, &w);
    b.ok("timerfd_settime", [t, 0, its, 0, 0, 0]);
    assert_eq!(b.wait(ep, 4, 10), Ok(Vec::new()), "not due yet");
    b.advance(30 * MS);
    assert_eq!(b.wait(ep, 4, -1), Ok(alloc::vec![(IN, 7)]));
    assert_eq!(b.now(ep), [(IN, 7)], "level-triggered: until read");
    assert_eq!(b.read_u64(t, 8), Ok(1));
    assert_eq!(b.now(ep), []);
}

#[test]
fn oneshot_fires_once_until_modified() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let (r, w) = b.pipe();
    b.add(ep, r, IN | ONESHOT, 20);
    assert_eq!(b.ctl(ep, ADD, r, IN | ONESHOT, 20), Some(EEXIST));
    b.write_bytes(w, 1);
    assert_eq!(b.now(ep), [(IN, 20)]);
    assert_eq!(b.now(ep), []);
    b.write_bytes(w, 1);
    b.close(w);
    assert_eq!(b.now(ep), [], "not even HUP");
    assert_eq!(b.ctl(ep, MOD, r, IN | ONESHOT, 21), None);
    assert_eq!(b.now(ep), [(IN | HUP, 21)]);
    assert_eq!(b.now(ep), []);
    assert_eq!(b.ctl(ep, MOD, r, 0, 22), None);
    assert_eq!(b.now(ep), [(HUP, 22)], "HUP is always reported");
}

#[test]
fn registrations_follow_the_open_file_description() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let (r, w) = b.pipe();
    b.add(ep, r, IN, 11);
    let d = b.ok("dup", [r, 0, 0, 0, 0, 0]);
    b.write_bytes(w, 1);
    b.close(r);
    assert_eq!(b.now(ep), [(IN, 11)], "a dup keeps the entry alive");
    assert_eq!(b.ctl(ep, DEL, r, 0, 0), Some(EBADF));
    assert_eq!(b.ctl(ep, DEL, d, 0, 0), Some(ENOENT), "keyed by (fd, file)");
    assert_eq!(b.ctl(ep, MOD, d, IN, 0), Some(ENOENT));
    // The old number names a new file: a new key.
    let (r2, w2) = b.pipe();
    assert_eq!(r2, r);
    b.add(ep, r2, IN, 12);
    b.add(ep, d, IN, 13);
    assert_eq!(b.now(ep), [(IN, 11), (IN, 13)]);
    assert_eq!(b.ctl(ep, DEL, d, 0, 0), None);
    assert_eq!(b.now(ep), [(IN, 11)]);
    // The last reference closed: the entry is gone.
    b.close(d);
    assert_eq!(b.now(ep), []);
    b.write_bytes(w2, 1);
    assert_eq!(b.now(ep), [(IN, 12)]);
    b.close(w);
}

#[test]
fn a_small_maxevents_takes_turns() {
    let mut b = Bed::new();
    let ep = b.epoll();
    for i in 1..=3 {
        let e = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
        b.add(ep, e, IN, i);
    }
    let mut order = Vec::new();
    for _ in 0..5 {
        let got = b.wait(ep, 1, 0).unwrap();
        assert_eq!(got.len(), 1);
        order.push(got[0].1);
    }
    assert_eq!(order, [1, 2, 3, 1, 2]);
    assert_eq!(b.now(ep), [(IN, 3), (IN, 1), (IN, 2)]);
}

#[test]
fn wait_errors_and_faults() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let a = b.buf + ARRAY;
    let efd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    // Linux 6.18's order: the fd, maxevents, the array, the kind of file.
    assert_eq!(b.err("epoll_wait", [99, a, 0, 0, 0, 0]), Some(EBADF));
    assert_eq!(b.err("epoll_wait", [ep, a, 0, 0, 0, 0]), Some(EINVAL));
    assert_eq!(
        b.err("epoll_wait", [ep, a, u64::MAX, 0, 0, 0]),
        Some(EINVAL)
    );
    assert_eq!(
        b.err("epoll_wait", [ep, a, 178956971, 0, 0, 0]),
        Some(EINVAL)
    );
    // The largest array fits below the end of user space from a low address.
    assert_eq!(
        b.call("epoll_wait", [ep, 0x1000_0000, 178956970, 0, 0, 0]),
        0
    );
    assert_eq!(b.call("epoll_wait", [ep, a, 1 << 32 | 1, 0, 0, 0]), 0);
    let kernel = 0xffff_8000_0000_0000;
    assert_eq!(b.err("epoll_wait", [efd, kernel, 1, 0, 0, 0]), Some(EFAULT));
    assert_eq!(b.err("epoll_wait", [efd, a, 1, 0, 0, 0]), Some(EINVAL));
    let top = 0x7fff_ffff_f000;
    assert_eq!(b.call("epoll_wait", [ep, top - 12, 1, 0, 0, 0]), 0);
    assert_eq!(
        b.err("epoll_wait", [ep, top - 11, 1, 0, 0, 0]),
        Some(EFAULT)
    );
    // A hole in the array is found only when there is something to write,
    // and what could not be written stays ready.
    assert_eq!(b.call("epoll_wait", [ep, 0, 1, 0, 0, 0]), 0);
    b.add(ep, efd, IN | ONESHOT, 1);
    let e2 = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, e2, IN, 2);
    b.write_u64(efd, 1, 8).unwrap();
    assert_eq!(b.err("epoll_wait", [ep, 0, 1, 0, 0, 0]), Some(EFAULT));
    let last = b.buf + 0x10000 - 12;
    assert!(
        b.t.try_peek(b.buf + 0x10000, 1).is_err(),
        "nothing mapped after"
    );
    assert_eq!(b.call("epoll_wait", [ep, last, 2, 0, 0, 0]), 1);
    assert_eq!(b.events_at(last, 1), [(IN, 1)]);
    assert_eq!(b.now(ep), [(IN, 2)], "the one-shot entry fired once");
}

#[test]
fn timeouts_and_pwait2() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let a = b.buf + ARRAY;
    let start = b.t.k.mono;
    assert_eq!(b.wait(ep, 4, 20), Ok(Vec::new()));
    assert_eq!(b.t.k.mono - start, 20 * MS);
    let ts = b.buf + 0x2300;
    b.t.poke(ts, &[0u64.to_le_bytes(), 700u64.to_le_bytes()].concat());
    let start = b.t.k.mono;
    assert_eq!(b.call("epoll_pwait2", [ep, a, 4, ts, 0, 8]), 0);
    assert_eq!(b.t.k.mono - start, 700);
    b.t.poke(
        ts,
        &[0u64.to_le_bytes(), 1_000_000_000u64.to_le_bytes()].concat(),
    );
    assert_eq!(b.err("epoll_pwait2", [ep, a, 4, ts, 0, 8]), Some(EINVAL));
    b.t.poke(
        ts,
        &[(-1i64 as u64).to_le_bytes(), 0u64.to_le_bytes()].concat(),
    );
    assert_eq!(b.err("epoll_pwait2", [ep, a, 4, ts, 0, 8]), Some(EINVAL));
    assert_eq!(
        b.err("epoll_pwait2", [99, a, 4, 8, 0, 8]),
        Some(EFAULT),
        "the timeout is read first"
    );
    let efd = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, efd, IN, 4);
    assert_eq!(
        b.call("epoll_pwait2", [ep, a, 4, 0, 0, 8]),
        1,
        "null: no limit"
    );
    assert_eq!(b.call("epoll_wait", [ep, a, 4, -1i64 as u64, 0, 0]), 1);
}

#[test]
fn signals_interrupt_and_pwait_masks() {
    let mut b = Bed::new();
    let ep = b.epoll();
    let a = b.buf + ARRAY;
    let mask = b.buf + 0x2400;
    b.t.poke(mask, &0u64.to_le_bytes());
    // The mask is checked before the fd.
    assert_eq!(b.err("epoll_pwait", [99, a, 1, 0, mask, 4]), Some(EINVAL));
    assert_eq!(b.err("epoll_pwait", [99, a, 1, 0, 8, 8]), Some(EFAULT));
    assert_eq!(b.err("epoll_pwait", [99, a, 1, 0, 0, 4]), Some(EBADF));
    crate::signal::raise(&mut b.t.p, SIGUSR1);
    let start = b.t.k.mono;
    assert_eq!(b.wait(ep, 1, 1000), Err(EINTR), "EINTR, never restarted");
    assert_eq!(b.wait(ep, 1, -1), Err(EINTR));
    assert_eq!(b.t.k.mono, start);
    assert_eq!(b.wait(ep, 1, 0), Ok(Vec::new()), "no wait: no interruption");
    // With SIGUSR1 blocked by the call's mask: the timeout runs out and the
    // thread's own mask is back.
    let before = b.t.p.blocked;
    b.t.poke(mask, &(1u64 << (SIGUSR1 - 1)).to_le_bytes());
    assert_eq!(b.call("epoll_pwait", [ep, a, 1, 30, mask, 8]), 0);
    assert_eq!(b.t.k.mono - start, 30 * MS);
    assert_eq!(b.t.p.blocked, before);
    assert_eq!(b.t.p.saved_mask, None);
    // Something ready wins over the signal.
    let efd = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(ep, efd, IN, 6);
    assert_eq!(b.wait(ep, 1, 1000), Ok(alloc::vec![(IN, 6)]));
    assert_eq!(b.ctl(ep, DEL, efd, 0, 0), None);
    // Without the mask the signal interrupts; the call's mask stays for
    // the delivery code to end after the handler.
    b.t.poke(mask, &0u64.to_le_bytes());
    assert_eq!(b.err("epoll_pwait", [ep, a, 1, 30, mask, 8]), Some(EINTR));
    assert_eq!(b.t.p.saved_mask, Some(before));
}

#[test]
fn nested_instances() {
    let mut b = Bed::new();
    let outer = b.epoll();
    let inner = b.epoll();
    let efd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    b.add(inner, efd, IN, 1);
    b.add(outer, inner, IN | ET, 9);
    assert_eq!(b.now(outer), []);
    b.write_u64(efd, 1, 8).unwrap();
    assert_eq!(b.revents(inner), 1);
    assert_eq!(b.now(outer), [(IN, 9)]);
    assert_eq!(b.now(outer), [], "edge-triggered");
    b.write_u64(efd, 1, 8).unwrap();
    assert_eq!(b.now(outer), [(IN, 9)], "a new event inside");
    assert_eq!(b.now(inner), [(IN, 1)]);
    assert_eq!(b.now(outer), [], "looking inside is no event");
    // No cycles.
    assert_eq!(b.ctl(inner, ADD, outer, IN, 0), Some(ELOOP));
    let mid = b.epoll();
    b.add(inner, mid, IN, 0);
    assert_eq!(b.ctl(mid, ADD, outer, IN, 0), Some(ELOOP));
    assert_eq!(b.ctl(outer, ADD, inner, IN, 0), Some(EEXIST));
}

#[test]
fn nesting_depth_is_limited() {
    let mut b = Bed::new();
    // Top down: a > b > c > d > e; a sixth level is refused.
    let eps: Vec<u64> = (0..6).map(|_| b.epoll()).collect();
    for i in 0..4 {
        b.add(eps[i], eps[i + 1], IN, 0);
    }
    assert_eq!(b.ctl(eps[4], ADD, eps[5], IN, 0), Some(ELOOP));
    // Bottom up as well.
    let eps: Vec<u64> = (0..6).map(|_| b.epoll()).collect();
    for i in (0..4).rev() {
        b.add(eps[i], eps[i + 1], IN, 0);
    }
    let top = b.epoll();
    assert_eq!(b.ctl(top, ADD, eps[0], IN, 0), Some(ELOOP));
    assert_eq!(b.ctl(top, ADD, eps[1], IN, 0), None);
    // A plain file may hang below the deepest instance.
    let efd = b.ok("eventfd2", [0, NONBLOCK, 0, 0, 0, 0]);
    b.add(eps[4], efd, IN, 0);
}

#[test]
fn a_closed_instance_inside_another_drops_out() {
    let mut b = Bed::new();
    let outer = b.epoll();
    let inner = b.epoll();
    let efd = b.ok("eventfd2", [1, NONBLOCK, 0, 0, 0, 0]);
    b.add(inner, efd, IN, 1);
    b.add(outer, inner, IN, 2);
    assert_eq!(b.now(outer), [(IN, 2)]);
    b.close(inner);
    assert_eq!(b.now(outer), []);
    // Closing an instance does not close what it watched.
    assert_eq!(b.read_u64(efd, 8), Ok(1));
}
