//! A `Kernel` over plain buffers, so system calls run in host unit tests.

use crate::fs::Vfs;
use crate::mm::{page_down, SpecialPages, VdsoLayout, PAGE_SIZE};
use crate::user::{read_bytes, write_bytes};
use crate::{dispatch, Errno, Kernel, Process};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use lintel_rootfs::tmpfs::{Tmpfs, TmpfsOptions};
use lintel_vfs::{MountFlags, Timespec};
use syscalls::Sysno;

#[derive(Default)]
pub struct FakeKernel {
    /// Present pages: contents and protection.
    pub pages: BTreeMap<u64, (Vec<u8>, u32)>,
    pub mono: u64,
    pub real: u64,
    pub rng: u64,
    pub fs: u64,
    pub gs: u64,
    /// Pages written through copy_out since take_dirty last looked.
    pub dirty: alloc::collections::BTreeSet<u64>,
    /// Refuse to populate more than this many pages (ENOMEM tests).
    pub page_limit: Option<usize>,
    /// Threads and processes started by clone/fork, with their registers.
    pub spawned: Vec<(Process, crate::Regs, crate::process::VmShare, Option<u64>)>,
    pub fpu: Vec<u8>,
    /// The vDSO this kernel offers (none by default).
    pub vdso: Option<VdsoLayout>,
}

impl FakeKernel {
    /// The contents of the kernel's page `index` of `which`: a pattern
    /// that tells pages apart.
    pub fn special_page(&self, which: SpecialPages, index: u64) -> Vec<u8> {
        let tag = match which {
            SpecialPages::Vvar => 0x10,
            SpecialPages::Vdso => 0x20,
        };
        (0..PAGE_SIZE)
            .map(|i| (tag + index as u8) ^ (i as u8))
            .collect()
    }

    fn each_page(addr: u64, len: usize, mut f: impl FnMut(u64, usize, core::ops::Range<usize>)) {
        let mut done = 0usize;
        while done < len {
            let a = addr + done as u64;
            let off = (a % PAGE_SIZE) as usize;
            let n = (PAGE_SIZE as usize - off).min(len - done);
            f(page_down(a), off, done..done + n);
            done += n;
        }
    }
}

impl Kernel for FakeKernel {
    fn populate(&mut self, page: u64, prot: u32) -> Result<(), Errno> {
        if !self.pages.contains_key(&page) {
            if self.page_limit.is_some_and(|l| self.pages.len() >= l) {
                return Err(Errno::ENOMEM);
            }
            self.pages.insert(page, (vec![0; PAGE_SIZE as usize], prot));
        }
        Ok(())
    }
    fn copy_in(&self, addr: u64, buf: &mut [u8]) {
        Self::each_page(addr, buf.len(), |page, off, r| {
            let (p, _) = self
                .pages
                .get(&page)
                .expect("copy_in from a page not populated");
            let n = r.len();
            buf[r].copy_from_slice(&p[off..off + n]);
        });
    }
    fn copy_out(&mut self, addr: u64, data: &[u8]) {
        let pages = &mut self.pages;
        let dirty = &mut self.dirty;
        Self::each_page(addr, data.len(), |page, off, r| {
            dirty.insert(page);
            let (p, _) = pages
                .get_mut(&page)
                .expect("copy_out to a page not populated");
            let n = r.len();
            p[off..off + n].copy_from_slice(&data[r]);
        });
    }
    fn unmap(&mut self, start: u64, len: u64) {
        let keys: Vec<u64> = self
            .pages
            .range(start..start + len)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.pages.remove(&k);
        }
    }
    fn take_dirty(&mut self, page: u64) -> bool {
        self.dirty.remove(&page)
    }
    fn protect(&mut self, start: u64, len: u64, prot: u32) {
        for (_, (_, p)) in self.pages.range_mut(start..start + len) {
            *p = prot;
        }
    }
    fn remap(&mut self, from: u64, to: u64, len: u64) {
        let keys: Vec<u64> = self
            .pages
            .range(from..from + len)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            if let Some(v) = self.pages.remove(&k) {
                self.pages.insert(k - from + to, v);
            }
        }
    }
    fn vdso_pages(&self) -> Option<VdsoLayout> {
        self.vdso
    }
    fn populate_special(
        &mut self,
        page: u64,
        which: SpecialPages,
        index: u64,
        prot: u32,
    ) -> Result<(), Errno> {
        let l = self.vdso.ok_or(Errno::EFAULT)?;
        if index >= l.pages(which) {
            return Err(Errno::EFAULT);
        }
        if !self.pages.contains_key(&page) {
            let bytes = self.special_page(which, index);
            self.pages.insert(page, (bytes, prot));
        }
        Ok(())
    }
    fn wait_until(&mut self, ready: &mut dyn FnMut() -> bool, deadline_ns: Option<u64>) -> bool {
        if ready() {
            return true;
        }
        // Nothing else runs in a unit test: waiting can only end by timeout.
        match deadline_ns {
            Some(d) => {
                self.mono = self.mono.max(d);
                ready()
            }
            None => panic!("the call would block forever"),
        }
    }
    fn monotonic_ns(&self) -> u64 {
        self.mono
    }
    fn realtime_ns(&self) -> u64 {
        self.real
    }
    fn fill_random(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.rng = self
                .rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.rng >> 33) as u8;
        }
    }
    fn set_fs_base(&mut self, base: u64) {
        self.fs = base;
    }
    fn fs_base(&self) -> u64 {
        self.fs
    }
    fn set_gs_base(&mut self, base: u64) {
        self.gs = base;
    }
    fn gs_base(&self) -> u64 {
        self.gs
    }
    fn cpu_hwcap(&self) -> (u64, u64) {
        (0x178bfbff, 2)
    }
    fn memory_stats(&self) -> (u64, u64) {
        (512 << 20, 256 << 20)
    }
    fn spawn(
        &mut self,
        child: Process,
        regs: crate::Regs,
        vm: crate::process::VmShare,
        tls: Option<u64>,
    ) -> Result<(), Errno> {
        self.spawned.push((child, regs, vm, tls));
        Ok(())
    }
    fn exec_address_space(&mut self) -> Result<(), Errno> {
        self.pages.clear();
        Ok(())
    }
    fn fpu_save(&mut self, area: &mut [u8; 512]) {
        let n = self.fpu.len().min(512);
        area[..n].copy_from_slice(&self.fpu[..n]);
    }
    fn fpu_restore(&mut self, area: &[u8; 512]) {
        self.fpu = area.to_vec();
    }
    fn yield_now(&mut self) {}
}

