//! wait4 and waitid: reap a zombie child (or just look, with WNOWAIT),
//! sleeping until one appears unless WNOHANG.

use super::exit::TICK_NS;
use super::table::ProcTable;
use crate::user::{write_bytes, write_val};
use crate::{Cx, Errno, SysResult};
use core::sync::atomic::Ordering;

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// Which children a wait is for.
#[derive(Clone, Copy)]
enum Which {
    Any,
    Pid(i32),
    Group(i32),
}

/// A zombie child: (pid, wait status, its CPU time).
fn find(t: &ProcTable, me: i32, which: Which) -> Result<Option<(i32, u32, u64)>, Errno> {
    let mut any = false;
    for (pid, e) in t.procs.iter().filter(|(_, e)| e.ppid == me) {
        let ok = match which {
            Which::Any => true,
            Which::Pid(p) => *pid == p,
            Which::Group(g) => e.pgid == g,
        };
        if ok {
            any = true;
            if let Some(ws) = e.zombie {
                return Ok(Some((
                    *pid,
                    ws,
                    e.group.dead_cpu_ns.load(Ordering::Relaxed),
                )));
            }
        }
    }
    if any {
        Ok(None)
    } else {
        Err(Errno::ECHILD)
    }
}

/// Waits for a zombie child; None with WNOHANG when there is none yet.
fn wait_child(cx: &mut Cx, which: Which, options: u64) -> Result<Option<(i32, u32, u64)>, Errno> {
    let me = cx.p.pid;
    let sys = cx.p.sys.clone();
    loop {
        let found = find(&sys.table.lock(), me, which)?;
        if let Some(found) = found {
            if options & WNOWAIT == 0 {
                sys.table.lock().procs.remove(&found.0);
                cx.p.group
                    .children_cpu_ns
                    .fetch_add(found.2, Ordering::Relaxed);
            }
            return Ok(Some(found));
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        let mut ready = || !matches!(find(&sys.table.lock(), me, which), Ok(None));
        cx.wait(&mut ready, None)?;
    }
}

fn rusage(cpu_ns: u64) -> [u8; 144] {
    let mut b = [0u8; 144];
    b[0..8].copy_from_slice(&(cpu_ns / 1_000_000_000).to_le_bytes());
    b[8..16].copy_from_slice(&((cpu_ns % 1_000_000_000) / 1000).to_le_bytes());
    b
}

pub fn sys_wait4(cx: &mut Cx, pid: u64, status: u64, options: u64, ru: u64) -> SysResult {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = pid as i32;
    let which = match pid {
        -1 => Which::Any,
        0 => Which::Group(
            cx.p.sys
                .table
                .lock()
                .procs
                .get(&cx.p.pid)
                .map_or(cx.p.pid, |e| e.pgid),
        ),
        p if p < 0 => Which::Group(p.checked_neg().ok_or(Errno::ESRCH)?),
        p => Which::Pid(p),
    };
    match wait_child(cx, which, options)? {
        Some((child, ws, cpu)) => {
            if status != 0 {
                write_val(cx.k, &cx.p.mm, status, &(ws as i32))?;
            }
            if ru != 0 {
                write_bytes(cx.k, &cx.p.mm, ru, &rusage(cpu))?;
            }
            Ok(child as u64)
        }
        None => Ok(0),
    }
}

const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;

pub fn sys_waitid(
    cx: &mut Cx,
    idtype: u64,
    id: u64,
    infop: u64,
    options: u64,
    ru: u64,
) -> SysResult {
    if options & !(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)
        != 0
        || options & (WEXITED | WUNTRACED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let which = match idtype {
        P_ALL => Which::Any,
        P_PID if (id as i32) > 0 => Which::Pid(id as i32),
        P_PGID if id as i32 == 0 => Which::Group(
            cx.p.sys
                .table
                .lock()
                .procs
                .get(&cx.p.pid)
                .map_or(cx.p.pid, |e| e.pgid),
        ),
        P_PGID if (id as i32) > 0 => Which::Group(id as i32),
        _ => return Err(Errno::EINVAL),
    };
    if options & WEXITED == 0 {
        // Only stop/continue events asked for: Lintel has no stopped children.
        return if options & WNOHANG != 0 {
            Ok(0)
        } else {
            Err(Errno::ECHILD)
        };
    }
    let found = wait_child(cx, which, options)?;
    if infop != 0 {
        let mut b = [0u8; 128];
        if let Some((child, ws, cpu)) = found {
            let (code, st) = if ws & 0x7f == 0 {
                (1i32, (ws >> 8) & 0xff)
            } else {
                (if ws & 0x80 != 0 { 3 } else { 2 }, ws & 0x7f)
            };
            b[0..4].copy_from_slice(&(crate::signal::SIGCHLD as i32).to_le_bytes());
            b[8..12].copy_from_slice(&code.to_le_bytes());
            b[16..20].copy_from_slice(&child.to_le_bytes());
            b[24..28].copy_from_slice(&st.to_le_bytes());
            b[32..40].copy_from_slice(&(cpu / TICK_NS).to_le_bytes());
        }
        write_bytes(cx.k, &cx.p.mm, infop, &b)?;
    }
    if ru != 0 {
        write_bytes(cx.k, &cx.p.mm, ru, &rusage(found.map_or(0, |f| f.2)))?;
    }
    Ok(0)
}
