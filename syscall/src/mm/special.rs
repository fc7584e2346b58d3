//! The kernel's own pages in every address space: the vDSO's text
//! (`[vdso]`, an ELF shared object the C library finds through
//! AT_SYSINFO_EHDR) and the data page its clocks read (`[vvar]`), one page
//! below it. exec maps both; fork keeps them (they are part of the address
//! space); munmap, mprotect, mremap and madvise treat them as Linux treats
//! its special mappings. Their frames belong to the kernel and are shared
//! by every process: the vvar page can never be made writable, and a
//! write to the vDSO text (after mprotect) lands in a private copy.

use super::{
    MemoryMap, Vma, VmaKind, MMAP_BASE, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE,
    STACK_TOP,
};
use crate::{Errno, Kernel};

/// Which of the kernel's page sets a mapping shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialPages {
    /// The clock data the vDSO reads (Linux's vvar).
    Vvar,
    /// The vDSO's ELF image.
    Vdso,
}

impl SpecialPages {
    /// The name /proc/PID/maps shows.
    pub fn name(self) -> &'static str {
        match self {
            SpecialPages::Vvar => "[vvar]",
            SpecialPages::Vdso => "[vdso]",
        }
    }

    /// What mprotect may grant (Linux's VM_MAY* flags): the data page is
    /// never writable or executable; the text may be made writable (a
    /// debugger's breakpoint), which copies the page on the first write.
    pub fn max_prot(self) -> u32 {
        match self {
            SpecialPages::Vvar => PROT_READ,
            SpecialPages::Vdso => PROT_READ | PROT_WRITE | PROT_EXEC,
        }
    }

    /// The protection exec maps them with.
    fn prot(self) -> u32 {
        match self {
            SpecialPages::Vvar => PROT_READ,
            SpecialPages::Vdso => PROT_READ | PROT_EXEC,
        }
    }
}

/// The sizes of the kernel's vDSO, in pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VdsoLayout {
    pub vvar_pages: u64,
    pub text_pages: u64,
}

/// Where exec maps the vvar pages, the vDSO's text right above them: just
/// under 1 MiB below the stack's lowest page (as Linux keeps the vDSO near
/// the stack), above every address mmap picks by itself (below
/// `MMAP_BASE`), so only MAP_FIXED can land on them.
pub const VVAR_START: u64 = 0x7fff_ff70_0000;

const _: () = assert!(VVAR_START >= MMAP_BASE && VVAR_START.is_multiple_of(PAGE_SIZE));

impl VdsoLayout {
    /// The number of pages of `which`.
    pub fn pages(&self, which: SpecialPages) -> u64 {
        match which {
            SpecialPages::Vvar => self.vvar_pages,
            SpecialPages::Vdso => self.text_pages,
        }
    }

    /// The vDSO's ELF header: AT_SYSINFO_EHDR.
    pub fn text_start(&self) -> u64 {
        VVAR_START + self.vvar_pages * PAGE_SIZE
    }

    /// The end of the text, or None if it would reach the stack.
    fn end(&self) -> Option<u64> {
        let pages = self.vvar_pages.checked_add(self.text_pages)?;
        let end = VVAR_START.checked_add(pages.checked_mul(PAGE_SIZE)?)?;
        (end <= STACK_TOP - STACK_SIZE).then_some(end)
    }
}

/// Where the kernel's vDSO goes in a new address space, so that exec can
/// name it in AT_SYSINFO_EHDR before mapping it. None when the kernel has
/// none, when it would not fit below the stack, or when `taken` (the
/// program's own segments) says its range is in use.
pub fn vdso_place(k: &dyn Kernel, taken: impl Fn(u64, u64) -> bool) -> Option<VdsoLayout> {
    let layout = k.vdso_pages().filter(|l| l.text_pages > 0)?;
    let end = layout.end()?;
    (!taken(VVAR_START, end)).then_some(layout)
}

/// Maps the vvar and the vDSO text of `layout` into `mm`, a fresh address
/// space, with their pages present.
pub fn map_vdso(k: &mut dyn Kernel, mm: &MemoryMap, layout: &VdsoLayout) -> Result<(), Errno> {
    let mut start = VVAR_START;
    for which in [SpecialPages::Vvar, SpecialPages::Vdso] {
        let pages = layout.pages(which);
        if pages == 0 {
            continue;
        }
        let end = start + pages * PAGE_SIZE;
        mm.insert(
            start,
            end,
            which.prot(),
            VmaKind::Special { which, base: start },
        );
        for i in 0..pages {
            k.populate_special(start + i * PAGE_SIZE, which, i, which.prot())?;
        }
        start = end;
    }
    Ok(())
}

