//! Access to the calling program's memory. Every access is checked against
//! the process's memory map (EFAULT outside it or without permission) and
//! the pages are populated before the kernel copies, so the kernel never
//! faults on a user address.

use crate::mm::{page_down, populate_page, MemoryMap, PAGE_SIZE, PROT_WRITE, USER_END};
use crate::{Errno, Kernel};
use alloc::vec::Vec;

/// Checks `[addr, addr+len)` against the map and makes its pages present.
pub fn prepare(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    len: u64,
    write: bool,
) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let end = addr
        .checked_add(len)
        .filter(|&e| e <= USER_END)
        .ok_or(Errno::EFAULT)?;
    let mut page = page_down(addr);
    while page < end {
        let vma = mm.find(page).ok_or(Errno::EFAULT)?;
        if vma.prot == 0 || (write && vma.prot & PROT_WRITE == 0) {
            return Err(Errno::EFAULT);
        }
        let stop = vma.end.min(end);
        while page < stop {
            populate_page(k, &vma, page).map_err(|_| Errno::EFAULT)?;
            page += PAGE_SIZE;
        }
    }
    Ok(())
}

pub fn read_bytes(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    buf: &mut [u8],
) -> Result<(), Errno> {
    prepare(k, mm, addr, buf.len() as u64, false)?;
    k.copy_in(addr, buf);
    Ok(())
}

pub fn write_bytes(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    data: &[u8],
) -> Result<(), Errno> {
    prepare(k, mm, addr, data.len() as u64, true)?;
    k.copy_out(addr, data);
    Ok(())
}

/// A plain-old-data ABI struct, read from or written to user memory as its
/// little-endian bytes. Implemented in `abi` by explicit field encoding.
pub trait Pod: Sized {
    const SIZE: usize;
    fn encode(&self, out: &mut [u8]);
    fn decode(b: &[u8]) -> Self;
}

pub fn read_val<T: Pod>(k: &mut dyn Kernel, mm: &MemoryMap, addr: u64) -> Result<T, Errno> {
    let mut buf = [0u8; 512];
    let b = buf.get_mut(..T::SIZE).ok_or(Errno::EINVAL)?;
    read_bytes(k, mm, addr, b)?;
    Ok(T::decode(b))
}

pub fn write_val<T: Pod>(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    v: &T,
) -> Result<(), Errno> {
    let mut buf = [0u8; 512];
    let b = buf.get_mut(..T::SIZE).ok_or(Errno::EINVAL)?;
    v.encode(b);
    write_bytes(k, mm, addr, b)
}

/// Reads a NUL-terminated string of at most `max` bytes (ENAMETOOLONG beyond).
pub fn read_cstr(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    max: usize,
) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        // Up to the end of the page, so a string ending before an unmapped page works.
        let chunk = (PAGE_SIZE - (at % PAGE_SIZE)) as usize;
        let mut buf = [0u8; PAGE_SIZE as usize];
        let b = &mut buf[..chunk];
        read_bytes(k, mm, at, b)?;
        if let Some(n) = b.iter().position(|&c| c == 0) {
            out.extend_from_slice(&b[..n]);
            return Ok(out);
        }
        out.extend_from_slice(b);
        if out.len() > max {
            return Err(Errno::ENAMETOOLONG);
        }
        at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
    }
}

/// Reads a NULL-terminated array of string pointers (argv, envp).
pub fn read_cstr_array(
    k: &mut dyn Kernel,
    mm: &MemoryMap,
    addr: u64,
    max_total: usize,
) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    let mut total = 0usize;
    if addr == 0 {
        return Ok(out);
    }
    for i in 0u64.. {
        let p: u64 = read_val(k, mm, addr.checked_add(i * 8).ok_or(Errno::EFAULT)?)?;
        if p == 0 {
            break;
        }
        let s = read_cstr(k, mm, p, max_total)?;
        total += s.len() + 9;
        if total > max_total {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}

impl Pod for u64 {
    const SIZE: usize = 8;
    fn encode(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&self.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        u64::from_le_bytes(a)
    }
}

impl Pod for u32 {
    const SIZE: usize = 4;
    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        let mut a = [0u8; 4];
        a.copy_from_slice(&b[..4]);
        u32::from_le_bytes(a)
    }
}

impl Pod for i32 {
    const SIZE: usize = 4;
    fn encode(&self, out: &mut [u8]) {
        out[..4].copy_from_slice(&self.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Self {
        u32::decode(b) as i32
    }
}
