//! Builds synthetic ELF64 files for the tests: an ELF header, a program header
//! table and payload bytes at chosen offsets, every field overridable.
#![allow(dead_code)]

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
pub const ET_REL: u16 = 1;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const EM_X86_64: u16 = 62;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phdr {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}

impl Phdr {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Self {
        Phdr {
            p_type: PT_LOAD,
            p_flags: flags,
            p_offset: offset,
            p_vaddr: vaddr,
            p_filesz: filesz,
            p_memsz: memsz,
            p_align: 0x1000,
        }
    }
    pub fn other(p_type: u32, flags: u32, offset: u64, vaddr: u64, size: u64) -> Self {
        Phdr {
            p_type,
            p_flags: flags,
            p_offset: offset,
            p_vaddr: vaddr,
            p_filesz: size,
            p_memsz: size,
            p_align: 8,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ElfFile {
    pub magic: [u8; 4],
    pub class: u8,
    pub data: u8,
    pub e_type: u16,
    pub e_machine: u16,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_phentsize: u16,
    /// None: the number of `phdrs`.
    pub e_phnum: Option<u16>,
    pub phdrs: Vec<Phdr>,
    /// (file offset, bytes), written after the headers.
    pub payload: Vec<(u64, Vec<u8>)>,
    /// Minimum file length (the file grows to hold the payload anyway).
    pub len: usize,
}

pub const PHOFF: u64 = 64;

impl ElfFile {
    pub fn new(e_type: u16, e_entry: u64, phdrs: Vec<Phdr>) -> Self {
        ElfFile {
            magic: *b"\x7fELF",
            class: 2,
            data: 1,
            e_type,
            e_machine: EM_X86_64,
            e_entry,
            e_phoff: PHOFF,
            e_phentsize: 56,
            e_phnum: None,
            phdrs,
            payload: Vec::new(),
            len: 0,
        }
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        out[..4].copy_from_slice(&self.magic);
        out[4] = self.class;
        out[5] = self.data;
        out[6] = 1; // EV_CURRENT
        put(&mut out, 16, &self.e_type.to_le_bytes());
        put(&mut out, 18, &self.e_machine.to_le_bytes());
        put(&mut out, 20, &1u32.to_le_bytes());
        put(&mut out, 24, &self.e_entry.to_le_bytes());
        put(&mut out, 32, &self.e_phoff.to_le_bytes());
        put(&mut out, 40, &0u64.to_le_bytes()); // no section headers
        put(&mut out, 52, &64u16.to_le_bytes());
        put(&mut out, 54, &self.e_phentsize.to_le_bytes());
        let phnum = self.e_phnum.unwrap_or(self.phdrs.len() as u16);
        put(&mut out, 56, &phnum.to_le_bytes());
        put(&mut out, 58, &64u16.to_le_bytes());
        if let Ok(phoff) = usize::try_from(self.e_phoff) {
            if phoff < 1 << 24 {
                for (i, ph) in self.phdrs.iter().enumerate() {
                    put(&mut out, phoff + i * 56, &phdr_bytes(ph));
                }
            }
        }
        for (offset, bytes) in &self.payload {
            put(&mut out, *offset as usize, bytes);
        }
        if out.len() < self.len {
            out.resize(self.len, 0);
        }
        out
    }
}

pub fn phdr_bytes(ph: &Phdr) -> Vec<u8> {
    let mut b = Vec::with_capacity(56);
    b.extend_from_slice(&ph.p_type.to_le_bytes());
    b.extend_from_slice(&ph.p_flags.to_le_bytes());
    b.extend_from_slice(&ph.p_offset.to_le_bytes());
    b.extend_from_slice(&ph.p_vaddr.to_le_bytes());
    b.extend_from_slice(&ph.p_vaddr.to_le_bytes()); // p_paddr
    b.extend_from_slice(&ph.p_filesz.to_le_bytes());
    b.extend_from_slice(&ph.p_memsz.to_le_bytes());
    b.extend_from_slice(&ph.p_align.to_le_bytes());
    b
}

fn put(out: &mut Vec<u8>, offset: usize, bytes: &[u8]) {
    let end = offset + bytes.len();
    if out.len() < end {
        out.resize(end, 0);
    }
    out[offset..end].copy_from_slice(bytes);
}

/// A static ET_EXEC as ld lays it out at 0x400000: PT_PHDR, a read-only headers
/// segment, text, data + bss, PT_GNU_STACK.
pub fn exec_elf() -> ElfFile {
    let mut f = ElfFile::new(
        ET_EXEC,
        0x401010,
        vec![
            Phdr::other(PT_PHDR, PF_R, PHOFF, 0x400000 + PHOFF, 5 * 56),
            Phdr::load(PF_R, 0, 0x400000, 0x200, 0x200),
            Phdr::load(PF_R | PF_X, 0x1000, 0x401000, 0x123, 0x123),
            Phdr::load(PF_R | PF_W, 0x2010, 0x403010, 0x40, 0x1000),
            Phdr::other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0),
        ],
    );
    f.payload.push((0x1000, vec![0xcc; 0x123]));
    f.payload.push((0x2010, vec![0x5a; 0x40]));
    f
}

/// A static-pie (ET_DYN, no PT_INTERP) linked at 0.
pub fn pie_elf() -> ElfFile {
    let mut f = ElfFile::new(
        ET_DYN,
        0x1040,
        vec![
            Phdr::other(PT_PHDR, PF_R, PHOFF, PHOFF, 5 * 56),
            Phdr::load(PF_R, 0, 0, 0x300, 0x300),
            Phdr::load(PF_R | PF_X, 0x1000, 0x1000, 0x200, 0x200),
            Phdr::load(PF_R | PF_W, 0x2e10, 0x3e10, 0x100, 0x300),
            Phdr::other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0),
        ],
    );
    f.payload.push((0x2e10, vec![0x11; 0x100]));
    f
}

pub const INTERP: &[u8] = b"/lib/ld-musl-x86_64.so.1\0";

/// A dynamically linked executable: like `pie_elf` plus PT_INTERP.
pub fn interp_elf(e_type: u16) -> ElfFile {
    let mut f = pie_elf();
    f.e_type = e_type;
    f.phdrs.insert(
        1,
        Phdr::other(PT_INTERP, PF_R, 0x1c0, 0x1c0, INTERP.len() as u64),
    );
    f.phdrs[0].p_filesz = 6 * 56;
    f.phdrs[0].p_memsz = 6 * 56;
    f.payload.push((0x1c0, INTERP.to_vec()));
    f
}

/// Tiny deterministic PRNG (xorshift64*), so failures reproduce.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
