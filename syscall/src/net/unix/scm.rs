//! SCM_RIGHTS and SCM_CREDENTIALS: the files and credentials sendmsg
//! passes (as `File` objects, not fd numbers), and what recvmsg installs
//! and reports.

use super::queue::Ucred;
use crate::net::cmsg::{self, ControlOut, CMSG_HDR, SOL_SOCKET};
use crate::{Cx, Errno};
use alloc::vec::Vec;
use lintel_vfs::FileRef;

const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;
/// Linux's SCM_MAX_FD: files one message may carry.
const SCM_MAX_FD: usize = 253;

/// What a send carries besides the bytes.
#[derive(Default)]
pub struct Scm {
    pub files: Vec<FileRef>,
    /// Credentials the sender gave (else its own go).
    pub cred: Option<Ucred>,
}

/// Linux's __scm_send: SOL_SOCKET messages are SCM_RIGHTS (EBADF for an
/// fd that is not open, EINVAL past SCM_MAX_FD) or SCM_CREDENTIALS
/// (EINVAL for a wrong length or an invalid id, EPERM for ids not the
/// sender's unless it is root, ESRCH for no such process); another type
/// is EINVAL, other levels are skipped.
pub fn parse(cx: &Cx, control: &[u8]) -> Result<Scm, Errno> {
    let mut scm = Scm::default();
    for m in cmsg::parse(control)? {
        if m.level != SOL_SOCKET {
            continue;
        }
        match m.ty {
            SCM_RIGHTS => {
                let n = m.data.len() / 4;
                if n > SCM_MAX_FD || scm.files.len() + n > SCM_MAX_FD {
                    return Err(Errno::EINVAL);
                }
                for fd in m.data.chunks_exact(4) {
                    let fd = i32::from_le_bytes([fd[0], fd[1], fd[2], fd[3]]);
                    if fd < 0 {
                        return Err(Errno::EBADF);
                    }
                    scm.files.push(cx.p.fds.get(fd)?);
                }
            }
            SCM_CREDENTIALS => {
                let [p0, p1, p2, p3, u0, u1, u2, u3, g0, g1, g2, g3] = *m.data else {
                    return Err(Errno::EINVAL);
                };
                let cred = Ucred {
                    pid: i32::from_le_bytes([p0, p1, p2, p3]),
                    uid: u32::from_le_bytes([u0, u1, u2, u3]),
                    gid: u32::from_le_bytes([g0, g1, g2, g3]),
                };
                if cred.uid == u32::MAX || cred.gid == u32::MAX {
                    return Err(Errno::EINVAL);
                }
                let c = &cx.p.cred;
                let own = cred.pid == cx.p.pid
                    && [c.uid, c.euid, c.suid].contains(&cred.uid)
                    && [c.gid, c.egid, c.sgid].contains(&cred.gid);
                if c.euid != 0 && !own {
                    return Err(Errno::EPERM);
                }
                if !cx.p.sys.table.lock().procs.contains_key(&cred.pid) {
                    return Err(Errno::ESRCH);
                }
                scm.cred = Some(cred);
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(scm)
}

/// What recvmsg returns in the control buffer (`room` bytes; None when
/// msg_control is NULL): the sender's credentials if SO_PASSCRED asked
/// (`cred`), then the files, installed as new fds (close-on-exec with
/// MSG_CMSG_CLOEXEC) as far as they fit; the others are closed. Returns
/// the bytes and whether anything was cut (MSG_CTRUNC).
pub fn control(
    cx: &mut Cx,
    room: Option<usize>,
    cloexec: bool,
    cred: Option<Ucred>,
    files: Vec<FileRef>,
) -> (Vec<u8>, bool) {
    let Some(room) = room else {
        return (Vec::new(), cred.is_some() || !files.is_empty());
    };
    let mut out = ControlOut::new(room);
    if let Some(c) = cred {
        out.put(SOL_SOCKET, SCM_CREDENTIALS, &c.bytes());
    }
    if files.is_empty() {
        return (out.bytes, out.truncated);
    }
    // Linux's scm_detach_fds: as many as fit after a header.
    let fit = out.room().saturating_sub(CMSG_HDR) / 4;
    let limit = cx.p.fd_limit();
    let count = files.len();
    let mut fds = Vec::new();
    for f in files.into_iter().take(fit) {
        match cx.p.fds.insert(f, cloexec, limit) {
            Ok(fd) => fds.extend_from_slice(&fd.to_le_bytes()),
            Err(_) => break,
        }
    }
    if !fds.is_empty() {
        out.put(SOL_SOCKET, SCM_RIGHTS, &fds);
    }
    let installed = fds.len() / 4;
    (out.bytes, out.truncated || installed < count)
}
