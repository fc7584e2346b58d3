//! Reads an initial stack image back (argc, argv, envp, auxv and what auxv points
//! at): the round-trip check for [`crate::build_initial_stack`], for this crate's
//! tests and the kernel's. Strict: any malformed or out-of-image pointer gives None.

use alloc::vec::Vec;

use crate::{AT_EXECFN, AT_NULL, AT_PLATFORM, AT_RANDOM};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedStack {
    pub argc: u64,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// In stack order, without the final AT_NULL.
    pub auxv: Vec<(u64, u64)>,
    /// The strings and bytes AT_EXECFN, AT_PLATFORM and AT_RANDOM point at, when present.
    pub execfn: Option<Vec<u8>>,
    pub platform: Option<Vec<u8>>,
    pub random: Option<[u8; 16]>,
}

impl ParsedStack {
    /// The value of the first auxv entry with this key.
    pub fn aux(&self, key: u64) -> Option<u64> {
        self.auxv.iter().find(|(k, _)| *k == key).map(|&(_, v)| v)
    }
}

/// `bytes` is the memory image of `[sp, sp + bytes.len())`.
pub fn parse_initial_stack(bytes: &[u8], sp: u64) -> Option<ParsedStack> {
    let image = Image { bytes, sp };
    let mut words = (0u64..).map(|i| image.word(sp.checked_add(i.checked_mul(8)?)?));

    let argc = words.next()??;
    let mut argv = Vec::new();
    for _ in 0..argc {
        argv.push(image.c_str(words.next()??)?);
    }
    if words.next()?? != 0 {
        return None;
    }
    let mut envp = Vec::new();
    loop {
        match words.next()?? {
            0 => break,
            ptr => envp.push(image.c_str(ptr)?),
        }
    }
    let mut auxv = Vec::new();
    loop {
        let key = words.next()??;
        let value = words.next()??;
        if key == AT_NULL {
            break;
        }
        auxv.push((key, value));
    }

    let mut parsed = ParsedStack {
        argc,
        argv,
        envp,
        auxv,
        execfn: None,
        platform: None,
        random: None,
    };
    if let Some(addr) = parsed.aux(AT_EXECFN) {
        parsed.execfn = Some(image.c_str(addr)?);
    }
    if let Some(addr) = parsed.aux(AT_PLATFORM) {
        parsed.platform = Some(image.c_str(addr)?);
    }
    if let Some(addr) = parsed.aux(AT_RANDOM) {
        parsed.random = Some(image.slice(addr, 16)?.try_into().ok()?);
    }
    Some(parsed)
}

struct Image<'a> {
    bytes: &'a [u8],
    sp: u64,
}

impl Image<'_> {
    /// The bytes at `addr..`, if `addr` lies inside the image.
    fn tail(&self, addr: u64) -> Option<&[u8]> {
        let off = usize::try_from(addr.checked_sub(self.sp)?).ok()?;
        self.bytes.get(off..)
    }

    fn slice(&self, addr: u64, len: usize) -> Option<&[u8]> {
        self.tail(addr)?.get(..len)
    }

    fn word(&self, addr: u64) -> Option<u64> {
        Some(u64::from_le_bytes(self.slice(addr, 8)?.try_into().ok()?))
    }

    /// The NUL-terminated string at `addr`, without its NUL.
    fn c_str(&self, addr: u64) -> Option<Vec<u8>> {
        let tail = self.tail(addr)?;
        let len = tail.iter().position(|&b| b == 0)?;
        Some(tail.get(..len)?.to_vec())
    }
}
