//! The baseline guest of `lintel bench`: Debian's own `linux-image-amd64`
//! kernel (the package is downloaded with `apt-get download` and unpacked
//! with `dpkg-deb -x` under `target/bench/linux/`, never installed on the
//! host) with a tiny initramfs: Debian's static busybox, the 9p and
//! virtio-fs modules the package ships (in dependency order, from each
//! module's `depends=`), virtio-net's modules for the server rows, and an
//! `/init` that loads those its share (and network) needs, mounts the share
//! by tag on `/mnt`, brings `lo` and `eth0` up with a static address when
//! asked, runs the benchmark program (or server) chrooted there, prints
//! `BENCH-EXIT status=N` and powers off.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cpio::CpioWriter;
use crate::setup::BUSYBOX;

/// The modules the guest needs for a virtio-9p share on virtio-PCI (those
/// built into the kernel are left out; their dependencies come first).
pub const NINE_P_MODULES: &[&str] = &["virtio_pci", "9pnet_virtio", "9p"];

/// The same for a virtio-fs share.
pub const VIRTIOFS_MODULES: &[&str] = &["virtio_pci", "virtiofs"];

/// The same for the network of the server rows (virtio-net on virtio-PCI;
/// Debian's `virtio_net` needs `net_failover` and `failover`).
pub const NET_MODULES: &[&str] = &["virtio_pci", "virtio_net"];

/// The meta-package whose dependency names the current kernel package.
pub const META_PACKAGE: &str = "linux-image-amd64";

/// The ready guest.
#[derive(Clone, Debug)]
pub struct LinuxGuest {
    /// The kernel release, e.g. `6.1.0-56-amd64`.
    pub release: String,
    /// The Debian package the kernel came from.
    pub package: String,
    pub vmlinuz: PathBuf,
    pub initramfs: PathBuf,
    /// Loaded by `/init`, in this order, for a 9p share.
    pub modules: Vec<String>,
    /// The same for a virtio-fs share.
    pub virtiofs_modules: Vec<String>,
    /// Loaded too (those not loaded yet) when the guest has a network.
    pub net_modules: Vec<String>,
}

/// Downloads and unpacks the kernel package when `dir` does not hold it yet,
/// then writes the initramfs (`dir/initramfs.cpio`).
pub fn prepare(dir: &Path) -> io::Result<LinuxGuest> {
    let tree = dir.join("tree");
    if find_vmlinuz(&tree).is_none() {
        fetch(dir, &tree)?;
    }
    let (vmlinuz, release) = find_vmlinuz(&tree).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("no boot/vmlinuz-* in {}", tree.display()),
        )
    })?;
    let package = std::fs::read_to_string(dir.join("package"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| format!("linux-image-{release}"));
    let moddir = tree.join("lib/modules").join(&release);
    let builtin = std::fs::read_to_string(moddir.join("modules.builtin")).unwrap_or_default();
    let builtin = builtin_names(&builtin);
    let files = index_modules(&moddir.join("kernel"))?;
    let mut deps = BTreeMap::new();
    for (name, path) in &files {
        if path.extension().is_some_and(|e| e == "ko") {
            deps.insert(name.clone(), modinfo_depends(&std::fs::read(path)?));
        }
    }
    let missing = |name: &str| match files.get(name) {
        Some(p) if p.extension().is_some_and(|e| e != "ko") => format!(
            "module {name} is compressed ({}); only plain .ko files are supported",
            p.display()
        ),
        _ => format!(
            "module {name} is neither built in nor shipped in {}",
            moddir.display()
        ),
    };
    let modules = load_order(NINE_P_MODULES, &builtin, &deps, missing).map_err(io::Error::other)?;
    let virtiofs_modules =
        load_order(VIRTIOFS_MODULES, &builtin, &deps, missing).map_err(io::Error::other)?;
    let net_modules =
        load_order(NET_MODULES, &builtin, &deps, missing).map_err(io::Error::other)?;
    let initramfs = dir.join("initramfs.cpio");
    let sets = ModuleSets {
        nine_p: &modules,
        virtiofs: &virtiofs_modules,
        net: &net_modules,
    };
    write_initramfs(&initramfs, &sets, &files)?;
    Ok(LinuxGuest {
        release,
        package,
        vmlinuz,
        initramfs,
        modules,
        virtiofs_modules,
        net_modules,
    })
}

