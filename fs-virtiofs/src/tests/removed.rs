//! Directories we removed, as the Rust virtiofsd (running as root, so
//! reopening inodes by file handle) leaves them: every request on the node
//! is ESTALE. Held vnodes answer getattr from their last attributes with
//! nlink 0, and nothing is looked up or made in them (Linux's IS_DEADDIR).

use alloc::sync::Arc;
use alloc::vec::Vec;

use super::scripted::{attr, Answer, Scripted, DIR, REG};
use super::vfs::{answer, id, Mount, SEC};
use crate::codec::{opcode as op, EntryOut, Wire};
use crate::vfs::FuseVnode;
use lintel_vfs::{Errno, OpenFlags, VnodeRef, RENAME_EXCHANGE};

fn err(e: Errno) -> Answer {
    Answer::Error(-e.into_raw())
}

fn ok(t: &Scripted, opcode: u32) {
    answer(t, opcode, |_| Answer::Body(Vec::new()));
}

/// The daemon lost node `id` (and its name `name` in the root): ESTALE
/// for anything sent to it, except releasing a handle.
fn lost(t: &Scripted, name: &[u8], node: u64) {
    t.state.lock().unwrap().names.remove(&(1, name.to_vec()));
    t.on(move |r| {
        (r.header.nodeid == node && r.opcode() != op::RELEASEDIR).then(|| err(Errno::ESTALE))
    });
}

fn fuse(v: &VnodeRef) -> &FuseVnode {
    v.as_any().downcast_ref::<FuseVnode>().unwrap()
}

fn sent(m: &Mount) -> usize {
    m.t.state.lock().unwrap().log.len()
}

