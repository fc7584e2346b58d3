//! ELF64 parsing and validation: from file bytes to an [`ElfImage`], the load plan
//! the kernel maps. goblin decodes the header and program headers; every range it
//! is handed, and every value it returns, is checked here first.

use alloc::string::String;
use alloc::vec::Vec;
use goblin::container::Endian;
use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_DYN, ET_EXEC, SELFMAG,
};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf64::header::{Header, SIZEOF_EHDR};
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};

use crate::{ElfError, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, USER_END};

/// Bounds the work and memory a hostile e_phnum can cost (Linux caps the table at 64 KiB).
const MAX_PHNUM: u16 = 512;
/// Linux refuses a PT_INTERP longer than PATH_MAX.
const PATH_MAX: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfKind {
    Exec,
    StaticPie,
}

/// One PT_LOAD, relocated: map `memsz` bytes at `vaddr`, copy `filesz` bytes from
/// `file_offset`, zero the rest (bss).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Address of the segment's first byte in memory (load bias applied); not necessarily page aligned.
    pub vaddr: u64,
    pub memsz: u64,
    /// Where its bytes start in the file.
    pub file_offset: u64,
    /// Bytes to copy; the rest up to memsz is zero (bss).
    pub filesz: u64,
    /// PROT_* from p_flags.
    pub prot: u32,
}

/// A validated load plan. Guarantees, for any `Ok`: at least one segment; segments
/// sorted by address, non-overlapping, each with `PAGE_SIZE <= vaddr`,
/// `vaddr + memsz <= USER_END`, `filesz <= memsz`, its file range inside the file,
/// `vaddr % PAGE_SIZE == file_offset % PAGE_SIZE`; `entry` inside a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfImage {
    pub kind: ElfKind,
    /// 0 for ET_EXEC, the base for a static-pie (wrapping: may be "negative" if the file is linked high).
    pub load_bias: u64,
    /// e_entry + load_bias.
    pub entry: u64,
    /// Address of the program header table in memory (PT_PHDR, else found inside a
    /// PT_LOAD that covers e_phoff); 0 when the table is not loaded at all.
    pub phdr: u64,
    /// e_phentsize (always 56).
    pub phent: u64,
    pub phnum: u64,
    /// PT_LOAD only, in file order; empty PT_LOADs (memsz 0) are left out, as Linux maps nothing for them.
    pub segments: Vec<Segment>,
    /// End of the highest segment, rounded up to PAGE_SIZE: where the heap (brk) starts.
    pub brk: u64,
    /// PT_GNU_STACK has PF_X (false when absent).
    pub stack_exec: bool,
}

/// Parses and validates a static x86_64 ELF executable. A static-pie (ET_DYN without
/// PT_INTERP) is placed so that its lowest page lands at `pie_base` (rounded down to a page).
pub fn parse_elf(file: &[u8], pie_base: u64) -> Result<ElfImage, ElfError> {
    let header = parse_header(file)?;
    let phdrs = parse_program_headers(file, &header)?;

    // Checked before the segments: "dynamically linked" is the useful message for such a file.
    if let Some(interp) = phdrs.iter().find(|p| p.p_type == PT_INTERP) {
        return Err(ElfError::Dynamic {
            interp: read_interp(file, interp),
        });
    }

    let kind = if header.e_type == ET_DYN {
        ElfKind::StaticPie
    } else {
        ElfKind::Exec
    };
    let loads = validate_loads(file, &phdrs)?;
    let first = loads.first().ok_or(ElfError::NoLoadableSegment)?;

    // addr' = addr - link_base + load_base. Loads are sorted, so the first is the lowest.
    let (link_base, load_base) = match kind {
        ElfKind::Exec => (0, 0),
        ElfKind::StaticPie => (page_down(first.1.p_vaddr), page_down(pie_base)),
    };
    let relocate = |addr: u64| addr.checked_sub(link_base)?.checked_add(load_base);

    let mut segments = Vec::with_capacity(loads.len());
    for &(index, ph) in &loads {
        let vaddr = relocate(ph.p_vaddr).ok_or(ElfError::SegmentOutsideUserSpace { index })?;
        if vaddr < PAGE_SIZE {
            return Err(ElfError::SegmentInPageZero { index });
        }
        match vaddr.checked_add(ph.p_memsz) {
            Some(end) if end <= USER_END => {}
            _ => return Err(ElfError::SegmentOutsideUserSpace { index }),
        }
        segments.push(Segment {
            vaddr,
            memsz: ph.p_memsz,
            file_offset: ph.p_offset,
            filesz: ph.p_filesz,
            prot: prot_from_flags(ph.p_flags),
        });
    }

    let e_entry = header.e_entry;
    let entry = Some(e_entry)
        .filter(|&e| loads.iter().any(|(_, ph)| contains(ph, e, 1)))
        .and_then(relocate)
        .ok_or(ElfError::EntryOutsideSegments { entry: e_entry })?;

    let phdr = phdr_vaddr(&header, &phdrs, &loads)
        .and_then(relocate)
        .unwrap_or(0);

    // Sorted and non-overlapping: the last segment ends highest. Its end is <= USER_END
    // (page aligned), so rounding up cannot overflow.
    let brk = segments
        .last()
        .and_then(|s| s.vaddr.checked_add(s.memsz))
        .and_then(page_up)
        .ok_or(ElfError::NoLoadableSegment)?;

    let stack_exec = phdrs
        .iter()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.p_flags & PF_X != 0);

    Ok(ElfImage {
        kind,
        load_bias: load_base.wrapping_sub(link_base),
        entry,
        phdr,
        phent: SIZEOF_PHDR as u64,
        phnum: u64::from(header.e_phnum),
        segments,
        brk,
        stack_exec,
    })
}

