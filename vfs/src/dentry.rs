//! `Dentry`: a name in the tree, linking a vnode to its parent. Live
//! dentries are found again through their parent's child map, so the same
//! path gives the same dentry while anyone holds it — that identity is what
//! marks mount points and the current directory.

use crate::types::{Errno, VfsResult};
use crate::vnode::VnodeRef;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};
use spin::Mutex;

struct Link {
    name: Vec<u8>,
    parent: Option<Arc<Dentry>>,
    /// Set when the name was removed (unlink, rmdir, rename over it).
    deleted: bool,
}

pub struct Dentry {
    link: Mutex<Link>,
    vnode: VnodeRef,
    children: Mutex<BTreeMap<Vec<u8>, Weak<Dentry>>>,
    /// Mounts on this dentry. A mount point stays the live dentry of its
    /// name even where names are not cached (9p, virtio-fs), or a fresh
    /// lookup of the name (mkdir, O_CREAT) would hide the mount.
    covered: AtomicU32,
}

impl Dentry {
    /// The root of a file system.
    pub fn new_root(vnode: VnodeRef) -> Arc<Dentry> {
        Arc::new(Dentry {
            link: Mutex::new(Link {
                name: Vec::from(&b"/"[..]),
                parent: None,
                deleted: false,
            }),
            vnode,
            children: Mutex::new(BTreeMap::new()),
            covered: AtomicU32::new(0),
        })
    }

    pub fn vnode(&self) -> &VnodeRef {
        &self.vnode
    }

    pub fn name(&self) -> Vec<u8> {
        self.link.lock().name.clone()
    }

    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.link.lock().parent.clone()
    }

    pub fn is_deleted(&self) -> bool {
        self.link.lock().deleted
    }

    /// The child dentry for `name`. With `reuse` (names are cached), or for
    /// a mount point, the live one if any. Otherwise the file system looks
    /// the name up afresh, and the live dentry is kept only while the name
    /// still leads to the same object (`Vnode::same_object`): then every
    /// holder of the name shares one dentry, and an unlink, rmdir or rename
    /// through any path reaches them all (getcwd of a removed working
    /// directory is ENOENT). A name that now leads elsewhere gets a new
    /// dentry; the old one stays with its holders.
    pub fn child(self: &Arc<Self>, name: &[u8], reuse: bool) -> VfsResult<Arc<Dentry>> {
        let live = self.cached_child(name);
        if let Some(d) = &live {
            if reuse || d.is_covered() {
                return Ok(d.clone());
            }
        }
        let vnode = self.vnode.lookup(name)?;
        match live {
            Some(d) if d.vnode.same_object(&*vnode) => Ok(d),
            _ => Ok(self.attach(name, vnode)),
        }
    }

    /// Records a child that was just created or looked up.
    pub fn attach(self: &Arc<Self>, name: &[u8], vnode: VnodeRef) -> Arc<Dentry> {
        let d = Arc::new(Dentry {
            link: Mutex::new(Link {
                name: name.to_vec(),
                parent: Some(self.clone()),
                deleted: false,
            }),
            vnode,
            children: Mutex::new(BTreeMap::new()),
            covered: AtomicU32::new(0),
        });
        let mut ch = self.children.lock();
        // Prune dead names now and then, not on every insert (that was quadratic).
        if ch.len() >= 64 && ch.len().is_power_of_two() {
            ch.retain(|_, w| w.strong_count() > 0);
        }
        ch.insert(name.to_vec(), Arc::downgrade(&d));
        d
    }

    /// The live child for `name`, without asking the file system.
    pub fn cached_child(&self, name: &[u8]) -> Option<Arc<Dentry>> {
        self.children.lock().get(name).and_then(Weak::upgrade)
    }

    /// Forgets `name` after it was removed.
    pub fn detach(&self, name: &[u8]) {
        if let Some(d) = self.children.lock().remove(name).and_then(|w| w.upgrade()) {
            d.link.lock().deleted = true;
        }
    }

    /// Moves the live child `old` to `new_parent`/`new` (rename).
    pub fn move_child(self: &Arc<Self>, old: &[u8], new_parent: &Arc<Dentry>, new: &[u8]) {
        new_parent.detach(new);
        let moved = self.children.lock().remove(old).and_then(|w| w.upgrade());
        if let Some(d) = moved {
            {
                let mut l = d.link.lock();
                l.name = new.to_vec();
                l.parent = Some(new_parent.clone());
            }
            new_parent
                .children
                .lock()
                .insert(new.to_vec(), Arc::downgrade(&d));
        }
    }

    /// Whether something is mounted here or below: such a dentry (and the
    /// path to it) is reused even where names are not cached, so the mount
    /// stays reachable.
    pub fn is_covered(&self) -> bool {
        self.covered.load(Ordering::Acquire) != 0
    }

    /// Counts a mount on (`true`) or off this dentry and its ancestors (MountTable).
    pub(crate) fn cover(&self, on: bool) {
        let bump = |d: &Dentry| {
            if on {
                d.covered.fetch_add(1, Ordering::AcqRel);
            } else {
                let _ = d
                    .covered
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
            }
        };
        bump(self);
        let mut cur = self.parent();
        while let Some(d) = cur {
            bump(&d);
            cur = d.parent();
        }
    }

    /// Whether `self` is `other` or below it (rename into its own subtree).
    pub fn is_within(self: &Arc<Self>, other: &Arc<Dentry>) -> bool {
        let mut cur = Some(self.clone());
        while let Some(d) = cur {
            if Arc::ptr_eq(&d, other) {
                return true;
            }
            cur = d.parent();
        }
        false
    }
}

