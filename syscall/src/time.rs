//! clock_gettime, clock_getres, gettimeofday.

use crate::abi::{Timespec, Timeval};
use crate::user::write_val;
use crate::{Cx, Errno, SysResult};

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
const CLOCK_MONOTONIC_RAW: u64 = 4;
const CLOCK_REALTIME_COARSE: u64 = 5;
const CLOCK_MONOTONIC_COARSE: u64 = 6;
const CLOCK_BOOTTIME: u64 = 7;
const CLOCK_REALTIME_ALARM: u64 = 8;
const CLOCK_BOOTTIME_ALARM: u64 = 9;
const CLOCK_TAI: u64 = 11;

fn clock_ns(cx: &Cx, clock: u64) -> Result<u64, Errno> {
    Ok(match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_REALTIME_ALARM | CLOCK_TAI => {
            cx.k.realtime_ns()
        }
        CLOCK_MONOTONIC
        | CLOCK_MONOTONIC_RAW
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_BOOTTIME
        | CLOCK_BOOTTIME_ALARM => cx.k.monotonic_ns(),
        CLOCK_PROCESS_CPUTIME_ID => process_cpu_ns(cx),
        CLOCK_THREAD_CPUTIME_ID => cx.p.thread.cpu_time(cx.k.monotonic_ns()),
        _ => return Err(Errno::EINVAL),
    })
}

/// The CPU time of every thread of the process, live and ended.
pub(crate) fn process_cpu_ns(cx: &Cx) -> u64 {
    let now = cx.k.monotonic_ns();
    let dead =
        cx.p.group
            .dead_cpu_ns
            .load(core::sync::atomic::Ordering::Relaxed);
    let t = cx.p.sys.table.lock();
    let live: u64 = t
        .procs
        .get(&cx.p.pid)
        .map_or(0, |e| e.threads.iter().map(|th| th.cpu_time(now)).sum());
    dead + live
}

fn timespec(ns: u64) -> Timespec {
    Timespec {
        sec: ns / 1_000_000_000,
        nsec: ns % 1_000_000_000,
    }
}

pub fn sys_clock_gettime(cx: &mut Cx, clock: u64, tp: u64) -> SysResult {
    let ts = timespec(clock_ns(cx, clock)?);
    write_val(cx.k, &cx.p.mm, tp, &ts)?;
    Ok(0)
}