/// `tree/boot/vmlinuz-RELEASE` and `RELEASE`.
fn find_vmlinuz(tree: &Path) -> Option<(PathBuf, String)> {
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(tree.join("boot"))
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let release = name.strip_prefix("vmlinuz-")?.to_owned();
            Some((e.path(), release))
        })
        .collect();
    found.sort();
    found.pop()
}

/// `apt-get download` of the kernel package (after `apt-get update` when
/// the first try fails), then `dpkg-deb -x` into `tree`.
fn fetch(dir: &Path, tree: &Path) -> io::Result<()> {
    let debs = dir.join("deb");
    std::fs::create_dir_all(&debs)?;
    let package = match std::env::var("LINTEL_BENCH_LINUX_PACKAGE") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            let out = Command::new("apt-cache")
                .args(["depends", META_PACKAGE])
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| io::Error::new(e.kind(), format!("running apt-cache: {e}")))?;
            kernel_package(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| {
                io::Error::other(format!(
                    "apt-cache does not know {META_PACKAGE}'s kernel package \
                     (run apt-get update, or set LINTEL_BENCH_LINUX_PACKAGE)"
                ))
            })?
        }
    };
    eprintln!("lintel bench: downloading {package} (the Linux guest's kernel)");
    let download = || {
        Command::new("apt-get")
            .args(["download", "-q", &package])
            .current_dir(&debs)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !download() {
        let _ = Command::new("apt-get")
            .args(["update", "-q"])
            .stdout(Stdio::null())
            .status();
        if !download() {
            return Err(io::Error::other(format!(
                "apt-get download {package} failed (in {})",
                debs.display()
            )));
        }
    }
    let deb = std::fs::read_dir(&debs)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
        .max()
        .ok_or_else(|| io::Error::other(format!("no {package}_*.deb in {}", debs.display())))?;
    let partial = dir.join("tree.partial");
    let _ = std::fs::remove_dir_all(&partial);
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&partial)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running dpkg-deb: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "dpkg-deb -x {} failed ({status})",
            deb.display()
        )));
    }
    let _ = std::fs::remove_dir_all(tree);
    std::fs::rename(&partial, tree)?;
    std::fs::write(dir.join("package"), format!("{package}\n"))?;
    Ok(())
}

/// The kernel package in `apt-cache depends linux-image-amd64`'s output:
/// the first `Depends: linux-image-...` line.
pub fn kernel_package(apt_cache_depends: &str) -> Option<String> {
    apt_cache_depends.lines().find_map(|l| {
        let dep = l
            .trim()
            .trim_start_matches('|')
            .strip_prefix("Depends:")?
            .trim();
        (dep.starts_with("linux-image-") && !dep.contains(' ')).then(|| dep.to_owned())
    })
}

/// A module's name as the kernel spells it: the file name without
/// `.ko[.xz|.zst|.gz]`, with `-` as `_`.
pub fn module_name(file_name: &str) -> Option<String> {
    let stem = file_name.split_once(".ko")?.0;
    Some(stem.replace('-', "_"))
}

/// The module names listed in `modules.builtin` (`kernel/fs/x/y.ko` lines).
pub fn builtin_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| module_name(l.trim().rsplit('/').next()?))
        .collect()
}

/// Every module file below `dir`, by module name.
fn index_modules(dir: &Path) -> io::Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.display())))?
        {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push(path);
            } else if let Some(name) = entry.file_name().to_str().and_then(module_name) {
                out.insert(name, path);
            }
        }
    }
    Ok(out)
}

