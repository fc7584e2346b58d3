//! How the NIC's interface gets its IPv4 address.

use core::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv4Config {
    /// A fixed address `addr/prefix`, and a default route via `gateway`.
    Static {
        addr: Ipv4Addr,
        prefix: u8,
        gateway: Option<Ipv4Addr>,
    },
    /// Ask a DHCP server (smoltcp's DHCPv4 client); until it answers the
    /// interface has no address and only loopback works.
    Dhcp,
}
