//! `MemoryMap`: the virtual memory areas of one address space, kept sorted
//! and non-overlapping, split and merged as Linux's VMAs are.

use super::shared_file::SharedFile;
use super::special::SpecialPages;
use super::{page_up, MMAP_BASE, MMAP_MIN, PAGE_SIZE, USER_END};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmaKind {
    /// Anonymous private memory (also ELF segments: their bytes are copied in at exec).
    Anon,
    /// Anonymous shared memory (identical to private until processes share it).
    Shared,
    Stack,
    Heap,
    /// The kernel's own pages (the vDSO and its data): page `i` of `which`
    /// is mapped at `base + i * PAGE_SIZE`.
    Special {
        which: SpecialPages,
        base: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: u32,
    pub kind: VmaKind,
}

#[derive(Default, Clone)]
struct Inner {
    vmas: BTreeMap<u64, Vma>,
    /// MAP_SHARED file mappings, written back on msync/munmap/exit.
    files: Vec<SharedFile>,
    /// Start of the heap (page aligned, set at exec) and the current break.
    brk_start: u64,
    brk: u64,
}

impl Inner {
    /// The area holding `addr`.
    fn find(&self, addr: u64) -> Option<Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| *v)
            .filter(|v| addr < v.end)
    }

    /// Whether any area intersects `[start, end)`.
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    /// Whether `[start, end)` is covered by areas without a hole.
    fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some(v) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// Adds an area over a range that must be free, merging with equal neighbours.
    fn insert(&mut self, start: u64, end: u64, prot: u32, kind: VmaKind) {
        debug_assert!(start < end && !self.overlaps(start, end));
        let mut vma = Vma {
            start,
            end,
            prot,
            kind,
        };
        if let Some(prev) = self.vmas.range(..start).next_back().map(|(_, v)| *v) {
            if prev.end == start && prev.prot == prot && prev.kind == kind {
                self.vmas.remove(&prev.start);
                vma.start = prev.start;
            }
        }
        if let Some(next) = self.vmas.get(&end).copied() {
            if next.prot == prot && next.kind == kind {
                self.vmas.remove(&next.start);
                vma.end = next.end;
            }
        }
        self.vmas.insert(vma.start, vma);
    }

    /// Splits areas so that `at` is a boundary.
    fn split_at(&mut self, at: u64) {
        if let Some(v) = self.find(at) {
            if v.start < at {
                self.vmas.insert(v.start, Vma { end: at, ..v });
                self.vmas.insert(at, Vma { start: at, ..v });
            }
        }
    }

    /// Removes `[start, end)` from the map; returns the parts that were mapped.
    fn remove(&mut self, start: u64, end: u64) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.vmas.range(start..end).map(|(k, _)| *k).collect();
        keys.iter().filter_map(|k| self.vmas.remove(k)).collect()
    }

    /// Sets the protection of `[start, end)`, which must be fully mapped.
    fn protect(&mut self, start: u64, end: u64, prot: u32) {
        self.split_at(start);
        self.split_at(end);
        let parts: Vec<Vma> = self.vmas.range(start..end).map(|(_, v)| *v).collect();
        for v in parts {
            self.vmas.remove(&v.start);
            self.insert(v.start, v.end, prot, v.kind);
        }
    }

    /// A free range of `len` bytes: at `hint` when it is free, else the
    /// highest free range below `MMAP_BASE` (Linux's top-down layout).
    fn find_free(&self, hint: u64, len: u64) -> Option<u64> {
        if hint >= MMAP_MIN {
            if let Some(end) = hint.checked_add(len) {
                if end <= USER_END && !self.overlaps(hint, end) {
                    return Some(hint);
                }
            }
        }
        let mut top = MMAP_BASE;
        for v in self.vmas.values().rev() {
            if v.start >= top {
                continue;
            }
            if v.end <= top && top - v.end >= len {
                return Some(top - len);
            }
            top = top.min(v.start);
        }
        (top >= MMAP_MIN.checked_add(len)?).then(|| top - len)
    }

    /// Maps `[start, end)` for an ELF segment: pages shared with an earlier
    /// segment get the union of both protections.
    fn map_segment(&mut self, start: u64, end: u64, prot: u32) {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some(v) => {
                    let stop = v.end.min(end);
                    if v.prot | prot != v.prot {
                        self.protect(at, stop, v.prot | prot);
                    }
                    at = stop;
                }
                None => {
                    let next = self
                        .vmas
                        .range(at..end)
                        .next()
                        .map(|(k, _)| *k)
                        .unwrap_or(end);
                    self.insert(at, next, prot, VmaKind::Anon);
                    at = next;
                }
            }
        }
    }

    /// Number of pages mapped (for statistics and tests).
    fn mapped_pages(&self) -> u64 {
        self.vmas
            .values()
            .map(|v| (v.end - v.start) / PAGE_SIZE)
            .sum()
    }
}

