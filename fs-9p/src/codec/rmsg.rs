//! R-messages: the replies a server sends. Decoding treats the bytes as
//! hostile: lengths are checked against the message, the size field against
//! the bytes received, and every field must be consumed exactly.

use alloc::vec::Vec;

use super::attr::{Getlock, Stat, StatFs};
use super::dirent::DirEntries;
use super::msg_type as mt;
use super::{DecodeError, EncodeError, HDR_SIZE, MAXWELEM, RREAD_HEAD};
use crate::qid::Qid;
use crate::wire::{Decoder, Encoder};

/// A reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rmsg<'a> {
    /// A Linux errno (not yet range-checked: see [`crate::errno::from_lerror`]).
    Lerror {
        ecode: u32,
    },
    /// 9P2000's string error; `errno` is present in the 9P2000.u form.
    Error {
        ename: &'a [u8],
        errno: Option<u32>,
    },
    Version {
        msize: u32,
        version: &'a [u8],
    },
    Auth {
        aqid: Qid,
    },
    Attach {
        qid: Qid,
    },
    Flush,
    /// At most 16 qids, one per name walked.
    Walk {
        qids: Vec<Qid>,
    },
    Lopen {
        qid: Qid,
        iounit: u32,
    },
    Lcreate {
        qid: Qid,
        iounit: u32,
    },
    Read {
        data: &'a [u8],
    },
    Write {
        count: u32,
    },
    Clunk,
    Remove,
    Getattr(Stat),
    Setattr,
    Readdir(DirEntries<'a>),
    Mkdir {
        qid: Qid,
    },
    Mknod {
        qid: Qid,
    },
    Symlink {
        qid: Qid,
    },
    Readlink {
        target: &'a [u8],
    },
    Link,
    Renameat,
    Unlinkat,
    Rename,
    Fsync,
    Statfs(StatFs),
    Xattrwalk {
        size: u64,
    },
    Xattrcreate,
    Lock {
        status: u8,
    },
    Getlock(Getlock<'a>),
}

impl Rmsg<'_> {
    pub fn msg_type(&self) -> u8 {
        match self {
            Rmsg::Lerror { .. } => mt::RLERROR,
            Rmsg::Error { .. } => mt::RERROR,
            Rmsg::Version { .. } => mt::RVERSION,
            Rmsg::Auth { .. } => mt::RAUTH,
            Rmsg::Attach { .. } => mt::RATTACH,
            Rmsg::Flush => mt::RFLUSH,
            Rmsg::Walk { .. } => mt::RWALK,
            Rmsg::Lopen { .. } => mt::RLOPEN,
            Rmsg::Lcreate { .. } => mt::RLCREATE,
            Rmsg::Read { .. } => mt::RREAD,
            Rmsg::Write { .. } => mt::RWRITE,
            Rmsg::Clunk => mt::RCLUNK,
            Rmsg::Remove => mt::RREMOVE,
            Rmsg::Getattr(_) => mt::RGETATTR,
            Rmsg::Setattr => mt::RSETATTR,
            Rmsg::Readdir(_) => mt::RREADDIR,
            Rmsg::Mkdir { .. } => mt::RMKDIR,
            Rmsg::Mknod { .. } => mt::RMKNOD,
            Rmsg::Symlink { .. } => mt::RSYMLINK,
            Rmsg::Readlink { .. } => mt::RREADLINK,
            Rmsg::Link => mt::RLINK,
            Rmsg::Renameat => mt::RRENAMEAT,
            Rmsg::Unlinkat => mt::RUNLINKAT,
            Rmsg::Rename => mt::RRENAME,
            Rmsg::Fsync => mt::RFSYNC,
            Rmsg::Statfs(_) => mt::RSTATFS,
            Rmsg::Xattrwalk { .. } => mt::RXATTRWALK,
            Rmsg::Xattrcreate => mt::RXATTRCREATE,
            Rmsg::Lock { .. } => mt::RLOCK,
            Rmsg::Getlock(_) => mt::RGETLOCK,
        }
    }

    /// Appends the whole reply to `out` (for servers and tests).
    pub fn encode(&self, tag: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let mut e = Encoder::new(out);
        e.u32(0);
        e.u8(self.msg_type());
        e.u16(tag);
        if let Err(err) = self.encode_body(&mut e) {
            out.truncate(start);
            return Err(err);
        }
        let Some(size) = out
            .len()
            .checked_sub(start)
            .and_then(|n| u32::try_from(n).ok())
        else {
            out.truncate(start);
            return Err(EncodeError::MessageTooLarge);
        };
        if let Some(field) = out.get_mut(start..start + 4) {
            field.copy_from_slice(&size.to_le_bytes());
        }
        Ok(())
    }

    fn encode_body(&self, e: &mut Encoder<'_>) -> Result<(), EncodeError> {
        match self {
            Rmsg::Lerror { ecode } => e.u32(*ecode),
            Rmsg::Error { ename, errno } => {
                e.str(ename)?;
                if let Some(n) = errno {
                    e.u32(*n);
                }
            }
            Rmsg::Version { msize, version } => {
                e.u32(*msize);
                e.str(version)?;
            }
            Rmsg::Auth { aqid: qid }
            | Rmsg::Attach { qid }
            | Rmsg::Mkdir { qid }
            | Rmsg::Mknod { qid }
            | Rmsg::Symlink { qid } => e.qid(qid),
            Rmsg::Walk { qids } => {
                if qids.len() > MAXWELEM {
                    return Err(EncodeError::TooManyNames);
                }
                e.u16(qids.len() as u16);
                for q in qids {
                    e.qid(q);
                }
            }
            Rmsg::Lopen { qid, iounit } | Rmsg::Lcreate { qid, iounit } => {
                e.qid(qid);
                e.u32(*iounit);
            }
            Rmsg::Read { data } => {
                e.u32(u32::try_from(data.len()).map_err(|_| EncodeError::MessageTooLarge)?);
                e.bytes(data);
            }
            Rmsg::Readdir(entries) => {
                let data = entries.data();
                e.u32(u32::try_from(data.len()).map_err(|_| EncodeError::MessageTooLarge)?);
                e.bytes(data);
            }
            Rmsg::Write { count } => e.u32(*count),
            Rmsg::Getattr(st) => st.encode(e),
            Rmsg::Readlink { target } => e.str(target)?,
            Rmsg::Statfs(st) => st.encode(e),
            Rmsg::Xattrwalk { size } => e.u64(*size),
            Rmsg::Lock { status } => e.u8(*status),
            Rmsg::Getlock(g) => g.encode(e)?,
            Rmsg::Flush
            | Rmsg::Clunk
            | Rmsg::Remove
            | Rmsg::Setattr
            | Rmsg::Link
            | Rmsg::Renameat
            | Rmsg::Unlinkat
            | Rmsg::Rename
            | Rmsg::Fsync
            | Rmsg::Xattrcreate => {}
        }
        Ok(())
    }
}

