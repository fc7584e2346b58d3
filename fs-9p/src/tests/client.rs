//! The client against the in-process fake server: negotiation, walks, fid
//! and tag accounting, scatter-gather I/O, and hostile replies mapped to EIO.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use std::sync::atomic::Ordering;

use super::fake::{raw, Fake};
use crate::codec::{msg_type as mt, Tmsg};
use crate::{Client, ClientConfig, Errno, Transport};

fn setup() -> (Arc<Fake>, Client) {
    let fake = Arc::new(Fake::new());
    let c = Client::new(fake.clone(), ClientConfig::default()).unwrap();
    (fake, c)
}

#[test]
fn msize_is_the_smallest_offer() {
    let (_, c) = setup();
    assert_eq!(c.msize(), 64 * 1024);
    let mut fake = Fake::new();
    fake.max_msize = 16 * 1024;
    let c = Client::new(Arc::new(fake), ClientConfig::default()).unwrap();
    assert_eq!(c.msize(), 16 * 1024);
    let fake = Arc::new(Fake::new());
    let cfg = ClientConfig {
        msize: 10_000,
        ..ClientConfig::default()
    };
    assert_eq!(Client::new(fake, cfg).unwrap().msize(), 10_000);
    let cfg = ClientConfig {
        msize: 4095,
        ..ClientConfig::default()
    };
    assert_eq!(
        Client::new(Arc::new(Fake::new()), cfg).err(),
        Some(Errno::EINVAL)
    );
}

#[test]
fn other_versions_and_tiny_msize_refused() {
    let fake = Fake::new();
    fake.state.lock().unwrap().version = b"9P2000.u".to_vec();
    assert_eq!(
        Client::new(Arc::new(fake), ClientConfig::default()).err(),
        Some(Errno::EREMOTEIO)
    );
    let fake = Fake::new();
    fake.state.lock().unwrap().version = b"unknown".to_vec();
    assert_eq!(
        Client::new(Arc::new(fake), ClientConfig::default()).err(),
        Some(Errno::EREMOTEIO)
    );
    let fake = Fake::new();
    fake.state.lock().unwrap().msize = 2048;
    assert_eq!(
        Client::new(Arc::new(fake), ClientConfig::default()).err(),
        Some(Errno::EREMOTEIO)
    );
    // Rversion must carry NOTAG.
    let fake = Fake::new();
    fake.set_hook(|t, _, out| {
        matches!(t, Tmsg::Version { .. }).then(|| {
            let mut v = out.to_vec();
            v[5] = 0;
            v
        })
    });
    assert_eq!(
        Client::new(Arc::new(fake), ClientConfig::default()).err(),
        Some(Errno::EIO)
    );
}

#[test]
fn attach_sends_config() {
    let fake = Arc::new(Fake::new());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    fake.set_hook(move |t, _, _| {
        if let Tmsg::Attach {
            afid,
            uname,
            aname,
            n_uname,
            ..
        } = t
        {
            s2.lock()
                .unwrap()
                .push((*afid, uname.to_vec(), aname.to_vec(), *n_uname));
        }
        None
    });
    let cfg = ClientConfig {
        uname: String::from("u"),
        aname: String::from("/srv"),
        n_uname: 1000,
        ..Default::default()
    };
    let c = Client::new(fake.clone(), cfg).unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [(!0u32, b"u".to_vec(), b"/srv".to_vec(), 1000)]
    );
    assert!(c.root_qid().is_dir());
    // A refused attach gives its errno and its fid number back.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Attach { .. }).then(|| raw(mt::RLERROR, tag, &13u32.to_le_bytes()))
    });
    assert_eq!(c.attach(b"x", b"", 5).err(), Some(Errno::EACCES));
    assert_eq!(c.fid_stats().live, 1);
}

