//! devfs: /dev as Linux's devtmpfs shows it to a program — the memory
//! devices, the character devices the kernel registers (the serial
//! console), the /proc/self/fd symlinks, and empty `shm` and `pts`
//! directories to mount on. The set of names is fixed; attributes change.

mod mem;

use crate::listing;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use lintel_vfs::{
    Attr, DirEntry, Errno, FileSystem, FileType, Handle, OpenFlags, SetAttr, StatFs, TimeSet,
    Timespec, VfsResult, Vnode, VnodeRef, NAME_MAX, TMPFS_MAGIC,
};
use mem::{MemDev, MemHandle};
use spin::Mutex;

/// A character device the kernel provides, e.g. `ttyS0`.
pub struct CharDev {
    pub name: &'static str,
    /// st_rdev, as `makedev` encodes it.
    pub rdev: u64,
    /// Permission bits (any type bits are ignored: it is a character device).
    pub mode: u32,
    /// Shared by every open of the device.
    pub handle: Arc<dyn Handle>,
}

/// glibc's `makedev`, which is what st_rdev holds.
pub const fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12)
}

const ROOT_INO: u64 = 1;
/// tmpfs (hence devtmpfs) counts 20 bytes per directory entry in st_size.
const BOGO_DIRENT_SIZE: u64 = 20;

const SYMLINKS: [(&str, &[u8]); 4] = [
    ("fd", b"/proc/self/fd"),
    ("stdin", b"/proc/self/fd/0"),
    ("stdout", b"/proc/self/fd/1"),
    ("stderr", b"/proc/self/fd/2"),
];

enum What {
    Root(Vec<Arc<Node>>),
    EmptyDir,
    Symlink(&'static [u8]),
    Mem(MemDev, fn(&mut [u8])),
    Char(Arc<dyn Handle>),
}

struct Meta {
    perm: u32,
    uid: u32,
    gid: u32,
    atime: Timespec,
    mtime: Timespec,
    ctime: Timespec,
}

struct Node {
    ino: u64,
    name: &'static str,
    kind: FileType,
    rdev: u64,
    now: fn() -> Timespec,
    meta: Mutex<Meta>,
    what: What,
}

pub struct DevFs {
    root: Arc<Node>,
}

fn epoch() -> Timespec {
    Timespec::default()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= NAME_MAX
        && !name.bytes().any(|c| c == b'/' || c == 0)
}

impl DevFs {
    /// /dev with the memory devices and `devices`; times read 1970.
    pub fn new(entropy: fn(&mut [u8]), devices: Vec<CharDev>) -> Arc<DevFs> {
        Self::with_clock(entropy, devices, epoch)
    }

    /// As `new`, with nodes dated now by `now` and attribute changes timed.
    pub fn with_clock(
        entropy: fn(&mut [u8]),
        devices: Vec<CharDev>,
        now: fn() -> Timespec,
    ) -> Arc<DevFs> {
        let mut list: Vec<(&'static str, FileType, u64, u32, What)> = Vec::new();
        for (name, dev, minor) in MemDev::ALL {
            list.push((
                name,
                FileType::CharDevice,
                makedev(1, minor),
                0o666,
                What::Mem(dev, entropy),
            ));
        }
        for d in devices.into_iter().filter(|d| valid_name(d.name)) {
            // The kernel's device wins over a built-in one of the same name.
            list.retain(|(n, ..)| *n != d.name);
            list.push((
                d.name,
                FileType::CharDevice,
                d.rdev,
                d.mode & 0o7777,
                What::Char(d.handle),
            ));
        }
        for (name, target) in SYMLINKS {
            list.push((name, FileType::Symlink, 0, 0o777, What::Symlink(target)));
        }
        list.push(("pts", FileType::Directory, 0, 0o755, What::EmptyDir));
        list.push(("shm", FileType::Directory, 0, 0o1777, What::EmptyDir));
        let t = now();
        let node = |ino, name, kind, rdev, perm, what| {
            let meta = Mutex::new(Meta {
                perm,
                uid: 0,
                gid: 0,
                atime: t,
                mtime: t,
                ctime: t,
            });
            Arc::new(Node {
                ino,
                name,
                kind,
                rdev,
                now,
                meta,
                what,
            })
        };
        let children = list
            .into_iter()
            .enumerate()
            .map(|(i, (name, kind, rdev, perm, what))| {
                node(ROOT_INO + 1 + i as u64, name, kind, rdev, perm, what)
            })
            .collect();
        Arc::new(DevFs {
            root: node(
                ROOT_INO,
                "/",
                FileType::Directory,
                0,
                0o755,
                What::Root(children),
            ),
        })
    }

    /// Opens the character device numbered `rdev` wherever its node is
    /// (mknod in a tmpfs, an initrd): ENXIO when there is no such device.
    pub fn open_device(&self, rdev: u64, flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        let What::Root(children) = &self.root.what else {
            return Err(Errno::ENXIO);
        };
        children
            .iter()
            .find(|c| c.kind == FileType::CharDevice && c.rdev == rdev)
            .ok_or(Errno::ENXIO)?
            .open(flags)
    }
}

impl FileSystem for DevFs {
    fn root(&self) -> VnodeRef {
        self.root.clone()
    }
    fn name(&self) -> &str {
        "devtmpfs"
    }
}

/// A directory's listing, fixed when it is opened.
struct DirHandle {
    ino: u64,
    entries: Vec<DirEntry>,
}

impl Handle for DirHandle {
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EISDIR)
    }
    fn readdir(&self, cookie: u64, sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        listing::readdir(cookie, self.ino, ROOT_INO, &self.entries, sink)
    }
}

