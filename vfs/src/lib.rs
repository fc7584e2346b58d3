//! vfs: see DESIGN.md. Nothing here yet; it lands with its issue.
#![no_std]
#![deny(unsafe_code)]