#[test]
fn long_walks_split_and_partial_walks_are_enoent() {
    let (fake, c) = setup();
    let names: Vec<&[u8]> = vec![&b"d"[..]; 40];
    let before = fake.state.lock().unwrap().requests;
    let (fid, qids) = c.walk(c.root(), &names).unwrap();
    assert_eq!(qids.len(), 40);
    assert_eq!(fake.state.lock().unwrap().requests - before, 3);
    drop(fid);
    assert_eq!(fake.fid_count(), 1);

    // Missing in the second Twalk: the half-walked fid is clunked.
    let mut names: Vec<&[u8]> = vec![&b"d"[..]; 20];
    names[18] = b"missing";
    assert_eq!(c.walk(c.root(), &names).err(), Some(Errno::ENOENT));
    assert_eq!(fake.fid_count(), 1);
    // Partial reply to the first Twalk: newfid never existed.
    assert_eq!(
        c.walk(c.root(), &[b"a", b"missing"]).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(c.walk(c.root(), &[b"missing"]).err(), Some(Errno::ENOENT));
    // Walking through a file.
    assert_eq!(
        c.walk(c.root(), &[b"file", b"x"]).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(fake.fid_count(), 1);
    assert_eq!(fake.state.lock().unwrap().bad_clunks, 0);
    let s = c.fid_stats();
    assert_eq!((s.live, s.retired), (1, 0));
    // Rwalk with more qids than names is malformed.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Walk { .. }).then(|| {
            let mut body = vec![2, 0];
            body.extend_from_slice(&[0; 26]);
            raw(mt::RWALK, tag, &body)
        })
    });
    assert_eq!(c.walk(c.root(), &[b"a"]).err(), Some(Errno::EIO));
}

#[test]
fn fids_recycle_on_drop_and_clunk() {
    let (fake, c) = setup();
    for i in 0..2000 {
        let (f, _) = c.walk(c.root(), &[b"file"]).unwrap();
        if i % 2 == 0 {
            c.clunk(f).unwrap();
        } else {
            drop(f);
        }
    }
    let s = c.fid_stats();
    assert_eq!((s.live, s.allocated, s.retired), (1, 2, 0));
    assert_eq!(fake.fid_count(), 1);
    assert_eq!(fake.state.lock().unwrap().bad_clunks, 0);
    // Remove clunks even when the server refuses the removal.
    let (f, _) = c.walk(c.root(), &[b"file"]).unwrap();
    assert_eq!(c.remove(f).err(), Some(Errno::EPERM));
    assert_eq!(fake.fid_count(), 1);
    assert_eq!(c.fid_stats().live, 1);
    drop(c);
    assert_eq!(fake.fid_count(), 0);
}

#[test]
fn foreign_fids_are_ebadf() {
    let (_, a) = setup();
    let (_, b) = setup();
    let (f, _) = b.walk(b.root(), &[b"file"]).unwrap();
    assert_eq!(a.getattr(&f, 0x7ff).err(), Some(Errno::EBADF));
    assert_eq!(a.walk(&f, &[]).err(), Some(Errno::EBADF));
}

#[test]
fn lerror_codes_map_and_out_of_range_is_eio() {
    let (fake, c) = setup();
    for (code, want) in [
        (13u32, Errno::EACCES),
        (4095, Errno::new(4095)),
        (0, Errno::EIO),
        (4096, Errno::EIO),
        (u32::MAX, Errno::EIO),
    ] {
        fake.set_hook(move |t, tag, _| {
            matches!(t, Tmsg::Getattr { .. }).then(|| raw(mt::RLERROR, tag, &code.to_le_bytes()))
        });
        assert_eq!(c.getattr(c.root(), 0x7ff).err(), Some(want), "code {code}");
    }
    // 9P2000.u's Rerror with and without an errno.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Getattr { .. }).then(|| raw(mt::RERROR, tag, &[1, 0, b'x', 2, 0, 0, 0]))
    });
    assert_eq!(c.getattr(c.root(), 0x7ff).err(), Some(Errno::ENOENT));
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Getattr { .. }).then(|| raw(mt::RERROR, tag, &[1, 0, b'x']))
    });
    assert_eq!(c.getattr(c.root(), 0x7ff).err(), Some(Errno::EIO));
}

#[test]
fn malformed_replies_are_eio() {
    let (fake, c) = setup();
    type Mangle = fn(u16, &[u8]) -> Vec<u8>;
    let cases: [(&str, Mangle); 8] = [
        ("wrong tag", |tag, out| {
            let mut v = out.to_vec();
            v[5..7].copy_from_slice(&tag.wrapping_add(1).to_le_bytes());
            v
        }),
        ("wrong type", |tag, _| raw(mt::RSTATFS, tag, &[0; 60])),
        ("unknown type", |tag, _| raw(200, tag, &[])),
        ("truncated", |_, out| out[..out.len() - 1].to_vec()),
        ("size too large", |_, out| {
            let mut v = out.to_vec();
            v[0] = v[0].wrapping_add(1);
            v
        }),
        ("trailing byte", |_, out| {
            let mut v = out.to_vec();
            v.push(0);
            let n = v.len() as u32;
            v[..4].copy_from_slice(&n.to_le_bytes());
            v
        }),
        ("empty", |_, _| Vec::new()),
        ("a T-message", |tag, _| raw(mt::TGETATTR, tag, &[0; 12])),
    ];
    for (what, f) in cases {
        fake.set_hook(move |t, tag, out| matches!(t, Tmsg::Getattr { .. }).then(|| f(tag, out)));
        assert_eq!(c.getattr(c.root(), 0x7ff).err(), Some(Errno::EIO), "{what}");
    }
    fake.clear_hook();
    assert!(c.getattr(c.root(), 0x7ff).is_ok());
}

