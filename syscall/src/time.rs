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
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_REALTIME_ALARM | CLOCK_TAI => cx.k.realtime_ns(),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            cx.k.monotonic_ns()
        }
        // One thread that has had the CPU since boot: its CPU time is the uptime.
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => cx.k.monotonic_ns(),
        _ => return Err(Errno::EINVAL),
    })
}

fn timespec(ns: u64) -> Timespec {
    Timespec { sec: ns / 1_000_000_000, nsec: ns % 1_000_000_000 }
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
        write_val(cx.k, &cx.p.mm, tv, &Timeval { sec: ns / 1_000_000_000, usec: ns % 1_000_000_000 / 1000 })?;
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
        assert_eq!(t.peek(buf, 16), [3u64.to_le_bytes(), 500_000_001u64.to_le_bytes()].concat());
        assert_eq!(t.call("clock_gettime", [99, buf, 0, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("clock_gettime", [1, 16, 0, 0, 0, 0]) as i64, -14);
        t.k.real = 1_700_000_000_123_456_789;
        assert_eq!(t.call("gettimeofday", [buf, 0, 0, 0, 0, 0]), 0);
        assert_eq!(t.peek(buf, 16), [1_700_000_000u64.to_le_bytes(), 123_456u64.to_le_bytes()].concat());
    }
}
