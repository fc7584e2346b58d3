//! The VFS core, after Unikraft's vfscore and Linux's VFS: vnodes and their
//! operations, dentries, mounts, path resolution, open files and fd tables.
//! No file system lives here; `rootfs` (tmpfs, devfs, procfs), `fs-9p` and
//! `fs-virtiofs` plug in through `Vnode` and `FileSystem`.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

pub mod dentry;
pub mod dirbatch;
pub mod fdtable;
pub mod file;
pub mod fs;
pub mod mount;
pub mod namei;
pub mod types;
pub mod vnode;
pub mod wake;

pub use dentry::Dentry;
pub use fdtable::FdTable;
pub use file::{File, FileKind, FileOps, FileRef};
pub use fs::{FileSystem, FsRegistry};
pub use mount::{Mount, MountFlags, MountTable, Path};
pub use namei::{Follow, Resolver};
pub use types::*;
pub use vnode::{Handle, Vnode, VnodeRef};
pub use wake::wake_waiters;
