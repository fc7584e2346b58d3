//! Translations between 9P2000.L records and the VFS's types. Server values
//! are clamped into range, never trusted to fit.

use crate::codec::{setattr_valid as sv, SetAttr as P9SetAttr, Stat, StatFs as P9StatFs};
use crate::flags::{linux, open_to_dotl};
use crate::qid::Qid;
use lintel_vfs::{
    Attr, FileType, OpenFlags, SetAttr, StatFs, TimeSet, Timespec, NAME_MAX, S_IFMT, V9FS_MAGIC,
};

/// The type a qid tells for sure: directories and symlinks. Regular files,
/// devices, FIFOs and sockets all have plain qids.
pub fn qid_kind(q: &Qid) -> Option<FileType> {
    if q.is_dir() {
        Some(FileType::Directory)
    } else if q.is_symlink() {
        Some(FileType::Symlink)
    } else {
        None
    }
}

/// Best guess from a qid alone.
fn qid_guess(q: &Qid) -> FileType {
    qid_kind(q).unwrap_or(FileType::Regular)
}

fn time(sec: u64, nsec: u64) -> Timespec {
    Timespec::from_wire(sec, nsec)
}

/// Rgetattr as `stat` shows it. A mode without a valid type gets the type
/// the qid implies.
pub fn from_stat(st: &Stat, qid: &Qid) -> Attr {
    let mode = match FileType::from_mode(st.mode) {
        Some(_) => st.mode,
        None => (st.mode & !S_IFMT) | qid_guess(qid).mode_bits(),
    };
    Attr {
        ino: qid.path,
        mode,
        nlink: u32::try_from(st.nlink).unwrap_or(u32::MAX),
        uid: st.uid,
        gid: st.gid,
        rdev: st.rdev,
        size: st.size,
        blksize: u32::try_from(st.blksize).unwrap_or(u32::MAX),
        blocks: st.blocks,
        atime: time(st.atime_sec, st.atime_nsec),
        mtime: time(st.mtime_sec, st.mtime_nsec),
        ctime: time(st.ctime_sec, st.ctime_nsec),
    }
}

/// A VFS change as Tsetattr. CTIME is always asked for, as Linux does (a
/// chown(-1, -1) still touches ctime on servers that honour it).
pub fn to_setattr(s: &SetAttr) -> P9SetAttr {
    let mut p = P9SetAttr {
        valid: sv::CTIME,
        ..P9SetAttr::default()
    };
    if let Some(m) = s.mode {
        p.valid |= sv::MODE;
        p.mode = m & 0o7777;
    }
    if let Some(u) = s.uid {
        p.valid |= sv::UID;
        p.uid = u;
    }
    if let Some(g) = s.gid {
        p.valid |= sv::GID;
        p.gid = g;
    }
    if let Some(n) = s.size {
        p.valid |= sv::SIZE;
        p.size = n;
    }
    // Now: the bit alone, so the server takes its own clock.
    match s.atime {
        Some(TimeSet::Now) => p.valid |= sv::ATIME,
        Some(TimeSet::At(t)) => {
            p.valid |= sv::ATIME | sv::ATIME_SET;
            p.atime_sec = t.sec as u64;
            p.atime_nsec = u64::from(t.nsec);
        }
        None => {}
    }
    match s.mtime {
        Some(TimeSet::Now) => p.valid |= sv::MTIME,
        Some(TimeSet::At(t)) => {
            p.valid |= sv::MTIME | sv::MTIME_SET;
            p.mtime_sec = t.sec as u64;
            p.mtime_nsec = u64::from(t.nsec);
        }
        None => {}
    }
    p
}

/// Rstatfs as statfs(2) shows it. The type is the server's, as Linux
/// reports it (diod: V9FS_MAGIC; QEMU: the host file system's magic).
pub fn to_statfs(s: &P9StatFs) -> StatFs {
    StatFs {
        // QEMU reports the host file system's type, which a Linux guest
        // passes on; programs that ask "is this 9p?" look for V9FS_MAGIC,
        // which is what the VFS issue asks statfs to say.
        fs_type: V9FS_MAGIC,
        bsize: u64::from(s.bsize),
        blocks: s.blocks,
        bfree: s.bfree,
        bavail: s.bavail,
        files: s.files,
        ffree: s.ffree,
        namelen: if s.namelen == 0 {
            NAME_MAX as u64
        } else {
            u64::from(s.namelen)
        },
        frsize: u64::from(s.bsize),
        flags: 0,
    }
}

