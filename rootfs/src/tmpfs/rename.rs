//! rename and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE) within one
//! tmpfs instance: type rules, link counts of the parents, "..", and the
//! guarantee that the new name never disappears on the way.

use super::inode::Inode;
use super::namespace::check_new_name;
use alloc::sync::Arc;
use lintel_vfs::{Errno, FileType, VfsResult, VnodeRef, RENAME_EXCHANGE, RENAME_NOREPLACE};

impl Inode {
    fn is_dir(&self) -> bool {
        self.kind == FileType::Directory
    }

    /// Whether `self` is `ancestor` or below it (a directory moved into itself).
    fn is_within(&self, ancestor: &Inode) -> bool {
        let mut cur = self.arc().ok();
        while let Some(d) = cur {
            if core::ptr::eq(&*d, ancestor) {
                return true;
            }
            let parent = d.dir().ok().and_then(|dir| dir.lock().parent.upgrade());
            cur = parent.filter(|p| !Arc::ptr_eq(p, &d)); // the root is its own parent
        }
        false
    }

    fn add_links(&self, delta: i32) {
        let mut m = self.meta.lock();
        m.nlink = m.nlink.saturating_add_signed(delta);
    }

    fn set_parent(&self, parent: &Inode) {
        if let Ok(d) = self.dir() {
            d.lock().parent = parent.weak();
        }
    }

    pub(super) fn rename_to(
        &self,
        old: &[u8],
        new_dir: &VnodeRef,
        new: &[u8],
        flags: u32,
    ) -> VfsResult<()> {
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0
            || flags == RENAME_NOREPLACE | RENAME_EXCHANGE
        {
            return Err(Errno::EINVAL);
        }
        let nd = self.same_fs(new_dir)?;
        let (od_body, nd_body) = (self.dir()?, nd.dir()?);
        check_new_name(new)?;
        let _names = self.fs.names.lock();
        let src = od_body.lock().get(old).cloned().ok_or(Errno::ENOENT)?;
        let dst = {
            let d = nd_body.lock();
            if d.dead {
                return Err(Errno::ENOENT);
            }
            d.get(new).cloned()
        };
        let same_dir = core::ptr::eq(self, nd);
        if flags & RENAME_EXCHANGE != 0 {
            let dst = dst.ok_or(Errno::ENOENT)?;
            return self.exchange(old, nd, new, src, dst, same_dir);
        }
        if let Some(dst) = &dst {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            if Arc::ptr_eq(&src, dst) {
                return Ok(()); // two names of one file: nothing happens
            }
            match (src.is_dir(), dst.is_dir()) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                _ => {}
            }
        }
        if src.is_dir() && nd.is_within(&src) {
            return Err(Errno::EINVAL);
        }
        if let Some(dst) = &dst {
            if let Ok(d) = dst.dir() {
                let mut d = d.lock();
                if !d.is_empty() {
                    return Err(Errno::ENOTEMPTY);
                }
                d.dead = true;
            }
        }
        // The new name first: it must name the old or the new file throughout.
        nd_body.lock().insert(new, src.clone());
        od_body.lock().remove(old);
        if let Some(dst) = dst {
            if dst.is_dir() {
                nd.add_links(-1); // the replaced directory's ".."
            }
            dst.unlinked();
        }
        if src.is_dir() && !same_dir {
            src.set_parent(nd);
            self.add_links(-1);
            nd.add_links(1);
        }
        src.changed();
        self.modified();
        if !same_dir {
            nd.modified();
        }
        Ok(())
    }

    /// RENAME_EXCHANGE: both names stay, their files swap.
    fn exchange(
        &self,
        old: &[u8],
        nd: &Inode,
        new: &[u8],
        src: Arc<Inode>,
        dst: Arc<Inode>,
        same_dir: bool,
    ) -> VfsResult<()> {
        if Arc::ptr_eq(&src, &dst) {
            return Ok(());
        }
        if (src.is_dir() && nd.is_within(&src)) || (dst.is_dir() && self.is_within(&dst)) {
            return Err(Errno::EINVAL);
        }
        let (od_body, nd_body) = (self.dir()?, nd.dir()?);
        if same_dir {
            let mut d = od_body.lock();
            d.swap(old, dst.clone());
            d.swap(new, src.clone());
        } else {
            // Both at once, so no reader sees one file under two names;
            // `Shared::names` (held) makes taking two directory locks safe.
            let (mut a, mut b) = (od_body.lock(), nd_body.lock());
            a.swap(old, dst.clone());
            b.swap(new, src.clone());
        }
        if !same_dir {
            if src.is_dir() {
                src.set_parent(nd);
            }
            if dst.is_dir() {
                dst.set_parent(self);
            }
            match (src.is_dir(), dst.is_dir()) {
                (true, false) => {
                    self.add_links(-1);
                    nd.add_links(1);
                }
                (false, true) => {
                    nd.add_links(-1);
                    self.add_links(1);
                }
                _ => {}
            }
        }
        src.changed();
        dst.changed();
        self.modified();
        if !same_dir {
            nd.modified();
        }
        Ok(())
    }
}
