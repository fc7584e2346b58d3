//! T-messages: the requests a client sends.

use alloc::vec::Vec;

use super::attr::{Flock, Getlock, SetAttr};
use super::msg_type as mt;
use super::{EncodeError, MAXWELEM};
use crate::wire::Encoder;

/// Twalk's names: borrowed from the caller when encoding, collected when
/// decoding. (Not a `Cow`, which would make `Tmsg` invariant in `'a`.)
#[derive(Debug, Clone)]
pub enum WalkNames<'a> {
    Borrowed(&'a [&'a [u8]]),
    Owned(Vec<&'a [u8]>),
}

impl<'a> WalkNames<'a> {
    pub fn as_slice(&self) -> &[&'a [u8]] {
        match self {
            WalkNames::Borrowed(s) => s,
            WalkNames::Owned(v) => v,
        }
    }
}

impl<'a> From<&'a [&'a [u8]]> for WalkNames<'a> {
    fn from(s: &'a [&'a [u8]]) -> Self {
        WalkNames::Borrowed(s)
    }
}

impl PartialEq for WalkNames<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for WalkNames<'_> {}

/// A request. Names and strings are bytes: Linux file names need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tmsg<'a> {
    Version {
        msize: u32,
        version: &'a [u8],
    },
    Auth {
        afid: u32,
        uname: &'a [u8],
        aname: &'a [u8],
        n_uname: u32,
    },
    Attach {
        fid: u32,
        afid: u32,
        uname: &'a [u8],
        aname: &'a [u8],
        n_uname: u32,
    },
    Flush {
        oldtag: u16,
    },
    /// At most [`MAXWELEM`] names; zero names clones `fid` into `newfid`.
    Walk {
        fid: u32,
        newfid: u32,
        names: WalkNames<'a>,
    },
    Lopen {
        fid: u32,
        flags: u32,
    },
    Lcreate {
        fid: u32,
        name: &'a [u8],
        flags: u32,
        mode: u32,
        gid: u32,
    },
    Read {
        fid: u32,
        offset: u64,
        count: u32,
    },
    Write {
        fid: u32,
        offset: u64,
        data: &'a [u8],
    },
    Clunk {
        fid: u32,
    },
    Remove {
        fid: u32,
    },
    Getattr {
        fid: u32,
        request_mask: u64,
    },
    Setattr {
        fid: u32,
        attr: SetAttr,
    },
    Readdir {
        fid: u32,
        offset: u64,
        count: u32,
    },
    Mkdir {
        dfid: u32,
        name: &'a [u8],
        mode: u32,
        gid: u32,
    },
    Mknod {
        dfid: u32,
        name: &'a [u8],
        mode: u32,
        major: u32,
        minor: u32,
        gid: u32,
    },
    Symlink {
        dfid: u32,
        name: &'a [u8],
        target: &'a [u8],
        gid: u32,
    },
    Readlink {
        fid: u32,
    },
    Link {
        dfid: u32,
        fid: u32,
        name: &'a [u8],
    },
    Renameat {
        olddirfid: u32,
        oldname: &'a [u8],
        newdirfid: u32,
        newname: &'a [u8],
    },
    Unlinkat {
        dirfid: u32,
        name: &'a [u8],
        flags: u32,
    },
    Rename {
        fid: u32,
        dfid: u32,
        name: &'a [u8],
    },
    Fsync {
        fid: u32,
        datasync: u32,
    },
    Statfs {
        fid: u32,
    },
    Xattrwalk {
        fid: u32,
        newfid: u32,
        name: &'a [u8],
    },
    Xattrcreate {
        fid: u32,
        name: &'a [u8],
        attr_size: u64,
        flags: u32,
    },
    Lock {
        fid: u32,
        lock: Flock<'a>,
    },
    Getlock {
        fid: u32,
        lock: Getlock<'a>,
    },
}

