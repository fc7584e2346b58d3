//! Path resolution (vfs::Resolver), mounts and dentries over real tmpfs
//! instances: a root tmpfs with a second one mounted on /mnt.

mod common;

use common::*;
use lintel_rootfs::Tmpfs;
use lintel_vfs::{
    Errno, FileSystem, Follow, Mount, MountFlags, MountTable, Path, Resolver, VfsResult,
};
use std::sync::Arc;

struct World {
    mounts: MountTable,
    root: Path,
    mnt: Arc<Mount>,
    mnt_fs: Arc<Tmpfs>,
}

impl World {
    fn r(&self) -> Resolver<'_> {
        Resolver {
            mounts: &self.mounts,
            root: &self.root,
        }
    }

    fn at(&self, start: &Path, path: &str) -> VfsResult<Path> {
        self.r().resolve(start, path.as_bytes(), Follow::Yes)
    }

    fn get(&self, path: &str) -> VfsResult<Path> {
        self.at(&self.root, path)
    }

    fn lget(&self, path: &str) -> VfsResult<Path> {
        self.r().resolve(&self.root, path.as_bytes(), Follow::No)
    }

    fn name(&self, p: &Path) -> String {
        String::from_utf8(self.r().name_of(p)).unwrap()
    }

    /// mkdir as the syscall layer does it: resolve the parent, create, attach.
    fn mkdir(&self, path: &str) -> Path {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        let v = p.dir.dentry.vnode().mkdir(&p.name, 0o755).unwrap();
        Path {
            mnt: p.dir.mnt.clone(),
            dentry: p.dir.dentry.attach(&p.name, v),
        }
    }

    fn touch(&self, path: &str) -> Path {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        let v = p.dir.dentry.vnode().create(&p.name, 0o644).unwrap();
        Path {
            mnt: p.dir.mnt.clone(),
            dentry: p.dir.dentry.attach(&p.name, v),
        }
    }

    fn symlink(&self, target: &str, path: &str) {
        let p = self
            .r()
            .resolve_parent(&self.root, path.as_bytes())
            .unwrap();
        let v = p
            .dir
            .dentry
            .vnode()
            .symlink(&p.name, target.as_bytes())
            .unwrap();
        p.dir.dentry.attach(&p.name, v);
    }

    fn ino(&self, path: &str) -> u64 {
        self.get(path)
            .unwrap()
            .dentry
            .vnode()
            .getattr()
            .unwrap()
            .ino
    }
}

/// / (tmpfs): a/b/c/, a/file, mnt/hidden; on /mnt another tmpfs: x/y/
fn world() -> World {
    let fs = tmpfs();
    let a = fs.root().mkdir(b"a", 0o755).unwrap();
    a.mkdir(b"b", 0o755).unwrap().mkdir(b"c", 0o755).unwrap();
    a.create(b"file", 0o644).unwrap();
    fs.root()
        .mkdir(b"mnt", 0o755)
        .unwrap()
        .create(b"hidden", 0o644)
        .unwrap();
    let mnt_fs = tmpfs();
    mnt_fs
        .root()
        .mkdir(b"x", 0o755)
        .unwrap()
        .mkdir(b"y", 0o755)
        .unwrap();

    let mounts = MountTable::new();
    let root = mounts.mount_root(fs, b"rootfs", b"", MountFlags::empty());
    let at = Resolver {
        mounts: &mounts,
        root: &root,
    }
    .resolve(&root, b"/mnt", Follow::Yes)
    .unwrap();
    let mnt = mounts
        .mount(&at, mnt_fs.clone(), b"tmpfs", b"", MountFlags::empty())
        .unwrap();
    World {
        mounts,
        root,
        mnt,
        mnt_fs,
    }
}

fn same(a: &Path, b: &Path) -> bool {
    a.same(b)
}

