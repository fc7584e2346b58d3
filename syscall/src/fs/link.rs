//! unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink,
//! symlinkat, readlink, readlinkat.

use super::at::{AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW};
use crate::user::write_bytes;
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use lintel_vfs::{FileType, Follow, RENAME_EXCHANGE, RENAME_NOREPLACE};

const CWD: u64 = AT_FDCWD as u64;

fn do_unlink(cx: &mut Cx, dirfd: u64, path: &[u8]) -> SysResult {
    let start = cx.start_dir(dirfd, path)?;
    let parent = cx.resolver().resolve_parent(&start, path)?;
    if parent.name == b"." || parent.name == b".." {
        return Err(Errno::EISDIR);
    }
    let victim = cx
        .resolver()
        .resolve(&parent.dir, &parent.name, Follow::No)?;
    let ty = victim.dentry.vnode().file_type()?;
    if ty == FileType::Directory {
        return Err(Errno::EISDIR);
    }
    if parent.trailing_slash {
        return Err(Errno::ENOTDIR);
    }
    if victim.is_mount_root() {
        return Err(Errno::EBUSY);
    }
    if parent.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    parent.dir.dentry.vnode().unlink(&parent.name)?;
    parent.dir.dentry.detach(&parent.name);
    Ok(0)
}

pub fn sys_unlinkat(cx: &mut Cx, dirfd: u64, path: u64, flags: u64) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    if flags & AT_REMOVEDIR != 0 {
        super::dir::do_rmdir(cx, dirfd, &path)
    } else {
        do_unlink(cx, dirfd, &path)
    }
}

pub fn sys_unlink(cx: &mut Cx, path: u64) -> SysResult {
    sys_unlinkat(cx, CWD, path, 0)
}

pub fn sys_renameat2(
    cx: &mut Cx,
    olddir: u64,
    old: u64,
    newdir: u64,
    new: u64,
    flags: u64,
) -> SysResult {
    let flags = flags as u32;
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | 4) != 0
        || flags & (RENAME_NOREPLACE | RENAME_EXCHANGE) == (RENAME_NOREPLACE | RENAME_EXCHANGE)
    {
        return Err(Errno::EINVAL);
    }
    let old = cx.user_path(old)?;
    let new = cx.user_path(new)?;
    let os = cx.start_dir(olddir, &old)?;
    let ns = cx.start_dir(newdir, &new)?;
    let op = cx.resolver().resolve_parent(&os, &old)?;
    let np = cx.resolver().resolve_parent(&ns, &new)?;
    let dots = |n: &[u8]| n == b"." || n == b"..";
    if dots(&op.name) || dots(&np.name) {
        return Err(if flags & RENAME_NOREPLACE != 0 {
            Errno::EEXIST
        } else {
            Errno::EBUSY
        });
    }
    let src = cx.resolver().resolve(&op.dir, &op.name, Follow::No)?;
    if !Arc::ptr_eq(&op.dir.mnt, &np.dir.mnt) {
        return Err(Errno::EXDEV);
    }
    let src_dir = src.dentry.vnode().file_type()? == FileType::Directory;
    if (op.trailing_slash || np.trailing_slash) && !src_dir {
        return Err(Errno::ENOTDIR);
    }
    let dst = match cx.resolver().resolve(&np.dir, &np.name, Follow::No) {
        Ok(d) => Some(d),
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(e),
    };
    if flags & RENAME_EXCHANGE != 0 && dst.is_none() {
        return Err(Errno::ENOENT);
    }
    if let Some(d) = &dst {
        if d.same(&src)
            || Arc::ptr_eq(d.dentry.vnode(), src.dentry.vnode()) && flags & RENAME_EXCHANGE == 0
        {
            // Two names of one file: nothing happens (POSIX).
            return if flags & RENAME_NOREPLACE != 0 {
                Err(Errno::EEXIST)
            } else {
                Ok(0)
            };
        }
        if flags & RENAME_NOREPLACE != 0 {
            return Err(Errno::EEXIST);
        }
        if d.is_mount_root() {
            return Err(Errno::EBUSY);
        }
        let dst_dir = d.dentry.vnode().file_type()? == FileType::Directory;
        if flags & RENAME_EXCHANGE == 0 {
            if src_dir && !dst_dir {
                return Err(Errno::ENOTDIR);
            }
            if !src_dir && dst_dir {
                return Err(Errno::EISDIR);
            }
        } else if dst_dir && op.dir.dentry.is_within(&d.dentry) {
            return Err(Errno::EINVAL);
        }
    }
    if src.is_mount_root() || src.same(&cx.fs.root) {
        return Err(Errno::EBUSY);
    }
    // A directory cannot move below itself.
    if src_dir && np.dir.dentry.is_within(&src.dentry) {
        return Err(Errno::EINVAL);
    }
    if op.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    let new_dir_vnode = np.dir.dentry.vnode().clone();
    op.dir
        .dentry
        .vnode()
        .rename(&op.name, &new_dir_vnode, &np.name, flags)?;
    if flags & RENAME_EXCHANGE != 0 {
        // Swap the two live names through a temporary that cannot exist.
        let tmp = b"\0exchange";
        op.dir.dentry.move_child(&op.name, &op.dir.dentry, tmp);
        np.dir.dentry.move_child(&np.name, &op.dir.dentry, &op.name);
        op.dir.dentry.move_child(tmp, &np.dir.dentry, &np.name);
    } else {
        op.dir.dentry.move_child(&op.name, &np.dir.dentry, &np.name);
    }
    Ok(0)
}

