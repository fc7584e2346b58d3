//! parse_elf on hostile input: truncations, random corruptions and extreme field
//! values must give Err or a self-consistent Ok, never a panic.

mod common;

use common::*;
use lintel_loader::*;

/// Everything the kernel relies on in an accepted image.
fn check_invariants(image: &ElfImage, file_len: usize) {
    assert!(!image.segments.is_empty());
    assert_eq!(image.phent, 56);
    assert!(image.phnum <= 512);
    let mut prev_end = 0;
    for s in &image.segments {
        let end = s.vaddr.checked_add(s.memsz).expect("segment end overflows");
        assert!(s.vaddr >= PAGE_SIZE && end <= USER_END, "{s:?}");
        assert!(
            s.vaddr >= prev_end,
            "segments overlap or are unsorted: {image:?}"
        );
        assert!(s.memsz > 0 && s.filesz <= s.memsz, "{s:?}");
        let file_end = s
            .file_offset
            .checked_add(s.filesz)
            .expect("file range overflows");
        assert!(file_end <= file_len as u64, "{s:?} file_len {file_len}");
        assert_eq!(s.vaddr % PAGE_SIZE, s.file_offset % PAGE_SIZE);
        assert_eq!(s.prot & !(PROT_READ | PROT_WRITE | PROT_EXEC), 0);
        prev_end = end;
    }
    let inside = |addr: u64, len: u64| {
        image
            .segments
            .iter()
            .any(|s| addr >= s.vaddr && addr + len <= s.vaddr + s.memsz)
    };
    assert!(
        inside(image.entry, 1),
        "entry {:#x} outside {image:?}",
        image.entry
    );
    assert!(
        image.phdr == 0 || inside(image.phdr, image.phnum * 56),
        "phdr {:#x}",
        image.phdr
    );
    assert_eq!(image.brk % PAGE_SIZE, 0);
    assert!(image.brk >= prev_end && image.brk <= USER_END && image.brk - prev_end < PAGE_SIZE);
}

/// Parses and checks; returns whether it was accepted.
fn parse_checked(file: &[u8], pie_base: u64) -> bool {
    match parse_elf(file, pie_base) {
        Ok(image) => {
            check_invariants(&image, file.len());
            true
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty() && !msg.contains('\n'));
            false
        }
    }
}

fn fixtures() -> Vec<Vec<u8>> {
    vec![
        exec_elf().build(),
        pie_elf().build(),
        interp_elf(ET_DYN).build(),
        interp_elf(ET_EXEC).build(),
    ]
}

#[test]
fn every_truncation() {
    for file in fixtures() {
        let mut accepted = 0;
        for len in 0..=file.len() {
            accepted += usize::from(parse_checked(&file[..len], PIE_BASE));
        }
        // Only the lengths that still hold every segment's bytes are valid.
        if parse_elf(&file, PIE_BASE).is_ok() {
            assert!(accepted >= 1);
            assert!(accepted < file.len() / 2, "{accepted} truncations accepted");
        } else {
            assert_eq!(accepted, 0);
        }
    }
}

#[test]
fn random_byte_corruptions() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut refused) = (0, 0);
    for file in fixtures() {
        let headers = 64 + 6 * 56;
        for _ in 0..10_000 {
            let mut f = file.clone();
            for _ in 0..=rng.below(8) {
                let at = rng.below(headers) as usize;
                f[at] = rng.next() as u8;
            }
            if parse_checked(&f, PIE_BASE) {
                ok += 1
            } else {
                refused += 1
            }
        }
    }
    // The corruptions reach both outcomes, so the deep paths run too.
    assert!(ok > 1000 && refused > 1000, "ok {ok} refused {refused}");
}

/// Offsets of every 8-byte field in the header (entry, phoff) and the program headers.
fn wide_fields() -> Vec<usize> {
    let mut v = vec![24, 32];
    for i in 0..6 {
        let base = 64 + i * 56;
        v.extend([
            base + 8,
            base + 16,
            base + 24,
            base + 32,
            base + 40,
            base + 48,
        ]);
    }
    v
}