impl Vnode for Node {
    fn getattr(&self) -> VfsResult<Attr> {
        let (size, nlink) = match &self.what {
            What::Root(c) => {
                let subdirs = c.iter().filter(|c| c.kind == FileType::Directory).count() as u32;
                (BOGO_DIRENT_SIZE * (2 + c.len() as u64), 2 + subdirs)
            }
            What::EmptyDir => (2 * BOGO_DIRENT_SIZE, 2),
            What::Symlink(t) => (t.len() as u64, 1),
            _ => (0, 1),
        };
        let m = self.meta.lock();
        Ok(Attr {
            ino: self.ino,
            mode: self.kind.mode_bits() | m.perm,
            nlink,
            uid: m.uid,
            gid: m.gid,
            rdev: self.rdev,
            size,
            blksize: 4096,
            blocks: 0,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
        })
    }

    fn file_type(&self) -> VfsResult<FileType> {
        Ok(self.kind)
    }

    /// chmod, chown and utimensat work (in memory); truncate does not.
    fn setattr(&self, s: &SetAttr) -> VfsResult<()> {
        if s.size.is_some() {
            return Err(if self.kind == FileType::Directory {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        }
        let now = (self.now)();
        let at = |t: TimeSet| match t {
            TimeSet::Now => now,
            TimeSet::At(t) => t,
        };
        let mut m = self.meta.lock();
        m.perm = s.mode.map_or(m.perm, |p| p & 0o7777);
        m.uid = s.uid.unwrap_or(m.uid);
        m.gid = s.gid.unwrap_or(m.gid);
        m.atime = s.atime.map_or(m.atime, at);
        m.mtime = s.mtime.map_or(m.mtime, at);
        m.ctime = now;
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
        match &self.what {
            What::Root(c) => c
                .iter()
                .find(|c| c.name.as_bytes() == name)
                .map(|c| c.clone() as VnodeRef),
            What::EmptyDir => None,
            _ => return Err(Errno::ENOTDIR),
        }
        .ok_or(Errno::ENOENT)
    }

    fn readlink(&self) -> VfsResult<Vec<u8>> {
        match self.what {
            What::Symlink(t) => Ok(t.to_vec()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(&self, _flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        Ok(match &self.what {
            What::Root(c) => {
                let entries = c
                    .iter()
                    .enumerate()
                    .map(|(i, c)| listing::entry(i, c.ino, c.kind, c.name.as_bytes()));
                Arc::new(DirHandle {
                    ino: self.ino,
                    entries: entries.collect(),
                })
            }
            What::EmptyDir => Arc::new(DirHandle {
                ino: self.ino,
                entries: Vec::new(),
            }),
            What::Mem(dev, entropy) => Arc::new(MemHandle {
                dev: *dev,
                entropy: *entropy,
            }),
            What::Char(h) => h.clone(),
            What::Symlink(_) => return Err(Errno::ELOOP),
        })
    }

    fn statfs(&self) -> VfsResult<StatFs> {
        Ok(StatFs {
            fs_type: TMPFS_MAGIC,
            bsize: 4096,
            frsize: 4096,
            namelen: NAME_MAX as u64,
            ..StatFs::default()
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
