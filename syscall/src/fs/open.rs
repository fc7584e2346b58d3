//! open, openat, creat, close: Linux's open flag semantics over the VFS.

use crate::{Cx, Errno, SysResult};
use lintel_vfs::{File, FileRef, FileType, Follow, OpenFlags, Path, SetAttr};

/// Flags that only matter while opening; F_GETFL does not report them.
const OPEN_ONLY: OpenFlags = OpenFlags::CREAT
    .union(OpenFlags::EXCL)
    .union(OpenFlags::NOCTTY)
    .union(OpenFlags::TRUNC)
    .union(OpenFlags::CLOEXEC);

/// Opens `path` (relative to `dirfd`) as open(2) would; returns the file.
pub fn do_open(
    cx: &mut Cx,
    dirfd: u64,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
) -> Result<FileRef, Errno> {
    if flags.contains(OpenFlags::TMPFILE) {
        return Err(Errno::EOPNOTSUPP);
    }
    let start = cx.start_dir(dirfd, path)?;
    let target = if flags.contains(OpenFlags::CREAT) {
        open_create(cx, &start, path, flags, mode)?
    } else {
        let follow = if flags.contains(OpenFlags::NOFOLLOW) {
            Follow::No
        } else {
            Follow::Yes
        };
        cx.resolver().resolve(&start, path, follow)?
    };
    let vnode = target.dentry.vnode().clone();
    let ty = vnode.file_type()?;
    if flags.contains(OpenFlags::PATH) {
        return Ok(File::new_node(
            target,
            None,
            flags & (OpenFlags::PATH | OpenFlags::DIRECTORY | OpenFlags::NOFOLLOW),
        ));
    }
    match ty {
        FileType::Symlink => return Err(Errno::ELOOP), // O_NOFOLLOW met a symlink
        FileType::Directory if flags.writable() || flags.contains(OpenFlags::TRUNC) => {
            return Err(Errno::EISDIR)
        }
        FileType::Directory => {}
        _ if flags.contains(OpenFlags::DIRECTORY) => return Err(Errno::ENOTDIR),
        _ => {}
    }
    if target.mnt.readonly() && (flags.writable() || flags.contains(OpenFlags::TRUNC)) {
        return Err(Errno::EROFS);
    }
    let handle = vnode.open(flags)?;
    if flags.contains(OpenFlags::TRUNC) && ty == FileType::Regular {
        vnode.setattr(&SetAttr {
            size: Some(0),
            ..SetAttr::default()
        })?;
    }
    // 64-bit Linux always adds O_LARGEFILE; F_GETFL shows it.
    Ok(File::new_node(
        target,
        Some(handle),
        (flags - OPEN_ONLY) | OpenFlags::LARGEFILE,
    ))
}

/// O_CREAT: find or make the last component. A dangling symlink there
/// makes its target be created, as on Linux (`depth` counts such links).
fn open_create(
    cx: &mut Cx,
    start: &Path,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
) -> Result<Path, Errno> {
    open_create_at(cx, start, path, flags, mode, 0)
}

fn open_create_at(
    cx: &mut Cx,
    start: &Path,
    path: &[u8],
    flags: OpenFlags,
    mode: u32,
    depth: usize,
) -> Result<Path, Errno> {
    let parent = cx.resolver().resolve_parent(start, path)?;
    if parent.trailing_slash || parent.name == b"." || parent.name == b".." {
        return Err(Errno::EISDIR);
    }
    match parent
        .dir
        .dentry
        .child(&parent.name, parent.dir.mnt.fs.cache_names())
    {
        Ok(_) if flags.contains(OpenFlags::EXCL) => Err(Errno::EEXIST),
        Ok(d) => {
            let follow = if flags.contains(OpenFlags::NOFOLLOW) {
                Follow::No
            } else {
                Follow::Yes
            };
            let p = match cx.resolver().resolve(start, path, follow) {
                Err(Errno::ENOENT)
                    if follow == Follow::Yes && d.vnode().file_type()? == FileType::Symlink =>
                {
                    if depth >= lintel_vfs::namei::MAX_SYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    let target = d.vnode().readlink()?;
                    return open_create_at(cx, &parent.dir, &target, flags, mode, depth + 1);
                }
                r => r?,
            };
            // O_CREAT never opens a directory.
            if p.dentry.vnode().file_type()? == FileType::Directory {
                return Err(Errno::EISDIR);
            }
            Ok(p)
        }
        Err(Errno::ENOENT) => {
            if parent.dir.mnt.readonly() {
                return Err(Errno::EROFS);
            }
            let perm = mode & 0o7777 & !cx.p.umask;
            let vnode = parent.dir.dentry.vnode().create(&parent.name, perm)?;
            let dentry = parent.dir.dentry.attach(&parent.name, vnode);
            Ok(Path {
                mnt: parent.dir.mnt.clone(),
                dentry,
            })
        }
        Err(e) => Err(e),
    }
}

pub fn sys_openat(cx: &mut Cx, dirfd: u64, path: u64, flags: u64, mode: u64) -> SysResult {
    let path = cx.user_path(path)?;
    let flags = OpenFlags::from_bits_retain(flags as u32);
    let file = do_open(cx, dirfd, &path, flags, mode as u32)?;
    let limit = cx.p.fd_limit();
    let fd =
        cx.p.fds
            .insert(file, flags.contains(OpenFlags::CLOEXEC), limit)?;
    Ok(fd as u64)
}

pub fn sys_open(cx: &mut Cx, path: u64, flags: u64, mode: u64) -> SysResult {
    sys_openat(cx, crate::fs::AT_FDCWD as u64, path, flags, mode)
}

pub fn sys_creat(cx: &mut Cx, path: u64, mode: u64) -> SysResult {
    let flags = OpenFlags::CREAT | OpenFlags::WRONLY | OpenFlags::TRUNC;
    sys_openat(
        cx,
        crate::fs::AT_FDCWD as u64,
        path,
        flags.bits() as u64,
        mode,
    )
}

pub fn sys_close(cx: &mut Cx, fd: u64) -> SysResult {
    cx.p.fds.remove(fd as i32)?;
    Ok(0)
}
