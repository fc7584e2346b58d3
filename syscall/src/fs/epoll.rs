//! epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
//! epoll_pwait2 over the instances of `epoll_instance`.

use super::epoll_instance::{
    Eventpoll, Ready, EPOLLERR, EPOLLEXCLUSIVE, EPOLLEXCLUSIVE_OK_BITS, EPOLLHUP,
};
use crate::abi::Timespec;
use crate::mm::USER_END;
use crate::user::{read_bytes, read_val, write_bytes};
use crate::{Cx, Errno, SysResult};
use lintel_vfs::{File, FileKind, FileRef};

const EPOLL_CLOEXEC: u32 = 0o2000000;
const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CTL_MOD: i32 = 3;

/// `struct epoll_event` is packed on x86_64: a u32 then a u64.
const EVENT_SIZE: u64 = 12;
/// The most events one call may ask for (Linux's EP_MAX_EVENTS).
const EP_MAX_EVENTS: i32 = i32::MAX / EVENT_SIZE as i32;
const NSEC_PER_SEC: u64 = 1_000_000_000;

pub fn sys_epoll_create1(cx: &mut Cx, flags: u64) -> SysResult {
    // An int: the upper half of the register does not count.
    let flags = flags as u32;
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    super::fd::install_special(cx, Eventpoll::new(), flags)
}

/// `size` is only a hint, but it must be positive.
pub fn sys_epoll_create(cx: &mut Cx, size: u64) -> SysResult {
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    sys_epoll_create1(cx, 0)
}

