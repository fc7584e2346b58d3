//! The client against canned replies: INIT negotiation, errors, and
//! chunked I/O with the caller's buffers.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use super::scripted::{reply, Answer, Req, Scripted, REG};
use crate::codec::{init_flags as f, opcode as op, InitOut, Request, Wire, WriteOut};
use crate::{Client, ClientConfig, Errno, TransportError, REQUESTED_FLAGS};
pub(super) fn setup() -> (Arc<Scripted>, Client) {
    let t = Arc::new(Scripted::new());
    let c = Client::new(t.clone(), ClientConfig::default()).unwrap();
    (t, c)
}

pub(super) fn with_init(init: InitOut) -> (Arc<Scripted>, Result<Client, Errno>) {
    let t = Arc::new(Scripted::new());
    t.state.lock().unwrap().init = init;
    let c = Client::new(t.clone(), ClientConfig::default());
    (t, c)
}

pub(super) fn answer_op(t: &Scripted, opcode: u32, a: impl Fn(&Req) -> Answer + Send + 'static) {
    t.on(move |r| (r.opcode() == opcode).then(|| a(r)));
}

#[test]
fn init_offers_7_38_and_only_honoured_flags() {
    let (t, c) = setup();
    let r = t.last(op::INIT).unwrap();
    assert_eq!(
        (r.header.len, r.header.unique, r.header.nodeid),
        (104, 2, 0)
    );
    assert_eq!(r.writable.iter().map(|w| w.1).collect::<Vec<_>>(), [16, 64]);
    let Request::Init(i) = r.request() else {
        panic!()
    };
    assert_eq!((i.major, i.minor, i.max_readahead), (7, 38, 0));
    assert_eq!(i.flags64(), REQUESTED_FLAGS);
    assert_eq!(
        REQUESTED_FLAGS,
        f::ASYNC_READ | f::BIG_WRITES | f::DO_READDIRPLUS | f::PARALLEL_DIROPS | f::MAX_PAGES
    );
    let info = c.init_info();
    // The daemon's AUTO_INVAL_DATA was not asked for, so it is not on.
    assert_eq!(
        (info.major, info.minor, info.flags),
        (7, 38, REQUESTED_FLAGS)
    );
    assert_eq!(
        (
            info.max_write,
            info.max_pages,
            info.read_chunk(),
            info.write_chunk()
        ),
        (1 << 20, 256, 1 << 20, 1 << 20)
    );
    // Request ids are even and increasing.
    c.lookup(c.root(), b"x").unwrap_err();
    assert_eq!(t.last(op::LOOKUP).unwrap().header.unique, 4);
}

#[test]
fn init_accepts_7_31_and_newer_only() {
    let base = super::scripted::virtiofsd_init();
    for (major, minor, want) in [
        (7, 31, Ok(31)),
        (7, 40, Ok(38)),
        (7, 30, Err(Errno::EPROTO)),
        (8, 38, Err(Errno::EPROTO)),
        (6, 38, Err(Errno::EPROTO)),
    ] {
        let (_, c) = with_init(InitOut {
            major,
            minor,
            ..base
        });
        assert_eq!(c.map(|c| c.init_info().minor), want, "{major}.{minor}");
    }
    // Errors, malformed replies and a dead transport.
    let cases: Vec<(Answer, Errno)> = vec![
        (Answer::Error(-71), Errno::EPROTO),
        (Answer::Error(-38), Errno::ENOSYS),
        (Answer::Error(7), Errno::EIO),
        (Answer::Body(vec![7, 0, 0, 0]), Errno::EIO),
        (Answer::Nothing, Errno::EIO),
        (Answer::Fail(TransportError::Disconnected), Errno::EIO),
        (Answer::Raw(reply(4, 0, &base.to_bytes())), Errno::EIO),
    ];
    for (a, want) in cases {
        let t = Arc::new(Scripted::new());
        answer_op(&t, op::INIT, move |_| a.clone());
        assert_eq!(Client::new(t, ClientConfig::default()).err(), Some(want));
    }
    // An 8-byte reply (a 7.31 daemon that says nothing else): defaults.
    let t = Arc::new(Scripted::new());
    answer_op(&t, op::INIT, |_| {
        Answer::Body(vec![7, 0, 0, 0, 31, 0, 0, 0])
    });
    let c = Client::new(t, ClientConfig::default()).unwrap();
    let i = c.init_info();
    assert_eq!(
        (i.minor, i.flags, i.max_write, i.max_pages, i.write_chunk()),
        (31, 0, 4096, 32, 4096)
    );
}

