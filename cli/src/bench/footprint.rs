//! Footprint: how big each guest's boot files are, how much memory its
//! kernel image occupies, and the smallest `-m` at which hello runs.

use std::io;
use std::path::Path;

/// Bytes of a Lintel-style ELF64 image: the `PT_LOAD` segments' sizes in
/// memory, summed (`None` when it is not an ELF64 file).
pub fn elf_loaded_size(elf: &[u8]) -> Option<u64> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    if elf.get(..5)? != b"\x7fELF\x02" {
        return None;
    }
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    let mut total = 0u64;
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(ph)? == 1 {
            total = total.checked_add(u64_at(ph + 0x28)?)?;
        }
    }
    Some(total)
}

/// A bzImage's `init_size`: the memory the kernel needs while it
/// decompresses and starts (setup header, boot protocol 2.10+).
pub fn bzimage_init_size(image: &[u8]) -> Option<u64> {
    if image.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let version = u16::from_le_bytes(image.get(0x206..0x208)?.try_into().ok()?);
    if version < 0x020a {
        return None;
    }
    Some(u64::from(u32::from_le_bytes(
        image.get(0x260..0x264)?.try_into().ok()?,
    )))
}

pub fn file_size(path: &Path) -> io::Result<u64> {
    Ok(std::fs::metadata(path)?.len())
}

/// The smallest memory size (MiB) at which `works` holds, by bisection
/// between 0 (assumed to fail) and `hi` (checked first), in at most `steps`
/// further tries. Returns `(lo, hi)`: `lo` failed (or is 0), `hi` worked;
/// `None` when even `hi` fails.
pub fn search_min(mut works: impl FnMut(u32) -> bool, hi: u32, steps: u32) -> Option<(u32, u32)> {
    if !works(hi) {
        return None;
    }
    let (mut lo, mut hi) = (0u32, hi);
    for _ in 0..steps {
        if hi - lo <= 1 {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        if works(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bisection_finds_the_threshold() {
        let mut tries = Vec::new();
        let r = search_min(
            |m| {
                tries.push(m);
                m >= 37
            },
            512,
            20,
        );
        assert_eq!(r, Some((36, 37)));
        assert_eq!(tries[..3], [512, 256, 128]);
        assert!(tries.len() <= 11, "{tries:?}");
        // Few steps: a bracket.
        assert_eq!(search_min(|m| m >= 37, 512, 3), Some((0, 64)));
        assert_eq!(search_min(|_| false, 512, 9), None);
        assert_eq!(search_min(|_| true, 512, 20), Some((0, 1)));
    }

    fn elf_with_loads(loads: &[(u32, u64)]) -> Vec<u8> {
        let mut e = vec![0u8; 64 + 56 * loads.len()];
        e[..5].copy_from_slice(b"\x7fELF\x02");
        e[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        e[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        e[0x38..0x3a].copy_from_slice(&(loads.len() as u16).to_le_bytes());
        for (i, (ty, memsz)) in loads.iter().enumerate() {
            let ph = 64 + 56 * i;
            e[ph..ph + 4].copy_from_slice(&ty.to_le_bytes());
            e[ph + 0x28..ph + 0x30].copy_from_slice(&memsz.to_le_bytes());
        }
        e
    }

    #[test]
    fn elf_load_sizes() {
        let e = elf_with_loads(&[(1, 0x1000), (4, 0x99), (1, 0x2345)]);
        assert_eq!(elf_loaded_size(&e), Some(0x3345));
        assert_eq!(elf_loaded_size(b"\x7fELF\x01"), None);
        // Program headers past the end.
        let mut bad = e.clone();
        bad.truncate(100);
        assert_eq!(elf_loaded_size(&bad), None);
    }

    #[test]
    fn bzimage_header() {
        let mut img = vec![0u8; 0x300];
        assert_eq!(bzimage_init_size(&img), None);
        img[0x202..0x206].copy_from_slice(b"HdrS");
        img[0x206..0x208].copy_from_slice(&0x020fu16.to_le_bytes());
        img[0x260..0x264].copy_from_slice(&0x0280_0000u32.to_le_bytes());
        assert_eq!(bzimage_init_size(&img), Some(0x0280_0000));
        img[0x206..0x208].copy_from_slice(&0x0209u16.to_le_bytes());
        assert_eq!(bzimage_init_size(&img), None);
    }
}
