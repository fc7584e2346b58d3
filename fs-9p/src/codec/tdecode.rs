//! Decoding T-messages: the server side of the codec, used by the tests'
//! fake server (and by any server built on this crate). Requests are
//! checked as strictly as replies.

use alloc::vec::Vec;

use super::attr::{Flock, Getlock, SetAttr};
use super::msg_type as mt;
use super::tmsg::{Tmsg, WalkNames};
use super::{DecodeError, HDR_SIZE, MAXWELEM};
use crate::wire::Decoder;

impl<'a> Tmsg<'a> {
    /// Decodes one complete request (for servers and tests), returning its tag.
    pub fn decode(buf: &'a [u8]) -> Result<(u16, Tmsg<'a>), DecodeError> {
        let mut d = Decoder::new(buf);
        let size = d.u32()?;
        if usize::try_from(size).ok() != Some(buf.len()) || buf.len() < HDR_SIZE {
            return Err(DecodeError::SizeMismatch);
        }
        let ty = d.u8()?;
        let tag = d.u16()?;
        let m = match ty {
            mt::TVERSION => Tmsg::Version {
                msize: d.u32()?,
                version: d.str()?,
            },
            mt::TAUTH => Tmsg::Auth {
                afid: d.u32()?,
                uname: d.str()?,
                aname: d.str()?,
                n_uname: d.u32()?,
            },
            mt::TATTACH => Tmsg::Attach {
                fid: d.u32()?,
                afid: d.u32()?,
                uname: d.str()?,
                aname: d.str()?,
                n_uname: d.u32()?,
            },
            mt::TFLUSH => Tmsg::Flush { oldtag: d.u16()? },
            mt::TWALK => {
                let fid = d.u32()?;
                let newfid = d.u32()?;
                let n = usize::from(d.u16()?);
                if n > MAXWELEM {
                    return Err(DecodeError::TooManyWalkElements);
                }
                let mut names = Vec::with_capacity(n);
                for _ in 0..n {
                    names.push(d.str()?);
                }
                Tmsg::Walk {
                    fid,
                    newfid,
                    names: WalkNames::Owned(names),
                }
            }
            mt::TLOPEN => Tmsg::Lopen {
                fid: d.u32()?,
                flags: d.u32()?,
            },
            mt::TLCREATE => Tmsg::Lcreate {
                fid: d.u32()?,
                name: d.str()?,
                flags: d.u32()?,
                mode: d.u32()?,
                gid: d.u32()?,
            },
            mt::TREAD => Tmsg::Read {
                fid: d.u32()?,
                offset: d.u64()?,
                count: d.u32()?,
            },
            mt::TWRITE => {
                let fid = d.u32()?;
                let offset = d.u64()?;
                let count = d.u32()?;
                let data = d.take(usize::try_from(count).map_err(|_| DecodeError::Truncated)?)?;
                Tmsg::Write { fid, offset, data }
            }
            mt::TCLUNK => Tmsg::Clunk { fid: d.u32()? },
            mt::TREMOVE => Tmsg::Remove { fid: d.u32()? },
            mt::TGETATTR => Tmsg::Getattr {
                fid: d.u32()?,
                request_mask: d.u64()?,
            },
            mt::TSETATTR => Tmsg::Setattr {
                fid: d.u32()?,
                attr: SetAttr::decode(&mut d)?,
            },
            mt::TREADDIR => Tmsg::Readdir {
                fid: d.u32()?,
                offset: d.u64()?,
                count: d.u32()?,
            },
            mt::TMKDIR => Tmsg::Mkdir {
                dfid: d.u32()?,
                name: d.str()?,
                mode: d.u32()?,
                gid: d.u32()?,
            },
            mt::TMKNOD => Tmsg::Mknod {
                dfid: d.u32()?,
                name: d.str()?,
                mode: d.u32()?,
                major: d.u32()?,
                minor: d.u32()?,
                gid: d.u32()?,
            },
            mt::TSYMLINK => Tmsg::Symlink {
                dfid: d.u32()?,
                name: d.str()?,
                target: d.str()?,
                gid: d.u32()?,
            },
            mt::TREADLINK => Tmsg::Readlink { fid: d.u32()? },
            mt::TLINK => Tmsg::Link {
                dfid: d.u32()?,
                fid: d.u32()?,
                name: d.str()?,
            },
            mt::TRENAMEAT => Tmsg::Renameat {
                olddirfid: d.u32()?,
                oldname: d.str()?,
                newdirfid: d.u32()?,
                newname: d.str()?,
            },
            mt::TUNLINKAT => Tmsg::Unlinkat {
                dirfid: d.u32()?,
                name: d.str()?,
                flags: d.u32()?,
            },
            mt::TRENAME => Tmsg::Rename {
                fid: d.u32()?,
                dfid: d.u32()?,
                name: d.str()?,
            },
            mt::TFSYNC => Tmsg::Fsync {
                fid: d.u32()?,
                datasync: d.u32()?,
            },
            mt::TSTATFS => Tmsg::Statfs { fid: d.u32()? },
            mt::TXATTRWALK => Tmsg::Xattrwalk {
                fid: d.u32()?,
                newfid: d.u32()?,
                name: d.str()?,
            },
            mt::TXATTRCREATE => Tmsg::Xattrcreate {
                fid: d.u32()?,
                name: d.str()?,
                attr_size: d.u64()?,
                flags: d.u32()?,
            },
            mt::TLOCK => Tmsg::Lock {
                fid: d.u32()?,
                lock: Flock::decode(&mut d)?,
            },
            mt::TGETLOCK => Tmsg::Getlock {
                fid: d.u32()?,
                lock: Getlock::decode(&mut d)?,
            },
            other => return Err(DecodeError::UnknownType(other)),
        };
        d.finish()?;
        Ok((tag, m))
    }
}
