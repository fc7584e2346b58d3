//! Threads as the kernel sees them: the system-call path, user faults, the
//! way back to user mode (signals, thread and process exit), and the
//! kernel services (`Kernel`) the system-call layer runs on.

use crate::arch::trap::TrapFrame;
use crate::mem::addr_space::AddressSpace;
use crate::sched::{self, fpu, Task};
use crate::{klog, mem, random, time};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lintel_syscall::fs::Vfs;
use lintel_syscall::mm::{FaultAccess, FaultError, SpecialPages, VdsoLayout};
use lintel_syscall::process::{ThreadEnd, VmShare};
use lintel_syscall::signal::SigInfo;
use lintel_syscall::{Errno, ExitStatus, Kernel, Process, Regs};
use lintel_vfs::Path;
use spin::{Mutex, Once};
use x86_64::registers::model_specific::{FsBase, KernelGsBase};
use x86_64::VirtAddr;

/// Frames (beyond the kernel's reserve) a fork wants to find free.
const FORK_HEADROOM_FRAMES: u64 = 64;

/// The kernel's master page table (the kernel half every address space shares).
static MASTER_PML4: Once<u64> = Once::new();

/// The kernel services, for the thread running now.
struct Services {
    aspace: Arc<Mutex<AddressSpace>>,
}