/// The memory map of one address space. Clones share it (threads with
/// CLONE_VM, /proc/self/maps); `duplicate` copies it (fork).
#[derive(Default, Clone)]
pub struct MemoryMap {
    inner: Arc<Mutex<Inner>>,
}

impl MemoryMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn duplicate(&self) -> Self {
        MemoryMap {
            inner: Arc::new(Mutex::new(self.inner.lock().clone())),
        }
    }

    /// Identifies the address space (futex keys).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Whether no other thread or process shares this map.
    pub fn is_last(&self) -> bool {
        Arc::strong_count(&self.inner) == 1
    }

    /// The areas, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        self.inner.lock().vmas.values().copied().collect()
    }

    /// The area holding `addr`.
    pub fn find(&self, addr: u64) -> Option<Vma> {
        self.inner.lock().find(addr)
    }

    /// Whether any area intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.inner.lock().overlaps(start, end)
    }

    /// Whether `[start, end)` is covered by areas without a hole.
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        self.inner.lock().fully_mapped(start, end)
    }

    /// Adds an area over a range that must be free, merging with equal neighbours.
    pub fn insert(&self, start: u64, end: u64, prot: u32, kind: VmaKind) {
        self.inner.lock().insert(start, end, prot, kind)
    }

    /// Removes `[start, end)` from the map; returns the parts that were mapped.
    pub fn remove(&self, start: u64, end: u64) -> Vec<Vma> {
        self.inner.lock().remove(start, end)
    }

    /// Sets the protection of `[start, end)`, which must be fully mapped.
    pub fn protect(&self, start: u64, end: u64, prot: u32) {
        self.inner.lock().protect(start, end, prot)
    }

    /// A free range of `len` bytes: at `hint` when it is free, else the
    /// highest free range below `MMAP_BASE` (Linux's top-down layout).
    pub fn find_free(&self, hint: u64, len: u64) -> Option<u64> {
        self.inner.lock().find_free(hint, len)
    }

    /// Maps `[start, end)` for an ELF segment: pages shared with an earlier
    /// segment get the union of both protections.
    pub fn map_segment(&self, start: u64, end: u64, prot: u32) {
        self.inner.lock().map_segment(start, end, prot)
    }

    /// Number of pages mapped (for statistics and tests).
    pub fn mapped_pages(&self) -> u64 {
        self.inner.lock().mapped_pages()
    }

    pub fn add_shared_file(&self, f: SharedFile) {
        self.inner.lock().files.push(f);
    }

    /// The shared file mappings intersecting [start, end).
    pub fn shared_files(&self, start: u64, end: u64) -> Vec<SharedFile> {
        self.inner
            .lock()
            .files
            .iter()
            .filter(|f| f.start < end && start < f.end)
            .cloned()
            .collect()
    }

    /// Drops [start, end) from the shared file mappings, trimming or splitting them.
    pub fn forget_shared_files(&self, start: u64, end: u64) {
        let mut i = self.inner.lock();
        let mut keep = Vec::new();
        for f in i.files.drain(..) {
            if f.end <= start || end <= f.start {
                keep.push(f);
                continue;
            }
            if f.start < start {
                keep.push(SharedFile {
                    end: start,
                    ..f.clone()
                });
            }
            if end < f.end {
                keep.push(SharedFile {
                    start: end,
                    off: f.off + (end - f.start),
                    ..f
                });
            }
        }
        i.files = keep;
    }

    /// (heap start, current break).
    pub fn brk(&self) -> (u64, u64) {
        let i = self.inner.lock();
        (i.brk_start, i.brk)
    }

    pub fn set_brk(&self, start: u64, brk: u64) {
        let mut i = self.inner.lock();
        i.brk_start = start;
        i.brk = brk;
    }
}

