//! procfs: /proc for the calling process, over a `ProcSource` the syscall
//! layer implements. Nodes are made on lookup and describe whoever asks,
//! so names are not cached; a file's text is generated when it is opened.
//!
//! /proc: self -> <pid>, <pid>/, meminfo, cpuinfo, mounts -> self/mounts, uptime
//! /proc/<pid>: exe ->, cmdline, maps, mounts, status, fd/ (N -> what fd N is)

mod text;

use crate::listing;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use lintel_vfs::{
    Attr, DirEntry, Errno, FileSystem, FileType, Handle, OpenFlags, StatFs, Timespec, VfsResult,
    Vnode, VnodeRef, NAME_MAX, PROC_MAGIC,
};

/// What /proc shows about the calling process and the system.
pub trait ProcSource: Send + Sync {
    /// The calling process.
    fn pid(&self) -> i32;
    /// Absolute path of its executable.
    fn exe(&self) -> Vec<u8>;
    /// argv joined with NULs, trailing NUL.
    fn cmdline(&self) -> Vec<u8>;
    /// Open fds and what readlink shows ("/tmp/x", "pipe:[3]", "/dev/ttyS0").
    fn fds(&self) -> Vec<(i32, Vec<u8>)>;
    /// The text of /proc/self/maps.
    fn maps(&self) -> Vec<u8>;
    /// The text of /proc/mounts.
    fn mounts(&self) -> Vec<u8>;
    /// (total, free) bytes of memory.
    fn meminfo(&self) -> (u64, u64);
    fn cpuinfo(&self) -> Vec<u8>;
    fn uptime_ns(&self) -> u64;
    /// The parent's pid (status' PPid).
    fn ppid(&self) -> i32 {
        0
    }
    /// (uid, gid) for status.
    fn ids(&self) -> (u32, u32) {
        (0, 0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    SelfLink,
    MountsLink,
    Meminfo,
    Cpuinfo,
    Uptime,
    PidDir(i32),
    Exe(i32),
    Cmdline(i32),
    Maps(i32),
    Mounts(i32),
    Status(i32),
    FdDir(i32),
    Fd(i32, i32),
}

const ROOT_NAMES: [(&str, Kind); 5] = [
    ("self", Kind::SelfLink),
    ("mounts", Kind::MountsLink),
    ("meminfo", Kind::Meminfo),
    ("cpuinfo", Kind::Cpuinfo),
    ("uptime", Kind::Uptime),
];

fn pid_names(pid: i32) -> [(&'static str, Kind); 6] {
    [
        ("exe", Kind::Exe(pid)),
        ("cmdline", Kind::Cmdline(pid)),
        ("maps", Kind::Maps(pid)),
        ("mounts", Kind::Mounts(pid)),
        ("status", Kind::Status(pid)),
        ("fd", Kind::FdDir(pid)),
    ]
}

impl Kind {
    fn pid(self) -> Option<i32> {
        match self {
            Kind::PidDir(p) | Kind::Exe(p) | Kind::Cmdline(p) | Kind::Maps(p) => Some(p),
            Kind::Mounts(p) | Kind::Status(p) | Kind::FdDir(p) | Kind::Fd(p, _) => Some(p),
            _ => None,
        }
    }

    fn file_type(self) -> FileType {
        match self {
            Kind::Root | Kind::PidDir(_) | Kind::FdDir(_) => FileType::Directory,
            Kind::SelfLink | Kind::MountsLink | Kind::Exe(_) | Kind::Fd(..) => FileType::Symlink,
            _ => FileType::Regular,
        }
    }

    /// Unique per kind: system-wide nodes below 16, a process's in the
    /// upper half keyed by its pid, fd links with the top bit of the lower.
    fn ino(self) -> u64 {
        let per_pid = |p: i32, n: u64| (u64::from(p as u32) << 32) | n;
        match self {
            Kind::Root => 1,
            Kind::SelfLink => 2,
            Kind::MountsLink => 3,
            Kind::Meminfo => 4,
            Kind::Cpuinfo => 5,
            Kind::Uptime => 6,
            Kind::PidDir(p) => per_pid(p, 1),
            Kind::Exe(p) => per_pid(p, 2),
            Kind::Cmdline(p) => per_pid(p, 3),
            Kind::Maps(p) => per_pid(p, 4),
            Kind::Mounts(p) => per_pid(p, 5),
            Kind::Status(p) => per_pid(p, 6),
            Kind::FdDir(p) => per_pid(p, 7),
            Kind::Fd(p, fd) => per_pid(p, 0x8000_0000 | u64::from(fd as u32)),
        }
    }

    /// Linux's modes: the fd directory is the owner's only.
    fn perm(self) -> u32 {
        match self {
            Kind::FdDir(_) => 0o500,
            Kind::Fd(..) => 0o700,
            _ => match self.file_type() {
                FileType::Directory => 0o555,
                FileType::Symlink => 0o777,
                _ => 0o444,
            },
        }
    }
}

struct Shared {
    src: Arc<dyn ProcSource>,
    now: fn() -> Timespec,
}

pub struct ProcFs {
    root: Arc<ProcNode>,
}

struct ProcNode {
    fs: Arc<Shared>,
    kind: Kind,
}

impl ProcFs {
    /// `now` dates the nodes (Linux shows when each was first looked at).
    pub fn new(source: Arc<dyn ProcSource>, now: fn() -> Timespec) -> Arc<ProcFs> {
        let fs = Arc::new(Shared { src: source, now });
        Arc::new(ProcFs {
            root: Arc::new(ProcNode {
                fs,
                kind: Kind::Root,
            }),
        })
    }
}

impl FileSystem for ProcFs {
    fn root(&self) -> VnodeRef {
        self.root.clone()
    }
    fn name(&self) -> &str {
        "proc"
    }
    /// /proc/self and /proc/<pid> mean different things to each process.
    fn cache_names(&self) -> bool {
        false
    }
}

/// A decimal name as Linux's name_to_int takes it: no sign, no leading zero.
fn parse_decimal(name: &[u8]) -> Option<i32> {
    if name.is_empty() || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    name.iter().try_fold(0i32, |n, &c| {
        let d = (c as char).to_digit(10)?;
        n.checked_mul(10)?.checked_add(d as i32)
    })
}

impl ProcNode {
    fn node(&self, kind: Kind) -> VnodeRef {
        Arc::new(ProcNode {
            fs: self.fs.clone(),
            kind,
        })
    }

    /// ENOENT once the node's process is not the one asking.
    fn check_alive(&self) -> VfsResult<()> {
        match self.kind.pid() {
            Some(p) if p != self.fs.src.pid() => Err(Errno::ENOENT),
            _ => Ok(()),
        }
    }

    fn fd_target(&self, fd: i32) -> VfsResult<Vec<u8>> {
        self.fs
            .src
            .fds()
            .into_iter()
            .find(|(n, _)| *n == fd)
            .map(|(_, t)| t)
            .ok_or(Errno::ENOENT)
    }

    fn listing(&self) -> VfsResult<Vec<DirEntry>> {
        let src = &self.fs.src;
        let fixed = |names: &[(&str, Kind)]| -> Vec<DirEntry> {
            names
                .iter()
                .enumerate()
                .map(|(i, (n, k))| listing::entry(i, k.ino(), k.file_type(), n.as_bytes()))
                .collect()
        };
        Ok(match self.kind {
            Kind::Root => {
                let mut v = fixed(&ROOT_NAMES);
                let pid = Kind::PidDir(src.pid());
                v.push(listing::entry(
                    v.len(),
                    pid.ino(),
                    FileType::Directory,
                    format!("{}", src.pid()).as_bytes(),
                ));
                v
            }
            Kind::PidDir(p) => fixed(&pid_names(p)),
            // Cookies follow fd numbers, so a listing survives fds opening and closing.
            Kind::FdDir(p) => {
                let mut fds = src.fds();
                fds.sort_by_key(|(fd, _)| *fd);
                fds.iter()
                    .filter(|(fd, _)| *fd >= 0)
                    .map(|&(fd, _)| DirEntry {
                        ino: Kind::Fd(p, fd).ino(),
                        kind: FileType::Symlink,
                        name: format!("{fd}").into_bytes(),
                        next: listing::FIRST_COOKIE + fd as u64,
                    })
                    .collect()
            }
            _ => return Err(Errno::ENOTDIR),
        })
    }

    fn contents(&self) -> VfsResult<Vec<u8>> {
        let src = &self.fs.src;
        Ok(match self.kind {
            Kind::Meminfo => {
                let (total, free) = src.meminfo();
                text::meminfo(total, free)
            }
            Kind::Cpuinfo => src.cpuinfo(),
            Kind::Uptime => text::uptime(src.uptime_ns()),
            Kind::Cmdline(_) => src.cmdline(),
            Kind::Maps(_) => src.maps(),
            Kind::Mounts(_) => src.mounts(),
            Kind::Status(p) => {
                let (uid, gid) = src.ids();
                text::status(text::comm(&src.exe()), p, src.ppid(), uid, gid)
            }
            _ => return Err(Errno::EISDIR),
        })
    }
}

/// A directory's listing, taken when it is opened.
struct DirHandle {
    ino: u64,
    parent: u64,
    entries: Vec<DirEntry>,
}

impl Handle for DirHandle {
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> VfsResult<usize> {
        Err(Errno::EISDIR)
    }
    fn readdir(&self, cookie: u64, sink: &mut dyn FnMut(&DirEntry) -> bool) -> VfsResult<()> {
        listing::readdir(cookie, self.ino, self.parent, &self.entries, sink)
    }
}

/// A file's text as it was when opened, so reads in pieces agree.
struct TextHandle {
    data: Vec<u8>,
}

impl Handle for TextHandle {
    fn read_at(&self, off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        let start = usize::try_from(off)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        let src = &self.data[start..];
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        Ok(n)
    }
    /// Linux lets root open these for writing, then fails the write.
    fn write_at(&self, _off: u64, _data: &[u8]) -> VfsResult<usize> {
        Err(Errno::EIO)
    }
}

impl Vnode for ProcNode {
    /// Sizes read 0, as Linux's: the text exists only once opened.
    fn getattr(&self) -> VfsResult<Attr> {
        self.check_alive()?;
        let now = (self.fs.now)();
        let kind = self.kind.file_type();
        let nlink = match self.kind {
            Kind::Root | Kind::PidDir(_) => 3,
            Kind::FdDir(_) => 2,
            _ => 1,
        };
        let (uid, gid) = if self.kind.pid().is_some() {
            self.fs.src.ids()
        } else {
            (0, 0)
        };
        Ok(Attr {
            ino: self.kind.ino(),
            mode: kind.mode_bits() | self.kind.perm(),
            nlink,
            uid,
            gid,
            rdev: 0,
            size: 0,
            blksize: 1024,
            blocks: 0,
            atime: now,
            mtime: now,
            ctime: now,
        })
    }

    fn file_type(&self) -> VfsResult<FileType> {
        Ok(self.kind.file_type())
    }

    fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
        self.check_alive()?;
        let find = |names: &[(&str, Kind)]| {
            names
                .iter()
                .find(|(n, _)| n.as_bytes() == name)
                .map(|&(_, k)| k)
        };
        let kind = match self.kind {
            Kind::Root => find(&ROOT_NAMES).or_else(|| {
                let pid = self.fs.src.pid();
                (parse_decimal(name) == Some(pid)).then_some(Kind::PidDir(pid))
            }),
            Kind::PidDir(p) => find(&pid_names(p)),
            Kind::FdDir(p) => parse_decimal(name)
                .filter(|&fd| self.fs.src.fds().iter().any(|(n, _)| *n == fd))
                .map(|fd| Kind::Fd(p, fd)),
            _ => return Err(Errno::ENOTDIR),
        };
        kind.map(|k| self.node(k)).ok_or(Errno::ENOENT)
    }

    fn readlink(&self) -> VfsResult<Vec<u8>> {
        self.check_alive()?;
        match self.kind {
            Kind::SelfLink => Ok(format!("{}", self.fs.src.pid()).into_bytes()),
            Kind::MountsLink => Ok(Vec::from(&b"self/mounts"[..])),
            Kind::Exe(_) => Ok(self.fs.src.exe()),
            Kind::Fd(_, fd) => self.fd_target(fd),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(&self, _flags: OpenFlags) -> VfsResult<Arc<dyn Handle>> {
        self.check_alive()?;
        match self.kind.file_type() {
            FileType::Directory => {
                let parent = match self.kind {
                    Kind::FdDir(p) => Kind::PidDir(p).ino(),
                    _ => Kind::Root.ino(),
                };
                Ok(Arc::new(DirHandle {
                    ino: self.kind.ino(),
                    parent,
                    entries: self.listing()?,
                }))
            }
            FileType::Symlink => Err(Errno::ELOOP),
            _ => Ok(Arc::new(TextHandle {
                data: self.contents()?,
            })),
        }
    }

    fn statfs(&self) -> VfsResult<StatFs> {
        Ok(StatFs {
            fs_type: PROC_MAGIC,
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
