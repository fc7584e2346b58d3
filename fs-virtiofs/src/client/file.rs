//! Open files and directories: OPEN, OPENDIR, CREATE, and everything that
//! takes a file handle. An [`OpenFile`] owns its handle and sends RELEASE
//! (RELEASEDIR) when dropped.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};

use super::entry::{check, Entry};
use super::node::Node;
use super::{Client, Session};
use crate::codec::{
    CreateIn, EntryOut, FlushIn, FsyncIn, LseekIn, LseekOut, OpenIn, OpenOut, ReleaseIn, Request,
    Wire, FSYNC_FDATASYNC, OUT_HEADER_SIZE,
};
use crate::errno::Errno;

const S_IFREG: u32 = 0o100000;

/// A daemon file handle, and the node it is open on (kept referenced so
/// the daemon keeps the node until RELEASE).
pub struct OpenFile {
    session: Arc<Session>,
    node: Node,
    fh: u64,
    /// The open(2) flags sent with OPEN; repeated in READ, WRITE, RELEASE.
    flags: u32,
    /// FOPEN_* bits of the reply.
    open_flags: u32,
    dir: bool,
}

impl OpenFile {
    fn new(session: &Arc<Session>, node: Node, out: OpenOut, flags: u32, dir: bool) -> OpenFile {
        OpenFile {
            session: session.clone(),
            node,
            fh: out.fh,
            flags,
            open_flags: out.open_flags,
            dir,
        }
    }

    pub fn fh(&self) -> u64 {
        self.fh
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// The daemon's FOPEN_* bits (direct I/O, keep cache, nonseekable…);
    /// with no page cache here, none changes what this client does.
    pub fn open_flags(&self) -> u32 {
        self.open_flags
    }

    pub fn is_dir(&self) -> bool {
        self.dir
    }

    pub(crate) fn belongs_to(&self, s: &Arc<Session>) -> bool {
        Arc::ptr_eq(&self.session, s)
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.session.is_destroyed() {
            return;
        }
        let arg = ReleaseIn {
            fh: self.fh,
            flags: self.flags,
            release_flags: 0,
            lock_owner: 0,
        };
        let req = if self.dir {
            Request::Releasedir(arg)
        } else {
            Request::Release(arg)
        };
        self.session.releases.fetch_add(1, Ordering::Relaxed);
        // Nothing to do about a failure: the handle is gone for us either way.
        let _ = self.session.call_empty(self.node.id(), &req);
    }
}

/// The ENOSYS rule for FLUSH and FSYNC: a daemon without them has nothing
/// to flush, so success, and the request is not sent again.
fn unless_enosys(r: Result<(), Errno>, no: &AtomicBool) -> Result<(), Errno> {
    match r {
        Err(Errno::ENOSYS) => {
            no.store(true, Ordering::Relaxed);
            Ok(())
        }
        r => r,
    }
}

impl Client {
    fn check_file(&self, f: &OpenFile) -> Result<(), Errno> {
        if f.belongs_to(&self.session) {
            Ok(())
        } else {
            Err(Errno::EBADF)
        }
    }

    fn open_common(&self, node: &Node, flags: u32, dir: bool) -> Result<OpenFile, Errno> {
        let id = self.id(node)?;
        let arg = OpenIn {
            flags,
            open_flags: 0,
        };
        let req = if dir {
            Request::Opendir(arg)
        } else {
            Request::Open(arg)
        };
        let out: OpenOut = self.session.call_fixed(id, &req)?;
        Ok(OpenFile::new(&self.session, node.clone(), out, flags, dir))
    }

    /// OPEN with open(2) `flags` (the caller leaves out what the daemon
    /// must not see, e.g. O_CREAT, O_EXCL, O_TRUNC).
    pub fn open(&self, node: &Node, flags: u32) -> Result<OpenFile, Errno> {
        self.open_common(node, flags, false)
    }

    pub fn opendir(&self, node: &Node, flags: u32) -> Result<OpenFile, Errno> {
        self.open_common(node, flags, true)
    }

    /// CREATE: makes and opens the regular file `name` in `parent`. A bad
    /// entry is released and forgotten before the EIO.
    pub fn create(
        &self,
        parent: &Node,
        name: &[u8],
        flags: u32,
        mode: u32,
        umask: u32,
    ) -> Result<(Entry, OpenFile), Errno> {
        let p = self.id(parent)?;
        super::ops::check_name(name)?;
        let arg = CreateIn {
            flags,
            mode: S_IFREG | (mode & 0o7777),
            umask,
            open_flags: 0,
        };
        let mut buf = [0u8; EntryOut::SIZE + OpenOut::SIZE];
        let n = self
            .session
            .call(p, &Request::Create { arg, name }, &[], &mut buf)?;
        if n != buf.len() {
            return Err(Errno::EIO);
        }
        let (e, o) = buf.split_at(EntryOut::SIZE);
        let (e, o) = (EntryOut::from_bytes(e)?, OpenOut::from_bytes(o)?);
        if e.nodeid == 0 {
            return Err(Errno::EIO);
        }
        // Counted and opened by the daemon whatever we think of the entry.
        let node = Node::looked_up(&self.session, e.nodeid);
        let file = OpenFile::new(&self.session, node.clone(), o, flags, false);
        match check(node, &e, Some(S_IFREG), false) {
            Ok(entry) => Ok((entry, file)),
            Err(err) => {
                drop(file);
                Err(err)
            }
        }
    }

    /// FLUSH: a close(2) of one descriptor of the file.
    pub fn flush(&self, f: &OpenFile) -> Result<(), Errno> {
        self.check_file(f)?;
        if self.session.no_flush.load(Ordering::Relaxed) {
            return Ok(());
        }
        let req = Request::Flush(FlushIn {
            fh: f.fh,
            unused: 0,
            padding: 0,
            lock_owner: 0,
        });
        unless_enosys(
            self.session.call_empty(f.node.id(), &req),
            &self.session.no_flush,
        )
    }

    /// FSYNC (FSYNCDIR for a directory); `datasync` as fdatasync(2).
    pub fn fsync(&self, f: &OpenFile, datasync: bool) -> Result<(), Errno> {
        self.check_file(f)?;
        let no = if f.dir {
            &self.session.no_fsyncdir
        } else {
            &self.session.no_fsync
        };
        if no.load(Ordering::Relaxed) {
            return Ok(());
        }
        let arg = FsyncIn {
            fh: f.fh,
            fsync_flags: if datasync { FSYNC_FDATASYNC } else { 0 },
            padding: 0,
        };
        let req = if f.dir {
            Request::Fsyncdir(arg)
        } else {
            Request::Fsync(arg)
        };
        unless_enosys(self.session.call_empty(f.node.id(), &req), no)
    }

    /// LSEEK for SEEK_DATA (3) and SEEK_HOLE (4): the offset found.
    pub fn lseek(&self, f: &OpenFile, offset: u64, whence: u32) -> Result<u64, Errno> {
        self.check_file(f)?;
        let req = Request::Lseek(LseekIn {
            fh: f.fh,
            offset,
            whence,
            padding: 0,
        });
        let out: LseekOut = self.session.call_fixed(f.node.id(), &req)?;
        Ok(out.offset)
    }
}

const _: () = assert!(OUT_HEADER_SIZE + EntryOut::SIZE + OpenOut::SIZE <= 256);
