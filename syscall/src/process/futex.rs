//! futex: threads sleep on a word of their memory and are woken by
//! address. Waiters are queued per (address space, address) with their
//! bitset; a wake marks them woken and tells the scheduler.

use crate::abi::Timespec;
use crate::user::read_val;
use crate::{Cx, Errno, SysResult};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

pub struct Waiter {
    woken: AtomicBool,
    bitset: u32,
}

/// (address-space id, address) → waiters in arrival order.
#[derive(Default)]
pub struct FutexTable {
    queues: BTreeMap<(usize, u64), Vec<Arc<Waiter>>>,
}

impl FutexTable {
    fn wake(&mut self, key: (usize, u64), n: u32, bitset: u32) -> u32 {
        let Some(q) = self.queues.get_mut(&key) else {
            return 0;
        };
        let mut woken = 0;
        q.retain(|w| {
            if woken < n && w.bitset & bitset != 0 {
                w.woken.store(true, Ordering::Relaxed);
                woken += 1;
                false
            } else {
                true
            }
        });
        if q.is_empty() {
            self.queues.remove(&key);
        }
        woken
    }

    /// Moves up to `n` waiters from `from` to `to`.
    fn requeue(&mut self, from: (usize, u64), to: (usize, u64), n: u32) -> u32 {
        let Some(q) = self.queues.get_mut(&from) else {
            return 0;
        };
        let k = (n as usize).min(q.len());
        let moved: Vec<_> = q.drain(..k).collect();
        if q.is_empty() {
            self.queues.remove(&from);
        }
        let c = moved.len() as u32;
        if c > 0 {
            self.queues.entry(to).or_default().extend(moved);
        }
        c
    }

    fn remove(&mut self, w: &Arc<Waiter>) {
        self.queues.retain(|_, q| {
            q.retain(|x| !Arc::ptr_eq(x, w));
            !q.is_empty()
        });
    }
}

/// Wakes up to `n` waiters on `addr` (thread exit's CLONE_CHILD_CLEARTID).
pub fn wake(sys: &super::System, mm: usize, addr: u64, n: u32, bitset: u32) -> u32 {
    let c = sys.futexes.lock().wake((mm, addr), n, bitset);
    if c > 0 {
        lintel_vfs::wake_waiters();
    }
    c
}

/// FUTEX_WAKE_OP's update of `*uaddr2`; returns its old value.
fn wake_op_update(cx: &mut Cx, uaddr2: u64, encoded: u32) -> Result<u32, Errno> {
    let mut op = (encoded >> 28) & 0xf;
    let mut arg = ((encoded << 8) as i32 >> 20) as u32; // 12-bit signed
    if op & 8 != 0 {
        op &= 7;
        arg = 1u32.checked_shl(arg).unwrap_or(0); // FUTEX_OP_OPARG_SHIFT
    }
    let old: u32 = read_val(cx.k, &cx.p.mm, uaddr2)?;
    let new = match op {
        0 => arg,
        1 => old.wrapping_add(arg),
        2 => old | arg,
        3 => old & !arg,
        4 => old ^ arg,
        _ => return Err(Errno::ENOSYS),
    };
    crate::user::write_val(cx.k, &cx.p.mm, uaddr2, &new)?;
    Ok(old)
}

fn wake_op_cmp(old: u32, encoded: u32) -> bool {
    let cmp = (encoded >> 24) & 0xf;
    let arg = ((encoded << 20) as i32 >> 20) as u32 as i32;
    let old = old as i32;
    match cmp {
        0 => old == arg,
        1 => old != arg,
        2 => old < arg,
        3 => old <= arg,
        4 => old > arg,
        5 => old >= arg,
        _ => false,
    }
}

fn deadline(cx: &mut Cx, cmd: u64, op: u64, timeout: u64) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let ts: Timespec = read_val(cx.k, &cx.p.mm, timeout)?;
    if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
        return Err(Errno::EINVAL);
    }
    let ns = ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec);
    // FUTEX_WAIT's timeout is relative; the BITSET form's is absolute.
    Ok(Some(if cmd == FUTEX_WAIT {
        cx.k.monotonic_ns().saturating_add(ns)
    } else if op & FUTEX_CLOCK_REALTIME != 0 {
        cx.k.monotonic_ns()
            .saturating_add(ns.saturating_sub(cx.k.realtime_ns()))
    } else {
        ns
    }))
}

