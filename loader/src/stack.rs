//! The initial user stack, laid out exactly as Linux's `create_elf_tables` (after
//! `bprm_execve` copied the strings) builds it on x86_64, from the top down:
//!
//! ```text
//! stack_top - 8    8-byte zero end marker
//!                  execfn string (AT_EXECFN)
//!                  envp strings, then below them the argv strings (argv[0] lowest)
//!                  padding down to 16 bytes
//!                  platform string (AT_PLATFORM), then the 16 AT_RANDOM bytes
//!                  padding, so that sp ends 16-byte aligned
//!                  auxv pairs (ending with AT_NULL)
//!                  envp pointers, NULL
//!                  argv pointers, NULL
//! sp               argc
//! ```

use alloc::vec;
use alloc::vec::Vec;

use crate::auxv::{auxv_entries, AuxvPointers};
use crate::{ElfImage, StackError, PAGE_SIZE};

/// Linux's limit on one argument or environment string, NUL included (E2BIG beyond).
pub const MAX_ARG_STRLEN: usize = 32 * PAGE_SIZE as usize;

const WORD: u64 = 8;

pub struct StackParams<'a> {
    /// Without NUL terminators (and containing none).
    pub argv: &'a [&'a [u8]],
    pub envp: &'a [&'a [u8]],
    /// The path given to execve (AT_EXECFN points at it).
    pub execfn: &'a [u8],
    /// b"x86_64" (AT_PLATFORM); empty: no AT_PLATFORM entry, as Linux without a platform.
    pub platform: &'a [u8],
    /// AT_RANDOM bytes.
    pub random: [u8; 16],
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    pub secure: bool,
    /// AT_HWCAP (CPUID.1:EDX on x86_64).
    pub hwcap: u64,
    pub hwcap2: u64,
    /// AT_CLKTCK (100).
    pub clktck: u64,
    /// AT_MINSIGSTKSZ, emitted when nonzero.
    pub minsigstksz: u64,
    /// AT_SYSINFO_EHDR (vDSO).
    pub sysinfo_ehdr: Option<u64>,
    /// Limit on the total size built (stack_top - sp); beyond it: `StackError::TooBig`.
    pub max_size: usize,
}

/// `bytes` is the memory image of `[sp, stack_top)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialStack {
    pub sp: u64,
    pub bytes: Vec<u8>,
}

/// Builds the initial stack for a program whose top of stack is `stack_top`.
pub fn build_initial_stack(
    stack_top: u64,
    image: &ElfImage,
    p: &StackParams,
) -> Result<InitialStack, StackError> {
    check_strings(p)?;
    // Refuse oversized string sets up front, before any address arithmetic could
    // blame the stack top for what is really E2BIG.
    let strings = strings_len(p.argv)?
        .checked_add(strings_len(p.envp)?)
        .and_then(|n| n.checked_add(c_len(p.execfn)))
        .ok_or(StackError::TooBig)?;
    if strings > p.max_size as u64 {
        return Err(StackError::TooBig);
    }
    let under = |addr: u64, len: u64| addr.checked_sub(len).ok_or(StackError::BadStackTop);

    // Strings, top down, as exec copies them.
    let marker = under(stack_top, WORD)?;
    let execfn = under(marker, c_len(p.execfn))?;
    let env_strings = under(execfn, strings_len(p.envp)?)?;
    let arg_strings = under(env_strings, strings_len(p.argv)?)?;
    let mut cursor = align16_down(arg_strings); // arch_align_stack without randomization
    let platform = if p.platform.is_empty() {
        None
    } else {
        cursor = under(cursor, c_len(p.platform))?;
        Some(cursor)
    };
    let random = under(cursor, 16)?;

    let auxv = auxv_entries(
        image,
        p,
        &AuxvPointers {
            execfn,
            platform,
            random,
        },
    );
    // argc, argv + NULL, envp + NULL, then the auxv pairs.
    let words = words_below(p, auxv.len())?;
    let sp = align16_down(under(
        random,
        words.checked_mul(WORD).ok_or(StackError::TooBig)?,
    )?);

    let size = stack_top
        .checked_sub(sp)
        .and_then(|size| usize::try_from(size).ok())
        .ok_or(StackError::TooBig)?;
    if size > p.max_size {
        return Err(StackError::TooBig);
    }

    let mut w = Writer {
        bytes: vec![0; size],
        sp,
    };
    w.put_str(execfn, p.execfn)?;
    let env_ptrs = w.put_strs(env_strings, p.envp)?;
    let arg_ptrs = w.put_strs(arg_strings, p.argv)?;
    if let Some(addr) = platform {
        w.put_str(addr, p.platform)?;
    }
    w.put(random, &p.random)?;

    let argc = p.argv.len() as u64;
    let pointers = arg_ptrs.iter().chain(&[0]).chain(&env_ptrs).chain(&[0]);
    let aux_words = auxv.iter().flat_map(|&(key, value)| [key, value]);
    let mut at = sp;
    for value in [argc].into_iter().chain(pointers.copied()).chain(aux_words) {
        w.put(at, &value.to_le_bytes())?;
        at = at.checked_add(WORD).ok_or(StackError::BadStackTop)?;
    }
    Ok(InitialStack { sp, bytes: w.bytes })
}

