//! Every operation against hostile replies: short, long, another
//! request's, lying lengths, impossible errors, no reply, a failing
//! transport. Each is EIO, and nothing leaks.

use alloc::vec;
use alloc::vec::Vec;

use super::client::setup;
use super::scripted::{attr, reply, Answer, Req, DIR, LNK, REG};
use crate::codec::{
    opcode as op, AttrOut, EntryOut, Kstatfs, LseekOut, OpenOut, Request, SetattrIn, Wire, WriteOut,
};
use crate::{Client, Errno, Node, OpenFile, TransportError};

fn good_body(r: &Req) -> Vec<u8> {
    let entry = |id: u64, mode: u32| EntryOut {
        nodeid: id,
        attr: attr(id, mode, 0),
        ..EntryOut::default()
    };
    match r.request() {
        Request::Lookup { .. } => entry(50, REG).to_bytes(),
        Request::Mkdir { .. } => entry(51, DIR).to_bytes(),
        Request::Mknod { arg, .. } => entry(52, arg.mode).to_bytes(),
        Request::Symlink { .. } => entry(53, LNK).to_bytes(),
        Request::Link { .. } => entry(54, REG).to_bytes(),
        Request::Getattr(_) | Request::Setattr(_) => AttrOut {
            attr: attr(1, DIR, 0),
            ..AttrOut::default()
        }
        .to_bytes(),
        Request::Statfs => Kstatfs::default().to_bytes(),
        Request::Open(_) | Request::Opendir(_) => OpenOut {
            fh: 9,
            ..OpenOut::default()
        }
        .to_bytes(),
        Request::Create { .. } => {
            let mut b = entry(55, REG).to_bytes();
            b.extend(
                OpenOut {
                    fh: 10,
                    ..OpenOut::default()
                }
                .to_bytes(),
            );
            b
        }
        Request::Write(w) => WriteOut {
            size: w.size,
            padding: 0,
        }
        .to_bytes(),
        Request::Lseek(_) => LseekOut { offset: 1 }.to_bytes(),
        _ => Vec::new(),
    }
}

#[derive(Clone, Copy, Debug)]
enum Mutation {
    ShortBody,
    LongBody,
    WrongUnique,
    LyingLen,
    PositiveError,
    HugeError,
    ErrorWithBody,
    Nothing,
    TransportFails,
}

fn mutate(m: Mutation, r: &Req) -> Answer {
    let u = r.header.unique;
    let mut body = good_body(r);
    match m {
        Mutation::ShortBody if body.is_empty() => Answer::Raw(reply(u, 0, &[0])),
        Mutation::ShortBody => {
            body.pop();
            Answer::Raw(reply(u, 0, &body))
        }
        Mutation::LongBody => {
            body.extend_from_slice(&[0; 8]);
            Answer::Raw(reply(u, 0, &body))
        }
        Mutation::WrongUnique => Answer::Raw(reply(u + 2, 0, &body)),
        Mutation::LyingLen => {
            let mut b = reply(u, 0, &body);
            b[0] = b[0].wrapping_add(1);
            Answer::Raw(b)
        }
        Mutation::PositiveError => Answer::Error(2),
        Mutation::HugeError => Answer::Error(-100_000),
        Mutation::ErrorWithBody => Answer::Raw(reply(u, -2, &[0; 16])),
        Mutation::Nothing => Answer::Nothing,
        Mutation::TransportFails => Answer::Fail(TransportError::Io),
    }
}

