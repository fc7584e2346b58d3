//! Starting the first program: its standard fds on the console devices,
//! then an execve of the init path.

use super::{do_execve, Entry};
use crate::fs::AT_FDCWD;
use crate::{Cx, Errno, Kernel, Process};
use alloc::vec::Vec;
use lintel_vfs::OpenFlags;

/// Opens fd 0 and 1 on `console` and fd 2 on `errors` (paths in the VFS,
/// e.g. /dev/ttyS0 and /dev/ttyS1), then executes `path`.
pub fn start_init(
    k: &mut dyn Kernel,
    p: &mut Process,
    console: &[u8],
    errors: &[u8],
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<Entry, Errno> {
    let mut regs = crate::Regs::default();
    let mut cx = Cx::new(k, p, &mut regs);
    let limit = cx.p.fd_limit();
    let tty = crate::fs::do_open(&mut cx, AT_FDCWD as u64, console, OpenFlags::RDWR, 0)?;
    let err = match crate::fs::do_open(&mut cx, AT_FDCWD as u64, errors, OpenFlags::RDWR, 0) {
        Ok(f) => f,
        Err(_) => tty.clone(),
    };
    cx.p.fds.insert(tty.clone(), false, limit)?;
    cx.p.fds.insert(tty, false, limit)?;
    cx.p.fds.insert(err, false, limit)?;
    do_execve(&mut cx, AT_FDCWD as u64, path, argv, envp, 0)?;
    Ok(Entry {
        rip: regs.rip,
        rsp: regs.rsp,
    })
}