#[test]
fn absolute_and_relative_paths() {
    let w = world();
    let c = w.get("/a/b/c").unwrap();
    assert_eq!(w.name(&c), "/a/b/c");
    let a = w.get("/a").unwrap();
    assert!(same(&w.at(&a, "b/c").unwrap(), &c));
    assert!(same(&w.get("//a///b//c/").unwrap(), &c), "repeated slashes");
    assert!(same(&w.get("/").unwrap(), &w.root));
    assert!(
        Arc::ptr_eq(
            &w.get("/a/b").unwrap().dentry,
            &w.get("/a/b").unwrap().dentry
        ),
        "one dentry per live name"
    );
    assert_eq!(w.get("/a/nope").err(), Some(Errno::ENOENT));
    assert_eq!(w.get("").err(), Some(Errno::ENOENT));
    assert_eq!(
        w.r().resolve_parent(&w.root, b"").err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn dot_and_dotdot() {
    let w = world();
    let c = w.get("/a/b/c").unwrap();
    assert!(same(&w.get("/a/./b/../b/c/.").unwrap(), &c));
    assert!(same(&w.at(&c, "..").unwrap(), &w.get("/a/b").unwrap()));
    assert!(same(&w.at(&c, "../../..").unwrap(), &w.root));
    assert!(
        same(&w.get("/..").unwrap(), &w.root),
        "\"..\" at the root stays there"
    );
    assert!(same(&w.get("/../../a/../..").unwrap(), &w.root));
    assert!(same(
        &w.at(&c, "../../../../../a").unwrap(),
        &w.get("/a").unwrap()
    ));
}

#[test]
fn mounts_are_crossed_both_ways() {
    let w = world();
    let m = w.get("/mnt").unwrap();
    assert!(
        Arc::ptr_eq(&m.mnt, &w.mnt),
        "down into the mounted file system"
    );
    assert!(m.is_mount_root());
    assert_eq!(
        m.dentry.vnode().getattr().unwrap().ino,
        w.mnt_fs.root().getattr().unwrap().ino
    );
    assert_eq!(
        w.get("/mnt/hidden").err(),
        Some(Errno::ENOENT),
        "the covered directory is hidden"
    );
    let y = w.get("/mnt/x/y").unwrap();
    assert!(Arc::ptr_eq(&y.mnt, &w.mnt));
    assert!(
        w.mnt_fs.root().lookup(b"x").is_ok(),
        "created in the mounted tmpfs"
    );
    // ".." from the mount's root is the directory it covers' parent.
    assert!(same(&w.get("/mnt/..").unwrap(), &w.root));
    assert!(same(
        &w.at(&y, "../../../a").unwrap(),
        &w.get("/a").unwrap()
    ));
    assert!(same(
        &w.get("/mnt/x/../../a/b").unwrap(),
        &w.get("/a/b").unwrap()
    ));
    assert_eq!(w.name(&y), "/mnt/x/y");
    assert_eq!(w.name(&m), "/mnt");
    assert_eq!(w.name(&w.root), "/");
}

#[test]
fn mounts_stack_and_unmount() {
    let w = world();
    let m = w.get("/mnt").unwrap();
    // A second file system on the same place hides the first.
    let top_fs = tmpfs();
    top_fs.root().mkdir(b"top", 0o755).unwrap();
    let at = w.lget("/mnt").unwrap();
    let top = w
        .mounts
        .mount(&at, top_fs, b"t", b"", MountFlags::empty())
        .unwrap();
    assert!(Arc::ptr_eq(&w.get("/mnt").unwrap().mnt, &top));
    assert!(w.get("/mnt/top").is_ok());
    assert_eq!(w.get("/mnt/x").err(), Some(Errno::ENOENT));
    assert_eq!(
        w.mounts.umount(&m),
        Err(Errno::EBUSY),
        "something is mounted on it"
    );
    w.mounts.umount(&w.get("/mnt").unwrap()).unwrap();
    assert!(w.get("/mnt/x").is_ok(), "the lower one shows again");
    // Nested mount: the parent cannot go while the child is there.
    let inner_at = w.get("/mnt/x").unwrap();
    let inner = w
        .mounts
        .mount(&inner_at, tmpfs(), b"i", b"", MountFlags::empty())
        .unwrap();
    assert!(Arc::ptr_eq(&w.get("/mnt/x").unwrap().mnt, &inner));
    assert_eq!(w.mounts.umount(&m), Err(Errno::EBUSY));
    assert_eq!(w.mounts.umount(&w.get("/mnt/x/.").unwrap()), Ok(()));
    assert_eq!(
        w.mounts.umount(&w.get("/a").unwrap()),
        Err(Errno::EINVAL),
        "not a mount root"
    );
    assert_eq!(
        w.mounts.umount(&w.root),
        Err(Errno::EINVAL),
        "the root mount stays"
    );
    w.mounts.umount(&m).unwrap();
    assert!(
        w.get("/mnt/hidden").is_ok(),
        "the covered directory shows again"
    );
    let file = w.get("/a/file").unwrap();
    assert_eq!(
        w.mounts
            .mount(&file, tmpfs(), b"", b"", MountFlags::empty())
            .err(),
        Some(Errno::ENOTDIR)
    );
}

#[test]
fn mount_points_are_known_for_rmdir() {
    let w = world();
    // What the syscall layer's rmdir sees: resolving without following
    // gives the mount's root (is_mount_root), and the covered dentry is a
    // mount point.
    let victim = w.lget("/mnt").unwrap();
    assert!(victim.is_mount_root());
    let covered = Path {
        mnt: w.root.mnt.clone(),
        dentry: w.root.dentry.cached_child(b"mnt").unwrap(),
    };
    assert!(w.mounts.is_mountpoint(&covered));
    assert!(!w.mounts.is_mountpoint(&w.get("/a").unwrap()));
    assert!(!w.get("/a").unwrap().is_mount_root());
    let parent = w.r().resolve_parent(&w.root, b"/mnt").unwrap();
    assert_eq!(parent.name, b"mnt");
    assert!(same(&parent.dir, &w.root));
}

#[test]
fn symlinks_relative_absolute_and_chained() {
    let w = world();
    let c = w.get("/a/b/c").unwrap();
    w.symlink("b/c", "/a/rel");
    w.symlink("/a/b", "/abs");
    w.symlink("/abs", "/chain1");
    w.symlink("chain1", "/chain2");
    w.symlink("../../a", "/mnt/x/up");
    assert!(
        same(&w.get("/a/rel").unwrap(), &c),
        "relative to the link's directory"
    );
    assert!(
        same(&w.get("/abs/c").unwrap(), &c),
        "a symlink in the middle of a path"
    );
    assert!(same(&w.get("/chain2/c").unwrap(), &c));
    assert!(
        same(&w.get("/mnt/x/up/b").unwrap(), &w.get("/a/b").unwrap()),
        "out of a mount"
    );
    assert_eq!(w.name(&w.get("/chain2/c/..").unwrap()), "/a/b");
    let link = w.lget("/abs").unwrap();
    assert_eq!(
        link.dentry.vnode().readlink().unwrap(),
        b"/a/b",
        "Follow::No stops at the link"
    );
    assert!(
        same(
            &w.r().resolve(&w.root, b"/abs/", Follow::No).unwrap(),
            &w.get("/a/b").unwrap()
        ),
        "a trailing slash follows"
    );
    assert_eq!(w.name(&w.get("/a/rel").unwrap()), "/a/b/c");
}

#[test]
fn dangling_and_looping_symlinks() {
    let w = world();
    w.symlink("nowhere", "/dangling");
    w.symlink("/loop2", "/loop1");
    w.symlink("/loop1", "/loop2");
    w.symlink("self", "/self");
    assert_eq!(w.get("/dangling").err(), Some(Errno::ENOENT));
    assert!(w.lget("/dangling").is_ok());
    assert_eq!(w.get("/dangling/").err(), Some(Errno::ENOENT));
    assert_eq!(w.get("/loop1").err(), Some(Errno::ELOOP));
    assert_eq!(w.get("/self/x").err(), Some(Errno::ELOOP));
    // resolve_parent follows links in the directories, not the last name.
    let p = w.r().resolve_parent(&w.root, b"/dangling").unwrap();
    assert_eq!(p.name, b"dangling");
    assert_eq!(
        w.r().resolve_parent(&w.root, b"/loop1/x").err(),
        Some(Errno::ELOOP)
    );
}

#[test]
fn forty_symlinks_resolve_and_forty_one_do_not() {
    let w = world();
    let mut prev = String::from("/a/b");
    for i in 1..=41 {
        let name = format!("/l{i}");
        w.symlink(&prev, &name);
        prev = name;
    }
    assert!(same(&w.get("/l40").unwrap(), &w.get("/a/b").unwrap()));
    assert!(
        same(&w.get("/l40/c").unwrap(), &w.get("/a/b/c").unwrap()),
        "40 in the middle"
    );
    assert_eq!(w.get("/l41").err(), Some(Errno::ELOOP));
    assert_eq!(w.get("/l41/c").err(), Some(Errno::ELOOP));
    // The count is per resolution: two 20-link chains in one path are 40.
    assert!(w.get("/l20/../../l20").is_ok());
    assert_eq!(w.get("/l20/../../l21").err(), Some(Errno::ELOOP));
}

#[test]
fn files_in_the_middle_and_trailing_slashes() {
    let w = world();
    assert_eq!(w.get("/a/file/").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.get("/a/file/.").err(), Some(Errno::ENOTDIR));
    assert_eq!(w.get("/a/file/x").err(), Some(Errno::ENOTDIR));
    assert_eq!(
        w.r().resolve_parent(&w.root, b"/a/file/x").err(),
        Some(Errno::ENOTDIR)
    );
    assert!(w.get("/a/b/").is_ok());
    w.symlink("/a/file", "/tofile");
    assert_eq!(w.get("/tofile/").err(), Some(Errno::ENOTDIR));
    assert!(w.get("/tofile").is_ok());
}

#[test]
fn name_and_path_length_limits() {
    let w = world();
    let long = "n".repeat(255);
    w.touch(&format!("/a/{long}"));
    assert!(w.get(&format!("/a/{long}")).is_ok());
    let too_long = "n".repeat(256);
    assert_eq!(
        w.get(&format!("/a/{too_long}")).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        w.get(&format!("/{too_long}/x")).err(),
        Some(Errno::ENAMETOOLONG)
    );
    assert_eq!(
        w.r()
            .resolve_parent(&w.root, format!("/a/{too_long}").as_bytes())
            .err(),
        Some(Errno::ENAMETOOLONG)
    );
    // As Linux: a missing or non-directory parent is reported first.
    assert_eq!(
        w.r()
            .resolve_parent(&w.root, format!("/nope/{too_long}").as_bytes())
            .err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        w.r()
            .resolve_parent(&w.root, format!("/a/file/{too_long}").as_bytes())
            .err(),
        Some(Errno::ENOTDIR)
    );
    assert!(
        w.get(&"/".repeat(4095)).is_ok(),
        "4095 bytes is a valid length"
    );
    assert_eq!(w.get(&"/".repeat(4096)).err(), Some(Errno::ENAMETOOLONG));
    let deep = "./".repeat(2048);
    assert_eq!(
        w.r().resolve_parent(&w.root, deep.as_bytes()).err(),
        Some(Errno::ENAMETOOLONG)
    );
}

#[test]
fn resolve_parent_for_create_calls() {
    let w = world();
    let p = w.r().resolve_parent(&w.root, b"/a/b/new").unwrap();
    assert!(same(&p.dir, &w.get("/a/b").unwrap()));
    assert_eq!((p.name.as_slice(), p.trailing_slash), (&b"new"[..], false));
    let p = w.r().resolve_parent(&w.root, b"/a/b/newdir/").unwrap();
    assert_eq!(
        (p.name.as_slice(), p.trailing_slash),
        (&b"newdir"[..], true)
    );
    let p = w.r().resolve_parent(&w.root, b"/").unwrap();
    assert_eq!(p.name, b".");
    let a = w.get("/a").unwrap();
    let p = w.r().resolve_parent(&a, b"b/..").unwrap();
    assert_eq!(p.name, b"..", "the caller refuses \".\" and \"..\"");
    assert!(same(&p.dir, &w.get("/a/b").unwrap()));
    let p = w.r().resolve_parent(&a, b"plain").unwrap();
    assert!(same(&p.dir, &a));
    w.symlink("/a/b", "/lnk");
    let p = w.r().resolve_parent(&w.root, b"/lnk/new").unwrap();
    assert!(same(&p.dir, &w.get("/a/b").unwrap()));
    let p = w.r().resolve_parent(&w.root, b"/mnt/new").unwrap();
    assert!(
        Arc::ptr_eq(&p.dir.mnt, &w.mnt),
        "the parent is the mounted root"
    );
    assert_eq!(
        w.r().resolve_parent(&w.root, b"/nope/new").err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn getcwd_names_follow_renames_across_mounts() {
    let w = world();
    let cwd = w.get("/a/b/c").unwrap();
    // rename /a -> /z as the syscall layer does: the file system, then the dentries.
    let root = w.root.dentry.clone();
    root.vnode().rename(b"a", root.vnode(), b"z", 0).unwrap();
    root.move_child(b"a", &root, b"z");
    assert_eq!(w.name(&cwd), "/z/b/c");
    assert!(same(&w.get("/z/b/c").unwrap(), &cwd));
    assert_eq!(w.get("/a").err(), Some(Errno::ENOENT));
    // Into another directory of the mounted file system.
    let y = w.get("/mnt/x/y").unwrap();
    let m = w.get("/mnt").unwrap();
    w.mkdir("/mnt/other");
    let x = w.get("/mnt/x").unwrap();
    let other = w.get("/mnt/other").unwrap();
    x.dentry
        .vnode()
        .rename(b"y", other.dentry.vnode(), b"moved", 0)
        .unwrap();
    x.dentry.move_child(b"y", &other.dentry, b"moved");
    assert_eq!(w.name(&y), "/mnt/other/moved");
    assert!(same(&w.at(&y, "..").unwrap(), &other));
    assert!(same(&w.at(&y, "../..").unwrap(), &m));
    // A chrooted resolver names paths from its own root.
    let z = w.get("/z").unwrap();
    let jail = Resolver {
        mounts: &w.mounts,
        root: &z,
    };
    assert_eq!(jail.name_of(&cwd), b"/b/c");
    assert!(
        same(
            &jail.resolve(&cwd, b"../../../..", Follow::Yes).unwrap(),
            &z
        ),
        "\"..\" never leaves the root"
    );
    assert!(same(
        &jail.resolve(&w.root, b"/b", Follow::Yes).unwrap(),
        &w.get("/z/b").unwrap()
    ));
}

#[test]
fn rename_into_own_subtree_is_detectable() {
    let w = world();
    let a = w.get("/a").unwrap();
    let c = w.get("/a/b/c").unwrap();
    assert!(c.dentry.is_within(&a.dentry));
    assert!(a.dentry.is_within(&a.dentry));
    assert!(!a.dentry.is_within(&c.dentry));
    assert!(!w.get("/mnt/x").unwrap().dentry.is_within(&a.dentry));
    // The file system refuses it too.
    let root = w.root.dentry.vnode();
    assert_eq!(
        root.rename(b"a", c.dentry.vnode(), b"a", 0),
        Err(Errno::EINVAL)
    );
}

#[test]
fn removed_names_leave_deleted_dentries() {
    let w = world();
    let f = w.get("/a/file").unwrap();
    let a = w.get("/a").unwrap();
    a.dentry.vnode().unlink(b"file").unwrap();
    a.dentry.detach(b"file");
    assert!(f.dentry.is_deleted());
    assert_eq!(w.get("/a/file").err(), Some(Errno::ENOENT));
    // The file stays usable through what still holds it.
    assert_eq!(f.dentry.vnode().getattr().unwrap().nlink, 0);
    assert_eq!(write(f.dentry.vnode(), 0, b"still"), 5);
    // A name created again is a new dentry.
    let again = w.touch("/a/file");
    assert!(!Arc::ptr_eq(&again.dentry, &f.dentry));
    assert!(!again.dentry.is_deleted());
    assert_ne!(w.ino("/a/file"), f.dentry.vnode().getattr().unwrap().ino);
}

/// A tmpfs that asks the VFS not to keep names, as 9p and virtio-fs do.
struct Uncached(Arc<Tmpfs>);

impl FileSystem for Uncached {
    fn root(&self) -> lintel_vfs::VnodeRef {
        self.0.root()
    }
    fn name(&self) -> &str {
        "uncached"
    }
    fn cache_names(&self) -> bool {
        false
    }
}

#[test]
fn mount_points_survive_fresh_lookups_on_uncached_file_systems() {
    let fs = tmpfs();
    fs.root().mkdir(b"dev", 0o755).unwrap();
    let mounts = MountTable::new();
    let root = mounts.mount_root(Arc::new(Uncached(fs)), b"share", b"", MountFlags::empty());
    let r = Resolver {
        mounts: &mounts,
        root: &root,
    };
    let at = r.resolve(&root, b"/dev", Follow::Yes).unwrap();
    let dev = tmpfs();
    dev.root().create(b"null", 0o666).unwrap();
    let m = mounts
        .mount(&at, dev, b"dev", b"", MountFlags::empty())
        .unwrap();
    drop(at);
    assert!(Arc::ptr_eq(
        &r.resolve(&root, b"/dev", Follow::Yes).unwrap().mnt,
        &m
    ));
    // What mkdir("/dev") or open("/dev", O_CREAT) do first: a fresh lookup
    // of the name. It must not replace the mount point's dentry.
    let p = r.resolve_parent(&root, b"/dev").unwrap();
    let _ = p
        .dir
        .dentry
        .child(&p.name, p.dir.mnt.fs.cache_names())
        .unwrap();
    assert!(
        r.resolve(&root, b"/dev/null", Follow::Yes).is_ok(),
        "the mount is still crossed"
    );
    assert!(Arc::ptr_eq(
        &r.resolve(&root, b"/dev", Follow::Yes).unwrap().mnt,
        &m
    ));
    // Names that are not mount points are looked up afresh each time.
    let a = r.resolve(&root, b"/dev/..", Follow::Yes).unwrap();
    assert!(a.same(&root));
}
