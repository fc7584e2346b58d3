//! Codec vectors: exact bytes and field offsets against Linux's fuse.h,
//! and round trips of every request, record and directory listing.

use alloc::vec::Vec;

use super::samples::*;
use crate::codec::*;

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

#[test]
fn headers_exact_bytes() {
    let h = InHeader {
        len: 0x28,
        opcode: 26,
        unique: 2,
        nodeid: 0x0102,
        uid: 1000,
        gid: 100,
        pid: 7,
        total_extlen: 0,
        padding: 0,
    };
    let b = h.to_bytes();
    #[rustfmt::skip]
    assert_eq!(b, [
        0x28, 0, 0, 0,  26, 0, 0, 0,  2, 0, 0, 0, 0, 0, 0, 0,  0x02, 0x01, 0, 0, 0, 0, 0, 0,
        0xe8, 0x03, 0, 0,  100, 0, 0, 0,  7, 0, 0, 0,  0, 0,  0, 0,
    ]);
    let o = OutHeader {
        len: 16,
        error: -2,
        unique: 0x10,
    }
    .to_bytes();
    assert_eq!(
        o,
        [16, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x10, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn init_layouts() {
    let i = crate::client::init_request_for_tests();
    let b = i.to_bytes();
    assert_eq!(b.len(), 64);
    // major 7, minor 38, no readahead, ASYNC_READ|BIG_WRITES|DO_READDIRPLUS|PARALLEL_DIROPS|MAX_PAGES.
    assert_eq!(
        &b[..20],
        &[7, 0, 0, 0, 38, 0, 0, 0, 0, 0, 0, 0, 0x21, 0x20, 0x44, 0, 0, 0, 0, 0]
    );
    assert!(b[20..].iter().all(|&x| x == 0));
    let o = InitOut {
        major: 7,
        minor: 38,
        max_readahead: 1,
        flags: 2,
        max_background: 3,
        congestion_threshold: 4,
        max_write: 5,
        time_gran: 6,
        max_pages: 7,
        map_alignment: 8,
        flags2: 9,
        unused: [0; 7],
    };
    let b = o.to_bytes();
    assert_eq!(
        (
            u32_at(&b, 12),
            u16_at(&b, 16),
            u16_at(&b, 18),
            u32_at(&b, 20)
        ),
        (2, 3, 4, 5)
    );
    assert_eq!(
        (
            u32_at(&b, 24),
            u16_at(&b, 28),
            u16_at(&b, 30),
            u32_at(&b, 32)
        ),
        (6, 7, 8, 9)
    );
    assert_eq!(InitOut::decode(&b), Ok(o));
}

#[test]
fn attr_and_entry_offsets() {
    let b = fattr().to_bytes();
    assert_eq!(b.len(), 88);
    assert_eq!(
        (u64_at(&b, 0), u64_at(&b, 8), u64_at(&b, 40)),
        (0x1122_3344_5566_7788, 1 << 40, 3)
    );
    assert_eq!(
        (u32_at(&b, 48), u32_at(&b, 56), u32_at(&b, 60)),
        (4, 6, 0o100644)
    );
    assert_eq!(
        (u32_at(&b, 68), u32_at(&b, 76), u32_at(&b, 80)),
        (1000, 0x0801, 4096)
    );
    let e = entry_out().to_bytes();
    assert_eq!(e.len(), 128);
    assert_eq!(
        (u64_at(&e, 0), u64_at(&e, 8), u64_at(&e, 16), u64_at(&e, 24)),
        (42, 7, 1, 2)
    );
    assert_eq!(
        (u32_at(&e, 32), u32_at(&e, 36), u32_at(&e, 40 + 60)),
        (3, 4, 0o100644)
    );
    let a = AttrOut {
        attr_valid: 5,
        attr_valid_nsec: 6,
        dummy: 0,
        attr: fattr(),
    }
    .to_bytes();
    assert_eq!(
        (a.len(), u64_at(&a, 0), u32_at(&a, 8), u32_at(&a, 16 + 60)),
        (104, 5, 6, 0o100644)
    );
    let s = setattr_in().to_bytes();
    assert_eq!(s.len(), 88);
    assert_eq!(
        (u32_at(&s, 0), u64_at(&s, 8), u64_at(&s, 16), u64_at(&s, 40)),
        (0x29, 5, 6, 9)
    );
    assert_eq!(
        (
            u32_at(&s, 60),
            u32_at(&s, 68),
            u32_at(&s, 76),
            u32_at(&s, 80)
        ),
        (12, 0o100600, 14, 15)
    );
    let k = Kstatfs {
        blocks: 1,
        bfree: 2,
        bavail: 3,
        files: 4,
        ffree: 5,
        bsize: 6,
        namelen: 7,
        frsize: 8,
        padding: 0,
        spare: [0; 6],
    }
    .to_bytes();
    assert_eq!(
        (
            k.len(),
            u64_at(&k, 32),
            u32_at(&k, 40),
            u32_at(&k, 44),
            u32_at(&k, 48)
        ),
        (80, 5, 6, 7, 8)
    );
    let r = read_in().to_bytes();
    assert_eq!(
        (r.len(), u64_at(&r, 8), u32_at(&r, 16), u32_at(&r, 32)),
        (40, 4096, 8192, 2)
    );
}

#[test]
fn requests_exact_bytes() {
    let c = Creds {
        uid: 0,
        gid: 0,
        pid: 1,
    };
    let b = Request::Lookup { name: b"abc" }.encode(4, 5, c, 0).unwrap();
    assert_eq!(b.len(), 44);
    assert_eq!(
        (u32_at(&b, 0), u32_at(&b, 4), u64_at(&b, 8), u64_at(&b, 16)),
        (44, 1, 4, 5)
    );
    assert_eq!(&b[40..], b"abc\0");
    let b = Request::Symlink {
        name: b"l",
        target: b"/t",
    }
    .encode(6, 1, c, 0)
    .unwrap();
    assert_eq!(&b[40..], b"l\0/t\0");
    let arg = Rename2In {
        newdir: 9,
        flags: 2,
        padding: 0,
    };
    let b = Request::Rename2 {
        arg,
        old: b"a",
        new: b"b",
    }
    .encode(8, 1, c, 0)
    .unwrap();
    assert_eq!(
        (b.len(), u32_at(&b, 4), u64_at(&b, 40), u32_at(&b, 48)),
        (60, 45, 9, 2)
    );
    assert_eq!(&b[56..], b"a\0b\0");
    // WRITE: the header's len counts the data that follows as its own part.
    let w = WriteIn {
        fh: 1,
        offset: 2,
        size: 1000,
        write_flags: 0,
        lock_owner: 0,
        flags: 0,
        padding: 0,
    };
    let b = Request::Write(w).encode(10, 3, c, 1000).unwrap();
    assert_eq!((b.len(), u32_at(&b, 0)), (80, 1080));
    let b = Request::BatchForget(alloc::vec![ForgetOne {
        nodeid: 5,
        nlookup: 6
    }])
    .encode(12, 0, c, 0)
    .unwrap();
    assert_eq!(
        (b.len(), u32_at(&b, 40), u64_at(&b, 48), u64_at(&b, 56)),
        (64, 1, 5, 6)
    );
    assert_eq!(
        Request::Lookup { name: b"a\0b" }.encode(2, 1, c, 0),
        Err(EncodeError::NameHasNul)
    );
    assert_eq!(
        Request::Readlink.encode(2, 1, c, usize::MAX),
        Err(EncodeError::TooLarge)
    );
}

#[test]
fn every_request_round_trips() {
    let c = Creds {
        uid: 1,
        gid: 2,
        pid: 3,
    };
    for (i, r) in requests().iter().enumerate() {
        let data: Vec<u8> = Vec::new();
        let b = r.encode(2 * i as u64 + 2, 9, c, data.len()).unwrap();
        let (h, back, rest) = Request::decode(&b).unwrap();
        assert_eq!(&back, r);
        assert!(rest.is_empty());
        assert_eq!(
            (h.opcode, h.unique, h.nodeid, h.uid, h.gid, h.pid),
            (r.opcode(), 2 * i as u64 + 2, 9, 1, 2, 3)
        );
    }
    let w = WriteIn {
        fh: 1,
        offset: 2,
        size: 3,
        write_flags: 0,
        lock_owner: 0,
        flags: 0,
        padding: 0,
    };
    let mut b = Request::Write(w).encode(2, 1, c, 3).unwrap();
    b.extend_from_slice(b"xyz");
    let (_, back, data) = Request::decode(&b).unwrap();
    assert_eq!((back, data), (Request::Write(w), &b"xyz"[..]));
}

#[test]
fn records_round_trip() {
    for body in reply_bodies() {
        let back = match body.len() {
            128 => EntryOut::from_bytes(&body).unwrap().to_bytes(),
            104 => AttrOut::from_bytes(&body).unwrap().to_bytes(),
            16 => OpenOut::from_bytes(&body).unwrap().to_bytes(),
            8 => LseekOut::from_bytes(&body).unwrap().to_bytes(),
            80 => Kstatfs::from_bytes(&body).unwrap().to_bytes(),
            64 => InitOut::from_bytes(&body).unwrap().to_bytes(),
            n => panic!("{n}"),
        };
        assert_eq!(back, body);
    }
}

#[test]
fn dirents_exact_and_round_trip() {
    let mut v = Vec::new();
    Dirent {
        ino: 1,
        off: 2,
        typ: 4,
        name: b"ab",
    }
    .encode(&mut v);
    assert_eq!(v.len(), 32, "24 + 2, padded to 8");
    assert_eq!(
        (u64_at(&v, 0), u64_at(&v, 8), u32_at(&v, 16), u32_at(&v, 20)),
        (1, 2, 2, 4)
    );
    assert_eq!(&v[24..], b"ab\0\0\0\0\0\0");
    let mut p = Vec::new();
    DirentPlus {
        entry: entry_out(),
        dirent: Dirent {
            ino: 1,
            off: 2,
            typ: 4,
            name: b"abcdefgh",
        },
    }
    .encode(&mut p);
    assert_eq!(p.len(), 160);
    assert_eq!((u64_at(&p, 0), u32_at(&p, 128 + 16)), (42, 8));

    let body = dirent_body();
    let names: Vec<&[u8]> = Dirents::new(&body).map(|d| d.unwrap().name).collect();
    assert_eq!(names, [&b"."[..], b"..", b"seven77", b"eight888", b"x"]);
    let offs: Vec<u64> = Dirents::new(&body).map(|d| d.unwrap().off).collect();
    assert_eq!(offs, [1, 2, 3, 4, 5]);
    let body = plus_body();
    let all: Vec<DirentPlus<'_>> = DirentsPlus::new(&body).map(|d| d.unwrap()).collect();
    assert_eq!(all.len(), 3);
    assert_eq!(
        (all[0].entry.nodeid, all[1].entry.nodeid, all[2].dirent.name),
        (0, 42, &b"a-longer-directory-name"[..])
    );
    let mut again = Vec::new();
    all.iter().for_each(|d| d.encode(&mut again));
    assert_eq!(again, body);
}

#[test]
fn reply_check_accepts_the_valid() {
    let ok = super::scripted::reply(8, 0, &[1, 2, 3]);
    assert_eq!(check_reply(&ok[..16], ok.len(), 8), Ok(Ok(3)));
    let e = super::scripted::reply(8, -13, &[]);
    assert_eq!(check_reply(&e, 16, 8), Ok(Err(crate::Errno::EACCES)));
    let e = super::scripted::reply(8, -511, &[]);
    assert_eq!(check_reply(&e, 16, 8), Ok(Err(crate::Errno::new(511))));
}