#[test]
fn io_is_scatter_gather_and_chunked_by_iounit() {
    let (fake, c) = setup();
    fake.state.lock().unwrap().iounit = 4096;
    let (f, _) = c.walk(c.root(), &[b"file"]).unwrap();
    let (_, iounit) = c.lopen(&f, 2).unwrap();
    assert_eq!((iounit, f.iounit()), (4096, 4096));
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    fake.state.lock().unwrap().shapes.clear();
    assert_eq!(c.write(&f, 0, &data).unwrap(), data.len());
    {
        let s = fake.state.lock().unwrap();
        assert_eq!(s.shapes.len(), 25); // ceil(100000 / 4096)
        for (i, &(ty, req_parts, _, last, _)) in s.shapes.iter().enumerate() {
            assert_eq!((ty, req_parts), (mt::TWRITE, 2));
            // The payload part is the caller's own memory.
            assert_eq!(last, data.as_ptr() as usize + i * 4096);
        }
    }
    assert_eq!(fake.state.lock().unwrap().file, data);
    fake.state.lock().unwrap().shapes.clear();
    let mut back = vec![0u8; 120_000];
    assert_eq!(c.read(&f, 0, &mut back).unwrap(), data.len());
    assert_eq!(&back[..data.len()], &data[..]);
    {
        let s = fake.state.lock().unwrap();
        // 24 full chunks, the short 25th ends the read.
        assert_eq!(s.shapes.len(), 25);
        for (i, &(ty, _, reply_parts, _, last)) in s.shapes.iter().enumerate() {
            assert_eq!((ty, reply_parts), (mt::TREAD, 2));
            assert_eq!(last, back.as_ptr() as usize + i * 4096);
        }
    }
    // Reading at the end gives 0; reading in the middle works.
    assert_eq!(c.read(&f, 100_000, &mut back).unwrap(), 0);
    assert_eq!(c.read(&f, 99_990, &mut back[..5]).unwrap(), 5);
    assert_eq!(&back[..5], &data[99_990..99_995]);
}

#[test]
fn chunks_fit_msize_without_iounit() {
    let fake = Fake::new();
    fake.state.lock().unwrap().msize = 8192;
    let fake = Arc::new(fake);
    let c = Client::new(fake.clone(), ClientConfig::default()).unwrap();
    let (f, _) = c.walk(c.root(), &[b"file"]).unwrap();
    c.lopen(&f, 2).unwrap();
    let data = vec![1u8; 20_000];
    fake.state.lock().unwrap().requests = 0;
    assert_eq!(c.write(&f, 0, &data).unwrap(), 20_000);
    // 8192 - 24 = 8168 per chunk: 3 Twrites.
    assert_eq!(fake.state.lock().unwrap().requests, 3);
}

#[test]
fn hostile_read_and_write_counts_are_eio() {
    let (fake, c) = setup();
    let (f, _) = c.walk(c.root(), &[b"file"]).unwrap();
    c.lopen(&f, 2).unwrap();
    c.write(&f, 0, &[9u8; 64]).unwrap();
    let mut buf = [0u8; 16];
    // Rread with more data than asked.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Read { .. }).then(|| {
            let mut body = 20u32.to_le_bytes().to_vec();
            body.extend_from_slice(&[0; 20]);
            raw(mt::RREAD, tag, &body)
        })
    });
    assert_eq!(c.read(&f, 0, &mut buf).err(), Some(Errno::EIO));
    // Count field larger than the data that follows.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Read { .. }).then(|| {
            let mut body = 12u32.to_le_bytes().to_vec();
            body.extend_from_slice(&[0; 4]);
            raw(mt::RREAD, tag, &body)
        })
    });
    assert_eq!(c.read(&f, 0, &mut buf).err(), Some(Errno::EIO));
    // Wrong tag on a split read.
    fake.set_hook(|t, tag, out| {
        matches!(t, Tmsg::Read { .. }).then(|| {
            let mut v = out.to_vec();
            v[5..7].copy_from_slice(&(tag ^ 1).to_le_bytes());
            v
        })
    });
    assert_eq!(c.read(&f, 0, &mut buf).err(), Some(Errno::EIO));
    // Rlerror to a read.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Read { .. }).then(|| raw(mt::RLERROR, tag, &5u32.to_le_bytes()))
    });
    assert_eq!(c.read(&f, 0, &mut buf).err(), Some(Errno::EIO));
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Read { .. }).then(|| raw(mt::RLERROR, tag, &11u32.to_le_bytes()))
    });
    assert_eq!(c.read(&f, 0, &mut buf).err(), Some(Errno::EAGAIN));
    // Rwrite claiming more than was sent.
    fake.set_hook(|t, tag, _| {
        matches!(t, Tmsg::Write { .. }).then(|| raw(mt::RWRITE, tag, &65u32.to_le_bytes()))
    });
    assert_eq!(c.write(&f, 0, &[1u8; 64]).err(), Some(Errno::EIO));
    fake.clear_hook();
    assert_eq!(c.read(&f, 0, &mut buf).unwrap(), 16);
}