#[test]
fn chunk_sizes_follow_init() {
    let base = super::scripted::virtiofsd_init();
    let flags = REQUESTED_FLAGS as u32;
    let cases = [
        (
            InitOut {
                max_pages: 0,
                ..base
            },
            4096,
            4096,
        ),
        (
            InitOut {
                max_pages: 1000,
                ..base
            },
            1 << 20,
            1 << 20,
        ),
        (
            InitOut {
                flags: flags & !(f::MAX_PAGES as u32),
                ..base
            },
            32 * 4096,
            32 * 4096,
        ),
        (
            InitOut {
                flags: flags & !(f::BIG_WRITES as u32),
                ..base
            },
            1 << 20,
            4096,
        ),
        (
            InitOut {
                max_write: 100,
                ..base
            },
            1 << 20,
            4096,
        ),
        (
            InitOut {
                max_write: 65536,
                ..base
            },
            1 << 20,
            65536,
        ),
    ];
    for (init, read, write) in cases {
        let (_, c) = with_init(init);
        let c = c.unwrap();
        assert_eq!(
            (c.init_info().read_chunk(), c.init_info().write_chunk()),
            (read, write),
            "{init:?}"
        );
    }
}

#[test]
fn errors_pass_through_and_impossible_ones_are_eio() {
    let (t, c) = setup();
    assert_eq!(c.lookup(c.root(), b"missing").err(), Some(Errno::ENOENT));
    for (e, want) in [
        (-13, Errno::EACCES),
        (-511, Errno::new(511)),
        (5, Errno::EIO),
        (-512, Errno::EIO),
        (i32::MIN, Errno::EIO),
    ] {
        t.clear_rules();
        answer_op(&t, op::GETATTR, move |_| Answer::Error(e));
        assert_eq!(c.getattr(c.root(), None).err(), Some(want), "{e}");
    }
    // An error reply with arguments after its header.
    t.clear_rules();
    answer_op(&t, op::GETATTR, |r| {
        Answer::Raw(reply(r.header.unique, -2, &[0; 8]))
    });
    assert_eq!(c.getattr(c.root(), None).err(), Some(Errno::EIO));
    // Names the daemon must never see.
    assert_eq!(c.lookup(c.root(), b"a\0b").err(), Some(Errno::EINVAL));
    assert_eq!(c.lookup(c.root(), b"").err(), Some(Errno::EINVAL));
    assert_eq!(
        c.lookup(c.root(), &[b'a'; 1025]).err(),
        Some(Errno::ENAMETOOLONG)
    );
}

