//! One or more instances of every message, shared by the codec tests.

use alloc::vec;
use alloc::vec::Vec;

use crate::codec::{
    DirEntries, DirEntryRef, Flock, Getlock, Rmsg, SetAttr, Stat, StatFs, Tmsg, WalkNames,
};
use crate::qid::Qid;

pub const Q1: Qid = Qid {
    ty: 0x80,
    version: 0x0102_0304,
    path: 0x1122_3344_5566_7788,
};
pub const Q2: Qid = Qid {
    ty: 0x00,
    version: 7,
    path: 42,
};
pub const NAMES: [&[u8]; 3] = [b"usr", b"lib", b"\xffnot-utf8"];
pub static SIXTEEN: [&[u8]; 16] = [b"a"; 16];

pub fn setattr() -> SetAttr {
    SetAttr {
        valid: 0x1ff,
        mode: 0o100644,
        uid: 1000,
        gid: 100,
        size: 1 << 40,
        atime_sec: 1,
        atime_nsec: 2,
        mtime_sec: 3,
        mtime_nsec: 4,
    }
}

pub fn stat() -> Stat {
    Stat {
        valid: 0x3fff,
        qid: Q1,
        mode: 0o40755,
        uid: 1,
        gid: 2,
        nlink: 3,
        rdev: 4,
        size: 5,
        blksize: 6,
        blocks: 7,
        atime_sec: 8,
        atime_nsec: 9,
        mtime_sec: 10,
        mtime_nsec: 11,
        ctime_sec: 12,
        ctime_nsec: 13,
        btime_sec: 14,
        btime_nsec: 15,
        gen: 16,
        data_version: 17,
    }
}

pub fn statfs() -> StatFs {
    StatFs {
        ty: 0x0102_1997,
        bsize: 4096,
        blocks: 1,
        bfree: 2,
        bavail: 3,
        files: 4,
        ffree: 5,
        fsid: 6,
        namelen: 255,
    }
}

pub fn tmsgs() -> Vec<Tmsg<'static>> {
    vec![
        Tmsg::Version {
            msize: 8192,
            version: b"9P2000.L",
        },
        Tmsg::Auth {
            afid: 1,
            uname: b"root",
            aname: b"/export",
            n_uname: 0,
        },
        Tmsg::Attach {
            fid: 0,
            afid: !0,
            uname: b"root",
            aname: b"",
            n_uname: 0,
        },
        Tmsg::Flush { oldtag: 3 },
        Tmsg::Walk {
            fid: 0,
            newfid: 1,
            names: WalkNames::Borrowed(&[]),
        },
        Tmsg::Walk {
            fid: 0,
            newfid: 1,
            names: WalkNames::Borrowed(&NAMES),
        },
        Tmsg::Walk {
            fid: 0,
            newfid: 0,
            names: WalkNames::Borrowed(&SIXTEEN),
        },
        Tmsg::Lopen { fid: 2, flags: 0o2 },
        Tmsg::Lcreate {
            fid: 2,
            name: b"new",
            flags: 0o101,
            mode: 0o644,
            gid: 0,
        },
        Tmsg::Read {
            fid: 2,
            offset: u64::MAX,
            count: 4096,
        },
        Tmsg::Write {
            fid: 2,
            offset: 9,
            data: b"hello",
        },
        Tmsg::Write {
            fid: 2,
            offset: 0,
            data: b"",
        },
        Tmsg::Clunk { fid: 2 },
        Tmsg::Remove { fid: 2 },
        Tmsg::Getattr {
            fid: 2,
            request_mask: 0x3fff,
        },
        Tmsg::Setattr {
            fid: 2,
            attr: setattr(),
        },
        Tmsg::Readdir {
            fid: 3,
            offset: 77,
            count: 8168,
        },
        Tmsg::Mkdir {
            dfid: 3,
            name: b"d",
            mode: 0o755,
            gid: 5,
        },
        Tmsg::Mknod {
            dfid: 3,
            name: b"fifo",
            mode: 0o10644,
            major: 1,
            minor: 2,
            gid: 5,
        },
        Tmsg::Symlink {
            dfid: 3,
            name: b"l",
            target: b"../x",
            gid: 5,
        },
        Tmsg::Readlink { fid: 4 },
        Tmsg::Link {
            dfid: 3,
            fid: 4,
            name: b"hard",
        },
        Tmsg::Renameat {
            olddirfid: 3,
            oldname: b"a",
            newdirfid: 5,
            newname: b"b",
        },
        Tmsg::Unlinkat {
            dirfid: 3,
            name: b"d",
            flags: 0x200,
        },
        Tmsg::Rename {
            fid: 4,
            dfid: 3,
            name: b"c",
        },
        Tmsg::Fsync {
            fid: 4,
            datasync: 1,
        },
        Tmsg::Statfs { fid: 0 },
        Tmsg::Xattrwalk {
            fid: 4,
            newfid: 6,
            name: b"user.x",
        },
        Tmsg::Xattrcreate {
            fid: 4,
            name: b"user.x",
            attr_size: 10,
            flags: 0,
        },
        Tmsg::Lock {
            fid: 4,
            lock: Flock {
                ty: 1,
                flags: 1,
                start: 0,
                length: 10,
                proc_id: 99,
                client_id: b"lintel",
            },
        },
        Tmsg::Getlock {
            fid: 4,
            lock: Getlock {
                ty: 0,
                start: 5,
                length: 0,
                proc_id: 1,
                client_id: b"c",
            },
        },
    ]
}

