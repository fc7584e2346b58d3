//! Loading a program into a fresh address space: the ELF segments, the heap
//! start and the initial stack (argv, envp, auxv), as Linux's execve does.

use crate::mm::{page_down, page_up, MemoryMap, VmaKind, PAGE_SIZE, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP};
use crate::{Errno, Kernel, Process};
use core::fmt;
use lintel_loader::{build_initial_stack, parse_elf, ElfError, StackError, StackParams, PIE_BASE};

/// Where the program starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub rip: u64,
    pub rsp: u64,
}

#[derive(Debug)]
pub enum ExecError {
    Elf(ElfError),
    Stack(StackError),
    Mem(Errno),
}

impl ExecError {
    /// The errno execve reports for it.
    pub fn errno(&self) -> Errno {
        match self {
            ExecError::Elf(_) => Errno::ENOEXEC,
            ExecError::Stack(_) => Errno::E2BIG,
            ExecError::Mem(e) => *e,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "{e}"),
            ExecError::Stack(e) => write!(f, "initial stack: {e:?}"),
            ExecError::Mem(e) => write!(f, "out of memory ({})", e.name().unwrap_or("?")),
        }
    }
}

/// Linux's limit on argv+envp (MAX_ARG_STRLEN * 32 is per string; this is the total).
const MAX_ARGS_BYTES: usize = 2 << 20;

/// Replaces the process image with the ELF in `file`. On error the old
/// image is left as it was, unless the failure came after the point of no
/// return (memory exhausted while populating), like Linux.
pub fn exec(k: &mut dyn Kernel, p: &mut Process, file: &[u8], argv: &[&[u8]], envp: &[&[u8]], execfn: &[u8]) -> Result<Entry, ExecError> {
    let image = parse_elf(file, PIE_BASE).map_err(ExecError::Elf)?;
    let mut random = [0u8; 16];
    k.fill_random(&mut random);
    let (hwcap, hwcap2) = k.cpu_hwcap();
    let params = StackParams {
        argv,
        envp,
        execfn,
        platform: b"x86_64",
        random,
        uid: 0,
        euid: 0,
        gid: 0,
        egid: 0,
        secure: false,
        hwcap,
        hwcap2,
        clktck: 100,
        minsigstksz: 2048,
        sysinfo_ehdr: None,
        max_size: MAX_ARGS_BYTES,
    };
    let stack = build_initial_stack(STACK_TOP, &image, &params).map_err(ExecError::Stack)?;

    // Point of no return: drop the old image.
    for v in p.mm.iter() {
        k.unmap(v.start, v.end - v.start);
    }
    let mut mm = MemoryMap::new();
    for s in &image.segments {
        let end = page_up(s.vaddr + s.memsz).ok_or(ExecError::Mem(Errno::ENOMEM))?;
        mm.map_segment(page_down(s.vaddr), end, s.prot);
    }
    for s in &image.segments {
        let off = s.file_offset as usize;
        let bytes = off
            .checked_add(s.filesz as usize)
            .and_then(|end| file.get(off..end))
            .ok_or(ExecError::Mem(Errno::EFAULT))?;
        populate(k, &mm, s.vaddr, s.filesz)?;
        k.copy_out(s.vaddr, bytes);
    }
    mm.insert(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE, VmaKind::Stack);
    populate(k, &mm, stack.sp, stack.bytes.len() as u64)?;
    k.copy_out(stack.sp, &stack.bytes);
    mm.brk_start = image.brk;
    mm.brk = image.brk;
    p.mm = mm;
    let name = execfn.rsplit(|&c| c == b'/').next().unwrap_or(execfn);
    p.comm = name[..name.len().min(15)].to_vec();
    p.signals.reset_on_exec();
    Ok(Entry { rip: image.entry, rsp: stack.sp })
}

fn populate(k: &mut dyn Kernel, mm: &MemoryMap, addr: u64, len: u64) -> Result<(), ExecError> {
    let mut page = page_down(addr);
    while page < addr + len {
        let prot = mm.find(page).map_or(0, |v| v.prot);
        k.populate(page, prot).map_err(ExecError::Mem)?;
        page += PAGE_SIZE;
    }
    Ok(())
}
