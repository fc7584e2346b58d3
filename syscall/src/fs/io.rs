//! read, write, pread64, pwrite64, readv, writev, preadv, pwritev, lseek.
//! Data moves through a kernel buffer in chunks; a fault part-way returns
//! what was transferred, as Linux does.

use crate::abi::Iovec;
use crate::user::{read_bytes, read_val, write_bytes, Pod};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;
use lintel_vfs::{FileKind, FileRef, FileType, OpenFlags};

/// Linux's MAX_RW_COUNT: one call moves at most this much.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const UIO_MAXIOV: u64 = 1024;
/// Data moves through a per-process kernel buffer of up to this much per
/// step: large enough for a 9p/FUSE request of the negotiated maximum size.
const CHUNK: usize = 512 * 1024;

/// The process's I/O buffer, at least `n` bytes (zero-filled only when it
/// grows); give it back with `put_buf`.
fn take_buf(cx: &mut Cx, n: usize) -> Vec<u8> {
    let mut b = core::mem::take(&mut cx.p.io_buf);
    if b.len() < n {
        b.resize(n, 0);
    }
    b
}

fn put_buf(cx: &mut Cx, b: Vec<u8>) {
    cx.p.io_buf = b;
}

fn file(cx: &Cx, fd: u64) -> Result<FileRef, Errno> {
    Ok(cx.p.fds.get(fd as u32 as i32)?.clone())
}

/// Reads into the user range [buf, buf+count) from `f` at `pos`
/// (None: the file offset, or none for streams).
fn read_into(cx: &mut Cx, f: &FileRef, buf: u64, count: u64, pos: Option<u64>) -> SysResult {
    if !f.flags().readable() {
        return Err(Errno::EBADF);
    }
    let count = count.min(MAX_RW_COUNT);
    let nonblock = f.flags().contains(OpenFlags::NONBLOCK);
    match &f.kind {
        FileKind::Special(ops) => {
            if pos.is_some() {
                return Err(Errno::ESPIPE);
            }
            if count == 0 {
                return Ok(0);
            }
            let want = (count as usize).min(CHUNK);
            crate::user::prepare(cx.k, &cx.p.mm, buf, want as u64, true)?;
            let mut tmp = take_buf(cx, want);
            let r = blocking(cx, nonblock, &mut || ops.poll().can_read(), &mut || {
                ops.read(&mut tmp[..want])
            })
            .and_then(|n| write_bytes(cx.k, &cx.p.mm, buf, &tmp[..n]).map(|_| n as u64));
            put_buf(cx, tmp);
            r
        }
        FileKind::Node { path, .. } => {
            let h = f.handle()?.clone();
            if path.dentry.vnode().file_type()? == FileType::Directory {
                return Err(Errno::EISDIR);
            }
            let stream = h.is_stream();
            if stream && pos.is_some() {
                return Err(Errno::ESPIPE);
            }
            let mut off = match pos {
                Some(p) => p,
                None => *f.offset.lock(),
            };
            let mut tmp = take_buf(cx, (count as usize).min(CHUNK));
            let mut done = 0u64;
            while done < count {
                let n = ((count - done) as usize).min(tmp.len());
                let dst = buf + done;
                if let Err(e) = crate::user::prepare(cx.k, &cx.p.mm, dst, n as u64, true) {
                    if done == 0 {
                        return Err(e);
                    }
                    break;
                }
                let chunk = &mut tmp[..n];
                let r = if stream {
                    blocking(cx, nonblock, &mut || h.poll().0, &mut || {
                        h.read_at(off, chunk)
                    })
                } else {
                    h.read_at(off, chunk)
                };
                let got = match r {
                    Ok(g) => g,
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                };
                write_bytes(cx.k, &cx.p.mm, dst, &tmp[..got])?;
                done += got as u64;
                off += got as u64;
                // Short reads end the call: EOF, or a stream with nothing more now.
                if got < n || stream {
                    break;
                }
            }
            if pos.is_none() && !stream {
                *f.offset.lock() = off;
            }
            put_buf(cx, tmp);
            Ok(done)
        }
    }
}

