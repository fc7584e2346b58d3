//! 9p file systems from virtio-9p devices: `root=9p:TAG`, `mount=9p:TAG:/path`
//! and mount(2) with type "9p" and the tag as source.

use crate::virtio::nine_p::Virtio9p;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_fs_9p::vfs::{MountOptions, NinePFs};
use lintel_fs_9p::{Client, ClientConfig};
use lintel_vfs::{Errno, FileSystem, VfsResult};
use spin::Once;

static DEVICES: Once<Vec<Arc<Virtio9p>>> = Once::new();

/// Finds the virtio-9p devices (once).
pub fn probe(prefer_legacy: bool) -> &'static [Arc<Virtio9p>] {
    DEVICES.call_once(|| crate::virtio::probe_9p(prefer_legacy))
}

/// Attaches to the device tagged `tag` with mount options `data`.
pub fn mount(tag: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
    let opts = MountOptions::parse(data)?;
    let devs = DEVICES.get().map(|v| &v[..]).unwrap_or(&[]);
    let Some(dev) = devs.iter().find(|d| d.tag == tag) else {
        log::warn!(
            "9p: no virtio-9p device with tag '{}'",
            String::from_utf8_lossy(tag)
        );
        return Err(Errno::ENOENT);
    };
    let mut cfg = ClientConfig::default();
    if let Some(m) = opts.msize {
        cfg.msize = m;
    }
    if let Some(u) = &opts.uname {
        cfg.uname = String::from_utf8_lossy(u).into_owned();
    }
    if let Some(a) = &opts.aname {
        cfg.aname = String::from_utf8_lossy(a).into_owned();
    }
    let client = Client::new(dev.clone(), cfg).map_err(|e| {
        log::warn!(
            "9p: attaching to '{}' failed: {:?}",
            String::from_utf8_lossy(tag),
            e
        );
        e
    })?;
    log::info!(
        "9p: '{}' attached, msize {}",
        String::from_utf8_lossy(tag),
        client.msize()
    );
    Ok(NinePFs::new(client, opts))
}

/// The registry's factory: source = tag, data = options.
pub fn factory(source: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
    mount(source, data)
}
