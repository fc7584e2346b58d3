//! Names: bind (a socket inode for a path, a table entry for an abstract
//! name, an autobind name), finding the socket a name leads to, and
//! getsockname/getpeername.

use super::addr::{encode_name, is_autobind, UnixAddr};
use super::registry::{self, NodeKey};
use super::{Kind, UnixSocket};
use crate::fs::AT_FDCWD;
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{Follow, Path, S_IFMT};

const S_IFSOCK: u32 = 0o140000;

/// bind(2): `raw` is the sockaddr as the program passed it.
pub fn bind(cx: &mut Cx, u: &Arc<UnixSocket>, raw: &[u8]) -> SysResult {
    if is_autobind(raw) {
        return autobind(cx, u).map(|_| 0);
    }
    match UnixAddr::parse(raw)? {
        UnixAddr::Abstract(name) => {
            if u.lock().addr.is_some() {
                return Err(Errno::EINVAL);
            }
            registry::claim_abstract(&name, u)?;
            u.lock().addr = Some(UnixAddr::Abstract(name));
        }
        UnixAddr::Path(path) => bind_path(cx, u, path)?,
    }
    Ok(0)
}

/// A path: the socket inode is made first (EADDRINUSE when the name
/// exists), then a socket already bound is EINVAL and the node goes
/// again, in Linux's order.
fn bind_path(cx: &mut Cx, u: &Arc<UnixSocket>, path: Vec<u8>) -> Result<(), Errno> {
    let node = make_node(cx, &path).map_err(|e| match e {
        Errno::EEXIST => Errno::EADDRINUSE,
        e => e,
    })?;
    let key = NodeKey::of(&node.0)?;
    let mut st = u.lock();
    if st.addr.is_some() {
        drop(st);
        let (p, name) = node;
        if let Some(parent) = p.dentry.parent() {
            let _ = parent.vnode().unlink(&name);
            parent.detach(&name);
        }
        return Err(Errno::EINVAL);
    }
    st.addr = Some(UnixAddr::Path(path));
    st.node = Some((key, node.0));
    drop(st);
    registry::claim_node(key, u);
    Ok(())
}

/// mknod(path, S_IFSOCK | 0777 & ~umask), as Linux's unix_bind_bsd:
/// the new node's path and name.
fn make_node(cx: &mut Cx, path: &[u8]) -> Result<(Path, Vec<u8>), Errno> {
    let start = cx.start_dir(AT_FDCWD as u64, path)?;
    let parent = cx.resolver().resolve_parent(&start, path)?;
    if parent.name == b"." || parent.name == b".." {
        return Err(Errno::EEXIST);
    }
    let fs = parent.dir.mnt.fs.cache_names();
    match parent.dir.dentry.child(&parent.name, fs) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if parent.trailing_slash {
        return Err(Errno::ENOENT);
    }
    if parent.dir.mnt.readonly() {
        return Err(Errno::EROFS);
    }
    let mode = S_IFSOCK | (0o777 & !cx.p.umask);
    let v = parent.dir.dentry.vnode().mknod(&parent.name, mode, 0)?;
    let dentry = parent.dir.dentry.attach(&parent.name, v);
    Ok((
        Path {
            mnt: parent.dir.mnt.clone(),
            dentry,
        },
        parent.name,
    ))
}

/// Linux's unix_autobind: an abstract name of five hex digits; nothing
/// to do for a bound socket.
pub(super) fn autobind(cx: &mut Cx, u: &Arc<UnixSocket>) -> Result<(), Errno> {
    if u.lock().addr.is_some() {
        return Ok(());
    }
    let mut seed = [0u8; 4];
    cx.k.fill_random(&mut seed);
    let name = registry::autobind(u32::from_le_bytes(seed), u)?;
    u.lock().addr = Some(UnixAddr::Abstract(name));
    Ok(())
}

/// connect and sendto from an unbound socket autobind it when SO_PASSCRED
/// is on (so the receiver can tell senders apart), as Linux.
pub(super) fn autobind_if_passcred(cx: &mut Cx, u: &Arc<UnixSocket>) -> Result<(), Errno> {
    if u.passcred() {
        autobind(cx, u)?;
    }
    Ok(())
}

/// The socket `addr` names (Linux's unix_find_other): for a path, the
/// lookup's error (ENOENT...), ECONNREFUSED for a node that is no socket
/// or has none bound to it; EPROTOTYPE for another socket type.
pub(super) fn find(cx: &mut Cx, addr: &UnixAddr, kind: Kind) -> Result<Arc<UnixSocket>, Errno> {
    let s = match addr {
        UnixAddr::Abstract(name) => registry::find_abstract(name),
        UnixAddr::Path(path) => {
            let p = cx.lookup_at(AT_FDCWD as u64, path, 0, Follow::Yes)?;
            if p.dentry.vnode().getattr()?.mode & S_IFMT != S_IFSOCK {
                return Err(Errno::ECONNREFUSED);
            }
            registry::find_node(NodeKey::of(&p)?)
        }
    };
    let s = s.ok_or(Errno::ECONNREFUSED)?;
    if s.kind != kind {
        return Err(Errno::EPROTOTYPE);
    }
    Ok(s)
}

/// getsockname (`peer` false) and getpeername: the encoded name;
/// ENOTCONN without a peer.
pub fn getname(u: &UnixSocket, peer: bool) -> Result<Vec<u8>, Errno> {
    if !peer {
        return Ok(encode_name(u.lock().addr.as_ref()));
    }
    let p = u.lock().peer.clone().ok_or(Errno::ENOTCONN)?;
    let name = encode_name(p.lock().addr.as_ref());
    Ok(name)
}
