//! The boot-time tree: a tmpfs root holding the unpacked initrd, devfs on
//! /dev (the serial lines as ttyS0/ttyS1), tmpfs on /dev/shm and /tmp.

use crate::console::SerialTty;
use crate::proc::KernelProc;
use crate::{random, time};
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use lintel_rootfs::cmdline::BootConfig;
use lintel_rootfs::devfs::{CharDev, DevFs};
use lintel_rootfs::procfs::ProcFs;
use lintel_rootfs::tmpfs::{Tmpfs, TmpfsOptions};
use lintel_syscall::fs::Vfs;
use lintel_vfs::{Errno, FileSystem, MountFlags, Path, Timespec, VfsResult};

fn now() -> Timespec {
    let ns = time::realtime_ns();
    Timespec {
        sec: (ns / 1_000_000_000) as i64,
        nsec: (ns % 1_000_000_000) as u32,
    }
}

fn ram() -> u64 {
    crate::mem::frame::stats().0 * 4096
}

/// Linux's default: a tmpfs may fill half of RAM.
fn tmpfs(mode: u32) -> Arc<Tmpfs> {
    Tmpfs::new(
        now,
        TmpfsOptions {
            size_limit: Some(ram() / 2),
            mode,
        },
    )
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
            CharDev {
                name: "console",
                rdev: dev(5, 1),
                mode: 0o020600,
                handle: Arc::new(SerialTty { line: 0 }),
            },
            CharDev {
                name: "tty",
                rdev: dev(5, 0),
                mode: 0o020666,
                handle: Arc::new(SerialTty { line: 0 }),
            },
            tty("ttyS0", 0, 64),
            tty("ttyS1", 1, 65),
        ],
        now,
    )
}

/// The directory at absolute path `name`, created with its missing
/// parents (mkdir -p) on the root file system.
fn ensure_dir(vfs: &Vfs, root: &Path, name: &[u8]) -> VfsResult<Path> {
    let r = lintel_vfs::Resolver {
        mounts: &vfs.mounts,
        root,
    };
    let mut cur = root.clone();
    for part in name.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
        cur = match r.resolve(&cur, part, lintel_vfs::Follow::Yes) {
            Ok(p) => p,
            Err(Errno::ENOENT) => {
                log::info!(
                    "creating {} on the root file system for a mount",
                    String::from_utf8_lossy(name)
                );
                let v = cur.dentry.vnode().mkdir(part, 0o755)?;
                let d = cur.dentry.attach(part, v);
                Path {
                    mnt: cur.mnt.clone(),
                    dentry: d,
                }
            }
            Err(e) => return Err(e),
        };
    }
    Ok(cur)
}

fn name(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn errno(e: Errno) -> &'static str {
    e.name().unwrap_or("error")
}

/// Builds the tree: the root (`initrd` unpacked into a tmpfs, or a 9p
/// share by tag), the `mount=` entries, then /dev, /proc, /dev/shm and
/// /tmp (their directories are created on the root when missing).
pub fn build(cfg: &BootConfig, initrd: Option<&[u8]>) -> Result<(Arc<Vfs>, Path), String> {
    let mut vfs = Vfs::default();
    vfs.registry.register("tmpfs", make_tmpfs);
    vfs.registry.register("9p", crate::nine_p_fs::factory);
    vfs.registry
        .register("virtiofs", crate::virtiofs_fs::factory);
    crate::nine_p_fs::probe(cfg.virtio_legacy);
    crate::virtiofs_fs::probe();
    let spec = cfg.root.clone().unwrap_or_else(|| b"initrd".to_vec());
    let parts: Vec<&[u8]> = spec.splitn(2, |&c| c == b':').collect();
    let root = match parts[..] {
        [b"initrd"] => {
            // Named "tmpfs", not "rootfs": df hides rootfs, and this root is a real tmpfs.
            let root = vfs
                .mounts
                .mount_root(tmpfs(0o755), b"tmpfs", b"", MountFlags::empty());
            if let Some(archive) = initrd {
                let n = lintel_rootfs::unpack::unpack(root.dentry.vnode(), archive)
                    .map_err(|e| format!("initrd: {e}"))?;
                log::info!("initrd: {n} entries unpacked into the tmpfs root");
            }
            root
        }
        [b"9p", tag] => {
            let fs = crate::nine_p_fs::mount(tag, &cfg.rootflags)
                .map_err(|e| format!("root=9p:{}: {}", name(tag), errno(e)))?;
            vfs.mounts
                .mount_root(fs, tag, &cfg.rootflags, MountFlags::empty())
        }
        [b"virtiofs", tag] => {
            let fs = crate::virtiofs_fs::mount(tag, &cfg.rootflags)
                .map_err(|e| format!("root=virtiofs:{}: {}", name(tag), errno(e)))?;
            vfs.mounts
                .mount_root(fs, tag, &cfg.rootflags, MountFlags::empty())
        }
        _ => {
            return Err(format!(
                "root={}: unknown root (initrd, 9p:TAG, virtiofs:TAG)",
                name(&spec)
            ))
        }
    };
    for m in &cfg.mounts {
        let f: Vec<&[u8]> = m.splitn(4, |&c| c == b':').collect();
        let (ty, source, at, data) = match f[..] {
            [ty, source, at] => (ty, source, at, &b""[..]),
            [ty, source, at, data] => (ty, source, at, data),
            _ => {
                return Err(format!(
                    "mount={}: want TYPE:SOURCE:/path[:options]",
                    name(m)
                ))
            }
        };
        let fs = vfs
            .registry
            .make(ty, source, data)
            .map_err(|e| format!("mount={}: {}", name(m), errno(e)))?;
        let p =
            ensure_dir(&vfs, &root, at).map_err(|e| format!("mount={}: {}", name(m), errno(e)))?;
        vfs.mounts
            .mount(&p, fs, source, data, MountFlags::empty())
            .map_err(|e| format!("mount={}: {}", name(m), errno(e)))?;
    }
    let mounts: [(&[u8], Arc<dyn FileSystem>, &[u8]); 4] = [
        (b"/dev", devfs(), b"devtmpfs"),
        (b"/proc", ProcFs::new(Arc::new(KernelProc), now), b"proc"),
        (b"/dev/shm", tmpfs(0o1777), b"tmpfs"),
        (b"/tmp", tmpfs(0o1777), b"tmpfs"),
    ];
    for (at, fs, source) in mounts {
        let p =
            ensure_dir(&vfs, &root, at).map_err(|e| format!("mkdir {}: {}", name(at), errno(e)))?;
        vfs.mounts
            .mount(&p, fs, source, b"", MountFlags::empty())
            .map_err(|e| format!("mount {}: {}", name(at), errno(e)))?;
    }
    Ok((Arc::new(vfs), root))
}
