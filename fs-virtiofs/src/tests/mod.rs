//! Crate-level tests: codec vectors and round trips, robustness against
//! hostile bytes, client logic against canned replies, and the VFS layer
//! against a scripted transport.

mod client;
mod codec;
mod lookups;
mod malformed;
mod removed;
mod robust;
mod samples;
mod scripted;
mod vfs;
