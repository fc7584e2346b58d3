//! exit and exit_group. With one thread both end the process.

use crate::{Cx, ExitStatus, SysResult};

pub fn sys_exit(cx: &mut Cx, code: u64) -> SysResult {
    sys_exit_group(cx, code)
}

pub fn sys_exit_group(cx: &mut Cx, code: u64) -> SysResult {
    cx.p.exit = Some(ExitStatus::Code(code as u8));
    Ok(0)
}
