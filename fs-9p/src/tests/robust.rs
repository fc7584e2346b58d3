//! The decoder against hostile bytes: truncations, random corruption, lying
//! length fields, oversized counts, unknown and mismatched types. Nothing
//! may panic; anything malformed is an error.

use alloc::vec::Vec;

use super::samples::{rmsgs, XorShift};
use crate::codec::{
    decode_reply, decode_rread_split, msg_type as mt, DecodeError, Rmsg, RREAD_HEAD,
};

fn encoded() -> Vec<Vec<u8>> {
    rmsgs()
        .iter()
        .map(|m| {
            let mut b = Vec::new();
            m.encode(1, &mut b).unwrap();
            b
        })
        .collect()
}

fn check_canonical(buf: &[u8]) {
    crate::codec::selfcheck::check_decoders(buf);
}

fn decode_everything(buf: &[u8]) {
    crate::codec::selfcheck::check_decoders(buf);
}

#[test]
fn every_truncation_is_an_error() {
    for full in encoded() {
        for n in 0..full.len() {
            // As received: the size field no longer matches.
            assert!(decode_reply(&full[..n]).is_err(), "{full:?} cut at {n}");
            // With the size field fixed up to the cut, so the fields
            // themselves run short. Rerror's trailing errno is optional, so
            // cutting it off leaves a valid message.
            if n >= 4 {
                let mut cut = full[..n].to_vec();
                cut[..4].copy_from_slice(&(n as u32).to_le_bytes());
                let r = decode_reply(&cut);
                if full[4] != mt::RERROR && !(full[4] == mt::RWALK && n == 9) {
                    assert!(r.is_err(), "{full:?} cut at {n}: {r:?}");
                }
                check_canonical(&cut);
            }
        }
    }
}

#[test]
fn extra_bytes_are_an_error() {
    for mut full in encoded() {
        full.push(0);
        let n = full.len() as u32;
        full[..4].copy_from_slice(&n.to_le_bytes());
        let r = decode_reply(&full);
        // Only Rerror can grow (by a whole errno), not by one byte.
        assert!(r.is_err(), "{full:?}: {r:?}");
    }
}

#[test]
fn random_corruption_never_panics() {
    let samples = encoded();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0usize;
    for i in 0..50_000 {
        let mut b = samples[i % samples.len()].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(b.len());
            b[at] ^= 1 << rng.below(8);
        }
        if rng.below(4) == 0 {
            // Keep the size field honest half the time so the body is tested.
            let n = b.len() as u32;
            b[..4].copy_from_slice(&n.to_le_bytes());
        }
        if decode_reply(&b).is_ok() {
            ok += 1;
        }
        decode_everything(&b);
    }
    // Some corruptions hit only values (a qid, a time): those decode fine.
    assert!(ok > 0);
}

#[test]
fn random_bytes_never_panic() {
    // The same decoders as the cargo-fuzz target, over 300k inputs whose
    // header is valid often enough to reach every body decoder.
    let mut rng = XorShift(12345);
    let reply_types: Vec<u8> = (0..=255u8)
        .filter(|t| crate::codec::rmsg_is_reply_type(*t))
        .collect();
    let mut decoded = 0usize;
    for _ in 0..300_000 {
        let len = rng.below(64);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len >= 7 && rng.below(8) != 0 {
            b[..4].copy_from_slice(&(len as u32).to_le_bytes());
            b[4] = reply_types[rng.below(reply_types.len())];
            // Small counts and string lengths, so some of them fit.
            for byte in &mut b[7..] {
                if rng.below(3) == 0 {
                    *byte = rng.below(12) as u8;
                }
            }
        }
        if decode_reply(&b).is_ok() {
            decoded += 1;
        }
        decode_everything(&b);
    }
    assert!(decoded > 1000, "only {decoded} inputs decoded");
}

