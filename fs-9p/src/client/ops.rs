//! Name-space and metadata operations: walk, getattr/setattr, creating and
//! removing names, links, statfs, xattrs, locks, and giving fids back.

use alloc::vec;
use alloc::vec::Vec;

use super::{readlink_reply_len, settle, CallError, Client, SMALL_REPLY};
use crate::codec::{Flock, Getlock, Rmsg, SetAttr, Stat, StatFs, Tmsg, WalkNames, MAXWELEM};
use core::sync::atomic::Ordering;

use crate::errno::Errno;
use crate::fid::{Fid, FidSlot};
use crate::flags::dotl;
use crate::qid::Qid;

/// Rgetlock, owned: the lock that would conflict, or `ty == lock::TYPE_UNLCK`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Getlocked {
    pub ty: u8,
    pub start: u64,
    pub length: u64,
    pub proc_id: u32,
    pub client_id: Vec<u8>,
}

impl Client {
    /// One Twalk of at most 16 names from `fid` to `newfid`. A walk that
    /// stops early (fewer qids than names) is ENOENT, as in Linux; `newfid`
    /// is then not bound.
    fn walk_once(
        &self,
        fid: u32,
        newfid: u32,
        names: &[&[u8]],
        qids: &mut Vec<Qid>,
    ) -> Result<(), CallError> {
        let mut buf = [0u8; SMALL_REPLY];
        let t = Tmsg::Walk {
            fid,
            newfid,
            names: WalkNames::Borrowed(names),
        };
        match self.session.call(&t, &mut buf)? {
            Rmsg::Walk { qids: got } if got.len() == names.len() => {
                qids.extend_from_slice(&got);
                Ok(())
            }
            Rmsg::Walk { qids: got } if got.len() < names.len() => {
                Err(CallError::Remote(Errno::ENOENT))
            }
            _ => Err(CallError::Unknown),
        }
    }

    /// Walks `names` from `fid` to a new fid, returning it and one qid per
    /// name. Paths longer than 16 names take several Twalks; if a later one
    /// fails, the partly walked fid is clunked. No names: a clone of `fid`.
    pub fn walk(&self, fid: &Fid, names: &[&[u8]]) -> Result<(Fid, Vec<Qid>), Errno> {
        let id = self.check(fid)?;
        let mut qids = Vec::with_capacity(names.len());
        let mut chunks = names.chunks(MAXWELEM);
        let first = chunks.next().unwrap_or(&[]);
        let slot = FidSlot::new(&self.session)?;
        if let Err(e) = self.walk_once(id, slot.id, first, &mut qids) {
            settle(slot, e);
            return Err(e.into());
        }
        let new = slot.establish();
        for chunk in chunks {
            // In place: newfid == fid moves the fid only if the whole chunk
            // walks; otherwise it stays where it was and is clunked on drop.
            self.walk_once(new.id, new.id, chunk, &mut qids)?;
        }
        Ok((new, qids))
    }

    /// A second fid for the same file (Twalk with no names).
    pub fn clone_fid(&self, fid: &Fid) -> Result<Fid, Errno> {
        Ok(self.walk(fid, &[])?.0)
    }

