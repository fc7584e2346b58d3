//! fs-virtiofs: a FUSE client for Lintel's root file system over virtio-fs.
//!
//! - [`codec`]: the FUSE requests and replies of protocol 7.31 to 7.38,
//!   encoded and decoded; decoding never panics on any bytes.
//! - [`Transport`]: what the virtio-fs driver provides: request queues
//!   (scatter-gather, a reply per request) and the hiprio queue (FORGET).
//! - [`Client`]: INIT negotiation, unique ids, a typed method per
//!   operation, lookup counting ([`Node`] sends FORGET when its last
//!   reference goes), open files ([`OpenFile`] sends RELEASE on drop), and
//!   DESTROY when the session ends. Errors are Linux errnos; anything
//!   malformed from the daemon is EIO.
//! - [`vfs`]: the file system for Lintel's VFS ([`VirtioFs`]), caching
//!   names and attributes exactly as long as the daemon's timeouts allow.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod client;
pub mod codec;
pub mod errno;
mod transport;
pub mod vfs;

#[cfg(test)]
mod tests;

pub use client::{
    Client, ClientConfig, ClientStats, Entry, InitInfo, Node, OpenFile, PlusEntry, Timeout,
    REQUESTED_FLAGS,
};
pub use errno::Errno;
pub use transport::{Transport, TransportError};
pub use vfs::{Clock, MountOptions, VirtioFs};