/// `[addr, addr+len)` rounded out to pages, or None if it wraps or leaves user space.
pub fn page_range(addr: u64, len: u64) -> Option<(u64, u64)> {
    let end = page_up(addr.checked_add(len)?)?;
    (end <= USER_END).then_some((super::page_down(addr), end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::{PROT_READ as R, PROT_WRITE as W};

    fn spans(m: &MemoryMap) -> Vec<(u64, u64, u32)> {
        m.vmas().iter().map(|v| (v.start, v.end, v.prot)).collect()
    }

    #[test]
    fn insert_merges_equal_neighbours() {
        let m = MemoryMap::new();
        m.insert(0x10000, 0x20000, R | W, VmaKind::Anon);
        m.insert(0x20000, 0x30000, R | W, VmaKind::Anon);
        m.insert(0x30000, 0x40000, R, VmaKind::Anon);
        assert_eq!(
            spans(&m),
            [(0x10000, 0x30000, R | W), (0x30000, 0x40000, R)]
        );
    }

    #[test]
    fn remove_splits_and_reports_what_was_mapped() {
        let m = MemoryMap::new();
        m.insert(0x10000, 0x40000, R | W, VmaKind::Anon);
        let gone = m.remove(0x18000, 0x50000);
        assert_eq!(gone.len(), 1);
        assert_eq!((gone[0].start, gone[0].end), (0x18000, 0x40000));
        assert_eq!(spans(&m), [(0x10000, 0x18000, R | W)]);
        assert!(m.find(0x17fff).is_some());
        assert!(m.find(0x18000).is_none());
    }

    #[test]
    fn protect_middle_makes_three_areas_and_back_merges() {
        let m = MemoryMap::new();
        m.insert(0x10000, 0x40000, R | W, VmaKind::Anon);
        m.protect(0x20000, 0x30000, R);
        assert_eq!(
            spans(&m),
            [
                (0x10000, 0x20000, R | W),
                (0x20000, 0x30000, R),
                (0x30000, 0x40000, R | W)
            ]
        );
        m.protect(0x20000, 0x30000, R | W);
        assert_eq!(spans(&m), [(0x10000, 0x40000, R | W)]);
    }

    #[test]
    fn find_free_is_top_down_and_honours_free_hints() {
        let m = MemoryMap::new();
        let a = m.find_free(0, 0x3000).unwrap();
        assert_eq!(a, MMAP_BASE - 0x3000);
        m.insert(a, a + 0x3000, R, VmaKind::Anon);
        let b = m.find_free(0, 0x1000).unwrap();
        assert_eq!(b, a - 0x1000);
        assert_eq!(m.find_free(0x100000, 0x1000), Some(0x100000));
        // A taken hint falls back to top-down.
        assert_eq!(m.find_free(a, 0x1000), Some(b));
        assert_eq!(m.find_free(0, u64::MAX / 2), None);
    }

    #[test]
    fn fully_mapped_sees_holes() {
        let m = MemoryMap::new();
        m.insert(0x10000, 0x20000, R, VmaKind::Anon);
        m.insert(0x20000, 0x30000, R | W, VmaKind::Anon);
        assert!(m.fully_mapped(0x10000, 0x30000));
        m.remove(0x15000, 0x16000);
        assert!(!m.fully_mapped(0x10000, 0x30000));
    }

    #[test]
    fn segments_sharing_a_page_get_the_union() {
        let m = MemoryMap::new();
        m.map_segment(0x400000, 0x402000, R | crate::mm::PROT_EXEC);
        m.map_segment(0x401000, 0x404000, R | W);
        assert_eq!(
            spans(&m),
            [
                (0x400000, 0x401000, R | crate::mm::PROT_EXEC),
                (0x401000, 0x402000, R | W | crate::mm::PROT_EXEC),
                (0x402000, 0x404000, R | W)
            ]
        );
    }

    #[test]
    fn page_range_rejects_wrap_and_kernel_addresses() {
        assert_eq!(page_range(0x1001, 1), Some((0x1000, 0x2000)));
        assert_eq!(page_range(u64::MAX - 2, 10), None);
        assert_eq!(page_range(0xffff_8000_0000_0000, 1), None);
    }
}
