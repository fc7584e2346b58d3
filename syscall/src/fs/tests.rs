//! Host tests of the file system calls over a tmpfs root.

use crate::testkit::TestBed;
use alloc::vec::Vec;

const CWD: u64 = (-100i64) as u64;
const O_RDONLY: u64 = 0;
const O_WRONLY: u64 = 1;
const O_RDWR: u64 = 2;
const O_CREAT: u64 = 0o100;
const O_EXCL: u64 = 0o200;
const O_TRUNC: u64 = 0o1000;
const O_APPEND: u64 = 0o2000;
const O_NONBLOCK: u64 = 0o4000;
const O_DIRECTORY: u64 = 0o200000;
const O_NOFOLLOW: u64 = 0o400000;
const O_CLOEXEC: u64 = 0o2000000;

const ENOENT: i32 = 2;
const EBADF: i32 = 9;
const EAGAIN: i32 = 11;
const EEXIST: i32 = 17;
const ENOTDIR: i32 = 20;
const EISDIR: i32 = 21;
const EINVAL: i32 = 22;
const ESPIPE: i32 = 29;
const EPIPE: i32 = 32;
const ENAMETOOLONG: i32 = 36;
const ENOTEMPTY: i32 = 39;
const ELOOP: i32 = 40;
const ENOEXEC: i32 = 8;
const EACCES: i32 = 13;

struct Fs {
    t: TestBed,
    buf: u64,
}

impl Fs {
    fn new() -> Self {
        let mut t = TestBed::new();
        let buf = t.scratch();
        Fs { t, buf }
    }
    /// Calls `name` with a path string placed in scratch memory as argument `path_arg`.
    fn path_call(&mut self, name: &str, path: &str, mut args: [u64; 6], path_arg: usize) -> u64 {
        args[path_arg] = self.t.cstr(self.buf + 0x8000, path);
        self.t.call(name, args)
    }
    fn open(&mut self, path: &str, flags: u64) -> u64 {
        self.path_call("openat", path, [CWD, 0, flags, 0o644, 0, 0], 1)
    }
    fn err(&mut self, v: u64) -> Option<i32> {
        TestBed::errno(v)
    }
    fn write(&mut self, fd: u64, data: &[u8]) -> u64 {
        self.t.poke(self.buf, data);
        self.t
            .call("write", [fd, self.buf, data.len() as u64, 0, 0, 0])
    }
    fn read(&mut self, fd: u64, n: usize) -> Vec<u8> {
        let r = self.t.call("read", [fd, self.buf, n as u64, 0, 0, 0]);
        assert!(TestBed::errno(r).is_none(), "read failed: {}", r as i64);
        self.t.peek(self.buf, r as usize)
    }
    fn two_paths(&mut self, name: &str, a: &str, b: &str, flags: u64) -> u64 {
        let pa = self.t.cstr(self.buf + 0x8000, a);
        let pb = self.t.cstr(self.buf + 0x9000, b);
        match name {
            "renameat2" | "linkat" => self.t.call(name, [CWD, pa, CWD, pb, flags, 0]),
            "symlink" => self.t.call(name, [pa, pb, 0, 0, 0, 0]),
            _ => self.t.call(name, [pa, pb, 0, 0, 0, 0]),
        }
    }
}

#[test]
fn create_write_read_seek() {
    let mut f = Fs::new();
    let fd = f.open("a.txt", O_CREAT | O_RDWR);
    assert_eq!(fd, 0, "lowest free fd");
    assert_eq!(f.write(fd, b"hello world"), 11);
    assert_eq!(f.t.call("lseek", [fd, 6, 0, 0, 0, 0]), 6);
    assert_eq!(f.read(fd, 100), b"world");
    assert_eq!(f.read(fd, 100), b"", "EOF");
    assert_eq!(f.t.call("lseek", [fd, 0, 2, 0, 0, 0]), 11, "SEEK_END");
    let r = f.t.call("lseek", [fd, (-20i64) as u64, 1, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EINVAL));
    assert_eq!(f.t.call("pread64", [fd, f.buf, 5, 0, 0, 0]), 5);
    assert_eq!(f.t.peek(f.buf, 5), b"hello");
    // Sparse write past EOF: the gap reads as zeros.
    f.t.poke(f.buf, b"Z");
    assert_eq!(f.t.call("pwrite64", [fd, f.buf, 1, 20, 0, 0]), 1);
    assert_eq!(f.t.call("pread64", [fd, f.buf, 100, 0, 0, 0]), 21);
    assert_eq!(f.t.peek(f.buf + 11, 10), [0, 0, 0, 0, 0, 0, 0, 0, 0, b'Z']);
    assert_eq!(f.t.call("close", [fd, 0, 0, 0, 0, 0]), 0);
    let r = f.t.call("close", [fd, 0, 0, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EBADF));
}

