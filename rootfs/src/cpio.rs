//! Reading a newc (`070701`) cpio archive, the initrd format. The archive
//! comes from outside the kernel: every field is checked, nothing panics.

use core::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path as stored, without a leading "./" or "/".
    pub name: &'a [u8],
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the epoch.
    pub mtime: u32,
    pub data: &'a [u8],
}

impl Entry<'_> {
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
    pub fn is_symlink(&self) -> bool {
        self.mode & 0o170000 == 0o120000
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpioError {
    BadMagic { offset: usize },
    BadHeader { offset: usize },
    Truncated { offset: usize },
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            CpioError::BadMagic { offset } => {
                write!(f, "not a newc cpio archive (bad magic at offset {offset})")
            }
            CpioError::BadHeader { offset } => write!(f, "corrupt cpio header at offset {offset}"),
            CpioError::Truncated { offset } => {
                write!(f, "cpio archive truncated at offset {offset}")
            }
        }
    }
}

const HEADER: usize = 110;

fn field(h: &[u8], i: usize) -> Option<u32> {
    let s = h.get(6 + i * 8..6 + i * 8 + 8)?;
    let s = core::str::from_utf8(s).ok()?;
    u32::from_str_radix(s, 16).ok()
}

fn align4(n: usize) -> Option<usize> {
    n.checked_add(3).map(|v| v & !3)
}

/// Iterates the entries of an archive, stopping at `TRAILER!!!`.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

pub fn read(data: &[u8]) -> Reader<'_> {
    Reader {
        data,
        pos: 0,
        done: false,
    }
}

impl<'a> Reader<'a> {
    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, CpioError> {
        let off = self.pos;
        let h = self
            .data
            .get(off..off + HEADER)
            .ok_or(CpioError::Truncated { offset: off })?;
        if &h[..6] != b"070701" && &h[..6] != b"070702" {
            return Err(CpioError::BadMagic { offset: off });
        }
        let bad = CpioError::BadHeader { offset: off };
        let mode = field(h, 1).ok_or(bad)?;
        let uid = field(h, 2).ok_or(bad)?;
        let gid = field(h, 3).ok_or(bad)?;
        let mtime = field(h, 5).ok_or(bad)?;
        let filesize = field(h, 6).ok_or(bad)? as usize;
        let namesize = field(h, 11).ok_or(bad)? as usize;
        if namesize == 0 {
            return Err(bad);
        }
        let name_start = off + HEADER;
        let trunc = CpioError::Truncated { offset: off };
        let name_end = name_start.checked_add(namesize).ok_or(trunc)?;
        let name = self.data.get(name_start..name_end - 1).ok_or(trunc)?; // without the NUL
        let data_start = align4(name_end).ok_or(trunc)?;
        let data_end = data_start.checked_add(filesize).ok_or(trunc)?;
        let data = self.data.get(data_start..data_end).ok_or(trunc)?;
        self.pos = align4(data_end).ok_or(trunc)?;
        if name == b"TRAILER!!!" {
            return Ok(None);
        }
        let mut name = name;
        while let Some(rest) = name.strip_prefix(b"./").or_else(|| name.strip_prefix(b"/")) {
            name = rest;
        }
        Ok(Some(Entry {
            name,
            mode,
            uid,
            gid,
            mtime,
            data,
        }))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Entry<'a>, CpioError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// The regular file at `path` (leading '/' ignored).
pub fn find<'a>(archive: &'a [u8], path: &[u8]) -> Result<Option<Entry<'a>>, CpioError> {
    let path = path.strip_prefix(b"/").unwrap_or(path);
    for e in read(archive) {
        let e = e?;
        if e.name == path {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    fn entry(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
        let h =
            format!(
            "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
            1, mode, 7, 8, 1, 1_600_000_000u32, data.len(), 0, 0, 0, 0, name.len() + 1, 0
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        out.extend_from_slice(data);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }

    fn archive() -> Vec<u8> {
        let mut a = Vec::new();
        entry(&mut a, "bin", 0o040755, b"");
        entry(&mut a, "bin/hello", 0o100755, b"\x7fELF...");
        entry(&mut a, "./x", 0o120777, b"bin/hello");
        entry(&mut a, "TRAILER!!!", 0, b"");
        a
    }

    #[test]
    fn lists_entries_and_finds_files() {
        let a = archive();
        let names: Vec<&[u8]> = read(&a).map(|e| e.unwrap().name).collect();
        assert_eq!(names, [&b"bin"[..], b"bin/hello", b"x"]);
        let e = find(&a, b"/bin/hello").unwrap().unwrap();
        assert!(e.is_file());
        assert_eq!(e.data, b"\x7fELF...");
        assert_eq!((e.uid, e.gid, e.mtime), (7, 8, 1_600_000_000));
        assert!(find(&a, b"/nope").unwrap().is_none());
        assert!(read(&a).nth(2).unwrap().unwrap().is_symlink());
    }

    #[test]
    fn truncations_and_corruptions_are_errors_not_panics() {
        let a = archive();
        for len in 0..a.len() {
            let _ = read(&a[..len]).count();
            let _ = find(&a[..len], b"bin/hello");
        }
        let mut seed = 0x1234_5678u32;
        for _ in 0..5000 {
            let mut b = a.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let i = seed as usize % b.len();
                b[i] = (seed >> 8) as u8;
            }
            let _ = read(&b).count();
        }
        assert_eq!(
            read(b"garbage").next(),
            Some(Err(CpioError::Truncated { offset: 0 }))
        );
        let mut bad = a.clone();
        bad[0] = b'x';
        assert_eq!(
            read(&bad).next(),
            Some(Err(CpioError::BadMagic { offset: 0 }))
        );
    }
}
