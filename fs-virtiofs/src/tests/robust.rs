//! The decoders against hostile bytes: every truncation, random
//! corruption, lying lengths, wrong unique ids, impossible errors.
//! Nothing may panic; anything malformed is an error.

use alloc::vec::Vec;

use super::samples::*;
use super::scripted::reply;
use crate::codec::*;

/// Runs every decoder over `b`; only the absence of panics matters.
fn decode_everything(b: &[u8]) {
    let _ = check_reply(b.get(..16).unwrap_or(b), b.len(), 2);
    let _ = InitOut::decode(b);
    let _ = EntryOut::from_bytes(b);
    let _ = AttrOut::from_bytes(b);
    let _ = OpenOut::from_bytes(b);
    let _ = WriteOut::from_bytes(b);
    let _ = Kstatfs::from_bytes(b);
    let _ = Request::decode(b);
    Dirents::new(b).for_each(drop);
    DirentsPlus::new(b).for_each(drop);
}

/// Whether `b` fails to decode as the record whose size is `len`.
fn decode_as(len: usize, b: &[u8]) -> bool {
    match len {
        128 => EntryOut::from_bytes(b).is_err(),
        104 => AttrOut::from_bytes(b).is_err(),
        80 => Kstatfs::from_bytes(b).is_err(),
        64 => InitOut::from_bytes(b).is_err(),
        16 => OpenOut::from_bytes(b).is_err(),
        8 => LseekOut::from_bytes(b).is_err() && WriteOut::from_bytes(b).is_err(),
        _ => false,
    }
}

#[test]
fn every_truncated_reply_is_refused() {
    for body in reply_bodies() {
        let full = reply(2, 0, &body);
        for n in 0..full.len() {
            // As received: the header's len no longer matches.
            let r = check_reply(full.get(..16.min(n)).unwrap(), n, 2);
            assert!(r.is_err(), "{n}: {r:?}");
            // With the len fixed up, the record itself runs short.
            if n >= 16 {
                let mut cut = full[..n].to_vec();
                cut[..4].copy_from_slice(&(n as u32).to_le_bytes());
                assert_eq!(check_reply(&cut[..16], n, 2), Ok(Ok(n - 16)));
                assert!(decode_as(body.len(), &cut[16..]), "{n}");
            }
            decode_everything(&full[..n]);
        }
    }
}

#[test]
fn lying_headers_are_refused() {
    let good = reply(2, 0, &[0; 8]);
    // len says more, or less, than was written.
    for len in [0u32, 15, 16, 23, 25, u32::MAX] {
        let mut b = good.clone();
        b[..4].copy_from_slice(&len.to_le_bytes());
        assert_eq!(
            check_reply(&b[..16], 24, 2),
            Err(DecodeError::LengthMismatch),
            "{len}"
        );
    }
    // Another request's reply.
    assert_eq!(
        check_reply(&good[..16], 24, 4),
        Err(DecodeError::WrongUnique)
    );
    assert_eq!(
        check_reply(&good[..16], 24, 3),
        Err(DecodeError::WrongUnique)
    );
    // Errors a daemon may not send, and errors with arguments.
    for e in [1, 4095, -512, -4095, i32::MIN, i32::MAX] {
        let b = reply(2, e, &[]);
        assert_eq!(check_reply(&b, 16, 2), Err(DecodeError::BadError), "{e}");
    }
    let b = reply(2, -2, &[0; 8]);
    assert_eq!(check_reply(&b[..16], 24, 2), Err(DecodeError::BadError));
    assert_eq!(check_reply(&[], 0, 2), Err(DecodeError::Truncated));
}