/// Reads the header and checks the size field against the bytes received.
fn header(buf: &[u8]) -> Result<(Decoder<'_>, u8, u16), DecodeError> {
    let mut d = Decoder::new(buf);
    let size = d.u32()?;
    let ty = d.u8()?;
    let tag = d.u16()?;
    if usize::try_from(size).ok() != Some(buf.len()) {
        return Err(DecodeError::SizeMismatch);
    }
    Ok((d, ty, tag))
}

/// Decodes one complete reply (exactly the bytes received, no more), giving
/// its tag and body. Never panics, whatever `buf` holds.
pub fn decode_reply(buf: &[u8]) -> Result<(u16, Rmsg<'_>), DecodeError> {
    let (mut d, ty, tag) = header(buf)?;
    let m = match ty {
        mt::RLERROR => Rmsg::Lerror { ecode: d.u32()? },
        mt::RERROR => {
            let ename = d.str()?;
            let errno = if d.remaining() == 4 {
                Some(d.u32()?)
            } else {
                None
            };
            Rmsg::Error { ename, errno }
        }
        mt::RVERSION => Rmsg::Version {
            msize: d.u32()?,
            version: d.str()?,
        },
        mt::RAUTH => Rmsg::Auth { aqid: d.qid()? },
        mt::RATTACH => Rmsg::Attach { qid: d.qid()? },
        mt::RFLUSH => Rmsg::Flush,
        mt::RWALK => {
            let n = usize::from(d.u16()?);
            if n > MAXWELEM {
                return Err(DecodeError::TooManyWalkElements);
            }
            let mut qids = Vec::with_capacity(n);
            for _ in 0..n {
                qids.push(d.qid()?);
            }
            Rmsg::Walk { qids }
        }
        mt::RLOPEN => Rmsg::Lopen {
            qid: d.qid()?,
            iounit: d.u32()?,
        },
        mt::RLCREATE => Rmsg::Lcreate {
            qid: d.qid()?,
            iounit: d.u32()?,
        },
        mt::RREAD => {
            let count = d.u32()?;
            Rmsg::Read {
                data: d.take(usize::try_from(count).map_err(|_| DecodeError::Truncated)?)?,
            }
        }
        mt::RWRITE => Rmsg::Write { count: d.u32()? },
        mt::RCLUNK => Rmsg::Clunk,
        mt::RREMOVE => Rmsg::Remove,
        mt::RGETATTR => Rmsg::Getattr(Stat::decode(&mut d)?),
        mt::RSETATTR => Rmsg::Setattr,
        mt::RREADDIR => {
            let count = d.u32()?;
            let data = d.take(usize::try_from(count).map_err(|_| DecodeError::Truncated)?)?;
            Rmsg::Readdir(DirEntries::new(data)?)
        }
        mt::RMKDIR => Rmsg::Mkdir { qid: d.qid()? },
        mt::RMKNOD => Rmsg::Mknod { qid: d.qid()? },
        mt::RSYMLINK => Rmsg::Symlink { qid: d.qid()? },
        mt::RREADLINK => Rmsg::Readlink { target: d.str()? },
        mt::RLINK => Rmsg::Link,
        mt::RRENAMEAT => Rmsg::Renameat,
        mt::RUNLINKAT => Rmsg::Unlinkat,
        mt::RRENAME => Rmsg::Rename,
        mt::RFSYNC => Rmsg::Fsync,
        mt::RSTATFS => Rmsg::Statfs(StatFs::decode(&mut d)?),
        mt::RXATTRWALK => Rmsg::Xattrwalk { size: d.u64()? },
        mt::RXATTRCREATE => Rmsg::Xattrcreate,
        mt::RLOCK => Rmsg::Lock { status: d.u8()? },
        mt::RGETLOCK => Rmsg::Getlock(Getlock::decode(&mut d)?),
        other => return Err(DecodeError::UnknownType(other)),
    };
    d.finish()?;
    Ok((tag, m))
}

