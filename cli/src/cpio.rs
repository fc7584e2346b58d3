//! A writer for newc (`070701`) cpio archives, the initrd format of
//! docs/boot-protocol.md.

use std::io::{self, Write};

/// `S_IFREG`, `S_IFDIR`, `S_IFLNK`.
pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;

const MAGIC: &[u8; 6] = b"070701";
const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

/// Writes entries one after the other, then the `TRAILER!!!` entry on
/// [`CpioWriter::finish`]. Names are relative paths (`hello`, `bin/sh`).
pub struct CpioWriter<W: Write> {
    out: W,
    written: usize,
    next_ino: u32,
}

impl<W: Write> CpioWriter<W> {
    pub fn new(out: W) -> Self {
        CpioWriter {
            out,
            written: 0,
            next_ino: 1,
        }
    }

    /// A regular file; `perm` holds the permission bits (e.g. `0o755`).
    pub fn file(&mut self, name: &[u8], perm: u32, data: &[u8]) -> io::Result<()> {
        self.entry(name, S_IFREG | (perm & 0o7777), 1, data)
    }

    pub fn dir(&mut self, name: &[u8], perm: u32) -> io::Result<()> {
        self.entry(name, S_IFDIR | (perm & 0o7777), 2, &[])
    }

    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> io::Result<()> {
        self.entry(name, S_IFLNK | 0o777, 1, target)
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.raw_entry(TRAILER, 0, 0, 1, &[])?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn entry(&mut self, name: &[u8], mode: u32, nlink: u32, data: &[u8]) -> io::Result<()> {
        if name.is_empty() || name.contains(&0) || name.starts_with(b"/") || name == TRAILER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio entry name {:?}", String::from_utf8_lossy(name)),
            ));
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.raw_entry(name, ino, mode, nlink, data)
    }

    fn raw_entry(
        &mut self,
        name: &[u8],
        ino: u32,
        mode: u32,
        nlink: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "file too large for cpio (4 GiB)",
            )
        })?;
        let namesize = name.len() + 1;
        let fields: [u32; 13] = [
            ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            size,
            0,
            0, // devmajor, devminor
            0,
            0, // rdevmajor, rdevminor
            namesize as u32,
            0, // check
        ];
        let mut header = Vec::with_capacity(HEADER_LEN + namesize + 3);
        header.extend_from_slice(MAGIC);
        for f in fields {
            header.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        header.extend_from_slice(name);
        header.push(0);
        self.put(&header)?;
        self.pad()?;
        self.put(data)?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len();
        Ok(())
    }

    /// Pads with NULs to the next multiple of 4 of the archive offset.
    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - self.written % 4) % 4;
        self.put(&[0u8; 3][..n])
    }
}