/// Checks the identification bytes ourselves (for precise messages) before goblin decodes the rest.
fn parse_header(file: &[u8]) -> Result<Header, ElfError> {
    if file.get(..SELFMAG) != Some(&ELFMAG[..]) {
        return Err(ElfError::BadMagic);
    }
    let class = *file.get(EI_CLASS).ok_or(ElfError::TruncatedHeader)?;
    if class != ELFCLASS64 {
        return Err(ElfError::Not64Bit { class });
    }
    let data = *file.get(EI_DATA).ok_or(ElfError::TruncatedHeader)?;
    if data != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian { data });
    }
    let bytes = file.get(..SIZEOF_EHDR).ok_or(ElfError::TruncatedHeader)?;
    let header = Header::parse(bytes).map_err(|_| ElfError::TruncatedHeader)?;

    if header.e_machine != EM_X86_64 {
        return Err(ElfError::WrongMachine {
            machine: header.e_machine,
        });
    }
    if header.e_type != ET_EXEC && header.e_type != ET_DYN {
        return Err(ElfError::NotExecutable {
            e_type: header.e_type,
        });
    }
    if usize::from(header.e_phentsize) != SIZEOF_PHDR {
        return Err(ElfError::BadPhentsize {
            phentsize: header.e_phentsize,
        });
    }
    if header.e_phnum > MAX_PHNUM {
        return Err(ElfError::TooManyProgramHeaders {
            phnum: header.e_phnum,
        });
    }
    Ok(header)
}

fn parse_program_headers(file: &[u8], header: &Header) -> Result<Vec<ProgramHeader>, ElfError> {
    let count = usize::from(header.e_phnum);
    let table = file_range(file, header.e_phoff, table_size(header))
        .ok_or(ElfError::TruncatedProgramHeaders)?;
    ProgramHeader::parse(table, 0, count, Endian::Little)
        .map_err(|_| ElfError::TruncatedProgramHeaders)
}

/// Validates each non-empty PT_LOAD on its own terms and against the previous one.
/// Returns them with their program header index.
fn validate_loads(
    file: &[u8],
    phdrs: &[ProgramHeader],
) -> Result<Vec<(usize, ProgramHeader)>, ElfError> {
    let mut loads: Vec<(usize, ProgramHeader)> = Vec::new();
    let mut prev_end: Option<u64> = None;
    for (index, ph) in phdrs.iter().enumerate() {
        if ph.p_type != PT_LOAD || ph.p_memsz == 0 {
            continue;
        }
        if file_range(file, ph.p_offset, ph.p_filesz).is_none() {
            return Err(ElfError::SegmentFileRange { index });
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(ElfError::SegmentFileszExceedsMemsz { index });
        }
        // The kernel maps file pages at page granularity: the in-page offsets must match.
        if ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE {
            return Err(ElfError::SegmentMisaligned { index });
        }
        // The USER_END bound is checked after relocation, by the caller.
        let end = ph
            .p_vaddr
            .checked_add(ph.p_memsz)
            .ok_or(ElfError::SegmentOutsideUserSpace { index })?;
        if prev_end.is_some_and(|prev| ph.p_vaddr < prev) {
            return Err(ElfError::SegmentOverlap { index });
        }
        prev_end = Some(end);
        loads.push((index, *ph));
    }
    Ok(loads)
}

