//! parse_elf on hand-built files: exact results for good files, the exact error for bad ones.

mod common;

use common::*;
use lintel_loader::*;

fn parse(f: &ElfFile) -> Result<ElfImage, ElfError> {
    parse_elf(&f.build(), PIE_BASE)
}

fn err(f: &ElfFile) -> ElfError {
    parse(f).expect_err("file must be refused")
}

#[test]
fn exec_exact() {
    let image = parse(&exec_elf()).unwrap();
    assert_eq!(
        image,
        ElfImage {
            kind: ElfKind::Exec,
            load_bias: 0,
            entry: 0x401010,
            phdr: 0x400040,
            phent: 56,
            phnum: 5,
            segments: vec![
                Segment {
                    vaddr: 0x400000,
                    memsz: 0x200,
                    file_offset: 0,
                    filesz: 0x200,
                    prot: PROT_READ
                },
                Segment {
                    vaddr: 0x401000,
                    memsz: 0x123,
                    file_offset: 0x1000,
                    filesz: 0x123,
                    prot: PROT_READ | PROT_EXEC
                },
                Segment {
                    vaddr: 0x403010,
                    memsz: 0x1000,
                    file_offset: 0x2010,
                    filesz: 0x40,
                    prot: PROT_READ | PROT_WRITE
                },
            ],
            brk: 0x405000,
            stack_exec: false,
        }
    );
}

#[test]
fn exec_ignores_pie_base() {
    assert_eq!(
        parse_elf(&exec_elf().build(), 0x7000_0000_0000).unwrap(),
        parse(&exec_elf()).unwrap()
    );
}

#[test]
fn static_pie_exact() {
    let image = parse(&pie_elf()).unwrap();
    let b = PIE_BASE;
    assert_eq!(
        image,
        ElfImage {
            kind: ElfKind::StaticPie,
            load_bias: b,
            entry: b + 0x1040,
            phdr: b + 0x40,
            phent: 56,
            phnum: 5,
            segments: vec![
                Segment {
                    vaddr: b,
                    memsz: 0x300,
                    file_offset: 0,
                    filesz: 0x300,
                    prot: PROT_READ
                },
                Segment {
                    vaddr: b + 0x1000,
                    memsz: 0x200,
                    file_offset: 0x1000,
                    filesz: 0x200,
                    prot: PROT_READ | PROT_EXEC
                },
                Segment {
                    vaddr: b + 0x3e10,
                    memsz: 0x300,
                    file_offset: 0x2e10,
                    filesz: 0x100,
                    prot: PROT_READ | PROT_WRITE
                },
            ],
            brk: b + 0x5000,
            stack_exec: false,
        }
    );
}

#[test]
fn static_pie_other_base_and_unaligned_base() {
    let image = parse_elf(&pie_elf().build(), 0x10_0000_0000).unwrap();
    assert_eq!(image.load_bias, 0x10_0000_0000);
    assert_eq!(image.entry, 0x10_0000_1040);
    // An unaligned base is rounded down, so in-page offsets stay those of the file.
    let image = parse_elf(&pie_elf().build(), 0x10_0000_0123).unwrap();
    assert_eq!(image.segments[0].vaddr, 0x10_0000_0000);
}

#[test]
fn static_pie_linked_high_gets_wrapping_bias() {
    let mut f = pie_elf();
    for ph in &mut f.phdrs {
        if ph.p_type != PT_GNU_STACK {
            ph.p_vaddr += 0x7000_0000_0000;
        }
    }
    f.e_entry += 0x7000_0000_0000;
    let image = parse(&f).unwrap();
    assert_eq!(image.segments[0].vaddr, PIE_BASE);
    assert_eq!(image.entry, PIE_BASE + 0x1040);
    assert_eq!(image.phdr, PIE_BASE + 0x40);
    assert_eq!(image.load_bias, PIE_BASE.wrapping_sub(0x7000_0000_0000));
    assert_eq!(
        0x7000_0000_1040u64.wrapping_add(image.load_bias),
        image.entry
    );
}

#[test]
fn static_pie_at_page_zero_is_refused() {
    assert_eq!(
        parse_elf(&pie_elf().build(), 0).unwrap_err(),
        ElfError::SegmentInPageZero { index: 1 }
    );
}

