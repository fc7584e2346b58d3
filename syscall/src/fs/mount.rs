//! mount and umount2.

use crate::user::read_cstr;
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_vfs::{FileType, Follow, MountFlags};

const MS_RDONLY: u64 = 1;
const MS_REMOUNT: u64 = 32;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
/// Propagation changes (MS_SHARED, MS_PRIVATE, ...): there is one namespace.
const MS_PROPAGATION: u64 = (1 << 20) | (1 << 18) | (1 << 19) | (1 << 17);
const MNT_FORCE: u64 = 1;
const MNT_DETACH: u64 = 2;
const MNT_EXPIRE: u64 = 4;
const UMOUNT_NOFOLLOW: u64 = 8;

pub fn sys_mount(
    cx: &mut Cx,
    source: u64,
    target: u64,
    fstype: u64,
    flags: u64,
    data: u64,
) -> SysResult {
    let target = cx.user_path(target)?;
    let at = cx.lookup_at(super::AT_FDCWD as u64, &target, 0, Follow::Yes)?;
    if flags & MS_PROPAGATION != 0 && flags & (MS_BIND | MS_MOVE | MS_REMOUNT) == 0 {
        return Ok(0);
    }
    if flags & (MS_REMOUNT | MS_BIND | MS_MOVE) != 0 {
        log::warn!("mount: remount, bind and move mounts are not supported");
        return Err(Errno::EINVAL);
    }
    let fstype = cx.user_path(fstype)?;
    let source = if source == 0 {
        Vec::new()
    } else {
        cx.user_path(source)?
    };
    let data = if data == 0 {
        Vec::new()
    } else {
        read_cstr(cx.k, &cx.p.mm, data, 4095)?
    };
    if at.dentry.vnode().file_type()? != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    let fs = cx.p.vfs.registry.make(&fstype, &source, &data)?;
    let mut mflags = MountFlags::empty();
    if flags & MS_RDONLY != 0 {
        mflags |= MountFlags::RDONLY;
    }
    cx.p.vfs.mounts.mount(&at, fs, &source, &data, mflags)?;
    Ok(0)
}

pub fn sys_umount2(cx: &mut Cx, target: u64, flags: u64) -> SysResult {
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = cx.user_path(target)?;
    let follow = if flags & UMOUNT_NOFOLLOW != 0 {
        Follow::No
    } else {
        Follow::Yes
    };
    let p = cx.lookup_at(super::AT_FDCWD as u64, &target, 0, follow)?;
    cx.p.vfs.mounts.umount(&p)?;
    Ok(0)
}
