//! virtio over PCI: Lintel's own transport (modern and legacy), the HAL
//! for `virtio_drivers`' queues, interrupts, and the device drivers.

pub mod channel;
pub mod fs;
pub mod hal;
pub mod irq;
mod mmio_reg;
pub use mmio_reg::Regs;
pub mod net;
pub mod nine_p;
pub mod transport;

use alloc::sync::Arc;
use alloc::vec::Vec;

/// The virtio-9p devices found at boot, by tag.
pub fn probe_9p(prefer_legacy: bool) -> Vec<Arc<nine_p::Virtio9p>> {
    let mut out = Vec::new();
    for d in crate::pci::enumerate() {
        if transport::virtio_id(&d) != Some(nine_p::VIRTIO_ID_9P) {
            continue;
        }
        let Some(t) = transport::PciTransport::new(&d, prefer_legacy) else {
            continue;
        };
        if let Some(dev) = nine_p::Virtio9p::new(t) {
            log::info!(
                "virtio-9p at {:02x}:{:02x}.{}: tag '{}' ({}{})",
                d.cfg.bus,
                d.cfg.dev,
                d.cfg.func,
                alloc::string::String::from_utf8_lossy(&dev.tag),
                if dev.legacy { "legacy" } else { "modern" },
                if d.cap(0x11).is_some() { ", MSI-X" } else { "" }
            );
            out.push(Arc::new(dev));
        }
    }
    out
}

/// The virtio-fs devices found at boot, by tag.
pub fn probe_fs() -> Vec<Arc<fs::VirtioFs>> {
    let mut out = Vec::new();
    for d in crate::pci::enumerate() {
        if transport::virtio_id(&d) != Some(fs::VIRTIO_ID_FS) {
            continue;
        }
        let Some(t) = transport::PciTransport::new(&d, false) else {
            continue;
        };
        if let Some(dev) = fs::VirtioFs::new(t) {
            log::info!(
                "virtio-fs at {:02x}:{:02x}.{}: tag '{}'",
                d.cfg.bus,
                d.cfg.dev,
                d.cfg.func,
                alloc::string::String::from_utf8_lossy(&dev.tag)
            );
            out.push(Arc::new(dev));
        }
    }
    out
}

/// The first virtio-net card, if any (Lintel drives one).
pub fn probe_net(prefer_legacy: bool) -> Option<net::VirtioNet> {
    for d in crate::pci::enumerate() {
        if transport::virtio_id(&d) != Some(net::VIRTIO_ID_NET) {
            continue;
        }
        let Some(t) = transport::PciTransport::new(&d, prefer_legacy) else {
            continue;
        };
        if let Some(dev) = net::VirtioNet::new(t) {
            let m = dev.mac();
            log::info!(
                "virtio-net at {:02x}:{:02x}.{}: {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} ({})",
                d.cfg.bus,
                d.cfg.dev,
                d.cfg.func,
                m[0],
                m[1],
                m[2],
                m[3],
                m[4],
                m[5],
                if dev.legacy { "legacy" } else { "modern" }
            );
            return Some(dev);
        }
    }
    None
}
