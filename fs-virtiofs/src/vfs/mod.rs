//! The virtio-fs file system for the VFS: `lintel_vfs::FileSystem`,
//! `Vnode` and `Handle` over a [`Client`].
//!
//! - A vnode is a node id with a lookup reference ([`Node`]), one per live
//!   id; its type comes with the entry that named it.
//! - A handle owns a daemon file handle; dropping the last reference sends
//!   RELEASE (RELEASEDIR).
//! - The daemon decides caching: each entry says how long its name
//!   (`entry_valid`) and attributes (`attr_valid`) may be kept, and they
//!   are kept exactly that long (cache=none gives 0: every stat is a
//!   GETATTR and every lookup a LOOKUP; cache=auto 1 s; cache=always a day).
//!   Our own changes invalidate what they touch. [`FileSystem::cache_names`]
//!   is true only while the daemon gives non-zero entry timeouts; the VFS
//!   then reuses the dentries it holds without asking (it has no
//!   revalidation hook), so those names outlive `entry_valid`.
//! - ".." never reaches the daemon: the VFS resolves it from its dentries.
//! - A directory we removed stays, for the vnodes that hold it, what it
//!   last was with nlink 0, and nothing can be made in it (`removed.rs`).

mod attr;
mod attrcache;
mod clock;
mod handle;
mod inodes;
mod names;
mod namespace;
mod options;
mod removed;
mod vnode;

pub use clock::Clock;
pub use handle::FuseHandle;
pub use options::MountOptions;
pub use vnode::FuseVnode;

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::client::{Client, Entry, Node, Timeout};
use crate::codec::init_flags;
use attrcache::{Ticket, Versions};
use inodes::InodeTable;
use lintel_vfs::{Errno, FileSystem, FileType, VfsResult, VnodeRef};
use names::NameCache;
use removed::DirNames;

/// What every vnode and handle of one mount shares.
pub(crate) struct Shared {
    pub client: Client,
    pub opts: MountOptions,
    clock: Arc<dyn Clock>,
    pub inodes: InodeTable,
    pub names: NameCache,
    /// Directories by the name they were last seen under (removed.rs).
    pub dirs: DirNames,
    pub versions: Versions,
    /// The last entry came with a non-zero `entry_valid`.
    names_cached: AtomicBool,
    /// Cleared when the file system is dropped: the name cache (which
    /// holds vnodes, which hold this) takes nothing more.
    mounted: AtomicBool,
}

impl Shared {
    pub fn now(&self) -> u64 {
        self.clock.now_ns()
    }

    /// When a timeout given now runs out.
    pub fn expiry(&self, t: Timeout) -> u64 {
        self.now().saturating_add(t.as_nanos())
    }

    /// READDIRPLUS pays when its entries can be kept.
    fn use_readdirplus(&self) -> bool {
        self.client.init_info().has(init_flags::DO_READDIRPLUS)
            && self.names_cached.load(Ordering::Relaxed)
    }

    /// The vnode for an entry: the live one for its node id (which absorbs
    /// the new lookup), or a new one. Its attributes are refreshed. A
    /// directory we removed is never named again, so an entry for its id
    /// is a new object (a daemon that reused the id): a new vnode.
    fn vnode_for(
        fs: &Arc<Shared>,
        node: Node,
        generation: u64,
        e: &crate::codec::FuseAttr,
        valid: Timeout,
        t: Ticket,
    ) -> VfsResult<Arc<FuseVnode>> {
        let kind = FileType::from_mode(e.mode).ok_or(Errno::EIO)?;
        let id = node.id();
        let (v, _) = fs.inodes.get_or_insert(
            id,
            |v| v.generation == generation && v.kind == kind && !v.is_dead(),
            move || FuseVnode::new(fs, node, generation, kind),
        );
        v.store_attr(e, valid, t)?;
        Ok(v)
    }