#[test]
fn open_flag_errors_like_linux() {
    let mut f = Fs::new();
    let fd = f.open("f", O_CREAT | O_WRONLY);
    f.t.call("close", [fd, 0, 0, 0, 0, 0]);
    let r = f.open("f", O_CREAT | O_EXCL | O_WRONLY);
    assert_eq!(f.err(r), Some(EEXIST));
    let r = f.open("missing", O_RDONLY);
    assert_eq!(f.err(r), Some(ENOENT));
    let r = f.open("f", O_DIRECTORY);
    assert_eq!(f.err(r), Some(ENOTDIR));
    let r = f.open("f/", O_RDONLY);
    assert_eq!(f.err(r), Some(ENOTDIR));
    let r = f.open("f/x", O_RDONLY);
    assert_eq!(f.err(r), Some(ENOTDIR));
    f.path_call("mkdir", "d", [0, 0o755, 0, 0, 0, 0], 0);
    let r = f.open("d", O_WRONLY);
    assert_eq!(f.err(r), Some(EISDIR));
    let r = f.open("d", O_CREAT | O_RDONLY);
    assert_eq!(f.err(r), Some(EISDIR));
    let long = "n".repeat(256);
    let r = f.open(&long, O_CREAT | O_RDWR);
    assert_eq!(f.err(r), Some(ENAMETOOLONG));
    // Writing to a read-only fd, reading a write-only one.
    let ro = f.open("f", O_RDONLY);
    assert_eq!(TestBed::errno(f.write(ro, b"x")), Some(EBADF));
    let wo = f.open("f", O_WRONLY);
    let r = f.t.call("read", [wo, f.buf, 1, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EBADF));
}

#[test]
fn append_and_truncate() {
    let mut f = Fs::new();
    let fd = f.open("log", O_CREAT | O_WRONLY | O_APPEND);
    f.write(fd, b"one ");
    f.t.call("lseek", [fd, 0, 0, 0, 0, 0]);
    f.write(fd, b"two");
    let rd = f.open("log", O_RDONLY);
    assert_eq!(f.read(rd, 100), b"one two");
    let fd2 = f.open("log", O_WRONLY | O_TRUNC);
    assert!(f.err(fd2).is_none());
    f.t.call("lseek", [rd, 0, 0, 0, 0, 0]);
    assert_eq!(f.read(rd, 100), b"");
    assert_eq!(f.t.call("ftruncate", [fd2, 3, 0, 0, 0, 0]), 0);
    assert_eq!(f.t.call("pread64", [rd, f.buf, 10, 0, 0, 0]), 3);
    let r = f.t.call("ftruncate", [rd, 3, 0, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EINVAL), "not open for writing");
}

#[test]
fn directories_and_getdents() {
    let mut f = Fs::new();
    assert_eq!(f.path_call("mkdir", "d", [0, 0o755, 0, 0, 0, 0], 0), 0);
    let r = f.path_call("mkdir", "d", [0, 0o755, 0, 0, 0, 0], 0);
    assert_eq!(f.err(r), Some(EEXIST));
    for i in 0..150 {
        let fd = f.open(&alloc::format!("d/file{i:03}"), O_CREAT | O_WRONLY);
        f.t.call("close", [fd, 0, 0, 0, 0, 0]);
    }
    let r = f.path_call("rmdir", "d", [0; 6], 0);
    assert_eq!(f.err(r), Some(ENOTEMPTY));
    let r = f.path_call("rmdir", "d/file000", [0; 6], 0);
    assert_eq!(f.err(r), Some(ENOTDIR));
    let r = f.path_call("unlink", "d", [0; 6], 0);
    assert_eq!(f.err(r), Some(EISDIR));
    let r = f.path_call("rmdir", ".", [0; 6], 0);
    assert_eq!(f.err(r), Some(EINVAL));
    // List it with a small buffer over several calls.
    let dfd = f.open("d", O_RDONLY | O_DIRECTORY);
    let mut names = Vec::new();
    loop {
        let n = f.t.call("getdents64", [dfd, f.buf, 512, 0, 0, 0]);
        assert!(TestBed::errno(n).is_none());
        if n == 0 {
            break;
        }
        let b = f.t.peek(f.buf, n as usize);
        let mut at = 0;
        while at < b.len() {
            let reclen = u16::from_le_bytes([b[at + 16], b[at + 17]]) as usize;
            let name = &b[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&c| c == 0).unwrap()];
            names.push(alloc::string::String::from_utf8(name.to_vec()).unwrap());
            at += reclen;
        }
    }
    assert_eq!(names.len(), 152);
    assert!(
        names.contains(&".".into())
            && names.contains(&"..".into())
            && names.contains(&"file149".into())
    );
    let r = f.t.call("getdents64", [dfd, f.buf, 10, 0, 0, 0]);
    assert_eq!(r, 0, "at the end");
    f.t.call("lseek", [dfd, 0, 0, 0, 0, 0]);
    let r = f.t.call("getdents64", [dfd, f.buf, 10, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EINVAL), "buffer too small for one entry");
}

