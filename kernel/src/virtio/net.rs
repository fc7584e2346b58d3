//! The virtio-net device: a receive queue and a transmit queue
//! (`virtio_drivers`' `VirtQueue`) on Lintel's PCI transport, managed so
//! neither direction ever waits for the device and the device is told as
//! little as possible:
//! - receive buffers stay posted and are re-posted as soon as a frame is
//!   copied out;
//! - a frame to send is copied into a buffer of its own, whose slot is
//!   reclaimed when the device has returned it (found on the next send:
//!   the transmit queue does not interrupt);
//! - event indexes are not negotiated, so the device's NO_NOTIFY flag
//!   decides when a new buffer needs a notification; QEMU keeps it set
//!   while it has receive buffers and while it is sending, so re-posting a
//!   buffer or queueing a frame usually costs no exit. (virtio-drivers
//!   0.13's event-index check notifies whenever the device is behind,
//!   i.e. for nearly every buffer.)
//!
//! Received frames interrupt (MSI-X or INTx), which wakes the threads; the
//! network stack then polls `receive`.

use super::hal::KernelHal;
use super::transport::PciTransport;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::Transport;

pub const VIRTIO_ID_NET: u32 = 1;
const RX: u16 = 0;
const TX: u16 = 1;
/// QEMU's virtio-net queues have 256 entries, and a legacy device's
/// queue size cannot be changed.
const QUEUE_SIZE: usize = 256;
/// Receive buffers kept posted: a virtio-net header and a 1514-byte frame.
const RX_BUFFERS: usize = 128;
const BUF_LEN: usize = 2048;

bitflags::bitflags! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Features: u64 {
        const MAC = 1 << 5;
        const STATUS = 1 << 16;
        const VERSION_1 = 1 << 32;
    }
}

/// `struct virtio_net_hdr` (all zero: no offloads): 10 bytes for a legacy
/// device, 12 (with `num_buffers`) for a virtio 1.x one.
const HDR_LEGACY: usize = 10;
const HDR_MODERN: usize = 12;

pub struct VirtioNet {
    transport: PciTransport,
    /// Boxed: a 256-entry queue with its shadow tables is about 8 KiB.
    rx: Box<VirtQueue<KernelHal, QUEUE_SIZE>>,
    tx: Box<VirtQueue<KernelHal, QUEUE_SIZE>>,
    /// Posted receive buffers by the token the queue gave them.
    rx_bufs: BTreeMap<u16, Box<[u8]>>,
    /// Frames handed to the device, oldest first: token, buffer, length.
    tx_bufs: VecDeque<(u16, Box<[u8]>, usize)>,
    /// Transmit buffers the device has returned, for reuse.
    spare: Vec<Box<[u8]>>,
    hdr: usize,
    mac: [u8; 6],
    pub legacy: bool,
}

impl VirtioNet {
    pub fn new(mut transport: PciTransport) -> Option<VirtioNet> {
        let legacy = transport.is_legacy();
        let f = transport.begin_init(Features::MAC | Features::STATUS | Features::VERSION_1);
        let mut mac = [0u8; 6];
        if f.contains(Features::MAC) {
            transport.config_bytes(0, &mut mac);
        } else {
            // No address from the device: a locally administered one.
            mac = [0x02, 0x4c, 0x49, 0x4e, 0x54, 0x4c];
        }
        let queue = |t: &mut PciTransport, i: u16| match VirtQueue::new(t, i, false, false) {
            Ok(q) => Some(Box::new(q)),
            Err(e) => {
                log::warn!("virtio-net: queue {i} setup failed: {e:?}");
                None
            }
        };
        let rx = queue(&mut transport, RX)?;
        let mut tx = queue(&mut transport, TX)?;
        // Sent frames need no interrupt: their buffers are reclaimed lazily.
        tx.set_dev_notify(false);
        transport.finish_init();
        let hdr = if f.contains(Features::VERSION_1) {
            HDR_MODERN
        } else {
            HDR_LEGACY
        };
        let mut net = VirtioNet {
            transport,
            rx,
            tx,
            rx_bufs: BTreeMap::new(),
            tx_bufs: VecDeque::new(),
            spare: Vec::new(),
            hdr,
            mac,
            legacy,
        };
        for _ in 0..RX_BUFFERS {
            net.post_rx(vec![0u8; BUF_LEN].into_boxed_slice());
        }
        Some(net)
    }

    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn post_rx(&mut self, mut buf: Box<[u8]>) {
        // SAFETY: the buffer is kept in `rx_bufs` under its token and not
        // touched until the device returns it (`receive`).
        match unsafe { self.rx.add(&[], &mut [&mut buf]) } {
            Ok(token) => {
                self.rx_bufs.insert(token, buf);
                if self.rx.should_notify() {
                    self.transport.notify(RX);
                }
            }
            Err(e) => log::warn!("virtio-net: cannot post a receive buffer: {e:?}"),
        }
    }

