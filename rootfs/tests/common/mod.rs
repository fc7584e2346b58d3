//! Helpers shared by the rootfs integration tests.
#![allow(dead_code)]

use lintel_rootfs::{Tmpfs, TmpfsOptions};
use lintel_vfs::{DirEntry, FileSystem, OpenFlags, Timespec, VnodeRef};
use std::cell::Cell;
use std::sync::Arc;

/// O_RDONLY is 0, so OpenFlags has no name for it.
pub const RDONLY: OpenFlags = OpenFlags::empty();

thread_local! {
    /// Each test runs on its own thread, so each gets its own clock.
    static NOW: Cell<i64> = const { Cell::new(1_700_000_000) };
}

pub fn clock() -> Timespec {
    Timespec {
        sec: NOW.with(|c| c.get()),
        nsec: 0,
    }
}

/// Moves the test's clock forward.
pub fn tick(secs: i64) {
    NOW.with(|c| c.set(c.get() + secs));
}

pub fn at(sec: i64) -> Timespec {
    Timespec { sec, nsec: 0 }
}

pub fn tmpfs() -> Arc<Tmpfs> {
    Tmpfs::new(clock, TmpfsOptions::default())
}

pub fn root_of(fs: &Arc<Tmpfs>) -> VnodeRef {
    fs.root()
}

pub fn write(v: &VnodeRef, off: u64, data: &[u8]) -> usize {
    v.open(OpenFlags::RDWR)
        .unwrap()
        .write_at(off, data)
        .unwrap()
}

pub fn read(v: &VnodeRef, off: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xaa; len];
    let n = v.open(RDONLY).unwrap().read_at(off, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Every entry of a directory, "." and ".." included.
pub fn list(v: &VnodeRef) -> Vec<DirEntry> {
    let h = v.open(RDONLY | OpenFlags::DIRECTORY).unwrap();
    let mut out = Vec::new();
    h.readdir(0, &mut |e| {
        out.push(e.clone());
        true
    })
    .unwrap();
    out
}

pub fn names(v: &VnodeRef) -> Vec<String> {
    list(v)
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect()
}
