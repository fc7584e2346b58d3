//! What the system-call layer needs from the kernel. `kernel/` implements it
//! over real page tables and devices; `testkit` over plain buffers.

use crate::mm::{SpecialPages, VdsoLayout};
use crate::process::VmShare;
use crate::{Errno, Process, Regs};

pub trait Kernel {
    /// Makes the user page at `page` present with `prot` (PROT_*), zero-filled
    /// if it was not. Present pages are left as they are.
    fn populate(&mut self, page: u64, prot: u32) -> Result<(), Errno>;
    /// Copies from user memory whose pages the caller has made present.
    fn copy_in(&self, addr: u64, buf: &mut [u8]);
    /// Copies to user memory whose pages the caller has made present,
    /// regardless of their protection (the loader writes text this way).
    fn copy_out(&mut self, addr: u64, data: &[u8]);
    /// Drops the pages of `[start, start+len)`, freeing their frames.
    fn unmap(&mut self, start: u64, len: u64);
    /// Changes the protection of the present pages of `[start, start+len)`.
    fn protect(&mut self, start: u64, len: u64, prot: u32);
    /// Whether the program wrote to the page since the last call (and
    /// clears that): the PTE's dirty bit.
    fn take_dirty(&mut self, page: u64) -> bool;
    /// Moves the present pages of `[from, from+len)` to `[to, to+len)`.
    fn remap(&mut self, from: u64, to: u64, len: u64);
    /// The sizes of the kernel's vDSO (its data pages and its text), which
    /// exec maps into every program; None when the kernel has none.
    fn vdso_pages(&self) -> Option<VdsoLayout>;
    /// Like `populate`, for a page of a mapping of the kernel's own pages:
    /// when `page` is not present it maps page `index` of `which`, the
    /// frame every process shares, which the program never writes (a
    /// write its protection allows gets a private copy, copy-on-write).
    /// EFAULT when `which` has no page `index`.
    fn populate_special(
        &mut self,
        page: u64,
        which: SpecialPages,
        index: u64,
        prot: u32,
    ) -> Result<(), Errno>;

    /// Blocks the calling thread until `ready()` holds (true) or the
    /// monotonic clock passes `deadline_ns` (false).
    fn wait_until(&mut self, ready: &mut dyn FnMut() -> bool, deadline_ns: Option<u64>) -> bool;

    /// Nanoseconds since boot.
    fn monotonic_ns(&self) -> u64;
    /// Nanoseconds since the Unix epoch.
    fn realtime_ns(&self) -> u64;
    fn fill_random(&mut self, buf: &mut [u8]);

    /// The current thread's FS/GS base (TLS).
    fn set_fs_base(&mut self, base: u64);
    fn fs_base(&self) -> u64;
    fn set_gs_base(&mut self, base: u64);
    fn gs_base(&self) -> u64;

    /// AT_HWCAP and AT_HWCAP2 for the initial stack.
    fn cpu_hwcap(&self) -> (u64, u64);

    /// Total and free RAM in bytes (sysinfo, /proc/meminfo).
    fn memory_stats(&self) -> (u64, u64);

    /// Starts a new thread running `child` from `regs`, in the caller's
    /// address space or a copy of it (`vm`), with FS base `tls` (else the
    /// caller's).
    fn spawn(
        &mut self,
        child: Process,
        regs: Regs,
        vm: VmShare,
        tls: Option<u64>,
    ) -> Result<(), Errno>;
    /// Gives the calling thread a new, empty address space (execve); the
    /// old one lives on while other threads or processes use it.
    fn exec_address_space(&mut self) -> Result<(), Errno>;
    /// The caller's x87/SSE state in FXSAVE format (signal frames), and back.
    fn fpu_save(&mut self, area: &mut [u8; 512]);
    fn fpu_restore(&mut self, area: &[u8; 512]);
    /// Lets other runnable threads run first (sched_yield).
    fn yield_now(&mut self);
}
