//! READDIR and READDIRPLUS. A reply is checked whole before any entry is
//! handed out; READDIRPLUS entries with a node id are counted lookups, and
//! come with a [`Node`](super::Node) the caller keeps or drops.

use alloc::vec;
use alloc::vec::Vec;

use super::entry::{accept, Entry};
use super::file::OpenFile;
use super::Client;
use crate::codec::{Dirent, Dirents, DirentsPlus, ReadIn, Request};
use crate::errno::Errno;

/// One READDIRPLUS entry. `entry` is None for records without a node id
/// (virtiofsd sends "." and ".." so) and for ones whose entry was bad
/// (their lookup is forgotten at once).
#[derive(Debug)]
pub struct PlusEntry<'a> {
    pub dirent: Dirent<'a>,
    pub entry: Option<Entry>,
}

impl Client {
    /// One READDIR(PLUS) request of at most `size` bytes (lowered to the
    /// read chunk); returns the reply's bytes.
    fn read_dir(
        &self,
        dir: &OpenFile,
        offset: u64,
        size: u32,
        plus: bool,
    ) -> Result<Vec<u8>, Errno> {
        if !dir.belongs_to(&self.session) {
            return Err(Errno::EBADF);
        }
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let cap = u32::try_from(self.session.init.read_chunk()).unwrap_or(u32::MAX);
        let size = size.min(cap).max(1);
        let arg = ReadIn {
            fh: dir.fh(),
            offset,
            size,
            read_flags: 0,
            lock_owner: 0,
            flags: dir.flags(),
            padding: 0,
        };
        let req = if plus {
            Request::Readdirplus(arg)
        } else {
            Request::Readdir(arg)
        };
        let mut buf = vec![0u8; usize::try_from(size).map_err(|_| Errno::EINVAL)?];
        let n = self.session.call(dir.node().id(), &req, &[], &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// READDIR from the cookie `offset` (0: the start): calls `f` for each
    /// entry of one reply and returns how many there were; 0 is the end.
    /// Continue from the last entry's `off`.
    pub fn readdir(
        &self,
        dir: &OpenFile,
        offset: u64,
        size: u32,
        mut f: impl FnMut(Dirent<'_>),
    ) -> Result<usize, Errno> {
        let buf = self.read_dir(dir, offset, size, false)?;
        let entries = Dirents::new(&buf).collect::<Result<Vec<_>, _>>()?;
        let n = entries.len();
        entries.into_iter().for_each(&mut f);
        Ok(n)
    }

    /// READDIRPLUS, as [`readdir`](Self::readdir). If the reply turns out
    /// malformed, the lookups of the entries before the bad record are
    /// forgotten and the result is EIO.
    pub fn readdirplus(
        &self,
        dir: &OpenFile,
        offset: u64,
        size: u32,
        mut f: impl FnMut(PlusEntry<'_>),
    ) -> Result<usize, Errno> {
        let buf = self.read_dir(dir, offset, size, true)?;
        let mut entries = Vec::new();
        for d in DirentsPlus::new(&buf) {
            let Ok(d) = d else {
                self.forget_nodes(
                    entries
                        .into_iter()
                        .filter_map(|e: PlusEntry<'_>| e.entry.map(|e| e.node))
                        .collect(),
                );
                return Err(Errno::EIO);
            };
            let entry = match d.entry.nodeid {
                0 => None,
                _ => accept(&self.session, &d.entry, None, true).ok(),
            };
            entries.push(PlusEntry {
                dirent: d.dirent,
                entry,
            });
        }
        let n = entries.len();
        entries.into_iter().for_each(&mut f);
        Ok(n)
    }
}