#[test]
fn extreme_field_values() {
    let interesting = [
        0,
        1,
        0xfff,
        0x1000,
        0x40_0000,
        USER_END - 0x1000,
        USER_END - 1,
        USER_END,
        1 << 63,
        u64::MAX - 0xfff,
        u64::MAX - 1,
        u64::MAX,
    ];
    let mut rng = XorShift(42);
    let (mut ok, mut refused) = (0, 0);
    for file in fixtures() {
        // Every single field set to every interesting value.
        for &field in &wide_fields() {
            for &value in &interesting {
                let mut f = file.clone();
                f[field..field + 8].copy_from_slice(&value.to_le_bytes());
                if parse_checked(&f, PIE_BASE) {
                    ok += 1
                } else {
                    refused += 1
                }
            }
        }
        // Several at once, with random pie bases.
        for _ in 0..5_000 {
            let mut f = file.clone();
            let fields = wide_fields();
            for _ in 0..=rng.below(4) {
                let field = fields[rng.below(fields.len() as u64) as usize];
                let value = if rng.below(2) == 0 {
                    interesting[rng.below(12) as usize]
                } else {
                    rng.next()
                };
                f[field..field + 8].copy_from_slice(&value.to_le_bytes());
            }
            let base =
                [PIE_BASE, 0, u64::MAX, USER_END - 0x1000, rng.next()][rng.below(5) as usize];
            if parse_checked(&f, base) {
                ok += 1
            } else {
                refused += 1
            }
        }
    }
    assert!(ok > 100 && refused > 1000, "ok {ok} refused {refused}");
}

#[test]
fn huge_counts_and_offsets_are_refused() {
    let good = exec_elf().build();
    let set16 = |at: usize, v: u16| {
        let mut f = good.clone();
        f[at..at + 2].copy_from_slice(&v.to_le_bytes());
        f
    };
    let set64 = |at: usize, v: u64| {
        let mut f = good.clone();
        f[at..at + 8].copy_from_slice(&v.to_le_bytes());
        f
    };
    assert!(parse_elf(&set16(56, 0xffff), PIE_BASE).is_err()); // e_phnum
    assert!(parse_elf(&set16(54, 0xffff), PIE_BASE).is_err()); // e_phentsize
    assert!(parse_elf(&set64(32, u64::MAX), PIE_BASE).is_err()); // e_phoff
    let load = 64 + 3 * 56; // the data segment
    assert!(parse_elf(&set64(load + 8, u64::MAX), PIE_BASE).is_err()); // p_offset
    assert!(parse_elf(&set64(load + 32, u64::MAX), PIE_BASE).is_err()); // p_filesz
    assert!(parse_elf(&set64(load + 16, u64::MAX - 0xfef), PIE_BASE).is_err()); // p_vaddr
    assert!(parse_elf(&set64(load + 40, u64::MAX), PIE_BASE).is_err()); // p_memsz
}

#[test]
fn random_garbage_after_a_plausible_ident() {
    let mut rng = XorShift(7);
    for _ in 0..20_000 {
        let len = rng.below(700) as usize;
        let mut f: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let ident = b"\x7fELF\x02\x01\x01\x00";
        let n = ident.len().min(len);
        f[..n].copy_from_slice(&ident[..n]);
        // Plausible type, machine, phentsize and a small phoff/phnum, so parsing goes deep.
        for (at, bytes) in [
            (16, &[2u8, 0][..]),
            (18, &[62, 0]),
            (54, &[56, 0]),
            (32, &[64, 0, 0, 0, 0, 0, 0, 0]),
        ] {
            if at + bytes.len() <= len && rng.below(4) != 0 {
                f[at..at + bytes.len()].copy_from_slice(bytes);
            }
        }
        if len >= 58 {
            f[56] = rng.below(12) as u8;
            f[57] = 0;
        }
        parse_checked(&f, PIE_BASE);
    }
}
