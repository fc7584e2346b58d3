//! Directory operations of the 9p file system that 9P2000.L does not carry
//! as such, through the VFS against Debian's diod: renameat2's
//! RENAME_NOREPLACE and RENAME_EXCHANGE, a removed directory that is still
//! held (a working directory), and readdir from a server that tells no
//! entry types (QEMU under security_model=mapped-xattr).

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use common::diod::Diod;
use common::tcp::TcpTransport;
use common::world::{list, names, world, world_over};
use lintel_fs_9p::{Client, Transport, TransportError};
use lintel_vfs::{Errno, FileType, OpenFlags, RENAME_EXCHANGE, RENAME_NOREPLACE};

/// Everything in the export, as "path: contents" (directories as "path/").
fn tree(d: &Diod) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let rel = e.path().strip_prefix(base).unwrap().display().to_string();
            if e.file_type().unwrap().is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &e.path(), out);
            } else {
                out.push(format!(
                    "{rel}: {}",
                    std::fs::read_to_string(e.path()).unwrap()
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(d.root(), d.root(), &mut out);
    out
}

#[test]
fn renameat2_noreplace_and_exchange() {
    let w = world("");
    let put = |p: &str, s: &str| std::fs::write(w.d.path(p), s).unwrap();
    put("a", "A");
    put("b", "B");
    std::fs::create_dir_all(w.d.path("d/e")).unwrap();
    put("d/c", "C");
    put("d/e/x", "X");
    let root = w.root.dentry.vnode().clone();
    let d = w.get("/d").unwrap().dentry.vnode().clone();

    // NOREPLACE: refused over an existing name, a plain rename otherwise.
    assert_eq!(
        root.rename(b"a", &root, b"b", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        root.rename(b"a", &root, b"d", RENAME_NOREPLACE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        root.rename(b"nope", &root, b"n", RENAME_NOREPLACE),
        Err(Errno::ENOENT)
    );
    root.rename(b"a", &root, b"n", RENAME_NOREPLACE).unwrap();
    assert_eq!(
        tree(&w.d),
        ["b: B", "d/", "d/c: C", "d/e/", "d/e/x: X", "n: A"]
    );

    // EXCHANGE: two files in one directory, across directories, a file
    // and a directory.
    root.rename(b"n", &root, b"b", RENAME_EXCHANGE).unwrap();
    assert_eq!(
        tree(&w.d),
        ["b: A", "d/", "d/c: C", "d/e/", "d/e/x: X", "n: B"]
    );
    root.rename(b"b", &d, b"c", RENAME_EXCHANGE).unwrap();
    assert_eq!(
        tree(&w.d),
        ["b: C", "d/", "d/c: A", "d/e/", "d/e/x: X", "n: B"]
    );
    let e_ino = std::fs::metadata(w.d.path("d/e")).unwrap().ino();
    d.rename(b"e", &root, b"n", RENAME_EXCHANGE).unwrap();
    assert_eq!(
        tree(&w.d),
        ["b: C", "d/", "d/c: A", "d/e: B", "n/", "n/x: X"]
    );
    assert_eq!(std::fs::metadata(w.d.path("n")).unwrap().ino(), e_ino);

    // Both names must exist; nothing moves otherwise.
    let before = tree(&w.d);
    assert_eq!(
        root.rename(b"b", &root, b"nope", RENAME_EXCHANGE),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        root.rename(b"nope", &root, b"b", RENAME_EXCHANGE),
        Err(Errno::ENOENT)
    );
    // A failed step is undone: "n" cannot move below itself (EINVAL from
    // the server at the second rename), so "n/x" comes back.
    let n = w.get("/n").unwrap().dentry.vnode().clone();
    assert_eq!(
        root.rename(b"n", &n, b"x", RENAME_EXCHANGE),
        Err(Errno::EINVAL)
    );
    assert_eq!(tree(&w.d), before, "nothing changed, no temporary left");

    // Two names of one file: nothing to do.
    std::fs::hard_link(w.d.path("b"), w.d.path("b2")).unwrap();
    root.rename(b"b", &root, b"b2", RENAME_EXCHANGE).unwrap();
    assert_eq!(std::fs::read(w.d.path("b2")).unwrap(), b"C");
    assert_eq!(std::fs::metadata(w.d.path("b")).unwrap().nlink(), 2);

    // RENAME_WHITEOUT, both flags, unknown flags: EINVAL, as from Linux.
    for flags in [4, RENAME_NOREPLACE | RENAME_EXCHANGE, 8, 1 << 31] {
        assert_eq!(
            root.rename(b"b", &root, b"q", flags),
            Err(Errno::EINVAL),
            "{flags:#x}"
        );
    }
    assert!(w.d.path("b").exists() && !w.d.path("q").exists());
}

#[test]
fn a_removed_directory_stays_usable_through_what_holds_it() {
    let w = world("");
    w.mkdir("/w", 0o755).unwrap();
    w.mkdir("/w/gone", 0o750).unwrap();
    // As chdir("/w/gone"): the working directory holds this path.
    let cwd = w.get("/w/gone").unwrap();
    let mode = cwd.dentry.vnode().getattr().unwrap().mode;
    assert_eq!(mode, 0o040750);
    // Names are not cached, but a new lookup of the same object finds the
    // same live dentry.
    assert!(w.get("/w/gone").unwrap().same(&cwd));
    assert!(w.get("/w/../w/./gone").unwrap().same(&cwd));
    // rmdir through another path reaches the held dentry (getcwd: ENOENT).
    w.rmdir("/w/gone").unwrap();
    assert!(!w.d.path("w/gone").exists());
    assert!(cwd.dentry.is_deleted());
    assert_eq!(w.get("/w/gone").err(), Some(Errno::ENOENT));
    // stat("."): the server no longer finds it, Linux answers from the dead
    // inode: its last attributes, with nlink 0.
    let a = cwd.dentry.vnode().getattr().unwrap();
    assert_eq!((a.mode, a.nlink), (0o040750, 0));
    assert_eq!(cwd.dentry.vnode().lookup(b"x").err(), Some(Errno::ENOENT));
    // A new directory of that name is a new object, and a new dentry.
    w.mkdir("/w/gone", 0o700).unwrap();
    let again = w.get("/w/gone").unwrap();
    assert!(!again.same(&cwd) && !again.dentry.is_deleted());
    assert_eq!(again.dentry.vnode().getattr().unwrap().mode, 0o040700);

    // A name the host points elsewhere gets a new dentry; the held one
    // keeps its object (not marked removed: we did not remove it).
    w.mkdir("/w/x", 0o755).unwrap();
    let held = w.get("/w/x").unwrap();
    std::fs::write(w.d.path("w/other"), b"file").unwrap();
    std::fs::remove_dir(w.d.path("w/x")).unwrap();
    std::fs::rename(w.d.path("w/other"), w.d.path("w/x")).unwrap();
    let now = w.get("/w/x").unwrap();
    assert!(!now.same(&held) && !held.dentry.is_deleted());
    assert_eq!(now.dentry.vnode().file_type().unwrap(), FileType::Regular);
}

/// Passes diod's replies on, but with every Rreaddir entry's type and qid
/// type zeroed: what QEMU sends under security_model=mapped-xattr, where
/// the host's file types are not the files' (DT_UNKNOWN, qid type 0).
struct NoTypes(TcpTransport);

const RREADDIR: u8 = 41;

impl Transport for NoTypes {
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError> {
        let mut msg = vec![0u8; reply.iter().map(|p| p.len()).sum()];
        let n = self.0.rpc(request, &mut [&mut msg[..]])?;
        if n >= 11 && msg[4] == RREADDIR {
            let end = 11 + u32::from_le_bytes(msg[7..11].try_into().unwrap()) as usize;
            let mut at = 11;
            while at + 24 <= end {
                msg[at] = 0; // qid type
                msg[at + 21] = 0; // d_type
                let len = u16::from_le_bytes([msg[at + 22], msg[at + 23]]) as usize;
                at += 24 + len;
            }
        }
        let mut rest = &msg[..n];
        for part in reply.iter_mut() {
            let k = rest.len().min(part.len());
            part[..k].copy_from_slice(&rest[..k]);
            rest = &rest[k..];
        }
        Ok(n)
    }

    fn max_msize(&self) -> u32 {
        self.0.max_msize()
    }
}

#[test]
fn readdir_finds_the_types_a_server_does_not_tell() {
    let d = Diod::start();
    let stream = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
    let t = Arc::new(NoTypes(TcpTransport::connect(stream)));
    let client = Client::new(t, d.config()).unwrap();
    let w = world_over(d, client, "");
    let mut want = BTreeMap::new();
    for i in 0..40 {
        std::fs::write(w.d.path(&format!("f{i:02}")), b"").unwrap();
        want.insert(format!("f{i:02}"), FileType::Regular);
    }
    std::fs::create_dir_all(w.d.path("sub/deeper")).unwrap();
    want.insert("sub".into(), FileType::Directory);
    std::os::unix::fs::symlink("f00", w.d.path("lnk")).unwrap();
    want.insert("lnk".into(), FileType::Symlink);
    w.root.dentry.vnode().mknod(b"fifo", 0o010644, 0).unwrap();
    want.insert("fifo".into(), FileType::Fifo);

    for (dir, want) in [
        ("/", want),
        (
            "/sub",
            BTreeMap::from([("deeper".into(), FileType::Directory)]),
        ),
    ] {
        let (_, h) = w.open(dir, OpenFlags::DIRECTORY, 0).unwrap();
        let entries = list(&*h, 5);
        assert!(entries.iter().all(|e| e.ino != 0));
        let mut got = names(&entries);
        assert_eq!(got.remove("."), Some(FileType::Directory), "{dir}");
        assert_eq!(got.remove(".."), Some(FileType::Directory), "{dir}");
        assert_eq!(got, want, "{dir}");
    }
}
