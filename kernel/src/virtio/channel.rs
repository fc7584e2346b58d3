//! One virtqueue as a request/reply channel: put the readable and writable
//! parts on the queue, notify, sleep until the device returns them.

use super::hal::KernelHal;
use super::transport::PciTransport;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::Transport;

pub const QUEUE_SIZE: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelError {
    /// More parts than the queue has descriptors, or an empty request.
    TooLarge,
    /// The device returned something other than our request.
    Device,
}

pub struct Channel {
    index: u16,
    queue: Mutex<VirtQueue<KernelHal, QUEUE_SIZE>>,
    transport: Arc<Mutex<PciTransport>>,
    msix: bool,
    /// Completions interrupt (MSI-X or INTx): waits sleep instead of polling.
    irq: bool,
}

impl Channel {
    pub fn new(transport: &Arc<Mutex<PciTransport>>, index: u16) -> Option<Channel> {
        let mut t = transport.lock();
        let queue = match VirtQueue::new(&mut *t, index, false, false) {
            Ok(q) => q,
            Err(e) => {
                log::warn!("virtio: queue {index} setup failed: {e:?}");
                return None;
            }
        };
        let msix = t.msix_enabled();
        let irq = t.interrupts();
        drop(t);
        Some(Channel {
            index,
            queue: Mutex::new(queue),
            transport: transport.clone(),
            msix,
            irq,
        })
    }

    /// Sends `readable` and waits for the device to fill `writable` (which
    /// may be empty, e.g. FUSE FORGET: the buffers are still the caller's
    /// until the device returns them); the device's count of written bytes.
    pub fn call(
        &self,
        readable: &[&[u8]],
        writable: &mut [&mut [u8]],
    ) -> Result<usize, ChannelError> {
        // One lifetime for all parts, as the queue's API wants.
        let req: Vec<&[u8]> = readable.iter().map(|s| &**s).collect();
        let mut rep: Vec<&mut [u8]> = writable.iter_mut().map(|s| &mut **s).collect();
        let token = {
            let mut q = self.queue.lock();
            // SAFETY: the buffers outlive the request: this function waits
            // below until the device has handed them back.
            let token = unsafe { q.add(&req, &mut rep) }.map_err(|_| ChannelError::TooLarge)?;
            if q.should_notify() {
                self.transport.lock().notify(self.index);
            }
            token
        };
        // The queue is free while we wait: other requests may be added and
        // completed. The used ring returns chains in order, so a request is
        // popped by its own caller once it is at the head.
        super::irq::wait(self.irq, &mut || {
            self.queue.lock().peek_used() == Some(token)
        });
        let mut q = self.queue.lock();
        // SAFETY: the same buffers that `add` was given, for its token.
        let len = unsafe { q.pop_used(token, &req, &mut rep) }.map_err(|_| ChannelError::Device)?;
        drop(q);
        if !self.msix {
            let _ = self.transport.lock().ack_interrupt();
        }
        Ok(len as usize)
    }
}
