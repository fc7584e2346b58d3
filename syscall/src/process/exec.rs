//! Loading a program into a fresh address space: the ELF segments, the heap
//! start and the initial stack (argv, envp, auxv), as Linux's execve does.

use crate::mm::{
    map_vdso, page_down, page_up, vdso_place, MemoryMap, VmaKind, PAGE_SIZE, PROT_READ, PROT_WRITE,
    STACK_SIZE, STACK_TOP,
};
use crate::{Errno, Kernel, Process};
use alloc::sync::Arc;
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
            ExecError::Stack(e) => Errno::new(e.errno()),
            ExecError::Mem(e) => *e,
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "{e}"),
            ExecError::Stack(e) => write!(f, "initial stack: {e}"),
            ExecError::Mem(e) => write!(f, "out of memory ({})", e.name().unwrap_or("?")),
        }
    }
}

/// Linux's limit on argv+envp (MAX_ARG_STRLEN * 32 is per string; this is the total).
const MAX_ARGS_BYTES: usize = 2 << 20;

/// Replaces the process image with the ELF in `file`. On error the old
/// image is left as it was, unless the failure came after the point of no
/// return (memory exhausted while populating), like Linux.
pub fn exec(
    k: &mut dyn Kernel,
    p: &mut Process,
    file: &[u8],
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
) -> Result<Entry, ExecError> {
    let image = parse_elf(file, PIE_BASE).map_err(ExecError::Elf)?;
    // The kernel's vDSO, unless the program's own segments are where it goes.
    let vdso = vdso_place(k, |start, end| {
        image.segments.iter().any(|s| {
            let seg_end = page_up(s.vaddr.saturating_add(s.memsz)).unwrap_or(u64::MAX);
            page_down(s.vaddr) < end && start < seg_end
        })
    });
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
        sysinfo_ehdr: vdso.map(|l| l.text_start()),
        max_size: MAX_ARGS_BYTES,
    };
    let stack = build_initial_stack(STACK_TOP, &image, &params).map_err(ExecError::Stack)?;

    // Point of no return: other threads end, the old image goes (shared
    // file pages written back when no one else maps them).
    end_other_threads(k, p);
    if p.mm.is_last() {
        let _ = crate::mm::shared_file::flush(k, &p.mm, 0, crate::mm::USER_END, true);
    }
    k.exec_address_space().map_err(ExecError::Mem)?;
    let mm = MemoryMap::new();
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
    mm.insert(
        STACK_TOP - STACK_SIZE,
        STACK_TOP,
        PROT_READ | PROT_WRITE,
        VmaKind::Stack,
    );
    populate(k, &mm, stack.sp, stack.bytes.len() as u64)?;
    k.copy_out(stack.sp, &stack.bytes);
    if let Some(l) = &vdso {
        map_vdso(k, &mm, l).map_err(ExecError::Mem)?;
    }
    mm.set_brk(image.brk, image.brk);
    p.mm = mm;
    let name = execfn.rsplit(|&c| c == b'/').next().unwrap_or(execfn);
    p.comm = name[..name.len().min(15)].to_vec();
    // Handlers do not survive; a handler table shared with another
    // process (CLONE_SIGHAND without CLONE_THREAD) is unshared first.
    let h = Arc::new(p.sighand.duplicate());
    h.reset_on_exec();
    p.sighand = h;
    p.altstack = (0, 0, false);
    if let Some(e) = p.sys.table.lock().procs.get_mut(&p.pid) {
        e.sighand = p.sighand.clone();
        e.execed = true;
        e.vfork_done = true;
    }
    lintel_vfs::wake_waiters();
    Ok(Entry {
        rip: image.entry,
        rsp: stack.sp,
    })
}