/// Rreaddir payload with a few entries (static so replies can borrow it).
pub fn dirents() -> &'static [u8] {
    use std::sync::OnceLock;
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut v = Vec::new();
        for (i, name) in [&b"."[..], b"..", b"file", b""].iter().enumerate() {
            let e = DirEntryRef {
                qid: Q2,
                offset: i as u64 + 1,
                ty: 8,
                name,
            };
            DirEntries::encode_entry(&mut v, &e).unwrap();
        }
        v
    })
}

pub fn rmsgs() -> Vec<Rmsg<'static>> {
    vec![
        Rmsg::Lerror { ecode: 2 },
        Rmsg::Error {
            ename: b"no such file",
            errno: None,
        },
        Rmsg::Error {
            ename: b"no such file",
            errno: Some(2),
        },
        Rmsg::Version {
            msize: 8192,
            version: b"9P2000.L",
        },
        Rmsg::Auth { aqid: Q1 },
        Rmsg::Attach { qid: Q1 },
        Rmsg::Flush,
        Rmsg::Walk { qids: vec![] },
        Rmsg::Walk {
            qids: vec![Q1, Q2, Q1],
        },
        Rmsg::Walk { qids: vec![Q2; 16] },
        Rmsg::Lopen { qid: Q2, iounit: 0 },
        Rmsg::Lcreate {
            qid: Q2,
            iounit: 65536,
        },
        Rmsg::Read { data: b"" },
        Rmsg::Read { data: b"some data" },
        Rmsg::Write { count: 9 },
        Rmsg::Clunk,
        Rmsg::Remove,
        Rmsg::Getattr(stat()),
        Rmsg::Setattr,
        Rmsg::Readdir(DirEntries::new(b"").unwrap()),
        Rmsg::Readdir(DirEntries::new(dirents()).unwrap()),
        Rmsg::Mkdir { qid: Q1 },
        Rmsg::Mknod { qid: Q2 },
        Rmsg::Symlink { qid: Q2 },
        Rmsg::Readlink {
            target: b"../target",
        },
        Rmsg::Link,
        Rmsg::Renameat,
        Rmsg::Unlinkat,
        Rmsg::Rename,
        Rmsg::Fsync,
        Rmsg::Statfs(statfs()),
        Rmsg::Xattrwalk { size: 12 },
        Rmsg::Xattrcreate,
        Rmsg::Lock { status: 0 },
        Rmsg::Getlock(Getlock {
            ty: 2,
            start: 1,
            length: 2,
            proc_id: 3,
            client_id: b"other",
        }),
    ]
}

/// Deterministic xorshift64 PRNG for the robustness tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
