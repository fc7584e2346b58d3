//! The virtio-fs device (vhost-user-fs-pci, modern only): a high-priority
//! queue for FORGET and a request queue for everything else, both carrying
//! FUSE messages for fs-virtiofs' client.

use super::channel::{Channel, ChannelError};
use super::transport::PciTransport;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_fs_virtiofs::{Transport as FuseTransport, TransportError};
use spin::Mutex;
use virtio_drivers::transport::Transport;

pub const VIRTIO_ID_FS: u32 = 26;
const TAG_LEN: usize = 36;

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Features: u64 {
        const VERSION_1 = 1 << 32;
    }
}

pub struct VirtioFs {
    hiprio: Channel,
    requests: Channel,
    pub tag: Vec<u8>,
}

impl VirtioFs {
    pub fn new(mut transport: PciTransport) -> Option<VirtioFs> {
        if transport.is_legacy() {
            log::warn!("virtio-fs: a legacy interface is not a virtio-fs device");
            return None;
        }
        transport.begin_init(Features::VERSION_1);
        let mut tag = [0u8; TAG_LEN];
        transport.config_bytes(0, &mut tag);
        let n = tag.iter().position(|&c| c == 0).unwrap_or(TAG_LEN);
        let mut queues = [0u8; 4];
        transport.config_bytes(TAG_LEN, &mut queues);
        if u32::from_le_bytes(queues) == 0 {
            log::warn!("virtio-fs: the device has no request queue");
            return None;
        }
        let transport = Arc::new(Mutex::new(transport));
        let hiprio = Channel::new(&transport, 0)?;
        let requests = Channel::new(&transport, 1)?;
        transport.lock().finish_init();
        Some(VirtioFs {
            hiprio,
            requests,
            tag: tag[..n].to_vec(),
        })
    }
}

fn error(e: ChannelError) -> TransportError {
    match e {
        ChannelError::TooLarge => TransportError::RequestTooLarge,
        ChannelError::Device => TransportError::Io,
    }
}

impl FuseTransport for VirtioFs {
    fn request(
        &self,
        readable: &[&[u8]],
        writable: &mut [&mut [u8]],
    ) -> Result<usize, TransportError> {
        self.requests.call(readable, writable).map_err(error)
    }

    fn forget(&self, readable: &[&[u8]]) -> Result<(), TransportError> {
        self.hiprio
            .call(readable, &mut [])
            .map(|_| ())
            .map_err(error)
    }
}