/// Makes `page`, inside `vma`, present for an access its protection
/// allows: the kernel's own page for a special mapping, else a zeroed (or
/// copied-on-write) frame.
pub fn populate_page(k: &mut dyn Kernel, vma: &Vma, page: u64) -> Result<(), Errno> {
    match vma.kind {
        VmaKind::Special { which, base } => {
            let index = page.checked_sub(base).ok_or(Errno::EFAULT)? / PAGE_SIZE;
            k.populate_special(page, which, index, vma.prot)
        }
        _ => k.populate(page, vma.prot),
    }
}

/// The special mappings intersecting `[start, end)`.
fn specials(mm: &MemoryMap, start: u64, end: u64) -> impl Iterator<Item = (Vma, SpecialPages)> {
    mm.vmas().into_iter().filter_map(move |v| match v.kind {
        VmaKind::Special { which, .. } if v.start < end && start < v.end => Some((v, which)),
        _ => None,
    })
}

/// Linux forbids splitting a special mapping (the kernel expects all of
/// its pages in one piece): EINVAL when `[start, end)` cuts through one.
/// munmap, MAP_FIXED and mremap's destination remove whole ones only.
pub fn check_split(mm: &MemoryMap, start: u64, end: u64) -> Result<(), Errno> {
    if specials(mm, start, end).any(|(v, _)| v.start < start || end < v.end) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// mprotect of `[start, end)` to `prot`: EACCES when a special mapping
/// may not have it, EINVAL when the change would split one.
pub fn check_protect(mm: &MemoryMap, start: u64, end: u64, prot: u32) -> Result<(), Errno> {
    for (v, which) in specials(mm, start, end) {
        if v.prot == prot {
            continue; // nothing changes there, nothing splits
        }
        if prot & !which.max_prot() != 0 {
            return Err(Errno::EACCES);
        }
        if v.start < start || end < v.end {
            return Err(Errno::EINVAL);
        }
    }
    Ok(())
}

/// madvise of `[start, end)`: the vvar page cannot be dropped (Linux's
/// is a PFN mapping) and the vDSO text is not anonymous memory (only
/// MADV_DONTNEED, which gives back the kernel's page on the next touch).
pub fn check_madvise(mm: &MemoryMap, start: u64, end: u64, dontneed: bool) -> Result<(), Errno> {
    let refused =
        specials(mm, start, end).any(|(_, which)| which == SpecialPages::Vvar || !dontneed);
    if refused {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// mremap of `[old, old+old_len)` in `vma` to `new_len` bytes: a special
/// mapping moves only whole and at its size (CRIU moves the vDSO); it
/// cannot grow (EFAULT, Linux's VM_DONTEXPAND) or lose pages (EINVAL).
pub fn check_remap(vma: &Vma, old: u64, old_len: u64, new_len: u64) -> Result<(), Errno> {
    if !matches!(vma.kind, VmaKind::Special { .. }) {
        return Ok(());
    }
    if new_len > old_len {
        return Err(Errno::EFAULT);
    }
    if old != vma.start || old_len != vma.end - vma.start || new_len != old_len {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The kind of `vma` once moved to `dest` (a special mapping's pages are
/// counted from its new start).
pub fn moved_kind(vma: &Vma, dest: u64) -> VmaKind {
    match vma.kind {
        VmaKind::Special { which, .. } => VmaKind::Special { which, base: dest },
        kind => kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestBed;

    const LAYOUT: VdsoLayout = VdsoLayout {
        vvar_pages: 1,
        text_pages: 2,
    };

    fn err(e: Errno) -> u64 {
        (-(e.into_raw() as i64)) as u64
    }

    fn kinds(t: &TestBed) -> alloc::vec::Vec<(u64, u64, u32, &'static str)> {
        t.p.mm
            .vmas()
            .iter()
            .filter_map(|v| match v.kind {
                VmaKind::Special { which, .. } => Some((v.start, v.end, v.prot, which.name())),
                _ => None,
            })
            .collect()
    }

    fn mapped() -> TestBed {
        let mut t = TestBed::new();
        t.k.vdso = Some(LAYOUT);
        let l = vdso_place(&t.k, |_, _| false).expect("room for the vDSO");
        map_vdso(&mut t.k, &t.p.mm.clone(), &l).unwrap();
        t
    }

    #[test]
    fn placed_below_the_stack_above_mmaps_range() {
        let mut t = mapped();
        let text = LAYOUT.text_start();
        assert_eq!(text, VVAR_START + PAGE_SIZE);
        assert_eq!(
            kinds(&t),
            [
                (VVAR_START, text, PROT_READ, "[vvar]"),
                (text, text + 2 * PAGE_SIZE, PROT_READ | PROT_EXEC, "[vdso]"),
            ]
        );
        assert!(text + 2 * PAGE_SIZE <= STACK_TOP - STACK_SIZE);
        // mmap never picks it by itself.
        let a = t.call("mmap", [0, 0x4000, 3, 0x22, u64::MAX, 0]);
        assert!(a + 0x4000 <= MMAP_BASE);
        // The pages are the kernel's, present from the start.
        assert_eq!(
            t.k.pages[&VVAR_START].0,
            t.k.special_page(SpecialPages::Vvar, 0)
        );
        assert_eq!(
            t.k.pages[&(text + PAGE_SIZE)].0,
            t.k.special_page(SpecialPages::Vdso, 1)
        );
    }

    #[test]
    fn no_vdso_when_the_kernel_has_none_or_the_program_is_there() {
        let mut t = TestBed::new();
        assert_eq!(vdso_place(&t.k, |_, _| false), None);
        t.k.vdso = Some(LAYOUT);
        assert_eq!(
            vdso_place(&t.k, |s, e| s < VVAR_START + 1 && VVAR_START < e),
            None
        );
        t.k.vdso = Some(VdsoLayout {
            vvar_pages: 1,
            text_pages: 1 << 20,
        });
        assert_eq!(vdso_place(&t.k, |_, _| false), None, "too big to fit");
    }

    #[test]
    fn dropped_text_pages_come_back_from_the_kernel() {
        let mut t = mapped();
        let text = LAYOUT.text_start();
        assert_eq!(t.call("madvise", [text, 2 * PAGE_SIZE, 4, 0, 0, 0]), 0);
        assert!(!t.k.pages.contains_key(&text));
        let vdso = t.k.special_page(SpecialPages::Vdso, 0);
        assert_eq!(t.peek(text, 16), &vdso[..16], "refilled, not zeroed");
        assert_eq!(
            crate::mm::handle_user_fault(
                &mut t.k,
                &t.p.mm,
                text + PAGE_SIZE + 8,
                crate::mm::FaultAccess::Exec
            ),
            Ok(())
        );
        assert_eq!(
            t.k.pages[&(text + PAGE_SIZE)].0,
            t.k.special_page(SpecialPages::Vdso, 1)
        );
        // The data page cannot be dropped; neither can be freed or removed.
        assert_eq!(
            t.call("madvise", [VVAR_START, PAGE_SIZE, 4, 0, 0, 0]),
            err(Errno::EINVAL)
        );
        for advice in [8, 9] {
            assert_eq!(
                t.call("madvise", [text, PAGE_SIZE, advice, 0, 0, 0]),
                err(Errno::EINVAL)
            );
        }
    }

    #[test]
    fn mprotect_like_linux_no_writable_vvar_no_split() {
        let mut t = mapped();
        let text = LAYOUT.text_start();
        let (r, rw, rx, rwx) = (PROT_READ as u64, 3, 5, 7);
        assert_eq!(
            t.call("mprotect", [VVAR_START, PAGE_SIZE, rw, 0, 0, 0]),
            err(Errno::EACCES)
        );
        assert_eq!(
            t.call("mprotect", [VVAR_START, PAGE_SIZE, rx, 0, 0, 0]),
            err(Errno::EACCES)
        );
        assert_eq!(t.call("mprotect", [VVAR_START, PAGE_SIZE, 0, 0, 0, 0]), 0);
        assert_eq!(t.call("mprotect", [VVAR_START, PAGE_SIZE, r, 0, 0, 0]), 0);
        // Half of the text: a split, refused; unless nothing changes.
        assert_eq!(
            t.call("mprotect", [text, PAGE_SIZE, rwx, 0, 0, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(t.call("mprotect", [text, PAGE_SIZE, rx, 0, 0, 0]), 0);
        // The whole text may become writable (a debugger's breakpoints).
        assert_eq!(t.call("mprotect", [text, 2 * PAGE_SIZE, rwx, 0, 0, 0]), 0);
        assert_eq!(
            kinds(&t),
            [
                (VVAR_START, text, PROT_READ, "[vvar]"),
                (text, text + 2 * PAGE_SIZE, 7, "[vdso]"),
            ]
        );
    }

    #[test]
    fn munmap_and_map_fixed_take_them_whole_only() {
        let mut t = mapped();
        let text = LAYOUT.text_start();
        assert_eq!(
            t.call("munmap", [text, PAGE_SIZE, 0, 0, 0, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(
            t.call("mmap", [text + PAGE_SIZE, PAGE_SIZE, 3, 0x32, u64::MAX, 0]),
            err(Errno::EINVAL)
        );
        let vdso = t.k.special_page(SpecialPages::Vdso, 1);
        assert_eq!(t.peek(text + PAGE_SIZE, 8), &vdso[..8], "untouched");
        assert_eq!(t.call("munmap", [text, 2 * PAGE_SIZE, 0, 0, 0, 0]), 0);
        assert!(t.try_peek(text, 1).is_err());
        assert_eq!(kinds(&t), [(VVAR_START, text, PROT_READ, "[vvar]")]);
        // MAP_FIXED over the whole vvar replaces it.
        assert_eq!(
            t.call("mmap", [VVAR_START, PAGE_SIZE, 3, 0x32, u64::MAX, 0]),
            VVAR_START
        );
        assert_eq!(t.peek(VVAR_START, 8), [0; 8]);
        assert_eq!(kinds(&t), []);
    }

    #[test]
    fn mremap_moves_only_the_whole_mapping() {
        let mut t = mapped();
        let text = LAYOUT.text_start();
        let dest = 0x6000_0000u64;
        assert_eq!(
            t.call("mremap", [text, 2 * PAGE_SIZE, 3 * PAGE_SIZE, 1, 0, 0]),
            err(Errno::EFAULT),
            "cannot grow"
        );
        assert_eq!(
            t.call("mremap", [text, 2 * PAGE_SIZE, PAGE_SIZE, 0, 0, 0]),
            err(Errno::EINVAL),
            "cannot shrink"
        );
        assert_eq!(
            t.call(
                "mremap",
                [text + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, 3, dest, 0]
            ),
            err(Errno::EINVAL),
            "cannot move a part"
        );
        assert_eq!(
            t.call(
                "mremap",
                [dest, PAGE_SIZE, PAGE_SIZE, 3, text + PAGE_SIZE, 0]
            ),
            err(Errno::EFAULT),
            "nothing at dest yet"
        );
        assert_eq!(
            t.call("mremap", [text, 2 * PAGE_SIZE, 2 * PAGE_SIZE, 3, dest, 0]),
            dest
        );
        assert!(t.try_peek(text, 1).is_err());
        t.call("madvise", [dest, 2 * PAGE_SIZE, 4, 0, 0, 0]);
        let vdso = t.k.special_page(SpecialPages::Vdso, 1);
        assert_eq!(t.peek(dest + PAGE_SIZE, 8), &vdso[..8]);
        assert_eq!(kinds(&t)[0], (dest, dest + 2 * PAGE_SIZE, 5, "[vdso]"));
        // Moving something onto a part of it would split it.
        let a = t.call("mmap", [0, PAGE_SIZE, 3, 0x22, u64::MAX, 0]);
        assert_eq!(
            t.call("mremap", [a, PAGE_SIZE, PAGE_SIZE, 3, dest + PAGE_SIZE, 0]),
            err(Errno::EINVAL)
        );
        assert_eq!(t.peek(dest + PAGE_SIZE, 8), &vdso[..8]);
    }

    #[test]
    fn fork_keeps_them_copy_on_write() {
        let mut t = mapped();
        assert_ne!(t.call("fork", [0; 6]) as i64, -1);
        let (child, _, vm, _) = &t.k.spawned[0];
        assert_eq!(child.mm.vmas(), t.p.mm.vmas());
        // Not among the ranges fork shares in place: a child that makes
        // the text writable must get its own copy of a page it writes.
        let end = LAYOUT.text_start() + 2 * PAGE_SIZE;
        let crate::process::VmShare::Fork { shared } = vm else {
            panic!("fork shares the address space")
        };
        assert!(shared.iter().all(|&(s, e)| e <= VVAR_START || s >= end));
    }
}
