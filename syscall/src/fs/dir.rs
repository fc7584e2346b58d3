//! getdents64, mkdir, mkdirat, rmdir, chdir, fchdir, getcwd.

use crate::user::write_bytes;
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_vfs::{DirEntry, FileType, Follow};

/// One `struct linux_dirent64`: ino, off, reclen, type, name, NUL, padding to 8.
fn dirent64(e: &DirEntry) -> Vec<u8> {
    let reclen = (19 + e.name.len() + 1).next_multiple_of(8);
    let mut r = Vec::with_capacity(reclen);
    r.extend_from_slice(&e.ino.to_le_bytes());
    r.extend_from_slice(&e.next.to_le_bytes());
    r.extend_from_slice(&(reclen as u16).to_le_bytes());
    r.push(e.kind.dirent_type());
    r.extend_from_slice(&e.name);
    r.resize(reclen, 0);
    r
}

pub fn sys_getdents64(cx: &mut Cx, fd: u64, buf: u64, count: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    let h = f.handle()?.clone();
    let count = count.min(1 << 20) as usize;
    let mut off = f.offset.lock();
    let mut out: Vec<u8> = Vec::new();
    let mut last = *off;
    h.readdir(*off, &mut |e| {
        let rec = dirent64(e);
        if out.len() + rec.len() > count {
            return false;
        }
        out.extend_from_slice(&rec);
        last = e.next;
        true
    })?;
    if out.is_empty() && last == *off {
        // Either the end, or a buffer too small for the next entry.
        let mut probe = false;
        h.readdir(*off, &mut |_| {
            probe = true;
            false
        })?;
        if probe {
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    write_bytes(cx.k, &cx.p.mm, buf, &out)?;
    *off = last;
    Ok(out.len() as u64)
}

pub fn sys_mkdirat(cx: &mut Cx, dirfd: u64, path: u64, mode: u64) -> SysResult {
    let path = cx.user_path(path)?;
    let start = cx.start_dir(dirfd, &path)?;
    let parent = cx.resolver().resolve_parent(&start, &path)?;
    if parent.name == b"." || parent.name == b".." {
        return Err(Errno::EEXIST);
    }
    match parent
        .dir
        .dentry
        .child(&parent.name, parent.dir.mnt.fs.cache_names())
    {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if parent.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    let perm = mode as u32 & 0o7777 & !cx.p.umask;
    let v = parent.dir.dentry.vnode().mkdir(&parent.name, perm)?;
    parent.dir.dentry.attach(&parent.name, v);
    Ok(0)
}

pub fn sys_mkdir(cx: &mut Cx, path: u64, mode: u64) -> SysResult {
    sys_mkdirat(cx, super::AT_FDCWD as u64, path, mode)
}

pub(crate) fn do_rmdir(cx: &mut Cx, dirfd: u64, path: &[u8]) -> SysResult {
    let start = cx.start_dir(dirfd, path)?;
    let parent = cx.resolver().resolve_parent(&start, path)?;
    match &parent.name[..] {
        b"." => return Err(Errno::EINVAL),
        b".." => return Err(Errno::ENOTEMPTY),
        _ => {}
    }
    let victim = cx
        .resolver()
        .resolve(&parent.dir, &parent.name, Follow::No)?;
    if victim.dentry.vnode().file_type()? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    if victim.is_mount_root() || victim.same(&cx.fs.root) {
        return Err(Errno::EBUSY);
    }
    if parent.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    parent.dir.dentry.vnode().rmdir(&parent.name)?;
    parent.dir.dentry.detach(&parent.name);
    Ok(0)
}

pub fn sys_rmdir(cx: &mut Cx, path: u64) -> SysResult {
    let path = cx.user_path(path)?;
    do_rmdir(cx, super::AT_FDCWD as u64, &path)
}

pub fn sys_chdir(cx: &mut Cx, path: u64) -> SysResult {
    let path = cx.user_path(path)?;
    let p = cx.lookup_at(super::AT_FDCWD as u64, &path, 0, Follow::Yes)?;
    if p.dentry.vnode().file_type()? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    cx.p.fs.lock().cwd = p.clone();
    cx.fs.cwd = p;
    Ok(0)
}

pub fn sys_fchdir(cx: &mut Cx, fd: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?;
    let p = f.path().ok_or(Errno::ENOTDIR)?.clone();
    if p.dentry.vnode().file_type()? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    cx.p.fs.lock().cwd = p.clone();
    cx.fs.cwd = p;
    Ok(0)
}

pub fn sys_getcwd(cx: &mut Cx, buf: u64, size: u64) -> SysResult {
    if cx.fs.cwd.dentry.is_deleted() {
        return Err(Errno::ENOENT);
    }
    let mut name = cx.resolver().name_of(&cx.fs.cwd);
    name.push(0);
    if (size as usize) < name.len() {
        return Err(Errno::ERANGE);
    }
    write_bytes(cx.k, &cx.p.mm, buf, &name)?;
    Ok(name.len() as u64)
}
