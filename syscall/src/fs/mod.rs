//! The file system calls, over the VFS. One file per family.

mod at;
mod attr;
mod dir;
mod epoll;
mod epoll_instance;
mod eventfd;
mod fd;
mod fown;
mod io;
mod link;
mod mount;
mod open;
mod pipe;
mod poll;
mod select;
mod stat;
mod timerfd;
mod tty;

pub use at::{FsContext, Vfs, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
pub use attr::*;
pub use dir::*;
pub use epoll::*;
pub use eventfd::*;
pub use fd::*;
pub use io::*;
pub use link::*;
pub use mount::*;
pub use open::*;
pub use pipe::*;
pub use poll::*;
pub use select::*;
pub use stat::*;
pub use timerfd::*;

#[cfg(test)]
mod epoll_tests;
#[cfg(test)]
mod events_tests;
#[cfg(test)]
mod tests;