pub fn sys_clock_getres(cx: &mut Cx, clock: u64, res: u64) -> SysResult {
    clock_ns(cx, clock)?;
    if res != 0 {
        write_val(cx.k, &cx.p.mm, res, &Timespec { sec: 0, nsec: 1 })?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(cx: &mut Cx, tv: u64, tz: u64) -> SysResult {
    let ns = cx.k.realtime_ns();
    if tv != 0 {
        write_val(
            cx.k,
            &cx.p.mm,
            tv,
            &Timeval {
                sec: ns / 1_000_000_000,
                usec: ns % 1_000_000_000 / 1000,
            },
        )?;
    }
    if tz != 0 {
        write_val(cx.k, &cx.p.mm, tz, &0u64)?; // minuteswest = 0, dsttime = 0
    }
    Ok(0)
}

pub fn sys_time(cx: &mut Cx, tloc: u64) -> SysResult {
    let s = cx.k.realtime_ns() / 1_000_000_000;
    if tloc != 0 {
        write_val(cx.k, &cx.p.mm, tloc, &s)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    #[test]
    fn clocks_write_timespecs_and_reject_bad_ids() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.k.mono = 3_500_000_001;
        assert_eq!(t.call("clock_gettime", [1, buf, 0, 0, 0, 0]), 0);
        assert_eq!(
            t.peek(buf, 16),
            [3u64.to_le_bytes(), 500_000_001u64.to_le_bytes()].concat()
        );
        assert_eq!(t.call("clock_gettime", [99, buf, 0, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("clock_gettime", [1, 16, 0, 0, 0, 0]) as i64, -14);
        t.k.real = 1_700_000_000_123_456_789;
        assert_eq!(t.call("gettimeofday", [buf, 0, 0, 0, 0, 0]), 0);
        assert_eq!(
            t.peek(buf, 16),
            [1_700_000_000u64.to_le_bytes(), 123_456u64.to_le_bytes()].concat()
        );
    }
}

const TIMER_ABSTIME: u64 = 1;

fn read_timespec(cx: &mut Cx, at: u64) -> Result<u64, Errno> {
    let ts: Timespec = crate::user::read_val(cx.k, &cx.p.mm, at)?;
    if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
        return Err(Errno::EINVAL);
    }
    Ok(ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec))
}

/// Sleeps until the monotonic clock reaches `deadline`. A handled signal
/// ends the sleep with EINTR and, for relative sleeps, the time left in `rem`.
fn sleep_until(cx: &mut Cx, deadline: u64, rem: u64) -> SysResult {
    match cx.wait(&mut || false, Some(deadline)) {
        Ok(_) => Ok(0),
        Err(_) => {
            if rem != 0 {
                let left = timespec(deadline.saturating_sub(cx.k.monotonic_ns()));
                write_val(cx.k, &cx.p.mm, rem, &left)?;
            }
            Err(Errno::EINTR)
        }
    }
}

pub fn sys_nanosleep(cx: &mut Cx, req: u64, rem: u64) -> SysResult {
    let ns = read_timespec(cx, req)?;
    let deadline = cx.k.monotonic_ns().saturating_add(ns);
    sleep_until(cx, deadline, rem)
}

pub fn sys_clock_nanosleep(cx: &mut Cx, clock: u64, flags: u64, req: u64, rem: u64) -> SysResult {
    let realtime = match clock {
        CLOCK_REALTIME | CLOCK_TAI => true,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => false,
        // The CPU-time clocks of a thread cannot be slept on; others are invalid.
        CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EINVAL),
        CLOCK_PROCESS_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    let ns = read_timespec(cx, req)?;
    let now_mono = cx.k.monotonic_ns();
    let deadline = if flags & TIMER_ABSTIME == 0 {
        now_mono.saturating_add(ns)
    } else if realtime {
        now_mono.saturating_add(ns.saturating_sub(cx.k.realtime_ns()))
    } else {
        ns
    };
    sleep_until(
        cx,
        deadline,
        if flags & TIMER_ABSTIME == 0 { rem } else { 0 },
    )
}

/// `struct tms` in clock ticks (USER_HZ = 100): CPU time of the process
/// and of its reaped children (all counted as user time); returns the uptime.
pub fn sys_times(cx: &mut Cx, buf: u64) -> SysResult {
    let ticks = cx.k.monotonic_ns() / 10_000_000;
    if buf != 0 {
        let mut b = [0u8; 32];
        let children =
            cx.p.group
                .children_cpu_ns
                .load(core::sync::atomic::Ordering::Relaxed);
        b[..8].copy_from_slice(&(process_cpu_ns(cx) / 10_000_000).to_le_bytes());
        b[16..24].copy_from_slice(&(children / 10_000_000).to_le_bytes());
        crate::user::write_bytes(cx.k, &cx.p.mm, buf, &b)?;
    }
    Ok(ticks)
}

const RUSAGE_SELF: i64 = 0;
const RUSAGE_CHILDREN: i64 = -1;
const RUSAGE_THREAD: i64 = 1;

pub fn sys_getrusage(cx: &mut Cx, who: u64, usage: u64) -> SysResult {
    let ns = match who as i64 {
        RUSAGE_SELF => process_cpu_ns(cx),
        RUSAGE_THREAD => cx.p.thread.cpu_time(cx.k.monotonic_ns()),
        RUSAGE_CHILDREN => {
            cx.p.group
                .children_cpu_ns
                .load(core::sync::atomic::Ordering::Relaxed)
        }
        _ => return Err(Errno::EINVAL),
    };
    // struct rusage: utime, stime (timevals), then 14 longs; maxrss in KiB.
    let mut b = [0u8; 144];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&(ns % 1_000_000_000 / 1000).to_le_bytes());
    let rss_kib = cx.p.mm.mapped_pages() * 4;
    if who as i64 != RUSAGE_CHILDREN {
        b[32..40].copy_from_slice(&rss_kib.to_le_bytes());
    }
    crate::user::write_bytes(cx.k, &cx.p.mm, usage, &b)?;
    Ok(0)
}

#[cfg(test)]
mod sleep_tests {
    use crate::testkit::TestBed;

    #[test]
    fn sleeps_last_as_long_as_asked_and_validate() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        t.poke(buf, &[2u64.to_le_bytes(), 5u64.to_le_bytes()].concat());
        t.k.mono = 1000;
        assert_eq!(t.call("nanosleep", [buf, 0, 0, 0, 0, 0]), 0);
        assert_eq!(t.k.mono, 1000 + 2_000_000_005);
        // Absolute monotonic deadline.
        t.poke(buf, &[3u64.to_le_bytes(), 0u64.to_le_bytes()].concat());
        assert_eq!(t.call("clock_nanosleep", [1, 1, buf, 0, 0, 0]), 0);
        assert_eq!(t.k.mono, 3_000_000_000);
        t.poke(
            buf,
            &[0u64.to_le_bytes(), 1_000_000_000u64.to_le_bytes()].concat(),
        );
        assert_eq!(t.call("nanosleep", [buf, 0, 0, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("clock_nanosleep", [3, 0, buf, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("nanosleep", [8, 0, 0, 0, 0, 0]) as i64, -14);
    }

    #[test]
    fn times_and_rusage() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        // On the CPU from 0.5 s to 2.5 s of uptime, and 0.5 s in an ended thread.
        t.p.thread.switch_in(500_000_000);
        t.p.group
            .dead_cpu_ns
            .store(500_000_000, core::sync::atomic::Ordering::Relaxed);
        t.k.mono = 2_500_000_000;
        assert_eq!(t.call("times", [buf, 0, 0, 0, 0, 0]), 250);
        assert_eq!(t.peek(buf, 8), 250u64.to_le_bytes());
        assert_eq!(t.call("getrusage", [0, buf, 0, 0, 0, 0]), 0);
        assert_eq!(
            t.peek(buf, 16),
            [2u64.to_le_bytes(), 500_000u64.to_le_bytes()].concat()
        );
        assert_eq!(t.call("getrusage", [7, buf, 0, 0, 0, 0]) as i64, -22);
    }
}