#[test]
fn cwd_relative_paths_and_getcwd() {
    let mut f = Fs::new();
    f.path_call("mkdir", "a", [0, 0o755, 0, 0, 0, 0], 0);
    f.path_call("mkdir", "a/b", [0, 0o755, 0, 0, 0, 0], 0);
    assert_eq!(f.path_call("chdir", "a/b", [0; 6], 0), 0);
    assert_eq!(f.t.call("getcwd", [f.buf, 100, 0, 0, 0, 0]), 5);
    assert_eq!(f.t.peek(f.buf, 5), b"/a/b\0");
    let r = f.t.call("getcwd", [f.buf, 3, 0, 0, 0, 0]);
    assert_eq!(f.err(r), Some(34), "ERANGE");
    f.path_call("chdir", "../..", [0; 6], 0);
    f.path_call("chdir", "..", [0; 6], 0);
    assert_eq!(
        f.t.call("getcwd", [f.buf, 100, 0, 0, 0, 0]),
        2,
        ".. at the root stays there"
    );
    // Rename an ancestor of the cwd: getcwd follows.
    f.path_call("chdir", "/a/b", [0; 6], 0);
    assert_eq!(f.two_paths("rename", "/a", "/z", 0), 0);
    assert_eq!(f.t.call("getcwd", [f.buf, 100, 0, 0, 0, 0]), 5);
    assert_eq!(f.t.peek(f.buf, 5), b"/z/b\0");
}

#[test]
fn links_symlinks_and_renames() {
    let mut f = Fs::new();
    let fd = f.open("orig", O_CREAT | O_RDWR);
    f.write(fd, b"data");
    assert_eq!(f.two_paths("link", "orig", "hard", 0), 0);
    assert_eq!(f.two_paths("symlink", "orig", "soft", 0), 0);
    let r = f.two_paths("symlink", "x", "soft", 0);
    assert_eq!(f.err(r), Some(EEXIST));
    let n = f.path_call("readlink", "soft", [0, f.buf, 100, 0, 0, 0], 0);
    assert_eq!(f.t.peek(f.buf, n as usize), b"orig");
    let r = f.path_call("readlink", "orig", [0, f.buf, 100, 0, 0, 0], 0);
    assert_eq!(f.err(r), Some(EINVAL));
    let s = f.open("soft", O_RDONLY);
    assert_eq!(f.read(s, 10), b"data");
    let r = f.open("soft", O_RDONLY | O_NOFOLLOW);
    assert_eq!(f.err(r), Some(ELOOP));
    f.two_paths("symlink", "loop2", "loop1", 0);
    f.two_paths("symlink", "loop1", "loop2", 0);
    let r = f.open("loop1", O_RDONLY);
    assert_eq!(f.err(r), Some(ELOOP));
    // stat through the link vs lstat of it.
    f.path_call("stat", "soft", [0, f.buf, 0, 0, 0, 0], 0);
    let mode = u32::from_le_bytes(f.t.peek(f.buf + 24, 4).try_into().unwrap());
    assert_eq!(mode & 0o170000, 0o100000);
    let nlink = u64::from_le_bytes(f.t.peek(f.buf + 16, 8).try_into().unwrap());
    assert_eq!(nlink, 2);
    f.path_call("lstat", "soft", [0, f.buf, 0, 0, 0, 0], 0);
    let mode = u32::from_le_bytes(f.t.peek(f.buf + 24, 4).try_into().unwrap());
    assert_eq!(mode & 0o170000, 0o120000);
    // Renames: a directory cannot move below itself; NOREPLACE refuses.
    f.path_call("mkdir", "d", [0, 0o755, 0, 0, 0, 0], 0);
    f.path_call("mkdir", "d/sub", [0, 0o755, 0, 0, 0, 0], 0);
    let r = f.two_paths("rename", "d", "d/sub/x", 0);
    assert_eq!(f.err(r), Some(EINVAL));
    let r = f.two_paths("renameat2", "orig", "hard", 1);
    assert_eq!(f.err(r), Some(EEXIST));
    let r = f.two_paths("rename", "orig", "d", 0);
    assert_eq!(f.err(r), Some(EISDIR));
    let r = f.two_paths("rename", "d", "orig", 0);
    assert_eq!(f.err(r), Some(ENOTDIR));
    assert_eq!(f.two_paths("rename", "orig", "moved", 0), 0);
    let r = f.open("orig", O_RDONLY);
    assert_eq!(f.err(r), Some(ENOENT));
    // An unlinked open file stays readable.
    f.path_call("unlink", "moved", [0; 6], 0);
    f.path_call("unlink", "hard", [0; 6], 0);
    assert_eq!(f.t.call("pread64", [fd, f.buf, 10, 0, 0, 0]), 4);
}