#[test]
fn static_pie_placed_past_user_end_is_refused() {
    let e = parse_elf(&pie_elf().build(), USER_END - 0x2000).unwrap_err();
    assert_eq!(e, ElfError::SegmentOutsideUserSpace { index: 3 });
    let e = parse_elf(&pie_elf().build(), u64::MAX).unwrap_err();
    assert!(
        matches!(e, ElfError::SegmentOutsideUserSpace { .. }),
        "{e:?}"
    );
}

#[test]
fn executable_stack() {
    let mut f = exec_elf();
    f.phdrs[4].p_flags = PF_R | PF_W | PF_X;
    assert!(parse(&f).unwrap().stack_exec);
    f.phdrs.remove(4);
    f.phdrs[0].p_filesz = 4 * 56;
    assert!(!parse(&f).unwrap().stack_exec);
}

#[test]
fn phdr_found_in_load_without_pt_phdr() {
    let mut f = exec_elf();
    f.phdrs.remove(0);
    let image = parse(&f).unwrap();
    assert_eq!(image.phdr, 0x400040);
    assert_eq!(image.phnum, 4);
}

#[test]
fn phdr_zero_when_not_loaded() {
    let mut f = exec_elf();
    f.phdrs.remove(0);
    f.phdrs.remove(0); // the read-only segment that held the headers
    let image = parse(&f).unwrap();
    assert_eq!(image.phdr, 0);
    assert_eq!(image.segments.len(), 2);
}

#[test]
fn pt_phdr_outside_loads_falls_back_to_file_mapping() {
    let mut f = exec_elf();
    f.phdrs[0].p_vaddr = 0x900000;
    assert_eq!(parse(&f).unwrap().phdr, 0x400040);
}

#[test]
fn empty_load_is_skipped() {
    let mut f = exec_elf();
    f.phdrs.insert(2, Phdr::load(PF_R, 0, 0, 0, 0));
    f.phdrs[0].p_filesz = 6 * 56;
    let image = parse(&f).unwrap();
    assert_eq!(image.segments.len(), 3);
    assert_eq!(image.phnum, 6);
}

#[test]
fn bad_magic_and_tiny_files() {
    let mut f = exec_elf();
    f.magic = *b"\x7fELG";
    assert_eq!(err(&f), ElfError::BadMagic);
    assert_eq!(parse_elf(b"", PIE_BASE), Err(ElfError::BadMagic));
    assert_eq!(parse_elf(b"\x7fEL", PIE_BASE), Err(ElfError::BadMagic));
    assert_eq!(
        parse_elf(b"#!/bin/sh\necho hi\n", PIE_BASE),
        Err(ElfError::BadMagic)
    );
    assert_eq!(
        parse_elf(b"\x7fELF", PIE_BASE),
        Err(ElfError::TruncatedHeader)
    );
    assert_eq!(
        parse_elf(b"\x7fELF\x02\x01", PIE_BASE),
        Err(ElfError::TruncatedHeader)
    );
}

#[test]
fn elf32_is_refused() {
    let mut f = exec_elf();
    f.class = 1;
    assert_eq!(err(&f), ElfError::Not64Bit { class: 1 });
}

#[test]
fn big_endian_is_refused() {
    let mut f = exec_elf();
    f.data = 2;
    assert_eq!(err(&f), ElfError::NotLittleEndian { data: 2 });
}

#[test]
fn wrong_machine_is_refused() {
    let mut f = exec_elf();
    f.e_machine = 40; // ARM
    assert_eq!(err(&f), ElfError::WrongMachine { machine: 40 });
    f.e_machine = 183; // AArch64
    assert_eq!(err(&f), ElfError::WrongMachine { machine: 183 });
}

#[test]
fn non_executable_types_are_refused() {
    for e_type in [0, ET_REL, 4, 0xfe00] {
        let mut f = exec_elf();
        f.e_type = e_type;
        assert_eq!(err(&f), ElfError::NotExecutable { e_type });
    }
}

#[test]
fn bad_phentsize_is_refused() {
    let mut f = exec_elf();
    f.e_phentsize = 32;
    assert_eq!(err(&f), ElfError::BadPhentsize { phentsize: 32 });
}

