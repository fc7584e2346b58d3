//! stat, lstat, fstat, newfstatat, statx, statfs, fstatfs, access family.

use super::at::{AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW};
use crate::abi::{Stat, Statfs, Statx};
use crate::user::write_val;
use crate::{Cx, Errno, SysResult};
use lintel_vfs::{Attr, FileKind, FileRef, FileType, Follow, Path};

/// st_dev of a mount: an anonymous device 0:id, as Linux gives tmpfs and 9p.
fn dev_of(p: &Path) -> u64 {
    p.mnt.id as u64
}

fn stat_from(a: &Attr, dev: u64) -> Stat {
    Stat {
        dev,
        ino: a.ino,
        nlink: a.nlink as u64,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
        size: a.size as i64,
        blksize: a.blksize as i64,
        blocks: a.blocks as i64,
        atime: (a.atime.sec, a.atime.nsec as u64),
        mtime: (a.mtime.sec, a.mtime.nsec as u64),
        ctime: (a.ctime.sec, a.ctime.nsec as u64),
    }
}

/// What fstat reports for a file of any kind.
pub(crate) fn file_stat(f: &FileRef) -> Result<Stat, Errno> {
    match &f.kind {
        FileKind::Node { path, .. } => Ok(stat_from(&path.dentry.vnode().getattr()?, dev_of(path))),
        FileKind::Special(ops) => Ok(Stat {
            // Pipes and the like live on an internal mount, like Linux's pipefs.
            dev: 0xc,
            ino: ops.ino(),
            nlink: 1,
            mode: ops.mode(),
            blksize: 4096,
            ..Stat::default()
        }),
    }
}

/// The object a `*at` stat call names: a file of any kind for AT_EMPTY_PATH.
fn stat_target(cx: &mut Cx, dirfd: u64, path: u64, flags: u64) -> Result<Stat, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd as i32 != super::AT_FDCWD {
        let f = cx.p.fds.get(dirfd as i32)?.clone();
        return file_stat(&f);
    }
    let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
        Follow::No
    } else {
        Follow::Yes
    };
    let p = cx.lookup_at(dirfd, &path, flags, follow)?;
    Ok(stat_from(&p.dentry.vnode().getattr()?, dev_of(&p)))
}

pub fn sys_newfstatat(cx: &mut Cx, dirfd: u64, path: u64, buf: u64, flags: u64) -> SysResult {
    let st = stat_target(cx, dirfd, path, flags)?;
    write_val(cx.k, &cx.p.mm, buf, &st)?;
    Ok(0)
}

pub fn sys_stat(cx: &mut Cx, path: u64, buf: u64) -> SysResult {
    sys_newfstatat(cx, super::AT_FDCWD as u64, path, buf, 0)
}

pub fn sys_lstat(cx: &mut Cx, path: u64, buf: u64) -> SysResult {
    sys_newfstatat(cx, super::AT_FDCWD as u64, path, buf, AT_SYMLINK_NOFOLLOW)
}

pub fn sys_fstat(cx: &mut Cx, fd: u64, buf: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    let st = file_stat(&f)?;
    write_val(cx.k, &cx.p.mm, buf, &st)?;
    Ok(0)
}

const STATX_BASIC_STATS: u32 = 0x7ff;
const AT_STATX_SYNC_TYPE: u64 = 0x6000;
const STATX_RESERVED: u64 = 0x8000_0000;

pub fn sys_statx(cx: &mut Cx, dirfd: u64, path: u64, flags: u64, mask: u64, buf: u64) -> SysResult {
    if mask & STATX_RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    let st = stat_target(cx, dirfd, path, flags & !AT_STATX_SYNC_TYPE)?;
    let dev = st.dev as u32;
    let sx = Statx {
        mask: STATX_BASIC_STATS,
        blksize: st.blksize as u32,
        nlink: st.nlink as u32,
        uid: st.uid,
        gid: st.gid,
        mode: st.mode as u16,
        ino: st.ino,
        size: st.size as u64,
        blocks: st.blocks as u64,
        atime: (st.atime.0, st.atime.1 as u32),
        btime: (0, 0),
        ctime: (st.ctime.0, st.ctime.1 as u32),
        mtime: (st.mtime.0, st.mtime.1 as u32),
        rdev: ((st.rdev >> 8) as u32 & 0xfff, (st.rdev & 0xff) as u32),
        dev: (0, dev),
        mnt_id: dev as u64,
    };
    write_val(cx.k, &cx.p.mm, buf, &sx)?;
    Ok(0)
}

fn statfs_of(p: &Path) -> Result<Statfs, Errno> {
    let s = p.dentry.vnode().statfs()?;
    let ro = if p.mnt.readonly() { 1 } else { 0 };
    Ok(Statfs {
        fs_type: s.fs_type,
        bsize: s.bsize,
        blocks: s.blocks,
        bfree: s.bfree,
        bavail: s.bavail,
        files: s.files,
        ffree: s.ffree,
        fsid: 0,
        namelen: s.namelen,
        frsize: if s.frsize == 0 { s.bsize } else { s.frsize },
        flags: s.flags | ro | 0x20, // ST_RDONLY, ST_VALID
    })
}

pub fn sys_statfs(cx: &mut Cx, path: u64, buf: u64) -> SysResult {
    let path = cx.user_path(path)?;
    let p = cx.lookup_at(super::AT_FDCWD as u64, &path, 0, Follow::Yes)?;
    let s = statfs_of(&p)?;
    write_val(cx.k, &cx.p.mm, buf, &s)?;
    Ok(0)
}

pub fn sys_fstatfs(cx: &mut Cx, fd: u64, buf: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    let s = match f.path() {
        Some(p) => statfs_of(p)?,
        // pipefs / anon inodes: PIPEFS_MAGIC
        None => Statfs {
            fs_type: 0x5049_5045,
            bsize: 4096,
            namelen: 255,
            frsize: 4096,
            flags: 0x20,
            ..Statfs::default()
        },
    };
    write_val(cx.k, &cx.p.mm, buf, &s)?;
    Ok(0)
}

const F_OK: u64 = 0;
const X_OK: u64 = 1;
const W_OK: u64 = 2;
const AT_EACCESS: u64 = 0x200;

pub fn sys_faccessat2(cx: &mut Cx, dirfd: u64, path: u64, mode: u64, flags: u64) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
        Follow::No
    } else {
        Follow::Yes
    };
    let p = cx.lookup_at(dirfd, &path, flags, follow)?;
    if mode == F_OK {
        return Ok(0);
    }
    let a = p.dentry.vnode().getattr()?;
    let ty = a.file_type();
    if mode & W_OK != 0
        && p.mnt.readonly()
        && matches!(
            ty,
            Some(FileType::Regular | FileType::Directory | FileType::Symlink)
        )
    {
        return Err(Errno::EROFS);
    }
    // Programs run as root: read and write are always granted; execute
    // needs an execute bit somewhere, except on directories.
    if mode & X_OK != 0 && ty != Some(FileType::Directory) && a.mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn sys_faccessat(cx: &mut Cx, dirfd: u64, path: u64, mode: u64) -> SysResult {
    sys_faccessat2(cx, dirfd, path, mode, 0)
}

pub fn sys_access(cx: &mut Cx, path: u64, mode: u64) -> SysResult {
    sys_faccessat2(cx, super::AT_FDCWD as u64, path, mode, 0)
}