pub fn sys_renameat(cx: &mut Cx, olddir: u64, old: u64, newdir: u64, new: u64) -> SysResult {
    sys_renameat2(cx, olddir, old, newdir, new, 0)
}

pub fn sys_rename(cx: &mut Cx, old: u64, new: u64) -> SysResult {
    sys_renameat2(cx, CWD, old, CWD, new, 0)
}

pub fn sys_linkat(
    cx: &mut Cx,
    olddir: u64,
    old: u64,
    newdir: u64,
    new: u64,
    flags: u64,
) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = cx.user_path(old)?;
    let new = cx.user_path(new)?;
    let follow = if flags & AT_SYMLINK_FOLLOW != 0 {
        Follow::Yes
    } else {
        Follow::No
    };
    let src = cx.lookup_at(olddir, &old, flags, follow)?;
    let ns = cx.start_dir(newdir, &new)?;
    let np = cx.resolver().resolve_parent(&ns, &new)?;
    if np.name == b"." || np.name == b".." {
        return Err(Errno::EEXIST);
    }
    match cx.resolver().resolve(&np.dir, &np.name, Follow::No) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if np.trailing_slash {
        return Err(Errno::ENOENT);
    }
    if !Arc::ptr_eq(&src.mnt, &np.dir.mnt) {
        return Err(Errno::EXDEV);
    }
    if src.dentry.vnode().file_type()? == FileType::Directory {
        return Err(Errno::EPERM);
    }
    if np.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    np.dir.dentry.vnode().link(&np.name, src.dentry.vnode())?;
    Ok(0)
}

pub fn sys_link(cx: &mut Cx, old: u64, new: u64) -> SysResult {
    sys_linkat(cx, CWD, old, CWD, new, 0)
}

pub fn sys_symlinkat(cx: &mut Cx, target: u64, newdir: u64, path: u64) -> SysResult {
    let target = cx.user_path(target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let path = cx.user_path(path)?;
    let start = cx.start_dir(newdir, &path)?;
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
    if parent.trailing_slash {
        return Err(Errno::ENOENT);
    }
    if parent.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    let v = parent.dir.dentry.vnode().symlink(&parent.name, &target)?;
    parent.dir.dentry.attach(&parent.name, v);
    Ok(0)
}

pub fn sys_symlink(cx: &mut Cx, target: u64, path: u64) -> SysResult {
    sys_symlinkat(cx, target, CWD, path)
}

pub fn sys_readlinkat(cx: &mut Cx, dirfd: u64, path: u64, buf: u64, size: u64) -> SysResult {
    if size as i32 <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    let p = cx.lookup_at(dirfd, &path, AT_EMPTY_PATH, Follow::No)?;
    if p.dentry.vnode().file_type()? != FileType::Symlink {
        return Err(Errno::EINVAL);
    }
    let target = p.dentry.vnode().readlink()?;
    let n = target.len().min(size as usize);
    write_bytes(cx.k, &cx.p.mm, buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(cx: &mut Cx, path: u64, buf: u64, size: u64) -> SysResult {
    sys_readlinkat(cx, CWD, path, buf, size)
}