/// Checks one path component.
pub fn check_name(name: &[u8]) -> VfsResult<()> {
    if name.len() > crate::types::NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Attr, StatFs, Timespec};
    use crate::vnode::Vnode;
    use core::any::Any;

    /// A directory whose every lookup builds a new vnode, as 9p's does; an
    /// object is its number, and `names` says which name leads to which.
    struct Dir {
        names: Mutex<BTreeMap<Vec<u8>, u64>>,
        lookups: AtomicU32,
    }

    struct Obj(u64);

    fn attr(ino: u64) -> Attr {
        let t = Timespec::default();
        Attr {
            ino,
            mode: 0o100644,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            size: 0,
            blksize: 512,
            blocks: 0,
            atime: t,
            mtime: t,
            ctime: t,
        }
    }

    impl Vnode for Dir {
        fn getattr(&self) -> VfsResult<Attr> {
            Ok(Attr {
                mode: 0o040755,
                ..attr(1)
            })
        }
        fn lookup(&self, name: &[u8]) -> VfsResult<VnodeRef> {
            self.lookups.fetch_add(1, Ordering::Relaxed);
            let id = *self.names.lock().get(name).ok_or(Errno::ENOENT)?;
            Ok(Arc::new(Obj(id)))
        }
        fn statfs(&self) -> VfsResult<StatFs> {
            Ok(StatFs::default())
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    impl Vnode for Obj {
        fn getattr(&self) -> VfsResult<Attr> {
            Ok(attr(self.0))
        }
        fn statfs(&self) -> VfsResult<StatFs> {
            Ok(StatFs::default())
        }
        fn same_object(&self, other: &dyn Vnode) -> bool {
            other
                .as_any()
                .downcast_ref::<Obj>()
                .is_some_and(|o| o.0 == self.0)
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn dir(names: &[(&str, u64)]) -> (Arc<Dir>, Arc<Dentry>) {
        let d = Arc::new(Dir {
            names: Mutex::new(
                names
                    .iter()
                    .map(|(n, i)| (n.as_bytes().to_vec(), *i))
                    .collect(),
            ),
            lookups: AtomicU32::new(0),
        });
        (d.clone(), Dentry::new_root(d))
    }

    #[test]
    fn uncached_lookups_of_the_same_object_share_the_live_dentry() {
        let (fs, root) = dir(&[("a", 10), ("b", 20)]);
        let held = root.child(b"a", false).unwrap();
        let again = root.child(b"a", false).unwrap();
        assert!(Arc::ptr_eq(&held, &again), "same object, same dentry");
        assert_eq!(
            fs.lookups.load(Ordering::Relaxed),
            2,
            "looked up each time all the same"
        );
        // Removal through either reaches every holder (getcwd: ENOENT).
        root.detach(b"a");
        assert!(held.is_deleted());
        // The name made again is a new object: a new dentry.
        fs.names.lock().insert(b"a".to_vec(), 12);
        let new = root.child(b"a", false).unwrap();
        assert!(!Arc::ptr_eq(&new, &held) && !new.is_deleted());
    }

    #[test]
    fn a_name_that_leads_elsewhere_gets_a_new_dentry() {
        let (fs, root) = dir(&[("a", 10)]);
        let held = root.child(b"a", false).unwrap();
        fs.names.lock().insert(b"a".to_vec(), 11);
        let now = root.child(b"a", false).unwrap();
        assert!(!Arc::ptr_eq(&held, &now));
        assert!(!held.is_deleted(), "not removed by us: it keeps its object");
        assert_eq!(now.vnode().getattr().unwrap().ino, 11);
        assert!(Arc::ptr_eq(&root.cached_child(b"a").unwrap(), &now));
        // Gone on the file system: ENOENT, whatever is held.
        fs.names.lock().clear();
        assert_eq!(root.child(b"a", false).err(), Some(Errno::ENOENT));
        // Where names are cached the live dentry is taken as it is.
        let n = fs.lookups.load(Ordering::Relaxed);
        assert!(Arc::ptr_eq(&root.child(b"a", true).unwrap(), &now));
        assert_eq!(fs.lookups.load(Ordering::Relaxed), n);
    }

    #[test]
    fn by_default_only_the_same_vnode_is_the_same_object() {
        let a: VnodeRef = Arc::new(Obj(1));
        let (d, _) = dir(&[]);
        let d: VnodeRef = d;
        assert!(d.same_object(&*d.clone()));
        assert!(!d.same_object(&*a));
    }
}
