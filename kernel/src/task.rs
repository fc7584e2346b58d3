//! The running program: its process state (in `lintel_syscall`), address
//! space and kernel stack, and the kernel services the system calls use.
//! One program, one thread for now.

use crate::arch::gdt::{self, USER_CS, USER_DS};
use crate::arch::trap::{self, TrapFrame};
use crate::mem::addr_space::AddressSpace;
use crate::{klog, mem, random, time};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use lintel_syscall::fs::Vfs;
use lintel_syscall::mm::{FaultAccess, FaultError};
use lintel_syscall::{ExitStatus, Kernel, Process};
use lintel_vfs::Path;
use spin::Mutex;
use x86_64::registers::model_specific::{FsBase, KernelGsBase};
use x86_64::VirtAddr;

struct Task {
    proc: Process,
    aspace: AddressSpace,
    _kstack: Box<[u8]>,
}

static CURRENT: Mutex<Option<Task>> = Mutex::new(None);

const KSTACK_SIZE: usize = 64 * 1024;

/// The kernel services, over the current address space.
struct Services<'a> {
    aspace: &'a mut AddressSpace,
}

impl Kernel for Services<'_> {
    fn populate(&mut self, page: u64, prot: u32) -> Result<(), lintel_syscall::Errno> {
        self.aspace.populate(page, prot)
    }
    fn copy_in(&self, addr: u64, buf: &mut [u8]) {
        self.aspace.copy_in(addr, buf)
    }
    fn copy_out(&mut self, addr: u64, data: &[u8]) {
        self.aspace.copy_out(addr, data)
    }
    fn unmap(&mut self, start: u64, len: u64) {
        self.aspace.unmap(start, len)
    }
    fn protect(&mut self, start: u64, len: u64, prot: u32) {
        self.aspace.protect(start, len, prot)
    }
    fn take_dirty(&mut self, page: u64) -> bool {
        self.aspace.take_dirty(page)
    }
    fn remap(&mut self, from: u64, to: u64, len: u64) {
        self.aspace.remap(from, to, len)
    }
    fn wait_until(&mut self, ready: &mut dyn FnMut() -> bool, deadline_ns: Option<u64>) -> bool {
        // One thread: nothing else can run, so sleep in hlt until an
        // interrupt (a device or the periodic tick) and look again.
        use x86_64::instructions::interrupts;
        loop {
            if ready() {
                return true;
            }
            if deadline_ns.is_some_and(|d| time::tsc::uptime_ns() >= d) {
                return false;
            }
            interrupts::enable_and_hlt();
            interrupts::disable();
        }
    }
    fn monotonic_ns(&self) -> u64 {
        time::tsc::uptime_ns()
    }
    fn realtime_ns(&self) -> u64 {
        time::realtime_ns()
    }
    fn fill_random(&mut self, buf: &mut [u8]) {
        random::fill(buf)
    }
    fn set_fs_base(&mut self, base: u64) {
        FsBase::write(VirtAddr::new_truncate(base));
    }
    fn fs_base(&self) -> u64 {
        FsBase::read().as_u64()
    }
    fn set_gs_base(&mut self, base: u64) {
        // In the kernel the program's GS base waits in KERNEL_GS_BASE (swapgs).
        KernelGsBase::write(VirtAddr::new_truncate(base));
    }
    fn gs_base(&self) -> u64 {
        KernelGsBase::read().as_u64()
    }
    fn cpu_hwcap(&self) -> (u64, u64) {
        (crate::arch::cpu::hwcap(), 0)
    }
    fn memory_stats(&self) -> (u64, u64) {
        let (total, free) = mem::frame::stats();
        (total * 4096, free * 4096)
    }
}