/// Decodes an Rread received into two parts: `head` holds the first bytes
/// (header and count, [`RREAD_HEAD`] bytes, or a whole short reply such as
/// Rlerror) and the data went straight into the caller's buffer of
/// `data_len` bytes. `total` is the reply length the transport reported.
///
/// Returns the tag and either the data count (checked against `asked`, the
/// count of the Tread) or, for any other reply, that reply decoded from
/// `head` (so the caller can turn Rlerror into its errno).
pub fn decode_rread_split(
    head: &[u8],
    data_len: usize,
    total: usize,
    asked: u32,
) -> Result<(u16, Result<usize, Rmsg<'_>>), DecodeError> {
    // A reply that fits in the head part is decoded whole: an Rlerror, or an
    // Rread of up to 4 bytes... which only happens with a head larger than
    // RREAD_HEAD; in any case, the usual decoder applies.
    if total <= head.len() {
        let buf = head.get(..total).ok_or(DecodeError::Truncated)?;
        let (tag, m) = decode_reply(buf)?;
        return Ok(match m {
            Rmsg::Read { data } => {
                let n = data.len();
                if u64::try_from(n).ok() > Some(u64::from(asked)) {
                    return Err(DecodeError::CountTooLarge);
                }
                // The bytes landed in `head`, not the caller's buffer: only
                // an empty read (EOF) is usable that way.
                if n != 0 {
                    return Err(DecodeError::Truncated);
                }
                (tag, Ok(0))
            }
            other => (tag, Err(other)),
        });
    }
    // Otherwise the reply spilled into the data part: it must be an Rread
    // whose header is exactly the head part.
    if head.len() != RREAD_HEAD {
        return Err(DecodeError::Truncated);
    }
    let mut d = Decoder::new(head);
    let size = d.u32()?;
    let ty = d.u8()?;
    let tag = d.u16()?;
    let count = d.u32()?;
    if usize::try_from(size).ok() != Some(total) {
        return Err(DecodeError::SizeMismatch);
    }
    if ty != mt::RREAD {
        return Err(match ty {
            _ if is_reply_type(ty) => DecodeError::UnexpectedType {
                expected: mt::RREAD,
                got: ty,
            },
            _ => DecodeError::UnknownType(ty),
        });
    }
    let count_us = usize::try_from(count).map_err(|_| DecodeError::CountTooLarge)?;
    if count > asked || count_us > data_len {
        return Err(DecodeError::CountTooLarge);
    }
    if Some(count_us) != total.checked_sub(RREAD_HEAD) {
        return Err(DecodeError::SizeMismatch);
    }
    Ok((tag, Ok(count_us)))
}

/// Whether `ty` is an R-message type this codec knows (Rlerror and Rerror included).
pub fn is_reply_type(ty: u8) -> bool {
    matches!(
        ty,
        mt::RLERROR
            | mt::RSTATFS
            | mt::RLOPEN
            | mt::RLCREATE
            | mt::RSYMLINK
            | mt::RMKNOD
            | mt::RRENAME
            | mt::RREADLINK
            | mt::RGETATTR
            | mt::RSETATTR
            | mt::RXATTRWALK
            | mt::RXATTRCREATE
            | mt::RREADDIR
            | mt::RFSYNC
            | mt::RLOCK
            | mt::RGETLOCK
            | mt::RLINK
            | mt::RMKDIR
            | mt::RRENAMEAT
            | mt::RUNLINKAT
            | mt::RVERSION
            | mt::RAUTH
            | mt::RATTACH
            | mt::RERROR
            | mt::RFLUSH
            | mt::RWALK
            | mt::RREAD
            | mt::RWRITE
            | mt::RCLUNK
            | mt::RREMOVE
    )
}

const _: () = assert!(HDR_SIZE + 4 == RREAD_HEAD);
