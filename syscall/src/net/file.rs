//! `SocketFile`: a socket as an open file, and finding one by fd.

use crate::{Cx, Errno};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use lintel_net::{PollEvents, TcpSocket, UdpSocket};
use lintel_vfs::{FileKind, FileOps, FileRef, OpenFlags, VfsResult, S_IFMT};
use spin::Mutex;

/// `st_mode` of a socket: S_IFSOCK, rwx for all (as Linux's sockfs).
const SOCKET_MODE: u32 = 0o140777;
const S_IFSOCK: u32 = 0o140000;

static NEXT_INO: AtomicU64 = AtomicU64::new(1 << 20);

/// Every live socket by inode number: how a `FileOps` found in the fd
/// table is known to be a socket (the trait has no downcast).
static SOCKETS: Mutex<BTreeMap<u64, Weak<SocketFile>>> = Mutex::new(BTreeMap::new());

pub enum Sock {
    Tcp(TcpSocket),
    Udp(UdpSocket),
    Unix(Arc<super::unix::UnixSocket>),
}

/// Socket options that only need storing (or that the syscall layer
/// itself acts on): Linux's values and defaults.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub rcvbuf: i32,
    pub sndbuf: i32,
    pub keepalive: bool,
    pub keepidle: i32,
    pub keepintvl: i32,
    pub keepcnt: i32,
    pub linger: (i32, i32),
    /// SO_RCVTIMEO / SO_SNDTIMEO in ns (0: wait forever).
    pub rcvtimeo: u64,
    pub sndtimeo: u64,
    pub rcvlowat: i32,
    pub defer_accept: i32,
    pub cork: bool,
    pub oobinline: bool,
    /// AF_UNIX's SO_REUSEADDR/SO_REUSEPORT (TCP and UDP keep theirs in
    /// the stack, which acts on them).
    pub reuseaddr: bool,
    pub reuseport: bool,
}

impl Opts {
    fn new(tcp: bool) -> Opts {
        Opts {
            // Linux's defaults (tcp_rmem[1], tcp_wmem[1]; rmem_default for UDP).
            rcvbuf: if tcp { 131072 } else { 212992 },
            sndbuf: if tcp { 16384 } else { 212992 },
            keepalive: false,
            keepidle: 7200,
            keepintvl: 75,
            keepcnt: 9,
            linger: (0, 0),
            rcvtimeo: 0,
            sndtimeo: 0,
            rcvlowat: 1,
            defer_accept: 0,
            cork: false,
            oobinline: false,
            reuseaddr: false,
            reuseport: false,
        }
    }
}

pub struct SocketFile {
    pub sock: Sock,
    pub opts: Mutex<Opts>,
    ino: u64,
}

impl SocketFile {
    /// A new socket, registered; `opts` None: the defaults.
    pub fn new(sock: Sock, opts: Option<Opts>) -> Arc<SocketFile> {
        let tcp = matches!(sock, Sock::Tcp(_));
        let f = Arc::new(SocketFile {
            sock,
            opts: Mutex::new(opts.unwrap_or(Opts::new(tcp))),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        });
        SOCKETS.lock().insert(f.ino, Arc::downgrade(&f));
        f
    }

    /// An AF_UNIX socket's file (Linux's defaults, as UDP's).
    pub fn unix(u: Arc<super::unix::UnixSocket>) -> Arc<SocketFile> {
        SocketFile::new(Sock::Unix(u), None)
    }

    pub fn tcp(&self) -> Option<&TcpSocket> {
        match &self.sock {
            Sock::Tcp(t) => Some(t),
            _ => None,
        }
    }

    pub fn unix_socket(&self) -> Option<&Arc<super::unix::UnixSocket>> {
        match &self.sock {
            Sock::Unix(u) => Some(u),
            _ => None,
        }
    }

    pub fn is_tcp(&self) -> bool {
        self.tcp().is_some()
    }

    pub fn poll(&self) -> PollEvents {
        match &self.sock {
            Sock::Tcp(t) => t.poll(),
            Sock::Udp(u) => u.poll(),
            Sock::Unix(u) => u.poll(),
        }
    }

    /// Whether EPIPE from a send also raises SIGPIPE (not for AF_UNIX
    /// datagram and SEQPACKET sockets, as Linux).
    pub fn epipe_signals(&self) -> bool {
        match &self.sock {
            Sock::Unix(u) => super::unix::epipe_signals(u),
            _ => true,
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        SOCKETS.lock().remove(&self.ino);
        // The last file is gone: the socket closes (its peer learns).
        if let Sock::Unix(u) = &self.sock {
            u.release(false);
        }
    }
}

impl FileOps for SocketFile {
    /// read(2): recv with no flags.
    fn read(&self, buf: &mut [u8]) -> VfsResult<usize> {
        match &self.sock {
            Sock::Tcp(t) => t.recv(buf, false),
            Sock::Udp(u) => u.recv_from(buf, false).map(|d| d.copied),
            Sock::Unix(u) => super::unix::read(u, buf),
        }
    }
    /// write(2): send with no flags (the caller raises SIGPIPE on EPIPE).
    fn write(&self, data: &[u8]) -> VfsResult<usize> {
        match &self.sock {
            Sock::Tcp(t) => t.send(data),
            Sock::Udp(u) => u.send_to(data, None),
            // No process here, so no sender's credentials (write(2) goes
            // through `msg`, which knows the caller).
            Sock::Unix(u) => super::unix::write(u, super::unix::Ucred::NONE, data),
        }
    }
    fn poll(&self) -> PollEvents {
        SocketFile::poll(self)
    }
    fn event_seq(&self) -> u64 {
        match &self.sock {
            Sock::Tcp(t) => t.event_seq(),
            Sock::Udp(u) => u.event_seq(),
            Sock::Unix(u) => u.event_seq(),
        }
    }
    fn mode(&self) -> u32 {
        SOCKET_MODE
    }
    fn ino(&self) -> u64 {
        self.ino
    }
    fn describe(&self) -> Vec<u8> {
        format!("socket:[{}]", self.ino).into_bytes()
    }
    /// FIONREAD: TCP's queued bytes, UDP's next datagram. (Linux says
    /// EINVAL for a listener; the generic ioctl path reports 0.)
    fn available(&self) -> usize {
        match &self.sock {
            Sock::Tcp(t) => t.available().unwrap_or(0),
            Sock::Udp(u) => u.available(),
            Sock::Unix(u) => u.available(),
        }
    }
}

/// The socket open at `fd`: EBADF for no file, ENOTSOCK for another kind.
pub fn socket_of(cx: &Cx, fd: u64) -> Result<(FileRef, Arc<SocketFile>), Errno> {
    let f = cx.p.fds.get(fd as u32 as i32)?;
    let s = socket_file(&f).ok_or(Errno::ENOTSOCK)?;
    Ok((f, s))
}

/// The socket `f` is, if it is one.
pub fn socket_file(f: &FileRef) -> Option<Arc<SocketFile>> {
    let FileKind::Special(ops) = &f.kind else {
        return None;
    };
    if ops.mode() & S_IFMT != S_IFSOCK {
        return None;
    }
    let s = SOCKETS.lock().get(&ops.ino()).and_then(Weak::upgrade)?;
    // The same object, not just the same number.
    (Arc::as_ptr(ops) as *const u8 == Arc::as_ptr(&s) as *const u8).then_some(s)
}

pub fn nonblocking(f: &FileRef) -> bool {
    f.flags().contains(OpenFlags::NONBLOCK)
}