impl<'a> Tmsg<'a> {
    pub fn msg_type(&self) -> u8 {
        match self {
            Tmsg::Version { .. } => mt::TVERSION,
            Tmsg::Auth { .. } => mt::TAUTH,
            Tmsg::Attach { .. } => mt::TATTACH,
            Tmsg::Flush { .. } => mt::TFLUSH,
            Tmsg::Walk { .. } => mt::TWALK,
            Tmsg::Lopen { .. } => mt::TLOPEN,
            Tmsg::Lcreate { .. } => mt::TLCREATE,
            Tmsg::Read { .. } => mt::TREAD,
            Tmsg::Write { .. } => mt::TWRITE,
            Tmsg::Clunk { .. } => mt::TCLUNK,
            Tmsg::Remove { .. } => mt::TREMOVE,
            Tmsg::Getattr { .. } => mt::TGETATTR,
            Tmsg::Setattr { .. } => mt::TSETATTR,
            Tmsg::Readdir { .. } => mt::TREADDIR,
            Tmsg::Mkdir { .. } => mt::TMKDIR,
            Tmsg::Mknod { .. } => mt::TMKNOD,
            Tmsg::Symlink { .. } => mt::TSYMLINK,
            Tmsg::Readlink { .. } => mt::TREADLINK,
            Tmsg::Link { .. } => mt::TLINK,
            Tmsg::Renameat { .. } => mt::TRENAMEAT,
            Tmsg::Unlinkat { .. } => mt::TUNLINKAT,
            Tmsg::Rename { .. } => mt::TRENAME,
            Tmsg::Fsync { .. } => mt::TFSYNC,
            Tmsg::Statfs { .. } => mt::TSTATFS,
            Tmsg::Xattrwalk { .. } => mt::TXATTRWALK,
            Tmsg::Xattrcreate { .. } => mt::TXATTRCREATE,
            Tmsg::Lock { .. } => mt::TLOCK,
            Tmsg::Getlock { .. } => mt::TGETLOCK,
        }
    }

    /// The type of a successful reply.
    pub fn reply_type(&self) -> u8 {
        // Every T type is even and below 255, so this cannot overflow.
        self.msg_type() | 1
    }

    /// Appends the whole message to `out`.
    pub fn encode(&self, tag: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_inner(tag, out, true)
    }

    /// Appends the message without a Twrite's data, whose length the size
    /// and count fields still include: the data goes as a separate part of a
    /// scatter-gather request. Same as [`encode`](Self::encode) otherwise.
    pub fn encode_head(&self, tag: u16, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_inner(tag, out, false)
    }

    fn encode_inner(&self, tag: u16, out: &mut Vec<u8>, payload: bool) -> Result<(), EncodeError> {
        let start = out.len();
        let mut e = Encoder::new(out);
        e.u32(0); // size, patched below
        e.u8(self.msg_type());
        e.u16(tag);
        let mut omitted = 0usize;
        let r = self.encode_body(&mut e, payload, &mut omitted);
        if let Err(err) = r {
            out.truncate(start);
            return Err(err);
        }
        let size = out
            .len()
            .checked_sub(start)
            .and_then(|n| n.checked_add(omitted))
            .and_then(|n| u32::try_from(n).ok());
        let Some(size) = size else {
            out.truncate(start);
            return Err(EncodeError::MessageTooLarge);
        };
        if let Some(field) = out.get_mut(start..start + 4) {
            field.copy_from_slice(&size.to_le_bytes());
        }
        Ok(())
    }

