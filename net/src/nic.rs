//! The network card as the stack sees it. The kernel implements [`Nic`]
//! over virtio-net; tests over an in-memory wire.

use alloc::vec::Vec;

/// An Ethernet device. Frames are whole Ethernet frames (destination MAC
/// first) without the FCS; the stack computes every checksum itself, so
/// the device needs no offloads.
pub trait Nic: Send {
    /// The card's MAC address (must be unicast).
    fn mac(&self) -> [u8; 6];
    /// The IP MTU (1500 for Ethernet): the largest IP packet a frame
    /// carries, without the 14-byte Ethernet header.
    fn mtu(&self) -> usize;
    /// Whether `transmit` would take a frame now. The stack asks before it
    /// builds a frame, so a full queue leaves the data in the socket.
    fn can_transmit(&self) -> bool {
        true
    }
    /// Queues one frame; false if there was no room (the frame is lost,
    /// TCP sends it again).
    fn transmit(&mut self, frame: &[u8]) -> bool;
    /// The next received frame, if any.
    fn receive(&mut self) -> Option<Vec<u8>>;
}
