//! select and pselect6: fd_set bitmaps over the readiness poll uses.

use super::poll::file_poll;
use crate::abi::{Timespec, Timeval};
use crate::user::{read_bytes, read_val, write_bytes, write_val};
use crate::{Cx, Errno, SysResult};
use alloc::vec;
use alloc::vec::Vec;
use lintel_vfs::{FdTable, PollEvents};

/// What makes an fd ready for each of the three sets (Linux's POLLIN_SET,
/// POLLOUT_SET, POLLEX_SET).
const SETS: [PollEvents; 3] = [
    PollEvents::READABLE
        .union(PollEvents::RDBAND)
        .union(PollEvents::HUP)
        .union(PollEvents::ERR),
    PollEvents::WRITABLE
        .union(PollEvents::WRBAND)
        .union(PollEvents::ERR),
    PollEvents::PRI,
];

const NSEC_PER_SEC: u64 = 1_000_000_000;

/// The sets (bit 0 read, 1 write, 2 except) among `want` that `fd` is ready for.
fn ready(table: &FdTable, fd: i32, want: u8) -> u8 {
    // An fd closed while waiting is just not ready, as on Linux.
    let Ok(f) = table.get(fd) else { return 0 };
    let mut ev = file_poll(&f);
    if ev.contains(PollEvents::NVAL) {
        // A file without a poll operation (O_PATH) is always ready:
        // Linux's DEFAULT_POLLMASK.
        ev = PollEvents::READABLE | PollEvents::WRITABLE;
    }
    let mut r = 0;
    for (i, set) in SETS.iter().enumerate() {
        if ev.intersects(*set) {
            r |= 1 << i;
        }
    }
    r & want
}

/// The fd_set at `addr` as `words` u64s (None for a null pointer).
fn read_set(cx: &mut Cx, addr: u64, words: usize) -> Result<Option<Vec<u64>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let mut b = vec![0u8; words * 8];
    read_bytes(cx.k, &cx.p.mm, addr, &mut b)?;
    Ok(Some(
        b.chunks_exact(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w.copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect(),
    ))
}

/// The fds of interest, each with the sets it is in; the result sets all
/// hold `words` u64s.
fn scan(table: &FdTable, interest: &[(i32, u8)], words: usize) -> ([Vec<u64>; 3], u64) {
    let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let mut count = 0;
    for &(fd, want) in interest {
        let r = ready(table, fd, want);
        for (i, set) in out.iter_mut().enumerate() {
            if r & (1 << i) != 0 {
                set[fd as usize / 64] |= 1 << (fd % 64);
                count += 1;
            }
        }
    }
    (out, count)
}

/// The shared body: `sets` are the read, write and except fd_set pointers;
/// it waits until `start + timeout_ns` (None: without limit).
fn do_select(
    cx: &mut Cx,
    nfds: u64,
    sets: [u64; 3],
    start: u64,
    timeout_ns: Option<u64>,
) -> SysResult {
    let n = nfds as i32;
    if n < 0 {
        return Err(Errno::EINVAL);
    }
    // Linux cuts nfds down to the size of the fd table rather than failing:
    // no fd lies at or past the limit.
    let n = (n as usize).min(cx.p.fd_limit());
    let words = n.div_ceil(64);
    let mut input = [None, None, None];
    for (slot, &addr) in input.iter_mut().zip(sets.iter()) {
        *slot = read_set(cx, addr, words)?;
    }
    let mut interest = Vec::new();
    for w in 0..words {
        // Bits at or past n in the last word are not looked at.
        let valid = if (w + 1) * 64 <= n {
            u64::MAX
        } else {
            (1u64 << (n % 64)) - 1
        };
        let word = |i: usize| input[i].as_ref().map_or(0, |s: &Vec<u64>| s[w] & valid);
        let (r, wr, ex) = (word(0), word(1), word(2));
        let mut all = r | wr | ex;
        while all != 0 {
            let bit = all.trailing_zeros();
            all &= all - 1;
            let want = ((r >> bit) & 1) as u8
                | (((wr >> bit) & 1) as u8) << 1
                | (((ex >> bit) & 1) as u8) << 2;
            interest.push(((w * 64) as i32 + bit as i32, want));
        }
    }
    // Every fd named must be open.
    for &(fd, _) in &interest {
        cx.p.fds.get(fd)?;
    }
    let (mut out, mut count) = scan(&cx.p.fds, &interest, words);
    if count == 0 && timeout_ns != Some(0) {
        let deadline = timeout_ns.map(|t| start.saturating_add(t));
        let table = cx.p.fds.clone();
        let want = &interest;
        let mut check = || want.iter().any(|&(fd, w)| ready(&table, fd, w) != 0);
        let r = cx.wait(&mut check, deadline);
        (out, count) = scan(&cx.p.fds, &interest, words);
        if count == 0 {
            // A signal: the call starts again if no handler runs (it goes
            // on with the time left, stored by the caller), else EINTR.
            // The sets are left as they were.
            r.map_err(|_| Errno::ERESTARTNOHAND)?;
        }
    }
    for (set, &addr) in out.iter().zip(sets.iter()) {
        if addr != 0 {
            let bytes: Vec<u8> = set.iter().flat_map(|w| w.to_le_bytes()).collect();
            write_bytes(cx.k, &cx.p.mm, addr, &bytes)?;
        }
    }
    Ok(count)
}

