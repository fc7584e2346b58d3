//! Credentials: the real, effective, saved and file-system user and group
//! ids and the supplementary groups of a thread, and the calls that read
//! and change them with Linux's rules (root, i.e. effective uid 0, may
//! set any; others only switch among the ids they have). fork copies
//! them, execve keeps them. Programs start as root; nothing checks file
//! permissions against these ids yet, so a program that drops to another
//! user still can do what root can: they are what getuid and friends,
//! SO_PEERCRED and SCM_CREDENTIALS report.

use crate::user::{read_val, write_val};
use crate::{Cx, Errno, SysResult};
use alloc::vec::Vec;

/// Linux's NGROUPS_MAX.
const NGROUPS_MAX: u64 = 65536;
/// -1: "leave this id as it is" in the set*id calls.
const KEEP: u32 = u32::MAX;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    /// CAP_SETUID/CAP_SETGID: held by root (effective uid 0).
    fn privileged(&self) -> bool {
        self.euid == 0
    }
}

/// Which set of ids a call changes.
#[derive(Clone, Copy)]
enum Ids {
    User,
    Group,
}

impl Ids {
    /// (real, effective, saved, file-system).
    fn get(self, c: &Cred) -> [u32; 4] {
        match self {
            Ids::User => [c.uid, c.euid, c.suid, c.fsuid],
            Ids::Group => [c.gid, c.egid, c.sgid, c.fsgid],
        }
    }

    fn set(self, c: &mut Cred, [r, e, s, fs]: [u32; 4]) {
        match self {
            Ids::User => (c.uid, c.euid, c.suid, c.fsuid) = (r, e, s, fs),
            Ids::Group => (c.gid, c.egid, c.sgid, c.fsgid) = (r, e, s, fs),
        }
    }
}

