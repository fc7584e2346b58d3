//! Build-time checks of the linked vDSO (used by kernel/build.rs): the
//! kernel maps the file's bytes as they are, at any address, into every
//! process, read-only and shared, and no loader ever touches them. So it
//! must be one read-only executable PT_LOAD from address 0, with no
//! relocations, no undefined symbols and no dependencies, and it must
//! carry what musl and glibc look up: DT_HASH and DT_GNU_HASH, DT_SYMTAB,
//! DT_STRTAB, DT_VERSYM and DT_VERDEF, the soname, and every
//! `__vdso_*` function with version LINUX_2.6.

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_TLS: u32 = 7;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

const SHT_RELA: u32 = 4;
const SHT_REL: u32 = 9;
const SHT_RELR: u32 = 19;

const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_PLTGOT: u64 = 3;
const DT_HASH: u64 = 4;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_RELA: u64 = 7;
const DT_INIT: u64 = 12;
const DT_FINI: u64 = 13;
const DT_SONAME: u64 = 14;
const DT_REL: u64 = 17;
const DT_TEXTREL: u64 = 22;
const DT_JMPREL: u64 = 23;
const DT_INIT_ARRAY: u64 = 25;
const DT_FINI_ARRAY: u64 = 26;
const DT_RELR: u64 = 36;
const DT_GNU_HASH: u64 = 0x6fff_fef5;
const DT_VERSYM: u64 = 0x6fff_fff0;
const DT_VERDEF: u64 = 0x6fff_fffc;

pub const SONAME: &str = "linux-vdso.so.1";
pub const VERSION: &str = "LINUX_2.6";

/// What the kernel needs to know of a checked image.
#[derive(Debug)]
pub struct VdsoInfo {
    /// Bytes the PT_LOAD covers (the image mapped from its start).
    pub load_size: u64,
    /// The required symbols and their offsets in the image.
    pub symbols: Vec<(String, u64)>,
}

struct Elf<'a>(&'a [u8]);

impl Elf<'_> {
    fn bytes(&self, off: u64, len: u64) -> Result<&[u8], String> {
        let start = usize::try_from(off).map_err(|_| "offset too large")?;
        let end = start
            .checked_add(usize::try_from(len).map_err(|_| "length too large")?)
            .ok_or("offset overflows")?;
        self.0
            .get(start..end)
            .ok_or_else(|| format!("{len} bytes at {off:#x} are past the end of the file"))
    }
    fn u16(&self, off: u64) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.bytes(off, 2)?.try_into().unwrap()))
    }
    fn u32(&self, off: u64) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.bytes(off, 4)?.try_into().unwrap()))
    }
    fn u64(&self, off: u64) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.bytes(off, 8)?.try_into().unwrap()))
    }
    fn cstr(&self, off: u64) -> Result<&str, String> {
        let rest = self.0.get(off as usize..).ok_or("string past the end")?;
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string")?;
        std::str::from_utf8(&rest[..len]).map_err(|_| "a name is not UTF-8".into())
    }
}

