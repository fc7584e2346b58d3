//! Why an ELF file cannot be run, or why its initial stack cannot be built.
//! Messages are one line, meant for the user who typed the command.

use alloc::string::String;
use core::fmt;

/// Linux errno values the kernel returns from execve for these errors.
const E2BIG: i32 = 7;
const ENOEXEC: i32 = 8;
const EINVAL: i32 = 22;

/// A refused ELF file. `index` fields are program header indices (as `readelf -l` numbers them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    BadMagic,
    TruncatedHeader,
    Not64Bit {
        class: u8,
    },
    NotLittleEndian {
        data: u8,
    },
    WrongMachine {
        machine: u16,
    },
    NotExecutable {
        e_type: u16,
    },
    BadPhentsize {
        phentsize: u16,
    },
    TooManyProgramHeaders {
        phnum: u16,
    },
    TruncatedProgramHeaders,
    /// Has a PT_INTERP; `interp` is its path when it could be read.
    Dynamic {
        interp: Option<String>,
    },
    SegmentFileRange {
        index: usize,
    },
    SegmentFileszExceedsMemsz {
        index: usize,
    },
    SegmentOutsideUserSpace {
        index: usize,
    },
    SegmentInPageZero {
        index: usize,
    },
    SegmentMisaligned {
        index: usize,
    },
    /// PT_LOADs must be sorted by address and must not overlap (the ELF spec requires it).
    SegmentOverlap {
        index: usize,
    },
    NoLoadableSegment,
    EntryOutsideSegments {
        entry: u64,
    },
}

impl ElfError {
    /// The errno execve reports: Linux says ENOEXEC for every malformed or unsupported binary.
    pub fn errno(&self) -> i32 {
        ENOEXEC
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => write!(f, "not an ELF file (bad magic)"),
            Self::TruncatedHeader => write!(f, "truncated: ELF header past end of file"),
            Self::Not64Bit { class } => write!(f, "not a 64-bit ELF (EI_CLASS={class})"),
            Self::NotLittleEndian { data } => write!(f, "not little-endian (EI_DATA={data})"),
            Self::WrongMachine { machine } => {
                write!(f, "not an x86_64 binary (e_machine={machine})")
            }
            Self::NotExecutable { e_type } => write!(f, "not an executable (e_type={e_type})"),
            Self::BadPhentsize { phentsize } => {
                write!(
                    f,
                    "bad program header size (e_phentsize={phentsize}, expected 56)"
                )
            }
            Self::TooManyProgramHeaders { phnum } => {
                write!(f, "too many program headers (e_phnum={phnum})")
            }
            Self::TruncatedProgramHeaders => {
                write!(f, "truncated: program headers past end of file")
            }
            Self::Dynamic { interp: Some(path) } => write!(
                f,
                "dynamically linked (PT_INTERP {}): only static binaries are supported",
                Printable(path)
            ),
            Self::Dynamic { interp: None } => write!(
                f,
                "dynamically linked (unreadable PT_INTERP): only static binaries are supported"
            ),
            Self::SegmentFileRange { index } => {
                write!(f, "segment {index}: file range past end of file")
            }
            Self::SegmentFileszExceedsMemsz { index } => {
                write!(f, "segment {index}: filesz > memsz")
            }
            Self::SegmentOutsideUserSpace { index } => {
                write!(f, "segment {index}: address outside user space")
            }
            Self::SegmentInPageZero { index } => {
                write!(f, "segment {index}: maps page 0 (vaddr below 4096)")
            }
            Self::SegmentMisaligned { index } => {
                write!(
                    f,
                    "segment {index}: vaddr and offset disagree modulo page size"
                )
            }
            Self::SegmentOverlap { index } => {
                write!(
                    f,
                    "segment {index}: overlaps or precedes the previous loadable segment"
                )
            }
            Self::NoLoadableSegment => write!(f, "no loadable segment"),
            Self::EntryOutsideSegments { entry } => {
                write!(f, "entry point {entry:#x} outside the loaded segments")
            }
        }
    }
}

/// Why the initial stack could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackError {
    /// argv + envp + auxv exceed `max_size` or a string exceeds MAX_ARG_STRLEN (Linux: E2BIG).
    TooBig,
    /// An argv/envp/execfn/platform string contains a NUL byte: the program would see it cut short.
    InteriorNul,
    /// The stack would not fit below `stack_top` (a kernel bug, not the user's).
    BadStackTop,
}

impl StackError {
    pub fn errno(&self) -> i32 {
        match self {
            Self::TooBig => E2BIG,
            Self::InteriorNul | Self::BadStackTop => EINVAL,
        }
    }
}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooBig => write!(f, "argument list too long"),
            Self::InteriorNul => write!(f, "argument or environment string contains a NUL byte"),
            Self::BadStackTop => write!(f, "initial stack does not fit below the stack top"),
        }
    }
}

/// Prints a file-supplied string with control characters escaped, so a hostile
/// PT_INTERP cannot send escape sequences to the console.
struct Printable<'a>(&'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}