/// A valid reply body for the fixed-size replies.
#[test]
fn reads_and_writes_use_the_callers_buffer() {
    let (t, c) = with_init(InitOut {
        max_pages: 2,
        max_write: 8192,
        ..super::scripted::virtiofsd_init()
    });
    let c = c.unwrap();
    t.add(1, b"f", 5, REG, 0);
    let node = c.lookup(c.root(), b"f").unwrap().node;
    let file = c.open(&node, 2).unwrap();
    answer_op(&t, op::READ, |r| {
        let Request::Read(a) = r.request() else {
            panic!()
        };
        Answer::Body(vec![(a.offset / 8192) as u8 + 1; a.size as usize])
    });
    let mut buf = vec![0u8; 20 * 1024];
    assert_eq!(c.read(&file, 0, &mut buf), Ok(20 * 1024));
    let reads: Vec<Req> = t
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|r| r.opcode() == op::READ)
        .cloned()
        .collect();
    assert_eq!(reads.len(), 3);
    for (k, r) in reads.iter().enumerate() {
        let Request::Read(a) = r.request() else {
            panic!()
        };
        let want = if k < 2 { 8192 } else { 4096 };
        assert_eq!(
            (a.fh, a.offset, a.size as usize, a.flags),
            (file.fh(), 8192 * k as u64, want, 2)
        );
        // The data lands in the caller's buffer itself: no bounce buffer.
        assert_eq!(r.writable[1], (buf.as_ptr() as usize + 8192 * k, want));
    }
    assert!(buf[..8192].iter().all(|&b| b == 1) && buf[16384..].iter().all(|&b| b == 3));
    // A short reply is the end of the file.
    t.clear_rules();
    answer_op(&t, op::READ, |r| {
        let Request::Read(a) = r.request() else {
            panic!()
        };
        Answer::Body(vec![9; if a.offset == 0 { a.size as usize } else { 100 }])
    });
    assert_eq!(c.read(&file, 0, &mut buf), Ok(8192 + 100));
    // An error after some data returns the data; before any, the error.
    t.clear_rules();
    answer_op(&t, op::READ, |r| {
        let Request::Read(a) = r.request() else {
            panic!()
        };
        if a.offset == 0 {
            Answer::Body(vec![1; a.size as usize])
        } else {
            Answer::Error(-5)
        }
    });
    assert_eq!(c.read(&file, 0, &mut buf), Ok(8192));
    assert_eq!(c.read(&file, 8192, &mut buf), Err(Errno::EIO));

    t.clear_rules();
    answer_op(&t, op::WRITE, |r| {
        let Request::Write(w) = r.request() else {
            panic!()
        };
        Answer::Body(
            WriteOut {
                size: w.size,
                padding: 0,
            }
            .to_bytes(),
        )
    });
    let data: Vec<u8> = (0..20 * 1024).map(|i| i as u8).collect();
    let before = t.count(op::WRITE);
    assert_eq!(c.write(&file, 100, &data), Ok(data.len()));
    let writes: Vec<Req> = t
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|r| r.opcode() == op::WRITE)
        .skip(before)
        .cloned()
        .collect();
    assert_eq!(writes.len(), 3);
    for (k, r) in writes.iter().enumerate() {
        let Request::Write(w) = r.request() else {
            panic!()
        };
        let want = if k < 2 { 8192 } else { 4096 };
        assert_eq!((w.offset, w.size as usize), (100 + 8192 * k as u64, want));
        assert_eq!(
            r.readable[1],
            (data.as_ptr() as usize + 8192 * k, want),
            "sent from the caller's slice"
        );
        assert_eq!(r.data(), &data[8192 * k..8192 * k + want]);
    }
    // Short writes stop; more than sent is malformed.
    answer_op(&t, op::WRITE, |r| {
        let Request::Write(w) = r.request() else {
            panic!()
        };
        Answer::Body(
            WriteOut {
                size: if w.offset == 0 { w.size } else { 10 },
                padding: 0,
            }
            .to_bytes(),
        )
    });
    assert_eq!(c.write(&file, 0, &data), Ok(8192 + 10));
    t.clear_rules();
    answer_op(&t, op::WRITE, |r| {
        let Request::Write(w) = r.request() else {
            panic!()
        };
        Answer::Body(
            WriteOut {
                size: w.size + 1,
                padding: 0,
            }
            .to_bytes(),
        )
    });
    assert_eq!(c.write(&file, 0, &data), Err(Errno::EIO));
    assert_eq!(c.read(&file, 0, &mut []), Ok(0));
    let d = c.opendir(c.root(), 0).unwrap();
    assert_eq!(c.read(&d, 0, &mut buf), Err(Errno::EISDIR));
}