    fn encode_body(
        &self,
        e: &mut Encoder<'_>,
        payload: bool,
        omitted: &mut usize,
    ) -> Result<(), EncodeError> {
        match self {
            Tmsg::Version { msize, version } => {
                e.u32(*msize);
                e.str(version)?;
            }
            Tmsg::Auth {
                afid,
                uname,
                aname,
                n_uname,
            } => {
                e.u32(*afid);
                e.str(uname)?;
                e.str(aname)?;
                e.u32(*n_uname);
            }
            Tmsg::Attach {
                fid,
                afid,
                uname,
                aname,
                n_uname,
            } => {
                e.u32(*fid);
                e.u32(*afid);
                e.str(uname)?;
                e.str(aname)?;
                e.u32(*n_uname);
            }
            Tmsg::Flush { oldtag } => e.u16(*oldtag),
            Tmsg::Walk { fid, newfid, names } => {
                let names = names.as_slice();
                if names.len() > MAXWELEM {
                    return Err(EncodeError::TooManyNames);
                }
                e.u32(*fid);
                e.u32(*newfid);
                // Fits: at most 16.
                e.u16(names.len() as u16);
                for n in names {
                    e.str(n)?;
                }
            }
            Tmsg::Lopen { fid, flags } => {
                e.u32(*fid);
                e.u32(*flags);
            }
            Tmsg::Lcreate {
                fid,
                name,
                flags,
                mode,
                gid,
            } => {
                e.u32(*fid);
                e.str(name)?;
                e.u32(*flags);
                e.u32(*mode);
                e.u32(*gid);
            }
            Tmsg::Read { fid, offset, count } | Tmsg::Readdir { fid, offset, count } => {
                e.u32(*fid);
                e.u64(*offset);
                e.u32(*count);
            }
            Tmsg::Write { fid, offset, data } => {
                let count = u32::try_from(data.len()).map_err(|_| EncodeError::MessageTooLarge)?;
                e.u32(*fid);
                e.u64(*offset);
                e.u32(count);
                if payload {
                    e.bytes(data);
                } else {
                    *omitted = data.len();
                }
            }
            Tmsg::Clunk { fid }
            | Tmsg::Remove { fid }
            | Tmsg::Readlink { fid }
            | Tmsg::Statfs { fid } => e.u32(*fid),
            Tmsg::Getattr { fid, request_mask } => {
                e.u32(*fid);
                e.u64(*request_mask);
            }
            Tmsg::Setattr { fid, attr } => {
                e.u32(*fid);
                attr.encode(e);
            }
            Tmsg::Mkdir {
                dfid,
                name,
                mode,
                gid,
            } => {
                e.u32(*dfid);
                e.str(name)?;
                e.u32(*mode);
                e.u32(*gid);
            }
            Tmsg::Mknod {
                dfid,
                name,
                mode,
                major,
                minor,
                gid,
            } => {
                e.u32(*dfid);
                e.str(name)?;
                e.u32(*mode);
                e.u32(*major);
                e.u32(*minor);
                e.u32(*gid);
            }
            Tmsg::Symlink {
                dfid,
                name,
                target,
                gid,
            } => {
                e.u32(*dfid);
                e.str(name)?;
                e.str(target)?;
                e.u32(*gid);
            }
            Tmsg::Link { dfid, fid, name } => {
                e.u32(*dfid);
                e.u32(*fid);
                e.str(name)?;
            }
            Tmsg::Renameat {
                olddirfid,
                oldname,
                newdirfid,
                newname,
            } => {
                e.u32(*olddirfid);
                e.str(oldname)?;
                e.u32(*newdirfid);
                e.str(newname)?;
            }
            Tmsg::Unlinkat {
                dirfid,
                name,
                flags,
            } => {
                e.u32(*dirfid);
                e.str(name)?;
                e.u32(*flags);
            }
            Tmsg::Rename { fid, dfid, name } => {
                e.u32(*fid);
                e.u32(*dfid);
                e.str(name)?;
            }
            Tmsg::Fsync { fid, datasync } => {
                e.u32(*fid);
                e.u32(*datasync);
            }
            Tmsg::Xattrwalk { fid, newfid, name } => {
                e.u32(*fid);
                e.u32(*newfid);
                e.str(name)?;
            }
            Tmsg::Xattrcreate {
                fid,
                name,
                attr_size,
                flags,
            } => {
                e.u32(*fid);
                e.str(name)?;
                e.u64(*attr_size);
                e.u32(*flags);
            }
            Tmsg::Lock { fid, lock } => {
                e.u32(*fid);
                lock.encode(e)?;
            }
            Tmsg::Getlock { fid, lock } => {
                e.u32(*fid);
                lock.encode(e)?;
            }
        }
        Ok(())
    }
}
