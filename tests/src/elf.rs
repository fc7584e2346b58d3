//! Just enough ELF64 header reading to tell how a guest binary was linked.

use std::path::Path;

const PT_INTERP: u32 = 3;
const PT_DYNAMIC: u32 = 2;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;

/// What the ELF and program headers say about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    /// `e_type`: `ET_EXEC` (2) or `ET_DYN` (3).
    pub e_type: u16,
    /// A `PT_INTERP` header: the file asks for a dynamic loader.
    pub has_interp: bool,
    /// A `PT_DYNAMIC` header (static-pie binaries have one for self-relocation).
    pub has_dynamic: bool,
}

impl ElfInfo {
    /// Static, position-dependent: `ET_EXEC` without `PT_INTERP`.
    pub fn is_static(&self) -> bool {
        self.e_type == ET_EXEC && !self.has_interp
    }

    /// Static-pie: `ET_DYN` without `PT_INTERP` (relocates itself).
    pub fn is_static_pie(&self) -> bool {
        self.e_type == ET_DYN && !self.has_interp
    }
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(off..off + 8)?.try_into().ok()?))
}

/// Parses the ELF64 little-endian x86_64 header and program headers of `bytes`.
pub fn parse(bytes: &[u8]) -> Result<ElfInfo, String> {
    if bytes.get(0..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if bytes.get(4) != Some(&2) || bytes.get(5) != Some(&1) {
        return Err("not ELF64 little-endian".into());
    }
    let bad = || "truncated ELF header".to_string();
    let e_type = u16_at(bytes, 16).ok_or_else(bad)?;
    let e_machine = u16_at(bytes, 18).ok_or_else(bad)?;
    if e_machine != 62 {
        return Err(format!("e_machine {e_machine} is not x86_64 (62)"));
    }
    let phoff = u64_at(bytes, 32).ok_or_else(bad)? as usize;
    let phentsize = u16_at(bytes, 54).ok_or_else(bad)? as usize;
    let phnum = u16_at(bytes, 56).ok_or_else(bad)? as usize;
    let mut info = ElfInfo {
        e_type,
        has_interp: false,
        has_dynamic: false,
    };
    for i in 0..phnum {
        let p_type = u32_at(bytes, phoff + i * phentsize)
            .ok_or_else(|| "truncated program headers".to_string())?;
        info.has_interp |= p_type == PT_INTERP;
        info.has_dynamic |= p_type == PT_DYNAMIC;
    }
    Ok(info)
}

/// Reads and parses the ELF file at `path`.
pub fn inspect(path: &Path) -> Result<ElfInfo, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(e_type: u16, phdrs: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56 * phdrs.len()];
        b[0..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[16..18].copy_from_slice(&e_type.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for (i, t) in phdrs.iter().enumerate() {
            b[64 + 56 * i..68 + 56 * i].copy_from_slice(&t.to_le_bytes());
        }
        b
    }

    #[test]
    fn classifies_link_kinds() {
        assert!(parse(&header(ET_EXEC, &[1, 1])).unwrap().is_static());
        let pie = parse(&header(ET_DYN, &[1, PT_DYNAMIC])).unwrap();
        assert!(pie.is_static_pie() && pie.has_dynamic);
        let dynamic = parse(&header(ET_DYN, &[6, PT_INTERP, 1])).unwrap();
        assert!(!dynamic.is_static_pie() && !dynamic.is_static());
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(parse(b"not an elf").is_err());
        let mut h = header(ET_EXEC, &[1, 1]);
        h.truncate(64 + 56 + 2);
        assert!(parse(&h).is_err());
    }
}
