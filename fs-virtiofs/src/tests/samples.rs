//! Instances of every record and request, shared by the codec tests, and
//! a small deterministic random generator.

use alloc::vec;
use alloc::vec::Vec;

use crate::codec::*;

/// xorshift64*: deterministic noise for corruption tests.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub fn fattr() -> FuseAttr {
    FuseAttr {
        ino: 0x1122_3344_5566_7788,
        size: 1 << 40,
        blocks: 9,
        atime: 1,
        mtime: 2,
        ctime: 3,
        atimensec: 4,
        mtimensec: 5,
        ctimensec: 6,
        mode: 0o100644,
        nlink: 2,
        uid: 1000,
        gid: 100,
        rdev: 0x0801,
        blksize: 4096,
        flags: 0,
    }
}

pub fn entry_out() -> EntryOut {
    EntryOut {
        nodeid: 42,
        generation: 7,
        entry_valid: 1,
        attr_valid: 2,
        entry_valid_nsec: 3,
        attr_valid_nsec: 4,
        attr: fattr(),
    }
}

pub fn setattr_in() -> SetattrIn {
    SetattrIn {
        valid: fattr::MODE | fattr::SIZE | fattr::MTIME,
        padding: 0,
        fh: 5,
        size: 6,
        lock_owner: 7,
        atime: 8,
        mtime: 9,
        ctime: 10,
        atimensec: 11,
        mtimensec: 12,
        ctimensec: 13,
        mode: 0o100600,
        unused4: 0,
        uid: 14,
        gid: 15,
        unused5: 0,
    }
}

pub fn read_in() -> ReadIn {
    ReadIn {
        fh: 3,
        offset: 4096,
        size: 8192,
        read_flags: 0,
        lock_owner: 0,
        flags: 2,
        padding: 0,
    }
}

/// One of each request (READ-shaped ones once each).
pub fn requests() -> Vec<Request<'static>> {
    let rel = ReleaseIn {
        fh: 9,
        flags: 2,
        release_flags: 0,
        lock_owner: 0,
    };
    let sync = FsyncIn {
        fh: 9,
        fsync_flags: FSYNC_FDATASYNC,
        padding: 0,
    };
    vec![
        Request::Init(crate::client::init_request_for_tests()),
        Request::Lookup { name: b"usr" },
        Request::Forget(ForgetIn { nlookup: 3 }),
        Request::BatchForget(vec![
            ForgetOne {
                nodeid: 5,
                nlookup: 1,
            },
            ForgetOne {
                nodeid: 6,
                nlookup: 2,
            },
        ]),
        Request::Getattr(GetattrIn {
            getattr_flags: GETATTR_FH,
            dummy: 0,
            fh: 77,
        }),
        Request::Setattr(setattr_in()),
        Request::Readlink,
        Request::Symlink {
            name: b"link",
            target: b"../target",
        },
        Request::Mknod {
            arg: MknodIn {
                mode: 0o020644,
                rdev: 0x0103,
                umask: 0o22,
                padding: 0,
            },
            name: b"tty",
        },
        Request::Mkdir {
            arg: MkdirIn {
                mode: 0o755,
                umask: 0,
            },
            name: b"dir",
        },
        Request::Unlink {
            name: b"\xffnot-utf8",
        },
        Request::Rmdir { name: b"dir" },
        Request::Rename {
            arg: RenameIn { newdir: 8 },
            old: b"a",
            new: b"b",
        },
        Request::Rename2 {
            arg: Rename2In {
                newdir: 8,
                flags: 1,
                padding: 0,
            },
            old: b"a",
            new: b"bb",
        },
        Request::Link {
            arg: LinkIn { oldnodeid: 42 },
            name: b"hard",
        },
        Request::Open(OpenIn {
            flags: 0o100002,
            open_flags: 0,
        }),
        Request::Opendir(OpenIn {
            flags: 0o200000,
            open_flags: 0,
        }),
        Request::Read(read_in()),
        Request::Statfs,
        Request::Release(rel),
        Request::Releasedir(rel),
        Request::Flush(FlushIn {
            fh: 9,
            unused: 0,
            padding: 0,
            lock_owner: 0,
        }),
        Request::Fsync(sync),
        Request::Fsyncdir(sync),
        Request::Readdir(read_in()),
        Request::Readdirplus(read_in()),
        Request::Access(AccessIn {
            mask: 4,
            padding: 0,
        }),
        Request::Create {
            arg: CreateIn {
                flags: 0o100302,
                mode: 0o100644,
                umask: 0,
                open_flags: 0,
            },
            name: b"new",
        },
        Request::Interrupt(InterruptIn { unique: 8 }),
        Request::Destroy,
        Request::Lseek(LseekIn {
            fh: 9,
            offset: 10,
            whence: 3,
            padding: 0,
        }),
    ]
}

/// A reply body per fixed-size reply type.
pub fn reply_bodies() -> Vec<Vec<u8>> {
    vec![
        entry_out().to_bytes(),
        AttrOut {
            attr_valid: 1,
            attr_valid_nsec: 2,
            dummy: 0,
            attr: fattr(),
        }
        .to_bytes(),
        OpenOut {
            fh: 1,
            open_flags: fopen::KEEP_CACHE,
            padding: 0,
        }
        .to_bytes(),
        WriteOut {
            size: 4096,
            padding: 0,
        }
        .to_bytes(),
        LseekOut { offset: 99 }.to_bytes(),
        Kstatfs {
            blocks: 1,
            bfree: 2,
            bavail: 3,
            files: 4,
            ffree: 5,
            bsize: 4096,
            namelen: 255,
            frsize: 4096,
            padding: 0,
            spare: [0; 6],
        }
        .to_bytes(),
        crate::tests::scripted::virtiofsd_init().to_bytes(),
    ]
}

/// A READDIRPLUS body: two entries with nodes, "." without.
pub fn plus_body() -> Vec<u8> {
    let mut v = Vec::new();
    DirentPlus {
        entry: EntryOut::default(),
        dirent: Dirent {
            ino: 1,
            off: 1,
            typ: 4,
            name: b".",
        },
    }
    .encode(&mut v);
    DirentPlus {
        entry: entry_out(),
        dirent: Dirent {
            ino: 42,
            off: 2,
            typ: 8,
            name: b"file",
        },
    }
    .encode(&mut v);
    let mut e = entry_out();
    e.nodeid = 43;
    e.attr.mode = 0o040755;
    DirentPlus {
        entry: e,
        dirent: Dirent {
            ino: 43,
            off: 3,
            typ: 4,
            name: b"a-longer-directory-name",
        },
    }
    .encode(&mut v);
    v
}

pub fn dirent_body() -> Vec<u8> {
    let mut v = Vec::new();
    for (i, n) in [&b"."[..], b"..", b"seven77", b"eight888", b"x"]
        .iter()
        .enumerate()
    {
        Dirent {
            ino: i as u64 + 10,
            off: i as u64 + 1,
            typ: 8,
            name: n,
        }
        .encode(&mut v);
    }
    v
}