#[test]
fn dup_and_fcntl() {
    let mut f = Fs::new();
    let fd = f.open("x", O_CREAT | O_RDWR | O_CLOEXEC);
    assert_eq!(f.t.call("fcntl", [fd, 1, 0, 0, 0, 0]), 1, "FD_CLOEXEC");
    let d = f.t.call("dup", [fd, 0, 0, 0, 0, 0]);
    assert_eq!(d, fd + 1);
    assert_eq!(
        f.t.call("fcntl", [d, 1, 0, 0, 0, 0]),
        0,
        "dup clears CLOEXEC"
    );
    f.write(fd, b"abc");
    assert_eq!(f.t.call("lseek", [d, 0, 1, 0, 0, 0]), 3, "shared offset");
    assert_eq!(f.t.call("dup2", [fd, 10, 0, 0, 0, 0]), 10);
    assert_eq!(f.t.call("dup2", [10, 10, 0, 0, 0, 0]), 10);
    let r = f.t.call("dup3", [10, 10, 0, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EINVAL));
    assert_eq!(f.t.call("fcntl", [fd, 0, 5, 0, 0, 0]), 5, "F_DUPFD from 5");
    assert_eq!(
        f.t.call("fcntl", [fd, 3, 0, 0, 0, 0]),
        0o100002,
        "F_GETFL has O_LARGEFILE"
    );
    f.t.call("fcntl", [fd, 4, O_APPEND | O_NONBLOCK, 0, 0, 0]);
    assert_eq!(
        f.t.call("fcntl", [d, 3, 0, 0, 0, 0]),
        0o100002 | O_APPEND | O_NONBLOCK
    );
    let r = f.t.call("fcntl", [99, 1, 0, 0, 0, 0]);
    assert_eq!(f.err(r), Some(EBADF));
}

#[test]
fn pipes() {
    let mut f = Fs::new();
    assert_eq!(f.t.call("pipe2", [f.buf, O_NONBLOCK, 0, 0, 0, 0]), 0);
    let fds = f.t.peek(f.buf, 8);
    let (r, w) = (
        u32::from_le_bytes(fds[..4].try_into().unwrap()) as u64,
        u32::from_le_bytes(fds[4..].try_into().unwrap()) as u64,
    );
    let e = f.t.call("read", [r, f.buf, 10, 0, 0, 0]);
    assert_eq!(f.err(e), Some(EAGAIN));
    assert_eq!(f.write(w, b"through"), 7);
    let e = f.t.call("lseek", [r, 0, 0, 0, 0, 0]);
    assert_eq!(f.err(e), Some(ESPIPE));
    assert_eq!(f.read(r, 100), b"through");
    f.t.call("close", [w, 0, 0, 0, 0, 0]);
    assert_eq!(f.read(r, 100), b"", "EOF without writers");
    assert_eq!(f.t.call("pipe", [f.buf, 0, 0, 0, 0, 0]), 0);
    let fds = f.t.peek(f.buf, 8);
    let (r, w) = (
        u32::from_le_bytes(fds[..4].try_into().unwrap()) as u64,
        u32::from_le_bytes(fds[4..].try_into().unwrap()) as u64,
    );
    f.t.call("close", [r, 0, 0, 0, 0, 0]);
    assert_eq!(TestBed::errno(f.write(w, b"x")), Some(EPIPE));
    let e = f.t.call("pipe2", [f.buf, 0o1, 0, 0, 0, 0]);
    assert_eq!(f.err(e), Some(EINVAL));
}

