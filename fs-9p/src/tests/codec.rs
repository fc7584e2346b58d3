//! Codec tests: round trips of every message and exact bytes against
//! vectors computed by hand from the 9P2000.L layouts.

use alloc::vec::Vec;

use super::samples::{self, rmsgs, tmsgs};
use crate::codec::{decode_reply, msg_type as mt, DecodeError, EncodeError, Rmsg, Tmsg, MAXWELEM};
use crate::qid::Qid;

#[test]
fn every_tmsg_round_trips() {
    let all = tmsgs();
    let mut types: Vec<u8> = all.iter().map(|m| m.msg_type()).collect();
    types.dedup();
    // Every request type of 9P2000.L that this crate speaks.
    assert_eq!(types.len(), 28);
    for (i, m) in all.iter().enumerate() {
        let tag = i as u16 * 257;
        let mut buf = Vec::new();
        m.encode(tag, &mut buf).unwrap();
        assert_eq!(
            u32::from_le_bytes(buf[..4].try_into().unwrap()) as usize,
            buf.len()
        );
        let (t, back) = Tmsg::decode(&buf).unwrap();
        assert_eq!((t, &back), (tag, m), "message {i}");
        assert_eq!(m.reply_type(), m.msg_type() + 1);
    }
}

#[test]
fn every_rmsg_round_trips() {
    let all = rmsgs();
    let mut types: Vec<u8> = all.iter().map(|m| m.msg_type()).collect();
    types.dedup();
    // 28 replies plus Rlerror and Rerror.
    assert_eq!(types.len(), 30);
    for (i, m) in all.iter().enumerate() {
        let mut buf = Vec::new();
        m.encode(0xabcd, &mut buf).unwrap();
        let (tag, back) = decode_reply(&buf).unwrap();
        assert_eq!((tag, &back), (0xabcd, m), "message {i}");
        // Appending to a non-empty buffer encodes the same bytes.
        let mut two = alloc::vec![0xee];
        m.encode(0xabcd, &mut two).unwrap();
        assert_eq!(&two[1..], &buf[..]);
    }
}

#[test]
fn tversion_bytes() {
    let mut b = Vec::new();
    Tmsg::Version {
        msize: 8192,
        version: b"9P2000.L",
    }
    .encode(0xffff, &mut b)
    .unwrap();
    let want: &[u8] = &[
        21, 0, 0, 0,   // size = 4+1+2 + 4 + 2+8
        100, // Tversion
        0xff, 0xff, // NOTAG
        0x00, 0x20, 0, 0, // msize 8192
        8, 0, b'9', b'P', b'2', b'0', b'0', b'0', b'.', b'L',
    ];
    assert_eq!(b, want);
}

#[test]
fn twalk_bytes() {
    let mut b = Vec::new();
    let names: [&[u8]; 2] = [b"a", b"bc"];
    Tmsg::Walk {
        fid: 0,
        newfid: 1,
        names: names[..].into(),
    }
    .encode(1, &mut b)
    .unwrap();
    let want: &[u8] = &[
        24, 0, 0, 0, 110, 1, 0, // header: 7 + 4+4+2 + 3 + 4 = 24
        0, 0, 0, 0, // fid
        1, 0, 0, 0, // newfid
        2, 0, // nwname
        1, 0, b'a', 2, 0, b'b', b'c',
    ];
    assert_eq!(b, want);
}

#[test]
fn tsetattr_and_tunlinkat_bytes() {
    let mut b = Vec::new();
    Tmsg::Setattr {
        fid: 9,
        attr: samples::setattr(),
    }
    .encode(2, &mut b)
    .unwrap();
    let mut want = alloc::vec![67, 0, 0, 0, 26, 2, 0, 9, 0, 0, 0];
    want.extend_from_slice(&0x1ffu32.to_le_bytes());
    want.extend_from_slice(&0o100644u32.to_le_bytes());
    want.extend_from_slice(&1000u32.to_le_bytes());
    want.extend_from_slice(&100u32.to_le_bytes());
    want.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 0]); // size 1 << 40
    for v in 1u64..=4 {
        want.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(b, want);

    let mut b = Vec::new();
    Tmsg::Unlinkat {
        dirfid: 3,
        name: b"d",
        flags: 0x200,
    }
    .encode(7, &mut b)
    .unwrap();
    assert_eq!(
        b,
        [18, 0, 0, 0, 76, 7, 0, 3, 0, 0, 0, 1, 0, b'd', 0, 2, 0, 0]
    );
}

#[test]
fn twrite_head_counts_the_data_it_leaves_out() {
    let data = [0x5a; 1000];
    let m = Tmsg::Write {
        fid: 4,
        offset: 0x10,
        data: &data,
    };
    let mut head = Vec::new();
    m.encode_head(3, &mut head).unwrap();
    assert_eq!(head.len(), 23);
    assert_eq!(
        head,
        [
            0xff, 0x03, 0, 0, // size = 23 + 1000 = 1023 = 0x3ff
            118, 3, 0, 4, 0, 0, 0, // Twrite, tag 3, fid 4
            0x10, 0, 0, 0, 0, 0, 0, 0, // offset
            0xe8, 0x03, 0, 0, // count 1000
        ]
    );
    let mut whole = Vec::new();
    m.encode(3, &mut whole).unwrap();
    assert_eq!(&whole[..23], &head[..]);
    assert_eq!(&whole[23..], &data[..]);
}