#[test]
fn transport_failure_retires_tags_and_fids() {
    let (fake, c) = setup();
    fake.broken.store(true, Ordering::SeqCst);
    assert_eq!(c.walk(c.root(), &[b"d"]).err(), Some(Errno::EIO));
    assert_eq!(c.getattr(c.root(), 1).err(), Some(Errno::EIO));
    fake.broken.store(false, Ordering::SeqCst);
    let s = c.fid_stats();
    assert_eq!((s.live, s.retired), (1, 1));
    // The session goes on with fresh numbers.
    let (f, _) = c.walk(c.root(), &[b"d"]).unwrap();
    assert_eq!(f.id(), 2);
}

#[test]
fn concurrent_requests_get_distinct_tags() {
    let (fake, c) = setup();
    let c = Arc::new(c);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    let (f, q) = c.walk(c.root(), &[b"a", b"b"]).unwrap();
                    assert_eq!(q.len(), 2);
                    c.getattr(&f, 0x7ff).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = fake.state.lock().unwrap();
    assert_eq!(s.tag_reuse, 0);
    assert_eq!(s.fids.len(), 1);
    assert_eq!(s.bad_clunks, 0);
    drop(s);
    assert!(c.fid_stats().allocated <= 5);
}

#[test]
fn transport_object_safe() {
    fn _f(_: &dyn Transport) {}
}

#[test]
fn unlinkat_and_renameat_fall_back_like_v9fs() {
    let (fake, c) = setup();
    let sent = |fake: &Fake| -> Vec<u8> {
        fake.state
            .lock()
            .unwrap()
            .shapes
            .drain(..)
            .map(|s| s.0)
            .collect()
    };
    // A server that has them gets them.
    c.unlinkat(c.root(), b"file", 0x200).unwrap();
    c.renameat(c.root(), b"a", c.root(), b"b").unwrap();
    sent(&fake);
    assert_eq!(
        {
            c.unlinkat(c.root(), b"file", 0).unwrap();
            sent(&fake)
        },
        [mt::TUNLINKAT]
    );
    // EOPNOTSUPP (diod): walk + Tremove / Trename, and no more *at tries.
    {
        let mut s = fake.state.lock().unwrap();
        s.at_errno = 95;
        s.remove_errno = 0;
    }
    c.unlinkat(c.root(), b"file", 0).unwrap();
    assert_eq!(sent(&fake), [mt::TUNLINKAT, mt::TWALK, mt::TREMOVE]);
    c.unlinkat(c.root(), b"file", 0).unwrap();
    assert_eq!(sent(&fake), [mt::TWALK, mt::TREMOVE]);
    assert_eq!(c.unlinkat(c.root(), b"d", 0).err(), Some(Errno::EISDIR));
    assert_eq!(
        c.unlinkat(c.root(), b"file", 0x200).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(
        c.unlinkat(c.root(), b"missing", 0).err(),
        Some(Errno::ENOENT)
    );
    c.unlinkat(c.root(), b"d", 0x200).unwrap();
    sent(&fake);
    c.renameat(c.root(), b"file", c.root(), b"other").unwrap();
    assert_eq!(
        sent(&fake),
        [mt::TRENAMEAT, mt::TWALK, mt::TRENAME, mt::TCLUNK]
    );
    c.renameat(c.root(), b"file", c.root(), b"other").unwrap();
    assert_eq!(sent(&fake), [mt::TWALK, mt::TRENAME, mt::TCLUNK]);
    assert_eq!(fake.fid_count(), 1);
    assert_eq!(fake.state.lock().unwrap().bad_clunks, 0);
}
