//! readdir over a fixed list, for the synthetic file systems (devfs,
//! procfs): ".", ".." and entries that carry their own cookies.

use alloc::vec::Vec;
use lintel_vfs::{DirEntry, FileType, VfsResult};

/// The first cookie an entry may have (1 and 2 follow "." and "..").
pub const FIRST_COOKIE: u64 = 3;

/// Feeds `sink` the entries after `cookie`; `entries` are in cookie order.
pub fn readdir(
    cookie: u64,
    dot: u64,
    dotdot: u64,
    entries: &[DirEntry],
    sink: &mut dyn FnMut(&DirEntry) -> bool,
) -> VfsResult<()> {
    let dir = |ino, name: &[u8], next| DirEntry {
        ino,
        kind: FileType::Directory,
        name: name.to_vec(),
        next,
    };
    let dots = [dir(dot, b".", 1), dir(dotdot, b"..", 2)];
    for e in dots.iter().chain(entries) {
        if e.next > cookie && !sink(e) {
            break;
        }
    }
    Ok(())
}

/// An entry whose cookie is its index in a fixed list.
pub fn entry(index: usize, ino: u64, kind: FileType, name: &[u8]) -> DirEntry {
    DirEntry {
        ino,
        kind,
        name: Vec::from(name),
        next: FIRST_COOKIE + index as u64,
    }
}
