//! ITIMER_REAL and alarm: SIGALRM to the process when the monotonic clock
//! passes the deadline, then every interval. The kernel calls `run_timers`
//! from its timer tick.

use super::{send_to_process, SigInfo, SIGALRM};
use crate::process::table::RealTimer;
use crate::process::System;
use crate::user::{read_bytes, write_bytes};
use crate::{Cx, Errno, SysResult};

const ITIMER_REAL: u64 = 0;
const ITIMER_PROF: u64 = 2;

/// Sends SIGALRM to every process whose real timer has expired by `now`.
pub fn run_timers(sys: &System, now: u64) {
    let t = sys.table.lock();
    for (pid, e) in t.procs.iter() {
        let mut tm = e.group.timer.lock();
        if tm.deadline != 0 && now >= tm.deadline {
            // Missed periods are not made up, as Linux's hrtimer forwarding.
            tm.deadline = match (now - tm.deadline).checked_div(tm.interval) {
                Some(missed) => tm.deadline + (missed + 1) * tm.interval,
                None => 0,
            };
            drop(tm);
            let _ = send_to_process(&t, *pid, SIGALRM, SigInfo::kernel(SIGALRM));
        }
    }
}

fn timeval(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_le_bytes());
    b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_le_bytes());
    b
}

/// (remaining, interval) of the process's timer.
fn current(cx: &mut Cx) -> (u64, u64) {
    let t = *cx.p.group.timer.lock();
    let rem = if t.deadline == 0 {
        0
    } else {
        t.deadline.saturating_sub(cx.k.monotonic_ns()).max(1000)
    };
    (rem, t.interval)
}

fn set(cx: &mut Cx, value: u64, interval: u64) -> (u64, u64) {
    let old = current(cx);
    let now = cx.k.monotonic_ns();
    *cx.p.group.timer.lock() = RealTimer {
        deadline: if value == 0 {
            0
        } else {
            now.saturating_add(value)
        },
        interval,
    };
    old
}

fn check_which(which: u64) -> Result<(), Errno> {
    match which {
        ITIMER_REAL => Ok(()),
        1..=ITIMER_PROF => {
            log::warn!("setitimer/getitimer: only ITIMER_REAL is implemented");
            Err(Errno::ENOSYS)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_getitimer(cx: &mut Cx, which: u64, value: u64) -> SysResult {
    check_which(which)?;
    let (rem, interval) = current(cx);
    write_bytes(
        cx.k,
        &cx.p.mm,
        value,
        &[timeval(interval), timeval(rem)].concat(),
    )?;
    Ok(0)
}

pub fn sys_setitimer(cx: &mut Cx, which: u64, new: u64, old: u64) -> SysResult {
    check_which(which)?;
    let mut b = [0u8; 32];
    if new != 0 {
        read_bytes(cx.k, &cx.p.mm, new, &mut b)?;
    }
    let field = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
    let to_ns = |sec: i64, usec: i64| -> Result<u64, Errno> {
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Ok((sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(usec as u64 * 1000))
    };
    let interval = to_ns(field(0), field(8))?;
    let value = to_ns(field(16), field(24))?;
    let (rem, ival) = set(cx, value, interval);
    if old != 0 {
        write_bytes(cx.k, &cx.p.mm, old, &[timeval(ival), timeval(rem)].concat())?;
    }
    Ok(0)
}

/// alarm: the old timer's remaining seconds, rounded as Linux does.
pub fn sys_alarm(cx: &mut Cx, secs: u64) -> SysResult {
    let (rem, _) = set(cx, (secs as u32 as u64) * 1_000_000_000, 0);
    let (s, us) = (rem / 1_000_000_000, (rem % 1_000_000_000) / 1000);
    Ok(if (s == 0 && us != 0) || us >= 500_000 {
        s + 1
    } else {
        s
    })
}