pub fn sys_futex(
    cx: &mut Cx,
    uaddr: u64,
    op: u64,
    val: u64,
    timeout: u64,
    uaddr2: u64,
    val3: u64,
) -> SysResult {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let cmd = op & !(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
    if op & FUTEX_CLOCK_REALTIME != 0 && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(Errno::ENOSYS);
    }
    let mm = cx.p.mm.id();
    let sys = cx.p.sys.clone();
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT {
                u32::MAX
            } else {
                val3 as u32
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = deadline(cx, cmd, op, timeout)?;
            let cur: u32 = read_val(cx.k, &cx.p.mm, uaddr)?;
            if cur != val as u32 {
                return Err(Errno::EAGAIN);
            }
            let w = Arc::new(Waiter {
                woken: AtomicBool::new(false),
                bitset,
            });
            sys.futexes
                .lock()
                .queues
                .entry((mm, uaddr))
                .or_default()
                .push(w.clone());
            let r = cx.wait(&mut || w.woken.load(Ordering::Relaxed), deadline);
            if w.woken.load(Ordering::Relaxed) {
                return Ok(0);
            }
            sys.futexes.lock().remove(&w);
            match r {
                Ok(_) => Err(Errno::ETIMEDOUT),
                Err(e) => Err(e),
            }
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE {
                u32::MAX
            } else {
                val3 as u32
            };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(wake(&sys, mm, uaddr, val as u32, bitset) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if cmd == FUTEX_CMP_REQUEUE {
                let cur: u32 = read_val(cx.k, &cx.p.mm, uaddr)?;
                if cur != val3 as u32 {
                    return Err(Errno::EAGAIN);
                }
            }
            // The fourth argument is a count here, not a timeout.
            let mut t = sys.futexes.lock();
            let woken = t.wake((mm, uaddr), val as u32, u32::MAX);
            let moved = t.requeue((mm, uaddr), (mm, uaddr2), timeout as u32);
            drop(t);
            if woken > 0 {
                lintel_vfs::wake_waiters();
            }
            Ok((woken + if cmd == FUTEX_CMP_REQUEUE { moved } else { 0 }) as u64)
        }
        FUTEX_WAKE_OP => {
            let old = wake_op_update(cx, uaddr2, val3 as u32)?;
            let mut n = wake(&sys, mm, uaddr, val as u32, u32::MAX);
            if wake_op_cmp(old, val3 as u32) {
                n += wake(&sys, mm, uaddr2, timeout as u32, u32::MAX);
            }
            Ok(n as u64)
        }
        _ => Err(Errno::ENOSYS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_counts_respect_n_and_bitsets() {
        let mut t = FutexTable::default();
        let ws: Vec<_> = (0..3)
            .map(|i| {
                Arc::new(Waiter {
                    woken: AtomicBool::new(false),
                    bitset: 1 << i,
                })
            })
            .collect();
        for w in &ws {
            t.queues.entry((1, 0x1000)).or_default().push(w.clone());
        }
        assert_eq!(t.wake((1, 0x1000), 10, 0b010), 1);
        assert!(ws[1].woken.load(Ordering::Relaxed));
        assert_eq!(
            t.wake((2, 0x1000), 10, u32::MAX),
            0,
            "another address space"
        );
        assert_eq!(t.requeue((1, 0x1000), (1, 0x2000), 1), 1);
        assert_eq!(t.wake((1, 0x2000), 5, u32::MAX), 1);
        assert!(ws[0].woken.load(Ordering::Relaxed));
        t.remove(&ws[2]);
        assert!(t.queues.is_empty());
    }

    #[test]
    fn wake_op_comparisons() {
        // FUTEX_OP(SET, 0, CMP_GT, 1) with old 2: 2 > 1.
        let enc = (4 << 24) | 1; // op SET (0), cmp GT (4), cmparg 1
        assert!(wake_op_cmp(2, enc));
        assert!(!wake_op_cmp(1, enc));
        // cmparg -1 (12-bit signed): old 0 > -1.
        assert!(wake_op_cmp(0, (4 << 24) | 0xfff));
    }
}
