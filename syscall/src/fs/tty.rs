//! The terminal ioctls of the serial console.

use crate::abi::{Termios, Winsize};
use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};
use lintel_vfs::Handle;

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TIOCGPGRP: u64 = 0x540f;
const TIOCSPGRP: u64 = 0x5410;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;

pub(crate) fn tty_ioctl(cx: &mut Cx, h: &dyn Handle, req: u64, arg: u64) -> SysResult {
    match req {
        TCGETS => {
            let t = cx.p.sys.tty.lock().0;
            write_val(cx.k, &cx.p.mm, arg, &t)?
        }
        // The serial line has no line discipline to change; the settings
        // are kept so a program reads back what it set.
        TCSETS | TCSETSW | TCSETSF => {
            cx.p.sys.tty.lock().0 = read_val::<Termios>(cx.k, &cx.p.mm, arg)?
        }
        TIOCGWINSZ => {
            let w = cx.p.sys.tty.lock().1;
            write_val(cx.k, &cx.p.mm, arg, &w)?
        }
        TIOCSWINSZ => cx.p.sys.tty.lock().1 = read_val::<Winsize>(cx.k, &cx.p.mm, arg)?,
        TIOCGPGRP => {
            // The console's foreground group: the session's first group.
            let pgid =
                cx.p.sys
                    .table
                    .lock()
                    .procs
                    .get(&cx.p.pid)
                    .map_or(cx.p.pid, |e| e.sid);
            write_val(cx.k, &cx.p.mm, arg, &pgid)?
        }
        TIOCSPGRP => {
            read_val::<i32>(cx.k, &cx.p.mm, arg)?;
        }
        FIONREAD => write_val(cx.k, &cx.p.mm, arg, &(h.available().unwrap_or(0) as i32))?,
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}
