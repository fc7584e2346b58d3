//! A `NinePFs` over diod mounted as the root of a VFS `MountTable`, with
//! the few steps of the syscall layer the tests need (open with O_CREAT
//! and O_TRUNC, mkdir, unlink, rename, listing).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use super::diod::Diod;
use lintel_fs_9p::{Client, MountOptions, NinePFs};
use lintel_vfs::{
    Attr, DirEntry, Errno, FileType, Follow, Handle, MountFlags, MountTable, OpenFlags, Path,
    Resolver, SetAttr, VfsResult,
};

pub struct World {
    pub d: Diod,
    pub fs: Arc<NinePFs>,
    pub mounts: MountTable,
    pub root: Path,
}

pub fn world(data: &str) -> World {
    let d = Diod::start();
    let client = d.connect();
    world_over(d, client, data)
}

/// A world over `client`, a connection to `d` made some other way.
pub fn world_over(d: Diod, client: Client, data: &str) -> World {
    let fs = NinePFs::new(client, MountOptions::parse(data.as_bytes()).unwrap());
    let mounts = MountTable::new();
    let root = mounts.mount_root(fs.clone(), b"export", data.as_bytes(), MountFlags::empty());
    World {
        d,
        fs,
        mounts,
        root,
    }
}

impl World {
    pub fn r(&self) -> Resolver<'_> {
        Resolver {
            mounts: &self.mounts,
            root: &self.root,
        }
    }

    pub fn get(&self, path: &str) -> VfsResult<Path> {
        self.r().resolve(&self.root, path.as_bytes(), Follow::Yes)
    }

    pub fn lget(&self, path: &str) -> VfsResult<Path> {
        self.r().resolve(&self.root, path.as_bytes(), Follow::No)
    }

    pub fn stat(&self, path: &str) -> VfsResult<Attr> {
        self.get(path)?.dentry.vnode().getattr()
    }

    /// open(2) as the syscall layer does it: O_CREAT finds or creates the
    /// last name, O_TRUNC is a setattr after the open.
    pub fn open(
        &self,
        path: &str,
        flags: OpenFlags,
        mode: u32,
    ) -> VfsResult<(Path, Arc<dyn Handle>)> {
        let target = if flags.contains(OpenFlags::CREAT) {
            let p = self.r().resolve_parent(&self.root, path.as_bytes())?;
            match p.dir.dentry.child(&p.name, p.dir.mnt.fs.cache_names()) {
                Ok(_) if flags.contains(OpenFlags::EXCL) => return Err(Errno::EEXIST),
                Ok(d) => Path {
                    mnt: p.dir.mnt.clone(),
                    dentry: d,
                },
                Err(Errno::ENOENT) => {
                    let v = p.dir.dentry.vnode().create(&p.name, mode)?;
                    Path {
                        mnt: p.dir.mnt.clone(),
                        dentry: p.dir.dentry.attach(&p.name, v),
                    }
                }
                Err(e) => return Err(e),
            }
        } else {
            self.get(path)?
        };
        let v = target.dentry.vnode().clone();
        let h = v.open(flags)?;
        if flags.contains(OpenFlags::TRUNC) && v.file_type()? == FileType::Regular {
            v.setattr(&SetAttr {
                size: Some(0),
                ..SetAttr::default()
            })?;
        }
        Ok((target, h))
    }

    pub fn mkdir(&self, path: &str, mode: u32) -> VfsResult<()> {
        let p = self.r().resolve_parent(&self.root, path.as_bytes())?;
        let v = p.dir.dentry.vnode().mkdir(&p.name, mode)?;
        p.dir.dentry.attach(&p.name, v);
        Ok(())
    }

    pub fn unlink(&self, path: &str) -> VfsResult<()> {
        let p = self.r().resolve_parent(&self.root, path.as_bytes())?;
        p.dir.dentry.vnode().unlink(&p.name)?;
        p.dir.dentry.detach(&p.name);
        Ok(())
    }

    pub fn rmdir(&self, path: &str) -> VfsResult<()> {
        let p = self.r().resolve_parent(&self.root, path.as_bytes())?;
        p.dir.dentry.vnode().rmdir(&p.name)?;
        p.dir.dentry.detach(&p.name);
        Ok(())
    }

    pub fn rename(&self, from: &str, to: &str) -> VfsResult<()> {
        let a = self.r().resolve_parent(&self.root, from.as_bytes())?;
        let b = self.r().resolve_parent(&self.root, to.as_bytes())?;
        a.dir
            .dentry
            .vnode()
            .rename(&a.name, b.dir.dentry.vnode(), &b.name, 0)?;
        a.dir.dentry.move_child(&a.name, &b.dir.dentry, &b.name);
        Ok(())
    }

    pub fn read_all(&self, path: &str) -> VfsResult<Vec<u8>> {
        let (_, h) = self.open(path, OpenFlags::empty(), 0)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 100_000];
        loop {
            let n = h.read_at(out.len() as u64, &mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&buf[..n]);
        }
    }
}

/// Every entry of an open directory, taking at most `per_call` per readdir
/// call (as a small getdents buffer does), continuing from the cookies.
pub fn list(h: &dyn Handle, per_call: usize) -> Vec<DirEntry> {
    let mut all = Vec::new();
    let mut cookie = 0;
    loop {
        let mut got = Vec::new();
        h.readdir(cookie, &mut |e| {
            if got.len() == per_call {
                return false;
            }
            got.push(e.clone());
            true
        })
        .unwrap();
        let Some(last) = got.last() else { return all };
        cookie = last.next;
        all.extend(got);
    }
}

pub fn names(entries: &[DirEntry]) -> BTreeMap<String, FileType> {
    entries
        .iter()
        .map(|e| (String::from_utf8(e.name.clone()).unwrap(), e.kind))
        .collect()
}

pub const RW_CREAT: OpenFlags = OpenFlags::RDWR.union(OpenFlags::CREAT);
