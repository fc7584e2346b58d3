//! The network: the virtio-net card (when the VMM gives one) under
//! lintel-net's TCP/IP stack, registered with the system-call layer, and
//! the deferred work that drives the stack — after a device interrupt or
//! a timer, never from interrupt context (the stack is behind a lock that
//! a socket call may hold).

use crate::time::{timer, tsc::uptime_ns};
use crate::virtio::{self, irq::IRQS, net::VirtioNet};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicU64, Ordering};
use lintel_net::{Ipv4Config, Net, Nic};
use lintel_rootfs::cmdline::BootConfig;
use spin::Once;

static NET: Once<Arc<Net>> = Once::new();
/// The device-interrupt count when the stack last ran.
static SEEN_IRQS: AtomicU64 = AtomicU64::new(0);

impl Nic for VirtioNet {
    fn mac(&self) -> [u8; 6] {
        VirtioNet::mac(self)
    }
    fn mtu(&self) -> usize {
        1500
    }
    fn can_transmit(&self) -> bool {
        VirtioNet::can_transmit(self)
    }
    fn transmit(&mut self, frame: &[u8]) -> bool {
        VirtioNet::transmit(self, frame)
    }
    fn receive(&mut self) -> Option<Vec<u8>> {
        VirtioNet::receive(self)
    }
}

/// Builds the stack over the first virtio-net card, configured by `ip=`
/// and `gw=` (DHCP without `ip=`); loopback only without a card.
pub fn init(cfg: &BootConfig) {
    let nic = virtio::probe_net(cfg.virtio_legacy);
    let config = match cfg.ip {
        Some((a, prefix)) => Ipv4Config::Static {
            addr: Ipv4Addr::from(a),
            prefix,
            gateway: cfg.gw.map(Ipv4Addr::from),
        },
        None => Ipv4Config::Dhcp,
    };
    if nic.is_some() {
        match config {
            Ipv4Config::Static { addr, prefix, .. } => log::info!("net: {addr}/{prefix}"),
            Ipv4Config::Dhcp => log::info!("net: asking DHCP for an address"),
        }
    }
    let nic = nic.map(|n| Box::new(n) as Box<dyn Nic>);
    let net = Arc::new(Net::new(nic, config, crate::random::u64(), uptime_ns()));
    lintel_syscall::net::set_stack(net.clone());
    NET.call_once(|| net);
}

/// Runs the stack when a device interrupted since it last ran or the timer
/// fired (`ticked`): received frames, TCP timers, DHCP. Then asks the timer
/// for the stack's next deadline.
pub fn poll_if_due(ticked: bool) {
    let Some(net) = NET.get() else { return };
    let irqs = IRQS.load(Ordering::Acquire);
    if !ticked && irqs == SEEN_IRQS.load(Ordering::Relaxed) {
        return;
    }
    SEEN_IRQS.store(irqs, Ordering::Relaxed);
    let now = uptime_ns();
    net.poll(now);
    if let Some(at) = net.poll_at(now) {
        timer::request(at.max(now));
    }
}