#[test]
fn malformed_replies_are_eio_for_every_operation() {
    let (t, c) = setup();
    t.add(1, b"f", 5, REG, 10);
    let node = c.lookup(c.root(), b"f").unwrap().node;
    let file = c.open(&node, 2).unwrap();
    let dir = c.opendir(c.root(), 0).unwrap();
    type Op = fn(&Client, &Node, &OpenFile, &OpenFile) -> Result<(), Errno>;
    let ops: Vec<(u32, Op)> = vec![
        (op::LOOKUP, |c, _, _, _| c.lookup(c.root(), b"x").map(drop)),
        (op::GETATTR, |c, n, _, _| c.getattr(n, None).map(drop)),
        (op::SETATTR, |c, n, _, _| {
            c.setattr(n, &SetattrIn::default()).map(drop)
        }),
        (op::STATFS, |c, n, _, _| c.statfs(n).map(drop)),
        (op::OPEN, |c, n, _, _| c.open(n, 0).map(drop)),
        (op::OPENDIR, |c, _, _, _| c.opendir(c.root(), 0).map(drop)),
        (op::CREATE, |c, _, _, _| {
            c.create(c.root(), b"new", 2, 0o644, 0).map(drop)
        }),
        (op::MKDIR, |c, _, _, _| {
            c.mkdir(c.root(), b"d", 0o755, 0).map(drop)
        }),
        (op::MKNOD, |c, _, _, _| {
            c.mknod(c.root(), b"p", 0o010644, 0, 0).map(drop)
        }),
        (op::SYMLINK, |c, _, _, _| {
            c.symlink(c.root(), b"l", b"t").map(drop)
        }),
        (op::LINK, |c, n, _, _| c.link(n, c.root(), b"h").map(drop)),
        (op::UNLINK, |c, _, _, _| c.unlink(c.root(), b"f")),
        (op::RMDIR, |c, _, _, _| c.rmdir(c.root(), b"d")),
        (op::RENAME, |c, _, _, _| {
            c.rename(c.root(), b"a", c.root(), b"b", 0)
        }),
        (op::RENAME2, |c, _, _, _| {
            c.rename(c.root(), b"a", c.root(), b"b", 1)
        }),
        (op::WRITE, |c, _, f, _| c.write(f, 0, b"data").map(drop)),
        (op::LSEEK, |c, _, f, _| c.lseek(f, 0, 3).map(drop)),
        (op::FSYNC, |c, _, f, _| c.fsync(f, false)),
        (op::FSYNCDIR, |c, _, _, d| c.fsync(d, true)),
        (op::FLUSH, |c, _, f, _| c.flush(f)),
        (op::ACCESS, |c, n, _, _| c.access(n, 4)),
        (op::READLINK, |c, n, _, _| c.readlink(n).map(drop)),
        (op::READ, |c, _, f, _| c.read(f, 0, &mut [0; 16]).map(drop)),
        (op::READDIRPLUS, |c, _, _, d| {
            c.readdirplus(d, 0, 4096, |p| drop(p)).map(drop)
        }),
        (op::READDIR, |c, _, _, d| {
            c.readdir(d, 0, 4096, |_| {}).map(drop)
        }),
    ];
    let all = [
        Mutation::ShortBody,
        Mutation::LongBody,
        Mutation::WrongUnique,
        Mutation::LyingLen,
        Mutation::PositiveError,
        Mutation::HugeError,
        Mutation::ErrorWithBody,
        Mutation::Nothing,
        Mutation::TransportFails,
    ];
    for (opcode, run) in &ops {
        for m in all {
            // Variable-size replies: a shorter one is a valid short answer.
            let variable = matches!(
                *opcode,
                op::READ | op::READLINK | op::READDIR | op::READDIRPLUS
            );
            if variable && matches!(m, Mutation::ShortBody | Mutation::LongBody) {
                continue;
            }
            t.clear_rules();
            let opcode = *opcode;
            t.on(move |r| (r.opcode() == opcode).then(|| mutate(m, r)));
            assert_eq!(
                run(&c, &node, &file, &dir),
                Err(Errno::EIO),
                "opcode {opcode} {m:?}"
            );
        }
    }
    t.clear_rules();
    drop((node, file, dir));
    let s = c.stats();
    assert_eq!(s.live_nodes, 1, "only the root is left");
    assert_eq!(s.lookups_received, s.lookups_forgotten);
}
