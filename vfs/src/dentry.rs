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
            link: Mutex::new(Link { name: Vec::from(&b"/"[..]), parent: None, deleted: false }),
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

    /// The child dentry for `name`: the live one if any (always when
    /// `reuse`), else a fresh lookup in the file system.
    pub fn child(self: &Arc<Self>, name: &[u8], reuse: bool) -> VfsResult<Arc<Dentry>> {
        let live = self.children.lock().get(name).and_then(Weak::upgrade);
        if let Some(d) = live {
            if reuse || d.is_covered() {
                return Ok(d);
            }
        }
        let vnode = self.vnode.lookup(name)?;
        Ok(self.attach(name, vnode))
    }

    /// Records a child that was just created or looked up.
    pub fn attach(self: &Arc<Self>, name: &[u8], vnode: VnodeRef) -> Arc<Dentry> {
        let d = Arc::new(Dentry {
            link: Mutex::new(Link { name: name.to_vec(), parent: Some(self.clone()), deleted: false }),
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
            new_parent.children.lock().insert(new.to_vec(), Arc::downgrade(&d));
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
                let _ = d.covered.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
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
