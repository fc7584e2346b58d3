//! pipe and pipe2: a 64 KiB buffer between a read end and a write end.

use crate::user::write_val;
use crate::{Cx, Errno, SysResult};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use lintel_vfs::{File, FileOps, OpenFlags, PollEvents, VfsResult};
use spin::Mutex;

pub const PIPE_SIZE: usize = 65536;
static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

struct Pipe {
    buf: Mutex<VecDeque<u8>>,
    readers: AtomicUsize,
    writers: AtomicUsize,
    ino: u64,
    /// The read end's FileOps::event_seq: data written, an end closed.
    rd_seq: AtomicU64,
    /// The write end's: room made in a full pipe, an end closed. Apart,
    /// as Linux's two wait queues, so edge-triggered epoll on one end does
    /// not report what only the other end's waiters are woken for (a
    /// partial read re-arms no reader, a write no writer).
    wr_seq: AtomicU64,
}

impl Pipe {
    /// Something changed that a waiter may care about: `rd` for readers,
    /// `wr` for writers.
    fn changed(&self, rd: bool, wr: bool) {
        if rd {
            self.rd_seq.fetch_add(1, Ordering::Relaxed);
        }
        if wr {
            self.wr_seq.fetch_add(1, Ordering::Relaxed);
        }
        lintel_vfs::wake_waiters();
    }
}

struct ReadEnd(Arc<Pipe>);
struct WriteEnd(Arc<Pipe>);

// Every change a blocked reader or writer may wait for (data, room, the
// other end closing) wakes the waiters.
impl Drop for ReadEnd {
    fn drop(&mut self) {
        self.0.readers.fetch_sub(1, Ordering::Relaxed);
        self.0.changed(true, true);
    }
}

impl Drop for WriteEnd {
    fn drop(&mut self) {
        self.0.writers.fetch_sub(1, Ordering::Relaxed);
        self.0.changed(true, true);
    }
}

const MODE: u32 = 0o010600;

impl FileOps for ReadEnd {
    fn read(&self, buf: &mut [u8]) -> VfsResult<usize> {
        let mut q = self.0.buf.lock();
        if q.is_empty() {
            // EOF once no writer is left; else the caller waits.
            return if self.0.writers.load(Ordering::Relaxed) == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let was_full = q.len() >= PIPE_SIZE;
        let n = buf.len().min(q.len());
        for (d, s) in buf.iter_mut().zip(q.drain(..n)) {
            *d = s;
        }
        drop(q);
        self.0.changed(false, was_full);
        Ok(n)
    }
    fn write(&self, _: &[u8]) -> VfsResult<usize> {
        Err(Errno::EBADF)
    }
    /// Linux's pipe_poll for a reader: data, and HUP once no writer is left.
    fn poll(&self) -> PollEvents {
        let mut ev = PollEvents::empty();
        if !self.0.buf.lock().is_empty() {
            ev |= PollEvents::READABLE;
        }
        if self.0.writers.load(Ordering::Relaxed) == 0 {
            ev |= PollEvents::HUP;
        }
        ev
    }
    fn event_seq(&self) -> u64 {
        self.0.rd_seq.load(Ordering::Relaxed)
    }
    fn mode(&self) -> u32 {
        MODE
    }
    fn ino(&self) -> u64 {
        self.0.ino
    }
    fn describe(&self) -> Vec<u8> {
        format!("pipe:[{}]", self.0.ino).into_bytes()
    }
    fn available(&self) -> usize {
        self.0.buf.lock().len()
    }
}

impl FileOps for WriteEnd {
    fn read(&self, _: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EBADF)
    }
    fn write(&self, data: &[u8]) -> VfsResult<usize> {
        if self.0.readers.load(Ordering::Relaxed) == 0 {
            // SIGPIPE arrives with signal delivery; the error is the same.
            return Err(Errno::EPIPE);
        }
        let mut q = self.0.buf.lock();
        let room = PIPE_SIZE - q.len();
        if room == 0 {
            return Err(Errno::EAGAIN);
        }
        let n = data.len().min(room);
        q.extend(&data[..n]);
        drop(q);
        self.0.changed(true, false);
        Ok(n)
    }
    /// For a writer: room, and ERR once no reader is left.
    fn poll(&self) -> PollEvents {
        let mut ev = PollEvents::empty();
        if self.0.buf.lock().len() < PIPE_SIZE {
            ev |= PollEvents::WRITABLE;
        }
        if self.0.readers.load(Ordering::Relaxed) == 0 {
            ev |= PollEvents::ERR;
        }
        ev
    }
    fn event_seq(&self) -> u64 {
        self.0.wr_seq.load(Ordering::Relaxed)
    }
    fn mode(&self) -> u32 {
        MODE
    }
    fn ino(&self) -> u64 {
        self.0.ino
    }
    fn describe(&self) -> Vec<u8> {
        format!("pipe:[{}]", self.0.ino).into_bytes()
    }
    /// FIONREAD on either end counts what is buffered.
    fn available(&self) -> usize {
        self.0.buf.lock().len()
    }
}

pub fn sys_pipe2(cx: &mut Cx, fds: u64, flags: u64) -> SysResult {
    let flags = OpenFlags::from_bits_retain(flags as u32);
    if !(OpenFlags::CLOEXEC | OpenFlags::NONBLOCK | OpenFlags::DIRECT).contains(flags) {
        return Err(Errno::EINVAL);
    }
    // Check the destination before creating anything.
    crate::user::prepare(cx.k, &cx.p.mm, fds, 8, true)?;
    let pipe = Arc::new(Pipe {
        buf: Mutex::new(VecDeque::new()),
        readers: AtomicUsize::new(1),
        writers: AtomicUsize::new(1),
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        rd_seq: AtomicU64::new(0),
        wr_seq: AtomicU64::new(0),
    });
    let status = flags & (OpenFlags::NONBLOCK | OpenFlags::DIRECT);
    let r = File::new_special(Arc::new(ReadEnd(pipe.clone())), status);
    let w = File::new_special(Arc::new(WriteEnd(pipe)), status | OpenFlags::WRONLY);
    let cloexec = flags.contains(OpenFlags::CLOEXEC);
    let limit = cx.p.fd_limit();
    let rfd = cx.p.fds.insert(r, cloexec, limit)?;
    let wfd = match cx.p.fds.insert(w, cloexec, limit) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = cx.p.fds.remove(rfd);
            return Err(e);
        }
    };
    write_val(
        cx.k,
        &cx.p.mm,
        fds,
        &((rfd as u32 as u64) | (wfd as u32 as u64) << 32),
    )?;
    Ok(0)
}

pub fn sys_pipe(cx: &mut Cx, fds: u64) -> SysResult {
    sys_pipe2(cx, fds, 0)
}