    /// Takes an entry for `name` in `parent`: its vnode, whose name is
    /// kept for `entry_valid` (and a directory's recorded for rmdir).
    pub fn adopt(
        fs: &Arc<Shared>,
        parent: u64,
        name: &[u8],
        e: Entry,
        t: Ticket,
    ) -> VfsResult<Arc<FuseVnode>> {
        let v = Self::vnode_for(fs, e.node, e.generation, &e.attr, e.attr_valid, t)?;
        if v.kind == FileType::Directory {
            fs.dirs.put(parent, name, &v);
        }
        fs.names_cached
            .store(!e.entry_valid.is_zero(), Ordering::Relaxed);
        if fs.mounted.load(Ordering::Acquire) {
            fs.names
                .put(parent, name, &v, fs.expiry(e.entry_valid), fs.now());
        }
        Ok(v)
    }

    /// A READDIRPLUS entry: adopted if it is worth keeping (its name may be
    /// cached, or its vnode is live and gets fresh attributes), else its
    /// node is handed back to be forgotten in a batch.
    fn offer(
        fs: &Arc<Shared>,
        parent: u64,
        name: &[u8],
        e: Entry,
        t: Ticket,
        usable: bool,
    ) -> Option<Node> {
        let live = fs.inodes.get(e.node.id()).is_some();
        if usable && (live || !e.entry_valid.is_zero()) {
            // A bad entry (its type changed) drops its node: one FORGET.
            let _ = Self::adopt(fs, parent, name, e, t);
            None
        } else {
            Some(e.node)
        }
    }
}

/// One mounted virtio-fs tree: the daemon's root and everything below.
pub struct VirtioFs {
    shared: Arc<Shared>,
    root: Arc<FuseVnode>,
}

impl VirtioFs {
    /// A file system over an initialized `client`, with mount options
    /// `opts`; `clock` measures the daemon's cache timeouts.
    pub fn new(client: Client, opts: MountOptions, clock: Arc<dyn Clock>) -> Arc<VirtioFs> {
        let root_node = client.root().clone();
        let shared = Arc::new(Shared {
            client,
            opts,
            clock,
            inodes: InodeTable::default(),
            names: NameCache::default(),
            dirs: DirNames::default(),
            versions: Versions::new(),
            names_cached: AtomicBool::new(false),
            mounted: AtomicBool::new(true),
        });
        // The root is a directory by definition (Linux's rootmode).
        let root = FuseVnode::new(&shared, root_node, 0, FileType::Directory);
        shared.inodes.insert(&root);
        Arc::new(VirtioFs { shared, root })
    }

    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    pub fn options(&self) -> &MountOptions {
        &self.shared.opts
    }

    /// Names kept right now.
    pub fn cached_names(&self) -> usize {
        self.shared.names.len()
    }

    /// Live vnodes (node ids the VFS or the caches hold).
    pub fn live_vnodes(&self) -> usize {
        self.shared.inodes.len()
    }

    /// Directory names recorded for rmdir (removed.rs), dropped ones included.
    #[cfg(test)]
    pub(crate) fn recorded_dirs(&self) -> usize {
        self.shared.dirs.len()
    }

    /// Forgets every kept name and attribute, so the next access asks the
    /// daemon: what to do when the host is known to have changed files.
    pub fn invalidate_caches(&self) {
        self.shared.names.clear();
        self.shared.versions.invalidate_all();
    }
}

impl Drop for VirtioFs {
    fn drop(&mut self) {
        // Break the cycle shared → names → vnodes → shared; the session
        // ends (DESTROY) when the last vnode and handle are gone too.
        self.shared.mounted.store(false, Ordering::Release);
        self.shared.names.clear();
    }
}

impl FileSystem for VirtioFs {
    fn root(&self) -> VnodeRef {
        self.root.clone()
    }

    fn name(&self) -> &str {
        "virtiofs"
    }

    /// Whether the daemon lets names be cached (its last entry had a
    /// non-zero `entry_valid`): cache=auto and cache=always, not cache=none.
    fn cache_names(&self) -> bool {
        self.shared.names_cached.load(Ordering::Relaxed)
    }
}
