//! mmap, munmap, mprotect, mremap, madvise on anonymous memory.

use super::shared_file::{self, SharedFile};
use super::special;
use super::vma::page_range;
use super::{page_up, VmaKind, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE};
use crate::{Cx, Errno, SysResult};
use alloc::sync::Arc;
use lintel_vfs::{FileKind, FileType, Handle, VnodeRef};

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_POPULATE: u64 = 0x8000;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

const PROT_MASK: u64 = (PROT_READ | PROT_WRITE | PROT_EXEC) as u64;
/// PROT_GROWSDOWN / PROT_GROWSUP are accepted and ignored.
const PROT_GROWS: u64 = 0x0100_0000 | 0x0200_0000;

fn aligned(a: u64) -> bool {
    a.is_multiple_of(PAGE_SIZE)
}

pub fn sys_mmap(
    cx: &mut Cx,
    addr: u64,
    len: u64,
    prot: u64,
    flags: u64,
    fd: u64,
    off: u64,
) -> SysResult {
    if prot & !(PROT_MASK | PROT_GROWS) != 0 || len == 0 || !aligned(off) {
        return Err(Errno::EINVAL);
    }
    let shared = match flags & MAP_TYPE {
        MAP_PRIVATE => false,
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        _ => return Err(Errno::EINVAL),
    };
    let file = if flags & MAP_ANONYMOUS == 0 {
        file_source(cx, fd, prot, shared)?
    } else {
        None
    };
    let len = page_up(len).ok_or(Errno::ENOMEM)?;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !aligned(addr) {
            return Err(Errno::EINVAL);
        }
        let (s, e) = page_range(addr, len).ok_or(Errno::ENOMEM)?;
        if s < super::MMAP_MIN {
            return Err(Errno::EPERM);
        }
        if cx.p.mm.overlaps(s, e) {
            if flags & MAP_FIXED == 0 {
                return Err(Errno::EEXIST);
            }
            special::check_split(&cx.p.mm, s, e)?;
            let _ = shared_file::flush(cx.k, &cx.p.mm, s, e, true);
            cx.p.mm.remove(s, e);
            cx.k.unmap(s, e - s);
        }
        s
    } else {
        cx.p.mm
            .find_free(super::page_down(addr), len)
            .ok_or(Errno::ENOMEM)?
    };
    let kind = if shared {
        VmaKind::Shared
    } else {
        VmaKind::Anon
    };
    let prot = (prot & PROT_MASK) as u32;
    cx.p.mm.insert(start, start + len, prot, kind);
    if let Some((h, vnode)) = file {
        // File pages are copied in now: a private mapping owns its copy, a
        // shared one is written back (see shared_file).
        if let Err(e) = fill_from_file(cx, h.as_ref(), start, len, off, prot) {
            cx.p.mm.remove(start, start + len);
            cx.k.unmap(start, len);
            return Err(e);
        }
        if shared {
            cx.p.mm.add_shared_file(SharedFile {
                start,
                end: start + len,
                off,
                vnode,
                handle: h,
            });
        }
    }
    if flags & MAP_POPULATE != 0 && prot != 0 {
        let mut page = start;
        while page < start + len {
            cx.k.populate(page, prot)?;
            page += PAGE_SIZE;
        }
    }
    Ok(start)
}

/// An open file's handle and its vnode: where a file mapping's pages come from.
type MapSource = (Arc<dyn Handle>, VnodeRef);

/// The file a mapping comes from, after mmap's checks (None: anonymous memory).
fn file_source(cx: &mut Cx, fd: u64, prot: u64, shared: bool) -> Result<Option<MapSource>, Errno> {
    let f = cx.p.fds.get(fd as i32)?.clone();
    let FileKind::Node { path, handle } = &f.kind else {
        return Err(Errno::ENODEV);
    };
    let h = handle.as_ref().ok_or(Errno::EBADF)?;
    match path.dentry.vnode().file_type()? {
        FileType::Regular => {}
        // /dev/zero and friends map as anonymous memory.
        FileType::CharDevice => return Ok(None),
        _ => return Err(Errno::ENODEV),
    }
    if !f.flags().readable() {
        return Err(Errno::EACCES);
    }
    if shared && prot & PROT_WRITE as u64 != 0 && !f.flags().writable() {
        return Err(Errno::EACCES);
    }
    Ok(Some((h.clone(), path.dentry.vnode().clone())))
}

