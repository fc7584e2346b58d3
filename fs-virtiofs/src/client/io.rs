//! READ and WRITE, split into requests the daemon accepts. The caller's
//! buffer is a part of the exchange itself (READ's destination, WRITE's
//! data): nothing is copied here.

use super::file::OpenFile;
use super::Client;
use crate::codec::{ReadIn, Request, WriteIn, WriteOut};
use crate::errno::Errno;

impl Client {
    fn check_io(&self, f: &OpenFile) -> Result<(), Errno> {
        if !f.belongs_to(&self.session) {
            return Err(Errno::EBADF);
        }
        if f.is_dir() {
            return Err(Errno::EISDIR);
        }
        Ok(())
    }

    /// One READ of at most `dst.len()` bytes into `dst`.
    fn read_once(&self, f: &OpenFile, offset: u64, dst: &mut [u8]) -> Result<usize, Errno> {
        let size = u32::try_from(dst.len()).map_err(|_| Errno::EINVAL)?;
        let arg = ReadIn {
            fh: f.fh(),
            offset,
            size,
            read_flags: 0,
            lock_owner: 0,
            flags: f.flags(),
            padding: 0,
        };
        self.session
            .call(f.node().id(), &Request::Read(arg), &[], dst)
    }

    /// One WRITE of `data`; the daemon cannot have written more than sent.
    fn write_once(&self, f: &OpenFile, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let size = u32::try_from(data.len()).map_err(|_| Errno::EINVAL)?;
        let arg = WriteIn {
            fh: f.fh(),
            offset,
            size,
            write_flags: 0,
            lock_owner: 0,
            flags: f.flags(),
            padding: 0,
        };
        let mut out = [0u8; 8];
        let n = self
            .session
            .call(f.node().id(), &Request::Write(arg), data, &mut out)?;
        let w = <WriteOut as crate::codec::Wire>::from_bytes(out.get(..n).ok_or(Errno::EIO)?)?;
        let w = usize::try_from(w.size).map_err(|_| Errno::EIO)?;
        if w > data.len() {
            return Err(Errno::EIO);
        }
        Ok(w)
    }

    /// Reads up to `buf.len()` bytes at `offset`, in requests of at most
    /// [`InitInfo::read_chunk`](super::InitInfo::read_chunk) bytes. Stops at
    /// the first short one (end of file); an error after some data returns
    /// the data.
    pub fn read(&self, f: &OpenFile, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.check_io(f)?;
        let chunk = self.session.init.read_chunk().max(1);
        let mut done = 0usize;
        for dst in buf.chunks_mut(chunk) {
            let off = offset_at(offset, done)?;
            let want = dst.len();
            match self.read_once(f, off, dst) {
                Ok(n) => {
                    done = done.saturating_add(n);
                    if n < want {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Writes `data` at `offset` in requests of at most
    /// [`InitInfo::write_chunk`](super::InitInfo::write_chunk) bytes;
    /// returns the bytes written, short if the daemon wrote less than a
    /// chunk. An error after some data returns the count written.
    pub fn write(&self, f: &OpenFile, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        self.check_io(f)?;
        let chunk = self.session.init.write_chunk().max(1);
        let mut done = 0usize;
        for piece in data.chunks(chunk) {
            let off = offset_at(offset, done)?;
            match self.write_once(f, off, piece) {
                Ok(n) => {
                    done = done.saturating_add(n);
                    if n < piece.len() {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// `offset + done`, or EINVAL past 2^64.
fn offset_at(offset: u64, done: usize) -> Result<u64, Errno> {
    u64::try_from(done)
        .ok()
        .and_then(|d| offset.checked_add(d))
        .ok_or(Errno::EINVAL)
}