/// The `depends=` entry of a module's `.modinfo` section: NUL-separated
/// `key=value` strings, found by scanning the file.
pub fn modinfo_depends(ko: &[u8]) -> Vec<String> {
    const KEY: &[u8] = b"depends=";
    let mut at = 0;
    while let Some(pos) = ko[at..].windows(KEY.len()).position(|w| w == KEY) {
        let start = at + pos;
        at = start + KEY.len();
        if start > 0 && ko[start - 1] != 0 {
            continue;
        }
        let end = ko[at..]
            .iter()
            .position(|&b| b == 0)
            .map_or(ko.len(), |n| at + n);
        return String::from_utf8_lossy(&ko[at..end])
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace('-', "_"))
            .collect();
    }
    Vec::new()
}

/// The modules to load for `wanted`, dependencies first, each once, leaving
/// out the built-in ones. `missing(name)` explains a module that is neither.
pub fn load_order(
    wanted: &[&str],
    builtin: &BTreeSet<String>,
    deps: &BTreeMap<String, Vec<String>>,
    missing: impl Fn(&str) -> String,
) -> Result<Vec<String>, String> {
    fn visit(
        name: &str,
        builtin: &BTreeSet<String>,
        deps: &BTreeMap<String, Vec<String>>,
        missing: &dyn Fn(&str) -> String,
        path: &mut Vec<String>,
        out: &mut Vec<String>,
    ) -> Result<(), String> {
        if builtin.contains(name) || out.iter().any(|m| m == name) {
            return Ok(());
        }
        if path.iter().any(|m| m == name) {
            return Err(format!("module dependency cycle through {name}"));
        }
        let Some(ds) = deps.get(name) else {
            return Err(missing(name));
        };
        path.push(name.to_owned());
        for d in ds {
            visit(d, builtin, deps, missing, path, out)?;
        }
        path.pop();
        out.push(name.to_owned());
        Ok(())
    }
    let mut out = Vec::new();
    for w in wanted {
        visit(w, builtin, deps, &missing, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// The module lists `/init` chooses from, each in load order.
#[derive(Clone, Copy, Debug)]
pub struct ModuleSets<'a> {
    pub nine_p: &'a [String],
    pub virtiofs: &'a [String],
    pub net: &'a [String],
}

/// The guest's `/init`: mounts, the modules of the share's file system in
/// order (then virtio-net's, those not loaded yet, when `$lbnet` is set),
/// the share by tag on `/mnt` (`$lbfs` from the kernel command line:
/// `virtiofs`, or 9p with the options in `$lbmount`), `lo` and `eth0` up
/// with the address `$lbnet` gives (`ADDR/PREFIX[,GATEWAY]`, busybox `ip`),
/// the program (init's arguments) chrooted there with an empty
/// environment, its status, power off. A server runs in the foreground
/// until the host stops the machine.
pub fn init_script(m: &ModuleSets) -> String {
    format!(
        r#"#!/bin/busybox sh
# The Linux guest of `lintel bench` (written by cli/src/bench/linux.rs).
B=/bin/busybox
# A bare `nokaslr` (for profiling against System.map) also reaches init.
[ "$1" = nokaslr ] && shift
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
if [ "$lbfs" = virtiofs ]; then
  modules="{virtiofs_modules}"
else
  modules="{nine_p_modules}"
fi
[ -n "$lbnet" ] && modules="$modules {net_modules}"
loaded=" "
for m in $modules; do
  case "$loaded" in *" $m "*) continue ;; esac
  $B insmod /lib/modules/$m.ko || echo "lintel-bench: insmod $m failed"
  loaded="$loaded$m "
done
if [ -n "$lbnet" ]; then
  $B ip link set lo up
  $B ip link set eth0 up
  $B ip addr add "${{lbnet%%,*}}" dev eth0
  case "$lbnet" in
    *,*) $B ip route add default via "${{lbnet#*,}}" ;;
  esac
fi
mount_share() {{
  if [ "$lbfs" = virtiofs ]; then
    $B mount -t virtiofs root /mnt
  else
    $B mount -t 9p -o "$lbmount" root /mnt
  fi
}}
if mount_share; then
  $B mount -t devtmpfs devtmpfs /mnt/dev
  $B mount -t proc proc /mnt/proc
  $B env -i $B chroot /mnt "$@"
  echo "BENCH-EXIT status=$?"
else
  echo "BENCH-EXIT status=mount-failed"
fi
$B poweroff -f
"#,
        nine_p_modules = m.nine_p.join(" "),
        virtiofs_modules = m.virtiofs.join(" "),
        net_modules = m.net.join(" "),
    )
}

