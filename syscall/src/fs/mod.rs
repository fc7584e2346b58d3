//! File system calls. Until the VFS lands, fds 0, 1 and 2 are the console.

mod console;

pub use console::*;