#[test]
fn lying_lengths() {
    // A string length larger than the message.
    let mut b = alloc::vec![0, 0, 0, 0, mt::RREADLINK, 0, 0, 0xff, 0x00, b'a', b'b'];
    let n = b.len() as u32;
    b[..4].copy_from_slice(&n.to_le_bytes());
    assert_eq!(decode_reply(&b), Err(DecodeError::Truncated));
    // An Rread count larger than the message.
    let b = [15, 0, 0, 0, mt::RREAD, 0, 0, 5, 0, 0, 0, 1, 2, 3, 4];
    assert_eq!(decode_reply(&b), Err(DecodeError::Truncated));
    // Count 0xffffffff.
    let b = [11, 0, 0, 0, mt::RREADDIR, 0, 0, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(decode_reply(&b), Err(DecodeError::Truncated));
    // A size field larger and smaller than what arrived.
    let b = [12, 0, 0, 0, mt::RCLUNK, 0, 0];
    assert_eq!(decode_reply(&b), Err(DecodeError::SizeMismatch));
    let b = [6, 0, 0, 0, mt::RCLUNK, 0, 0];
    assert_eq!(decode_reply(&b), Err(DecodeError::SizeMismatch));
    // Rwalk claiming 17 qids.
    let b = [9, 0, 0, 0, mt::RWALK, 0, 0, 17, 0];
    assert_eq!(decode_reply(&b), Err(DecodeError::TooManyWalkElements));
    // An Rreaddir whose last entry's name runs past the count.
    let mut b = alloc::vec![0, 0, 0, 0, mt::RREADDIR, 0, 0];
    b.extend_from_slice(&25u32.to_le_bytes());
    b.extend_from_slice(&[0; 22]);
    b.extend_from_slice(&[5, 0, b'x']);
    let n = b.len() as u32;
    b[..4].copy_from_slice(&n.to_le_bytes());
    assert_eq!(decode_reply(&b), Err(DecodeError::Truncated));
}

#[test]
fn unknown_types_are_errors() {
    for ty in 0..=255u8 {
        let b = [7, 0, 0, 0, ty, 0, 0];
        match decode_reply(&b) {
            Err(DecodeError::UnknownType(t)) => assert_eq!(t, ty),
            // Known replies with an empty body (Rclunk, ...) decode; others are short.
            Ok((_, m)) => assert_eq!(m.msg_type(), ty),
            Err(DecodeError::Truncated) => assert!(crate::codec::rmsg_is_reply_type(ty)),
            Err(e) => panic!("type {ty}: {e:?}"),
        }
    }
    // T-messages are not replies.
    assert_eq!(
        decode_reply(&[7, 0, 0, 0, mt::TCLUNK, 0, 0]),
        Err(DecodeError::UnknownType(mt::TCLUNK))
    );
}

#[test]
fn split_rread() {
    let mut head = [0u8; RREAD_HEAD];
    let set = |head: &mut [u8; RREAD_HEAD], size: u32, ty: u8, tag: u16, count: u32| {
        head[..4].copy_from_slice(&size.to_le_bytes());
        head[4] = ty;
        head[5..7].copy_from_slice(&tag.to_le_bytes());
        head[7..].copy_from_slice(&count.to_le_bytes());
    };
    // Good: 100 bytes of data into a 4096-byte buffer.
    set(&mut head, 111, mt::RREAD, 3, 100);
    assert_eq!(decode_rread_split(&head, 4096, 111, 4096), Ok((3, Ok(100))));
    // Count larger than asked.
    assert_eq!(
        decode_rread_split(&head, 4096, 111, 99),
        Err(DecodeError::CountTooLarge)
    );
    // Count larger than the buffer the data went to.
    assert_eq!(
        decode_rread_split(&head, 50, 111, 4096),
        Err(DecodeError::CountTooLarge)
    );
    // Size field disagrees with the transport's length.
    assert_eq!(
        decode_rread_split(&head, 4096, 112, 4096),
        Err(DecodeError::SizeMismatch)
    );
    // Count disagrees with the size.
    set(&mut head, 111, mt::RREAD, 3, 90);
    assert_eq!(
        decode_rread_split(&head, 4096, 111, 4096),
        Err(DecodeError::SizeMismatch)
    );
    // Another reply type that spilled into the data part.
    set(&mut head, 111, mt::RGETATTR, 3, 0);
    assert_eq!(
        decode_rread_split(&head, 4096, 111, 4096),
        Err(DecodeError::UnexpectedType {
            expected: mt::RREAD,
            got: mt::RGETATTR
        })
    );
    set(&mut head, 111, 200, 3, 0);
    assert_eq!(
        decode_rread_split(&head, 4096, 111, 4096),
        Err(DecodeError::UnknownType(200))
    );
    // Rlerror fits in the head and is handed back decoded.
    set(&mut head, 11, mt::RLERROR, 3, 13);
    assert_eq!(
        decode_rread_split(&head, 4096, 11, 4096),
        Ok((3, Err(Rmsg::Lerror { ecode: 13 })))
    );
    // An empty Rread.
    set(&mut head, 11, mt::RREAD, 3, 0);
    assert_eq!(decode_rread_split(&head, 4096, 11, 4096), Ok((3, Ok(0))));
    // Lengths shorter than a header.
    for n in 0..7 {
        assert!(decode_rread_split(&head, 4096, n, 4096).is_err());
    }
}
