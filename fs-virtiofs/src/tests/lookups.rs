//! Lookup counting and FORGET, RELEASE on drop, DESTROY, the ENOSYS
//! fallbacks, and READDIRPLUS's nodes.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use super::client::{answer_op, setup};
use super::samples::{entry_out, plus_body, XorShift};
use super::scripted::{attr, reply, Answer, DIR, LNK, REG};
use crate::codec::{opcode as op, EntryOut, OpenOut, Request, Wire};
use crate::{Errno, Node};

#[test]
fn lookup_counts_are_forgotten_exactly_once() {
    let (t, c) = setup();
    t.add(1, b"a", 10, REG, 0);
    let n1 = c.lookup(c.root(), b"a").unwrap().node;
    let n2 = c.lookup(c.root(), b"a").unwrap().node;
    let n3 = c.lookup(c.root(), b"a").unwrap().node;
    let n4 = n3.clone();
    drop((n1, n2, n3));
    assert!(
        t.state.lock().unwrap().forgets.is_empty(),
        "a reference is left"
    );
    drop(n4);
    assert_eq!(t.state.lock().unwrap().forgets, [(10, 3)]);
    let s = c.stats();
    assert_eq!(
        (
            s.lookups_received,
            s.lookups_forgotten,
            s.forget_messages,
            s.live_nodes
        ),
        (3, 3, 1, 1)
    );

    // Every operation that answers with an entry counts.
    answer_op(&t, op::MKDIR, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 20,
                attr: attr(20, DIR, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    answer_op(&t, op::SYMLINK, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 21,
                attr: attr(21, LNK, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    answer_op(&t, op::MKNOD, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 22,
                attr: attr(22, 0o010644, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    answer_op(&t, op::CREATE, |_| {
        let mut b = EntryOut {
            nodeid: 23,
            attr: attr(23, REG, 0),
            ..EntryOut::default()
        }
        .to_bytes();
        b.extend(
            OpenOut {
                fh: 77,
                ..OpenOut::default()
            }
            .to_bytes(),
        );
        Answer::Body(b)
    });
    answer_op(&t, op::LINK, |_| {
        Answer::Body(
            EntryOut {
                nodeid: 23,
                attr: attr(23, REG, 0),
                ..EntryOut::default()
            }
            .to_bytes(),
        )
    });
    let d = c.mkdir(c.root(), b"d", 0o755, 0).unwrap();
    let l = c.symlink(&d.node, b"l", b"/x").unwrap();
    let p = c.mknod(&d.node, b"p", 0o010644, 0, 0).unwrap();
    let (e, file) = c.create(&d.node, b"f", 2, 0o644, 0).unwrap();
    let h = c.link(&e.node, c.root(), b"h").unwrap();
    assert_eq!(file.fh(), 77);
    drop((d, l, p, e, h, file));
    let forgotten = t.forgotten();
    assert_eq!(forgotten.get(&20), Some(&1));
    assert_eq!(forgotten.get(&21), Some(&1));
    assert_eq!(forgotten.get(&22), Some(&1));
    assert_eq!(forgotten.get(&23), Some(&2), "CREATE and LINK");
    // RELEASE goes before the node's FORGET.
    let order = t.state.lock().unwrap().order.clone();
    let rel = order.iter().position(|&(o, _)| o == op::RELEASE).unwrap();
    let fgt = order
        .iter()
        .position(|&(o, id)| o == op::FORGET && id == 23)
        .unwrap();
    assert!(rel < fgt);
    let s = c.stats();
    assert_eq!(
        (s.lookups_received, s.lookups_forgotten, s.live_nodes),
        (8, 8, 1)
    );
}

#[test]
fn random_lookups_and_drops_balance() {
    let (t, c) = setup();
    for id in 10..16 {
        t.add(1, &[b'a' + id as u8], id, REG, 0);
    }
    let mut rng = XorShift(7);
    let mut held: Vec<Node> = Vec::new();
    let mut seen_forgets = 0;
    for _ in 0..3000 {
        match rng.below(5) {
            0 | 1 => {
                let id = 10 + rng.below(6) as u64;
                held.push(c.lookup(c.root(), &[b'a' + id as u8]).unwrap().node);
            }
            2 if !held.is_empty() => {
                let i = rng.below(held.len());
                drop(held.swap_remove(i));
            }
            3 if !held.is_empty() => {
                let i = rng.below(held.len());
                held.push(held[i].clone());
            }
            4 if held.len() > 3 => {
                let k = rng.below(held.len());
                let batch: Vec<Node> = held.drain(k..).collect();
                c.forget_nodes(batch);
            }
            _ => {}
        }
        // No FORGET while a reference to its id is still held.
        let live: BTreeSet<u64> = held.iter().map(Node::id).collect();
        let s = t.state.lock().unwrap();
        for (id, _) in &s.forgets[seen_forgets..] {
            assert!(!live.contains(id), "forgot {id} while held");
        }
        seen_forgets = s.forgets.len();
    }
    drop(held);
    // Per id: lookups the daemon answered == lookups forgotten.
    let mut answered = alloc::collections::BTreeMap::new();
    for r in t
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|r| r.opcode() == op::LOOKUP)
    {
        let Request::Lookup { name } = r.request() else {
            panic!()
        };
        *answered.entry(u64::from(name[0] - b'a')).or_insert(0u64) += 1;
    }
    assert_eq!(t.forgotten(), answered);
    let s = c.stats();
    assert_eq!((s.lookups_received, s.live_nodes), (s.lookups_forgotten, 1));
    assert!(s.forget_messages < s.lookups_received, "batched and merged");
}

#[test]
fn bad_entries_are_forgotten_at_once() {
    let (t, c) = setup();
    let cases: Vec<(u32, EntryOut, Errno, bool)> = vec![
        // (opcode, entry, error, forgotten?)
        (
            op::LOOKUP,
            EntryOut {
                nodeid: 30,
                attr: attr(30, 0o644, 0),
                ..EntryOut::default()
            },
            Errno::EIO,
            true,
        ),
        (
            op::LOOKUP,
            EntryOut {
                nodeid: 31,
                attr: attr(31, REG, u64::MAX),
                ..EntryOut::default()
            },
            Errno::EIO,
            true,
        ),
        (
            op::LOOKUP,
            EntryOut {
                nodeid: 1,
                generation: 1,
                attr: attr(1, DIR, 0),
                ..EntryOut::default()
            },
            Errno::EIO,
            true,
        ),
        (
            op::LOOKUP,
            EntryOut {
                nodeid: 0,
                attr: attr(0, REG, 0),
                ..EntryOut::default()
            },
            Errno::ENOENT,
            false,
        ),
        (
            op::MKDIR,
            EntryOut {
                nodeid: 32,
                attr: attr(32, REG, 0),
                ..EntryOut::default()
            },
            Errno::EIO,
            true,
        ),
        (
            op::MKDIR,
            EntryOut {
                nodeid: 1,
                attr: attr(1, DIR, 0),
                ..EntryOut::default()
            },
            Errno::EIO,
            true,
        ),
        (
            op::MKDIR,
            EntryOut {
                nodeid: 0,
                attr: attr(0, DIR, 0),
                ..EntryOut::default()
            },
            Errno::EIO,
            false,
        ),
    ];
    for (opcode, e, want, forgotten) in cases {
        t.clear_rules();
        t.state.lock().unwrap().forgets.clear();
        answer_op(&t, opcode, move |_| Answer::Body(e.to_bytes()));
        let r = if opcode == op::LOOKUP {
            c.lookup(c.root(), b"x")
        } else {
            c.mkdir(c.root(), b"x", 0o755, 0)
        };
        assert_eq!(r.err(), Some(want), "{e:?}");
        let f = t.state.lock().unwrap().forgets.clone();
        // The root's lookups join its count, given back when the root goes.
        let now = forgotten && e.nodeid != 1;
        assert_eq!(f, if now { vec![(e.nodeid, 1)] } else { vec![] }, "{e:?}");
    }
    assert_eq!(c.stats().live_nodes, 1);
    t.state.lock().unwrap().forgets.clear();
    drop(c);
    assert_eq!(t.state.lock().unwrap().forgets, [(1, 2)]);
}

#[test]
fn create_with_a_bad_entry_releases_then_forgets() {
    let (t, c) = setup();
    answer_op(&t, op::CREATE, |_| {
        let mut b = EntryOut {
            nodeid: 40,
            attr: attr(40, DIR, 0),
            ..EntryOut::default()
        }
        .to_bytes();
        b.extend(
            OpenOut {
                fh: 55,
                ..OpenOut::default()
            }
            .to_bytes(),
        );
        Answer::Body(b)
    });
    assert_eq!(
        c.create(c.root(), b"f", 2, 0o644, 0).err(),
        Some(Errno::EIO)
    );
    let s = t.state.lock().unwrap();
    let tail: Vec<(u32, u64)> = s.order.iter().rev().take(2).rev().copied().collect();
    assert_eq!(tail, [(op::RELEASE, 40), (op::FORGET, 40)]);
    assert_eq!(s.forgets, [(40, 1)]);
}

#[test]
fn open_files_release_on_drop() {
    let (t, c) = setup();
    t.add(1, b"f", 5, REG, 0);
    let n = c.lookup(c.root(), b"f").unwrap().node;
    let f = c.open(&n, 0o2).unwrap();
    let d = c.opendir(c.root(), 0o200000).unwrap();
    assert_eq!(t.state.lock().unwrap().open_fhs, [f.fh(), d.fh()]);
    let (ffh, dfh) = (f.fh(), d.fh());
    drop(n);
    assert!(
        t.state.lock().unwrap().forgets.is_empty(),
        "the open file holds the node"
    );
    drop(f);
    let r = t.last(op::RELEASE).unwrap();
    let Request::Release(a) = r.request() else {
        panic!()
    };
    assert_eq!((r.header.nodeid, a.fh, a.flags), (5, ffh, 0o2));
    assert_eq!(t.state.lock().unwrap().forgets, [(5, 1)]);
    drop(d);
    let r = t.last(op::RELEASEDIR).unwrap();
    let Request::Releasedir(a) = r.request() else {
        panic!()
    };
    assert_eq!((r.header.nodeid, a.fh), (1, dfh));
    assert!(t.state.lock().unwrap().open_fhs.is_empty());
    assert_eq!(c.stats().releases, 2);
}

#[test]
fn destroy_ends_the_session() {
    let (t, c) = setup();
    t.add(1, b"f", 5, REG, 0);
    let n = c.lookup(c.root(), b"f").unwrap().node;
    let f = c.open(&n, 0).unwrap();
    assert_eq!(c.destroy(), Ok(()), "the Rust virtiofsd writes no reply");
    assert_eq!(c.destroy(), Ok(()));
    assert_eq!(t.count(op::DESTROY), 1);
    assert!(c.is_destroyed());
    assert_eq!(c.lookup(c.root(), b"f").err(), Some(Errno::ENOTCONN));
    drop((f, n));
    assert_eq!(t.count(op::RELEASE), 0);
    assert!(
        t.state.lock().unwrap().forgets.is_empty(),
        "the daemon dropped its nodes itself"
    );

    // QEMU's C virtiofsd answers with an empty reply; also fine. The last
    // reference going (client, then a node) sends DESTROY after the FORGET.
    let (t, c) = setup();
    answer_op(&t, op::DESTROY, |r| {
        Answer::Raw(reply(r.header.unique, 0, &[]))
    });
    t.add(1, b"f", 5, REG, 0);
    let n = c.lookup(c.root(), b"f").unwrap().node;
    drop(c);
    assert_eq!(t.count(op::DESTROY), 0);
    drop(n);
    let order = t.state.lock().unwrap().order.clone();
    assert_eq!(
        &order[order.len() - 2..],
        [(op::FORGET, 5), (op::DESTROY, 0)]
    );
}

#[test]
fn rename_and_enosys_fallbacks() {
    let (t, c) = setup();
    t.add(1, b"d", 7, DIR, 0);
    let d = c.lookup(c.root(), b"d").unwrap().node;
    answer_op(&t, op::RENAME, |_| Answer::Body(vec![]));
    c.rename(c.root(), b"a", &d, b"b", 0).unwrap();
    let r = t.last(op::RENAME).unwrap();
    assert_eq!(
        r.request(),
        Request::Rename {
            arg: crate::codec::RenameIn { newdir: 7 },
            old: b"a",
            new: b"b"
        }
    );
    answer_op(&t, op::RENAME2, |_| Answer::Error(-38));
    assert_eq!(c.rename(c.root(), b"a", &d, b"b", 1), Err(Errno::EINVAL));
    assert_eq!(c.rename(c.root(), b"a", &d, b"b", 2), Err(Errno::EINVAL));
    assert_eq!(t.count(op::RENAME2), 1, "not asked again");
    let Request::Rename2 { arg, .. } = t.last(op::RENAME2).unwrap().request() else {
        panic!()
    };
    assert_eq!((arg.newdir, arg.flags), (7, 1));

    // FLUSH, FSYNC, FSYNCDIR and ACCESS: ENOSYS is success, and remembered.
    t.add(1, b"f", 5, REG, 0);
    let n = c.lookup(c.root(), b"f").unwrap().node;
    let f = c.open(&n, 2).unwrap();
    let dir = c.opendir(&d, 0).unwrap();
    for o in [op::FLUSH, op::FSYNC, op::FSYNCDIR, op::ACCESS] {
        answer_op(&t, o, |_| Answer::Error(-38));
    }
    for _ in 0..2 {
        assert_eq!(c.flush(&f), Ok(()));
        assert_eq!(c.fsync(&f, true), Ok(()));
        assert_eq!(c.fsync(&dir, false), Ok(()));
        assert_eq!(c.access(&n, 4), Ok(()));
    }
    for o in [op::FLUSH, op::FSYNC, op::FSYNCDIR, op::ACCESS] {
        assert_eq!(t.count(o), 1, "opcode {o}");
    }
    let Request::Fsync(a) = t.last(op::FSYNC).unwrap().request() else {
        panic!()
    };
    assert_eq!((a.fh, a.fsync_flags), (f.fh(), 1));
}

#[test]
fn readdirplus_counts_and_cleans_up() {
    let (t, c) = setup();
    let dir = c.opendir(c.root(), 0).unwrap();
    answer_op(&t, op::READDIRPLUS, |_| Answer::Body(plus_body()));
    let mut got = Vec::new();
    let n = c
        .readdirplus(&dir, 0, 4096, |p| {
            got.push((p.dirent.name.to_vec(), p.dirent.off, p.entry))
        })
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(got[0].0, b".");
    assert!(got[0].2.is_none(), "no node id: no lookup");
    assert_eq!(
        got[1].2.as_ref().map(|e| (e.node.id(), e.generation)),
        Some((42, 7))
    );
    assert_eq!(c.stats().lookups_received, 2);
    drop(got);
    assert_eq!(
        t.forgotten().into_iter().collect::<Vec<_>>(),
        [(42, 1), (43, 1)]
    );

    // A bad record after good ones: EIO, and the good ones' lookups go back
    // in one BATCH_FORGET.
    t.clear_rules();
    t.state.lock().unwrap().forgets.clear();
    answer_op(&t, op::READDIRPLUS, |_| {
        let mut b = plus_body();
        b.extend_from_slice(&entry_out().to_bytes()[..40]);
        Answer::Body(b)
    });
    let before = c.stats().forget_messages;
    assert_eq!(
        c.readdirplus(&dir, 0, 4096, |_| panic!(
            "no entry of a bad reply is handed out"
        )),
        Err(Errno::EIO)
    );
    assert_eq!(t.state.lock().unwrap().forgets, [(42, 1), (43, 1)]);
    assert_eq!(c.stats().forget_messages, before + 1);
    let last = t.state.lock().unwrap().hiprio.last().unwrap().clone();
    assert_eq!(Request::decode(&last).unwrap().0.opcode, op::BATCH_FORGET);
    // The READ-shaped argument: fh, offset, size.
    let Request::Readdirplus(a) = t.last(op::READDIRPLUS).unwrap().request() else {
        panic!()
    };
    assert_eq!((a.fh, a.offset, a.size), (dir.fh(), 0, 4096));
}

#[test]
fn interrupts_and_foreign_nodes() {
    let (t, c) = setup();
    c.interrupt(8).unwrap();
    let m = t.state.lock().unwrap().hiprio.last().unwrap().clone();
    let (h, r, _) = Request::decode(&m).unwrap();
    assert_eq!(
        (h.opcode, h.unique, r),
        (
            op::INTERRUPT,
            9,
            Request::Interrupt(crate::codec::InterruptIn { unique: 8 })
        )
    );
    let (_, other) = setup();
    assert_eq!(c.lookup(other.root(), b"x").err(), Some(Errno::EBADF));
    let f = other.opendir(other.root(), 0).unwrap();
    assert_eq!(c.readdir(&f, 0, 4096, |_| {}).err(), Some(Errno::EBADF));
}