/// A readdir entry's type from its `d_type`, or for DT_UNKNOWN from the
/// qid if that tells (a directory or a symlink); None if neither does (the
/// handle then asks the server).
pub fn dirent_kind(d_type: u8, qid: &Qid) -> Option<FileType> {
    match d_type {
        1 => Some(FileType::Fifo),
        2 => Some(FileType::CharDevice),
        4 => Some(FileType::Directory),
        6 => Some(FileType::BlockDevice),
        8 => Some(FileType::Regular),
        10 => Some(FileType::Symlink),
        12 => Some(FileType::Socket),
        _ => qid_kind(qid),
    }
}

/// Tlopen flags for an open(2): what only matters while opening (O_CREAT,
/// O_EXCL, O_TRUNC: the VFS truncates with setattr), O_NOCTTY, and
/// O_DIRECT (nothing is cached here; diod refuses it) are left out.
pub fn lopen_flags(flags: OpenFlags) -> u32 {
    let drop = linux::O_CREAT | linux::O_EXCL | linux::O_TRUNC | linux::O_NOCTTY | linux::O_DIRECT;
    open_to_dotl(flags.bits() & !drop)
}

pub use lintel_vfs::check_component as check_name;

/// Linux's `dev_t` as Tmknod's major and minor.
pub fn split_dev(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    (major as u32, minor as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qid::qid_type;
    use lintel_vfs::Errno;

    #[test]
    fn stat_translation_clamps() {
        let q = Qid {
            ty: qid_type::DIR,
            version: 0,
            path: 77,
        };
        let st = Stat {
            mode: 0o755, // no type bits
            nlink: u64::MAX,
            blksize: 1 << 40,
            atime_nsec: 5_000_000_000,
            mtime_sec: u64::MAX,
            ..Stat::default()
        };
        let a = from_stat(&st, &q);
        assert_eq!(a.mode, 0o040755);
        assert_eq!(a.ino, 77);
        assert_eq!((a.nlink, a.blksize), (u32::MAX, u32::MAX));
        assert_eq!(a.atime.nsec, 999_999_999);
        assert_eq!(a.mtime.sec, -1);
    }

    #[test]
    fn setattr_translation() {
        let s = SetAttr {
            mode: Some(0o104755),
            size: Some(9),
            atime: Some(TimeSet::Now),
            mtime: Some(TimeSet::At(Timespec { sec: 5, nsec: 6 })),
            ..SetAttr::default()
        };
        let p = to_setattr(&s);
        assert_eq!(
            p.valid,
            sv::CTIME | sv::MODE | sv::SIZE | sv::ATIME | sv::MTIME | sv::MTIME_SET
        );
        assert_eq!(
            (p.mode, p.size, p.mtime_sec, p.mtime_nsec),
            (0o4755, 9, 5, 6)
        );
        assert_eq!(to_setattr(&SetAttr::default()).valid, sv::CTIME);
    }

    #[test]
    fn names_flags_and_devices() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"/", b"x\0"] {
            assert_eq!(check_name(bad), Err(Errno::EINVAL));
        }
        assert_eq!(check_name(&[b'a'; 256]), Err(Errno::ENAMETOOLONG));
        assert!(check_name(b"...").is_ok());
        let f = OpenFlags::RDWR
            | OpenFlags::CREAT
            | OpenFlags::EXCL
            | OpenFlags::TRUNC
            | OpenFlags::APPEND;
        assert_eq!(
            lopen_flags(f),
            crate::flags::dotl::RDWR | crate::flags::dotl::APPEND
        );
        assert_eq!(split_dev((1 << 8) | 3), (1, 3));
        // glibc's makedev of a large major and minor.
        let (ma, mi) = (0x1_2345_u64, 0x67_89ab_u64);
        let dev = ((ma & 0xfff) << 8) | ((ma & !0xfff) << 32) | (mi & 0xff) | ((mi & !0xff) << 12);
        assert_eq!(split_dev(dev), (ma as u32, mi as u32));
    }
}
