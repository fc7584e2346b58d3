//! Flags that 9P2000.L carries in its own encoding: open flags (Tlopen,
//! Tlcreate) and `*at` flags (Tunlinkat).
//!
//! The `P9_DOTL_*` values happen to equal x86_64 Linux's `O_*`, but the
//! protocol defines them independently (generic Linux values, which other
//! architectures do not share), so they are mapped bit by bit as Linux's
//! `v9fs_open_to_dotl_flags` does.

/// 9P2000.L open flags (Linux `P9_DOTL_*`).
pub mod dotl {
    pub const RDONLY: u32 = 0o0;
    pub const WRONLY: u32 = 0o1;
    pub const RDWR: u32 = 0o2;
    pub const NOACCESS: u32 = 0o3;
    pub const CREATE: u32 = 0o100;
    pub const EXCL: u32 = 0o200;
    pub const NOCTTY: u32 = 0o400;
    pub const TRUNC: u32 = 0o1000;
    pub const APPEND: u32 = 0o2000;
    pub const NONBLOCK: u32 = 0o4000;
    pub const DSYNC: u32 = 0o10000;
    pub const FASYNC: u32 = 0o20000;
    pub const DIRECT: u32 = 0o40000;
    pub const LARGEFILE: u32 = 0o100000;
    pub const DIRECTORY: u32 = 0o200000;
    pub const NOFOLLOW: u32 = 0o400000;
    pub const NOATIME: u32 = 0o1000000;
    pub const CLOEXEC: u32 = 0o2000000;
    pub const SYNC: u32 = 0o4000000;
    /// Tunlinkat flag: remove a directory (`rmdir`).
    pub const AT_REMOVEDIR: u32 = 0x200;
}

/// x86_64 Linux `open(2)` flags, as programs pass them.
pub mod linux {
    pub const O_ACCMODE: u32 = 0o3;
    pub const O_CREAT: u32 = 0o100;
    pub const O_EXCL: u32 = 0o200;
    pub const O_NOCTTY: u32 = 0o400;
    pub const O_TRUNC: u32 = 0o1000;
    pub const O_APPEND: u32 = 0o2000;
    pub const O_NONBLOCK: u32 = 0o4000;
    pub const O_DSYNC: u32 = 0o10000;
    pub const FASYNC: u32 = 0o20000;
    pub const O_DIRECT: u32 = 0o40000;
    pub const O_LARGEFILE: u32 = 0o100000;
    pub const O_DIRECTORY: u32 = 0o200000;
    pub const O_NOFOLLOW: u32 = 0o400000;
    pub const O_NOATIME: u32 = 0o1000000;
    pub const O_CLOEXEC: u32 = 0o2000000;
    /// The bit that `O_SYNC` (= `__O_SYNC | O_DSYNC`) adds to `O_DSYNC`.
    pub const __O_SYNC: u32 = 0o4000000;
    pub const AT_REMOVEDIR: u32 = 0x200;
}

const MAP: [(u32, u32); 15] = [
    (linux::O_CREAT, dotl::CREATE),
    (linux::O_EXCL, dotl::EXCL),
    (linux::O_NOCTTY, dotl::NOCTTY),
    (linux::O_TRUNC, dotl::TRUNC),
    (linux::O_APPEND, dotl::APPEND),
    (linux::O_NONBLOCK, dotl::NONBLOCK),
    (linux::O_DSYNC, dotl::DSYNC),
    (linux::FASYNC, dotl::FASYNC),
    (linux::O_DIRECT, dotl::DIRECT),
    (linux::O_LARGEFILE, dotl::LARGEFILE),
    (linux::O_DIRECTORY, dotl::DIRECTORY),
    (linux::O_NOFOLLOW, dotl::NOFOLLOW),
    (linux::O_NOATIME, dotl::NOATIME),
    (linux::O_CLOEXEC, dotl::CLOEXEC),
    (linux::__O_SYNC, dotl::SYNC),
];

/// Maps x86_64 Linux open flags to the 9P2000.L encoding. Bits without a
/// 9P2000.L meaning (`O_PATH`, `O_TMPFILE`'s own bit) are dropped.
///
/// Unlike Linux's v9fs, `O_TRUNC` is passed on: v9fs truncates through
/// setattr from its VFS, while here the open itself may carry it (QEMU and
/// diod honour it). The caller chooses by masking it out.
pub fn open_to_dotl(flags: u32) -> u32 {
    let mut out = flags & linux::O_ACCMODE;
    for (l, d) in MAP {
        if flags & l != 0 {
            out |= d;
        }
    }
    out
}

/// Maps `unlinkat(2)` flags to Tunlinkat's (only `AT_REMOVEDIR` has a meaning).
pub fn unlinkat_to_dotl(flags: u32) -> u32 {
    if flags & linux::AT_REMOVEDIR != 0 {
        dotl::AT_REMOVEDIR
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_64_values_coincide_bit_for_bit() {
        for (l, d) in MAP {
            assert_eq!(open_to_dotl(l), d);
        }
        assert_eq!(
            open_to_dotl(0o2 | 0o100 | 0o1000),
            dotl::RDWR | dotl::CREATE | dotl::TRUNC
        );
        // O_SYNC sets both bits, as in Linux.
        assert_eq!(open_to_dotl(0o4010000), dotl::SYNC | dotl::DSYNC);
        // O_PATH (0o10000000) has no 9P2000.L meaning.
        assert_eq!(open_to_dotl(0o10000000), 0);
        assert_eq!(unlinkat_to_dotl(0x200), dotl::AT_REMOVEDIR);
        assert_eq!(unlinkat_to_dotl(0x100), 0);
    }
}