#[test]
fn init_reply_sizes() {
    let full = super::scripted::virtiofsd_init().to_bytes();
    for n in 0..=80 {
        let mut b = full.clone();
        b.resize(n, 0);
        let r = InitOut::decode(&b);
        assert_eq!(r.is_ok(), (8..=64).contains(&n), "{n}");
    }
    // An old daemon's short reply reads as zeros past its end.
    let short = InitOut::decode(&full[..24]).unwrap();
    assert_eq!(
        (short.major, short.minor, short.max_write, short.max_pages),
        (7, 38, 1 << 20, 0)
    );
}

#[test]
fn directory_records_cut_anywhere() {
    for (body, plus) in [(dirent_body(), false), (plus_body(), true)] {
        let count = |b: &[u8]| -> Result<usize, DecodeError> {
            if plus {
                DirentsPlus::new(b)
                    .map(|d| d.map(|_| ()))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.len())
            } else {
                Dirents::new(b)
                    .map(|d| d.map(|_| ()))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| v.len())
            }
        };
        let all = count(&body).unwrap();
        let mut boundaries = 0;
        for n in 0..body.len() {
            // A cut is either a record boundary (fewer whole records) or an error.
            if let Ok(k) = count(&body[..n]) {
                assert!(k < all);
                boundaries += 1;
            }
        }
        assert_eq!(boundaries, all, "the empty prefix and every inner boundary");
    }
}

#[test]
fn directory_records_with_lying_names() {
    for namelen in [0u32, 1025, u32::MAX, 100] {
        let mut v = Vec::new();
        Dirent {
            ino: 1,
            off: 1,
            typ: 8,
            name: b"abc",
        }
        .encode(&mut v);
        v[16..20].copy_from_slice(&namelen.to_le_bytes());
        let r: Vec<_> = Dirents::new(&v).collect();
        assert_eq!(r.len(), 1);
        assert!(r[0].is_err(), "{namelen}");
        let mut p = entry_out().to_bytes();
        p.extend_from_slice(&v);
        let r: Vec<_> = DirentsPlus::new(&p).collect();
        assert!(r[0].is_err(), "{namelen}");
    }
    // Missing padding after the last name.
    let mut v = Vec::new();
    Dirent {
        ino: 1,
        off: 1,
        typ: 8,
        name: b"abc",
    }
    .encode(&mut v);
    v.truncate(27);
    assert!(Dirents::new(&v).next().unwrap().is_err());
}

#[test]
fn random_corruption_never_panics() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut samples: Vec<Vec<u8>> = reply_bodies()
        .into_iter()
        .map(|b| reply(2, 0, &b))
        .collect();
    samples.push(dirent_body());
    samples.push(plus_body());
    let c = Creds::default();
    samples.extend(requests().iter().map(|r| r.encode(2, 1, c, 0).unwrap()));
    for _ in 0..20_000 {
        let mut b = samples[rng.below(samples.len())].clone();
        for _ in 0..=rng.below(4) {
            let i = rng.below(b.len());
            b[i] = rng.next() as u8;
        }
        if rng.below(4) == 0 {
            b.truncate(rng.below(b.len() + 1));
        }
        decode_everything(&b);
    }
    // Pure noise of every small length.
    for n in 0..300 {
        let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        decode_everything(&b);
    }
}

#[test]
fn hostile_requests_never_panic() {
    let c = Creds::default();
    for r in requests() {
        let full = r.encode(2, 1, c, 0).unwrap();
        for n in 0..full.len() {
            let mut cut = full[..n].to_vec();
            if n >= 4 {
                cut[..4].copy_from_slice(&(n as u32).to_le_bytes());
            }
            // A request cut short is refused (the fixed-up len makes its fields run out).
            assert!(
                Request::decode(&cut).is_err() || n == full.len(),
                "{r:?} cut at {n}"
            );
        }
    }
    // BATCH_FORGET whose count claims more than is there.
    let mut b = Request::BatchForget(alloc::vec![ForgetOne::default()])
        .encode(2, 0, c, 0)
        .unwrap();
    b[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(Request::decode(&b).map(|_| ()), Err(DecodeError::Truncated));
}
