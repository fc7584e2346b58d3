//! DHCP against a tiny server on the other end of the wire.

use super::wire::*;
use crate::{Ipv4Addr, Ipv4Config, Net, SocketAddrV4, TcpSocket};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    DhcpMessageType, DhcpPacket, DhcpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

const SERVER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x99];
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 254);
const OFFERED: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

/// The answer a DHCP server gives to `frame` (Offer to Discover, Ack to Request).
fn answer(frame: &[u8]) -> Option<Vec<u8>> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    let udp = UdpPacket::new_checked(ip.payload()).ok()?;
    if udp.dst_port() != 67 {
        return None;
    }
    let dhcp = DhcpPacket::new_checked(udp.payload()).ok()?;
    let req = DhcpRepr::parse(&dhcp).ok()?;
    let kind = match req.message_type {
        DhcpMessageType::Discover => DhcpMessageType::Offer,
        DhcpMessageType::Request => DhcpMessageType::Ack,
        _ => return None,
    };
    let reply = DhcpRepr {
        message_type: kind,
        transaction_id: req.transaction_id,
        secs: 0,
        client_hardware_address: req.client_hardware_address,
        client_ip: Ipv4Addr::UNSPECIFIED,
        your_ip: OFFERED,
        server_ip: SERVER,
        router: Some(GATEWAY),
        subnet_mask: Some(Ipv4Addr::new(255, 255, 255, 0)),
        relay_agent_ip: Ipv4Addr::UNSPECIFIED,
        broadcast: false,
        requested_ip: None,
        client_identifier: None,
        server_identifier: Some(SERVER),
        parameter_request_list: None,
        dns_servers: None,
        max_size: None,
        lease_duration: Some(3600),
        renew_duration: None,
        rebind_duration: None,
        additional_options: &[],
    };
    let dhcp_len = reply.buffer_len();
    let udp_repr = UdpRepr {
        src_port: 67,
        dst_port: 68,
    };
    let ip_repr = Ipv4Repr {
        src_addr: SERVER,
        dst_addr: Ipv4Addr::BROADCAST,
        next_header: IpProtocol::Udp,
        payload_len: 8 + dhcp_len,
        hop_limit: 64,
    };
    let eth_repr = EthernetRepr {
        src_addr: EthernetAddress(SERVER_MAC),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Ipv4,
    };
    let mut out = vec![0u8; 14 + 20 + 8 + dhcp_len];
    let mut f = EthernetFrame::new_unchecked(&mut out[..]);
    eth_repr.emit(&mut f);
    let caps = ChecksumCapabilities::default();
    let mut ip = Ipv4Packet::new_unchecked(f.payload_mut());
    ip_repr.emit(&mut ip, &caps);
    let mut udp = UdpPacket::new_unchecked(ip.payload_mut());
    udp_repr.emit(
        &mut udp,
        &IpAddress::Ipv4(SERVER),
        &IpAddress::Ipv4(Ipv4Addr::BROADCAST),
        dhcp_len,
        |p| {
            let mut pkt = DhcpPacket::new_unchecked(p);
            let _ = reply.emit(&mut pkt);
        },
        &caps,
    );
    Some(out)
}

#[test]
fn dhcp_configures_the_address_and_loopback_follows() {
    let (client, server, _) = cable();
    let net = Arc::new(Net::new(Some(Box::new(client)), Ipv4Config::Dhcp, 3, 0));
    assert_eq!(net.ipv4(), None);
    let mut now = tick();
    for _ in 0..50 {
        net.poll(now);
        // What the client sent arrives on the server's end; replies go back.
        while let Some(f) = server.rx.lock().pop_front() {
            if let Some(reply) = answer(&f) {
                server.tx.lock().push_back(reply);
            }
        }
        if net.ipv4().is_some() {
            break;
        }
        now = advance(
            net.poll_at(now)
                .map_or(1_000_000, |t| t.saturating_sub(now))
                .max(1_000_000),
        );
    }
    assert_eq!(net.ipv4(), Some((OFFERED, 24)));
    // The new address also reaches this host through loopback.
    let (l, at) = listener(&net, Ipv4Addr::UNSPECIFIED, 1);
    let (c, _s) = connected(&net, &[&net], &l, SocketAddrV4::new(OFFERED, at.port()));
    assert_eq!(*c.local_addr().ip(), OFFERED);
    let t = TcpSocket::new(&net);
    t.bind(SocketAddrV4::new(OFFERED, 0)).unwrap();
}
