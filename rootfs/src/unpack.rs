//! Unpacking a newc cpio archive (the initrd) into a directory tree, e.g. a
//! tmpfs root: directories, regular files with their data, symlinks.

use crate::cpio::{self, CpioError};
use lintel_vfs::{Errno, FileType, OpenFlags, SetAttr, TimeSet, Timespec, VnodeRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnpackError {
    Archive(CpioError),
    /// A file-system error on the named entry (index in the archive).
    Fs {
        entry: usize,
        errno: Errno,
    },
}

impl core::fmt::Display for UnpackError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            UnpackError::Archive(e) => write!(f, "{e}"),
            UnpackError::Fs { entry, errno } => {
                write!(f, "entry {entry}: {}", errno.name().unwrap_or("error"))
            }
        }
    }
}

/// The directory `names` leads to from `root`, creating missing ones.
fn dir_for(root: &VnodeRef, names: &[&[u8]]) -> Result<VnodeRef, Errno> {
    let mut cur = root.clone();
    for n in names {
        cur = match cur.lookup(n) {
            Ok(v) => v,
            Err(Errno::ENOENT) => cur.mkdir(n, 0o755)?,
            Err(e) => return Err(e),
        };
        if cur.file_type()? != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
    }
    Ok(cur)
}

fn stamp(e: &cpio::Entry) -> SetAttr {
    let t = Some(TimeSet::At(Timespec {
        sec: e.mtime as i64,
        nsec: 0,
    }));
    SetAttr {
        uid: Some(e.uid),
        gid: Some(e.gid),
        atime: t,
        mtime: t,
        ..SetAttr::default()
    }
}

/// Unpacks one entry; a directory is returned so its times are set last
/// (its contents would change them), as Linux's initramfs does.
fn unpack_entry(root: &VnodeRef, e: &cpio::Entry) -> Result<Option<VnodeRef>, Errno> {
    let names: alloc::vec::Vec<&[u8]> = e
        .name
        .split(|&c| c == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect();
    if names.iter().any(|n| *n == b"..") {
        return Err(Errno::EINVAL); // an archive cannot climb out of the root
    }
    let Some((last, dirs)) = names.split_last() else {
        return Ok(None);
    }; // "." itself
    let dir = dir_for(root, dirs)?;
    let perm = e.mode & 0o7777;
    if e.is_dir() {
        let d = match dir.lookup(last) {
            Ok(v) => v,
            Err(Errno::ENOENT) => dir.mkdir(last, perm)?,
            Err(err) => return Err(err),
        };
        d.setattr(&SetAttr {
            mode: Some(perm),
            uid: Some(e.uid),
            gid: Some(e.gid),
            ..SetAttr::default()
        })?;
        return Ok(Some(d));
    } else if e.is_symlink() {
        let l = dir.symlink(last, e.data)?;
        l.setattr(&stamp(e))?;
    } else if e.is_file() {
        let f = match dir.lookup(last) {
            Ok(v) => v,
            Err(Errno::ENOENT) => dir.create(last, perm)?,
            Err(err) => return Err(err),
        };
        f.setattr(&SetAttr {
            size: Some(0),
            mode: Some(perm),
            ..SetAttr::default()
        })?;
        let h = f.open(OpenFlags::WRONLY)?;
        let mut off = 0;
        while off < e.data.len() {
            let n = h.write_at(off as u64, &e.data[off..])?;
            if n == 0 {
                return Err(Errno::EIO);
            }
            off += n;
        }
        // Owner before mode: a chown clears set-ID bits.
        f.setattr(&stamp(e))?;
        f.setattr(&SetAttr {
            mode: Some(perm),
            ..SetAttr::default()
        })?;
    }
    // Device nodes, FIFOs and sockets in an initrd are skipped: devfs provides devices.
    Ok(None)
}

/// Unpacks every entry of `archive` below `root`.
pub fn unpack(root: &VnodeRef, archive: &[u8]) -> Result<usize, UnpackError> {
    let mut n = 0;
    let mut dirs = alloc::vec::Vec::new();
    for (i, e) in cpio::read(archive).enumerate() {
        let e = e.map_err(UnpackError::Archive)?;
        if let Some(d) =
            unpack_entry(root, &e).map_err(|errno| UnpackError::Fs { entry: i, errno })?
        {
            dirs.push((i, d, e.mtime));
        }
        n += 1;
    }
    for (i, d, mtime) in dirs {
        let t = Some(TimeSet::At(Timespec {
            sec: mtime as i64,
            nsec: 0,
        }));
        d.setattr(&SetAttr {
            atime: t,
            mtime: t,
            ..SetAttr::default()
        })
        .map_err(|errno| UnpackError::Fs { entry: i, errno })?;
    }
    Ok(n)
}
