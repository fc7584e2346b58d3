//! sigaltstack: the stack SA_ONSTACK handlers run on.

use crate::user::{read_bytes, write_bytes};
use crate::{Cx, Errno, SysResult};

const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;
const MINSIGSTKSZ: u64 = 2048;

pub fn sys_sigaltstack(cx: &mut Cx, ss: u64, old: u64) -> SysResult {
    let (base, size, autodisarm) = cx.p.altstack;
    let sp = cx.regs.rsp;
    let on = size != 0 && sp > base && sp - base <= size;
    let new = if ss != 0 {
        let mut b = [0u8; 24];
        read_bytes(cx.k, &cx.p.mm, ss, &mut b)?;
        let sp = u64::from_le_bytes(b[0..8].try_into().unwrap_or_default());
        let flags = i32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
        let sz = u64::from_le_bytes(b[16..24].try_into().unwrap_or_default());
        Some((sp, flags, sz))
    } else {
        None
    };
    if old != 0 {
        let mut flags = if size == 0 {
            SS_DISABLE
        } else if on {
            SS_ONSTACK
        } else {
            0
        };
        if autodisarm {
            flags |= SS_AUTODISARM;
        }
        let mut b = [0u8; 24];
        b[0..8].copy_from_slice(&base.to_le_bytes());
        b[8..12].copy_from_slice(&flags.to_le_bytes());
        b[16..24].copy_from_slice(&size.to_le_bytes());
        write_bytes(cx.k, &cx.p.mm, old, &b)?;
    }
    if let Some((nsp, flags, nsize)) = new {
        if on {
            return Err(Errno::EPERM);
        }
        let mode = flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno::EINVAL);
        }
        cx.p.altstack = if mode == SS_DISABLE {
            (0, 0, false)
        } else {
            if nsize < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            (nsp, nsize, flags & SS_AUTODISARM != 0)
        };
    }
    Ok(0)
}