#[test]
fn too_many_program_headers() {
    for phnum in [513, 0xffff] {
        let mut f = exec_elf();
        f.e_phnum = Some(phnum);
        assert_eq!(err(&f), ElfError::TooManyProgramHeaders { phnum });
    }
}

#[test]
fn program_headers_past_end_of_file() {
    let mut f = exec_elf();
    f.e_phnum = Some(512);
    assert_eq!(err(&f), ElfError::TruncatedProgramHeaders);
    let good = exec_elf().build();
    let table = 5 * 56;
    for phoff in [
        u64::MAX,
        u64::MAX - 100,
        1 << 40,
        good.len() as u64,
        (good.len() - table + 1) as u64,
    ] {
        let mut file = good.clone();
        file[32..40].copy_from_slice(&phoff.to_le_bytes());
        assert_eq!(
            parse_elf(&file, PIE_BASE),
            Err(ElfError::TruncatedProgramHeaders),
            "e_phoff {phoff:#x}"
        );
    }
}

#[test]
fn no_program_headers_means_nothing_to_load() {
    let mut f = exec_elf();
    f.e_phnum = Some(0);
    assert_eq!(err(&f), ElfError::NoLoadableSegment);
    let mut f = exec_elf();
    f.phdrs.retain(|p| p.p_type != PT_LOAD);
    assert_eq!(err(&f), ElfError::NoLoadableSegment);
}

#[test]
fn dynamic_is_refused_with_interpreter_path() {
    for e_type in [ET_DYN, ET_EXEC] {
        let e = err(&interp_elf(e_type));
        assert_eq!(
            e,
            ElfError::Dynamic {
                interp: Some("/lib/ld-musl-x86_64.so.1".into())
            }
        );
        assert_eq!(
            e.to_string(),
            "dynamically linked (PT_INTERP /lib/ld-musl-x86_64.so.1): only static binaries are supported"
        );
    }
}

#[test]
fn dynamic_with_unreadable_interpreter() {
    for (offset, size) in [
        (u64::MAX, 25),
        (0x1c0, u64::MAX),
        (0x100000, 25),
        (0x1c0, 0),
        (0x1c0, 5000),
    ] {
        let mut f = interp_elf(ET_DYN);
        f.phdrs[1].p_offset = offset;
        f.phdrs[1].p_filesz = size;
        assert_eq!(
            err(&f),
            ElfError::Dynamic { interp: None },
            "{offset:#x} {size:#x}"
        );
    }
}

#[test]
fn interpreter_path_control_chars_are_escaped() {
    let mut f = interp_elf(ET_DYN);
    f.payload.push((0x1c0, b"/x\x1b[2J\0".to_vec()));
    let msg = err(&f).to_string();
    assert!(!msg.contains('\x1b'), "{msg}");
    assert!(msg.contains("/x\\u{1b}[2J"), "{msg}");
}

#[test]
fn segment_file_range_past_end() {
    let cases = [
        (0x2010, 0x41),
        (0x2010, u64::MAX),
        (u64::MAX, 0x40),
        (u64::MAX - 0xf, 0x40),
        (0x10_0010, 0),
    ];
    for (offset, filesz) in cases {
        let mut f = exec_elf();
        f.phdrs[3].p_offset = offset;
        f.phdrs[3].p_filesz = filesz;
        f.phdrs[3].p_memsz = filesz.max(0x1000);
        f.phdrs[3].p_vaddr = 0x403000 + offset % 0x1000;
        assert_eq!(
            err(&f),
            ElfError::SegmentFileRange { index: 3 },
            "{offset:#x} {filesz:#x}"
        );
    }
}

#[test]
fn filesz_bigger_than_memsz() {
    let mut f = exec_elf();
    f.phdrs[3].p_memsz = 0x3f;
    assert_eq!(err(&f), ElfError::SegmentFileszExceedsMemsz { index: 3 });
}

#[test]
fn segment_outside_user_space() {
    for (vaddr, memsz) in [
        (USER_END - 0x1000 + 0x10, 0x1000),
        (USER_END + 0x10, 0x40),
        (0xffff_ffff_8000_0010, 0x40),
        (u64::MAX - 0xfef, 0x1000), // vaddr + memsz overflows
        (0x403010, u64::MAX),
    ] {
        let mut f = exec_elf();
        f.phdrs[3].p_vaddr = vaddr;
        f.phdrs[3].p_memsz = memsz;
        assert_eq!(
            err(&f),
            ElfError::SegmentOutsideUserSpace { index: 3 },
            "{vaddr:#x} {memsz:#x}"
        );
    }
    // Ending exactly at USER_END is fine.
    let mut f = exec_elf();
    f.phdrs[3].p_vaddr = USER_END - 0x1000 + 0x10;
    f.phdrs[3].p_memsz = 0x1000 - 0x10;
    assert_eq!(parse(&f).unwrap().brk, USER_END);
}