/// Linux's de_thread: every other thread of the process ends before the
/// new program starts.
fn end_other_threads(k: &mut dyn Kernel, p: &Process) {
    let others: alloc::vec::Vec<_> = match p.sys.table.lock().procs.get(&p.pid) {
        Some(e) => e
            .threads
            .iter()
            .filter(|t| t.tid != p.tid)
            .cloned()
            .collect(),
        None => return,
    };
    if others.is_empty() {
        return;
    }
    for t in &others {
        t.killed.store(true, core::sync::atomic::Ordering::Relaxed);
    }
    lintel_vfs::wake_waiters();
    let sys = p.sys.clone();
    let (pid, tid) = (p.pid, p.tid);
    k.wait_until(
        &mut || {
            sys.table
                .lock()
                .procs
                .get(&pid)
                .is_none_or(|e| e.threads.iter().all(|t| t.tid == tid))
        },
        None,
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TestBed;
    use alloc::vec::Vec;
    use lintel_loader::{parse_initial_stack, AT_ENTRY, AT_PHDR, AT_RANDOM, AT_SYSINFO_EHDR};

    /// A static ELF: text (R-X) at 0x400000 holding the headers, and data
    /// (RW-) at 0x401000 with 8 bytes in the file and a 0x2000-byte bss.
    fn tiny_elf() -> Vec<u8> {
        let mut f = alloc::vec![0u8; 0x1010];
        let w16 = |f: &mut Vec<u8>, o: usize, v: u16| f[o..o + 2].copy_from_slice(&v.to_le_bytes());
        let w32 = |f: &mut Vec<u8>, o: usize, v: u32| f[o..o + 4].copy_from_slice(&v.to_le_bytes());
        let w64 = |f: &mut Vec<u8>, o: usize, v: u64| f[o..o + 8].copy_from_slice(&v.to_le_bytes());
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little-endian
        f[6] = 1;
        w16(&mut f, 16, 2); // ET_EXEC
        w16(&mut f, 18, 62); // x86_64
        w32(&mut f, 20, 1);
        w64(&mut f, 24, 0x400100); // entry
        w64(&mut f, 32, 64); // phoff
        w16(&mut f, 52, 64);
        w16(&mut f, 54, 56);
        w16(&mut f, 56, 2);
        let ph =
            |f: &mut Vec<u8>, i: usize, flags: u32, off: u64, va: u64, filesz: u64, memsz: u64| {
                let o = 64 + i * 56;
                w32(f, o, 1); // PT_LOAD
                w32(f, o + 4, flags);
                w64(f, o + 8, off);
                w64(f, o + 16, va);
                w64(f, o + 24, va);
                w64(f, o + 32, filesz);
                w64(f, o + 40, memsz);
                w64(f, o + 48, 0x1000);
            };
        ph(&mut f, 0, 5, 0, 0x400000, 0x200, 0x200);
        ph(&mut f, 1, 6, 0x1000, 0x401000, 8, 0x2008);
        f[0x100] = 0xcc;
        f[0x1000..0x1008].copy_from_slice(b"DATADATA");
        f
    }

    #[test]
    fn exec_maps_segments_bss_heap_and_stack() {
        let mut t = TestBed::new();
        let elf = tiny_elf();
        let e = exec(
            &mut t.k,
            &mut t.p,
            &elf,
            &[b"prog", b"arg 1"],
            &[b"K=V"],
            b"/bin/prog",
        )
        .unwrap();
        assert_eq!(e.rip, 0x400100);
        assert_eq!(e.rsp % 16, 0);
        assert_eq!(t.peek(0x400100, 1), [0xcc]);
        assert_eq!(t.peek(0x401000, 8), b"DATADATA");
        assert_eq!(t.peek(0x402000, 8), [0; 8], "bss is zero");
        assert!(t.try_poke(0x400100, b"x").is_err(), "text is read-only");
        assert_eq!(t.p.mm.brk().0, 0x404000);
        assert_eq!(t.p.comm, b"prog");
        let stack = t.peek(e.rsp, (STACK_TOP - e.rsp) as usize);
        let s = parse_initial_stack(&stack, e.rsp).expect("a well-formed initial stack");
        assert_eq!(s.argv, [&b"prog"[..], b"arg 1"]);
        assert_eq!(s.envp, [&b"K=V"[..]]);
        assert_eq!(s.aux(AT_ENTRY), Some(0x400100));
        assert_eq!(s.aux(AT_PHDR), Some(0x400040));
        assert!(s.aux(AT_RANDOM).is_some());
        assert_eq!(s.aux(AT_SYSINFO_EHDR), None, "this kernel has no vDSO");
    }

    #[test]
    fn exec_maps_the_vdso_and_names_it_in_auxv() {
        use crate::mm::{SpecialPages, VdsoLayout, VVAR_START};
        let mut t = TestBed::new();
        t.k.vdso = Some(VdsoLayout {
            vvar_pages: 1,
            text_pages: 2,
        });
        let e = exec(&mut t.k, &mut t.p, &tiny_elf(), &[b"p"], &[], b"/p").unwrap();
        let stack = t.peek(e.rsp, (STACK_TOP - e.rsp) as usize);
        let s = parse_initial_stack(&stack, e.rsp).unwrap();
        let ehdr = VVAR_START + PAGE_SIZE;
        assert_eq!(
            s.auxv[0],
            (AT_SYSINFO_EHDR, ehdr),
            "first, as Linux's ARCH_DLINFO"
        );
        let vdso = t.k.special_page(SpecialPages::Vdso, 0);
        assert_eq!(t.peek(ehdr, 64), &vdso[..64]);
        let vvar = t.k.special_page(SpecialPages::Vvar, 0);
        assert_eq!(t.peek(VVAR_START, 64), &vvar[..64]);
        assert!(t.try_poke(VVAR_START, b"x").is_err(), "read-only");
        assert!(t.try_poke(ehdr, b"x").is_err(), "read-only");
        let maps = alloc::string::String::from_utf8(t.p.view().maps()).unwrap();
        assert!(
            maps.contains(&alloc::format!(
                "{VVAR_START:08x}-{ehdr:08x} r--p 00000000 00:00 0                          [vvar]\n"
            )),
            "{maps}"
        );
        assert!(
            maps.contains(&alloc::format!(
                "{ehdr:08x}-{:08x} r-xp 00000000 00:00 0                          [vdso]\n",
                ehdr + 2 * PAGE_SIZE
            )),
            "{maps}"
        );
        // A second exec maps it again, in the new address space.
        let e = exec(&mut t.k, &mut t.p, &tiny_elf(), &[b"p"], &[], b"/p").unwrap();
        assert!(e.rsp > 0);
        assert_eq!(t.peek(ehdr, 64), &vdso[..64]);
    }

    #[test]
    fn a_bad_elf_leaves_the_process_untouched() {
        let mut t = TestBed::new();
        let a = t.scratch();
        let mut elf = tiny_elf();
        elf[18] = 40; // ARM
        let err = exec(&mut t.k, &mut t.p, &elf, &[b"p"], &[], b"p").unwrap_err();
        assert_eq!(err.errno(), Errno::ENOEXEC);
        assert!(alloc::format!("{err}").contains("x86_64"), "{err}");
        assert!(t.try_peek(a, 1).is_ok(), "old mappings survive");
    }

    #[test]
    fn running_out_of_memory_is_enomem() {
        let mut t = TestBed::new();
        t.k.page_limit = Some(1);
        let err = exec(&mut t.k, &mut t.p, &tiny_elf(), &[b"p"], &[], b"p").unwrap_err();
        assert_eq!(err.errno(), Errno::ENOMEM);
    }
}
