//! futex, for a process with one thread: nothing can be waiting, so WAKE
//! wakes nobody; WAIT returns EAGAIN when the word changed and otherwise
//! sleeps until its timeout (with no timeout, as on Linux, forever).

use crate::abi::Timespec;
use crate::user::read_val;
use crate::{Cx, Errno, SysResult};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

/// FUTEX_WAKE_OP's update of `*uaddr2`, which happens even with no waiters.
fn wake_op(cx: &mut Cx, uaddr2: u64, encoded: u32) -> Result<(), Errno> {
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
    crate::user::write_val(cx.k, &cx.p.mm, uaddr2, &new)
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
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            if cmd == FUTEX_WAIT_BITSET && val3 as u32 == 0 {
                return Err(Errno::EINVAL);
            }
            let cur: u32 = read_val(cx.k, &cx.p.mm, uaddr)?;
            if cur != val as u32 {
                return Err(Errno::EAGAIN);
            }
            let deadline = if timeout == 0 {
                None
            } else {
                let ts: Timespec = read_val(cx.k, &cx.p.mm, timeout)?;
                if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
                    return Err(Errno::EINVAL);
                }
                let ns = ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec);
                // FUTEX_WAIT's timeout is relative; the BITSET form's is absolute.
                Some(if cmd == FUTEX_WAIT {
                    cx.k.monotonic_ns().saturating_add(ns)
                } else if op & FUTEX_CLOCK_REALTIME != 0 {
                    cx.k.monotonic_ns()
                        .saturating_add(ns.saturating_sub(cx.k.realtime_ns()))
                } else {
                    ns
                })
            };
            cx.k.wait_until(&mut || false, deadline);
            Err(Errno::ETIMEDOUT)
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET | FUTEX_WAKE_OP | FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if cmd == FUTEX_WAKE_OP {
                wake_op(cx, uaddr2, val3 as u32)?;
            }
            if cmd == FUTEX_CMP_REQUEUE {
                let cur: u32 = read_val(cx.k, &cx.p.mm, uaddr)?;
                if cur != val3 as u32 {
                    return Err(Errno::EAGAIN);
                }
            }
            Ok(0)
        }
        _ => Err(Errno::ENOSYS),
    }
}