/// Starts `init` as the first program and enters it; never returns.
pub fn start(
    master_pml4: u64,
    vfs: Arc<Vfs>,
    root: Path,
    init: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> ! {
    let Some(mut aspace) = AddressSpace::new(master_pml4) else {
        panic!("out of memory for the first address space")
    };
    aspace.activate();
    let mut proc = Process::new(1, vfs, root);
    let entry = {
        let mut k = Services {
            aspace: &mut aspace,
        };
        match lintel_syscall::process::start_init(
            &mut k,
            &mut proc,
            b"/dev/ttyS0",
            b"/dev/ttyS1",
            init,
            argv,
            envp,
        ) {
            Ok(e) => e,
            Err(e) => {
                log::error!(
                    "cannot execute {}: {}",
                    String::from_utf8_lossy(init),
                    e.name().unwrap_or("?")
                );
                // The shell's statuses: 127 not found, 126 found but not executable.
                finish(ExitStatus::Code(if e == lintel_syscall::Errno::ENOENT {
                    127
                } else {
                    126
                }));
            }
        }
    };
    crate::proc::set_current(proc.view());
    let kstack = vec![0u8; KSTACK_SIZE].into_boxed_slice();
    let top = (kstack.as_ptr() as u64 + KSTACK_SIZE as u64) & !0xf;
    gdt::set_kernel_stack(top);
    let frame_addr = top - core::mem::size_of::<TrapFrame>() as u64;
    let frame = TrapFrame {
        rip: entry.rip,
        cs: USER_CS as u64,
        rflags: 0x202,
        rsp: entry.rsp,
        ss: USER_DS as u64,
        ..TrapFrame::default()
    };
    // SAFETY: frame_addr is inside the fresh kernel stack, suitably aligned,
    // and nothing else uses that stack yet.
    unsafe { core::ptr::write(frame_addr as *mut TrapFrame, frame) };
    *CURRENT.lock() = Some(Task {
        proc,
        aspace,
        _kstack: kstack,
    });
    log::info!(
        "first user instruction at {} us after boot",
        time::tsc::uptime_ns() / 1000
    );
    trap::return_to(frame_addr as *const TrapFrame)
}

/// A system call from the program: decode the registers, dispatch, store the result.
pub fn syscall(f: &mut TrapFrame) {
    let mut guard = CURRENT.lock();
    let Some(t) = guard.as_mut() else {
        panic!("system call without a task")
    };
    let args = [f.rdi, f.rsi, f.rdx, f.r10, f.r8, f.r9];
    let mut k = Services {
        aspace: &mut t.aspace,
    };
    f.rax = lintel_syscall::dispatch(&mut k, &mut t.proc, f.rax, args);
    if let Some(status) = t.proc.exit {
        lintel_syscall::process::release(&mut k, &mut t.proc);
        drop(guard);
        finish(status);
    }
    if let Some(e) = t.proc.exec_entry.take() {
        crate::proc::set_current(t.proc.view());
        // A new program: fresh registers, as Linux's start_thread.
        *f = TrapFrame {
            rip: e.rip,
            rsp: e.rsp,
            cs: USER_CS as u64,
            ss: USER_DS as u64,
            rflags: 0x202,
            ..TrapFrame::default()
        };
        FsBase::write(VirtAddr::new(0));
        KernelGsBase::write(VirtAddr::new(0));
    }
}

/// A page fault in user mode: Ok when the page is now mapped.
pub fn user_page_fault(addr: u64, access: FaultAccess, present: bool) -> Result<(), FaultError> {
    let mut guard = CURRENT.lock();
    let Some(t) = guard.as_mut() else {
        return Err(FaultError::Segv);
    };
    let mut k = Services {
        aspace: &mut t.aspace,
    };
    lintel_syscall::mm::handle_user_fault(&mut k, &t.proc.mm, addr, access, present)
}

/// Kills the program with `sig` (no handlers are delivered yet), as Linux
/// would, and reports the fault like Linux's "segfault at" line.
pub fn kill_current(sig: u8, what: &str, addr: Option<u64>, f: &TrapFrame) -> ! {
    let comm = match CURRENT.lock().as_mut() {
        Some(t) => {
            let mut k = Services {
                aspace: &mut t.aspace,
            };
            lintel_syscall::process::release(&mut k, &mut t.proc);
            String::from_utf8_lossy(&t.proc.comm).into_owned()
        }
        None => String::new(),
    };
    match addr {
        Some(a) => log::warn!(
            "{comm}[1]: {what} (SIG{}) at address {a:#x} rip {:#x} rsp {:#x} error {:#x}",
            signame(sig),
            f.rip,
            f.rsp,
            f.error_code
        ),
        None => log::warn!(
            "{comm}[1]: {what} (SIG{}) at rip {:#x} rsp {:#x}",
            signame(sig),
            f.rip,
            f.rsp
        ),
    }
    finish(ExitStatus::Signal(sig))
}

fn signame(sig: u8) -> &'static str {
    match sig {
        4 => "ILL",
        5 => "TRAP",
        7 => "BUS",
        8 => "FPE",
        9 => "KILL",
        11 => "SEGV",
        _ => "?",
    }
}

/// The end of the run: the protocol's exit line, then QEMU's exit device.
pub fn finish(status: ExitStatus) -> ! {
    let byte = match status {
        ExitStatus::Code(c) => {
            klog::protocol_line(format_args!("exit status={c}"));
            c
        }
        ExitStatus::Signal(s) => {
            klog::protocol_line(format_args!("exit signal={s}"));
            128 + s
        }
    };
    crate::dev::qemu_exit::exit(byte)
}
