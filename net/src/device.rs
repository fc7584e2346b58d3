//! `Port`: the smoltcp `Device` under each interface — an in-memory queue
//! for loopback, a [`Nic`] for Ethernet.

use crate::nic::Nic;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;

/// Loopback's MTU: as large as an IP packet may be (Linux's lo has 64 KiB).
const LOOPBACK_MTU: usize = 65535;
const ETHERNET_HEADER: usize = 14;

pub(crate) enum Port {
    /// Frames sent come back, in order, as received frames.
    Loopback(VecDeque<Vec<u8>>),
    Nic {
        nic: Box<dyn Nic>,
        tx_buf: Vec<u8>,
    },
}

impl Port {
    pub(crate) fn loopback() -> Port {
        Port::Loopback(VecDeque::new())
    }

    pub(crate) fn nic(nic: Box<dyn Nic>) -> Port {
        Port::Nic {
            nic,
            tx_buf: Vec::new(),
        }
    }

    /// Frames sent on loopback and not yet received.
    pub(crate) fn queued(&self) -> bool {
        matches!(self, Port::Loopback(q) if !q.is_empty())
    }
}

pub(crate) struct Rx(Vec<u8>);
pub(crate) struct Tx<'a>(&'a mut Port);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        match self.0 {
            Port::Loopback(q) => {
                let mut frame = vec![0; len];
                let r = f(&mut frame);
                q.push_back(frame);
                r
            }
            Port::Nic { nic, tx_buf } => {
                tx_buf.clear();
                tx_buf.resize(len, 0);
                let r = f(tx_buf);
                if !nic.transmit(tx_buf) {
                    log::debug!("net: NIC dropped a frame of {len} bytes");
                }
                r
            }
        }
    }
}

impl Device for Port {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx<'_>)> {
        let frame = match self {
            Port::Loopback(q) => q.pop_front()?,
            Port::Nic { nic, .. } => nic.receive()?,
        };
        Some((Rx(frame), Tx(self)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx<'_>> {
        if let Port::Nic { nic, .. } = self {
            if !nic.can_transmit() {
                return None;
            }
        }
        Some(Tx(self))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        match self {
            Port::Loopback(_) => {
                caps.medium = Medium::Ip;
                caps.max_transmission_unit = LOOPBACK_MTU;
                // Nothing corrupts memory-to-memory frames (Linux's lo
                // skips checksums too).
                caps.checksum = ChecksumCapabilities::ignored();
            }
            Port::Nic { nic, .. } => {
                caps.medium = Medium::Ethernet;
                caps.max_transmission_unit = nic.mtu() + ETHERNET_HEADER;
            }
        }
        caps
    }
}
