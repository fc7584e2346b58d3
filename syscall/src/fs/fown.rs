//! F_SETOWN/F_GETOWN and FIOASYNC: which process (or, negative, which
//! process group) owns an open file for SIGIO, and whether the file asks
//! for it (O_ASYNC). The owner belongs to the open file description, as
//! Linux's f_owner, so it is kept here by the `File` it belongs to. SIGIO
//! itself is not sent yet: programs that only set these up (nginx's
//! channels to its workers) run as on Linux.

use crate::user::read_val;
use crate::{Cx, Errno, SysResult};
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use lintel_vfs::{File, FileKind, FileRef, OpenFlags};
use spin::Mutex;

static OWNERS: Mutex<BTreeMap<usize, (Weak<File>, i32)>> = Mutex::new(BTreeMap::new());

fn key(f: &FileRef) -> usize {
    Arc::as_ptr(f) as usize
}

/// F_SETOWN: a pid, a process group as its negative, or 0 for none;
/// ESRCH when no such id exists (Linux's find_vpid).
pub fn set_owner(cx: &Cx, f: &FileRef, who: i32) -> SysResult {
    if who == i32::MIN {
        return Err(Errno::EINVAL);
    }
    let id = who.unsigned_abs() as i32;
    if id != 0 {
        let t = cx.p.sys.table.lock();
        let known = t.threads.contains_key(&id)
            || t.procs.contains_key(&id)
            || t.procs.values().any(|p| p.pgid == id);
        if !known {
            return Err(Errno::ESRCH);
        }
    }
    let mut owners = OWNERS.lock();
    // Descriptions closed for good drop out.
    owners.retain(|_, (w, _)| w.strong_count() > 0);
    if who == 0 {
        owners.remove(&key(f));
    } else {
        owners.insert(key(f), (Arc::downgrade(f), who));
    }
    Ok(0)
}

/// F_GETOWN.
pub fn owner(f: &FileRef) -> i32 {
    OWNERS
        .lock()
        .get(&key(f))
        .filter(|(w, _)| core::ptr::eq(w.as_ptr(), Arc::as_ptr(f)))
        .map_or(0, |(_, who)| *who)
}

/// FIOASYNC: sets or clears O_ASYNC from the int at `arg`; ENOTTY for a
/// file that cannot signal (a regular file), as Linux without fasync.
pub fn fioasync(cx: &mut Cx, f: &FileRef, arg: u64) -> SysResult {
    let on: i32 = read_val(cx.k, &cx.p.mm, arg)?;
    let flags = f.flags();
    if (on != 0) == flags.contains(OpenFlags::ASYNC) {
        return Ok(0);
    }
    let signals = match &f.kind {
        FileKind::Special(_) => true,
        FileKind::Node { handle, .. } => handle.as_ref().is_some_and(|h| h.is_tty()),
    };
    if !signals {
        return Err(Errno::ENOTTY);
    }
    f.set_status_flags(if on != 0 {
        flags | OpenFlags::ASYNC
    } else {
        flags - OpenFlags::ASYNC
    });
    Ok(0)
}