/// The initrd for one program: a single executable file `name` (mode 0100755).
pub fn single_program_archive(name: &[u8], data: &[u8]) -> io::Result<Vec<u8>> {
    let mut w = CpioWriter::new(Vec::with_capacity(data.len() + 512));
    w.file(name, 0o755, data)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[derive(Debug, PartialEq)]
    struct Entry {
        name: Vec<u8>,
        mode: u32,
        nlink: u32,
        ino: u32,
        data: Vec<u8>,
    }

    /// An independent newc reader that insists on the exact layout.
    fn parse(archive: &[u8]) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut off = 0;
        loop {
            assert_eq!(off % 4, 0, "entry not 4-byte aligned");
            let h = &archive[off..off + HEADER_LEN];
            assert_eq!(&h[..6], MAGIC);
            let field = |i: usize| {
                let s = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).unwrap();
                u32::from_str_radix(s, 16).unwrap()
            };
            let (ino, mode, nlink, size, namesize, check) = (
                field(0),
                field(1),
                field(4),
                field(6) as usize,
                field(11) as usize,
                field(12),
            );
            assert_eq!(check, 0);
            let name_start = off + HEADER_LEN;
            assert_eq!(
                archive[name_start + namesize - 1],
                0,
                "name not NUL-terminated"
            );
            let name = archive[name_start..name_start + namesize - 1].to_vec();
            let data_start = (name_start + namesize).next_multiple_of(4);
            assert!(archive[name_start + namesize..data_start]
                .iter()
                .all(|&b| b == 0));
            let data = archive[data_start..data_start + size].to_vec();
            let next = (data_start + size).next_multiple_of(4);
            assert!(archive[data_start + size..next].iter().all(|&b| b == 0));
            off = next;
            if name == TRAILER {
                assert_eq!(off, archive.len(), "bytes after the trailer");
                return entries;
            }
            entries.push(Entry {
                name,
                mode,
                nlink,
                ino,
                data,
            });
        }
    }

    #[test]
    fn single_program_layout() {
        let archive = single_program_archive(b"hello", b"\x7fELF-ish").unwrap();
        assert_eq!(
            parse(&archive),
            vec![Entry {
                name: b"hello".to_vec(),
                mode: 0o100755,
                nlink: 1,
                ino: 1,
                data: b"\x7fELF-ish".to_vec()
            }]
        );
        // The first header is 110 bytes, then "hello\0" → 116, a multiple of 4.
        assert_eq!(&archive[110..116], b"hello\0");
        assert!(archive.ends_with(b"TRAILER!!!\0\0\0\0"));
    }

    #[test]
    fn padding_for_every_name_and_data_length() {
        for name_len in 1..9 {
            for data_len in 0..9 {
                let name = vec![b'n'; name_len];
                let data: Vec<u8> = (0..data_len as u8).collect();
                let archive = single_program_archive(&name, &data).unwrap();
                assert_eq!(archive.len() % 4, 0);
                let entries = parse(&archive);
                assert_eq!(entries.len(), 1);
                assert_eq!(entries[0].name, name);
                assert_eq!(entries[0].data, data);
            }
        }
    }

    #[test]
    fn directories_symlinks_and_inodes() {
        let mut w = CpioWriter::new(Vec::new());
        w.dir(b"bin", 0o755).unwrap();
        w.file(b"bin/busybox", 0o755, b"bb").unwrap();
        w.symlink(b"bin/sh", b"busybox").unwrap();
        let entries = parse(&w.finish().unwrap());
        let summary: Vec<_> = entries
            .iter()
            .map(|e| (e.name.as_slice(), e.mode, e.nlink, e.ino))
            .collect();
        assert_eq!(
            summary,
            vec![
                (&b"bin"[..], 0o040755, 2, 1),
                (&b"bin/busybox"[..], 0o100755, 1, 2),
                (&b"bin/sh"[..], 0o120777, 1, 3),
            ]
        );
        assert_eq!(entries[2].data, b"busybox");
    }

    #[test]
    fn rejects_bad_names() {
        let mut w = CpioWriter::new(Vec::new());
        assert!(w.file(b"", 0o755, b"").is_err());
        assert!(w.file(b"/abs", 0o755, b"").is_err());
        assert!(w.file(b"a\0b", 0o755, b"").is_err());
        assert!(w.file(TRAILER, 0o755, b"").is_err());
    }

    /// Cross-check with a real cpio (GNU cpio, or busybox's applet) when present.
    #[test]
    fn real_cpio_lists_it() {
        let archive = {
            let mut w = CpioWriter::new(Vec::new());
            w.dir(b"bin", 0o755).unwrap();
            w.file(b"bin/hello", 0o755, b"hello world\n").unwrap();
            w.symlink(b"hi", b"bin/hello").unwrap();
            w.finish().unwrap()
        };
        let candidates: [&[&str]; 2] = [&["cpio", "-t"], &["busybox", "cpio", "-t"]];
        for cmd in candidates {
            let Ok(mut child) = Command::new(cmd[0])
                .args(&cmd[1..])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
            else {
                continue;
            };
            child.stdin.take().unwrap().write_all(&archive).unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{cmd:?} failed");
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                "bin\nbin/hello\nhi\n"
            );
            return;
        }
        eprintln!("no cpio found; skipping the cross-check");
    }
}
