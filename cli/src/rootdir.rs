//! `lintel run --root DIR`: a host directory packed whole into the initrd
//! (which the kernel unpacks into a tmpfs mounted at `/`), and the program's
//! path inside it.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use crate::cpio::{CpioWriter, Meta};

/// An entry left out of the archive: sockets, devices and FIFOs cannot be
/// packed (devices come from the kernel's devfs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The host path.
    pub path: PathBuf,
    /// `socket`, `block device`, `character device`, `FIFO`.
    pub kind: &'static str,
}

/// What [`pack_root`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Packed {
    /// Entries in the archive (the trailer not counted).
    pub entries: usize,
    /// Archive size in bytes.
    pub bytes: u64,
    pub skipped: Vec<Skipped>,
}

/// Writes `root`'s whole tree as a newc archive to `out`: directories,
/// regular files (streamed, never held in memory whole) and symlinks (as
/// symlinks), each with its permission bits, owner, group and modification
/// time. `root` itself is not an entry: its children are `bin`, `bin/sh`...
///
/// The order is deterministic: depth first, a directory before its contents,
/// the entries of a directory sorted by the bytes of their names. Hard links
/// are packed as separate copies. Sockets, devices and FIFOs are skipped and
/// reported in [`Packed::skipped`].
pub fn pack_root<W: Write>(root: &Path, out: W) -> io::Result<Packed> {
    let meta = std::fs::metadata(root).map_err(|e| with_path(e, root))?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the root {} is not a directory", root.display()),
        ));
    }
    let mut w = CpioWriter::new(out);
    let mut packed = Packed::default();
    // Relative names still to visit, the next one last.
    let mut todo: Vec<Vec<u8>> = sorted_children(root, &[])?;
    todo.reverse();
    while let Some(name) = todo.pop() {
        let host = root.join(OsString::from_vec(name.clone()));
        let meta = std::fs::symlink_metadata(&host).map_err(|e| with_path(e, &host))?;
        let ty = meta.file_type();
        let m = entry_meta(&meta);
        if ty.is_dir() {
            w.dir_meta(&name, &m).map_err(|e| with_path(e, &host))?;
            let mut children = sorted_children(root, &name)?;
            children.reverse();
            todo.extend(children);
        } else if ty.is_file() {
            let mut f = File::open(&host).map_err(|e| with_path(e, &host))?;
            w.file_from(&name, &m, meta.len(), &mut f)
                .map_err(|e| with_path(e, &host))?;
        } else if ty.is_symlink() {
            let target = std::fs::read_link(&host).map_err(|e| with_path(e, &host))?;
            w.symlink_meta(&name, &m, target.as_os_str().as_bytes())
                .map_err(|e| with_path(e, &host))?;
        } else {
            let kind = if ty.is_socket() {
                "socket"
            } else if ty.is_block_device() {
                "block device"
            } else if ty.is_char_device() {
                "character device"
            } else {
                "FIFO"
            };
            packed.skipped.push(Skipped { path: host, kind });
            continue;
        }
        packed.entries += 1;
    }
    packed.bytes = w.written();
    w.finish()?;
    // The trailer entry: its header and name, padded.
    packed.bytes += (110 + 11_u64).next_multiple_of(4);
    Ok(packed)
}

/// The names in the directory `rel` (relative to `root`), as relative paths
/// (`rel/name`), sorted by bytes.
fn sorted_children(root: &Path, rel: &[u8]) -> io::Result<Vec<Vec<u8>>> {
    let dir = root.join(OsString::from_vec(rel.to_vec()));
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| with_path(e, &dir))? {
        let entry = entry.map_err(|e| with_path(e, &dir))?;
        let mut name = rel.to_vec();
        if !name.is_empty() {
            name.push(b'/');
        }
        name.extend_from_slice(entry.file_name().as_bytes());
        names.push(name);
    }
    names.sort();
    Ok(names)
}

