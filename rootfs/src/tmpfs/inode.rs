//! A tmpfs inode: its attributes and its contents. The inode itself is the
//! `Vnode` (see namespace.rs), so every name of a file gives the same object.

use super::dir::Dir;
use super::pages::{Pages, PAGE_SIZE};
use super::Shared;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use lintel_vfs::{Attr, Errno, FileType, SetAttr, TimeSet, Timespec, VfsResult};
use spin::Mutex;

/// Linux's tmpfs counts 20 bytes per directory entry in st_size ("." and ".." included).
const BOGO_DIRENT_SIZE: u64 = 20;
/// Targets up to this long live in the inode; longer ones take a page (shmem's SHORT_SYMLINK_LEN).
const SHORT_SYMLINK_LEN: usize = 127;
const S_ISUID: u32 = 0o4000;
pub const S_ISGID: u32 = 0o2000;
const DAY_SECS: i64 = 24 * 60 * 60;

pub struct Meta {
    /// Permission bits (07777); the type bits come from `Inode::kind`.
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

pub enum Body {
    File(Mutex<Pages>),
    Dir(Mutex<Dir>),
    Symlink(Vec<u8>),
    /// A device, FIFO or socket: just its rdev.
    Node(u64),
}

/// Lock order: a body lock may be held while taking a meta lock, never the
/// reverse; two directory bodies are held together only under `Shared::names`.
pub struct Inode {
    me: Weak<Inode>,
    pub fs: Arc<Shared>,
    pub ino: u64,
    pub kind: FileType,
    pub meta: Mutex<Meta>,
    pub body: Body,
}

/// Pages a symlink target occupies.
pub fn symlink_pages(len: usize) -> u64 {
    u64::from(len > SHORT_SYMLINK_LEN)
}

impl Inode {
    pub fn new(
        fs: &Arc<Shared>,
        kind: FileType,
        perm: u32,
        gid: u32,
        body: impl FnOnce(&Weak<Inode>) -> Body,
    ) -> Arc<Inode> {
        let now = (fs.now)();
        let nlink = if kind == FileType::Directory { 2 } else { 1 };
        Arc::new_cyclic(|me| Inode {
            me: me.clone(),
            fs: fs.clone(),
            ino: fs.ino(),
            kind,
            meta: Mutex::new(Meta {
                perm: perm & 0o7777,
                uid: 0,
                gid,
                nlink,
                atime: now,
                mtime: now,
                ctime: now,
            }),
            body: body(me),
        })
    }

    /// The root directory: its ".." is itself.
    pub fn new_root(fs: &Arc<Shared>, perm: u32) -> Arc<Inode> {
        Inode::new(fs, FileType::Directory, perm, 0, |me| {
            Body::Dir(Mutex::new(Dir::new(me.clone())))
        })
    }

    /// This inode as a counted reference (to store it in a directory).
    pub fn arc(&self) -> VfsResult<Arc<Inode>> {
        self.me.upgrade().ok_or(Errno::ENOENT)
    }

    pub fn weak(&self) -> Weak<Inode> {
        self.me.clone()
    }

    pub fn dir(&self) -> VfsResult<&Mutex<Dir>> {
        match &self.body {
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    pub fn now(&self) -> Timespec {
        (self.fs.now)()
    }

    /// Metadata changed (link count, owner, mode): ctime.
    pub fn changed(&self) {
        let now = self.now();
        self.meta.lock().ctime = now;
    }

    /// Contents changed (write, entries added or removed): mtime and ctime.
    pub fn modified(&self) {
        let now = self.now();
        let mut m = self.meta.lock();
        m.mtime = now;
        m.ctime = now;
    }

    /// A read: atime, with Linux's default relatime rule (only when atime
    /// is older than mtime or ctime, or a day old).
    pub fn accessed(&self) {
        let now = self.now();
        let mut m = self.meta.lock();
        if m.atime <= m.mtime
            || m.atime <= m.ctime
            || now.sec.saturating_sub(m.atime.sec) >= DAY_SECS
        {
            m.atime = now;
        }
    }

    pub fn attr(&self) -> Attr {
        let (size, blocks, rdev) = match &self.body {
            Body::File(p) => {
                let p = p.lock();
                (p.size(), p.count() * (PAGE_SIZE as u64 / 512), 0)
            }
            Body::Dir(d) => (BOGO_DIRENT_SIZE * (2 + d.lock().len() as u64), 0, 0),
            Body::Symlink(t) => (
                t.len() as u64,
                symlink_pages(t.len()) * (PAGE_SIZE as u64 / 512),
                0,
            ),
            Body::Node(rdev) => (0, 0, *rdev),
        };
        let m = self.meta.lock();
        Attr {
            ino: self.ino,
            mode: self.kind.mode_bits() | m.perm,
            nlink: m.nlink,
            uid: m.uid,
            gid: m.gid,
            rdev,
            size,
            blksize: PAGE_SIZE as u32,
            blocks,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
        }
    }

    /// chmod, chown, truncate, utimensat; any change sets ctime (even an
    /// empty one: chown(-1, -1) does on Linux).
    pub fn set(&self, s: &SetAttr) -> VfsResult<()> {
        if let Some(size) = s.size {
            match &self.body {
                Body::File(p) => {
                    let freed = p.lock().truncate(size)?;
                    self.fs.uncharge(freed);
                }
                Body::Dir(_) => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
        }
        let now = self.now();
        let at = |t: TimeSet| match t {
            TimeSet::Now => now,
            TimeSet::At(t) => t,
        };
        let mut m = self.meta.lock();
        if let Some(mode) = s.mode {
            m.perm = mode & 0o7777;
        }
        if s.uid.is_some() || s.gid.is_some() {
            m.uid = s.uid.unwrap_or(m.uid);
            m.gid = s.gid.unwrap_or(m.gid);
            // chown drops set-id bits of non-directories, even for root;
            // setgid without group execute is mandatory locking, kept.
            if self.kind != FileType::Directory {
                m.perm &= !S_ISUID;
                if m.perm & 0o010 != 0 {
                    m.perm &= !S_ISGID;
                }
            }
        }
        if s.size.is_some() {
            m.mtime = now; // truncate(2) and O_TRUNC set mtime even when the size is unchanged
        }
        if let Some(t) = s.atime {
            m.atime = at(t);
        }
        if let Some(t) = s.mtime {
            m.mtime = at(t);
        }
        m.ctime = now;
        Ok(())
    }
}

impl Drop for Inode {
    /// Returns the space to the file system, and tears a directory tree
    /// down with a work list: deep trees must not recurse on the kernel stack.
    fn drop(&mut self) {
        let pages = match &mut self.body {
            Body::File(p) => p.get_mut().count(),
            Body::Symlink(t) => symlink_pages(t.len()),
            _ => 0,
        };
        self.fs.uncharge(pages);
        if let Body::Dir(d) = &mut self.body {
            let mut work = d.get_mut().take_all();
            while let Some(child) = work.pop() {
                if let Some(mut inode) = Arc::into_inner(child) {
                    if let Body::Dir(d) = &mut inode.body {
                        work.extend(d.get_mut().take_all());
                    }
                    // `inode` drops here with an empty directory.
                }
            }
        }
    }
}
