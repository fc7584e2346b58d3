//! A writer for newc (`070701`) cpio archives, the initrd format of
//! docs/boot-protocol.md.

use std::io::{self, Read, Write};

/// `S_IFREG`, `S_IFDIR`, `S_IFLNK`.
pub const S_IFREG: u32 = 0o100000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFLNK: u32 = 0o120000;

const MAGIC: &[u8; 6] = b"070701";
const HEADER_LEN: usize = 110;
const TRAILER: &[u8] = b"TRAILER!!!";

/// What a newc header records about an entry besides its name, type and
/// size: the permission bits (`0o7777`), owner, group and modification time
/// (seconds since the epoch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u32,
}

impl Meta {
    /// Owned by root, mtime 0.
    pub fn perm(perm: u32) -> Meta {
        Meta {
            perm,
            ..Meta::default()
        }
    }
}

/// Writes entries one after the other, then the `TRAILER!!!` entry on
/// [`CpioWriter::finish`]. Names are relative paths (`hello`, `bin/sh`).
pub struct CpioWriter<W: Write> {
    out: W,
    written: u64,
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
        self.file_from(name, &Meta::perm(perm), data.len() as u64, &mut &data[..])
    }

    /// A regular file of exactly `size` bytes read from `data`: it is an
    /// error when `data` ends sooner (the file shrank while being packed).
    /// Only `size` bytes are read, so a file that grew is cut at `size`.
    pub fn file_from(
        &mut self,
        name: &[u8],
        meta: &Meta,
        size: u64,
        data: &mut dyn Read,
    ) -> io::Result<()> {
        let size32 = u32::try_from(size).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: file too large for cpio (4 GiB)",
                    String::from_utf8_lossy(name)
                ),
            )
        })?;
        self.header(name, S_IFREG | (meta.perm & 0o7777), 1, meta, size32)?;
        let copied = io::copy(&mut data.take(size), &mut Counted(self))?;
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{}: {copied} bytes read, {size} expected (did the file change?)",
                    String::from_utf8_lossy(name)
                ),
            ));
        }
        self.pad()
    }

    pub fn dir(&mut self, name: &[u8], perm: u32) -> io::Result<()> {
        self.dir_meta(name, &Meta::perm(perm))
    }

    pub fn dir_meta(&mut self, name: &[u8], meta: &Meta) -> io::Result<()> {
        self.header(name, S_IFDIR | (meta.perm & 0o7777), 2, meta, 0)?;
        self.pad()
    }

    pub fn symlink(&mut self, name: &[u8], target: &[u8]) -> io::Result<()> {
        self.symlink_meta(name, &Meta::perm(0o777), target)
    }

    /// A symlink; its permission bits are always `0777`, as on Linux.
    pub fn symlink_meta(&mut self, name: &[u8], meta: &Meta, target: &[u8]) -> io::Result<()> {
        let size = u32::try_from(target.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "symlink target too long"))?;
        self.header(name, S_IFLNK | 0o777, 1, meta, size)?;
        self.put(target)?;
        self.pad()
    }

    /// Writes the trailer and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.raw_header(TRAILER, 0, 0, 1, &Meta::default(), 0)?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The header of a named entry, with the next inode number; the caller
    /// writes `size` bytes of data and the padding.
    fn header(
        &mut self,
        name: &[u8],
        mode: u32,
        nlink: u32,
        meta: &Meta,
        size: u32,
    ) -> io::Result<()> {
        if name.is_empty() || name.contains(&0) || name.starts_with(b"/") || name == TRAILER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad cpio entry name {:?}", String::from_utf8_lossy(name)),
            ));
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.raw_header(name, ino, mode, nlink, meta, size)
    }

    fn raw_header(
        &mut self,
        name: &[u8],
        ino: u32,
        mode: u32,
        nlink: u32,
        meta: &Meta,
        size: u32,
    ) -> io::Result<()> {
        let namesize = name.len() + 1;
        let fields: [u32; 13] = [
            ino,
            mode,
            meta.uid,
            meta.gid,
            nlink,
            meta.mtime,
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
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Pads with NULs to the next multiple of 4 of the archive offset.
    fn pad(&mut self) -> io::Result<()> {
        let n = ((4 - self.written % 4) % 4) as usize;
        self.put(&[0u8; 3][..n])
    }
}

/// File data on its way into the archive, counted for the padding.
struct Counted<'a, W: Write>(&'a mut CpioWriter<W>);

impl<W: Write> Write for Counted<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.0.out.write(buf)?;
        self.0.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.out.flush()
    }
}

/// The initrd for one program: a single executable file `name` (mode 0100755).
pub fn single_program_archive(name: &[u8], data: &[u8]) -> io::Result<Vec<u8>> {
    let mut w = CpioWriter::new(Vec::with_capacity(data.len() + 512));
    w.file(name, 0o755, data)?;
    w.finish()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[derive(Debug, PartialEq)]
    pub(crate) struct Entry {
        pub name: Vec<u8>,
        pub mode: u32,
        pub uid: u32,
        pub gid: u32,
        pub nlink: u32,
        pub mtime: u32,
        pub ino: u32,
        pub data: Vec<u8>,
    }

    /// An independent newc reader that insists on the exact layout.
    pub(crate) fn parse(archive: &[u8]) -> Vec<Entry> {
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
            let (ino, mode, uid, gid, nlink, mtime, size, namesize, check) = (
                field(0),
                field(1),
                field(2),
                field(3),
                field(4),
                field(5),
                field(6) as usize,
                field(11) as usize,
                field(12),
            );
            assert_eq!((field(7), field(8), field(9), field(10)), (0, 0, 0, 0));
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
                uid,
                gid,
                nlink,
                mtime,
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
                uid: 0,
                gid: 0,
                nlink: 1,
                mtime: 0,
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
    fn metadata_is_recorded() {
        let mut w = CpioWriter::new(Vec::new());
        let meta = Meta {
            perm: 0o4750,
            uid: 1000,
            gid: 100,
            mtime: 1_234_567_890,
        };
        w.file_from(b"f", &meta, 3, &mut &b"abc"[..]).unwrap();
        w.dir_meta(
            b"d",
            &Meta {
                perm: 0o1777,
                ..meta
            },
        )
        .unwrap();
        w.symlink_meta(
            b"l",
            &Meta {
                perm: 0o644,
                ..meta
            },
            b"f",
        )
        .unwrap();
        let e = parse(&w.finish().unwrap());
        assert_eq!(
            (
                e[0].mode,
                e[0].uid,
                e[0].gid,
                e[0].mtime,
                e[0].data.as_slice()
            ),
            (0o104750, 1000, 100, 1_234_567_890, &b"abc"[..])
        );
        assert_eq!((e[1].mode, e[1].mtime), (0o041777, 1_234_567_890));
        // A symlink's permission bits are always 0777.
        assert_eq!(
            (e[2].mode, e[2].uid, e[2].data.as_slice()),
            (0o120777, 1000, &b"f"[..])
        );
    }

    #[test]
    fn streamed_file_must_have_its_size() {
        let mut w = CpioWriter::new(Vec::new());
        let err = w
            .file_from(b"short", &Meta::perm(0o644), 10, &mut &b"abc"[..])
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        // A longer source is cut at the size.
        let mut w = CpioWriter::new(Vec::new());
        w.file_from(b"long", &Meta::perm(0o644), 2, &mut &b"abcdef"[..])
            .unwrap();
        assert_eq!(parse(&w.finish().unwrap())[0].data, b"ab");
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