/// Linux's fdget: an O_PATH fd is no fd for these calls.
fn fdget(cx: &Cx, fd: i32) -> Result<FileRef, Errno> {
    let f = cx.p.fds.get(fd)?;
    if matches!(f.kind, FileKind::Node { handle: None, .. }) {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

/// Linux's file_can_poll: special files and streams (terminals) can be
/// watched; regular files, directories and devices such as /dev/null
/// cannot (EPERM).
fn can_poll(f: &File) -> Result<(), Errno> {
    match &f.kind {
        FileKind::Special(_) => Ok(()),
        FileKind::Node {
            handle: Some(h), ..
        } if h.is_stream() || h.is_tty() => Ok(()),
        FileKind::Node { .. } => Err(Errno::EPERM),
    }
}

/// A `struct epoll_event` from user memory: (events, data).
fn read_event(cx: &mut Cx, addr: u64) -> Result<(u32, u64), Errno> {
    let mut b = [0u8; EVENT_SIZE as usize];
    read_bytes(cx.k, &cx.p.mm, addr, &mut b)?;
    let (ev, data) = b.split_at(4);
    let mut e = [0u8; 4];
    e.copy_from_slice(ev);
    let mut d = [0u8; 8];
    d.copy_from_slice(data);
    Ok((u32::from_le_bytes(e), u64::from_le_bytes(d)))
}

pub fn sys_epoll_ctl(cx: &mut Cx, epfd: u64, op: u64, fd: u64, event: u64) -> SysResult {
    // All three are ints.
    let (epfd, op, fd) = (epfd as i32, op as i32, fd as i32);
    // Linux's order: the event is read first (every op but DEL has one),
    // then the fds, then what they are.
    let event = match op {
        EPOLL_CTL_DEL => None,
        _ => Some(read_event(cx, event)?),
    };
    let f = fdget(cx, epfd)?;
    let tf = fdget(cx, fd)?;
    can_poll(&tf)?;
    if alloc::sync::Arc::ptr_eq(&f, &tf) {
        return Err(Errno::EINVAL);
    }
    let ep = Eventpoll::of(&f).ok_or(Errno::EINVAL)?;
    if let Some((events, _)) = event.filter(|(e, _)| e & EPOLLEXCLUSIVE != 0) {
        // An exclusive wake-up is set up when added, never changed, and
        // only for plain files asking for plain readiness.
        let nested = Eventpoll::of(&tf).is_some();
        if op == EPOLL_CTL_MOD
            || op == EPOLL_CTL_ADD && (nested || events & !EPOLLEXCLUSIVE_OK_BITS != 0)
        {
            return Err(Errno::EINVAL);
        }
    }
    // Errors and hang-ups are always reported.
    match (op, event) {
        (EPOLL_CTL_ADD, Some((events, data))) => {
            ep.insert(fd, &tf, events | EPOLLERR | EPOLLHUP, data)?
        }
        (EPOLL_CTL_MOD, Some((events, data))) => {
            ep.modify(fd, &tf, events | EPOLLERR | EPOLLHUP, data)?
        }
        (EPOLL_CTL_DEL, _) => ep.remove(fd, &tf)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// Delivers up to `max` ready entries to the array at `events`. A fault
/// part-way keeps what was delivered (the rest stays ready), as Linux's
/// ep_send_events; EFAULT if none was.
fn send_events(cx: &mut Cx, ep: &Eventpoll, events: u64, max: usize) -> Result<u64, Errno> {
    let picked = ep.pick(max);
    let mut sent = 0;
    for (i, r) in picked.iter().enumerate() {
        let mut b = [0u8; EVENT_SIZE as usize];
        b[..4].copy_from_slice(&r.events.to_le_bytes());
        b[4..].copy_from_slice(&r.data.to_le_bytes());
        let at = events + i as u64 * EVENT_SIZE;
        if let Err(e) = write_bytes(cx.k, &cx.p.mm, at, &b) {
            if i == 0 {
                return Err(e);
            }
            break;
        }
        sent = i + 1;
    }
    let done: &[Ready] = picked.get(..sent).unwrap_or(&[]);
    ep.commit(done);
    Ok(sent as u64)
}

/// The shared body: waits until `timeout_ns` from now (None: without
/// limit) for something to report. A signal ends the wait with EINTR,
/// never restarted, as on Linux.
fn do_epoll_wait(
    cx: &mut Cx,
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout_ns: Option<u64>,
) -> SysResult {
    // Linux's order as of 6.18 (older kernels checked the count and the
    // array before the fd): the fd, the count, the array, the kind.
    let f = fdget(cx, epfd as i32)?;
    let max = maxevents as i32;
    if max <= 0 || max > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    // Like access_ok: the array must lie below the end of user space; a
    // hole in it is found when events are written.
    let len = max as u64 * EVENT_SIZE;
    if events.checked_add(len).is_none_or(|end| end > USER_END) {
        return Err(Errno::EFAULT);
    }
    let ep = Eventpoll::of(&f).ok_or(Errno::EINVAL)?;
    let deadline = timeout_ns.map(|t| cx.k.monotonic_ns().saturating_add(t));
    let mut timed_out = timeout_ns == Some(0);
    loop {
        let n = send_events(cx, &ep, events, max as usize)?;
        if n > 0 || timed_out {
            return Ok(n);
        }
        match cx.wait(&mut || ep.any_ready(), deadline) {
            Ok(ready) => timed_out = !ready,
            Err(_) => {
                // Events first, as Linux's ep_poll looks before it checks
                // for signals.
                let n = send_events(cx, &ep, events, max as usize)?;
                return if n > 0 { Ok(n) } else { Err(Errno::EINTR) };
            }
        }
    }
}

pub fn sys_epoll_wait(
    cx: &mut Cx,
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout_ms: u64,
) -> SysResult {
    // An int of milliseconds; negative waits without limit.
    let t = timeout_ms as i32;
    let timeout = (t >= 0).then(|| t as u64 * 1_000_000);
    do_epoll_wait(cx, epfd, events, maxevents, timeout)
}

/// Runs the wait with `sigmask` (if any) in place of the thread's mask.
fn with_sigmask(
    cx: &mut Cx,
    args: (u64, u64, u64),
    timeout: Option<u64>,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    crate::signal::set_temp_mask(cx, sigmask, sigsetsize)?;
    let (epfd, events, maxevents) = args;
    let r = do_epoll_wait(cx, epfd, events, maxevents, timeout);
    crate::signal::end_temp_mask(cx, &r);
    r
}

pub fn sys_epoll_pwait(
    cx: &mut Cx,
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout_ms: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let t = timeout_ms as i32;
    let timeout = (t >= 0).then(|| t as u64 * 1_000_000);
    with_sigmask(cx, (epfd, events, maxevents), timeout, sigmask, sigsetsize)
}

/// epoll_pwait with a `struct timespec` timeout (null: without limit).
pub fn sys_epoll_pwait2(
    cx: &mut Cx,
    epfd: u64,
    events: u64,
    maxevents: u64,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let timeout = if timeout == 0 {
        None
    } else {
        let ts: Timespec = read_val(cx.k, &cx.p.mm, timeout)?;
        if (ts.sec as i64) < 0 || ts.nsec >= NSEC_PER_SEC {
            return Err(Errno::EINVAL);
        }
        Some(ts.sec.saturating_mul(NSEC_PER_SEC).saturating_add(ts.nsec))
    };
    with_sigmask(cx, (epfd, events, maxevents), timeout, sigmask, sigsetsize)
}