    /// Tgetattr with `getattr_mask` bits; the reply's `valid` says which
    /// fields the server filled.
    pub fn getattr(&self, fid: &Fid, request_mask: u64) -> Result<Stat, Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(
            &Tmsg::Getattr {
                fid: id,
                request_mask,
            },
            &mut buf,
        )? {
            Rmsg::Getattr(st) => Ok(st),
            _ => Err(Errno::EIO),
        }
    }

    /// Tsetattr: applies the fields whose `setattr_valid` bit is set.
    pub fn setattr(&self, fid: &Fid, attr: &SetAttr) -> Result<(), Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        self.call(
            &Tmsg::Setattr {
                fid: id,
                attr: *attr,
            },
            &mut buf,
        )?;
        Ok(())
    }

    fn qid_of(&self, t: &Tmsg<'_>) -> Result<Qid, Errno> {
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(t, &mut buf)? {
            Rmsg::Mkdir { qid } | Rmsg::Mknod { qid } | Rmsg::Symlink { qid } => Ok(qid),
            _ => Err(Errno::EIO),
        }
    }

    pub fn mkdir(&self, dir: &Fid, name: &[u8], mode: u32, gid: u32) -> Result<Qid, Errno> {
        let dfid = self.check(dir)?;
        self.qid_of(&Tmsg::Mkdir {
            dfid,
            name,
            mode,
            gid,
        })
    }

    /// Tmknod: `mode` includes the file type (`S_IFCHR`, `S_IFIFO`, ...).
    pub fn mknod(
        &self,
        dir: &Fid,
        name: &[u8],
        mode: u32,
        major: u32,
        minor: u32,
        gid: u32,
    ) -> Result<Qid, Errno> {
        let dfid = self.check(dir)?;
        self.qid_of(&Tmsg::Mknod {
            dfid,
            name,
            mode,
            major,
            minor,
            gid,
        })
    }

    pub fn symlink(&self, dir: &Fid, name: &[u8], target: &[u8], gid: u32) -> Result<Qid, Errno> {
        let dfid = self.check(dir)?;
        self.qid_of(&Tmsg::Symlink {
            dfid,
            name,
            target,
            gid,
        })
    }

    pub fn readlink(&self, fid: &Fid) -> Result<Vec<u8>, Errno> {
        let id = self.check(fid)?;
        let mut buf = vec![0u8; readlink_reply_len(self.session.msize)];
        match self.call(&Tmsg::Readlink { fid: id }, &mut buf)? {
            Rmsg::Readlink { target } => Ok(target.to_vec()),
            _ => Err(Errno::EIO),
        }
    }

    fn unit(&self, t: &Tmsg<'_>) -> Result<(), Errno> {
        let mut buf = [0u8; SMALL_REPLY];
        self.call(t, &mut buf)?;
        Ok(())
    }

    /// Tlink: a new name `name` in `dir` for the file `target`.
    pub fn link(&self, dir: &Fid, target: &Fid, name: &[u8]) -> Result<(), Errno> {
        let dfid = self.check(dir)?;
        let fid = self.check(target)?;
        self.unit(&Tmsg::Link { dfid, fid, name })
    }

    /// Trenameat. A server without it (diod answers EOPNOTSUPP, which
    /// Linux's v9fs expects) gets Trename of a fid walked to the old name,
    /// as v9fs does; the client remembers and skips Trenameat from then on.
    pub fn renameat(
        &self,
        olddir: &Fid,
        oldname: &[u8],
        newdir: &Fid,
        newname: &[u8],
    ) -> Result<(), Errno> {
        let olddirfid = self.check(olddir)?;
        let newdirfid = self.check(newdir)?;
        if !self.session.no_renameat.load(Ordering::Relaxed) {
            match self.unit(&Tmsg::Renameat {
                olddirfid,
                oldname,
                newdirfid,
                newname,
            }) {
                Err(Errno::EOPNOTSUPP) => self.session.no_renameat.store(true, Ordering::Relaxed),
                r => return r,
            }
        }
        let (fid, _) = self.walk(olddir, &[oldname])?;
        self.rename(&fid, newdir, newname)
    }

    /// Trename (the older, fid-based form of renameat).
    pub fn rename(&self, fid: &Fid, newdir: &Fid, name: &[u8]) -> Result<(), Errno> {
        let id = self.check(fid)?;
        let dfid = self.check(newdir)?;
        self.unit(&Tmsg::Rename {
            fid: id,
            dfid,
            name,
        })
    }

    /// Tunlinkat: `flags` is 0 or `flags::dotl::AT_REMOVEDIR`. A server
    /// without it (EOPNOTSUPP, as from diod) gets Tremove of a fid walked to
    /// `name`, as Linux's v9fs does; the walk's qid keeps unlinkat's checks
    /// (EISDIR for a directory without AT_REMOVEDIR, ENOTDIR for a
    /// non-directory with it), which v9fs leaves to its VFS.
    pub fn unlinkat(&self, dir: &Fid, name: &[u8], flags: u32) -> Result<(), Errno> {
        let dirfid = self.check(dir)?;
        if !self.session.no_unlinkat.load(Ordering::Relaxed) {
            match self.unit(&Tmsg::Unlinkat {
                dirfid,
                name,
                flags,
            }) {
                Err(Errno::EOPNOTSUPP) => self.session.no_unlinkat.store(true, Ordering::Relaxed),
                r => return r,
            }
        }
        if name == b"." || name == b".." || name.is_empty() {
            return Err(Errno::EINVAL);
        }
        let (fid, qids) = self.walk(dir, &[name])?;
        let is_dir = qids.first().is_some_and(|q| q.is_dir());
        let want_dir = flags & dotl::AT_REMOVEDIR != 0;
        if is_dir && !want_dir {
            return Err(Errno::EISDIR);
        }
        if !is_dir && want_dir {
            return Err(Errno::ENOTDIR);
        }
        self.remove(fid)
    }

    pub fn statfs(&self, fid: &Fid) -> Result<StatFs, Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(&Tmsg::Statfs { fid: id }, &mut buf)? {
            Rmsg::Statfs(st) => Ok(st),
            _ => Err(Errno::EIO),
        }
    }

    /// Tclunk: gives the fid back, reporting the server's answer (dropping
    /// a [`Fid`] does the same silently).
    pub fn clunk(&self, fid: Fid) -> Result<(), Errno> {
        self.check(&fid)?;
        let (session, id) = fid.disarm();
        session.clunk_id(id)
    }

    /// Tremove: removes the file and clunks the fid, even if removal fails.
    pub fn remove(&self, fid: Fid) -> Result<(), Errno> {
        self.check(&fid)?;
        let (session, id) = fid.disarm();
        let mut buf = [0u8; SMALL_REPLY];
        let r = session
            .call(&Tmsg::Remove { fid: id }, &mut buf)
            .map(|_| ());
        session.forget_fid(id, r.err());
        r.map_err(Errno::from)
    }

    /// Txattrwalk: a new fid from which the value of xattr `name` (or, with
    /// an empty name, the list of names) is read with [`read`](Self::read);
    /// returns it and the value's size.
    pub fn xattrwalk(&self, fid: &Fid, name: &[u8]) -> Result<(Fid, u64), Errno> {
        let id = self.check(fid)?;
        let slot = FidSlot::new(&self.session)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.session.call(
            &Tmsg::Xattrwalk {
                fid: id,
                newfid: slot.id,
                name,
            },
            &mut buf,
        ) {
            Ok(Rmsg::Xattrwalk { size }) => Ok((slot.establish(), size)),
            Ok(_) => {
                slot.retire();
                Err(Errno::EIO)
            }
            Err(e) => {
                settle(slot, e);
                Err(e.into())
            }
        }
    }

    /// Txattrcreate: turns `fid` into a fid to which the value of xattr
    /// `name` (`size` bytes) is written; it is set when the fid is clunked.
    pub fn xattrcreate(
        &self,
        fid: &Fid,
        name: &[u8],
        attr_size: u64,
        flags: u32,
    ) -> Result<(), Errno> {
        let id = self.check(fid)?;
        self.unit(&Tmsg::Xattrcreate {
            fid: id,
            name,
            attr_size,
            flags,
        })
    }

    /// Tlock: returns the status (`lock::SUCCESS`, `BLOCKED`, ...).
    pub fn lock(&self, fid: &Fid, lock: &Flock<'_>) -> Result<u8, Errno> {
        let id = self.check(fid)?;
        let mut buf = [0u8; SMALL_REPLY];
        match self.call(
            &Tmsg::Lock {
                fid: id,
                lock: *lock,
            },
            &mut buf,
        )? {
            Rmsg::Lock { status } => Ok(status),
            _ => Err(Errno::EIO),
        }
    }

    /// Tgetlock: the first lock that would conflict with `lock`.
    pub fn getlock(&self, fid: &Fid, lock: &Getlock<'_>) -> Result<Getlocked, Errno> {
        let id = self.check(fid)?;
        // The reply echoes a client id of any length.
        let mut buf = vec![0u8; readlink_reply_len(self.session.msize)];
        match self.call(
            &Tmsg::Getlock {
                fid: id,
                lock: *lock,
            },
            &mut buf,
        )? {
            Rmsg::Getlock(g) => Ok(Getlocked {
                ty: g.ty,
                start: g.start,
                length: g.length,
                proc_id: g.proc_id,
                client_id: g.client_id.to_vec(),
            }),
            _ => Err(Errno::EIO),
        }
    }

    /// Tflush: asks the server to abandon the request with `oldtag`.
    pub fn flush(&self, oldtag: u16) -> Result<(), Errno> {
        self.unit(&Tmsg::Flush { oldtag })
    }
}
