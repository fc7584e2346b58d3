//! Host directory trees for the tests that boot with `--root`: copying a
//! starting tree (so the native run and the Lintel run each get their own),
//! fixing timestamps, and describing what a run left behind.

use std::fs::{self, File, FileTimes};
use std::io;
use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

/// Copies the tree `src` into `dst` (created; must not exist): directories,
/// regular files and symlinks, with permission bits, owner and group (when
/// allowed) and modification times (directories' after their contents).
pub fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(src)?;
    let ty = meta.file_type();
    if ty.is_dir() {
        fs::create_dir(dst)?;
        let mut names: Vec<_> = fs::read_dir(src)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for n in names {
            copy_tree(&src.join(&n), &dst.join(&n))?;
        }
    } else if ty.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(src)?, dst)?;
    } else if ty.is_file() {
        fs::copy(src, dst)?;
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file, directory or symlink", src.display()),
        ));
    }
    // Owner first: chown may clear set-user-ID bits that chmod then restores.
    let _ = lchown(dst, Some(meta.uid()), Some(meta.gid()));
    if !ty.is_symlink() {
        fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    set_mtime(dst, meta.mtime())
}

/// Sets the access and modification times of `path` (a file, a directory, or
/// a symlink itself, not followed) to `secs` seconds after the epoch.
pub fn set_mtime(path: &Path, secs: i64) -> io::Result<()> {
    if fs::symlink_metadata(path)?.file_type().is_symlink() {
        // std has no lutimes: coreutils' touch -h.
        let ok = Command::new("touch")
            .args(["-h", "-d", &format!("@{secs}")])
            .arg(path)
            .status()?;
        return if ok.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "touch -h {} failed",
                path.display()
            )))
        };
    }
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    File::open(path)?.set_times(FileTimes::new().set_accessed(t).set_modified(t))
}

/// One line per entry below `dir`, sorted by path, directories included:
/// `path type mode detail` where type is `d`, `-` or `l`, mode is octal
/// permission bits (not for symlinks), and detail is the contents of a small
/// file (escaped), the size of a larger one, a symlink's target, or a file's
/// link count when above 1 (`nlink=2`). Timestamps, sizes of directories and
/// inode numbers are left out.
pub fn describe_tree(dir: &Path) -> io::Result<String> {
    let mut lines = Vec::new();
    walk(dir, "", &mut lines)?;
    lines.sort();
    Ok(lines.concat())
}

fn walk(base: &Path, rel: &str, out: &mut Vec<String>) -> io::Result<()> {
    let here = if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    };
    for entry in fs::read_dir(&here)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let meta = fs::symlink_metadata(entry.path())?;
        let ty = meta.file_type();
        let perm = meta.mode() & 0o7777;
        if ty.is_dir() {
            out.push(format!("{path} d {perm:o}\n"));
            walk(base, &path, out)?;
        } else if ty.is_symlink() {
            let target = fs::read_link(entry.path())?;
            out.push(format!("{path} l -> {}\n", target.display()));
        } else {
            let detail = if meta.len() <= 64 {
                format!("{:?}", String::from_utf8_lossy(&fs::read(entry.path())?))
            } else {
                format!("{} bytes", meta.len())
            };
            let links = if meta.nlink() > 1 {
                format!(" nlink={}", meta.nlink())
            } else {
                String::new()
            };
            out.push(format!("{path} - {perm:o} {detail}{links}\n"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lintel::tempdir::TempDir;

    #[test]
    fn copy_keeps_modes_links_and_times_and_describe_shows_them() {
        let t = TempDir::new().unwrap();
        let src = t.path().join("src");
        fs::create_dir_all(src.join("d/e")).unwrap();
        fs::write(src.join("d/f"), "hi\n").unwrap();
        fs::set_permissions(src.join("d/f"), fs::Permissions::from_mode(0o640)).unwrap();
        fs::hard_link(src.join("d/f"), src.join("h")).unwrap();
        fs::write(src.join("big"), vec![0u8; 100]).unwrap();
        std::os::unix::fs::symlink("d/f", src.join("l")).unwrap();
        set_mtime(&src.join("d/f"), 1_000_000_000).unwrap();
        set_mtime(&src.join("l"), 1_100_000_000).unwrap();
        set_mtime(&src.join("d"), 1_200_000_000).unwrap();
        assert_eq!(
            describe_tree(&src).unwrap(),
            "big - 644 100 bytes\n\
             d d 755\n\
             d/e d 755\n\
             d/f - 640 \"hi\\n\" nlink=2\n\
             h - 640 \"hi\\n\" nlink=2\n\
             l l -> d/f\n"
        );
        let dst = t.path().join("dst");
        copy_tree(&src, &dst).unwrap();
        // Hard links become copies.
        assert_eq!(
            describe_tree(&dst).unwrap(),
            describe_tree(&src).unwrap().replace(" nlink=2", "")
        );
        let mtime = |p: &str| fs::symlink_metadata(dst.join(p)).unwrap().mtime();
        assert_eq!(mtime("d/f"), 1_000_000_000);
        assert_eq!(mtime("l"), 1_100_000_000);
        assert_eq!(mtime("d"), 1_200_000_000);
    }
}
