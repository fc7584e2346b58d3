//! poll and ppoll over any fds.

use crate::abi::{Pollfd, Timespec};
use crate::user::{read_val, write_val, Pod};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_vfs::{FileKind, FileRef, PollEvents};

/// Everything `f` is ready for now (Linux's `vfs_poll`); NVAL for a
/// file without a poll operation (O_PATH).
pub(crate) fn file_poll(f: &FileRef) -> PollEvents {
    match &f.kind {
        FileKind::Special(ops) => ops.poll(),
        FileKind::Node {
            handle: Some(h), ..
        } => {
            let (r, w) = h.poll();
            let mut ev = PollEvents::empty();
            if r {
                ev |= PollEvents::READABLE;
            }
            if w {
                ev |= PollEvents::WRITABLE;
            }
            ev
        }
        FileKind::Node { handle: None, .. } => PollEvents::NVAL,
    }
}

/// poll's revents for `f`: the events asked for, plus ERR, HUP and NVAL,
/// which are always reported.
pub(crate) fn file_events(f: &FileRef, events: i16) -> i16 {
    let always = PollEvents::ERR | PollEvents::HUP | PollEvents::NVAL;
    (file_poll(f) & (PollEvents::from_bits_truncate(events as u16) | always)).bits() as i16
}

fn scan(cx: &Cx, fds: &mut [Pollfd]) -> u64 {
    let mut ready = 0;
    for p in fds.iter_mut() {
        p.revents = 0;
        if p.fd < 0 {
            continue;
        }
        p.revents = match cx.p.fds.get(p.fd) {
            Ok(f) => file_events(&f, p.events),
            Err(_) => PollEvents::NVAL.bits() as i16,
        };
        if p.revents != 0 {
            ready += 1;
        }
    }
    ready
}

fn do_poll(cx: &mut Cx, ufds: u64, nfds: u64, timeout_ns: Option<u64>) -> SysResult {
    if nfds > cx.p.fd_limit() as u64 {
        return Err(Errno::EINVAL);
    }
    let mut fds = Vec::with_capacity(nfds as usize);
    for i in 0..nfds {
        fds.push(read_val::<Pollfd>(
            cx.k,
            &cx.p.mm,
            ufds + i * Pollfd::SIZE as u64,
        )?);
    }
    let mut ready = scan(cx, &mut fds);
    if ready == 0 && timeout_ns != Some(0) {
        let deadline = timeout_ns.map(|t| cx.k.monotonic_ns().saturating_add(t));
        let table = cx.p.fds.clone();
        let want = &fds;
        let mut check = || {
            want.iter().any(|pf| {
                pf.fd >= 0
                    && table
                        .get(pf.fd)
                        .map_or(true, |f| file_events(&f, pf.events) != 0)
            })
        };
        let r = cx.wait(&mut check, deadline);
        ready = scan(cx, &mut fds);
        if ready == 0 {
            // Linux: poll is restarted after a handler only if it had no timeout.
            r.map_err(|_| {
                if deadline.is_none() {
                    Errno::ERESTARTNOHAND
                } else {
                    Errno::EINTR
                }
            })?;
        }
    }
    for (i, p) in fds.iter().enumerate() {
        write_val(cx.k, &cx.p.mm, ufds + i as u64 * Pollfd::SIZE as u64, p)?;
    }
    Ok(ready)
}

pub fn sys_poll(cx: &mut Cx, ufds: u64, nfds: u64, timeout_ms: u64) -> SysResult {
    let t = timeout_ms as i32;
    do_poll(cx, ufds, nfds, (t >= 0).then(|| t as u64 * 1_000_000))
}

pub fn sys_ppoll(
    cx: &mut Cx,
    ufds: u64,
    nfds: u64,
    tsp: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> SysResult {
    let timeout = if tsp == 0 {
        None
    } else {
        let ts: Timespec = read_val(cx.k, &cx.p.mm, tsp)?;
        if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
            return Err(Errno::EINVAL);
        }
        Some(ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec))
    };
    crate::signal::set_temp_mask(cx, sigmask, sigsetsize)?;
    let r = do_poll(cx, ufds, nfds, timeout);
    crate::signal::end_temp_mask(cx, &r);
    r.map_err(|e| {
        if e == Errno::ERESTARTNOHAND {
            Errno::EINTR
        } else {
            e
        }
    })
}
