//! Extra case: real static binaries built at test time with musl-gcc, when the machine
//! has it. Without musl-gcc only this file's cases are skipped (with a message); every
//! other test in the crate stands on synthetic files.

use std::path::{Path, PathBuf};
use std::process::Command;

use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR};
use lintel_loader::*;

const PROGRAM: &str =
    "#include <stdio.h>\nint main(int c, char **v) { printf(\"hi %s\\n\", v[0]); return 3; }\n";

fn musl_gcc() -> Option<PathBuf> {
    ["/usr/lib/musl/bin/musl-gcc", "musl-gcc"]
        .into_iter()
        .map(PathBuf::from)
        .find(|gcc| {
            Command::new(gcc)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// musl's own start files (rcrt1.o for static-pie) sit next to the specs file the
/// musl-gcc wrapper names; `-print-file-name` would find glibc's instead.
fn musl_lib_dir(gcc: &Path) -> Option<PathBuf> {
    let script = std::fs::read_to_string(which(gcc)?).ok()?;
    let specs = script.split('"').find(|s| s.ends_with("musl-gcc.specs"))?;
    let dir = Path::new(specs).parent()?.to_path_buf();
    dir.join("rcrt1.o").exists().then_some(dir)
}

fn which(gcc: &Path) -> Option<PathBuf> {
    if gcc.is_absolute() {
        return Some(gcc.to_path_buf());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(gcc))
            .find(|p| p.exists())
    })
}

fn gcc_file(gcc: &Path, name: &str) -> String {
    let out = Command::new(gcc)
        .arg(format!("-print-file-name={name}"))
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `before` and `after` go around the source file: link order matters for crt files.
fn compile(gcc: &Path, dir: &Path, name: &str, before: &[String], after: &[String]) -> Vec<u8> {
    let out = dir.join(name);
    let status = Command::new(gcc)
        .args(before)
        .arg(dir.join("hello.c"))
        .args(after)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run musl-gcc");
    assert!(status.success(), "musl-gcc {before:?} {after:?} failed");
    std::fs::read(out).unwrap()
}

/// Compares our load plan with goblin's full parse of the same file.
fn cross_check(file: &[u8], image: &ElfImage, bias: u64) {
    let elf = goblin::elf::Elf::parse(file).expect("goblin parses a real binary");
    let loads: Vec<Segment> = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0)
        .map(|p| Segment {
            vaddr: p.p_vaddr + bias,
            memsz: p.p_memsz,
            file_offset: p.p_offset,
            filesz: p.p_filesz,
            prot: [(PF_R, PROT_READ), (PF_W, PROT_WRITE), (PF_X, PROT_EXEC)]
                .iter()
                .filter(|(f, _)| p.p_flags & f != 0)
                .map(|(_, prot)| prot)
                .sum(),
        })
        .collect();
    assert_eq!(image.segments, loads);
    assert_eq!(image.entry, elf.header.e_entry + bias);
    assert_eq!(image.phnum, u64::from(elf.header.e_phnum));
    let phoff = elf.header.e_phoff;
    let phdr = elf
        .program_headers
        .iter()
        .find(|p| p.p_type == PT_PHDR)
        .map(|p| p.p_vaddr)
        .or_else(|| {
            elf.program_headers
                .iter()
                .find(|p| {
                    p.p_type == PT_LOAD && p.p_offset <= phoff && phoff < p.p_offset + p.p_filesz
                })
                .map(|p| p.p_vaddr + (phoff - p.p_offset))
        })
        .expect("real binaries load their program headers");
    assert_eq!(image.phdr, phdr + bias);
    let last = loads.last().unwrap();
    assert_eq!(image.brk, (last.vaddr + last.memsz + 4095) & !4095);
    assert!(!image.stack_exec);
}

#[test]
fn real_musl_binaries() {
    let Some(gcc) = musl_gcc() else {
        eprintln!("SKIPPED real_musl_binaries: no musl-gcc on this machine (only this extra case is skipped)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("lintel-loader-musl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.c"), PROGRAM).unwrap();

    // Static ET_EXEC.
    let file = compile(&gcc, &dir, "static", &["-static".into(), "-O2".into()], &[]);
    let image = parse_elf(&file, PIE_BASE).unwrap();
    assert_eq!(image.kind, ElfKind::Exec);
    assert_eq!(image.load_bias, 0);
    cross_check(&file, &image, 0);

    // Dynamically linked: refused, naming musl's dynamic linker.
    let file = compile(&gcc, &dir, "dynamic", &["-O2".into()], &[]);
    match parse_elf(&file, PIE_BASE) {
        Err(ElfError::Dynamic { interp: Some(path) }) => {
            assert!(path.contains("ld-musl"), "{path}")
        }
        other => panic!("dynamic binary gave {other:?}"),
    }

    // Static-pie: musl-gcc's specs do not handle -static-pie, so name musl's rcrt1.o ourselves.
    match musl_lib_dir(&gcc) {
        None => {
            eprintln!("SKIPPED static-pie case: musl's rcrt1.o not found next to musl-gcc.specs")
        }
        Some(lib) => {
            let lib = |f: &str| lib.join(f).to_string_lossy().into_owned();
            let args = vec![
                "-O2".into(),
                "-fPIE".into(),
                "-static-pie".into(),
                "-Wl,--no-dynamic-linker".into(),
                "-Wl,-Bstatic".into(),
                "-nostartfiles".into(),
                lib("rcrt1.o"),
                lib("crti.o"),
                gcc_file(&gcc, "crtbeginS.o"),
            ];
            let after = vec![gcc_file(&gcc, "crtendS.o"), lib("crtn.o")];
            let file = compile(&gcc, &dir, "static-pie", &args, &after);
            let image = parse_elf(&file, PIE_BASE).unwrap();
            assert_eq!(image.kind, ElfKind::StaticPie);
            assert_eq!(image.segments[0].vaddr, PIE_BASE); // linked at 0
            cross_check(&file, &image, PIE_BASE);
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