/// Runs `do_select` with a timeout and, as Linux does for a nonzero one,
/// hands back the time left through `store`. If that fails the call still
/// succeeds, but an interrupted one cannot start again: EINTR.
fn with_timeout(
    cx: &mut Cx,
    nfds: u64,
    sets: [u64; 3],
    timeout_ns: Option<u64>,
    store: impl FnOnce(&mut Cx, u64) -> Result<(), Errno>,
) -> SysResult {
    let start = cx.k.monotonic_ns();
    let r = do_select(cx, nfds, sets, start, timeout_ns);
    if let Some(t) = timeout_ns.filter(|&t| t != 0) {
        let end = start.saturating_add(t);
        let left = end.saturating_sub(cx.k.monotonic_ns());
        if store(cx, left).is_err() && r == Err(Errno::ERESTARTNOHAND) {
            return Err(Errno::EINTR);
        }
    }
    r
}

pub fn sys_select(
    cx: &mut Cx,
    nfds: u64,
    readfds: u64,
    writefds: u64,
    exceptfds: u64,
    timeout: u64,
) -> SysResult {
    let timeout_ns = if timeout == 0 {
        None
    } else {
        let tv: Timeval = read_val(cx.k, &cx.p.mm, timeout)?;
        // Linux folds whole seconds of tv_usec into tv_sec (so 1500000 µs is
        // 1.5 s), then requires a nonnegative time.
        let (sec, usec) = (tv.sec as i64, tv.usec as i64);
        let sec = sec.saturating_add(usec / 1_000_000);
        let nsec = (usec % 1_000_000) * 1000;
        if sec < 0 || nsec < 0 {
            return Err(Errno::EINVAL);
        }
        Some(
            (sec as u64)
                .saturating_mul(NSEC_PER_SEC)
                .saturating_add(nsec as u64),
        )
    };
    with_timeout(
        cx,
        nfds,
        [readfds, writefds, exceptfds],
        timeout_ns,
        |cx, left| {
            let tv = Timeval {
                sec: left / NSEC_PER_SEC,
                usec: left % NSEC_PER_SEC / 1000,
            };
            write_val(cx.k, &cx.p.mm, timeout, &tv)
        },
    )
}

pub fn sys_pselect6(
    cx: &mut Cx,
    nfds: u64,
    readfds: u64,
    writefds: u64,
    exceptfds: u64,
    tsp: u64,
    sig: u64,
) -> SysResult {
    let timeout_ns = if tsp == 0 {
        None
    } else {
        let ts: Timespec = read_val(cx.k, &cx.p.mm, tsp)?;
        if (ts.sec as i64) < 0 || ts.nsec >= NSEC_PER_SEC {
            return Err(Errno::EINVAL);
        }
        Some(ts.sec.saturating_mul(NSEC_PER_SEC).saturating_add(ts.nsec))
    };
    if sig != 0 {
        // { const sigset_t *ss; size_t ss_len; }: the signal mask to wait with.
        let ss: u64 = read_val(cx.k, &cx.p.mm, sig)?;
        let len: u64 = read_val(cx.k, &cx.p.mm, sig.wrapping_add(8))?;
        crate::signal::set_temp_mask(cx, ss, len)?;
    }
    let r = with_timeout(
        cx,
        nfds,
        [readfds, writefds, exceptfds],
        timeout_ns,
        |cx, left| {
            let ts = Timespec {
                sec: left / NSEC_PER_SEC,
                nsec: left % NSEC_PER_SEC,
            };
            write_val(cx.k, &cx.p.mm, tsp, &ts)
        },
    );
    crate::signal::end_temp_mask(cx, &r);
    r
}
