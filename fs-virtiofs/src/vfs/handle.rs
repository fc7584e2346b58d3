//! `FuseHandle`: an open file or directory, owning its daemon file handle
//! (RELEASE / RELEASEDIR when the last reference drops). Reads and writes
//! use the caller's buffer directly; the client splits them into requests.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use super::attr::{self, dirent_kind, usable_name};
use super::vnode::FuseVnode;
use super::Shared;
use crate::client::{Node, OpenFile};
use lintel_vfs::dirbatch::DirBatch;
use lintel_vfs::{DirEntry, Errno, FileType, Handle, OpenFlags, VfsResult};

/// Bytes asked for per READDIR(PLUS) (lowered to the read chunk).
const READDIR_CHUNK: u32 = 32 * 1024;

pub struct FuseHandle {
    vnode: Arc<FuseVnode>,
    file: OpenFile,
    flags: OpenFlags,
    /// FSYNC after each write: O_SYNC/O_DSYNC (Some(datasync)) on the
    /// handle CREATE opened, which was opened without them.
    sync_writes: Option<bool>,
    dir: Mutex<DirBatch>,
}

/// Opens `v`: the handle CREATE opened if `v` was just created, else an
/// OPEN (OPENDIR). Devices, FIFOs and sockets are not opened on the
/// daemon (that would reach the host's), as in Linux.
pub(super) fn open(v: &FuseVnode, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
    let (file, sync_writes) = match v.kind {
        FileType::Regular => match v.take_created() {
            Some(f) => {
                let sync = flags
                    .contains(OpenFlags::DSYNC)
                    .then_some(!flags.contains(OpenFlags::SYNC));
                (f, sync)
            }
            None => (v.fs.client.open(&v.node, attr::open_flags(flags))?, None),
        },
        FileType::Directory => (v.fs.client.opendir(&v.node, attr::open_flags(flags))?, None),
        FileType::Symlink => return Err(Errno::ELOOP),
        _ => return Err(Errno::ENXIO),
    };
    Ok(Arc::new(FuseHandle {
        vnode: v.arc()?,
        file,
        flags,
        sync_writes,
        dir: Mutex::new(DirBatch::default()),
    }))
}

impl FuseHandle {
    /// The daemon's file handle (for tests and diagnostics).
    pub fn fh(&self) -> u64 {
        self.file.fh()
    }

    fn fs(&self) -> &Arc<Shared> {
        &self.vnode.fs
    }

    /// Reads the batch at `from` into `b`: READDIRPLUS while the daemon
    /// lets names be cached (its entries then fill the caches), READDIR
    /// otherwise (cache=none: each entry's node would be forgotten at once).
    /// Entries whose names no program could use are skipped.
    fn fetch(&self, b: &mut DirBatch, from: u64) -> VfsResult<()> {
        let plus = self.fs().use_readdirplus();
        let mut at = from;
        loop {
            let mut entries = Vec::new();
            let mut unused: Vec<Node> = Vec::new();
            let mut last = at;
            let t = self.fs().versions.ticket();
            let n = if plus {
                self.fs()
                    .client
                    .readdirplus(&self.file, at, READDIR_CHUNK, |p| {
                        last = p.dirent.off;
                        let mode = p.entry.as_ref().map(|e| e.attr.mode);
                        let name = p.dirent.name;
                        if usable_name(name) {
                            entries.push(DirEntry {
                                ino: p.dirent.ino,
                                kind: dirent_kind(p.dirent.typ, mode),
                                name: name.to_vec(),
                                next: p.dirent.off,
                            });
                        }
                        if let Some(e) = p.entry {
                            let keep = usable_name(name) && name != b"." && name != b"..";
                            if let Some(node) =
                                Shared::offer(self.fs(), self.vnode.nodeid(), name, e, t, keep)
                            {
                                unused.push(node);
                            }
                        }
                    })
            } else {
                self.fs()
                    .client
                    .readdir(&self.file, at, READDIR_CHUNK, |d| {
                        last = d.off;
                        if usable_name(d.name) {
                            entries.push(DirEntry {
                                ino: d.ino,
                                kind: dirent_kind(d.typ, None),
                                name: d.name.to_vec(),
                                next: d.off,
                            });
                        }
                    })
            };
            self.fs().client.forget_nodes(unused);
            let n = n?;
            if n == 0 || !entries.is_empty() {
                *b = DirBatch {
                    from,
                    entries,
                    valid: true,
                };
                return Ok(());
            }
            // Only unusable names: go on, unless the daemon stands still.
            if last == at {
                return Err(Errno::EIO);
            }
            at = last;
        }
    }
}

impl Handle for FuseHandle {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        if self.file.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !self.flags.readable() {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.fs().client.read(&self.file, off, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> VfsResult<usize> {
        if self.file.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !self.flags.writable() {
            return Err(Errno::EBADF);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let r = self.fs().client.write(&self.file, off, data);
        self.vnode.invalidate_attr(); // size, mtime
        let n = r?;
        if let Some(datasync) = self.sync_writes {
            self.fs().client.fsync(&self.file, datasync)?;
        }
        Ok(n)
    }

    /// READDIR(PLUS) from the cookie `cookie` (an entry's `off`); entries
    /// are the daemon's, "." and ".." included as it sends them. A
    /// directory we removed is ENOENT, as Linux's iterate_dir says of a
    /// dead one.
    fn readdir(&self, cookie: u64, sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        if !self.file.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.vnode.is_dead() {
            return Err(Errno::ENOENT);
        }
        // Not held across round trips: work on the batch, then put it back.
        let mut b = core::mem::take(&mut *self.dir.lock());
        let r = b.list(cookie, sink, &mut |b, at| self.fetch(b, at));
        *self.dir.lock() = b;
        r
    }

    /// FSYNC, or FSYNCDIR on a directory.
    fn fsync(&self, datasync: bool) -> VfsResult<()> {
        self.fs().client.fsync(&self.file, datasync)
    }
}
