//! The VFS layer against the fake server: types from qids and odd modes,
//! hostile getattr and readdir replies mapped to EIO, and fid accounting.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use super::fake::{raw, Fake};
use crate::codec::{msg_type as mt, DirEntries, DirEntryRef, Tmsg};
use crate::qid::Qid;
use crate::vfs::{MountOptions, NinePFs};
use crate::{Client, ClientConfig};
use lintel_vfs::{DirEntry, Errno, FileSystem, FileType, OpenFlags};

fn setup(opts: &[u8]) -> (Arc<Fake>, Arc<NinePFs>) {
    let fake = Arc::new(Fake::new());
    let c = Client::new(fake.clone(), ClientConfig::default()).unwrap();
    (fake, NinePFs::new(c, MountOptions::parse(opts).unwrap()))
}

/// An Rreaddir carrying `entries` (name, offset).
fn rreaddir(tag: u16, entries: &[(&[u8], u64)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (name, offset) in entries {
        let e = DirEntryRef {
            qid: Qid::default(),
            offset: *offset,
            ty: 8,
            name,
        };
        DirEntries::encode_entry(&mut data, &e).unwrap();
    }
    let mut body = (data.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(&data);
    raw(mt::RREADDIR, tag, &body)
}

fn list_all(h: &dyn lintel_vfs::Handle) -> Result<Vec<Vec<u8>>, Errno> {
    let mut names = Vec::new();
    h.readdir(0, &mut |e: &DirEntry| {
        names.push(e.name.clone());
        names.len() < 100
    })?;
    Ok(names)
}

#[test]
fn types_come_from_qids_or_one_getattr() {
    let (fake, fs) = setup(b"");
    let root = fs.root();
    let before = fake.state.lock().unwrap().requests;
    let dir = root.lookup(b"sub").unwrap();
    // A directory qid: no Tgetattr needed.
    assert_eq!(dir.file_type().unwrap(), FileType::Directory);
    assert_eq!(fake.state.lock().unwrap().requests, before + 1);
    // A plain qid: one Tgetattr, whose mode (0: no type bits) falls back to the qid.
    let file = root.lookup(b"file").unwrap();
    assert_eq!(file.file_type().unwrap(), FileType::Regular);
    assert_eq!(file.file_type().unwrap(), FileType::Regular);
    assert_eq!(fake.state.lock().unwrap().requests, before + 3);
    assert_eq!(file.getattr().unwrap().mode, 0o100000);
    assert_eq!(root.lookup(b"missing").err(), Some(Errno::ENOENT));
    assert_eq!(file.lookup(b"x").err(), Some(Errno::ENOTDIR));
    drop((dir, file, root));
    assert_eq!(fake.fid_count(), 1, "only the attached root is left");
}

#[test]
fn hostile_getattr_is_eio() {
    let (fake, fs) = setup(b"cache=loose");
    let file = fs.root().lookup(b"file").unwrap();
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Getattr { .. }).then(|| raw(mt::RGETATTR, tag, b"short"))
    });
    assert_eq!(file.getattr().err(), Some(Errno::EIO));
    assert_eq!(file.file_type().err(), Some(Errno::EIO));
    // Nothing was cached from the failure.
    assert_eq!(fs.cached_attrs(), 0);
    fake.clear_hook();
    assert_eq!(file.file_type().unwrap(), FileType::Regular);
    assert_eq!(fs.cached_attrs(), 1);
}

#[test]
fn hostile_readdir_is_eio_or_filtered() {
    let (fake, fs) = setup(b"");
    let h = fs.root().open(OpenFlags::DIRECTORY).unwrap();

    // Unusable names are skipped; the listing ends on an empty reply.
    fake.set_hook(|t, tag, _| match *t {
        Tmsg::Readdir { offset: 0, .. } => Some(rreaddir(
            tag,
            &[(b".", 1), (b"a/b", 2), (b"", 3), (b"ok", 4)],
        )),
        Tmsg::Readdir { .. } => Some(rreaddir(tag, &[])),
        _ => None,
    });
    assert_eq!(list_all(&*h).unwrap(), vec![b".".to_vec(), b"ok".to_vec()]);

    // A server that leads back to where it started.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Readdir { .. }).then(|| rreaddir(tag, &[(b"x", 5)]))
    });
    assert_eq!(list_all(&*h).err(), Some(Errno::EIO));
    // Only unusable names, standing still.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Readdir { .. }).then(|| rreaddir(tag, &[(b"/", 0)]))
    });
    assert_eq!(list_all(&*h).err(), Some(Errno::EIO));
    // An entry that runs past the end of the reply.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Readdir { .. }).then(|| {
            let mut r = rreaddir(tag, &[(b"name", 9)]);
            let n = r.len();
            r[n - 5] = 0xff; // the name's length
            r
        })
    });
    assert_eq!(list_all(&*h).err(), Some(Errno::EIO));
    fake.clear_hook();
    drop(h);
    assert_eq!(fake.fid_count(), 1);
}

#[test]
fn handles_own_their_fids() {
    let (fake, fs) = setup(b"");
    let file = fs.root().lookup(b"file").unwrap();
    let a = file.open(OpenFlags::RDWR).unwrap();
    let b = file.open(OpenFlags::empty()).unwrap();
    assert_eq!(fake.fid_count(), 4);
    assert_eq!(a.write_at(0, b"hello").unwrap(), 5);
    let mut buf = [0u8; 8];
    assert_eq!(b.read_at(0, &mut buf).unwrap(), 5);
    assert_eq!(b.write_at(0, b"x"), Err(Errno::EBADF));
    drop(a);
    assert_eq!(fake.fid_count(), 3);
    drop((b, file));
    assert_eq!(fake.fid_count(), 1);
    // A broken transport: errors, never panics, and no fid left behind.
    let file = fs.root().lookup(b"file").unwrap();
    fake.broken
        .store(true, core::sync::atomic::Ordering::SeqCst);
    assert_eq!(file.open(OpenFlags::empty()).err(), Some(Errno::EIO));
    assert_eq!(file.getattr().err(), Some(Errno::EIO));
    assert_eq!(fs.root().lookup(b"x").err(), Some(Errno::EIO));
    fake.broken
        .store(false, core::sync::atomic::Ordering::SeqCst);
}