/// Writes the user range [buf, buf+count) to `f` at `pos` (None: the file
/// offset; O_APPEND: the end, even for pwrite, as Linux does).
fn write_from(cx: &mut Cx, f: &FileRef, buf: u64, count: u64, pos: Option<u64>) -> SysResult {
    if !f.flags().writable() {
        return Err(Errno::EBADF);
    }
    let count = count.min(MAX_RW_COUNT);
    let nonblock = f.flags().contains(OpenFlags::NONBLOCK);
    match &f.kind {
        FileKind::Special(ops) => {
            if pos.is_some() {
                return Err(Errno::ESPIPE);
            }
            let mut tmp = take_buf(cx, (count as usize).min(CHUNK));
            let mut done = 0u64;
            while done < count {
                let n = ((count - done) as usize).min(tmp.len());
                if let Err(e) = read_bytes(cx.k, &cx.p.mm, buf + done, &mut tmp[..n]) {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                let chunk = &tmp[..n];
                let r = if done == 0 {
                    blocking(cx, nonblock, &mut || ops.poll().can_write(), &mut || {
                        ops.write(chunk)
                    })
                } else {
                    // After progress, return what was written rather than wait.
                    ops.write(chunk).or(Ok(0))
                };
                match r {
                    Ok(w) => {
                        done += w as u64;
                        if w < n {
                            break;
                        }
                    }
                    Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
                }
            }
            put_buf(cx, tmp);
            Ok(done)
        }
        FileKind::Node { path, .. } => {
            let h = f.handle()?.clone();
            let stream = h.is_stream();
            if stream && pos.is_some() {
                return Err(Errno::ESPIPE);
            }
            let vnode = path.dentry.vnode().clone();
            // Holding the offset lock makes O_APPEND writes atomic among sharers.
            let mut offset = f.offset.lock();
            let mut off = match pos {
                _ if f.flags().contains(OpenFlags::APPEND) && !stream => vnode.getattr()?.size,
                Some(p) => p,
                None => *offset,
            };
            let mut tmp = take_buf(cx, (count as usize).min(CHUNK));
            let mut done = 0u64;
            while done < count {
                let n = ((count - done) as usize).min(tmp.len());
                if let Err(e) = read_bytes(cx.k, &cx.p.mm, buf + done, &mut tmp[..n]) {
                    if done == 0 {
                        return Err(e);
                    }
                    break;
                }
                let chunk = &tmp[..n];
                let r = if stream {
                    blocking(cx, nonblock, &mut || h.poll().1, &mut || {
                        h.write_at(off, chunk)
                    })
                } else {
                    h.write_at(off, chunk)
                };
                match r {
                    Ok(w) => {
                        done += w as u64;
                        off += w as u64;
                        if w < n {
                            break;
                        }
                    }
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                }
            }
            if pos.is_none() && !stream {
                *offset = off;
            }
            drop(offset);
            put_buf(cx, tmp);
            Ok(done)
        }
    }
}

/// Runs `op`; while it reports EAGAIN on a blocking file, waits for `ready`.
fn blocking<T>(
    cx: &mut Cx,
    nonblock: bool,
    ready: &mut dyn FnMut() -> bool,
    op: &mut dyn FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    loop {
        match op() {
            Err(Errno::EAGAIN) if !nonblock => {
                cx.wait(ready, None)?;
            }
            r => return r,
        }
    }
}

pub fn sys_read(cx: &mut Cx, fd: u64, buf: u64, count: u64) -> SysResult {
    let f = file(cx, fd)?;
    if crate::net::is_socket(&f) {
        let iov = alloc::vec![Iovec {
            base: buf,
            len: count
        }];
        return crate::net::socket_rw(cx, &f, iov, false);
    }
    read_into(cx, &f, buf, count, None)
}

pub fn sys_write(cx: &mut Cx, fd: u64, buf: u64, count: u64) -> SysResult {
    let f = file(cx, fd)?;
    let r = if crate::net::is_socket(&f) {
        let iov = alloc::vec![Iovec {
            base: buf,
            len: count
        }];
        crate::net::socket_rw(cx, &f, iov, true)
    } else {
        write_from(cx, &f, buf, count, None)
    };
    sigpipe(cx, &f, r)
}

/// A write to a broken pipe or stream socket also raises SIGPIPE, as on
/// Linux (an AF_UNIX datagram or SEQPACKET socket's EPIPE does not).
fn sigpipe(cx: &mut Cx, f: &FileRef, r: SysResult) -> SysResult {
    if r == Err(Errno::EPIPE) && crate::net::epipe_signals(f) {
        crate::signal::raise(cx.p, crate::signal::SIGPIPE);
    }
    r
}

fn position(pos: u64) -> Result<u64, Errno> {
    if (pos as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(pos)
}

pub fn sys_pread64(cx: &mut Cx, fd: u64, buf: u64, count: u64, pos: u64) -> SysResult {
    let f = file(cx, fd)?;
    read_into(cx, &f, buf, count, Some(position(pos)?))
}

pub fn sys_pwrite64(cx: &mut Cx, fd: u64, buf: u64, count: u64, pos: u64) -> SysResult {
    let f = file(cx, fd)?;
    write_from(cx, &f, buf, count, Some(position(pos)?))
}

pub(crate) fn read_iovecs(cx: &mut Cx, iov: u64, cnt: u64) -> Result<Vec<Iovec>, Errno> {
    if cnt > UIO_MAXIOV {
        return Err(Errno::EINVAL);
    }
    let mut v = Vec::with_capacity(cnt as usize);
    let mut total = 0u64;
    for i in 0..cnt {
        let e: Iovec = read_val(
            cx.k,
            &cx.p.mm,
            iov.checked_add(i * Iovec::SIZE as u64)
                .ok_or(Errno::EFAULT)?,
        )?;
        total = total
            .checked_add(e.len)
            .filter(|&t| t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
        v.push(e);
    }
    Ok(v)
}

fn vectored(cx: &mut Cx, fd: u64, iov: u64, cnt: u64, pos: Option<u64>, write: bool) -> SysResult {
    let f = file(cx, fd)?;
    let iovs = read_iovecs(cx, iov, cnt)?;
    // A socket takes the vector as one message (sock_write_iter).
    if pos.is_none() && crate::net::is_socket(&f) {
        return crate::net::socket_rw(cx, &f, iovs, write);
    }
    let mut done = 0u64;
    for e in iovs {
        if e.len == 0 {
            continue;
        }
        let at = pos.map(|p| p + done);
        let r = if write {
            write_from(cx, &f, e.base, e.len, at)
        } else {
            read_into(cx, &f, e.base, e.len, at)
        };
        match r {
            Ok(n) => {
                done += n;
                if n < e.len {
                    break;
                }
            }
            Err(err) => return if done > 0 { Ok(done) } else { Err(err) },
        }
    }
    // With nothing to move the checks still apply (EBADF for a write-only fd...).
    if done == 0 && cnt == 0 && (write && !f.flags().writable() || !write && !f.flags().readable())
    {
        return Err(Errno::EBADF);
    }
    Ok(done)
}

pub fn sys_readv(cx: &mut Cx, fd: u64, iov: u64, cnt: u64) -> SysResult {
    vectored(cx, fd, iov, cnt, None, false)
}

pub fn sys_writev(cx: &mut Cx, fd: u64, iov: u64, cnt: u64) -> SysResult {
    let r = vectored(cx, fd, iov, cnt, None, true);
    match cx.p.fds.get(fd as u32 as i32) {
        Ok(f) => sigpipe(cx, &f, r),
        Err(_) => r,
    }
}

pub fn sys_preadv(cx: &mut Cx, fd: u64, iov: u64, cnt: u64, pos: u64) -> SysResult {
    vectored(cx, fd, iov, cnt, Some(position(pos)?), false)
}

pub fn sys_pwritev(cx: &mut Cx, fd: u64, iov: u64, cnt: u64, pos: u64) -> SysResult {
    vectored(cx, fd, iov, cnt, Some(position(pos)?), true)
}

const SEEK_SET: u64 = 0;
const SEEK_CUR: u64 = 1;
const SEEK_END: u64 = 2;
const SEEK_DATA: u64 = 3;
const SEEK_HOLE: u64 = 4;

pub fn sys_lseek(cx: &mut Cx, fd: u64, off: u64, whence: u64) -> SysResult {
    let f = file(cx, fd)?;
    let FileKind::Node { path, handle } = &f.kind else {
        return Err(Errno::ESPIPE);
    };
    if handle.as_ref().is_some_and(|h| h.is_stream()) {
        return Err(Errno::ESPIPE);
    }
    let vnode = path.dentry.vnode();
    let ty = vnode.file_type()?;
    let off = off as i64;
    let mut cur = f.offset.lock();
    let new = match whence {
        SEEK_SET => off,
        SEEK_CUR => (*cur as i64).checked_add(off).ok_or(Errno::EOVERFLOW)?,
        SEEK_END if ty != FileType::Directory => (vnode.getattr()?.size as i64)
            .checked_add(off)
            .ok_or(Errno::EOVERFLOW)?,
        SEEK_DATA | SEEK_HOLE if ty == FileType::Regular => {
            // No holes are reported: the whole file is data, EOF the only hole.
            let size = vnode.getattr()?.size as i64;
            if off < 0 || off >= size {
                return Err(Errno::ENXIO);
            }
            if whence == SEEK_DATA {
                off
            } else {
                size
            }
        }
        _ => return Err(Errno::EINVAL),
    };
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *cur = new as u64;
    Ok(new as u64)
}
