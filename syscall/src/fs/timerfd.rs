//! timerfd_create, timerfd_settime, timerfd_gettime: a timer whose
//! expirations are read as a count.
//!
//! Nothing ticks a timer: its state is an absolute expiry and an interval,
//! and each look (read, poll, gettime) counts the expirations the clock has
//! passed since. File operations get no `Cx`, so the timer reads the clock
//! through a hook the kernel registers at boot (`set_clock`).

use super::eventfd::{ANON_INODE_INO, ANON_INODE_MODE};
use crate::user::{read_bytes, write_bytes};
use crate::{Cx, Errno, SysResult};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use lintel_vfs::{FileKind, FileOps, PollEvents, VfsResult};
use spin::Mutex;

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_BOOTTIME: u32 = 7;
const CLOCK_REALTIME_ALARM: u32 = 8;
const CLOCK_BOOTTIME_ALARM: u32 = 9;

const TFD_NONBLOCK: u32 = 0o4000;
const TFD_CLOEXEC: u32 = 0o2000000;
const TFD_TIMER_ABSTIME: u32 = 1;
/// Cancels a read when the realtime clock is set; Lintel's never is, so
/// the flag is accepted and has nothing to do.
const TFD_TIMER_CANCEL_ON_SET: u32 = 2;

const NSEC_PER_SEC: u64 = 1_000_000_000;

static CLOCK: spin::Once<fn() -> (u64, u64)> = spin::Once::new();

/// Registers the clock timer files read (once, at boot; later calls are
/// ignored): `f` returns (nanoseconds since boot, nanoseconds since the
/// Unix epoch), the values of `Kernel::monotonic_ns` and `Kernel::realtime_ns`.
pub fn set_clock(f: fn() -> (u64, u64)) {
    CLOCK.call_once(|| f);
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Clock {
    Monotonic,
    Realtime,
}

impl Clock {
    fn now(self) -> u64 {
        let (mono, real) = CLOCK.get().map_or((0, 0), |f| f());
        match self {
            Clock::Monotonic => mono,
            Clock::Realtime => real,
        }
    }
}

#[derive(Clone, Copy, Default, Debug)]
struct State {
    /// The next expiry on the timer's clock; None: disarmed.
    expiry: Option<u64>,
    /// Nanoseconds between expiries; 0: one-shot.
    interval: u64,
    /// Expirations counted and not yet read.
    ticks: u64,
    /// FileOps::event_seq: how often the timer became readable. Linux
    /// wakes waiters at the first expiry after a read only (the hrtimer
    /// restarts when read), so that is when edge-triggered epoll reports.
    fired: u64,
}

impl State {
    /// Counts the expirations up to `now` and moves the expiry past it.
    fn advance(&mut self, now: u64) {
        let Some(e) = self.expiry else { return };
        if now < e {
            return;
        }
        if self.ticks == 0 {
            self.fired = self.fired.wrapping_add(1);
        }
        match (now - e).checked_div(self.interval) {
            // One-shot: fired once, now disarmed.
            None => {
                self.ticks = self.ticks.saturating_add(1);
                self.expiry = None;
            }
            // Periodic: missed periods count, as Linux's overrun does.
            Some(missed) => {
                let n = missed + 1;
                self.ticks = self.ticks.saturating_add(n);
                // Past the end of time the timer simply never fires again.
                self.expiry = n.checked_mul(self.interval).and_then(|d| e.checked_add(d));
            }
        }
    }

    /// Nanoseconds to the next expiry (after `advance(now)`); 0 if disarmed.
    fn remaining(&self, now: u64) -> u64 {
        self.expiry.map_or(0, |e| e.saturating_sub(now))
    }
}

struct TimerFd {
    clock: Clock,
    state: Mutex<State>,
}

impl TimerFd {
    /// The state brought up to the clock's present.
    fn current(&self) -> (spin::MutexGuard<'_, State>, u64) {
        let now = self.clock.now();
        let mut s = self.state.lock();
        s.advance(now);
        (s, now)
    }
}

/// The live timer files by address, so timerfd_settime/gettime can tell a
/// timer from another special file (`FileOps` offers no downcast).
static TIMERS: Mutex<BTreeMap<usize, Weak<TimerFd>>> = Mutex::new(BTreeMap::new());

fn addr_of(ops: &Arc<dyn FileOps>) -> usize {
    Arc::as_ptr(ops) as *const () as usize
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        TIMERS.lock().remove(&(self as *const TimerFd as usize));
    }
}

