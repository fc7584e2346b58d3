//! exit and exit_group. With one thread both end the process.

use crate::{Cx, ExitStatus, SysResult};

pub fn sys_exit(cx: &mut Cx, code: u64) -> SysResult {
    sys_exit_group(cx, code)
}

pub fn sys_exit_group(cx: &mut Cx, code: u64) -> SysResult {
    cx.p.exit = Some(ExitStatus::Code(code as u8));
    Ok(0)
}

/// What the end of a process leaves behind: shared file mappings written
/// back, files closed. The kernel calls it before the process is gone.
pub fn release(k: &mut dyn crate::Kernel, p: &mut crate::Process) {
    let _ = crate::mm::shared_file::flush(k, &p.mm, 0, crate::mm::USER_END, true);
    for (fd, _) in p.fds.snapshot() {
        let _ = p.fds.remove(fd);
    }
}
