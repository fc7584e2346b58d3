//! poll and ppoll over any fds.

use crate::abi::{Pollfd, Timespec};
use crate::user::{read_val, write_val, Pod};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_vfs::{FileKind, FileRef};

const POLLIN: i16 = 0x1;
const POLLOUT: i16 = 0x4;
const POLLERR: i16 = 0x8;
const POLLHUP: i16 = 0x10;
const POLLNVAL: i16 = 0x20;
const POLLRDNORM: i16 = 0x40;
const POLLWRNORM: i16 = 0x100;

/// The events `f` has now among `events` (plus ERR/HUP, always reported).
pub(crate) fn file_events(f: &FileRef, events: i16) -> i16 {
    let (r, w, hup) = match &f.kind {
        FileKind::Special(ops) => ops.poll(),
        FileKind::Node {
            handle: Some(h), ..
        } => {
            let (r, w) = h.poll();
            (r, w, false)
        }
        FileKind::Node { handle: None, .. } => return POLLNVAL,
    };
    let mut rev = 0;
    if r {
        rev |= events & (POLLIN | POLLRDNORM);
    }
    if w {
        rev |= events & (POLLOUT | POLLWRNORM);
    }
    if hup {
        // A broken pipe's write end reports POLLERR, a widowed read end POLLHUP.
        rev |= if f.flags().writable() {
            POLLERR
        } else {
            POLLHUP
        };
    }
    rev
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
            Err(_) => POLLNVAL,
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
        let table = &cx.p.fds;
        let want = &fds;
        let mut check = || {
            want.iter().any(|pf| {
                pf.fd >= 0
                    && table
                        .get(pf.fd)
                        .map_or(true, |f| file_events(&f, pf.events) != 0)
            })
        };
        cx.k.wait_until(&mut check, deadline);
        ready = scan(cx, &mut fds);
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

pub fn sys_ppoll(cx: &mut Cx, ufds: u64, nfds: u64, tsp: u64, _sigmask: u64) -> SysResult {
    let timeout = if tsp == 0 {
        None
    } else {
        let ts: Timespec = read_val(cx.k, &cx.p.mm, tsp)?;
        if (ts.sec as i64) < 0 || ts.nsec >= 1_000_000_000 {
            return Err(Errno::EINVAL);
        }
        Some(ts.sec.saturating_mul(1_000_000_000).saturating_add(ts.nsec))
    };
    do_poll(cx, ufds, nfds, timeout)
}
