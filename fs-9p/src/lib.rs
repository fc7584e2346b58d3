//! fs-9p: a 9P2000.L client for Lintel's root file system over virtio-9p.
//!
//! - [`codec`]: every T- and R-message of 9P2000.L, encoded and decoded;
//!   decoding never panics on any bytes.
//! - [`Transport`]: what the virtio-9p driver (or a test's TCP stream)
//!   provides: one scatter-gather exchange at a time per caller, many
//!   callers at once.
//! - [`Client`]: version and attach, tags, fids ([`Fid`] clunks on drop),
//!   and a typed method per operation. Errors are Linux errnos; anything
//!   malformed from the server is EIO.
//! - [`vfs`]: the file system for Lintel's VFS ([`NinePFs`]): vnodes over
//!   walked fids, handles over open fids, optional attribute caching.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod client;
pub mod codec;
pub mod errno;
mod fid;
pub mod flags;
mod qid;
mod tag;
mod transport;
pub mod vfs;
mod wire;

#[cfg(test)]
mod tests;

pub use client::ops::Getlocked;
pub use client::{Client, ClientConfig, MAX_MSIZE, MIN_MSIZE};
pub use codec::{getattr_mask, setattr_valid, DirEntry, DirEntryRef, SetAttr, Stat, StatFs};
pub use errno::Errno;
pub use fid::{Fid, FidStats};
pub use qid::{qid_type, Qid, QID_SIZE};
pub use transport::{Transport, TransportError};
pub use vfs::{CacheMode, MountOptions, NinePFs};
