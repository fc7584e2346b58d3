//! brk(2): the heap right after the program's last segment.

use super::{page_up, VmaKind, PROT_READ, PROT_WRITE};
use crate::{Cx, SysResult};

pub fn sys_brk(cx: &mut Cx, addr: u64) -> SysResult {
    let mm = &cx.p.mm;
    let (start, old) = mm.brk();
    if addr < start {
        return Ok(old);
    }
    let (Some(old_end), Some(new_end)) = (page_up(old), page_up(addr)) else {
        return Ok(old);
    };
    if new_end > old_end {
        if new_end > super::MMAP_BASE || mm.overlaps(old_end, new_end) {
            return Ok(old); // Linux reports failure by returning the old break
        }
        mm.insert(old_end, new_end, PROT_READ | PROT_WRITE, VmaKind::Heap);
    } else if new_end < old_end {
        mm.remove(new_end, old_end);
        cx.k.unmap(new_end, old_end - new_end);
    }
    mm.set_brk(start, addr);
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    #[test]
    fn brk_grows_shrinks_and_keeps_data() {
        let mut t = TestBed::new();
        t.p.mm.set_brk(0x600000, 0x600000);
        assert_eq!(t.call("brk", [0; 6]), 0x600000);
        assert_eq!(t.call("brk", [0x603010, 0, 0, 0, 0, 0]), 0x603010);
        t.poke(0x603000, b"heap");
        assert_eq!(t.peek(0x603000, 4), b"heap");
        // Shrinking drops the pages: growing again gives zeros.
        assert_eq!(t.call("brk", [0x600000, 0, 0, 0, 0, 0]), 0x600000);
        assert_eq!(t.call("brk", [0x604000, 0, 0, 0, 0, 0]), 0x604000);
        assert_eq!(t.peek(0x603000, 4), [0; 4]);
        // Below the start: unchanged.
        assert_eq!(t.call("brk", [0x1000, 0, 0, 0, 0, 0]), 0x604000);
    }

    #[test]
    fn brk_refuses_to_grow_into_a_mapping() {
        let mut t = TestBed::new();
        t.p.mm.set_brk(0x600000, 0x600000);
        t.call("mmap", [0x610000, 0x1000, 3, 0x32, u64::MAX, 0]); // MAP_FIXED|PRIVATE|ANON
        assert_eq!(t.call("brk", [0x620000, 0, 0, 0, 0, 0]), 0x600000);
    }
}
