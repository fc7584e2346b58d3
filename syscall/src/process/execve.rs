//! execve and execveat: load a program from the VFS into this process.
//! `#!` scripts run their interpreter, as Linux's binfmt_script.

use super::exec::exec;
use crate::fs::AT_FDCWD;
use crate::user::read_cstr_array;
use crate::{Cx, Errno, SysResult};
use alloc::vec;
use alloc::vec::Vec;
use lintel_vfs::{FileType, Follow, MountFlags, OpenFlags};

/// Linux's limit on argv + envp together (ARG_MAX with an 8 MiB stack).
const MAX_ARG_BYTES: usize = 2 << 20;
/// Nested interpreters allowed (Linux: 4 levels of binfmt).
const MAX_INTERP_DEPTH: usize = 4;

pub fn sys_execve(cx: &mut Cx, path: u64, argv: u64, envp: u64) -> SysResult {
    sys_execveat(cx, AT_FDCWD as u64, path, argv, envp, 0)
}

pub fn sys_execveat(
    cx: &mut Cx,
    dirfd: u64,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u64,
) -> SysResult {
    if flags & !(crate::fs::AT_EMPTY_PATH | crate::fs::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = cx.user_path(path)?;
    let argv = read_cstr_array(cx.k, &cx.p.mm, argv, MAX_ARG_BYTES)?;
    let envp = read_cstr_array(cx.k, &cx.p.mm, envp, MAX_ARG_BYTES)?;
    do_execve(cx, dirfd, &path, argv, envp, 0)?;
    Ok(0)
}

/// The file's bytes, after Linux's checks for executing it.
fn read_program(cx: &mut Cx, dirfd: u64, path: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Errno> {
    let p = cx.lookup_at(dirfd, path, 0, Follow::Yes)?;
    let v = p.dentry.vnode().clone();
    let a = v.getattr()?;
    if a.file_type() != Some(FileType::Regular)
        || a.mode & 0o111 == 0
        || p.mnt.flags.contains(MountFlags::NOEXEC)
    {
        return Err(Errno::EACCES);
    }
    let h = v.open(OpenFlags::empty())?;
    let mut data = vec![0u8; a.size as usize];
    let mut off = 0;
    while off < data.len() {
        let n = h.read_at(off as u64, &mut data[off..])?;
        if n == 0 {
            data.truncate(off);
            break;
        }
        off += n;
    }
    let name = cx.resolver().name_of(&p);
    Ok((data, name))
}

/// `#!interp [arg]` → (interp, arg).
fn shebang(data: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let rest = data.strip_prefix(b"#!")?;
    let line = &rest[..rest
        .iter()
        .position(|&c| c == b'\n')
        .unwrap_or(rest.len())
        .min(255)];
    let line = line.trim_ascii();
    let split = line.iter().position(|c| c.is_ascii_whitespace());
    let (interp, arg) = match split {
        Some(i) => (
            &line[..i],
            Some(line[i..].trim_ascii().to_vec()).filter(|a| !a.is_empty()),
        ),
        None => (line, None),
    };
    (!interp.is_empty()).then(|| (interp.to_vec(), arg))
}

pub fn do_execve(
    cx: &mut Cx,
    dirfd: u64,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    depth: usize,
) -> Result<(), Errno> {
    let (data, exe) = read_program(cx, dirfd, path)?;
    if let Some((interp, arg)) = shebang(&data) {
        if depth >= MAX_INTERP_DEPTH {
            return Err(Errno::ELOOP);
        }
        // argv becomes: interp [arg] path argv[1..]
        let mut new = vec![interp.clone()];
        new.extend(arg);
        new.push(path.to_vec());
        new.extend(argv.into_iter().skip(1));
        return do_execve(cx, AT_FDCWD as u64, &interp, new, envp, depth + 1);
    }
    if argv.is_empty() {
        // Linux gives a program started with no arguments an empty argv[0].
        argv.push(Vec::new());
    }
    let av: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
    let ev: Vec<&[u8]> = envp.iter().map(|e| &e[..]).collect();
    let entry = exec(cx.k, cx.p, &data, &av, &ev, path).map_err(|e| {
        log::warn!(
            "execve {}: {}",
            alloc::string::String::from_utf8_lossy(path),
            e
        );
        e.errno()
    })?;
    cx.p.fds.close_on_exec();
    cx.p.exe = exe;
    cx.p.cmdline = argv
        .iter()
        .flat_map(|a| a.iter().copied().chain([0]))
        .collect();
    // A new program: fresh registers and TLS bases, as Linux's start_thread.
    *cx.regs = crate::Regs::user_entry(entry.rip, entry.rsp);
    cx.k.set_fs_base(0);
    cx.k.set_gs_base(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::shebang;

    #[test]
    fn shebang_lines() {
        assert_eq!(
            shebang(b"#!/bin/sh\necho"),
            Some((b"/bin/sh".to_vec(), None))
        );
        assert_eq!(
            shebang(b"#! /bin/busybox  sh -x \n"),
            Some((b"/bin/busybox".to_vec(), Some(b"sh -x".to_vec())))
        );
        assert_eq!(shebang(b"#!\n"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
    }
}
