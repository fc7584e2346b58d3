//! The virtio-9p device: one request queue (QEMU gives it 128 entries) and
//! the mount tag in device config. It carries 9P messages for fs-9p's
//! client, with the client's buffers handed to the device as they are.

use super::hal::KernelHal;
use super::transport::PciTransport;
use alloc::vec;
use alloc::vec::Vec;
use lintel_fs_9p::{Transport as NineTransport, TransportError};
use spin::Mutex;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::Transport;

const QUEUE_SIZE: usize = 128;
pub const VIRTIO_ID_9P: u32 = 9;

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Features: u64 {
        const MOUNT_TAG = 1;
        const VERSION_1 = 1 << 32;
    }
}

struct Inner {
    transport: PciTransport,
    queue: VirtQueue<KernelHal, QUEUE_SIZE>,
}

pub struct Virtio9p {
    inner: Mutex<Inner>,
    pub tag: Vec<u8>,
    msix: bool,
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
        let queue = match VirtQueue::new(&mut transport, 0, false, false) {
            Ok(q) => q,
            Err(e) => {
                log::warn!("virtio-9p: queue setup failed: {e:?}");
                return None;
            }
        };
        transport.finish_init();
        let legacy = transport.is_legacy();
        let msix = transport.msix_enabled();
        Some(Virtio9p { inner: Mutex::new(Inner { transport, queue }), tag, msix, legacy })
    }
}

impl NineTransport for Virtio9p {
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError> {
        // One request at a time: with a single thread nothing else could
        // be waiting; concurrent requests come with the scheduler.
        let mut g = self.inner.lock();
        // One lifetime for all parts, as the queue's API wants.
        let req: Vec<&[u8]> = request.iter().map(|s| &**s).collect();
        let mut rep: Vec<&mut [u8]> = reply.iter_mut().map(|s| &mut **s).collect();
        // SAFETY: the buffers outlive the request: we wait below for the
        // device to hand them back before returning.
        let token = unsafe { g.queue.add(&req, &mut rep) }.map_err(|_| TransportError::RequestTooLarge)?;
        if g.queue.should_notify() {
            g.transport.notify(0);
        }
        let msix = self.msix;
        super::irq::wait(msix, &mut || g.queue.peek_used() == Some(token));
        // SAFETY: the same buffers that `add` was given, for its token.
        let len = unsafe { g.queue.pop_used(token, &req, &mut rep) }.map_err(|_| TransportError::Io)?;
        if !msix {
            let _ = g.transport.ack_interrupt();
        }
        Ok(len as usize)
    }

    fn max_msize(&self) -> u32 {
        512 * 1024
    }
}
