//! What /proc shows of a process: a view over its shared parts (fd table,
//! memory map, file-system context), taken when it starts or execs.

use crate::fs::Vfs;
use crate::mm::{VmaKind, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::Process;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_vfs::{FdTable, FileKind, Path, Resolver};

#[derive(Clone)]
pub struct ProcView {
    pub pid: i32,
    pub ppid: i32,
    pub exe: Vec<u8>,
    pub cmdline: Vec<u8>,
    fds: FdTable,
    mm: crate::mm::MemoryMap,
    vfs: Arc<Vfs>,
    root: Path,
}

impl Process {
    pub fn view(&self) -> ProcView {
        ProcView {
            pid: self.pid,
            ppid: self.ppid(),
            exe: self.exe.clone(),
            cmdline: self.cmdline.clone(),
            fds: self.fds.clone(),
            mm: self.mm.clone(),
            vfs: self.vfs.clone(),
            root: self.fs.lock().root.clone(),
        }
    }
}

impl ProcView {
    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            mounts: &self.vfs.mounts,
            root: &self.root,
        }
    }

    /// Each fd and what readlink of /proc/self/fd/N shows.
    pub fn fds(&self) -> Vec<(i32, Vec<u8>)> {
        self.fds
            .snapshot()
            .into_iter()
            .map(|(fd, f)| {
                let name = match &f.kind {
                    FileKind::Node { path, .. } => {
                        let mut n = self.resolver().name_of(path);
                        if path.dentry.is_deleted() {
                            n.extend_from_slice(b" (deleted)");
                        }
                        n
                    }
                    FileKind::Special(ops) => ops.describe(),
                };
                (fd, name)
            })
            .collect()
    }

    /// /proc/self/maps, in Linux's format.
    pub fn maps(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for v in self.mm.vmas() {
            let perm = |bit, c| if v.prot & bit != 0 { c } else { '-' };
            let shared = if v.kind == VmaKind::Shared { 's' } else { 'p' };
            let name = match v.kind {
                VmaKind::Heap => "[heap]",
                VmaKind::Stack => "[stack]",
                VmaKind::Special { which, .. } => which.name(),
                _ => "",
            };
            let line = format!(
                "{:08x}-{:08x} {}{}{}{} 00000000 00:00 0{}{}\n",
                v.start,
                v.end,
                perm(PROT_READ, 'r'),
                perm(PROT_WRITE, 'w'),
                perm(PROT_EXEC, 'x'),
                shared,
                if name.is_empty() {
                    ""
                } else {
                    "                          "
                },
                name
            );
            out.extend_from_slice(line.as_bytes());
        }
        out
    }

    /// /proc/mounts: "source target type options 0 0" per mount.
    pub fn mounts(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for m in self.vfs.mounts.all() {
            let target = match &m.parent {
                None => Vec::from(&b"/"[..]),
                Some((pm, pd)) => self.resolver().name_of(&Path {
                    mnt: pm.clone(),
                    dentry: pd.clone(),
                }),
            };
            let source = if m.source.is_empty() {
                Vec::from(m.fs.name().as_bytes())
            } else {
                m.source.clone()
            };
            out.extend_from_slice(&source);
            out.push(b' ');
            out.extend_from_slice(&target);
            out.push(b' ');
            out.extend_from_slice(m.fs.name().as_bytes());
            out.extend_from_slice(if m.readonly() { b" ro" } else { b" rw" });
            if !m.data.is_empty() {
                out.push(b',');
                out.extend_from_slice(&m.data);
            }
            out.extend_from_slice(b" 0 0\n");
        }
        out
    }
}