fn fill_from_file(
    cx: &mut Cx,
    h: &dyn Handle,
    start: u64,
    len: u64,
    off: u64,
    prot: u32,
) -> Result<(), Errno> {
    let mut buf = [0u8; PAGE_SIZE as usize];
    let mut done = 0;
    while done < len {
        let mut got = 0;
        while got < buf.len() {
            let n = h.read_at(off + done + got as u64, &mut buf[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        if got == 0 {
            break; // past EOF the pages stay zero (and fault in lazily)
        }
        cx.k.populate(start + done, prot)?;
        cx.k.copy_out(start + done, &buf[..got]);
        cx.k.take_dirty(start + done); // the file's own bytes are not a change
        done += PAGE_SIZE;
    }
    Ok(())
}

pub fn sys_munmap(cx: &mut Cx, addr: u64, len: u64) -> SysResult {
    if !aligned(addr) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let (s, e) = page_range(addr, len).ok_or(Errno::EINVAL)?;
    special::check_split(&cx.p.mm, s, e)?;
    // munmap cannot fail for a write-back error; msync reports those.
    let _ = shared_file::flush(cx.k, &cx.p.mm, s, e, true);
    for v in cx.p.mm.remove(s, e) {
        cx.k.unmap(v.start, v.end - v.start);
    }
    Ok(0)
}

const MS_ASYNC: u64 = 1;
const MS_INVALIDATE: u64 = 2;
const MS_SYNC: u64 = 4;

pub fn sys_msync(cx: &mut Cx, addr: u64, len: u64, flags: u64) -> SysResult {
    if !aligned(addr)
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
    {
        return Err(Errno::EINVAL);
    }
    let (s, e) = page_range(addr, len).ok_or(Errno::ENOMEM)?;
    if !cx.p.mm.fully_mapped(s, e) {
        return Err(Errno::ENOMEM);
    }
    shared_file::flush(cx.k, &cx.p.mm, s, e, false)?;
    Ok(0)
}

pub fn sys_mprotect(cx: &mut Cx, addr: u64, len: u64, prot: u64) -> SysResult {
    if !aligned(addr) || prot & !(PROT_MASK | PROT_GROWS) != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let (s, e) = page_range(addr, len).ok_or(Errno::ENOMEM)?;
    if !cx.p.mm.fully_mapped(s, e) {
        return Err(Errno::ENOMEM);
    }
    let prot = (prot & PROT_MASK) as u32;
    special::check_protect(&cx.p.mm, s, e, prot)?;
    cx.p.mm.protect(s, e, prot);
    cx.k.protect(s, e - s, prot);
    Ok(0)
}

pub fn sys_mremap(
    cx: &mut Cx,
    old: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> SysResult {
    if !aligned(old) || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = page_up(old_len).ok_or(Errno::EINVAL)?;
    let new_len = page_up(new_len).ok_or(Errno::EINVAL)?;
    if new_len == 0 {
        return Err(Errno::EINVAL);
    }
    let vma = cx.p.mm.find(old).ok_or(Errno::EFAULT)?;
    let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
    if old_end > vma.end {
        return Err(Errno::EFAULT);
    }
    special::check_remap(&vma, old, old_len, new_len)?;
    if flags & MREMAP_FIXED == 0 {
        if new_len <= old_len {
            if new_len < old_len {
                cx.p.mm.remove(old + new_len, old_end);
                cx.k.unmap(old + new_len, old_len - new_len);
            }
            return Ok(old);
        }
        // Grow in place when the pages after it are free.
        let grow_end = old.checked_add(new_len).ok_or(Errno::ENOMEM)?;
        if grow_end <= super::USER_END && !cx.p.mm.overlaps(old_end, grow_end) {
            cx.p.mm.insert(old_end, grow_end, vma.prot, vma.kind);
            return Ok(old);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
    }
    let dest = if flags & MREMAP_FIXED != 0 {
        if !aligned(new_addr) {
            return Err(Errno::EINVAL);
        }
        let (s, e) = page_range(new_addr, new_len).ok_or(Errno::EINVAL)?;
        if s < old_end && old < e {
            return Err(Errno::EINVAL); // overlapping source and destination
        }
        special::check_split(&cx.p.mm, s, e)?;
        for v in cx.p.mm.remove(s, e) {
            cx.k.unmap(v.start, v.end - v.start);
        }
        s
    } else {
        cx.p.mm.find_free(0, new_len).ok_or(Errno::ENOMEM)?
    };
    let moved = old_len.min(new_len);
    // A moved shared file mapping is written back and continues as a copy.
    let _ = shared_file::flush(cx.k, &cx.p.mm, old, old_end, true);
    cx.p.mm.remove(old, old_end);
    cx.k.unmap(dest, new_len);
    cx.k.remap(old, dest, moved);
    if old_len > moved {
        cx.k.unmap(old + moved, old_len - moved);
    }
    let kind = special::moved_kind(&vma, dest);
    cx.p.mm.insert(dest, dest + new_len, vma.prot, kind);
    Ok(dest)
}

const MADV_DONTNEED: u64 = 4;
const MADV_FREE: u64 = 8;
const MADV_REMOVE: u64 = 9;

pub fn sys_madvise(cx: &mut Cx, addr: u64, len: u64, advice: u64) -> SysResult {
    if !aligned(addr) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let (s, e) = page_range(addr, len).ok_or(Errno::EINVAL)?;
    if !cx.p.mm.fully_mapped(s, e) {
        return Err(Errno::ENOMEM);
    }
    match advice {
        // Private anonymous pages read back as zeros afterwards.
        MADV_DONTNEED | MADV_FREE | MADV_REMOVE => {
            special::check_madvise(&cx.p.mm, s, e, advice == MADV_DONTNEED)?;
            let _ = shared_file::flush(cx.k, &cx.p.mm, s, e, false);
            cx.k.unmap(s, e - s)
        }
        // Hints (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTFORK, HUGEPAGE...): nothing to do.
        0..=3 | 10..=21 | 100..=101 => {}
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::mm::MMAP_BASE;
    use crate::testkit::TestBed;
    use crate::Errno;

    const ANON: u64 = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS
    const RW: u64 = 3;

    fn err(e: Errno) -> u64 {
        (-(e.into_raw() as i64)) as u64
    }

    #[test]
    fn mmap_is_top_down_lazy_and_zeroed() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0, 0x2000, RW, ANON, u64::MAX, 0]);
        assert_eq!(a, MMAP_BASE - 0x2000);
        assert_eq!(
            t.k.pages.len(),
            0,
            "nothing is populated before it is touched"
        );
        assert_eq!(t.peek(a + 0x1ff0, 16), [0; 16]);
        t.poke(a, b"data");
        assert_eq!(t.peek(a, 4), b"data");
    }

    #[test]
    fn mmap_rejects_bad_arguments_like_linux() {
        let mut t = TestBed::new();
        assert_eq!(
            t.call("mmap", [0, 0, RW, ANON, u64::MAX, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(
            t.call("mmap", [0, 4096, RW, 0x20, u64::MAX, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(
            t.call("mmap", [0, 4096, 0x80, ANON, u64::MAX, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(
            t.call("mmap", [0x1001, 4096, RW, ANON | 0x10, u64::MAX, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(
            t.call("mmap", [0, u64::MAX - 10, RW, ANON, u64::MAX, 0]),
            err(Errno::ENOMEM)
        );
        assert_eq!(
            t.call("mmap", [0, 4096, RW, 0x02, 99, 0]),
            err(Errno::EBADF)
        );
    }

    #[test]
    fn fixed_replaces_and_noreplace_refuses() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0x200000, 0x3000, RW, ANON | 0x10, u64::MAX, 0]);
        assert_eq!(a, 0x200000);
        t.poke(0x201000, b"old");
        assert_eq!(
            t.call("mmap", [0x201000, 0x1000, RW, ANON | 0x10, u64::MAX, 0]),
            0x201000
        );
        assert_eq!(t.peek(0x201000, 3), [0; 3]);
        assert_eq!(
            t.call("mmap", [0x200000, 0x1000, RW, ANON | 0x100000, u64::MAX, 0]),
            err(Errno::EEXIST)
        );
    }

    #[test]
    fn munmap_then_access_faults() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0, 0x3000, RW, ANON, u64::MAX, 0]);
        t.poke(a + 0x1000, b"x");
        assert_eq!(t.call("munmap", [a + 0x1000, 0x1000, 0, 0, 0, 0]), 0);
        assert!(t.try_peek(a + 0x1000, 1).is_err());
        assert!(t.try_peek(a, 1).is_ok());
        assert_eq!(
            t.call("munmap", [a + 1, 0x1000, 0, 0, 0, 0]),
            err(Errno::EINVAL)
        );
        // Unmapping nothing is fine.
        assert_eq!(t.call("munmap", [0x10000, 0x1000, 0, 0, 0, 0]), 0);
    }

    #[test]
    fn mprotect_needs_a_full_mapping_and_is_enforced() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0, 0x2000, RW, ANON, u64::MAX, 0]);
        assert_eq!(t.call("mprotect", [a, 0x2000, 1, 0, 0, 0]), 0);
        assert!(t.try_poke(a, b"x").is_err(), "read-only now");
        assert!(t.try_peek(a, 1).is_ok());
        assert_eq!(
            t.call("mprotect", [a, 0x3000, 1, 0, 0, 0]),
            err(Errno::ENOMEM)
        );
        assert_eq!(t.call("mprotect", [a, 0x1000, 0, 0, 0, 0]), 0);
        assert!(t.try_peek(a, 1).is_err(), "PROT_NONE");
    }

    #[test]
    fn mremap_grows_in_place_or_moves_keeping_data() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0x300000, 0x1000, RW, ANON | 0x10, u64::MAX, 0]);
        t.poke(a, b"keep");
        // Room after it: grows in place.
        assert_eq!(t.call("mremap", [a, 0x1000, 0x2000, 0, 0, 0]), a);
        // Block the space after it: without MAYMOVE it fails, with it it moves.
        t.call("mmap", [a + 0x2000, 0x1000, RW, ANON | 0x10, u64::MAX, 0]);
        assert_eq!(
            t.call("mremap", [a, 0x2000, 0x4000, 0, 0, 0]),
            err(Errno::ENOMEM)
        );
        let b = t.call("mremap", [a, 0x2000, 0x4000, 1, 0, 0]);
        assert_ne!(b, a);
        assert_eq!(t.peek(b, 4), b"keep");
        assert!(t.try_peek(a, 1).is_err(), "old range is gone");
        // Shrink.
        assert_eq!(t.call("mremap", [b, 0x4000, 0x1000, 0, 0, 0]), b);
        assert!(t.try_peek(b + 0x1000, 1).is_err());
        assert_eq!(
            t.call("mremap", [0x7000_0000, 0x1000, 0x2000, 1, 0, 0]),
            err(Errno::EFAULT)
        );
    }

    #[test]
    fn madvise_dontneed_zeroes() {
        let mut t = TestBed::new();
        let a = t.call("mmap", [0, 0x1000, RW, ANON, u64::MAX, 0]);
        t.poke(a, b"gone");
        assert_eq!(t.call("madvise", [a, 0x1000, 4, 0, 0, 0]), 0);
        assert_eq!(t.peek(a, 4), [0; 4]);
        assert_eq!(
            t.call("madvise", [a, 0x1000, 999, 0, 0, 0]),
            err(Errno::EINVAL)
        );
    }
}
