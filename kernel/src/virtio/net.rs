//! The virtio-net device: `virtio_drivers`' raw driver on Lintel's PCI
//! transport, with the receive and transmit buffers managed here so
//! neither direction ever waits for the device: receive buffers stay
//! posted and are re-posted as soon as a frame is copied out; a frame to
//! send is copied into a buffer of its own, whose slot is reclaimed when
//! the device returns it. Completions interrupt (MSI-X or INTx), which
//! wakes the threads; the stack then polls `receive`.

use super::hal::KernelHal;
use super::transport::PciTransport;
use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use virtio_drivers::device::net::VirtIONetRaw;

pub const VIRTIO_ID_NET: u32 = 1;
/// QEMU's virtio-net queues have 256 entries, and a legacy device's
/// queue size cannot be changed.
const QUEUE_SIZE: usize = 256;
/// Receive buffers kept posted: a virtio-net header and a 1514-byte frame.
const RX_BUFFERS: usize = 128;
const BUF_LEN: usize = 2048;

pub struct VirtioNet {
    /// Boxed: two 256-entry queues with their shadow tables are ~20 KiB.
    raw: Box<VirtIONetRaw<KernelHal, PciTransport, QUEUE_SIZE>>,
    /// Posted receive buffers by the token the queue gave them.
    rx: BTreeMap<u16, Box<[u8]>>,
    /// Frames handed to the device, oldest first: token, buffer, length.
    tx: VecDeque<(u16, Box<[u8]>, usize)>,
    /// Transmit buffers the device has returned, for reuse.
    spare: Vec<Box<[u8]>>,
    pub legacy: bool,
}

impl VirtioNet {
    pub fn new(transport: PciTransport) -> Option<VirtioNet> {
        let legacy = transport.is_legacy();
        let raw = match VirtIONetRaw::new(transport) {
            Ok(r) => Box::new(r),
            Err(e) => {
                log::warn!("virtio-net: setup failed: {e:?}");
                return None;
            }
        };
        let mut net = VirtioNet {
            raw,
            rx: BTreeMap::new(),
            tx: VecDeque::new(),
            spare: Vec::new(),
            legacy,
        };
        for _ in 0..RX_BUFFERS {
            net.post_rx(vec![0u8; BUF_LEN].into_boxed_slice());
        }
        Some(net)
    }

    pub fn mac(&self) -> [u8; 6] {
        self.raw.mac_address()
    }

    fn post_rx(&mut self, mut buf: Box<[u8]>) {
        // SAFETY: the buffer is kept in `rx` under its token and not
        // touched until the device returns it (`receive`).
        match unsafe { self.raw.receive_begin(&mut buf) } {
            Ok(token) => {
                self.rx.insert(token, buf);
            }
            Err(e) => log::warn!("virtio-net: cannot post a receive buffer: {e:?}"),
        }
    }

    /// The next received frame (without the virtio-net header), if any.
    pub fn receive(&mut self) -> Option<Vec<u8>> {
        loop {
            let token = self.raw.poll_receive()?;
            let Some(mut buf) = self.rx.remove(&token) else {
                log::warn!("virtio-net: the device returned an unknown receive buffer");
                return None;
            };
            // SAFETY: `buf` is the buffer posted with this token.
            let got = unsafe { self.raw.receive_complete(token, &mut buf) };
            let frame = match got {
                Ok((hdr, len)) => buf.get(hdr..hdr + len).map(|f| f.to_vec()),
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
        while let Some(token) = self.raw.poll_transmit() {
            let Some(i) = self.tx.iter().position(|(t, _, _)| *t == token) else {
                log::warn!("virtio-net: the device returned an unknown transmit buffer");
                return;
            };
            let Some((_, buf, len)) = self.tx.remove(i) else {
                return;
            };
            // SAFETY: the same part of the buffer handed over with this token.
            if let Err(e) = unsafe { self.raw.transmit_complete(token, &buf[..len]) } {
                log::warn!("virtio-net: bad transmit completion: {e:?}");
            }
            self.spare.push(buf);
        }
    }

    /// Queues `frame` for sending; false when the queue is full for now.
    pub fn transmit(&mut self, frame: &[u8]) -> bool {
        self.reclaim_tx();
        if !self.raw.can_send() {
            return false;
        }
        let mut buf = self
            .spare
            .pop()
            .unwrap_or_else(|| vec![0u8; BUF_LEN].into_boxed_slice());
        let Ok(hdr) = self.raw.fill_buffer_header(&mut buf) else {
            return false;
        };
        let Some(dst) = buf.get_mut(hdr..hdr + frame.len()) else {
            log::warn!(
                "virtio-net: a {}-byte frame does not fit a buffer",
                frame.len()
            );
            return true; // dropped, as an oversized frame on real hardware
        };
        dst.copy_from_slice(frame);
        let len = hdr + frame.len();
        // SAFETY: the buffer lives in `tx` until the device returns it
        // (`reclaim_tx`), and only its first `len` bytes are handed over.
        match unsafe { self.raw.transmit_begin(&buf[..len]) } {
            Ok(token) => {
                self.tx.push_back((token, buf, len));
                true
            }
            Err(_) => {
                self.spare.push(buf);
                false
            }
        }
    }
}
