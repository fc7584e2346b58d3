//! The virtio-9p device: one request queue (QEMU gives it 128 entries) and
//! the mount tag in device config. It carries 9P messages for fs-9p's
//! client, with the client's buffers handed to the device as they are.

use super::channel::{Channel, ChannelError};
use super::transport::PciTransport;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use lintel_fs_9p::{Transport as NineTransport, TransportError};
use spin::Mutex;
use virtio_drivers::transport::Transport;

pub const VIRTIO_ID_9P: u32 = 9;

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Features: u64 {
        const MOUNT_TAG = 1;
        const VERSION_1 = 1 << 32;
    }
}

pub struct Virtio9p {
    channel: Channel,
    pub tag: Vec<u8>,
    pub legacy: bool,
}

impl Virtio9p {
    pub fn new(mut transport: PciTransport) -> Option<Virtio9p> {
        let f = transport.begin_init(Features::MOUNT_TAG | Features::VERSION_1);
        if !f.contains(Features::MOUNT_TAG) {
            log::warn!("virtio-9p: the device offers no mount tag");
        }
        let mut len = [0u8; 2];
        transport.config_bytes(0, &mut len);
        let mut tag = vec![0u8; u16::from_le_bytes(len).min(256) as usize];
        transport.config_bytes(2, &mut tag);
        let legacy = transport.is_legacy();
        let transport = Arc::new(Mutex::new(transport));
        let channel = Channel::new(&transport, 0)?;
        transport.lock().finish_init();
        Some(Virtio9p {
            channel,
            tag,
            legacy,
        })
    }
}

impl NineTransport for Virtio9p {
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError> {
        self.channel.call(request, reply).map_err(|e| match e {
            ChannelError::TooLarge => TransportError::RequestTooLarge,
            ChannelError::Device => TransportError::Io,
        })
    }

    fn max_msize(&self) -> u32 {
        512 * 1024
    }
}
