//! sendfile(2): from a file to a socket (nginx's static files) or to any
//! writable fd, through a kernel buffer.

use super::file::{nonblocking, socket_of, Sock, SocketFile};
use super::wait::{block_on, kick, Want};
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{FileKind, FileRef, FileType, OpenFlags};

const MAX_RW_COUNT: u64 = 0x7fff_f000;
const CHUNK: usize = 256 * 1024;

/// Where the data goes.
enum Sink {
    Socket(FileRef, Arc<SocketFile>),
    File(FileRef),
}

impl Sink {
    /// Writes as much of `data` as the destination takes (waiting as its
    /// O_NONBLOCK says before the first byte only).
    fn write(&self, cx: &mut Cx, data: &[u8], first: bool) -> Result<usize, Errno> {
        match self {
            Sink::Socket(f, s) => {
                let nonblock = nonblocking(f) || !first;
                let timeout = s.opts.lock().sndtimeo;
                let r = match &s.sock {
                    Sock::Tcp(t) => {
                        block_on(cx, s, nonblock, Want::Write, timeout, &mut || t.send(data))
                    }
                    Sock::Udp(u) => block_on(cx, s, nonblock, Want::Write, timeout, &mut || {
                        u.send_to(data, None)
                    }),
                    Sock::Unix(u) => return super::unix::write_some(cx, s, u, data, nonblock),
                };
                kick(cx);
                r
            }
            Sink::File(f) => write_file(cx, f, data, first),
        }
    }
}

fn write_file(cx: &mut Cx, f: &FileRef, data: &[u8], first: bool) -> Result<usize, Errno> {
    let nonblock = f.flags().contains(OpenFlags::NONBLOCK) || !first;
    match &f.kind {
        FileKind::Special(ops) => loop {
            match ops.write(data) {
                Err(Errno::EAGAIN) if !nonblock => {
                    cx.wait(&mut || ops.poll().can_write(), None)?;
                }
                r => return r,
            }
        },
        FileKind::Node { .. } => {
            let h = f.handle()?.clone();
            if h.is_stream() {
                return loop {
                    match h.write_at(0, data) {
                        Err(Errno::EAGAIN) if !nonblock => {
                            cx.wait(&mut || h.poll().1, None)?;
                        }
                        r => break r,
                    }
                };
            }
            let mut off = f.offset.lock();
            let n = h.write_at(*off, data)?;
            *off += n as u64;
            Ok(n)
        }
    }
}

/// The file to read: a regular file opened for reading.
fn source(cx: &Cx, fd: u64) -> Result<(FileRef, Arc<dyn lintel_vfs::Handle>), Errno> {
    let f = cx.p.fds.get(fd as u32 as i32)?;
    if !f.flags().readable() {
        return Err(Errno::EBADF);
    }
    let FileKind::Node { path, handle } = &f.kind else {
        return Err(Errno::EINVAL);
    };
    let h = handle.clone().ok_or(Errno::EBADF)?;
    if h.is_stream() || path.dentry.vnode().file_type()? == FileType::Directory {
        return Err(Errno::EINVAL);
    }
    Ok((f.clone(), h))
}

pub fn sys_sendfile(cx: &mut Cx, out_fd: u64, in_fd: u64, offp: u64, count: u64) -> SysResult {
    let (inf, h) = source(cx, in_fd)?;
    let sink = match socket_of(cx, out_fd) {
        Ok((f, s)) => Sink::Socket(f, s),
        Err(Errno::ENOTSOCK) => Sink::File(cx.p.fds.get(out_fd as u32 as i32)?.clone()),
        Err(e) => return Err(e),
    };
    let out = match &sink {
        Sink::Socket(f, _) | Sink::File(f) => f.clone(),
    };
    if !out.flags().writable() {
        return Err(Errno::EBADF);
    }
    if out.flags().contains(OpenFlags::APPEND) {
        return Err(Errno::EINVAL);
    }
    let mut pos = if offp != 0 {
        let p: u64 = read_val(cx.k, &cx.p.mm, offp)?;
        if (p as i64) < 0 {
            return Err(Errno::EINVAL);
        }
        p
    } else {
        *inf.offset.lock()
    };
    let count = count.min(MAX_RW_COUNT);
    let mut buf: Vec<u8> = alloc::vec![0; (count as usize).min(CHUNK)];
    let mut done = 0u64;
    let mut err = None;
    while done < count {
        let n = ((count - done) as usize).min(buf.len());
        let got = match h.read_at(pos, &mut buf[..n]) {
            Ok(0) => break,
            Ok(g) => g,
            Err(e) => {
                err = Some(e);
                break;
            }
        };
        let mut off = 0;
        while off < got {
            match sink.write(cx, &buf[off..got], done == 0 && off == 0) {
                Ok(0) => break,
                Ok(w) => off += w,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        done += off as u64;
        pos += off as u64;
        if off < got || err.is_some() {
            break;
        }
    }
    if offp != 0 {
        write_val(cx.k, &cx.p.mm, offp, &pos)?;
    } else {
        *inf.offset.lock() = pos;
    }
    match err {
        Some(e) if done == 0 => {
            if e == Errno::EPIPE {
                crate::signal::raise(cx.p, crate::signal::SIGPIPE);
            }
            Err(e)
        }
        _ => Ok(done),
    }
}