#[test]
fn segment_in_page_zero() {
    let mut f = exec_elf();
    f.phdrs[1].p_vaddr = 0;
    assert_eq!(err(&f), ElfError::SegmentInPageZero { index: 1 });
}

#[test]
fn segment_misaligned() {
    let mut f = exec_elf();
    f.phdrs[3].p_vaddr = 0x403018;
    assert_eq!(err(&f), ElfError::SegmentMisaligned { index: 3 });
}

#[test]
fn segments_overlapping_or_unsorted() {
    let mut f = exec_elf();
    f.phdrs[3].p_vaddr = 0x401010; // inside text
    assert_eq!(err(&f), ElfError::SegmentOverlap { index: 3 });
    let mut f = exec_elf();
    f.phdrs.swap(2, 3);
    assert_eq!(err(&f), ElfError::SegmentOverlap { index: 3 });
}

#[test]
fn entry_outside_segments() {
    for entry in [0, 0x401123, 0x402000, 0x404010, u64::MAX] {
        let mut f = exec_elf();
        f.e_entry = entry;
        assert_eq!(err(&f), ElfError::EntryOutsideSegments { entry });
    }
    // The last byte of a segment (even bss) is inside.
    let mut f = exec_elf();
    f.e_entry = 0x404010 - 1;
    assert_eq!(parse(&f).unwrap().entry, 0x40400f);
}

#[test]
fn huge_memsz_inside_user_space_is_accepted() {
    // Not the loader's business: the kernel's mapping fails with ENOMEM if it must.
    let mut f = exec_elf();
    f.phdrs[3].p_memsz = USER_END - 0x403010;
    assert_eq!(parse(&f).unwrap().brk, USER_END);
}

#[test]
fn messages_are_one_line_and_errno_is_enoexec() {
    let errors = [
        ElfError::BadMagic,
        ElfError::TruncatedHeader,
        ElfError::Not64Bit { class: 1 },
        ElfError::NotLittleEndian { data: 2 },
        ElfError::WrongMachine { machine: 40 },
        ElfError::NotExecutable { e_type: 1 },
        ElfError::BadPhentsize { phentsize: 0 },
        ElfError::TooManyProgramHeaders { phnum: 600 },
        ElfError::TruncatedProgramHeaders,
        ElfError::Dynamic { interp: None },
        ElfError::Dynamic {
            interp: Some("/a\nb".into()),
        },
        ElfError::SegmentFileRange { index: 2 },
        ElfError::SegmentFileszExceedsMemsz { index: 2 },
        ElfError::SegmentOutsideUserSpace { index: 2 },
        ElfError::SegmentInPageZero { index: 2 },
        ElfError::SegmentMisaligned { index: 2 },
        ElfError::SegmentOverlap { index: 2 },
        ElfError::NoLoadableSegment,
        ElfError::EntryOutsideSegments { entry: 0x10 },
    ];
    for e in errors {
        let msg = e.to_string();
        assert!(!msg.is_empty() && !msg.contains('\n'), "{msg:?}");
        assert_eq!(e.errno(), 8);
    }
    assert_eq!(
        ElfError::BadMagic.to_string(),
        "not an ELF file (bad magic)"
    );
    assert_eq!(
        ElfError::WrongMachine { machine: 40 }.to_string(),
        "not an x86_64 binary (e_machine=40)"
    );
    assert_eq!(
        ElfError::NotExecutable { e_type: 1 }.to_string(),
        "not an executable (e_type=1)"
    );
    assert_eq!(
        ElfError::SegmentFileszExceedsMemsz { index: 3 }.to_string(),
        "segment 3: filesz > memsz"
    );
    assert_eq!(
        ElfError::TruncatedProgramHeaders.to_string(),
        "truncated: program headers past end of file"
    );
}