fn entry_meta(meta: &Metadata) -> Meta {
    Meta {
        perm: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        // newc holds 32 unsigned bits of seconds.
        mtime: meta.mtime().clamp(0, i64::from(u32::MAX)) as u32,
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// How many symlinks [`init_path`] follows before giving up (Linux's limit).
const MAX_SYMLINKS: usize = 40;

/// The absolute path inside the root of `program` (absolute, like
/// `/bin/busybox`, or relative to the root, like `bin/busybox`), checked on
/// the host: it must name a regular file in `root`, symlinks resolved inside
/// `root` (an absolute target starts again at `root`, never at the host's /).
/// `.` components are dropped; `..` is refused.
pub fn init_path(root: &Path, program: &Path) -> io::Result<Vec<u8>> {
    let bad = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("PROGRAM {}: {why}", program.display()),
        )
    };
    let mut names: Vec<&[u8]> = Vec::new();
    for c in program.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => names.push(n.as_bytes()),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(bad("must be a path inside the root, without `..`"))
            }
        }
    }
    if names.is_empty() {
        return Err(bad("names no file"));
    }
    let mut init = Vec::new();
    for n in &names {
        init.push(b'/');
        init.extend_from_slice(n);
    }
    let host = resolve_in_root(root, &init).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "PROGRAM {} in the root {}: {e}",
                program.display(),
                root.display()
            ),
        )
    })?;
    let meta = std::fs::metadata(&host).map_err(|e| with_path(e, &host))?;
    if !meta.is_file() {
        return Err(bad(&format!(
            "is not a regular file in the root {}",
            root.display()
        )));
    }
    Ok(init)
}

/// The host path that the absolute guest path `path` names once the root is
/// unpacked: every component is looked up under `root`, and symlinks are
/// followed the way the kernel will follow them (absolute targets from the
/// root, `..` never above it).
fn resolve_in_root(root: &Path, path: &[u8]) -> io::Result<PathBuf> {
    // The components still to walk, the next one last.
    let mut todo: Vec<Vec<u8>> = split_rev(path);
    let mut at: Vec<Vec<u8>> = Vec::new();
    let mut links = 0;
    while let Some(name) = todo.pop() {
        match name.as_slice() {
            b"." => continue,
            b".." => {
                at.pop();
                continue;
            }
            _ => {}
        }
        let mut host = root.to_path_buf();
        for n in at.iter().chain(std::iter::once(&name)) {
            host.push(OsString::from_vec(n.clone()));
        }
        let meta = std::fs::symlink_metadata(&host)?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "too many levels of symbolic links",
                ));
            }
            let target = std::fs::read_link(&host)?;
            let target = target.as_os_str().as_bytes();
            if target.starts_with(b"/") {
                at.clear();
            }
            todo.extend(split_rev(target));
        } else {
            if !todo.is_empty() && !meta.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a directory", host.display()),
                ));
            }
            at.push(name);
        }
    }
    let mut host = root.to_path_buf();
    for n in at {
        host.push(OsString::from_vec(n));
    }
    Ok(host)
}