/// Linux's rules for the strings exec copies: none longer than MAX_ARG_STRLEN, and
/// (ours) no embedded NUL, which would silently cut a string short.
fn check_strings(p: &StackParams) -> Result<(), StackError> {
    let all = p.argv.iter().chain(p.envp).chain([&p.execfn, &p.platform]);
    for s in all {
        if s.contains(&0) {
            return Err(StackError::InteriorNul);
        }
        if s.len() >= MAX_ARG_STRLEN {
            return Err(StackError::TooBig);
        }
    }
    Ok(())
}

/// Length with the NUL terminator; strings are bounded by MAX_ARG_STRLEN.
fn c_len(s: &[u8]) -> u64 {
    s.len() as u64 + 1
}

fn strings_len(strings: &[&[u8]]) -> Result<u64, StackError> {
    strings
        .iter()
        .try_fold(0u64, |sum, s| sum.checked_add(c_len(s)))
        .ok_or(StackError::TooBig)
}

/// Number of 8-byte words from sp up to the auxv's end.
fn words_below(p: &StackParams, auxv_pairs: usize) -> Result<u64, StackError> {
    let count = |n: usize| u64::try_from(n).map_err(|_| StackError::TooBig);
    let argv = count(p.argv.len())?;
    let envp = count(p.envp.len())?;
    let auxv = count(auxv_pairs)?;
    1u64.checked_add(argv)
        .and_then(|n| n.checked_add(1))
        .and_then(|n| n.checked_add(envp))
        .and_then(|n| n.checked_add(1))
        .and_then(|n| n.checked_add(auxv.checked_mul(2)?))
        .ok_or(StackError::TooBig)
}

fn align16_down(addr: u64) -> u64 {
    addr & !15
}

/// Writes into the image of `[sp, sp + bytes.len())` by absolute address.
struct Writer {
    bytes: Vec<u8>,
    sp: u64,
}

impl Writer {
    fn put(&mut self, addr: u64, data: &[u8]) -> Result<(), StackError> {
        // Unreachable by construction; an Err rather than a panic if the layout were wrong.
        let start = addr
            .checked_sub(self.sp)
            .and_then(|off| usize::try_from(off).ok())
            .ok_or(StackError::BadStackTop)?;
        let end = start
            .checked_add(data.len())
            .ok_or(StackError::BadStackTop)?;
        self.bytes
            .get_mut(start..end)
            .ok_or(StackError::BadStackTop)?
            .copy_from_slice(data);
        Ok(())
    }

    /// A NUL-terminated string (the buffer is zeroed, so the NUL is already there).
    fn put_str(&mut self, addr: u64, s: &[u8]) -> Result<(), StackError> {
        self.put(addr, s)
    }

    /// Consecutive strings from `addr` upwards; returns their addresses.
    fn put_strs(&mut self, mut addr: u64, strings: &[&[u8]]) -> Result<Vec<u64>, StackError> {
        let mut ptrs = Vec::with_capacity(strings.len());
        for s in strings {
            self.put_str(addr, s)?;
            ptrs.push(addr);
            addr = addr.checked_add(c_len(s)).ok_or(StackError::BadStackTop)?;
        }
        Ok(ptrs)
    }
}
