//! Operations on nodes: lookups, attributes, and the namespace.

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use super::entry::{accept, valid_attr, Entry, Timeout};
use super::node::Node;
use super::Client;
use crate::codec::{
    AccessIn, AttrOut, EntryOut, FuseAttr, GetattrIn, Kstatfs, LinkIn, MkdirIn, MknodIn, Rename2In,
    RenameIn, Request, SetattrIn, GETATTR_FH, NAME_MAX,
};
use crate::errno::Errno;

/// Longest symlink target a Linux host holds, NUL included.
const PATH_MAX: usize = 4096;
const S_IFMT: u32 = 0o170000;
const S_IFREG: u32 = 0o100000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;

/// Names are single, non-empty components (the codec refuses NULs).
pub(super) fn check_name(name: &[u8]) -> Result<(), Errno> {
    match name.len() {
        0 => Err(Errno::EINVAL),
        n if n > NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ => Ok(()),
    }
}

fn attr_reply(a: AttrOut) -> Result<(FuseAttr, Timeout), Errno> {
    if !valid_attr(&a.attr) {
        return Err(Errno::EIO);
    }
    Ok((
        a.attr,
        Timeout {
            sec: a.attr_valid,
            nsec: a.attr_valid_nsec,
        },
    ))
}

impl Client {
    /// An entry reply of an operation that made or linked a node.
    fn made(&self, parent: u64, req: &Request<'_>, expect: Option<u32>) -> Result<Entry, Errno> {
        let e: EntryOut = self.session.call_fixed(parent, req)?;
        accept(&self.session, &e, expect, false)
    }

    /// LOOKUP of `name` in the directory `parent`. A negative entry
    /// (node id 0) is ENOENT.
    pub fn lookup(&self, parent: &Node, name: &[u8]) -> Result<Entry, Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        let e: EntryOut = self.session.call_fixed(p, &Request::Lookup { name })?;
        if e.nodeid == 0 {
            return Err(Errno::ENOENT);
        }
        accept(&self.session, &e, None, true)
    }

    /// GETATTR, through the open file `fh` when given (fstat).
    pub fn getattr(&self, node: &Node, fh: Option<u64>) -> Result<(FuseAttr, Timeout), Errno> {
        let id = self.id(node)?;
        let arg = GetattrIn {
            getattr_flags: if fh.is_some() { GETATTR_FH } else { 0 },
            dummy: 0,
            fh: fh.unwrap_or(0),
        };
        attr_reply(self.session.call_fixed(id, &Request::Getattr(arg))?)
    }

    /// SETATTR; returns the attributes after the change.
    pub fn setattr(&self, node: &Node, arg: &SetattrIn) -> Result<(FuseAttr, Timeout), Errno> {
        let id = self.id(node)?;
        attr_reply(self.session.call_fixed(id, &Request::Setattr(*arg))?)
    }

    /// READLINK: the target, never empty.
    pub fn readlink(&self, node: &Node) -> Result<Vec<u8>, Errno> {
        let id = self.id(node)?;
        let mut buf = vec![0u8; PATH_MAX];
        let n = self.session.call(id, &Request::Readlink, &[], &mut buf)?;
        if n == 0 {
            return Err(Errno::EIO);
        }
        buf.truncate(n);
        Ok(buf)
    }

    /// SYMLINK: `name` in `parent`, pointing at `target`.
    pub fn symlink(&self, parent: &Node, name: &[u8], target: &[u8]) -> Result<Entry, Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        self.made(p, &Request::Symlink { name, target }, Some(S_IFLNK))
    }

    /// MKNOD: `mode` carries the type (0 means a regular file), `rdev` is
    /// `new_encode_dev` of the device number.
    pub fn mknod(
        &self,
        parent: &Node,
        name: &[u8],
        mode: u32,
        rdev: u32,
        umask: u32,
    ) -> Result<Entry, Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        let ty = match mode & S_IFMT {
            0 => S_IFREG,
            t => t,
        };
        let arg = MknodIn {
            mode,
            rdev,
            umask,
            padding: 0,
        };
        self.made(p, &Request::Mknod { arg, name }, Some(ty))
    }

    pub fn mkdir(&self, parent: &Node, name: &[u8], mode: u32, umask: u32) -> Result<Entry, Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        self.made(
            p,
            &Request::Mkdir {
                arg: MkdirIn { mode, umask },
                name,
            },
            Some(S_IFDIR),
        )
    }

    /// LINK: a new name for `node` in `parent`; the entry is `node`'s.
    pub fn link(&self, node: &Node, parent: &Node, name: &[u8]) -> Result<Entry, Errno> {
        let old = self.id(node)?;
        let p = self.id(parent)?;
        check_name(name)?;
        self.made(
            p,
            &Request::Link {
                arg: LinkIn { oldnodeid: old },
                name,
            },
            None,
        )
    }

    pub fn unlink(&self, parent: &Node, name: &[u8]) -> Result<(), Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        self.session.call_empty(p, &Request::Unlink { name })
    }

    pub fn rmdir(&self, parent: &Node, name: &[u8]) -> Result<(), Errno> {
        let p = self.id(parent)?;
        check_name(name)?;
        self.session.call_empty(p, &Request::Rmdir { name })
    }

    /// Renames `old` in `parent` to `new` in `new_parent`. Without flags
    /// this is RENAME, with renameat2 flags RENAME2; a daemon without
    /// RENAME2 (ENOSYS) makes flags EINVAL from then on, as in Linux.
    pub fn rename(
        &self,
        parent: &Node,
        old: &[u8],
        new_parent: &Node,
        new: &[u8],
        flags: u32,
    ) -> Result<(), Errno> {
        let p = self.id(parent)?;
        let newdir = self.id(new_parent)?;
        check_name(old)?;
        check_name(new)?;
        if flags == 0 {
            return self.session.call_empty(
                p,
                &Request::Rename {
                    arg: RenameIn { newdir },
                    old,
                    new,
                },
            );
        }
        if self.session.no_rename2.load(Ordering::Relaxed) {
            return Err(Errno::EINVAL);
        }
        let arg = Rename2In {
            newdir,
            flags,
            padding: 0,
        };
        match self
            .session
            .call_empty(p, &Request::Rename2 { arg, old, new })
        {
            Err(Errno::ENOSYS) => {
                self.session.no_rename2.store(true, Ordering::Relaxed);
                Err(Errno::EINVAL)
            }
            r => r,
        }
    }

    /// STATFS of the file system holding `node`.
    pub fn statfs(&self, node: &Node) -> Result<Kstatfs, Errno> {
        let id = self.id(node)?;
        self.session.call_fixed(id, &Request::Statfs)
    }

    /// ACCESS with access(2)'s mask. A daemon without it (ENOSYS) lets
    /// everything through, as in Linux.
    pub fn access(&self, node: &Node, mask: u32) -> Result<(), Errno> {
        let id = self.id(node)?;
        if self.session.no_access.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self
            .session
            .call_empty(id, &Request::Access(AccessIn { mask, padding: 0 }))
        {
            Err(Errno::ENOSYS) => {
                self.session.no_access.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}
