//! `NineHandle`: an open file or directory, owning its own open fid
//! (clunked when the last reference drops). Reads and writes use the
//! caller's buffer directly; the client splits them to fit msize.

use super::attr::{self, dirent_kind, qid_kind};
use super::vnode::NineVnode;
use super::Shared;
use crate::codec::getattr_mask;
use crate::fid::Fid;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::dirbatch::DirBatch;
use lintel_vfs::{DirEntry, Errno, FileType, Handle, OpenFlags, VfsResult};
use spin::Mutex;

/// Bytes asked for per Treaddir (lowered to fit msize by the client).
const READDIR_CHUNK: u32 = 32 * 1024;

pub struct NineHandle {
    fs: Arc<Shared>,
    fid: Arc<Fid>,
    /// A directory's walked (not opened) fid, shared with its vnode, to
    /// walk to entries whose type the server did not tell; None for the
    /// root (the client's own fid) and for files.
    walked: Option<Arc<Fid>>,
    /// The file's qid path, to invalidate its cached attributes.
    key: u64,
    kind: FileType,
    flags: OpenFlags,
    /// Tfsync after each write: O_SYNC/O_DSYNC (Some(datasync)) on the fid
    /// from Tlcreate, which was opened without them.
    sync_writes: Option<bool>,
    dir: Mutex<DirBatch>,
}

/// Opens `v`: the fid Tlcreate opened if `v` was just created, else a
/// clone of its fid, Tlopen'ed. Devices, FIFOs and sockets are not opened
/// on the server (that would reach the host's), as in Linux.
pub(super) fn open(v: &NineVnode, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
    let kind = lintel_vfs::Vnode::file_type(v)?;
    match kind {
        FileType::Regular | FileType::Directory => {}
        FileType::Symlink => return Err(Errno::ELOOP),
        _ => return Err(Errno::ENXIO),
    }
    let (fid, sync_writes) = match v.take_created() {
        Some(fid) => {
            let sync = flags
                .contains(OpenFlags::DSYNC)
                .then_some(!flags.contains(OpenFlags::SYNC));
            (fid, sync)
        }
        None => {
            let fid = v.fs.client.clone_fid(v.fid())?;
            v.fs.client.lopen(&fid, attr::lopen_flags(flags))?;
            (fid, None)
        }
    };
    let fid = Arc::new(fid);
    v.add_opened(&fid, flags.writable());
    let walked = match kind {
        FileType::Directory => v.shared_fid(),
        _ => None,
    };
    Ok(Arc::new(NineHandle {
        fs: v.fs.clone(),
        fid,
        walked,
        key: v.key(),
        kind,
        flags,
        sync_writes,
        dir: Mutex::new(DirBatch::default()),
    }))
}

impl NineHandle {
    /// The open fid (for tests and diagnostics).
    pub fn fid(&self) -> &Fid {
        &self.fid
    }

    fn file(&self) -> VfsResult<()> {
        match self.kind {
            FileType::Directory => Err(Errno::EISDIR),
            _ => Ok(()),
        }
    }

    /// The type of the entry `name`, which the server sent as DT_UNKNOWN
    /// with a plain qid (QEMU does for every entry under
    /// security_model=mapped-xattr or mapped-file, where the host's type is
    /// not the file's): a walk, whose qid tells directories and symlinks,
    /// then a Tgetattr for the rest. An entry gone meanwhile is shown as a
    /// regular file, as is anything the server will not say.
    fn kind_of(&self, name: &[u8]) -> FileType {
        let c = &self.fs.client;
        let dir = self.walked.as_deref().unwrap_or(c.root());
        let Ok((fid, qids)) = c.walk(dir, &[name]) else {
            return FileType::Regular;
        };
        let Some(qid) = qids.first() else {
            return FileType::Regular;
        };
        if let Some(k) = qid_kind(qid) {
            return k;
        }
        let mode = match self.fs.cache.get(qid.path) {
            Some(a) => Some(a.mode),
            None => c.getattr(&fid, getattr_mask::MODE).ok().map(|st| st.mode),
        };
        mode.and_then(FileType::from_mode)
            .unwrap_or(FileType::Regular)
    }

    /// Reads the batch at `from` into `b`. Entries whose names no program
    /// could use (empty, "/" or NUL inside) are skipped.
    fn fetch(&self, b: &mut DirBatch, from: u64) -> VfsResult<()> {
        let mut at = from;
        loop {
            let mut entries = Vec::new();
            // Entries of unknown type, by index, looked up after the reply.
            let mut unknown = Vec::new();
            let mut last = at;
            let n = self
                .fs
                .client
                .readdir_with(&self.fid, at, READDIR_CHUNK, |e| {
                    last = e.offset;
                    if !e.name.is_empty() && !e.name.contains(&b'/') && !e.name.contains(&0) {
                        let kind = match dirent_kind(e.ty, &e.qid) {
                            Some(k) => k,
                            None if e.name == b"." || e.name == b".." => FileType::Directory,
                            None => {
                                unknown.push(entries.len());
                                FileType::Regular
                            }
                        };
                        entries.push(DirEntry {
                            ino: e.qid.path,
                            kind,
                            name: e.name.to_vec(),
                            next: e.offset,
                        });
                    }
                })?;
            for i in unknown {
                if let Some(e) = entries.get(i) {
                    let kind = self.kind_of(&e.name);
                    entries[i].kind = kind;
                }
            }
            if n == 0 || !entries.is_empty() {
                *b = DirBatch {
                    from,
                    entries,
                    valid: true,
                };
                return Ok(());
            }
            // Only unusable names: go on, unless the server stands still.
            if last == at {
                return Err(Errno::EIO);
            }
            at = last;
        }
    }
}

impl Handle for NineHandle {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        self.file()?;
        if !self.flags.readable() {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.fs.client.read(&self.fid, off, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> VfsResult<usize> {
        self.file()?;
        if !self.flags.writable() {
            return Err(Errno::EBADF);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let r = self.fs.client.write(&self.fid, off, data);
        self.fs.cache.invalidate(self.key); // size, mtime
        let n = r?;
        if let Some(datasync) = self.sync_writes {
            self.fs.client.fsync(&self.fid, datasync)?;
        }
        Ok(n)
    }

    /// Treaddir from the 9p offset `cookie`; entries are the server's,
    /// "." and ".." included when it sends them.
    fn readdir(&self, cookie: u64, sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        if self.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        // Not held across round trips: work on the batch, then put it back.
        let mut b = core::mem::take(&mut *self.dir.lock());
        let r = b.list(cookie, sink, &mut |b, at| self.fetch(b, at));
        *self.dir.lock() = b;
        r
    }

    fn fsync(&self, datasync: bool) -> VfsResult<()> {
        self.fs.client.fsync(&self.fid, datasync)
    }
}
