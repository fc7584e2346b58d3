//! Process and user identities. Programs run as root (uid 0), pid 1.

use crate::{Cx, SysResult};

pub fn sys_getpid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.pid as u64)
}

pub fn sys_getppid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.ppid as u64)
}

pub fn sys_gettid(cx: &mut Cx) -> SysResult {
    Ok(cx.p.tid as u64)
}

/// getuid, geteuid, getgid, getegid: root.
pub fn sys_getuid(_: &mut Cx) -> SysResult {
    Ok(0)
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