#[test]
fn a_held_directory_we_removed_is_dead() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"d", 12, DIR, 4096);
    m.t.add(1, b"f", 13, REG, 1);
    ok(&m.t, op::RMDIR);
    // A working directory, and a descriptor open on it.
    let d = m.root().lookup(b"d").unwrap();
    let h = d.open(OpenFlags::DIRECTORY).unwrap();
    let f = m.root().lookup(b"f").unwrap();
    let n = sent(&m);
    m.root().rmdir(b"d").unwrap();
    assert_eq!(sent(&m), n + 1, "the victim was known: RMDIR alone");
    assert!(fuse(&d).is_dead());
    lost(&m.t, b"d", 12);

    // stat("."): the daemon is asked, then the last attributes answer.
    let a = d.getattr().unwrap();
    assert_eq!((a.ino, a.mode, a.size, a.nlink), (1012, DIR, 4096, 0));
    assert_eq!(m.count(op::GETATTR), 1);

    // Nothing is looked up, made, removed or moved in it: ENOENT, unsent.
    let n = sent(&m);
    assert_eq!(d.lookup(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(d.create(b"x", 0o644).err(), Some(Errno::ENOENT));
    assert_eq!(d.mkdir(b"x", 0o755).err(), Some(Errno::ENOENT));
    assert_eq!(d.mknod(b"x", 0o010644, 0).err(), Some(Errno::ENOENT));
    assert_eq!(d.symlink(b"x", b"t").err(), Some(Errno::ENOENT));
    assert_eq!(d.link(b"x", &f).err(), Some(Errno::ENOENT));
    assert_eq!(d.unlink(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(d.rmdir(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(
        d.rename(b"x", &m.root(), b"y", 0).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        m.root().rename(b"f", &d, b"y", 0).err(),
        Some(Errno::ENOENT)
    );
    // getdents on the open descriptor, as Linux's iterate_dir.
    assert_eq!(h.readdir(0, &mut |_| true).err(), Some(Errno::ENOENT));
    assert_eq!(sent(&m), n, "nothing was sent");
    // ESTALE that raced with the removal reads as ENOENT too.
    assert_eq!(fuse(&d).in_dir(Errno::ESTALE), Errno::ENOENT);
    assert_eq!(fuse(&d).in_dir(Errno::EACCES), Errno::EACCES);

    // ENOENT from the daemon is answered the same way; other errors pass.
    m.t.on(|r| (r.opcode() == op::GETATTR).then(|| err(Errno::ENOENT)));
    assert_eq!(d.getattr().map(|a| a.nlink), Ok(0));
    m.t.on(|r| (r.opcode() == op::GETATTR).then(|| err(Errno::EIO)));
    assert_eq!(d.getattr().err(), Some(Errno::EIO));
    // A daemon that still reaches the directory is believed (QEMU's C
    // virtiofsd keeps an O_PATH descriptor).
    m.t.clear_rules();
    m.t.state.lock().unwrap().attrs.get_mut(&12).unwrap().size = 0;
    assert_eq!(d.getattr().map(|a| a.size), Ok(0));

    drop((h, d, f));
    assert_eq!(m.t.forgotten().get(&12), Some(&1), "forgotten once");
}

#[test]
fn only_directories_we_removed_are_dead() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"d", 12, DIR, 0);
    m.t.add(1, b"e", 13, DIR, 0);
    m.t.add(1, b"g", 14, DIR, 0);
    let d = m.root().lookup(b"d").unwrap();
    let e = m.root().lookup(b"e").unwrap();
    let g = m.root().lookup(b"g").unwrap();

    // Removed behind our back: the daemon's ESTALE passes through.
    lost(&m.t, b"d", 12);
    assert_eq!(d.getattr().err(), Some(Errno::ESTALE));
    assert_eq!(d.lookup(b"x").err(), Some(Errno::ESTALE));
    assert_eq!(d.mkdir(b"x", 0o755).err(), Some(Errno::ESTALE));

    // A failed RMDIR kills nothing.
    m.t.on(|r| (r.opcode() == op::RMDIR).then(|| err(Errno::ENOTEMPTY)));
    assert_eq!(m.root().rmdir(b"e").err(), Some(Errno::ENOTEMPTY));
    assert!(!fuse(&e).is_dead());
    let n = m.count(op::LOOKUP);
    assert_eq!(e.lookup(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(m.count(op::LOOKUP), n + 1, "asked the daemon");

    // UNLINK of a name last seen as a directory (replaced by a file on
    // the host): the directory may live on elsewhere.
    ok(&m.t, op::UNLINK);
    m.root().unlink(b"g").unwrap();
    assert!(!fuse(&g).is_dead());
}

#[test]
fn the_victim_is_found_with_names_cached_and_after_mkdir() {
    let m = Mount::new((60, 0), (60, 0));
    m.t.add(1, b"d", 12, DIR, 0);
    ok(&m.t, op::RMDIR);
    answer(&m.t, op::MKDIR, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 20,
                attr: attr(20, DIR, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    let d = m.root().lookup(b"d").unwrap();
    let n = m.root().mkdir(b"n", 0o755).unwrap();
    m.advance(SEC);
    m.root().rmdir(b"d").unwrap();
    m.root().rmdir(b"n").unwrap();
    assert!(fuse(&d).is_dead() && fuse(&n).is_dead());
    lost(&m.t, b"d", 12);
    lost(&m.t, b"n", 20);
    // The name is gone from the caches: a lookup asks (and fails).
    let looked = m.count(op::LOOKUP);
    assert_eq!(m.root().lookup(b"d").err(), Some(Errno::ENOENT));
    assert_eq!(m.count(op::LOOKUP), looked + 1);
    // Its attributes were invalidated; the daemon's ESTALE is answered.
    let a = n.getattr().unwrap();
    assert_eq!((a.ino, a.nlink), (20, 0));
}

#[test]
fn renames_move_the_record_and_kill_a_replaced_directory() {
    let m = Mount::new((0, 0), (0, 0));
    for (name, node) in [
        (&b"a"[..], 12),
        (b"b", 13),
        (b"x", 14),
        (b"y", 15),
        (b"z", 17),
    ] {
        m.t.add(1, name, node, DIR, 0);
    }
    m.t.add(1, b"f", 16, REG, 0);
    ok(&m.t, op::RENAME);
    ok(&m.t, op::RENAME2);
    ok(&m.t, op::RMDIR);
    let v: Vec<VnodeRef> = [&b"a"[..], b"b", b"x", b"y", b"z", b"f"]
        .iter()
        .map(|n| m.root().lookup(n).unwrap())
        .collect();
    let dead = |i: usize| fuse(&v[i]).is_dead();
    let root = m.root();

    // a over b: b is dead; a lives on as "b", and dies with it.
    root.rename(b"a", &root, b"b", 0).unwrap();
    assert!(!dead(0) && dead(1));
    root.rmdir(b"b").unwrap();
    assert!(dead(0));

    // x and y exchanged: "x" is y now.
    root.rename(b"x", &root, b"y", RENAME_EXCHANGE).unwrap();
    root.rmdir(b"x").unwrap();
    assert!(!dead(2) && dead(3));

    // A file over a name last seen as a directory: that record was stale.
    root.rename(b"f", &root, b"z", 0).unwrap();
    assert!(!dead(4));
    // The same name, renamed to itself, stays alive.
    root.rename(b"y", &root, b"y", 0).unwrap();
    assert!(!dead(2));
}

#[test]
fn same_object_is_the_node_of_the_same_mount() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"d", 12, DIR, 0);
    m.t.add(1, b"e", 13, DIR, 0);
    let d1 = m.root().lookup(b"d").unwrap();
    let d2 = m.root().lookup(b"d").unwrap();
    let e = m.root().lookup(b"e").unwrap();
    assert!(d1.same_object(&*d2));
    assert!(!d1.same_object(&*e));
    // Another generation of the node id is another object.
    answer(&m.t, op::LOOKUP, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 12,
                generation: 1,
                attr: attr(12, DIR, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    let d3 = m.root().lookup(b"d").unwrap();
    assert_eq!(id(&d3), 12);
    assert!(!Arc::ptr_eq(&d1, &d3) && !d1.same_object(&*d3));
    // Node 1 of another mount is not this mount's root.
    let other = Mount::new((0, 0), (0, 0));
    assert!(m.root().same_object(&*m.root()));
    assert!(!m.root().same_object(&*other.root()));
}

#[test]
fn directory_records_of_dropped_vnodes_are_pruned() {
    let m = Mount::new((0, 0), (0, 0));
    for i in 0..100u64 {
        let name = alloc::format!("d{i}").into_bytes();
        m.t.add(1, &name, 100 + i, DIR, 0);
        drop(m.root().lookup(&name).unwrap());
    }
    let kept = m.root().lookup(b"d99").unwrap();
    assert!(m.fs.recorded_dirs() < 64, "{}", m.fs.recorded_dirs());
    assert_eq!(m.fs.live_vnodes(), 2);
    drop(kept);
}

#[test]
fn an_entry_for_a_dead_node_id_is_a_new_object() {
    let m = Mount::new((0, 0), (0, 0));
    m.t.add(1, b"d", 12, DIR, 0);
    ok(&m.t, op::RMDIR);
    let d = m.root().lookup(b"d").unwrap();
    m.root().rmdir(b"d").unwrap();
    // A daemon that hands the id out again, though we still hold it.
    answer(&m.t, op::MKDIR, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 12,
                attr: attr(12, DIR, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    let again = m.root().mkdir(b"d", 0o755).unwrap();
    assert!(!Arc::ptr_eq(&d, &again));
    assert!(fuse(&d).is_dead() && !fuse(&again).is_dead());
    assert!(!d.same_object(&*again) && !again.same_object(&*d));
    assert!(d.same_object(&*d));
    assert_eq!(again.lookup(b"x").err(), Some(Errno::ENOENT));
    assert_eq!(m.t.last(op::LOOKUP).unwrap().header.nodeid, 12, "asked");
}
