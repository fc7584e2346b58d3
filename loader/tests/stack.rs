//! build_initial_stack, checked by reading the image back with parse_initial_stack
//! and against Linux's layout computed by hand.

mod common;

use lintel_loader::*;

const TOP: u64 = 0x7fff_ffff_f000;

fn image() -> ElfImage {
    parse_elf(&common::exec_elf().build(), PIE_BASE).unwrap()
}

fn params<'a>(argv: &'a [&'a [u8]], envp: &'a [&'a [u8]]) -> StackParams<'a> {
    StackParams {
        argv,
        envp,
        execfn: b"/bin/prog",
        platform: b"x86_64",
        random: *b"0123456789abcdef",
        uid: 1000,
        euid: 1001,
        gid: 100,
        egid: 101,
        secure: false,
        hwcap: 0x178b_fbff,
        hwcap2: 2,
        clktck: 100,
        minsigstksz: 2048,
        sysinfo_ehdr: None,
        max_size: 1 << 20,
    }
}

/// Reads back and checks everything build_initial_stack promises.
fn round_trip(top: u64, p: &StackParams) -> (InitialStack, ParsedStack) {
    let img = image();
    let stack = build_initial_stack(top, &img, p).unwrap();
    assert_eq!(stack.sp % 16, 0, "sp {:#x}", stack.sp);
    assert_eq!(stack.sp + stack.bytes.len() as u64, top);
    assert!(stack.bytes.len() <= p.max_size);
    let parsed = parse_initial_stack(&stack.bytes, stack.sp).expect("stack parses");

    assert_eq!(parsed.argc, p.argv.len() as u64);
    assert_eq!(
        parsed.argv,
        p.argv.iter().map(|s| s.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(
        parsed.envp,
        p.envp.iter().map(|s| s.to_vec()).collect::<Vec<_>>()
    );
    assert_eq!(parsed.execfn.as_deref(), Some(p.execfn));
    assert_eq!(parsed.random, Some(p.random));
    if p.platform.is_empty() {
        assert_eq!(parsed.aux(AT_PLATFORM), None);
    } else {
        assert_eq!(parsed.platform.as_deref(), Some(p.platform));
    }

    let mut expected = Vec::new();
    if let Some(v) = p.sysinfo_ehdr {
        expected.push((AT_SYSINFO_EHDR, v));
    }
    if p.minsigstksz != 0 {
        expected.push((AT_MINSIGSTKSZ, p.minsigstksz));
    }
    expected.extend([
        (AT_HWCAP, p.hwcap),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, p.clktck),
        (AT_PHDR, img.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, img.phnum),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, img.entry),
        (AT_UID, u64::from(p.uid)),
        (AT_EUID, u64::from(p.euid)),
        (AT_GID, u64::from(p.gid)),
        (AT_EGID, u64::from(p.egid)),
        (AT_SECURE, u64::from(p.secure)),
        (AT_RANDOM, parsed.aux(AT_RANDOM).unwrap()),
        (AT_HWCAP2, p.hwcap2),
        (AT_EXECFN, parsed.aux(AT_EXECFN).unwrap()),
    ]);
    if !p.platform.is_empty() {
        expected.push((AT_PLATFORM, parsed.aux(AT_PLATFORM).unwrap()));
    }
    assert_eq!(parsed.auxv, expected);

    check_layout(top, &stack, &parsed, p);
    (stack, parsed)
}

/// Linux's placement: end marker, execfn, envp strings, argv strings, 16-alignment,
/// platform, random, then the vectors packed right below with less than 16 bytes of padding.
fn check_layout(top: u64, stack: &InitialStack, parsed: &ParsedStack, p: &StackParams) {
    let at = |addr: u64| (addr - stack.sp) as usize;
    let bytes = &stack.bytes;
    assert_eq!(&bytes[bytes.len() - 8..], &[0; 8], "end marker");
    let execfn = parsed.aux(AT_EXECFN).unwrap();
    assert_eq!(execfn + p.execfn.len() as u64 + 1, top - 8);
    // String addresses from the pointer arrays.
    let word = |addr: u64| u64::from_le_bytes(bytes[at(addr)..at(addr) + 8].try_into().unwrap());
    let argv_ptrs: Vec<u64> = (0..p.argv.len() as u64)
        .map(|i| word(stack.sp + 8 + 8 * i))
        .collect();
    let envp_base = stack.sp + 8 + 8 * (p.argv.len() as u64 + 1);
    let envp_ptrs: Vec<u64> = (0..p.envp.len() as u64)
        .map(|i| word(envp_base + 8 * i))
        .collect();
    // envp strings packed right below execfn, argv strings right below them.
    let mut next = execfn;
    for (ptr, s) in envp_ptrs
        .iter()
        .zip(p.envp)
        .rev()
        .chain(argv_ptrs.iter().zip(p.argv).rev())
    {
        next -= s.len() as u64 + 1;
        assert_eq!(*ptr, next);
        assert_eq!(bytes[at(*ptr) + s.len()], 0, "NUL terminator");
    }
    let strings_low = next & !15;
    let random = parsed.aux(AT_RANDOM).unwrap();
    if p.platform.is_empty() {
        assert_eq!(random, strings_low - 16);
    } else {
        let platform = parsed.aux(AT_PLATFORM).unwrap();
        assert_eq!(platform, strings_low - p.platform.len() as u64 - 1);
        assert_eq!(random, platform - 16);
    }
    let auxv_end = envp_base + 8 * (p.envp.len() as u64 + 1) + 16 * (parsed.auxv.len() as u64 + 1);
    assert!(
        auxv_end <= random && random - auxv_end < 16,
        "auxv end {auxv_end:#x} random {random:#x}"
    );
}

#[test]
fn exact_layout_by_hand() {
    let argv: [&[u8]; 2] = [b"prog", b"-x"];
    let envp: [&[u8]; 1] = [b"A=1"];
    let (stack, parsed) = round_trip(TOP, &params(&argv, &envp));
    // marker at ..eff8; "/bin/prog\0" at ..efee; "A=1\0" at ..efea; "prog\0-x\0" at ..efe2;
    // aligned to ..efe0; "x86_64\0" at ..efd9; random at ..efc9; 20 auxv pairs + 6 words
    // = 0x170 bytes below: ..ee59, aligned down to ..ee50.
    assert_eq!(parsed.aux(AT_EXECFN), Some(0x7fff_ffff_efee));
    assert_eq!(parsed.aux(AT_PLATFORM), Some(0x7fff_ffff_efd9));
    assert_eq!(parsed.aux(AT_RANDOM), Some(0x7fff_ffff_efc9));
    assert_eq!(stack.sp, 0x7fff_ffff_ee50);
    assert_eq!(stack.bytes.len(), 0x1b0);
    let word = |i: usize| u64::from_le_bytes(stack.bytes[i * 8..i * 8 + 8].try_into().unwrap());
    assert_eq!(word(0), 2);
    assert_eq!(word(1), 0x7fff_ffff_efe2);
    assert_eq!(word(2), 0x7fff_ffff_efe7);
    assert_eq!(word(3), 0);
    assert_eq!(word(4), 0x7fff_ffff_efea);
    assert_eq!(word(5), 0);
    assert_eq!((word(6), word(7)), (AT_MINSIGSTKSZ, 2048));
    assert_eq!((word(44), word(45)), (AT_NULL, 0));
    // The padding between AT_NULL and the random bytes is zero.
    assert!(stack.bytes[46 * 8..0x1b0 - 0x37].iter().all(|&b| b == 0));
}

#[test]
fn aligned_for_every_shape() {
    let strs: [&[u8]; 7] = [
        b"",
        b"a",
        b"ab",
        b"abcdefg",
        b"abcdefgh",
        b"abcdefghijklmnopq",
        b"/usr/local/bin/x",
    ];
    let mut cases = 0;
    for argc in 0..=5usize {
        for envc in 0..=4usize {
            for shift in 0..strs.len() {
                let argv: Vec<&[u8]> = (0..argc).map(|i| strs[(i + shift) % strs.len()]).collect();
                let envp: Vec<&[u8]> = (0..envc)
                    .map(|i| strs[(i * 3 + shift) % strs.len()])
                    .collect();
                for (platform, sysinfo, minsig) in [
                    (&b"x86_64"[..], None, 2048),
                    (&b""[..], Some(0x7fff_f7ffd000), 0),
                    (&b"x86_64"[..], Some(0x7fff_f7ffd000), 2048),
                    (&b"i"[..], None, 0),
                ] {
                    let mut p = params(&argv, &envp);
                    p.platform = platform;
                    p.sysinfo_ehdr = sysinfo;
                    p.minsigstksz = minsig;
                    p.execfn = strs[shift];
                    for top in [TOP, TOP - 8, 0x7fff_ffff_fff0] {
                        round_trip(top, &p);
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 6 * 5 * 7 * 4 * 3);
}

#[test]
fn secure_and_ids_round_trip() {
    let mut p = params(&[], &[]);
    p.secure = true;
    p.uid = u32::MAX;
    p.sysinfo_ehdr = Some(0x7fff_f7ffd000);
    let (_, parsed) = round_trip(TOP, &p);
    assert_eq!(parsed.aux(AT_SECURE), Some(1));
    assert_eq!(parsed.aux(AT_UID), Some(u64::from(u32::MAX)));
    assert_eq!(parsed.auxv[0], (AT_SYSINFO_EHDR, 0x7fff_f7ffd000));
    assert_eq!(parsed.argc, 0);
}

#[test]
fn too_big() {
    let argv: [&[u8]; 3] = [b"prog", b"some-argument", b"another"];
    let envp: [&[u8]; 2] = [b"HOME=/", b"PATH=/bin"];
    let mut p = params(&argv, &envp);
    let size = build_initial_stack(TOP, &image(), &p).unwrap().bytes.len();
    p.max_size = size;
    assert!(build_initial_stack(TOP, &image(), &p).is_ok());
    p.max_size = size - 1;
    assert_eq!(
        build_initial_stack(TOP, &image(), &p),
        Err(StackError::TooBig)
    );
    p.max_size = 0;
    assert_eq!(
        build_initial_stack(TOP, &image(), &p),
        Err(StackError::TooBig)
    );
    assert_eq!(StackError::TooBig.errno(), 7); // E2BIG
}

#[test]
fn too_big_with_many_or_long_strings() {
    let long = vec![b'x'; MAX_ARG_STRLEN - 1]; // + NUL = the limit: allowed
    let argv: [&[u8]; 1] = [&long];
    assert!(build_initial_stack(TOP, &image(), &params(&argv, &[])).is_ok());
    let longer = vec![b'x'; MAX_ARG_STRLEN];
    let envp: [&[u8]; 1] = [&longer];
    assert_eq!(
        build_initial_stack(TOP, &image(), &params(&[], &envp)),
        Err(StackError::TooBig)
    );
    let mut p = params(&[], &[]);
    p.execfn = &longer;
    assert_eq!(
        build_initial_stack(TOP, &image(), &p),
        Err(StackError::TooBig)
    );

    let many: Vec<&[u8]> = vec![b"x"; 200_000]; // 400 KB of strings, 1.6 MB of pointers
    assert_eq!(
        build_initial_stack(TOP, &image(), &params(&many, &[])),
        Err(StackError::TooBig)
    );
    let mut p = params(&many, &many);
    p.max_size = 8 << 20;
    let (stack, parsed) = round_trip(TOP, &p);
    assert_eq!(parsed.argc, 200_000);
    assert!(stack.bytes.len() > 3 << 20);
}

#[test]
fn interior_nul_is_refused() {
    let argv: [&[u8]; 1] = [b"a\0b"];
    assert_eq!(
        build_initial_stack(TOP, &image(), &params(&argv, &[])),
        Err(StackError::InteriorNul)
    );
    let mut p = params(&[], &[]);
    p.execfn = b"/bin\0x";
    assert_eq!(
        build_initial_stack(TOP, &image(), &p),
        Err(StackError::InteriorNul)
    );
}

#[test]
fn stack_top_too_low() {
    let p = params(&[], &[]);
    assert_eq!(
        build_initial_stack(64, &image(), &p),
        Err(StackError::BadStackTop)
    );
    assert_eq!(
        build_initial_stack(0, &image(), &p),
        Err(StackError::BadStackTop)
    );
}

#[test]
fn reader_rejects_malformed_images() {
    let argv: [&[u8]; 2] = [b"prog", b"-x"];
    let envp: [&[u8]; 1] = [b"A=1"];
    let stack = build_initial_stack(TOP, &image(), &params(&argv, &envp)).unwrap();
    // Any truncation from the top cuts a string or a pointer's target.
    for len in 0..stack.bytes.len() - 8 {
        assert_eq!(
            parse_initial_stack(&stack.bytes[..len], stack.sp),
            None,
            "len {len}"
        );
    }
    // A wrong sp makes every pointer miss.
    assert_eq!(parse_initial_stack(&stack.bytes, stack.sp + 0x1000), None);
    // Random images never panic.
    let mut rng = common::XorShift(3);
    for _ in 0..5_000 {
        let len = rng.below(600) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len >= 8 {
            bytes[..8].copy_from_slice(&rng.below(4).to_le_bytes());
        }
        let sp = [0, TOP, u64::MAX - 8, rng.next()][rng.below(4) as usize];
        let _ = parse_initial_stack(&bytes, sp);
    }
}