/// The `/init` parameter of a static address: `lbnet=ADDR/PREFIX` and
/// `,GATEWAY` when there is one.
pub fn net_param(ip: crate::net::Ipv4Cidr, gw: Option<[u8; 4]>) -> String {
    match gw {
        Some(gw) => format!("lbnet={ip},{}", crate::net::Ipv4(gw)),
        None => format!("lbnet={ip}"),
    }
}

/// The kernel command line: the console on ttyS0, `quiet`, reboot (= QEMU
/// exits, `-no-reboot`) on panic, the share's parameters for `/init`
/// (`lbfs=9p lbmount=OPTIONS` or `lbfs=virtiofs`: unknown to the kernel,
/// they reach init as environment variables), then the program and its
/// arguments after `--` (they become init's arguments).
pub fn kernel_cmdline(share_params: &str, argv: &[String]) -> String {
    let mut s = format!("console=ttyS0 quiet panic=-1 {share_params} --");
    for a in argv {
        s.push(' ');
        s.push_str(a);
    }
    s
}

fn write_initramfs(
    path: &Path,
    sets: &ModuleSets,
    files: &BTreeMap<String, PathBuf>,
) -> io::Result<()> {
    let tmp = path.with_extension("partial");
    let mut w = CpioWriter::new(BufWriter::new(std::fs::File::create(&tmp)?));
    for d in ["bin", "dev", "proc", "sys", "mnt", "lib", "lib/modules"] {
        w.dir(d.as_bytes(), 0o755)?;
    }
    let busybox = std::fs::read(BUSYBOX)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {BUSYBOX}: {e}")))?;
    w.file(b"bin/busybox", 0o755, &busybox)?;
    w.file(b"init", 0o755, init_script(sets).as_bytes())?;
    let mut all: Vec<&String> = sets
        .nine_p
        .iter()
        .chain(sets.virtiofs)
        .chain(sets.net)
        .collect();
    all.sort();
    all.dedup();
    for m in all {
        let data = std::fs::read(&files[m])?;
        w.file(format!("lib/modules/{m}.ko").as_bytes(), 0o644, &data)?;
    }
    use std::io::Write;
    w.finish()?.flush()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_package_comes_from_apt_cache() {
        let out = "linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n";
        assert_eq!(
            kernel_package(out).as_deref(),
            Some("linux-image-6.1.0-56-amd64")
        );
        let alt = "linux-image-amd64\n |Depends: linux-image-6.1.0-9-amd64\n  Depends: x\n";
        assert_eq!(
            kernel_package(alt).as_deref(),
            Some("linux-image-6.1.0-9-amd64")
        );
        assert_eq!(
            kernel_package("linux-image-amd64\n  Depends: initramfs-tools\n"),
            None
        );
        assert_eq!(kernel_package(""), None);
    }

    #[test]
    fn module_names() {
        assert_eq!(
            module_name("9pnet_virtio.ko").as_deref(),
            Some("9pnet_virtio")
        );
        assert_eq!(
            module_name("virtio-pci.ko.xz").as_deref(),
            Some("virtio_pci")
        );
        assert_eq!(module_name("README"), None);
        let b = builtin_names("kernel/drivers/virtio/virtio.ko\nkernel/fs/fuse/fuse.ko\n\n");
        assert_eq!(b.into_iter().collect::<Vec<_>>(), ["fuse", "virtio"]);
    }

    #[test]
    fn depends_come_from_modinfo() {
        let ko = b"\x7fELF...\0license=GPL\0depends=virtio,9pnet,virtio_ring\0retpoline=Y\0";
        assert_eq!(modinfo_depends(ko), ["virtio", "9pnet", "virtio_ring"]);
        assert!(modinfo_depends(b"\0license=GPL\0depends=\0name=x\0").is_empty());
        // Only a whole entry counts, not a string that ends in "depends=".
        assert_eq!(modinfo_depends(b"\0xdepends=nope\0depends=a-b\0"), ["a_b"]);
        assert!(modinfo_depends(b"no modinfo here").is_empty());
    }

    fn deps(list: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        list.iter()
            .map(|(m, ds)| (m.to_string(), ds.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    #[test]
    fn modules_load_after_their_dependencies() {
        // Debian 6.1's real graph.
        let d = deps(&[
            ("9p", &["9pnet", "fscache", "netfs"]),
            ("9pnet", &[]),
            ("9pnet_virtio", &["virtio", "9pnet", "virtio_ring"]),
            ("netfs", &[]),
            ("fscache", &["netfs"]),
            (
                "virtio_pci",
                &[
                    "virtio_ring",
                    "virtio_pci_modern_dev",
                    "virtio_pci_legacy_dev",
                    "virtio",
                ],
            ),
            ("virtio", &["virtio_ring"]),
            ("virtio_ring", &[]),
            ("virtio_pci_modern_dev", &[]),
            ("virtio_pci_legacy_dev", &[]),
        ]);
        let order = load_order(NINE_P_MODULES, &BTreeSet::new(), &d, |m| m.to_owned()).unwrap();
        assert_eq!(
            order,
            [
                "virtio_ring",
                "virtio_pci_modern_dev",
                "virtio_pci_legacy_dev",
                "virtio",
                "virtio_pci",
                "9pnet",
                "9pnet_virtio",
                "netfs",
                "fscache",
                "9p"
            ]
        );
        // Built-in modules are skipped, dependencies included.
        let builtin: BTreeSet<String> = ["virtio", "virtio_ring", "virtio_pci"]
            .map(String::from)
            .into();
        let order = load_order(NINE_P_MODULES, &builtin, &d, |m| m.to_owned()).unwrap();
        assert_eq!(order, ["9pnet", "9pnet_virtio", "netfs", "fscache", "9p"]);
        // Missing modules and cycles are errors.
        let mut d = d;
        d.insert("fuse".into(), vec![]);
        d.insert(
            "virtiofs".into(),
            ["fuse", "virtio", "virtio_ring"].map(String::from).to_vec(),
        );
        let order = load_order(VIRTIOFS_MODULES, &builtin, &d, |m| m.to_owned()).unwrap();
        assert_eq!(order, ["fuse", "virtiofs"]);
        let e = load_order(
            &["9p"],
            &BTreeSet::new(),
            &deps(&[("9p", &["nope"])]),
            |m| format!("missing {m}"),
        );
        assert_eq!(e, Err("missing nope".to_owned()));
        let cyc = deps(&[("a", &["b"]), ("b", &["a"])]);
        assert!(load_order(&["a"], &BTreeSet::new(), &cyc, |m| m.to_owned()).is_err());
    }

    fn sets_for_tests() -> [Vec<String>; 3] {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        [
            v(&["virtio", "9pnet", "9p"]),
            v(&["virtio", "fuse", "virtiofs"]),
            v(&["virtio", "failover", "net_failover", "virtio_net"]),
        ]
    }

    #[test]
    fn init_and_command_line() {
        let [nine_p, virtiofs, net] = sets_for_tests();
        let s = init_script(&ModuleSets {
            nine_p: &nine_p,
            virtiofs: &virtiofs,
            net: &net,
        });
        assert!(s.starts_with("#!/bin/busybox sh\n"));
        assert!(
            s.contains("  modules=\"virtio fuse virtiofs\"\nelse\n  modules=\"virtio 9pnet 9p\"\n"),
            "{s}"
        );
        assert!(s.contains("for m in $modules; do"), "{s}");
        assert!(
            s.contains(
                "[ -n \"$lbnet\" ] && modules=\"$modules virtio failover net_failover virtio_net\""
            ),
            "{s}"
        );
        assert!(
            s.contains(r#"$B mount -t 9p -o "$lbmount" root /mnt"#),
            "{s}"
        );
        assert!(s.contains("$B mount -t virtiofs root /mnt"), "{s}");
        assert!(s.contains("$B env -i $B chroot /mnt \"$@\"\n  echo \"BENCH-EXIT status=$?\""));
        assert!(s.trim_end().ends_with("$B poweroff -f"));
        assert_eq!(
            kernel_cmdline(
                "lbfs=9p lbmount=trans=virtio,version=9p2000.L,msize=512000,cache=none",
                &["/bin/fileio".into(), "/work".into(), "64".into()]
            ),
            "console=ttyS0 quiet panic=-1 lbfs=9p \
             lbmount=trans=virtio,version=9p2000.L,msize=512000,cache=none -- /bin/fileio /work 64"
        );
        assert_eq!(
            kernel_cmdline("lbfs=virtiofs", &["/bin/boot".into()]),
            "console=ttyS0 quiet panic=-1 lbfs=virtiofs -- /bin/boot"
        );
        assert_eq!(
            net_param(crate::net::USER_GUEST_ADDR, Some(crate::net::USER_GATEWAY)),
            "lbnet=10.0.2.15/24,10.0.2.2"
        );
        assert_eq!(
            net_param("192.168.7.9/20".parse().unwrap(), None),
            "lbnet=192.168.7.9/20"
        );
    }

    /// Runs `/init` with `sh`, every busybox applet replaced by `echo`, in
    /// the environment the kernel would give it: what it would do, in order.
    fn dry_run(env: &[(&str, &str)], args: &[&str]) -> Vec<String> {
        let [nine_p, virtiofs, net] = sets_for_tests();
        let script = init_script(&ModuleSets {
            nine_p: &nine_p,
            virtiofs: &virtiofs,
            net: &net,
        })
        .replace("\nB=/bin/busybox\n", "\nB=echo\n");
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg("init")
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .expect("running sh");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn init_loads_each_module_once_and_configures_the_network() {
        let ran = dry_run(
            &[
                ("lbfs", "9p"),
                ("lbmount", "trans=virtio,cache=none"),
                ("lbnet", "10.0.2.15/24,10.0.2.2"),
            ],
            &["/sbin/nginx", "-g", "x y"],
        );
        let insmods: Vec<&str> = ran
            .iter()
            .filter_map(|l| l.strip_prefix("insmod /lib/modules/"))
            .collect();
        assert_eq!(
            insmods,
            [
                "virtio.ko",
                "9pnet.ko",
                "9p.ko",
                "failover.ko",
                "net_failover.ko",
                "virtio_net.ko"
            ],
            "{ran:#?}"
        );
        let at = |want: &str| {
            ran.iter()
                .position(|l| l == want)
                .unwrap_or_else(|| panic!("no `{want}` in {ran:#?}"))
        };
        let lo = at("ip link set lo up");
        let up = at("ip link set eth0 up");
        let addr = at("ip addr add 10.0.2.15/24 dev eth0");
        let route = at("ip route add default via 10.0.2.2");
        let mount = at("mount -t 9p -o trans=virtio,cache=none root /mnt");
        let chroot = at("env -i echo chroot /mnt /sbin/nginx -g x y");
        assert!(lo < up && up < addr && addr < route && route < mount && mount < chroot);
        assert_eq!(ran[chroot + 1], "BENCH-EXIT status=0");
        assert_eq!(ran.last().map(String::as_str), Some("poweroff -f"));

        // Without a gateway: no route. Without lbnet: no network at all.
        let ran = dry_run(&[("lbfs", "9p"), ("lbnet", "192.168.7.9/20")], &["/bin/x"]);
        assert!(ran
            .iter()
            .any(|l| l == "ip addr add 192.168.7.9/20 dev eth0"));
        assert!(!ran.iter().any(|l| l.starts_with("ip route")), "{ran:#?}");
        let ran = dry_run(&[("lbfs", "virtiofs")], &["/bin/x"]);
        assert!(!ran.iter().any(|l| l.starts_with("ip ")), "{ran:#?}");
        assert!(ran.iter().any(|l| l == "insmod /lib/modules/virtiofs.ko"));
        assert!(!ran.iter().any(|l| l.contains("virtio_net")), "{ran:#?}");
    }
}
