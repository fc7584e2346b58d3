//! Opening, creating, reading, writing, listing and syncing files.
//!
//! Reads and writes are scatter-gather: the header travels in a small
//! buffer, the data goes straight between the wire and the caller's slice.

use alloc::vec;
use alloc::vec::Vec;

use super::{check_reply, CallError, Client, Session, SMALL_REPLY};
use crate::codec::{
    decode_reply, decode_rread_split, msg_type, DirEntry, DirEntryRef, Rmsg, Tmsg, HDR_SIZE,
    IOHDRSZ, READDIRHDRSZ, RREAD_HEAD,
};
use crate::errno::Errno;
use crate::fid::Fid;
use crate::qid::Qid;

impl Session {
    /// One Tread of at most `dst.len()` bytes into `dst`.
    fn read_once(&self, fid: u32, offset: u64, dst: &mut [u8]) -> Result<usize, CallError> {
        let count = u32::try_from(dst.len()).map_err(|_| CallError::Local(Errno::EINVAL))?;
        let mut tag = self.tags.alloc().map_err(CallError::Local)?;
        let mut req = Vec::with_capacity(HDR_SIZE + 16);
        Tmsg::Read { fid, offset, count }
            .encode(tag.tag, &mut req)
            .map_err(|e| CallError::Local(e.into()))?;
        let mut head = [0u8; RREAD_HEAD];
        let data_len = dst.len();
        let n = match self.transport.rpc(&[&req], &mut [&mut head[..], dst]) {
            Ok(n) => n,
            Err(_) => {
                tag.poison();
                return Err(CallError::Unknown);
            }
        };
        let (rtag, r) =
            decode_rread_split(&head, data_len, n, count).map_err(|_| CallError::Unknown)?;
        match r {
            Ok(got) if rtag == tag.tag => Ok(got),
            Ok(_) => Err(CallError::Unknown),
            Err(m) => check_reply(tag.tag, rtag, msg_type::RREAD, m).and(Err(CallError::Unknown)),
        }
    }

    /// One Twrite of `data`, sent as its own part after the header.
    fn write_once(&self, fid: u32, offset: u64, data: &[u8]) -> Result<usize, CallError> {
        let mut tag = self.tags.alloc().map_err(CallError::Local)?;
        let mut head = Vec::with_capacity(HDR_SIZE + 16);
        Tmsg::Write { fid, offset, data }
            .encode_head(tag.tag, &mut head)
            .map_err(|e| CallError::Local(e.into()))?;
        self.check_size(head.len().saturating_add(data.len()))?;
        let mut reply = [0u8; SMALL_REPLY];
        let n = match self.transport.rpc(&[&head, data], &mut [&mut reply[..]]) {
            Ok(n) => n,
            Err(_) => {
                tag.poison();
                return Err(CallError::Unknown);
            }
        };
        let buf = reply.get(..n).ok_or(CallError::Unknown)?;
        let (rtag, m) = decode_reply(buf).map_err(|_| CallError::Unknown)?;
        match check_reply(tag.tag, rtag, msg_type::RWRITE, m)? {
            Rmsg::Write { count } => {
                let count = usize::try_from(count).map_err(|_| CallError::Unknown)?;
                // The server cannot have written more than it was sent.
                if count > data.len() {
                    return Err(CallError::Unknown);
                }
                Ok(count)
            }
            _ => Err(CallError::Unknown),
        }
    }
}

impl Client {
    /// Largest data chunk of one Tread/Twrite on `fid`: what fits in msize,
    /// lowered to the fid's iounit if the server gave one (as Linux does).
    fn io_chunk(&self, fid: &Fid) -> usize {
        let max = self.session.msize.saturating_sub(IOHDRSZ).max(1);
        let iounit = fid.iounit();
        let n = if iounit == 0 || iounit > max {
            max
        } else {
            iounit
        };
        usize::try_from(n).unwrap_or(usize::MAX)
    }