/// setuid/setgid: root sets all four; others only the effective (and
/// file-system) id, to their real or saved one.
fn set_one(cx: &mut Cx, ids: Ids, id: u64) -> SysResult {
    let id = id as u32;
    if id == KEEP {
        return Err(Errno::EINVAL);
    }
    let c = &mut cx.p.cred;
    let [r, _, s, _] = ids.get(c);
    if c.privileged() {
        ids.set(c, [id, id, id, id]);
    } else if id == r || id == s {
        ids.set(c, [r, id, s, id]);
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// setresuid/setresgid: -1 keeps an id; others may only pick among
/// their current three.
fn set_res(cx: &mut Cx, ids: Ids, want: [u64; 3]) -> SysResult {
    let c = &mut cx.p.cred;
    let [r, e, s, _] = ids.get(c);
    let want = want.map(|v| v as u32);
    let allowed = |v: u32| v == KEEP || v == r || v == e || v == s;
    if !c.privileged() && !want.iter().all(|&v| allowed(v)) {
        return Err(Errno::EPERM);
    }
    let pick = |v: u32, old: u32| if v == KEEP { old } else { v };
    let (r2, e2, s2) = (pick(want[0], r), pick(want[1], e), pick(want[2], s));
    ids.set(c, [r2, e2, s2, e2]);
    Ok(0)
}

/// setreuid/setregid: others may set the real id to the real or
/// effective one, the effective to any of the three; the saved id
/// follows the effective when the real one is set or the effective
/// leaves the old real id.
fn set_re(cx: &mut Cx, ids: Ids, ruid: u64, euid: u64) -> SysResult {
    let c = &mut cx.p.cred;
    let [r, e, s, _] = ids.get(c);
    let (nr, ne) = (ruid as u32, euid as u32);
    if !c.privileged()
        && ((nr != KEEP && nr != r && nr != e) || (ne != KEEP && ne != r && ne != e && ne != s))
    {
        return Err(Errno::EPERM);
    }
    let r2 = if nr == KEEP { r } else { nr };
    let e2 = if ne == KEEP { e } else { ne };
    let s2 = if nr != KEEP || (ne != KEEP && ne != r) {
        e2
    } else {
        s
    };
    ids.set(c, [r2, e2, s2, e2]);
    Ok(0)
}

/// setfsuid/setfsgid: the old value always; the change only when allowed.
fn set_fs(cx: &mut Cx, ids: Ids, id: u64) -> SysResult {
    let c = &mut cx.p.cred;
    let [r, e, s, fs] = ids.get(c);
    let id = id as u32;
    if id != KEEP && (c.privileged() || [r, e, s, fs].contains(&id)) {
        ids.set(c, [r, e, s, id]);
    }
    Ok(u64::from(fs))
}

pub fn sys_getuid(cx: &mut Cx) -> SysResult {
    Ok(u64::from(cx.p.cred.uid))
}

pub fn sys_geteuid(cx: &mut Cx) -> SysResult {
    Ok(u64::from(cx.p.cred.euid))
}

pub fn sys_getgid(cx: &mut Cx) -> SysResult {
    Ok(u64::from(cx.p.cred.gid))
}

pub fn sys_getegid(cx: &mut Cx) -> SysResult {
    Ok(u64::from(cx.p.cred.egid))
}

pub fn sys_setuid(cx: &mut Cx, uid: u64) -> SysResult {
    set_one(cx, Ids::User, uid)
}

pub fn sys_setgid(cx: &mut Cx, gid: u64) -> SysResult {
    set_one(cx, Ids::Group, gid)
}

pub fn sys_setreuid(cx: &mut Cx, r: u64, e: u64) -> SysResult {
    set_re(cx, Ids::User, r, e)
}

pub fn sys_setregid(cx: &mut Cx, r: u64, e: u64) -> SysResult {
    set_re(cx, Ids::Group, r, e)
}

pub fn sys_setresuid(cx: &mut Cx, r: u64, e: u64, s: u64) -> SysResult {
    set_res(cx, Ids::User, [r, e, s])
}

pub fn sys_setresgid(cx: &mut Cx, r: u64, e: u64, s: u64) -> SysResult {
    set_res(cx, Ids::Group, [r, e, s])
}

pub fn sys_setfsuid(cx: &mut Cx, id: u64) -> SysResult {
    set_fs(cx, Ids::User, id)
}

pub fn sys_setfsgid(cx: &mut Cx, id: u64) -> SysResult {
    set_fs(cx, Ids::Group, id)
}

/// getresuid/getresgid: the three ids to three pointers.
fn get_res(cx: &mut Cx, ids: Ids, ptrs: [u64; 3]) -> SysResult {
    let v = ids.get(&cx.p.cred);
    for (p, id) in ptrs.into_iter().zip(v) {
        write_val(cx.k, &cx.p.mm, p, &id)?;
    }
    Ok(0)
}

pub fn sys_getresuid(cx: &mut Cx, r: u64, e: u64, s: u64) -> SysResult {
    get_res(cx, Ids::User, [r, e, s])
}

pub fn sys_getresgid(cx: &mut Cx, r: u64, e: u64, s: u64) -> SysResult {
    get_res(cx, Ids::Group, [r, e, s])
}

/// getgroups: the count for size 0, EINVAL when `size` is too small.
pub fn sys_getgroups(cx: &mut Cx, size: u64, list: u64) -> SysResult {
    let groups = cx.p.cred.groups.clone();
    let size = size as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    for (i, g) in groups.iter().enumerate() {
        write_val(cx.k, &cx.p.mm, list + 4 * i as u64, g)?;
    }
    Ok(groups.len() as u64)
}

/// setgroups: root only (EPERM), at most NGROUPS_MAX (EINVAL).
pub fn sys_setgroups(cx: &mut Cx, size: u64, list: u64) -> SysResult {
    if size > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    if !cx.p.cred.privileged() {
        return Err(Errno::EPERM);
    }
    let mut groups = Vec::with_capacity(size as usize);
    for i in 0..size {
        groups.push(read_val::<u32>(cx.k, &cx.p.mm, list + 4 * i)?);
    }
    cx.p.cred.groups = groups;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    const EPERM: i32 = 1;
    const EINVAL: i32 = 22;
    const KEEP: u64 = u32::MAX as u64;

    /// (real, effective, saved) uids, file-system uid, (r, e, s) gids.
    fn ids(t: &mut TestBed) -> ([u32; 3], u32, [u32; 3]) {
        let c = &t.p.cred;
        ([c.uid, c.euid, c.suid], c.fsuid, [c.gid, c.egid, c.sgid])
    }

    fn err(v: u64) -> Option<i32> {
        TestBed::errno(v)
    }

    /// The sequence checked against Linux: root sets groups and ids,
    /// then, no longer root, may only switch among the ids it has.
    #[test]
    fn ids_change_by_linuxs_rules() {
        let mut t = TestBed::new();
        let m = t.scratch();
        assert_eq!(t.call("getuid", [0; 6]), 0);
        t.poke(m, &[5, 0, 0, 0, 6, 0, 0, 0]);
        assert_eq!(t.call("setgroups", [2, m, 0, 0, 0, 0]), 0);
        assert_eq!(t.call("getgroups", [0, 0, 0, 0, 0, 0]), 2);
        assert_eq!(
            err(t.call("getgroups", [1, m + 64, 0, 0, 0, 0])),
            Some(EINVAL)
        );
        assert_eq!(t.call("getgroups", [4, m + 64, 0, 0, 0, 0]), 2);
        assert_eq!(t.peek(m + 64, 8), [5, 0, 0, 0, 6, 0, 0, 0]);
        assert_eq!(t.call("setresgid", [100, 200, 300, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([0, 0, 0], 0, [100, 200, 300]));
        assert_eq!(t.call("setreuid", [1000, 2000, 0, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([1000, 2000, 2000], 2000, [100, 200, 300]));
        assert_eq!(t.call("setuid", [1000, 0, 0, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([1000, 1000, 2000], 1000, [100, 200, 300]));
        assert_eq!(err(t.call("setuid", [0, 0, 0, 0, 0, 0])), Some(EPERM));
        assert_eq!(err(t.call("setuid", [3000, 0, 0, 0, 0, 0])), Some(EPERM));
        assert_eq!(t.call("setresuid", [KEEP, 2000, KEEP, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([1000, 2000, 2000], 2000, [100, 200, 300]));
        assert_eq!(t.call("setreuid", [KEEP, 1000, 0, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([1000, 1000, 2000], 1000, [100, 200, 300]));
        assert_eq!(t.call("setgid", [100, 0, 0, 0, 0, 0]), 0);
        assert_eq!(ids(&mut t), ([1000, 1000, 2000], 1000, [100, 100, 300]));
        assert_eq!(err(t.call("setgid", [999, 0, 0, 0, 0, 0])), Some(EPERM));
        assert_eq!(err(t.call("setgroups", [0, 0, 0, 0, 0, 0])), Some(EPERM));
        assert_eq!(t.call("setfsuid", [7, 0, 0, 0, 0, 0]), 1000, "the old one");
        assert_eq!(ids(&mut t).1, 1000, "not allowed: unchanged");
        assert_eq!(err(t.call("setuid", [KEEP, 0, 0, 0, 0, 0])), Some(EINVAL));
        assert_eq!(
            err(t.call("setregid", [300, KEEP, 0, 0, 0, 0])),
            Some(EPERM)
        );
        assert_eq!(t.call("geteuid", [0; 6]), 1000);
        assert_eq!(t.call("getegid", [0; 6]), 100);
        assert_eq!(t.call("getresuid", [m, m + 4, m + 8, 0, 0, 0]), 0);
        let r = t.peek(m, 12);
        assert_eq!(r, [232, 3, 0, 0, 232, 3, 0, 0, 208, 7, 0, 0]);
    }

    /// nginx's worker as `user root root`: it stays root.
    #[test]
    fn root_setting_root_is_a_no_op() {
        let mut t = TestBed::new();
        let m = t.scratch();
        assert_eq!(t.call("setgid", [0; 6]), 0);
        t.poke(m, &[0; 4]);
        assert_eq!(t.call("setgroups", [1, m, 0, 0, 0, 0]), 0);
        assert_eq!(t.call("setuid", [0; 6]), 0);
        assert_eq!(ids(&mut t), ([0; 3], 0, [0; 3]));
        assert_eq!(t.p.cred.groups, [0]);
    }
}
