//! The sched_* calls. Lintel has one CPU and one policy (round robin with
//! a preemption tick, which programs see as SCHED_OTHER): the calls report
//! that truthfully and accept the settings that mean the same; real-time
//! policies are refused with EPERM, as for an unprivileged Linux process.

use crate::abi::Timespec;
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};

const SCHED_OTHER: u64 = 0;
const SCHED_FIFO: u64 = 1;
const SCHED_RR: u64 = 2;
const SCHED_BATCH: u64 = 3;
const SCHED_IDLE: u64 = 5;
const SCHED_RESET_ON_FORK: u64 = 0x4000_0000;
/// The preemption tick: how long a thread runs before another may.
const TIMESLICE_NS: u64 = 4_000_000;

/// The thread `pid` names (0: the caller): EINVAL when negative, ESRCH
/// when there is none.
fn check_target(cx: &Cx, pid: u64) -> Result<(), Errno> {
    let pid = pid as i32;
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && pid != cx.p.tid && !cx.p.sys.table.lock().threads.contains_key(&pid) {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

/// Whether `policy` with `priority` is what every thread already has.
fn check_policy(policy: u64, priority: i32) -> Result<(), Errno> {
    match policy & !SCHED_RESET_ON_FORK {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE if priority == 0 => Ok(()),
        SCHED_FIFO | SCHED_RR if (1..=99).contains(&priority) => Err(Errno::EPERM),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_yield(cx: &mut Cx) -> SysResult {
    cx.k.yield_now();
    Ok(0)
}

pub fn sys_sched_getscheduler(cx: &mut Cx, pid: u64) -> SysResult {
    check_target(cx, pid)?;
    Ok(SCHED_OTHER)
}

pub fn sys_sched_getparam(cx: &mut Cx, pid: u64, param: u64) -> SysResult {
    if param == 0 {
        return Err(Errno::EINVAL);
    }
    check_target(cx, pid)?;
    write_val(cx.k, &cx.p.mm, param, &0i32)?;
    Ok(0)
}

pub fn sys_sched_setscheduler(cx: &mut Cx, pid: u64, policy: u64, param: u64) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let priority: i32 = read_val(cx.k, &cx.p.mm, param)?;
    check_target(cx, pid)?;
    check_policy(policy, priority)?;
    Ok(0)
}

pub fn sys_sched_setparam(cx: &mut Cx, pid: u64, param: u64) -> SysResult {
    if param == 0 || (pid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let priority: i32 = read_val(cx.k, &cx.p.mm, param)?;
    check_target(cx, pid)?;
    check_policy(SCHED_OTHER, priority)?;
    Ok(0)
}

pub fn sys_sched_get_priority_max(_cx: &mut Cx, policy: u64) -> SysResult {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok(99),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_get_priority_min(_cx: &mut Cx, policy: u64) -> SysResult {
    match policy {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_rr_get_interval(cx: &mut Cx, pid: u64, tp: u64) -> SysResult {
    check_target(cx, pid)?;
    let ts = Timespec {
        sec: 0,
        nsec: TIMESLICE_NS,
    };
    write_val(cx.k, &cx.p.mm, tp, &ts)?;
    Ok(0)
}

/// One CPU: the mask is one long with bit 0 set; smaller buffers are refused.
pub fn sys_sched_getaffinity(cx: &mut Cx, pid: u64, len: u64, mask: u64) -> SysResult {
    check_target(cx, pid)?;
    if len < 8 || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    write_val(cx.k, &cx.p.mm, mask, &1u64)?;
    Ok(8)
}

/// A mask that includes CPU 0 is accepted (it is the only one); one that
/// does not is EINVAL, as Linux for a mask of no online CPU.
pub fn sys_sched_setaffinity(cx: &mut Cx, pid: u64, len: u64, mask: u64) -> SysResult {
    check_target(cx, pid)?;
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let mut first = [0u8; 1];
    crate::user::read_bytes(cx.k, &cx.p.mm, mask, &mut first)?;
    if first[0] & 1 == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    #[test]
    fn one_policy_reported_and_real_time_refused() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("sched_getscheduler", [0, 0, 0, 0, 0, 0]), 0);
        assert_eq!(
            t.call("sched_getscheduler", [u64::MAX, 0, 0, 0, 0, 0]) as i64,
            -22
        );
        assert_eq!(
            t.call("sched_getscheduler", [4000, 0, 0, 0, 0, 0]) as i64,
            -3
        );
        t.poke(buf, &7i32.to_le_bytes());
        assert_eq!(t.call("sched_getparam", [0, buf, 0, 0, 0, 0]), 0);
        assert_eq!(t.peek(buf, 4), 0i32.to_le_bytes());
        assert_eq!(t.call("sched_getparam", [0, 0, 0, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("sched_setscheduler", [0, 0, buf, 0, 0, 0]), 0);
        t.poke(buf, &10i32.to_le_bytes());
        assert_eq!(
            t.call("sched_setscheduler", [0, 1, buf, 0, 0, 0]) as i64,
            -1,
            "SCHED_FIFO: EPERM"
        );
        assert_eq!(
            t.call("sched_setscheduler", [0, 0, buf, 0, 0, 0]) as i64,
            -22,
            "SCHED_OTHER needs 0"
        );
        assert_eq!(
            t.call("sched_setscheduler", [0, 9, buf, 0, 0, 0]) as i64,
            -22
        );
        assert_eq!(t.call("sched_get_priority_max", [1, 0, 0, 0, 0, 0]), 99);
        assert_eq!(t.call("sched_get_priority_min", [0, 0, 0, 0, 0, 0]), 0);
        assert_eq!(
            t.call("sched_get_priority_max", [7, 0, 0, 0, 0, 0]) as i64,
            -22
        );
    }

    #[test]
    fn affinity_is_cpu_zero() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("sched_getaffinity", [0, 128, buf, 0, 0, 0]), 8);
        assert_eq!(t.peek(buf, 8), 1u64.to_le_bytes());
        assert_eq!(
            t.call("sched_getaffinity", [0, 4, buf, 0, 0, 0]) as i64,
            -22
        );
        assert_eq!(t.call("sched_setaffinity", [0, 8, buf, 0, 0, 0]), 0);
        t.poke(buf, &2u64.to_le_bytes());
        assert_eq!(
            t.call("sched_setaffinity", [0, 8, buf, 0, 0, 0]) as i64,
            -22
        );
    }
}
