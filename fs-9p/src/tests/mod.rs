//! Crate-level tests: codec vectors and round trips, robustness against
//! hostile replies, and the client against an in-process fake server.

mod client;
mod codec;
mod fake;
mod robust;
mod samples;
mod vfs;
