//! Whole requests: opcode, arguments and names, encoded behind a
//! `fuse_in_header` whose `len` covers everything, including WRITE's data
//! (which travels as a separate part, so a caller's buffer is sent as is).

use alloc::vec::Vec;

use super::args::*;
use super::attr::{GetattrIn, SetattrIn};
use super::header::InHeader;
use super::init::InitIn;
use super::wire::{Reader, Wire};
use super::{opcode as op, DecodeError, EncodeError, IN_HEADER_SIZE};

/// Whose request it is: the header's uid, gid and pid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub pid: u32,
}

/// One request's opcode and arguments. Names are bytes (Linux names are
/// not UTF-8) and go on the wire NUL-terminated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    Init(InitIn),
    Lookup {
        name: &'a [u8],
    },
    Forget(ForgetIn),
    BatchForget(Vec<ForgetOne>),
    Getattr(GetattrIn),
    Setattr(SetattrIn),
    Readlink,
    /// `name` in the header's directory, pointing at `target`.
    Symlink {
        name: &'a [u8],
        target: &'a [u8],
    },
    Mknod {
        arg: MknodIn,
        name: &'a [u8],
    },
    Mkdir {
        arg: MkdirIn,
        name: &'a [u8],
    },
    Unlink {
        name: &'a [u8],
    },
    Rmdir {
        name: &'a [u8],
    },
    Rename {
        arg: RenameIn,
        old: &'a [u8],
        new: &'a [u8],
    },
    Rename2 {
        arg: Rename2In,
        old: &'a [u8],
        new: &'a [u8],
    },
    Link {
        arg: LinkIn,
        name: &'a [u8],
    },
    Open(OpenIn),
    Opendir(OpenIn),
    Read(ReadIn),
    /// The data follows as its own part; `size` is its length.
    Write(WriteIn),
    Statfs,
    Release(ReleaseIn),
    Releasedir(ReleaseIn),
    Flush(FlushIn),
    Fsync(FsyncIn),
    Fsyncdir(FsyncIn),
    Readdir(ReadIn),
    Readdirplus(ReadIn),
    Access(AccessIn),
    Create {
        arg: CreateIn,
        name: &'a [u8],
    },
    Interrupt(InterruptIn),
    Destroy,
    Lseek(LseekIn),
}

fn name(out: &mut Vec<u8>, n: &[u8]) -> Result<(), EncodeError> {
    if n.contains(&0) {
        return Err(EncodeError::NameHasNul);
    }
    out.extend_from_slice(n);
    out.push(0);
    Ok(())
}

