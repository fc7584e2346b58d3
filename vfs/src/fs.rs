//! File-system types, registered by name ("tmpfs", "9p", "virtiofs"), and
//! mounted instances.

use crate::types::{Errno, VfsResult};
use crate::vnode::VnodeRef;
use alloc::sync::Arc;
use alloc::vec::Vec;

pub trait FileSystem: Send + Sync {
    fn root(&self) -> VnodeRef;
    /// The type name shown in /proc/mounts.
    fn name(&self) -> &str;
    /// Whether the VFS may keep names it looked up (false for file systems
    /// shared with a host that is not coherent with our cache).
    fn cache_names(&self) -> bool {
        true
    }
    /// Writes back everything (sync(2), unmount).
    fn sync(&self) -> VfsResult<()> {
        Ok(())
    }
}

/// Makes a file system from mount(2)'s `source` and `data`.
pub type FsFactory = fn(source: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>>;

#[derive(Default)]
pub struct FsRegistry {
    types: Vec<(&'static str, FsFactory)>,
}

impl FsRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, name: &'static str, f: FsFactory) {
        self.types.retain(|(n, _)| *n != name);
        self.types.push((name, f));
    }

    /// ENODEV for an unknown type, as mount(2).
    pub fn make(&self, name: &[u8], source: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
        let (_, f) = self
            .types
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .ok_or(Errno::ENODEV)?;
        f(source, data)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.types.iter().map(|(n, _)| *n)
    }
}
