//! The boot-time tree: a tmpfs root holding the unpacked initrd, devfs on
//! /dev (the serial lines as ttyS0/ttyS1), tmpfs on /dev/shm and /tmp.

use crate::console::SerialTty;
use crate::{random, time};
use alloc::sync::Arc;
use alloc::vec;
use crate::proc::KernelProc;
use lintel_rootfs::devfs::{CharDev, DevFs};
use lintel_rootfs::procfs::ProcFs;
use lintel_rootfs::tmpfs::{Tmpfs, TmpfsOptions};
use lintel_syscall::fs::Vfs;
use lintel_vfs::{Errno, FileSystem, MountFlags, Path, Timespec, VfsResult};

fn now() -> Timespec {
    let ns = time::realtime_ns();
    Timespec { sec: (ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 }
}

fn ram() -> u64 {
    crate::mem::frame::stats().0 * 4096
}

/// Linux's default: a tmpfs may fill half of RAM.
fn tmpfs(mode: u32) -> Arc<Tmpfs> {
    Tmpfs::new(now, TmpfsOptions { size_limit: Some(ram() / 2), mode })
}

fn make_tmpfs(_source: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
    let mut o = TmpfsOptions::parse(data, ram())?;
    if o.size_limit.is_none() {
        o.size_limit = Some(ram() / 2);
    }
    Ok(Tmpfs::new(now, o))
}

/// makedev for st_rdev (glibc's encoding).
fn dev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & !0xff) << 12)
}

fn devfs() -> Arc<dyn FileSystem> {
    let tty = |name, line, minor| CharDev {
        name,
        rdev: dev(4, minor),
        mode: 0o020620,
        handle: Arc::new(SerialTty { line }),
    };
    DevFs::with_clock(
        random::fill,
        vec![
            CharDev { name: "console", rdev: dev(5, 1), mode: 0o020600, handle: Arc::new(SerialTty { line: 0 }) },
            CharDev { name: "tty", rdev: dev(5, 0), mode: 0o020666, handle: Arc::new(SerialTty { line: 0 }) },
            tty("ttyS0", 0, 64),
            tty("ttyS1", 1, 65),
        ],
        now,
    )
}

/// The directory `name` under `at`, created if missing.
fn ensure_dir(vfs: &Vfs, root: &Path, name: &[u8]) -> VfsResult<Path> {
    let r = lintel_vfs::Resolver { mounts: &vfs.mounts, root };
    match r.resolve(root, name, lintel_vfs::Follow::Yes) {
        Ok(p) => Ok(p),
        Err(Errno::ENOENT) => {
            let parent = r.resolve_parent(root, name)?;
            let v = parent.dir.dentry.vnode().mkdir(&parent.name, 0o755)?;
            let d = parent.dir.dentry.attach(&parent.name, v);
            Ok(Path { mnt: parent.dir.mnt.clone(), dentry: d })
        }
        Err(e) => Err(e),
    }
}

/// Builds the tree from the initrd archive; returns the VFS and the root.
pub fn build(initrd: Option<&[u8]>) -> Result<(Arc<Vfs>, Path), alloc::string::String> {
    let mut vfs = Vfs::default();
    vfs.registry.register("tmpfs", make_tmpfs);
    let root_fs = tmpfs(0o755);
    // Named "tmpfs", not "rootfs": df hides rootfs, and this root is a real tmpfs.
    let root = vfs.mounts.mount_root(root_fs, b"tmpfs", b"", MountFlags::empty());
    if let Some(archive) = initrd {
        let n = lintel_rootfs::unpack::unpack(root.dentry.vnode(), archive)
            .map_err(|e| alloc::format!("initrd: {e}"))?;
        log::info!("initrd: {n} entries unpacked into the tmpfs root");
    }
    let mounts: [(&[u8], Arc<dyn FileSystem>, &[u8]); 4] = [
        (b"/dev", devfs(), b"devtmpfs"),
        (b"/proc", ProcFs::new(Arc::new(KernelProc), now), b"proc"),
        (b"/dev/shm", tmpfs(0o1777), b"tmpfs"),
        (b"/tmp", tmpfs(0o1777), b"tmpfs"),
    ];
    for (at, fs, source) in mounts {
        let p = ensure_dir(&vfs, &root, at).map_err(|e| alloc::format!("mkdir {}: {:?}", alloc::string::String::from_utf8_lossy(at), e))?;
        vfs.mounts.mount(&p, fs, source, b"", MountFlags::empty()).map_err(|e| alloc::format!("mount: {e:?}"))?;
    }
    Ok((Arc::new(vfs), root))
}
