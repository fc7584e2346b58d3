//! virtio-fs file systems: `root=virtiofs:TAG`, `mount=virtiofs:TAG:/path`
//! and mount(2) with type "virtiofs" and the tag as source.

use crate::virtio::fs::VirtioFs as Device;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_fs_virtiofs::{Client, ClientConfig, MountOptions, VirtioFs};
use lintel_vfs::{Errno, FileSystem, VfsResult};
use spin::Once;

static DEVICES: Once<Vec<Arc<Device>>> = Once::new();

pub fn probe() -> &'static [Arc<Device>] {
    DEVICES.call_once(crate::virtio::probe_fs)
}

fn uptime() -> u64 {
    crate::time::tsc::uptime_ns()
}

/// FUSE INIT with the device tagged `tag`, then a file system over it.
pub fn mount(tag: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
    let opts = MountOptions::parse(data)?;
    let devs = DEVICES.get().map(|v| &v[..]).unwrap_or(&[]);
    let Some(dev) = devs.iter().find(|d| d.tag == tag) else {
        log::warn!(
            "virtiofs: no virtio-fs device with tag '{}'",
            String::from_utf8_lossy(tag)
        );
        return Err(Errno::ENOENT);
    };
    let client = Client::new(dev.clone(), ClientConfig::default()).map_err(|e| {
        log::warn!(
            "virtiofs: FUSE INIT with '{}' failed: {:?}",
            String::from_utf8_lossy(tag),
            e
        );
        e
    })?;
    let info = client.init_info();
    log::info!(
        "virtiofs: '{}' attached, FUSE {}.{}",
        String::from_utf8_lossy(tag),
        info.major,
        info.minor
    );
    Ok(VirtioFs::new(client, opts, Arc::new(uptime)))
}

/// The registry's factory: source = tag, data = options.
pub fn factory(source: &[u8], data: &[u8]) -> VfsResult<Arc<dyn FileSystem>> {
    mount(source, data)
}