impl Kernel for Services {
    fn populate(&mut self, page: u64, prot: u32) -> Result<(), Errno> {
        self.aspace.lock().populate(page, prot)
    }
    fn copy_in(&self, addr: u64, buf: &mut [u8]) {
        self.aspace.lock().copy_in(addr, buf)
    }
    fn copy_out(&mut self, addr: u64, data: &[u8]) {
        self.aspace.lock().copy_out(addr, data)
    }
    fn unmap(&mut self, start: u64, len: u64) {
        self.aspace.lock().unmap(start, len)
    }
    fn protect(&mut self, start: u64, len: u64, prot: u32) {
        self.aspace.lock().protect(start, len, prot)
    }
    fn take_dirty(&mut self, page: u64) -> bool {
        self.aspace.lock().take_dirty(page)
    }
    fn remap(&mut self, from: u64, to: u64, len: u64) {
        self.aspace.lock().remap(from, to, len)
    }
    fn vdso_pages(&self) -> Option<VdsoLayout> {
        Some(crate::vdso::layout())
    }
    fn populate_special(
        &mut self,
        page: u64,
        which: SpecialPages,
        index: u64,
        prot: u32,
    ) -> Result<(), Errno> {
        let kframe = crate::vdso::frame(which, index).ok_or(Errno::EFAULT)?;
        self.aspace.lock().populate_special(page, kframe, prot)
    }
    fn wait_until(&mut self, ready: &mut dyn FnMut() -> bool, deadline_ns: Option<u64>) -> bool {
        loop {
            // Read the event count first: an event after the check wakes us.
            let seen = sched::events();
            if ready() {
                return true;
            }
            if deadline_ns.is_some_and(|d| time::tsc::uptime_ns() >= d) {
                return false;
            }
            sched::block(deadline_ns, seen);
            deferred_work();
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
    fn spawn(
        &mut self,
        child: Process,
        regs: Regs,
        vm: VmShare,
        tls: Option<u64>,
    ) -> Result<(), Errno> {
        let aspace = match vm {
            VmShare::Share => self.aspace.clone(),
            VmShare::Fork { shared } => {
                // Leave the new process room for its first copy-on-write
                // pages, so running out shows as fork's ENOMEM rather
                // than as children killed on their first write.
                if mem::frame::available() < FORK_HEADROOM_FRAMES {
                    return Err(Errno::ENOMEM);
                }
                let master = *MASTER_PML4.get().ok_or(Errno::ENOMEM)?;
                let copy = self
                    .aspace
                    .lock()
                    .fork(master, &shared)
                    .ok_or(Errno::ENOMEM)?;
                Arc::new(Mutex::new(copy))
            }
        };
        let fs = tls.unwrap_or_else(|| FsBase::read().as_u64());
        let gs = KernelGsBase::read().as_u64();
        let t = Task::new(child, aspace, regs, fs, gs).ok_or(Errno::ENOMEM)?;
        sched::add(t);
        Ok(())
    }
    fn exec_address_space(&mut self) -> Result<(), Errno> {
        let master = *MASTER_PML4.get().ok_or(Errno::ENOMEM)?;
        let fresh = Arc::new(Mutex::new(AddressSpace::new(master).ok_or(Errno::ENOMEM)?));
        match sched::try_current() {
            Some(t) => t.set_aspace(fresh.clone()),
            None => fresh.lock().activate(), // the first program, before its thread exists
        }
        self.aspace = fresh;
        Ok(())
    }
    fn fpu_save(&mut self, area: &mut [u8; 512]) {
        let mut fx = fpu::Fx([0; 512]);
        fpu::fxsave(&mut fx);
        *area = fx.0;
    }
    fn fpu_restore(&mut self, area: &[u8; 512]) {
        fpu::fxrstor_user(area);
    }
    fn yield_now(&mut self) {
        sched::yield_now();
    }
}

/// Work interrupts leave for thread context: after a timer interrupt,
/// SIGALRM for expired interval timers; after a device interrupt or a
/// timer, the network stack.
fn deferred_work() {
    let ticked = sched::take_tick();
    if ticked {
        if let Some(t) = sched::try_current() {
            lintel_syscall::signal::run_timers(&t.proc.sys, time::tsc::uptime_ns());
        }
    }
    crate::net::poll_if_due(ticked);
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
    MASTER_PML4.call_once(|| master_pml4);
    sched::init();
    let Some(aspace) = AddressSpace::new(master_pml4) else {
        panic!("out of memory for the first address space")
    };
    aspace.activate();
    let aspace = Arc::new(Mutex::new(aspace));
    let mut proc = Process::new(vfs, root);
    let (entry, aspace) = {
        let mut k = Services { aspace };
        let e = match lintel_syscall::process::start_init(
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
                finish(ExitStatus::Code(if e == Errno::ENOENT { 127 } else { 126 }));
            }
        };
        (e, k.aspace)
    };
    let regs = Regs::user_entry(entry.rip, entry.rsp);
    let Some(t) = Task::new(proc, aspace, regs, 0, 0) else {
        panic!("out of memory for the first thread")
    };
    log::info!(
        "first user instruction at {} us after boot",
        time::tsc::uptime_ns() / 1000
    );
    sched::run_first(t)
}

/// A system call from the program: dispatch, then back to user mode.
pub fn syscall(f: &mut TrapFrame) {
    let t = sched::current();
    let mut k = Services {
        aspace: t.aspace.clone(),
    };
    lintel_syscall::dispatch(&mut k, &mut t.proc, f);
    return_to_user(f);
}

/// Every way back to user mode passes here: timers, a tick's preemption,
/// then signals; a thread whose time has come ends here instead.
pub fn return_to_user(f: &mut TrapFrame) {
    deferred_work();
    let t = sched::current();
    let mut k = Services {
        aspace: t.aspace.clone(),
    };
    lintel_syscall::signal::on_return_to_user(&mut k, &mut t.proc, f);
    if t.proc.exit.is_some() {
        end_thread(&mut k);
    }
}

/// The tick interrupted user mode: let another thread run.
pub fn preempt(f: &mut TrapFrame) {
    sched::preempt();
    return_to_user(f);
}

fn end_thread(k: &mut Services) -> ! {
    let t = sched::current();
    let end = lintel_syscall::process::exit_thread(k, &mut t.proc);
    if let ThreadEnd::Process(status) = end {
        if t.proc.pid == 1 {
            finish(status);
        }
    }
    sched::exit_current()
}

/// A page fault in user mode: Ok when the page is now mapped.
pub fn user_page_fault(addr: u64, access: FaultAccess) -> Result<(), FaultError> {
    let t = sched::current();
    let mut k = Services {
        aspace: t.aspace.clone(),
    };
    lintel_syscall::mm::handle_user_fault(&mut k, &t.proc.mm, addr, access)
}

/// A fault in user mode becomes a signal for the thread (delivered on
/// the way out). When it will kill the process, it is logged like Linux's
/// "segfault at" line.
pub fn user_fault(sig: u8, code: i32, what: &str, addr: Option<u64>, f: &mut TrapFrame) {
    let t = sched::current();
    let p = &mut t.proc;
    let act = p.sighand.get(sig);
    let fatal = act.handler == lintel_syscall::signal::SIG_DFL
        || act.handler == lintel_syscall::signal::SIG_IGN
        || p.blocked & lintel_syscall::signal::bit(sig) != 0;
    if fatal {
        let comm = String::from_utf8_lossy(&p.comm).into_owned();
        let pid = p.pid;
        match addr {
            Some(a) => log::warn!(
                "{comm}[{pid}]: {what} (SIG{}) at address {a:#x} rip {:#x} rsp {:#x} error {:#x}",
                signame(sig),
                f.rip,
                f.rsp,
                f.error_code
            ),
            None => log::warn!(
                "{comm}[{pid}]: {what} (SIG{}) at rip {:#x} rsp {:#x}",
                signame(sig),
                f.rip,
                f.rsp
            ),
        }
    }
    let info = SigInfo {
        signo: sig as i32,
        code,
        a: addr.unwrap_or(f.rip),
        ..Default::default()
    };
    lintel_syscall::signal::force(p, sig, info);
    return_to_user(f);
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
