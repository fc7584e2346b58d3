//! Process identities (user and group ids are in `cred`).

use crate::{Cx, SysResult};

pub fn sys_getpid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.pid as u64)
}

pub fn sys_getppid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.ppid() as u64)
}

pub fn sys_gettid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.tid as u64)
}

pub fn sys_set_tid_address(cx: &mut Cx, addr: u64) -> SysResult {
    cx.p.clear_child_tid = addr;
    Ok(cx.p.tid as u64)
}

pub fn sys_set_robust_list(cx: &mut Cx, head: u64, len: u64) -> SysResult {
    if len != 24 {
        return Err(crate::Errno::EINVAL);
    }
    cx.p.robust_list = (head, len);
    Ok(0)
}

pub fn sys_umask(cx: &mut Cx, mask: u64) -> SysResult {
    let old = cx.p.umask;
    cx.p.umask = (mask & 0o777) as u32;
    Ok(old as u64)
}

const ARCH_SET_GS: u64 = 0x1001;
const ARCH_SET_FS: u64 = 0x1002;
const ARCH_GET_FS: u64 = 0x1003;
const ARCH_GET_GS: u64 = 0x1004;

pub fn sys_arch_prctl(cx: &mut Cx, code: u64, addr: u64) -> SysResult {
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr >= crate::mm::USER_END {
                return Err(crate::Errno::EPERM);
            }
            if code == ARCH_SET_FS {
                cx.k.set_fs_base(addr);
            } else {
                cx.k.set_gs_base(addr);
            }
        }
        ARCH_GET_FS => {
            let v = cx.k.fs_base();
            crate::user::write_val(cx.k, &cx.p.mm, addr, &v)?;
        }
        ARCH_GET_GS => {
            let v = cx.k.gs_base();
            crate::user::write_val(cx.k, &cx.p.mm, addr, &v)?;
        }
        _ => return Err(crate::Errno::EINVAL),
    }
    Ok(0)
}

const PR_SET_PDEATHSIG: u64 = 1;
const PR_GET_PDEATHSIG: u64 = 2;
const PR_GET_DUMPABLE: u64 = 3;
const PR_SET_DUMPABLE: u64 = 4;
const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;

/// prctl: the process name and the few flags programs set at startup.
pub fn sys_prctl(cx: &mut Cx, option: u64, arg2: u64) -> SysResult {
    match option {
        PR_SET_NAME => {
            let mut name = crate::user::read_cstr(cx.k, &cx.p.mm, arg2, 4096)?;
            name.truncate(15);
            cx.p.comm = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut buf = [0u8; 16];
            buf[..cx.p.comm.len().min(15)].copy_from_slice(&cx.p.comm[..cx.p.comm.len().min(15)]);
            crate::user::write_bytes(cx.k, &cx.p.mm, arg2, &buf)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            if arg2 > 64 {
                return Err(crate::Errno::EINVAL);
            }
            cx.p.pdeathsig = arg2 as u8;
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let v = cx.p.pdeathsig as i32;
            crate::user::write_val(cx.k, &cx.p.mm, arg2, &v)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(cx.p.dumpable as u64),
        PR_SET_DUMPABLE => {
            if arg2 > 1 {
                return Err(crate::Errno::EINVAL);
            }
            cx.p.dumpable = arg2 == 1;
            Ok(0)
        }
        _ => Err(crate::Errno::EINVAL),
    }
}

/// Process groups and sessions, as a shell uses them for its jobs.
fn ids_of(cx: &Cx, pid: u64) -> Result<(i32, i32), crate::Errno> {
    let pid = if pid == 0 { cx.p.pid } else { pid as i32 };
    let t = cx.p.sys.table.lock();
    let e = t
        .procs
        .get(&pid)
        .filter(|e| e.zombie.is_none() || pid == cx.p.pid)
        .ok_or(crate::Errno::ESRCH)?;
    Ok((e.pgid, e.sid))
}

pub fn sys_getpgid(cx: &mut Cx, pid: u64) -> SysResult {
    Ok(ids_of(cx, pid)?.0 as u64)
}

pub fn sys_getpgrp(cx: &mut Cx) -> SysResult {
    sys_getpgid(cx, 0)
}

pub fn sys_getsid(cx: &mut Cx, pid: u64) -> SysResult {
    Ok(ids_of(cx, pid)?.1 as u64)
}

/// A new session and group led by the caller; EPERM for a group leader.
pub fn sys_setsid(cx: &mut Cx) -> SysResult {
    let me = cx.p.pid;
    let mut t = cx.p.sys.table.lock();
    if t.procs.iter().any(|(_, e)| e.pgid == me) {
        return Err(crate::Errno::EPERM);
    }
    let e = t.procs.get_mut(&me).ok_or(crate::Errno::ESRCH)?;
    e.pgid = me;
    e.sid = me;
    Ok(me as u64)
}

/// Moves `pid` (the caller or one of its children) into group `pgid`
/// (a new one named after `pid`, or an existing one in the same session).
pub fn sys_setpgid(cx: &mut Cx, pid: u64, pgid: u64) -> SysResult {
    use crate::Errno;
    if (pgid as i64) < 0 || (pgid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let me = cx.p.pid;
    let pid = if pid == 0 { me } else { pid as i32 };
    let pgid = if pgid == 0 { pid } else { pgid as i32 };
    let mut t = cx.p.sys.table.lock();
    let my_sid = t.procs.get(&me).map_or(me, |e| e.sid);
    let target = t
        .procs
        .get(&pid)
        .filter(|e| e.zombie.is_none())
        .ok_or(Errno::ESRCH)?;
    if pid != me {
        if target.ppid != me {
            return Err(Errno::ESRCH);
        }
        if target.sid != my_sid {
            return Err(Errno::EPERM);
        }
        if target.execed {
            return Err(Errno::EACCES);
        }
    }
    if target.sid == pid {
        return Err(Errno::EPERM); // a session leader
    }
    if pgid != pid && !t.procs.values().any(|e| e.pgid == pgid && e.sid == my_sid) {
        return Err(Errno::EPERM);
    }
    if let Some(e) = t.procs.get_mut(&pid) {
        e.pgid = pgid;
    }
    Ok(0)
}
