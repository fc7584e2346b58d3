//! Host tests: stacks joined by an in-memory Ethernet wire, and loopback.

mod dhcp;
mod tcp;
mod tcp_errors;
mod udp;
mod wire;
