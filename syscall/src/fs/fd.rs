//! dup, dup2, dup3, fcntl, ioctl.

use crate::abi::Flock;
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};
use lintel_vfs::{FileKind, OpenFlags};

/// Installs a new special file (an event or timer fd, a socket, an epoll
/// instance: Linux's anon_inode_getfd) read-write as the lowest free fd,
/// with O_NONBLOCK and O_CLOEXEC taken from `flags` (the EFD_/TFD_/SOCK_/
/// EPOLL_ flags have those values).
pub(crate) fn install_special(
    cx: &mut Cx,
    ops: alloc::sync::Arc<dyn lintel_vfs::FileOps>,
    flags: u32,
) -> SysResult {
    let mut status = OpenFlags::RDWR;
    if flags & OpenFlags::NONBLOCK.bits() != 0 {
        status |= OpenFlags::NONBLOCK;
    }
    let cloexec = flags & OpenFlags::CLOEXEC.bits() != 0;
    let limit = cx.p.fd_limit();
    Ok(cx
        .p
        .fds
        .insert(lintel_vfs::File::new_special(ops, status), cloexec, limit)? as u64)
}

pub fn sys_dup(cx: &mut Cx, fd: u64) -> SysResult {
    let f = cx.p.fds.get(fd as i32)?.clone();
    let limit = cx.p.fd_limit();
    Ok(cx.p.fds.insert(f, false, limit)? as u64)
}

pub fn sys_dup3(cx: &mut Cx, old: u64, new: u64, flags: u64) -> SysResult {
    if flags & !(OpenFlags::CLOEXEC.bits() as u64) != 0 || old as i32 == new as i32 {
        return Err(Errno::EINVAL);
    }
    let f = cx.p.fds.get(old as i32)?.clone();
    let limit = cx.p.fd_limit();
    let cloexec = flags != 0;
    // The old file at `new` is closed when the returned reference drops.
    drop(cx.p.fds.set(new as i32, f, cloexec, limit)?);
    Ok(new as i32 as u64)
}

pub fn sys_dup2(cx: &mut Cx, old: u64, new: u64) -> SysResult {
    if old as i32 == new as i32 {
        cx.p.fds.get(old as i32)?;
        return Ok(new as i32 as u64);
    }
    sys_dup3(cx, old, new, 0)
}

const F_DUPFD: u64 = 0;
const F_GETFD: u64 = 1;
const F_SETFD: u64 = 2;
const F_GETFL: u64 = 3;
const F_SETFL: u64 = 4;
const F_GETLK: u64 = 5;
const F_SETLK: u64 = 6;
const F_SETLKW: u64 = 7;
const F_SETOWN: u64 = 8;
const F_GETOWN: u64 = 9;
const F_DUPFD_CLOEXEC: u64 = 1030;
const F_SETPIPE_SZ: u64 = 1031;
const F_GETPIPE_SZ: u64 = 1032;
const FD_CLOEXEC: u64 = 1;
const F_UNLCK: i16 = 2;

pub fn sys_fcntl(cx: &mut Cx, fd: u64, cmd: u64, arg: u64) -> SysResult {
    let fd = fd as i32;
    let f = cx.p.fds.get(fd)?.clone();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let limit = cx.p.fd_limit();
            if arg >= limit as u64 {
                return Err(Errno::EINVAL);
            }
            Ok(cx
                .p
                .fds
                .insert_from(arg as usize, f, cmd == F_DUPFD_CLOEXEC, limit)? as u64)
        }
        F_GETFD => Ok(cx.p.fds.cloexec(fd)? as u64),
        F_SETFD => {
            cx.p.fds.set_cloexec(fd, arg & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(f.flags().bits() as u64),
        F_SETFL => {
            f.set_status_flags(OpenFlags::from_bits_retain(arg as u32));
            Ok(0)
        }
        // Record locks: with one process nothing can conflict, so a lock is
        // always granted and F_GETLK finds no conflicting lock.
        F_GETLK => {
            let mut l: Flock = read_val(cx.k, &cx.p.mm, arg)?;
            if !(0..=2).contains(&l.kind) {
                return Err(Errno::EINVAL);
            }
            l.kind = F_UNLCK;
            write_val(cx.k, &cx.p.mm, arg, &l)?;
            Ok(0)
        }
        F_SETLK | F_SETLKW => {
            let l: Flock = read_val(cx.k, &cx.p.mm, arg)?;
            match l.kind {
                0 if !f.flags().readable() => Err(Errno::EBADF),
                1 if !f.flags().writable() => Err(Errno::EBADF),
                0..=2 => Ok(0),
                _ => Err(Errno::EINVAL),
            }
        }
        F_SETOWN => super::fown::set_owner(cx, &f, arg as i32),
        F_GETOWN => Ok(super::fown::owner(&f) as i64 as u64),
        F_GETPIPE_SZ | F_SETPIPE_SZ => match &f.kind {
            FileKind::Special(ops) if ops.mode() & 0o170000 == 0o010000 => {
                Ok(super::pipe::PIPE_SIZE as u64)
            }
            _ => Err(Errno::EBADF),
        },
        _ => Err(Errno::EINVAL),
    }
}

const FIONREAD: u64 = 0x541b;
const FIONBIO: u64 = 0x5421;
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
const FIOASYNC: u64 = 0x5452;

pub fn sys_ioctl(cx: &mut Cx, fd: u64, req: u64, arg: u64) -> SysResult {
    let fd = fd as i32;
    let f = cx.p.fds.get(fd)?.clone();
    match req {
        FIOCLEX | FIONCLEX => {
            cx.p.fds.set_cloexec(fd, req == FIOCLEX)?;
            return Ok(0);
        }
        FIONBIO => {
            let on: i32 = read_val(cx.k, &cx.p.mm, arg)?;
            let flags = f.flags();
            f.set_status_flags(if on != 0 {
                flags | OpenFlags::NONBLOCK
            } else {
                flags - OpenFlags::NONBLOCK
            });
            return Ok(0);
        }
        FIOASYNC => return super::fown::fioasync(cx, &f, arg),
        _ => {}
    }
    match &f.kind {
        FileKind::Special(ops) if req == FIONREAD => {
            write_val(cx.k, &cx.p.mm, arg, &(ops.available() as i32))?;
            Ok(0)
        }
        FileKind::Special(ops) => ops.ioctl(req, arg),
        FileKind::Node { path, handle } => {
            let h = handle.as_ref().ok_or(Errno::EBADF)?;
            if h.is_tty() {
                return super::tty::tty_ioctl(cx, h.as_ref(), req, arg);
            }
            if req == FIONREAD {
                let n = match h.available() {
                    Some(n) => n as u64,
                    None => {
                        let a = path.dentry.vnode().getattr()?;
                        if a.is_dir() {
                            return Err(Errno::ENOTTY);
                        }
                        a.size.saturating_sub(*f.offset.lock())
                    }
                };
                write_val(cx.k, &cx.p.mm, arg, &(n.min(i32::MAX as u64) as i32))?;
                return Ok(0);
            }
            Err(Errno::ENOTTY)
        }
    }
}