    /// The next received frame (without the virtio-net header), if any.
    pub fn receive(&mut self) -> Option<Vec<u8>> {
        loop {
            let token = self.rx.peek_used()?;
            let Some(mut buf) = self.rx_bufs.remove(&token) else {
                log::warn!("virtio-net: the device returned an unknown receive buffer");
                return None;
            };
            // SAFETY: `buf` is the buffer posted with this token.
            let got = unsafe { self.rx.pop_used(token, &[], &mut [&mut buf]) };
            let frame = match got {
                Ok(len) => buf.get(self.hdr..len as usize).map(|f| f.to_vec()),
                Err(e) => {
                    log::warn!("virtio-net: bad receive completion: {e:?}");
                    None
                }
            };
            self.post_rx(buf);
            if frame.is_some() {
                return frame;
            }
        }
    }

    /// Takes back the transmit buffers the device is done with.
    fn reclaim_tx(&mut self) {
        while let Some(token) = self.tx.peek_used() {
            let Some(i) = self.tx_bufs.iter().position(|(t, _, _)| *t == token) else {
                log::warn!("virtio-net: the device returned an unknown transmit buffer");
                return;
            };
            let Some((_, buf, len)) = self.tx_bufs.remove(i) else {
                return;
            };
            // SAFETY: the same part of the buffer handed over with this token.
            if let Err(e) = unsafe { self.tx.pop_used(token, &[&buf[..len]], &mut []) } {
                log::warn!("virtio-net: bad transmit completion: {e:?}");
            }
            self.spare.push(buf);
        }
    }

    /// Whether a frame can be queued now (a slot is free, or one the
    /// device returned can be reclaimed).
    pub fn can_transmit(&self) -> bool {
        self.tx.available_desc() > 0 || self.tx.peek_used().is_some()
    }

    /// Queues `frame` for sending; false when the queue is full for now.
    pub fn transmit(&mut self, frame: &[u8]) -> bool {
        self.reclaim_tx();
        if self.tx.available_desc() == 0 {
            return false;
        }
        let len = self.hdr + frame.len();
        let mut buf = self
            .spare
            .pop()
            .unwrap_or_else(|| vec![0u8; BUF_LEN].into_boxed_slice());
        let Some(dst) = buf.get_mut(..len) else {
            log::warn!(
                "virtio-net: a {}-byte frame does not fit a buffer",
                frame.len()
            );
            self.spare.push(buf);
            return true; // dropped, as an oversized frame on real hardware
        };
        dst[..self.hdr].fill(0);
        dst[self.hdr..].copy_from_slice(frame);
        // SAFETY: the buffer lives in `tx_bufs` until the device returns it
        // (`reclaim_tx`), and only its first `len` bytes are handed over.
        match unsafe { self.tx.add(&[&buf[..len]], &mut []) } {
            Ok(token) => {
                self.tx_bufs.push_back((token, buf, len));
                if self.tx.should_notify() {
                    self.transport.notify(TX);
                }
                true
            }
            Err(_) => {
                self.spare.push(buf);
                false
            }
        }
    }
}
