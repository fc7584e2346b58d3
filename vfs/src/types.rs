//! The value types that cross the VFS: attributes, directory entries,
//! file-system statistics, open flags. Their numbers are Linux's.

use alloc::vec::Vec;

pub use syscalls::Errno;
pub type VfsResult<T> = Result<T, Errno>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

pub const S_IFMT: u32 = 0o170000;

impl FileType {
    /// The `S_IF*` bits of `st_mode`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Socket => 0o140000,
            FileType::Symlink => 0o120000,
            FileType::Regular => 0o100000,
            FileType::BlockDevice => 0o060000,
            FileType::Directory => 0o040000,
            FileType::CharDevice => 0o020000,
            FileType::Fifo => 0o010000,
        }
    }

    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            0o140000 => FileType::Socket,
            0o120000 => FileType::Symlink,
            0o100000 => FileType::Regular,
            0o060000 => FileType::BlockDevice,
            0o040000 => FileType::Directory,
            0o020000 => FileType::CharDevice,
            0o010000 => FileType::Fifo,
            _ => return None,
        })
    }

    /// The `d_type` of a `dirent64`.
    pub fn dirent_type(self) -> u8 {
        (self.mode_bits() >> 12) as u8
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    /// A time as 9P and FUSE send it: seconds as the two's complement of a
    /// time64_t (as Linux sends them), nanoseconds clamped into range.
    pub fn from_wire(sec: u64, nsec: u64) -> Timespec {
        Timespec {
            sec: sec as i64,
            nsec: nsec.min(999_999_999) as u32,
        }
    }
}

/// A name a file system may pass to a server: one path component, not "."
/// or "..", without '/' or NUL, at most NAME_MAX bytes, so no path can reach
/// the server through it.
pub fn check_component(name: &[u8]) -> VfsResult<()> {
    match name {
        b"" | b"." | b".." => Err(Errno::EINVAL),
        _ if name.contains(&b'/') || name.contains(&0) => Err(Errno::EINVAL),
        _ if name.len() > NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ => Ok(()),
    }
}

/// What `stat` reports. `mode` holds the type bits and the permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Attr {
    pub fn file_type(&self) -> Option<FileType> {
        FileType::from_mode(self.mode)
    }
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == 0o040000
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSet {
    Now,
    At(Timespec),
}

/// A change of attributes: chmod, chown, truncate, utimensat. `None` = unchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<TimeSet>,
    pub mtime: Option<TimeSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: u64,
    pub kind: FileType,
    pub name: Vec<u8>,
    /// The cookie that continues the listing after this entry.
    pub next: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatFs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
    pub frsize: u64,
    pub flags: u64,
}

pub const TMPFS_MAGIC: u64 = 0x0102_1994;
pub const V9FS_MAGIC: u64 = 0x0102_1997;
pub const FUSE_MAGIC: u64 = 0x6573_5546;
pub const PROC_MAGIC: u64 = 0x9fa0;

pub const NAME_MAX: usize = 255;
pub const PATH_MAX: usize = 4096;

bitflags::bitflags! {
    /// poll(2) events: what a file is ready for now (Linux's values).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct PollEvents: u16 {
        const IN = 0x1;
        const PRI = 0x2;
        const OUT = 0x4;
        const ERR = 0x8;
        const HUP = 0x10;
        const NVAL = 0x20;
        const RDNORM = 0x40;
        const RDBAND = 0x80;
        const WRNORM = 0x100;
        const WRBAND = 0x200;
        const RDHUP = 0x2000;
    }
}

impl PollEvents {
    /// Readable: data, or an end a read reports at once (EOF, error).
    pub const READABLE: PollEvents = PollEvents::IN.union(PollEvents::RDNORM);
    pub const WRITABLE: PollEvents = PollEvents::OUT.union(PollEvents::WRNORM);

    /// Whether a read would not block (data, end of file or an error).
    pub fn can_read(self) -> bool {
        self.intersects(PollEvents::IN | PollEvents::HUP | PollEvents::ERR | PollEvents::RDHUP)
    }

    /// Whether a write would not block (room, or an error to report).
    pub fn can_write(self) -> bool {
        self.intersects(PollEvents::OUT | PollEvents::ERR | PollEvents::HUP)
    }
}

bitflags::bitflags! {
    /// open(2) flags (x86_64 values).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct OpenFlags: u32 {
        const WRONLY = 0o1;
        const RDWR = 0o2;
        const CREAT = 0o100;
        const EXCL = 0o200;
        const NOCTTY = 0o400;
        const TRUNC = 0o1000;
        const APPEND = 0o2000;
        const NONBLOCK = 0o4000;
        const DSYNC = 0o10000;
        const ASYNC = 0o20000;
        const DIRECT = 0o40000;
        const LARGEFILE = 0o100000;
        const DIRECTORY = 0o200000;
        const NOFOLLOW = 0o400000;
        const NOATIME = 0o1000000;
        const CLOEXEC = 0o2000000;
        const SYNC = 0o4010000;
        const PATH = 0o10000000;
        const TMPFILE = 0o20200000;
        const _ = !0;
    }
}

impl OpenFlags {
    pub fn readable(self) -> bool {
        self.bits() & 3 != 1 && !self.contains(OpenFlags::PATH)
    }
    pub fn writable(self) -> bool {
        matches!(self.bits() & 3, 1 | 2) && !self.contains(OpenFlags::PATH)
    }
    /// The flags F_GETFL reports and F_SETFL may change.
    pub const STATUS: OpenFlags = OpenFlags::APPEND
        .union(OpenFlags::NONBLOCK)
        .union(OpenFlags::ASYNC)
        .union(OpenFlags::DIRECT)
        .union(OpenFlags::NOATIME);
}

/// renameat2 flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;