/// Checks the linked vDSO; `required` are the symbol names it must export
/// with version LINUX_2.6.
pub fn check(file: &[u8], required: &[&str]) -> Result<VdsoInfo, String> {
    let e = Elf(file);
    if e.bytes(0, 4)? != b"\x7fELF" || e.bytes(4, 2)? != [2, 1] {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    if e.u16(16)? != 3 || e.u16(18)? != 62 {
        return Err("not an x86_64 shared object (ET_DYN, EM_X86_64)".into());
    }
    let (phoff, phentsize, phnum) = (e.u64(32)?, e.u16(54)? as u64, e.u16(56)? as u64);
    let (shoff, shentsize, shnum) = (e.u64(40)?, e.u16(58)? as u64, e.u16(60)? as u64);

    let mut load = None;
    let mut dynamic = None;
    for i in 0..phnum {
        let p = phoff + i * phentsize;
        let (ty, flags) = (e.u32(p)?, e.u32(p + 4)?);
        let (offset, vaddr, filesz, memsz) = (
            e.u64(p + 8)?,
            e.u64(p + 16)?,
            e.u64(p + 32)?,
            e.u64(p + 40)?,
        );
        match ty {
            PT_LOAD => {
                if load.is_some() {
                    return Err("more than one PT_LOAD".into());
                }
                if offset != 0 || vaddr != 0 {
                    return Err("the PT_LOAD does not start at offset 0, address 0".into());
                }
                if flags != PF_R | PF_X {
                    return Err(format!(
                        "the PT_LOAD's flags are {flags:#x}, not R+X: the pages are shared read-only"
                    ));
                }
                if filesz != memsz {
                    return Err("the PT_LOAD has a bss (memsz != filesz)".into());
                }
                e.bytes(0, filesz)?;
                load = Some(filesz);
            }
            PT_DYNAMIC => {
                if flags & PF_W != 0 {
                    return Err("PT_DYNAMIC is writable".into());
                }
                dynamic = Some((offset, filesz));
            }
            PT_INTERP | PT_TLS => return Err(format!("a program header of type {ty}")),
            _ => {}
        }
    }
    let load_size = load.ok_or("no PT_LOAD")?;
    let (dyn_off, dyn_size) = dynamic.ok_or("no PT_DYNAMIC")?;

    for i in 0..shnum {
        let s = shoff + i * shentsize;
        let (ty, size) = (e.u32(s + 4)?, e.u64(s + 32)?);
        if matches!(ty, SHT_REL | SHT_RELA | SHT_RELR) && size != 0 {
            return Err("it has relocations: a vDSO is mapped without a loader".into());
        }
    }

    let mut tags = std::collections::HashMap::new();
    let mut at = dyn_off;
    while at + 16 <= dyn_off + dyn_size {
        let (tag, val) = (e.u64(at)?, e.u64(at + 8)?);
        if tag == DT_NULL {
            break;
        }
        if matches!(
            tag,
            DT_NEEDED
                | DT_PLTGOT
                | DT_RELA
                | DT_REL
                | DT_TEXTREL
                | DT_JMPREL
                | DT_RELR
                | DT_INIT
                | DT_FINI
                | DT_INIT_ARRAY
                | DT_FINI_ARRAY
        ) {
            return Err(format!(
                "dynamic tag {tag:#x} needs a loader (relocations, dependencies or constructors)"
            ));
        }
        tags.insert(tag, val);
        at += 16;
    }
    let tag = |t: u64, name: &str| {
        tags.get(&t)
            .copied()
            .filter(|&v| v < load_size)
            .ok_or(format!("no {name} in the dynamic section"))
    };
    tag(DT_GNU_HASH, "DT_GNU_HASH")?;
    let hash = tag(DT_HASH, "DT_HASH")?;
    let symtab = tag(DT_SYMTAB, "DT_SYMTAB")?;
    let strtab = tag(DT_STRTAB, "DT_STRTAB")?;
    let versym = tag(DT_VERSYM, "DT_VERSYM")?;
    let verdef = tag(DT_VERDEF, "DT_VERDEF")?;
    let soname = e.cstr(strtab + tags.get(&DT_SONAME).copied().ok_or("no DT_SONAME")?)?;
    if soname != SONAME {
        return Err(format!("soname {soname:?}, not {SONAME:?}"));
    }

    // The version index of LINUX_2.6 (a non-base definition).
    let mut version_ndx = None;
    let mut def = verdef;
    loop {
        let (flags, ndx, aux, next) = (
            e.u16(def + 2)?,
            e.u16(def + 4)?,
            e.u32(def + 12)? as u64,
            e.u32(def + 16)? as u64,
        );
        let name = e.cstr(strtab + e.u32(def + aux)? as u64)?;
        if flags & 1 == 0 && name == VERSION {
            version_ndx = Some(ndx & 0x7fff);
        }
        if next == 0 {
            break;
        }
        def += next;
    }
    let version_ndx = version_ndx.ok_or(format!("no version {VERSION} defined"))?;

    // DT_HASH's nchain is the number of symbols.
    let nsyms = e.u32(hash + 4)? as u64;
    let mut symbols = Vec::new();
    for i in 1..nsyms {
        let s = symtab + i * 24;
        let (name, shndx, value) = (e.u32(s)? as u64, e.u16(s + 6)?, e.u64(s + 8)?);
        let name = e.cstr(strtab + name)?;
        if shndx == 0 {
            return Err(format!("undefined symbol {name}"));
        }
        if e.u16(versym + i * 2)? & 0x7fff == version_ndx && required.contains(&name) {
            if value >= load_size {
                return Err(format!("{name} lies outside the PT_LOAD"));
            }
            symbols.push((name.to_string(), value));
        }
    }
    for name in required {
        if !symbols.iter().any(|(n, _)| n == name) {
            return Err(format!("{name}@{VERSION} is not exported"));
        }
    }
    Ok(VdsoInfo { load_size, symbols })
}