    /// Tlopen: opens `fid` with 9P2000.L flags ([`crate::flags::open_to_dotl`]).
    /// Returns the qid and iounit (0: no preference); the iounit is kept in
    /// the fid to size later reads and writes.
    pub fn lopen(&self, fid: &Fid, flags: u32) -> Result<(Qid, u32), Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(&Tmsg::Lopen { fid: id, flags }, &mut buf)? {
            Rmsg::Lopen { qid, iounit } => {
                fid.set_iounit(iounit);
                Ok((qid, iounit))
            }
            _ => Err(Errno::EIO),
        }
    }

    /// Tlcreate: creates `name` in the directory `fid` and opens it; `fid`
    /// then stands for the new open file (9P semantics), no longer the
    /// directory. See [`create`](Self::create) to keep the directory fid.
    pub fn lcreate(
        &self,
        fid: &Fid,
        name: &[u8],
        flags: u32,
        mode: u32,
        gid: u32,
    ) -> Result<(Qid, u32), Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(
            &Tmsg::Lcreate {
                fid: id,
                name,
                flags,
                mode,
                gid,
            },
            &mut buf,
        )? {
            Rmsg::Lcreate { qid, iounit } => {
                fid.set_iounit(iounit);
                Ok((qid, iounit))
            }
            _ => Err(Errno::EIO),
        }
    }

    /// Creates and opens `name` in `dir` through a clone of `dir`, which
    /// becomes the returned file fid; `dir` is unchanged.
    pub fn create(
        &self,
        dir: &Fid,
        name: &[u8],
        flags: u32,
        mode: u32,
        gid: u32,
    ) -> Result<(Fid, Qid, u32), Errno> {
        let file = self.clone_fid(dir)?;
        // On failure `file` drops and is clunked.
        let (qid, iounit) = self.lcreate(&file, name, flags, mode, gid)?;
        Ok((file, qid, iounit))
    }

    /// Reads up to `buf.len()` bytes at `offset`, in chunks that fit msize
    /// and the iounit. Stops at the first short chunk (end of file, or a
    /// pipe with less data); an error after some data returns the data.
    pub fn read(&self, fid: &Fid, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let id = self.check(fid)?;
        let chunk = self.io_chunk(fid);
        let mut done = 0usize;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let want = rest.len().min(chunk);
            let Some(dst) = rest.get_mut(..want) else {
                break;
            };
            let off = u64::try_from(done)
                .ok()
                .and_then(|d| offset.checked_add(d))
                .ok_or(Errno::EINVAL)?;
            match self.session.read_once(id, off, dst) {
                Ok(n) => {
                    done = done.saturating_add(n);
                    if n < want {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    /// Writes `data` at `offset` in chunks; returns the bytes written, short
    /// if the server wrote less than a chunk. An error after some data
    /// returns the count written.
    pub fn write(&self, fid: &Fid, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let id = self.check(fid)?;
        let chunk = self.io_chunk(fid);
        let mut done = 0usize;
        for piece in data.chunks(chunk) {
            let off = u64::try_from(done)
                .ok()
                .and_then(|d| offset.checked_add(d))
                .ok_or(Errno::EINVAL)?;
            match self.session.write_once(id, off, piece) {
                Ok(n) => {
                    done = done.saturating_add(n);
                    if n < piece.len() {
                        break;
                    }
                }
                Err(_) if done > 0 => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(done)
    }

    /// Treaddir on an open directory: calls `f` for each entry of one reply
    /// of at most `count` bytes (lowered to fit msize) and returns how many
    /// there were; 0 means the end. Continue from the last entry's `offset`.
    pub fn readdir_with(
        &self,
        fid: &Fid,
        offset: u64,
        count: u32,
        mut f: impl FnMut(DirEntryRef<'_>),
    ) -> Result<usize, Errno> {
        let id = self.check(fid)?;
        let count = count.min(self.session.msize.saturating_sub(READDIRHDRSZ));
        let len = usize::try_from(count)
            .map_err(|_| Errno::EINVAL)?
            .saturating_add(HDR_SIZE + 4);
        let mut buf = vec![0u8; len];
        match self.call(
            &Tmsg::Readdir {
                fid: id,
                offset,
                count,
            },
            &mut buf,
        )? {
            Rmsg::Readdir(entries) => {
                if entries.data().len() > usize::try_from(count).unwrap_or(usize::MAX) {
                    return Err(Errno::EIO);
                }
                let mut n = 0usize;
                for e in entries {
                    f(e);
                    n = n.saturating_add(1);
                }
                Ok(n)
            }
            _ => Err(Errno::EIO),
        }
    }

    /// [`readdir_with`](Self::readdir_with), collecting owned entries.
    pub fn readdir(&self, fid: &Fid, offset: u64, count: u32) -> Result<Vec<DirEntry>, Errno> {
        let mut v = Vec::new();
        self.readdir_with(fid, offset, count, |e| v.push(e.to_owned()))?;
        Ok(v)
    }

    /// Tfsync: flushes the file's data (and metadata unless `datasync`).
    pub fn fsync(&self, fid: &Fid, datasync: bool) -> Result<(), Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        self.call(
            &Tmsg::Fsync {
                fid: id,
                datasync: u32::from(datasync),
            },
            &mut buf,
        )?;
        Ok(())
    }
}