/// The non-empty `/`-separated components of `path`, last first.
fn split_rev(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpio::tests::{parse, Entry};
    use crate::cpio::{S_IFDIR, S_IFLNK, S_IFREG};
    use crate::tempdir::TempDir;
    use std::fs::{self, FileTimes};
    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::time::{Duration, UNIX_EPOCH};

    fn pack(root: &Path) -> (Vec<Entry>, Packed) {
        let mut out = Vec::new();
        let packed = pack_root(root, &mut out).unwrap();
        assert_eq!(packed.bytes, out.len() as u64);
        (parse(&out), packed)
    }

    fn names(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| String::from_utf8(e.name.clone()).unwrap())
            .collect()
    }

    fn chmod(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn set_mtime(p: &Path, secs: u64) {
        File::open(p)
            .unwrap()
            .set_times(FileTimes::new().set_modified(UNIX_EPOCH + Duration::from_secs(secs)))
            .unwrap();
    }

    /// bin/busybox, bin/sh -> busybox, etc/motd, etc/empty/, a/b/c/deep, z
    fn sample_tree() -> TempDir {
        let t = TempDir::new().unwrap();
        let r = t.path();
        fs::create_dir_all(r.join("bin")).unwrap();
        fs::write(r.join("bin/busybox"), b"\x7fELF busybox").unwrap();
        chmod(&r.join("bin/busybox"), 0o755);
        symlink("busybox", r.join("bin/sh")).unwrap();
        fs::create_dir_all(r.join("etc/empty")).unwrap();
        chmod(&r.join("etc/empty"), 0o700);
        fs::write(r.join("etc/motd"), b"hello\n").unwrap();
        chmod(&r.join("etc/motd"), 0o640);
        fs::create_dir_all(r.join("a/b/c")).unwrap();
        fs::write(r.join("a/b/c/deep"), b"").unwrap();
        chmod(&r.join("a/b/c/deep"), 0o4711);
        fs::write(r.join("z"), vec![7u8; 100_003]).unwrap();
        chmod(&r.join("z"), 0o600);
        t
    }

    #[test]
    fn nested_tree_in_depth_first_sorted_order() {
        let t = sample_tree();
        let (entries, packed) = pack(t.path());
        assert_eq!(
            names(&entries),
            [
                "a",
                "a/b",
                "a/b/c",
                "a/b/c/deep",
                "bin",
                "bin/busybox",
                "bin/sh",
                "etc",
                "etc/empty",
                "etc/motd",
                "z"
            ]
        );
        assert_eq!(packed.entries, entries.len());
        assert!(packed.skipped.is_empty());
        // Inode numbers are distinct.
        let mut inos: Vec<u32> = entries.iter().map(|e| e.ino).collect();
        inos.dedup();
        assert_eq!(inos.len(), entries.len());
    }

    #[test]
    fn modes_data_and_symlinks() {
        let t = sample_tree();
        let (entries, _) = pack(t.path());
        let get = |n: &str| entries.iter().find(|e| e.name == n.as_bytes()).unwrap();
        assert_eq!(get("bin/busybox").mode, S_IFREG | 0o755);
        assert_eq!(get("bin/busybox").data, b"\x7fELF busybox");
        assert_eq!(get("bin/sh").mode, S_IFLNK | 0o777);
        assert_eq!(get("bin/sh").data, b"busybox");
        assert_eq!(get("etc/empty").mode, S_IFDIR | 0o700);
        assert!(get("etc/empty").data.is_empty());
        assert_eq!(get("etc/motd").mode, S_IFREG | 0o640);
        assert_eq!(get("a/b/c/deep").mode, S_IFREG | 0o4711);
        assert_eq!(get("z").data, vec![7u8; 100_003]);
        assert_eq!(get("z").mode, S_IFREG | 0o600);
    }

    #[test]
    fn owner_and_mtime_are_recorded() {
        let t = sample_tree();
        set_mtime(&t.path().join("etc/motd"), 1_600_000_000);
        set_mtime(&t.path().join("etc"), 1_500_000_000);
        let (entries, _) = pack(t.path());
        let me = fs::metadata(t.path()).unwrap();
        let get = |n: &str| entries.iter().find(|e| e.name == n.as_bytes()).unwrap();
        assert_eq!(get("etc/motd").mtime, 1_600_000_000);
        assert_eq!(get("etc").mtime, 1_500_000_000);
        assert_eq!((get("z").uid, get("z").gid), (me.uid(), me.gid()));
    }

    #[test]
    fn packing_is_deterministic_and_round_trips_through_cpio() {
        let t = sample_tree();
        let mut a = Vec::new();
        let mut b = Vec::new();
        pack_root(t.path(), &mut a).unwrap();
        pack_root(t.path(), &mut b).unwrap();
        assert_eq!(a, b);
        // GNU cpio, when present, unpacks it into the same tree.
        let out = TempDir::new().unwrap();
        let Ok(mut child) = std::process::Command::new("cpio")
            .args(["-i", "-d", "--quiet", "--no-absolute-filenames"])
            .current_dir(out.path())
            .stdin(std::process::Stdio::piped())
            .spawn()
        else {
            eprintln!("no cpio; skipping the unpack check");
            return;
        };
        child.stdin.take().unwrap().write_all(&a).unwrap();
        assert!(child.wait().unwrap().success());
        assert_eq!(fs::read(out.path().join("etc/motd")).unwrap(), b"hello\n");
        assert_eq!(
            fs::read_link(out.path().join("bin/sh")).unwrap(),
            Path::new("busybox")
        );
        assert_eq!(fs::read(out.path().join("z")).unwrap(), vec![7u8; 100_003]);
        let mode = fs::metadata(out.path().join("etc/motd")).unwrap().mode();
        assert_eq!(mode & 0o7777, 0o640);
    }

    #[test]
    fn names_sort_by_bytes_and_odd_names_survive() {
        let t = TempDir::new().unwrap();
        for n in ["b", "B", "a b", "ä", "_", "a.b", "a-b"] {
            fs::write(t.path().join(n), n).unwrap();
        }
        let (entries, _) = pack(t.path());
        assert_eq!(names(&entries), ["B", "_", "a b", "a-b", "a.b", "b", "ä"]);
        assert_eq!(entries[2].data, b"a b");
    }

    #[test]
    fn empty_root_is_just_the_trailer() {
        let t = TempDir::new().unwrap();
        let (entries, packed) = pack(t.path());
        assert!(entries.is_empty());
        assert_eq!(packed.entries, 0);
    }

    #[test]
    fn fifos_and_sockets_are_skipped() {
        let t = TempDir::new().unwrap();
        fs::write(t.path().join("file"), b"x").unwrap();
        let fifo = t.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let sock = t.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let (entries, packed) = pack(t.path());
        assert_eq!(names(&entries), ["file"]);
        assert_eq!(
            packed.skipped,
            [
                Skipped {
                    path: fifo,
                    kind: "FIFO"
                },
                Skipped {
                    path: sock,
                    kind: "socket"
                }
            ]
        );
    }

    #[test]
    fn a_root_that_is_no_directory_is_an_error() {
        let t = TempDir::new().unwrap();
        let f = t.path().join("f");
        fs::write(&f, b"x").unwrap();
        assert_eq!(
            pack_root(&f, Vec::new()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            pack_root(&t.path().join("missing"), Vec::new())
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn program_paths_inside_the_root() {
        let t = sample_tree();
        let r = t.path();
        let init = |p: &str| init_path(r, Path::new(p));
        assert_eq!(init("/bin/busybox").unwrap(), b"/bin/busybox");
        assert_eq!(init("bin/busybox").unwrap(), b"/bin/busybox");
        assert_eq!(init("./bin//./busybox").unwrap(), b"/bin/busybox");
        // A symlink is kept as typed; the kernel follows it.
        assert_eq!(init("/bin/sh").unwrap(), b"/bin/sh");
        assert_eq!(
            init("/bin/nothing").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            init("/bin").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(init("/").unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            init("../x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert_eq!(
            init("/etc/motd/x").unwrap_err().kind(),
            io::ErrorKind::NotADirectory
        );
    }

    #[test]
    fn program_symlinks_resolve_inside_the_root() {
        let t = sample_tree();
        let r = t.path();
        // Absolute targets start at the root, not at the host's /.
        fs::create_dir_all(r.join("usr/bin")).unwrap();
        fs::write(r.join("usr/bin/tool"), b"x").unwrap();
        symlink("/usr/bin", r.join("sbin")).unwrap();
        assert_eq!(
            init_path(r, Path::new("/sbin/tool")).unwrap(),
            b"/sbin/tool"
        );
        // `/sbin/ls` exists on most hosts, but not in this root.
        assert!(init_path(r, Path::new("/sbin/ls")).is_err());
        // `..` in a target stops at the root.
        symlink("../../../../bin/busybox", r.join("up")).unwrap();
        assert_eq!(init_path(r, Path::new("/up")).unwrap(), b"/up");
        // Loops are an error, not a hang.
        symlink("loop", r.join("loop")).unwrap();
        assert!(init_path(r, Path::new("/loop")).is_err());
    }
}
