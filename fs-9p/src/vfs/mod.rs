//! The 9p file system for the VFS: `lintel_vfs::FileSystem`, `Vnode` and
//! `Handle` over a [`Client`].
//!
//! - A vnode holds a walked fid for its object, never opened, and the
//!   qid from the walk, which tells directories and symlinks apart with no
//!   round trip.
//! - A handle owns its own fid: a clone of the vnode's, Tlopen'ed. Dropping
//!   the last reference clunks it.
//! - cache=none (the default): every getattr is a Tgetattr and the VFS
//!   looks names up each time, so the host's changes are seen at once.
//!   cache=loose: attributes are kept per file until our own changes
//!   invalidate them, and the VFS keeps the names it found.
//! - ".." never reaches the server: the VFS resolves it from its dentries.
//! - Every lookup builds a new vnode; `Vnode::same_object` compares qids,
//!   so the VFS keeps one live dentry per name and object even where it
//!   does not cache names.
//! - renameat2's RENAME_NOREPLACE and RENAME_EXCHANGE, which 9P2000.L
//!   lacks, are built from walks and renames (not atomic; `namespace.rs`).
//! - A directory we removed still answers getattr through the vnodes that
//!   hold it, from its last attributes with nlink 0 (`removed.rs`).

mod attr;
mod cache;
mod handle;
mod namespace;
mod options;
mod removed;
mod vnode;

pub use handle::NineHandle;
pub use options::{CacheMode, MountOptions};
pub use vnode::NineVnode;

use crate::client::Client;
use alloc::sync::Arc;
use cache::AttrCache;
use lintel_vfs::{FileSystem, VnodeRef};
use removed::Removed;

/// What every vnode and handle of one mount shares.
pub(crate) struct Shared {
    pub client: Client,
    pub opts: MountOptions,
    pub cache: AttrCache,
    /// Directories we removed, for the vnodes that still hold them.
    pub removed: Removed,
}

/// One mounted 9p tree (the client's attached root and everything below).
pub struct NinePFs {
    shared: Arc<Shared>,
    root: Arc<NineVnode>,
}

impl NinePFs {
    /// A file system over an attached `client`, with mount options `opts`
    /// (`opts.msize`, `uname` and `aname` are for building the client).
    pub fn new(client: Client, opts: MountOptions) -> Arc<NinePFs> {
        let cache = AttrCache::new(opts.cache.caches_metadata());
        let shared = Arc::new(Shared {
            client,
            opts,
            cache,
            removed: Removed::new(),
        });
        let root = NineVnode::root(&shared);
        Arc::new(NinePFs { shared, root })
    }

    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    pub fn options(&self) -> &MountOptions {
        &self.shared.opts
    }

    /// Forgets every cached attribute (cache=loose), so the next stat of
    /// anything asks the server: what to do when the host is known to have
    /// changed files. Names the VFS holds are not affected.
    pub fn invalidate_attrs(&self) {
        self.shared.cache.invalidate_all();
    }

    /// Attributes cached right now (0 unless cache=loose).
    pub fn cached_attrs(&self) -> usize {
        self.shared.cache.len()
    }
}

impl FileSystem for NinePFs {
    fn root(&self) -> VnodeRef {
        self.root.clone()
    }

    fn name(&self) -> &str {
        "9p"
    }

    /// Names stay valid only under cache=loose; otherwise the host may
    /// change them at any time.
    fn cache_names(&self) -> bool {
        self.shared.opts.cache.caches_metadata()
    }
}