impl FileOps for TimerFd {
    /// The expirations since the last read, which resets the count;
    /// EAGAIN (wait) while there are none.
    fn read(&self, buf: &mut [u8]) -> VfsResult<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let (mut s, _) = self.current();
        if s.ticks == 0 {
            return Err(Errno::EAGAIN);
        }
        let n = core::mem::take(&mut s.ticks);
        drop(s);
        buf[..8].copy_from_slice(&n.to_ne_bytes());
        Ok(8)
    }

    fn write(&self, _: &[u8]) -> VfsResult<usize> {
        Err(Errno::EINVAL)
    }

    fn poll(&self) -> PollEvents {
        if self.current().0.ticks > 0 {
            PollEvents::READABLE
        } else {
            PollEvents::empty()
        }
    }

    fn event_seq(&self) -> u64 {
        self.current().0.fired
    }

    fn mode(&self) -> u32 {
        ANON_INODE_MODE
    }

    fn ino(&self) -> u64 {
        ANON_INODE_INO
    }

    fn describe(&self) -> Vec<u8> {
        Vec::from(&b"anon_inode:[timerfd]"[..])
    }
}

pub fn sys_timerfd_create(cx: &mut Cx, clockid: u64, flags: u64) -> SysResult {
    // Both arguments are C ints.
    let flags = flags as u32;
    if flags & !(TFD_NONBLOCK | TFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    // The alarm clocks (allowed to a caller with CAP_WAKE_ALARM, and every
    // caller is root) only differ in waking a suspended system.
    let clock = match clockid as u32 {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => Clock::Realtime,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => Clock::Monotonic,
        _ => return Err(Errno::EINVAL),
    };
    if CLOCK.get().is_none() {
        log::warn!("timerfd_create: the kernel registered no clock (timerfd::set_clock): ENOSYS");
        return Err(Errno::ENOSYS);
    }
    let timer = Arc::new(TimerFd {
        clock,
        state: Mutex::new(State::default()),
    });
    TIMERS
        .lock()
        .insert(Arc::as_ptr(&timer) as usize, Arc::downgrade(&timer));
    super::fd::install_special(cx, timer, flags as u32)
}

/// The timer behind `fd`: EBADF if none is open, EINVAL if it is no timer.
fn timer_of(cx: &Cx, fd: u64) -> Result<Arc<TimerFd>, Errno> {
    let f = cx.p.fds.get(fd as i32)?;
    let FileKind::Special(ops) = &f.kind else {
        return Err(Errno::EINVAL);
    };
    TIMERS
        .lock()
        .get(&addr_of(ops))
        .and_then(Weak::upgrade)
        .ok_or(Errno::EINVAL)
}

/// `struct itimerspec` as (interval, value) in nanoseconds: EFAULT for a
/// bad pointer, EINVAL for a negative or unnormalized timespec.
fn read_itimerspec(cx: &mut Cx, addr: u64) -> Result<[(u64, u64); 2], Errno> {
    let mut b = [0u8; 32];
    read_bytes(cx.k, &cx.p.mm, addr, &mut b)?;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    Ok([(word(0), word(1)), (word(2), word(3))])
}

fn to_ns((sec, nsec): (u64, u64)) -> Result<u64, Errno> {
    if (sec as i64) < 0 || nsec >= NSEC_PER_SEC {
        return Err(Errno::EINVAL);
    }
    Ok(sec.saturating_mul(NSEC_PER_SEC).saturating_add(nsec))
}

fn write_itimerspec(cx: &mut Cx, addr: u64, interval: u64, value: u64) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    for (i, v) in [
        interval / NSEC_PER_SEC,
        interval % NSEC_PER_SEC,
        value / NSEC_PER_SEC,
        value % NSEC_PER_SEC,
    ]
    .into_iter()
    .enumerate()
    {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    write_bytes(cx.k, &cx.p.mm, addr, &b)
}

pub fn sys_timerfd_settime(cx: &mut Cx, fd: u64, flags: u64, new: u64, old: u64) -> SysResult {
    // Linux's order: the new setting is read, then checked, then the fd.
    let [interval, value] = read_itimerspec(cx, new)?;
    let flags = flags as u32;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let (interval, value) = (to_ns(interval)?, to_ns(value)?);
    let t = timer_of(cx, fd)?;
    let (mut s, now) = t.current();
    let prev = (s.interval, s.remaining(now));
    let expiry = match value {
        0 => None,
        v if flags & TFD_TIMER_ABSTIME != 0 => Some(v),
        v => Some(now.saturating_add(v)),
    };
    *s = State {
        expiry,
        interval,
        ticks: 0,
        fired: s.fired,
    };
    drop(s);
    if old != 0 {
        // The timer is set even if the old setting cannot be stored, as on Linux.
        write_itimerspec(cx, old, prev.0, prev.1)?;
    }
    Ok(0)
}

pub fn sys_timerfd_gettime(cx: &mut Cx, fd: u64, cur: u64) -> SysResult {
    let t = timer_of(cx, fd)?;
    let (s, now) = t.current();
    let (interval, remaining) = (s.interval, s.remaining(now));
    drop(s);
    write_itimerspec(cx, cur, interval, remaining)?;
    Ok(0)
}