#[test]
fn mmap_of_a_file_is_a_private_copy() {
    let mut f = Fs::new();
    let fd = f.open("m", O_CREAT | O_RDWR);
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    f.write(fd, &data);
    let a = f.t.call("mmap", [0, 8192, 3, 0x02, fd, 0]);
    assert!(TestBed::errno(a).is_none());
    assert_eq!(f.t.peek(a, 5000), data);
    assert_eq!(f.t.peek(a + 5000, 10), [0; 10]);
    f.t.poke(a, b"private");
    assert_eq!(f.t.call("pread64", [fd, f.buf, 7, 0, 0, 0]), 7);
    assert_eq!(f.t.peek(f.buf, 7), &data[..7], "the file is unchanged");
    let wo = f.open("m", O_WRONLY);
    let e = f.t.call("mmap", [0, 4096, 1, 0x02, wo, 0]);
    assert_eq!(f.err(e), Some(EACCES));
}

#[test]
fn execve_refuses_what_it_cannot_run() {
    let mut f = Fs::new();
    let fd = f.open("junk", O_CREAT | O_RDWR);
    f.write(fd, b"not an ELF at all");
    f.path_call("chmod", "junk", [0, 0o755, 0, 0, 0, 0], 0);
    let argv = f.buf + 0x100;
    f.t.poke(argv, &[0u8; 8]);
    let e = f.path_call("execve", "junk", [0, argv, argv, 0, 0, 0], 0);
    assert_eq!(f.err(e), Some(ENOEXEC));
    f.path_call("chmod", "junk", [0, 0o644, 0, 0, 0, 0], 0);
    let e = f.path_call("execve", "junk", [0, argv, argv, 0, 0, 0], 0);
    assert_eq!(f.err(e), Some(EACCES));
    let e = f.path_call("execve", "/", [0, argv, argv, 0, 0, 0], 0);
    assert_eq!(f.err(e), Some(EACCES));
    let e = f.path_call("execve", "nope", [0, argv, argv, 0, 0, 0], 0);
    assert_eq!(f.err(e), Some(ENOENT));
    assert_eq!(f.t.regs.rip, 0x401000, "the registers are untouched");
}

#[test]
fn map_shared_writes_back_dirty_pages_on_msync_and_munmap() {
    let mut f = Fs::new();
    let fd = f.open("s", O_CREAT | O_RDWR);
    f.write(fd, &[b'.'; 10000]);
    let a = f.t.call("mmap", [0, 12288, 3, 0x01, fd, 0]);
    assert!(TestBed::errno(a).is_none());
    // A write() to the file after mapping is not undone by write-back of a
    // page the program did not touch (pages are the unit of write-back).
    f.t.poke(f.buf, b"W");
    f.t.call("pwrite64", [fd, f.buf, 1, 9000, 0, 0]);
    f.t.poke(a, b"mapped");
    assert_eq!(f.t.call("msync", [a, 12288, 4, 0, 0, 0]), 0);
    assert_eq!(f.t.call("pread64", [fd, f.buf, 6, 0, 0, 0]), 6);
    assert_eq!(f.t.peek(f.buf, 6), b"mapped");
    f.t.poke(a + 4096, b"second");
    assert_eq!(f.t.call("munmap", [a, 12288, 0, 0, 0, 0]), 0);
    assert_eq!(f.t.call("pread64", [fd, f.buf, 6, 4096, 0, 0]), 6);
    assert_eq!(f.t.peek(f.buf, 6), b"second");
    assert_eq!(f.t.call("pread64", [fd, f.buf, 1, 9000, 0, 0]), 1);
    assert_eq!(f.t.peek(f.buf, 1), b"W");
    // The file does not grow to the mapping's length.
    f.path_call("stat", "s", [0, f.buf, 0, 0, 0, 0], 0);
    assert_eq!(
        u64::from_le_bytes(f.t.peek(f.buf + 48, 8).try_into().unwrap()),
        10000
    );
    let ro = f.open("s", O_RDONLY);
    let e = f.t.call("mmap", [0, 4096, 3, 0x01, ro, 0]);
    assert_eq!(f.err(e), Some(EACCES));
}
