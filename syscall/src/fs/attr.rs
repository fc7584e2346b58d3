//! chmod/chown families, utimensat, truncate, ftruncate, fsync, fdatasync, sync.

use super::at::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use crate::abi::Timespec;
use crate::user::read_val;
use crate::{Cx, Errno, SysResult};
use lintel_vfs::{FileKind, FileType, Follow, Path, SetAttr, TimeSet, Timespec as VTime};

const CWD: u64 = AT_FDCWD as u64;

fn setattr(p: &Path, set: &SetAttr) -> SysResult {
    if p.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    p.dentry.vnode().setattr(set)?;
    Ok(0)
}

fn fd_path(cx: &Cx, fd: u64) -> Result<Path, Errno> {
    cx.p.fds.get(fd as i32)?.path().cloned().ok_or(Errno::EBADF)
}

pub fn sys_fchmodat(cx: &mut Cx, dirfd: u64, path: u64, mode: u64) -> SysResult {
    let path = cx.user_path(path)?;
    let p = cx.lookup_at(dirfd, &path, 0, Follow::Yes)?;
    setattr(
        &p,
        &SetAttr {
            mode: Some(mode as u32 & 0o7777),
            ..SetAttr::default()
        },
    )
}

pub fn sys_chmod(cx: &mut Cx, path: u64, mode: u64) -> SysResult {
    sys_fchmodat(cx, CWD, path, mode)
}

pub fn sys_fchmod(cx: &mut Cx, fd: u64, mode: u64) -> SysResult {
    let p = fd_path(cx, fd)?;
    setattr(
        &p,
        &SetAttr {
            mode: Some(mode as u32 & 0o7777),
            ..SetAttr::default()
        },
    )
}

/// A chown. As Linux's notify_change (ATTR_KILL_SUID/SGID), a change of
/// owner of a non-directory clears set-user-ID, and set-group-ID when group
/// execute is set, even for root; the file system gets the new mode with it.
fn owner(p: &Path, uid: u64, gid: u64) -> Result<SetAttr, Errno> {
    let id = |v: u64| (v as u32 != u32::MAX).then_some(v as u32);
    let mut set = SetAttr {
        uid: id(uid),
        gid: id(gid),
        ..SetAttr::default()
    };
    let a = p.dentry.vnode().getattr()?;
    if !a.is_dir() && a.file_type() != Some(FileType::Symlink) {
        let mut mode = a.mode & 0o7777;
        mode &= !0o4000;
        if mode & 0o010 != 0 {
            mode &= !0o2000;
        }
        if mode != a.mode & 0o7777 {
            set.mode = Some(mode);
        }
    }
    Ok(set)
}

pub fn sys_fchownat(
    cx: &mut Cx,
    dirfd: u64,
    path: u64,
    uid: u64,
    gid: u64,
    flags: u64,
) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
        Follow::No
    } else {
        Follow::Yes
    };
    let p = cx.lookup_at(dirfd, &path, flags, follow)?;
    setattr(&p, &owner(&p, uid, gid)?)
}

pub fn sys_chown(cx: &mut Cx, path: u64, uid: u64, gid: u64) -> SysResult {
    sys_fchownat(cx, CWD, path, uid, gid, 0)
}

pub fn sys_lchown(cx: &mut Cx, path: u64, uid: u64, gid: u64) -> SysResult {
    sys_fchownat(cx, CWD, path, uid, gid, AT_SYMLINK_NOFOLLOW)
}

pub fn sys_fchown(cx: &mut Cx, fd: u64, uid: u64, gid: u64) -> SysResult {
    let p = fd_path(cx, fd)?;
    setattr(&p, &owner(&p, uid, gid)?)
}

const UTIME_NOW: u64 = (1 << 30) - 1;
const UTIME_OMIT: u64 = (1 << 30) - 2;

fn time_set(t: Timespec) -> Result<Option<TimeSet>, Errno> {
    match t.nsec {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(TimeSet::Now)),
        n if n < 1_000_000_000 => Ok(Some(TimeSet::At(VTime {
            sec: t.sec as i64,
            nsec: n as u32,
        }))),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_utimensat(cx: &mut Cx, dirfd: u64, path: u64, times: u64, flags: u64) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let (atime, mtime) = if times == 0 {
        (Some(TimeSet::Now), Some(TimeSet::Now))
    } else {
        let a: Timespec = read_val(cx.k, &cx.p.mm, times)?;
        let m: Timespec = read_val(cx.k, &cx.p.mm, times + 16)?;
        (time_set(a)?, time_set(m)?)
    };
    // A NULL path means the file open at dirfd (futimens).
    let p = if path == 0 {
        if dirfd as i32 == AT_FDCWD {
            return Err(Errno::EFAULT);
        }
        fd_path(cx, dirfd)?
    } else {
        let path = cx.user_path(path)?;
        let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
            Follow::No
        } else {
            Follow::Yes
        };
        cx.lookup_at(dirfd, &path, flags, follow)?
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    setattr(
        &p,
        &SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        },
    )
}

fn check_len(len: u64) -> Result<u64, Errno> {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(len)
}

pub fn sys_truncate(cx: &mut Cx, path: u64, len: u64) -> SysResult {
    let len = check_len(len)?;
    let path = cx.user_path(path)?;
    let p = cx.lookup_at(CWD, &path, 0, Follow::Yes)?;
    match p.dentry.vnode().file_type()? {
        FileType::Directory => return Err(Errno::EISDIR),
        FileType::Regular => {}
        _ => return Err(Errno::EINVAL),
    }
    setattr(
        &p,
        &SetAttr {
            size: Some(len),
            ..SetAttr::default()
        },
    )
}

pub fn sys_ftruncate(cx: &mut Cx, fd: u64, len: u64) -> SysResult {
    let len = check_len(len)?;
    let f = cx.p.fds.get(fd as i32)?.clone();
    let FileKind::Node {
        path,
        handle: Some(_),
    } = &f.kind
    else {
        return Err(Errno::EINVAL);
    };
    if !f.flags().writable() || path.dentry.vnode().file_type()? != FileType::Regular {
        return Err(Errno::EINVAL);
    }
    setattr(
        path,
        &SetAttr {
            size: Some(len),
            ..SetAttr::default()
        },
    )
}

fn fsync(cx: &mut Cx, fd: u64, datasync: bool) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    match &f.kind {
        FileKind::Node {
            handle: Some(h), ..
        } => h.fsync(datasync)?,
        FileKind::Node { handle: None, .. } => return Err(Errno::EBADF),
        FileKind::Special(_) => return Err(Errno::EINVAL),
    }
    Ok(0)
}

pub fn sys_fsync(cx: &mut Cx, fd: u64) -> SysResult {
    fsync(cx, fd, false)
}

pub fn sys_fdatasync(cx: &mut Cx, fd: u64) -> SysResult {
    fsync(cx, fd, true)
}

pub fn sys_sync(cx: &mut Cx) -> SysResult {
    for m in cx.p.vfs.mounts.all() {
        // sync(2) cannot fail; errors stay with the file system.
        let _ = m.fs.sync();
    }
    Ok(0)
}

pub fn sys_syncfs(cx: &mut Cx, fd: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    if let Some(p) = f.path() {
        p.mnt.fs.sync()?;
    }
    Ok(0)
}