#[test]
fn rlerror_rwalk_bytes() {
    let (tag, m) = decode_reply(&[11, 0, 0, 0, 7, 5, 0, 2, 0, 0, 0]).unwrap();
    assert_eq!((tag, m), (5, Rmsg::Lerror { ecode: 2 }));
    let mut b: Vec<u8> = alloc::vec![22, 0, 0, 0, 111, 1, 0, 1, 0, 0x80];
    b.extend_from_slice(&[4, 3, 2, 1]);
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0x80]);
    let (_, m) = decode_reply(&b).unwrap();
    assert_eq!(
        m,
        Rmsg::Walk {
            qids: alloc::vec![Qid {
                ty: 0x80,
                version: 0x0102_0304,
                path: 0x8000_0000_0000_0001
            }]
        }
    );
}

#[test]
fn rgetattr_layout() {
    // valid[8] qid[13] mode[4] uid[4] gid[4] then 15 u64: 160 bytes in all.
    let mut b = alloc::vec![160, 0, 0, 0, 25, 0, 0];
    b.extend_from_slice(&0x7ffu64.to_le_bytes());
    b.extend_from_slice(&[0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&0o100600u32.to_le_bytes());
    b.extend_from_slice(&1000u32.to_le_bytes());
    b.extend_from_slice(&1001u32.to_le_bytes());
    for v in 100u64..115 {
        b.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(b.len(), 160);
    let (_, m) = decode_reply(&b).unwrap();
    let Rmsg::Getattr(st) = m else {
        panic!("{m:?}")
    };
    assert_eq!(st.valid, 0x7ff);
    assert_eq!(
        st.qid,
        Qid {
            ty: 0,
            version: 1,
            path: 2
        }
    );
    assert_eq!((st.mode, st.uid, st.gid), (0o100600, 1000, 1001));
    assert_eq!(
        (st.nlink, st.rdev, st.size, st.blksize, st.blocks),
        (100, 101, 102, 103, 104)
    );
    assert_eq!(
        (st.atime_sec, st.atime_nsec, st.mtime_sec, st.mtime_nsec),
        (105, 106, 107, 108)
    );
    assert_eq!(
        (st.ctime_sec, st.ctime_nsec, st.btime_sec, st.btime_nsec),
        (109, 110, 111, 112)
    );
    assert_eq!((st.gen, st.data_version), (113, 114));
}

#[test]
fn rreaddir_and_rstatfs_layout() {
    let mut b = alloc::vec![0, 0, 0, 0, 41, 9, 0];
    b.extend_from_slice(&27u32.to_le_bytes());
    b.extend_from_slice(&[0x80, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]); // qid
    b.extend_from_slice(&99u64.to_le_bytes()); // offset
    b.push(4); // DT_DIR
    b.extend_from_slice(&[3, 0, b's', b'u', b'b']);
    let n = b.len() as u32;
    b[..4].copy_from_slice(&n.to_le_bytes());
    let (_, m) = decode_reply(&b).unwrap();
    let Rmsg::Readdir(entries) = m else { panic!() };
    let e: Vec<_> = entries.iter().collect();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].qid.path, e[0].offset, e[0].ty, e[0].name),
        (5, 99, 4, &b"sub"[..])
    );

    let mut b = alloc::vec![67, 0, 0, 0, 9, 0, 0];
    b.extend_from_slice(&0x0102_1997u32.to_le_bytes());
    b.extend_from_slice(&4096u32.to_le_bytes());
    for v in 1u64..=6 {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&255u32.to_le_bytes());
    let (_, m) = decode_reply(&b).unwrap();
    assert_eq!(m, Rmsg::Statfs(samples::statfs()));
}

#[test]
fn encode_limits() {
    let names = [&b"x"[..]; MAXWELEM + 1];
    let mut b = Vec::new();
    assert_eq!(
        Tmsg::Walk {
            fid: 0,
            newfid: 1,
            names: names[..].into()
        }
        .encode(0, &mut b),
        Err(EncodeError::TooManyNames)
    );
    let long = alloc::vec![b'n'; 70_000];
    assert_eq!(
        Tmsg::Mkdir {
            dfid: 0,
            name: &long,
            mode: 0,
            gid: 0
        }
        .encode(0, &mut b),
        Err(EncodeError::NameTooLong)
    );
    // A failed encode leaves the buffer as it was.
    assert!(b.is_empty());
    assert_eq!(
        crate::Errno::from(EncodeError::NameTooLong),
        crate::Errno::ENAMETOOLONG
    );
}

#[test]
fn tmsg_decode_rejects_bad_input() {
    assert_eq!(
        Tmsg::decode(&[7, 0, 0, 0, 1, 0, 0]),
        Err(DecodeError::UnknownType(1))
    );
    assert_eq!(
        Tmsg::decode(&[8, 0, 0, 0, mt::TCLUNK, 0, 0]),
        Err(DecodeError::SizeMismatch)
    );
    assert_eq!(
        Tmsg::decode(&[7, 0, 0, 0, mt::TCLUNK, 0, 0]),
        Err(DecodeError::Truncated)
    );
}