/// Unrelocated address of the program header table: PT_PHDR when it lies inside a
/// PT_LOAD, else where a PT_LOAD's file bytes cover the whole table.
fn phdr_vaddr(
    header: &Header,
    phdrs: &[ProgramHeader],
    loads: &[(usize, ProgramHeader)],
) -> Option<u64> {
    let size = table_size(header);
    let from_pt_phdr = phdrs
        .iter()
        .find(|p| p.p_type == PT_PHDR)
        .map(|p| p.p_vaddr)
        .filter(|&v| loads.iter().any(|(_, ph)| contains(ph, v, size)));
    from_pt_phdr.or_else(|| {
        let start = header.e_phoff;
        let end = start.checked_add(size)?;
        loads.iter().find_map(|(_, ph)| {
            let file_end = ph.p_offset.checked_add(ph.p_filesz)?;
            (ph.p_offset <= start && end <= file_end)
                .then(|| ph.p_vaddr.checked_add(start - ph.p_offset))
                .flatten()
        })
    })
}

/// The interpreter path for the error message: None when it cannot be read sensibly.
fn read_interp(file: &[u8], ph: &ProgramHeader) -> Option<String> {
    if ph.p_filesz > PATH_MAX {
        return None;
    }
    let bytes = file_range(file, ph.p_offset, ph.p_filesz)?;
    let path = bytes.split(|&b| b == 0).next().filter(|p| !p.is_empty())?;
    Some(String::from_utf8_lossy(path).into_owned())
}

/// Whether `[addr, addr + len)` lies inside the segment's memory (unrelocated).
fn contains(ph: &ProgramHeader, addr: u64, len: u64) -> bool {
    let (Some(end), Some(seg_end)) = (addr.checked_add(len), ph.p_vaddr.checked_add(ph.p_memsz))
    else {
        return false;
    };
    ph.p_vaddr <= addr && end <= seg_end
}

/// `len` bytes of the file at `offset`, or None if any of it lies past the end.
fn file_range(file: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    file.get(start..end)
}

fn table_size(header: &Header) -> u64 {
    // e_phnum is a u16: the product cannot overflow.
    u64::from(header.e_phnum) * SIZEOF_PHDR as u64
}

fn prot_from_flags(flags: u32) -> u32 {
    let mut prot = 0;
    if flags & PF_R != 0 {
        prot |= PROT_READ;
    }
    if flags & PF_W != 0 {
        prot |= PROT_WRITE;
    }
    if flags & PF_X != 0 {
        prot |= PROT_EXEC;
    }
    prot
}

fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

fn page_up(addr: u64) -> Option<u64> {
    Some(page_down(addr.checked_add(PAGE_SIZE - 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_range_never_overflows() {
        let file = [0u8; 16];
        assert_eq!(file_range(&file, 0, 16), Some(&file[..]));
        assert_eq!(file_range(&file, 16, 0), Some(&[][..]));
        assert_eq!(file_range(&file, 17, 0), None);
        assert_eq!(file_range(&file, 8, u64::MAX), None);
        assert_eq!(file_range(&file, u64::MAX, 1), None);
        assert_eq!(file_range(&file, u64::MAX, u64::MAX), None);
    }

    #[test]
    fn page_rounding() {
        assert_eq!(page_down(0x1fff), 0x1000);
        assert_eq!(page_up(0x1001), Some(0x2000));
        assert_eq!(page_up(0x2000), Some(0x2000));
        assert_eq!(page_up(u64::MAX), None);
    }

    #[test]
    fn prot_bits() {
        assert_eq!(prot_from_flags(PF_R | PF_X), PROT_READ | PROT_EXEC);
        assert_eq!(prot_from_flags(PF_R | PF_W), PROT_READ | PROT_WRITE);
        assert_eq!(prot_from_flags(0xffff_fff8), 0);
    }
}