pub struct TestBed {
    pub k: FakeKernel,
    pub p: Process,
    /// The calling thread's registers (a system call's number and
    /// arguments go in; its result and any new context come out).
    pub regs: crate::Regs,
}

impl TestBed {
    pub fn new() -> Self {
        fn now() -> Timespec {
            Timespec {
                sec: 1_700_000_000,
                nsec: 0,
            }
        }
        let vfs = Vfs::default();
        let root = vfs.mounts.mount_root(
            Tmpfs::new(now, TmpfsOptions::default()),
            b"rootfs",
            b"",
            MountFlags::empty(),
        );
        let mut p = Process::new(Arc::new(vfs), root);
        p.comm = b"test".to_vec();
        TestBed {
            k: FakeKernel::default(),
            p,
            regs: crate::Regs::user_entry(0x401000, 0x7fff_0000),
        }
    }

    pub fn call(&mut self, name: &str, args: [u64; 6]) -> u64 {
        let s: Sysno = name.parse().expect("system call name");
        self.call_nr(s.id() as u64, args)
    }

    pub fn call_nr(&mut self, nr: u64, args: [u64; 6]) -> u64 {
        let r = &mut self.regs;
        (r.rax, r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9) =
            (nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        r.vector = crate::SYSCALL_VECTOR;
        dispatch(&mut self.k, &mut self.p, r);
        self.regs.rax
    }

    /// A fresh read-write page-aligned area of 64 KiB.
    pub fn scratch(&mut self) -> u64 {
        let a = self.call("mmap", [0, 0x10000, 3, 0x22, u64::MAX, 0]);
        assert!((a as i64) > 0, "scratch mmap failed: {}", a as i64);
        a
    }

    pub fn try_peek(&mut self, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut b = vec![0; len];
        read_bytes(&mut self.k, &self.p.mm, addr, &mut b)?;
        Ok(b)
    }

    pub fn peek(&mut self, addr: u64, len: usize) -> Vec<u8> {
        self.try_peek(addr, len).expect("peek")
    }

    pub fn try_poke(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        write_bytes(&mut self.k, &self.p.mm, addr, data)
    }

    pub fn poke(&mut self, addr: u64, data: &[u8]) {
        self.try_poke(addr, data).expect("poke")
    }
}

impl TestBed {
    /// Puts `s` plus a NUL in scratch memory at `at`; returns `at`.
    pub fn cstr(&mut self, at: u64, s: &str) -> u64 {
        let mut b = Vec::from(s.as_bytes());
        b.push(0);
        self.poke(at, &b);
        at
    }

    /// The errno of a failed call, or None on success.
    pub fn errno(v: u64) -> Option<i32> {
        let v = v as i64;
        (-4095..0).contains(&v).then(|| -v as i32)
    }
}