impl Request<'_> {
    pub fn opcode(&self) -> u32 {
        match self {
            Request::Init(_) => op::INIT,
            Request::Lookup { .. } => op::LOOKUP,
            Request::Forget(_) => op::FORGET,
            Request::BatchForget(_) => op::BATCH_FORGET,
            Request::Getattr(_) => op::GETATTR,
            Request::Setattr(_) => op::SETATTR,
            Request::Readlink => op::READLINK,
            Request::Symlink { .. } => op::SYMLINK,
            Request::Mknod { .. } => op::MKNOD,
            Request::Mkdir { .. } => op::MKDIR,
            Request::Unlink { .. } => op::UNLINK,
            Request::Rmdir { .. } => op::RMDIR,
            Request::Rename { .. } => op::RENAME,
            Request::Rename2 { .. } => op::RENAME2,
            Request::Link { .. } => op::LINK,
            Request::Open(_) => op::OPEN,
            Request::Opendir(_) => op::OPENDIR,
            Request::Read(_) => op::READ,
            Request::Write(_) => op::WRITE,
            Request::Statfs => op::STATFS,
            Request::Release(_) => op::RELEASE,
            Request::Releasedir(_) => op::RELEASEDIR,
            Request::Flush(_) => op::FLUSH,
            Request::Fsync(_) => op::FSYNC,
            Request::Fsyncdir(_) => op::FSYNCDIR,
            Request::Readdir(_) => op::READDIR,
            Request::Readdirplus(_) => op::READDIRPLUS,
            Request::Access(_) => op::ACCESS,
            Request::Create { .. } => op::CREATE,
            Request::Interrupt(_) => op::INTERRUPT,
            Request::Destroy => op::DESTROY,
            Request::Lseek(_) => op::LSEEK,
        }
    }

    /// Appends the arguments (everything after the header, WRITE's data excepted).
    pub fn encode_args(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Request::Init(a) => a.put(out),
            Request::Lookup { name: n }
            | Request::Unlink { name: n }
            | Request::Rmdir { name: n } => name(out, n)?,
            Request::Forget(a) => a.put(out),
            Request::BatchForget(list) => {
                let count = u32::try_from(list.len()).map_err(|_| EncodeError::TooLarge)?;
                BatchForgetIn { count, dummy: 0 }.put(out);
                list.iter().for_each(|f| f.put(out));
            }
            Request::Getattr(a) => a.put(out),
            Request::Setattr(a) => a.put(out),
            Request::Readlink | Request::Statfs | Request::Destroy => {}
            Request::Symlink { name: n, target } => {
                name(out, n)?;
                name(out, target)?;
            }
            Request::Mknod { arg, name: n } => {
                arg.put(out);
                name(out, n)?;
            }
            Request::Mkdir { arg, name: n } => {
                arg.put(out);
                name(out, n)?;
            }
            Request::Rename { arg, old, new } => {
                arg.put(out);
                name(out, old)?;
                name(out, new)?;
            }
            Request::Rename2 { arg, old, new } => {
                arg.put(out);
                name(out, old)?;
                name(out, new)?;
            }
            Request::Link { arg, name: n } => {
                arg.put(out);
                name(out, n)?;
            }
            Request::Open(a) | Request::Opendir(a) => a.put(out),
            Request::Read(a) | Request::Readdir(a) | Request::Readdirplus(a) => a.put(out),
            Request::Write(a) => a.put(out),
            Request::Release(a) | Request::Releasedir(a) => a.put(out),
            Request::Flush(a) => a.put(out),
            Request::Fsync(a) | Request::Fsyncdir(a) => a.put(out),
            Request::Access(a) => a.put(out),
            Request::Create { arg, name: n } => {
                arg.put(out);
                name(out, n)?;
            }
            Request::Interrupt(a) => a.put(out),
            Request::Lseek(a) => a.put(out),
        }
        Ok(())
    }

    /// The header and arguments. `data_len` is the length of the part that
    /// follows them (WRITE's data), counted in the header's `len`.
    pub fn encode(
        &self,
        unique: u64,
        nodeid: u64,
        creds: Creds,
        data_len: usize,
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(IN_HEADER_SIZE + 64);
        InHeader::default().put(&mut out);
        self.encode_args(&mut out)?;
        let len = out
            .len()
            .checked_add(data_len)
            .and_then(|l| u32::try_from(l).ok())
            .ok_or(EncodeError::TooLarge)?;
        let h = InHeader {
            len,
            opcode: self.opcode(),
            unique,
            nodeid,
            uid: creds.uid,
            gid: creds.gid,
            pid: creds.pid,
            total_extlen: 0,
            padding: 0,
        };
        let mut head = Vec::with_capacity(IN_HEADER_SIZE);
        h.put(&mut head);
        out[..IN_HEADER_SIZE].copy_from_slice(&head);
        Ok(out)
    }

    /// Decodes a whole request, as a daemon would; returns the header, the
    /// request, and WRITE's data (empty for everything else).
    pub fn decode(buf: &[u8]) -> Result<(InHeader, Request<'_>, &[u8]), DecodeError> {
        let mut r = Reader::new(buf);
        let h = InHeader::get(&mut r)?;
        if usize::try_from(h.len).ok() != Some(buf.len()) {
            return Err(DecodeError::LengthMismatch);
        }
        let mut data: &[u8] = &[];
        let req = match h.opcode {
            op::INIT => Request::Init(InitIn::get(&mut r)?),
            op::LOOKUP => Request::Lookup { name: r.cstr()? },
            op::FORGET => Request::Forget(ForgetIn::get(&mut r)?),
            op::BATCH_FORGET => {
                let b = BatchForgetIn::get(&mut r)?;
                // Bounded by the bytes present, not by the count claimed.
                let mut list = Vec::new();
                for _ in 0..b.count {
                    list.push(ForgetOne::get(&mut r)?);
                }
                Request::BatchForget(list)
            }
            op::GETATTR => Request::Getattr(GetattrIn::get(&mut r)?),
            op::SETATTR => Request::Setattr(SetattrIn::get(&mut r)?),
            op::READLINK => Request::Readlink,
            op::SYMLINK => Request::Symlink {
                name: r.cstr()?,
                target: r.cstr()?,
            },
            op::MKNOD => Request::Mknod {
                arg: MknodIn::get(&mut r)?,
                name: r.cstr()?,
            },
            op::MKDIR => Request::Mkdir {
                arg: MkdirIn::get(&mut r)?,
                name: r.cstr()?,
            },
            op::UNLINK => Request::Unlink { name: r.cstr()? },
            op::RMDIR => Request::Rmdir { name: r.cstr()? },
            op::RENAME => Request::Rename {
                arg: RenameIn::get(&mut r)?,
                old: r.cstr()?,
                new: r.cstr()?,
            },
            op::RENAME2 => Request::Rename2 {
                arg: Rename2In::get(&mut r)?,
                old: r.cstr()?,
                new: r.cstr()?,
            },
            op::LINK => Request::Link {
                arg: LinkIn::get(&mut r)?,
                name: r.cstr()?,
            },
            op::OPEN => Request::Open(OpenIn::get(&mut r)?),
            op::OPENDIR => Request::Opendir(OpenIn::get(&mut r)?),
            op::READ => Request::Read(ReadIn::get(&mut r)?),
            op::WRITE => {
                let w = WriteIn::get(&mut r)?;
                data = r.rest();
                if usize::try_from(w.size).ok() != Some(data.len()) {
                    return Err(DecodeError::BadSize);
                }
                Request::Write(w)
            }
            op::STATFS => Request::Statfs,
            op::RELEASE => Request::Release(ReleaseIn::get(&mut r)?),
            op::RELEASEDIR => Request::Releasedir(ReleaseIn::get(&mut r)?),
            op::FLUSH => Request::Flush(FlushIn::get(&mut r)?),
            op::FSYNC => Request::Fsync(FsyncIn::get(&mut r)?),
            op::FSYNCDIR => Request::Fsyncdir(FsyncIn::get(&mut r)?),
            op::READDIR => Request::Readdir(ReadIn::get(&mut r)?),
            op::READDIRPLUS => Request::Readdirplus(ReadIn::get(&mut r)?),
            op::ACCESS => Request::Access(AccessIn::get(&mut r)?),
            op::CREATE => Request::Create {
                arg: CreateIn::get(&mut r)?,
                name: r.cstr()?,
            },
            op::INTERRUPT => Request::Interrupt(InterruptIn::get(&mut r)?),
            op::DESTROY => Request::Destroy,
            op::LSEEK => Request::Lseek(LseekIn::get(&mut r)?),
            other => return Err(DecodeError::UnknownOpcode(other)),
        };
        r.finish()?;
        Ok((h, req, data))
    }
}
