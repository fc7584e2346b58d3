//! Translations between FUSE records and the VFS's types. Daemon values
//! are clamped into range, never trusted to fit.

use crate::codec::{fattr, FuseAttr, Kstatfs, SetattrIn};
use lintel_vfs::{
    Attr, Errno, FileType, OpenFlags, SetAttr, StatFs, TimeSet, Timespec, VfsResult, FUSE_MAGIC,
};

fn time(sec: u64, nsec: u32) -> Timespec {
    Timespec::from_wire(sec, nsec as u64)
}

/// A FUSE attribute as `stat` shows it (the entry was checked: its type is valid).
pub fn to_attr(a: &FuseAttr) -> Attr {
    Attr {
        ino: a.ino,
        mode: a.mode,
        nlink: a.nlink,
        uid: a.uid,
        gid: a.gid,
        // `new_encode_dev`, which for 32-bit numbers is the same as the
        // 64-bit encoding stat uses.
        rdev: u64::from(a.rdev),
        size: a.size,
        blksize: if a.blksize == 0 { 4096 } else { a.blksize },
        blocks: a.blocks,
        atime: time(a.atime, a.atimensec),
        mtime: time(a.mtime, a.mtimensec),
        ctime: time(a.ctime, a.ctimensec),
    }
}

/// A VFS change as SETATTR, the way Linux's `iattr_to_fattr` builds it:
/// "now" is the bit pair ATIME|ATIME_NOW, so the daemon's clock is used;
/// the mode keeps the type bits. No FATTR_CTIME: only a writeback cache
/// owns ctime.
pub fn to_setattr(kind: FileType, s: &SetAttr) -> SetattrIn {
    let mut a = SetattrIn::default();
    if let Some(m) = s.mode {
        a.valid |= fattr::MODE;
        a.mode = kind.mode_bits() | (m & 0o7777);
    }
    if let Some(u) = s.uid {
        a.valid |= fattr::UID;
        a.uid = u;
    }
    if let Some(g) = s.gid {
        a.valid |= fattr::GID;
        a.gid = g;
    }
    if let Some(n) = s.size {
        a.valid |= fattr::SIZE;
        a.size = n;
    }
    match s.atime {
        Some(TimeSet::Now) => a.valid |= fattr::ATIME | fattr::ATIME_NOW,
        Some(TimeSet::At(t)) => {
            a.valid |= fattr::ATIME;
            a.atime = t.sec as u64;
            a.atimensec = t.nsec;
        }
        None => {}
    }
    match s.mtime {
        Some(TimeSet::Now) => a.valid |= fattr::MTIME | fattr::MTIME_NOW,
        Some(TimeSet::At(t)) => {
            a.valid |= fattr::MTIME;
            a.mtime = t.sec as u64;
            a.mtimensec = t.nsec;
        }
        None => {}
    }
    a
}

/// STATFS as statfs(2) shows it, with FUSE's magic as the type (Linux
/// reports FUSE_SUPER_MAGIC for every FUSE mount).
pub fn to_statfs(k: &Kstatfs) -> StatFs {
    StatFs {
        fs_type: FUSE_MAGIC,
        bsize: u64::from(k.bsize),
        blocks: k.blocks,
        bfree: k.bfree,
        bavail: k.bavail,
        files: k.files,
        ffree: k.ffree,
        namelen: u64::from(k.namelen),
        frsize: u64::from(k.frsize),
        flags: 0,
    }
}

/// A directory record's type (`mode >> 12`), else the entry's mode, else
/// a guess (a regular file) when the daemon said DT_UNKNOWN.
pub fn dirent_kind(typ: u32, mode: Option<u32>) -> FileType {
    (typ <= 0o17)
        .then_some(typ << 12)
        .and_then(FileType::from_mode)
        .or_else(|| mode.and_then(FileType::from_mode))
        .unwrap_or(FileType::Regular)
}

/// OPEN flags for an open(2), as Linux's `fuse_open_common`: what only
/// matters while opening (O_CREAT, O_EXCL, O_NOCTTY, and O_TRUNC, which
/// the VFS does as a SETATTR) and O_CLOEXEC (the descriptor's) stay here.
pub fn open_flags(flags: OpenFlags) -> u32 {
    let drop = OpenFlags::CREAT
        | OpenFlags::EXCL
        | OpenFlags::NOCTTY
        | OpenFlags::TRUNC
        | OpenFlags::CLOEXEC;
    ((flags - drop) | OpenFlags::LARGEFILE).bits()
}

pub use lintel_vfs::check_component as check_name;

/// Whether a directory entry's name is one a program could use.
pub fn usable_name(name: &[u8]) -> bool {
    !name.is_empty() && !name.contains(&b'/') && !name.contains(&0)
}

/// A VFS device number as MKNOD's `new_encode_dev`: the same bits for
/// every number that fits 32 bits (major < 4096, minor < 2^20).
pub fn encode_dev(rdev: u64) -> VfsResult<u32> {
    u32::try_from(rdev).map_err(|_| Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attr_translation_clamps() {
        let a = FuseAttr {
            ino: 77,
            mode: 0o040755,
            atimensec: 2_000_000_000,
            mtime: u64::MAX,
            rdev: (1 << 8) | 3,
            ..FuseAttr::default()
        };
        let v = to_attr(&a);
        assert_eq!(
            (v.ino, v.mode, v.blksize, v.rdev),
            (77, 0o040755, 4096, 0x103)
        );
        assert_eq!(v.atime.nsec, 999_999_999);
        assert_eq!(v.mtime.sec, -1);
    }

    #[test]
    fn setattr_like_linux() {
        let s = SetAttr {
            mode: Some(0o104755),
            size: Some(9),
            atime: Some(TimeSet::Now),
            mtime: Some(TimeSet::At(Timespec { sec: 5, nsec: 6 })),
            ..SetAttr::default()
        };
        let a = to_setattr(FileType::Regular, &s);
        assert_eq!(
            a.valid,
            fattr::MODE | fattr::SIZE | fattr::ATIME | fattr::ATIME_NOW | fattr::MTIME
        );
        assert_eq!((a.mode, a.size, a.mtime, a.mtimensec), (0o104755, 9, 5, 6));
        assert_eq!(to_setattr(FileType::Regular, &SetAttr::default()).valid, 0);
    }

    #[test]
    fn names_flags_kinds() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"x\0"] {
            assert_eq!(check_name(bad), Err(Errno::EINVAL));
        }
        assert_eq!(check_name(&[b'a'; 256]), Err(Errno::ENAMETOOLONG));
        let f = OpenFlags::RDWR
            | OpenFlags::CREAT
            | OpenFlags::EXCL
            | OpenFlags::TRUNC
            | OpenFlags::APPEND;
        assert_eq!(
            open_flags(f),
            (OpenFlags::RDWR | OpenFlags::APPEND | OpenFlags::LARGEFILE).bits()
        );
        assert_eq!(dirent_kind(4, None), FileType::Directory);
        assert_eq!(dirent_kind(0, Some(0o120777)), FileType::Symlink);
        assert_eq!(dirent_kind(0, None), FileType::Regular);
        assert_eq!(dirent_kind(u32::MAX, None), FileType::Regular);
        assert_eq!(encode_dev(0x103), Ok(0x103));
        assert_eq!(encode_dev(1 << 40), Err(Errno::EINVAL));
    }
}
