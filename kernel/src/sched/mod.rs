//! The scheduler: round-robin over the threads of every process on one
//! CPU, preemptive on the local APIC tick when a thread runs in user mode.
//! The kernel itself is not preempted (interrupts are off in it except
//! while idle), so a thread gives up the CPU only in `block`, `yield_now`,
//! `exit_current` or on a tick from user mode.
//!
//! Waiting is condition-based: a blocked thread sleeps until its deadline
//! passes or an event (a wake from the syscall layer, a device interrupt,
//! a tick) happens after it blocked; it then runs and checks its own
//! condition again. Per-CPU state lives in `Cpu` so SMP can follow.

pub mod fpu;
mod switch;

use crate::arch::gdt;
use crate::mem::addr_space::AddressSpace;
use crate::mem::kstack::KernelStack;
use crate::time::tsc::uptime_ns;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use lintel_syscall::{Process, Regs};
use spin::Mutex;
use x86_64::instructions::interrupts;
use x86_64::registers::model_specific::{FsBase, KernelGsBase};
use x86_64::VirtAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Runnable,
    /// Until the event count passes `seen` or the clock `deadline`.
    Blocked {
        seen: u64,
        deadline: Option<u64>,
    },
    Dead,
}

pub struct Task {
    /// The syscall layer's thread: touched only by the thread itself.
    pub proc: Process,
    pub aspace: Arc<Mutex<AddressSpace>>,
    pml4: u64,
    state: State,
    ctx_rsp: u64,
    kstack: KernelStack,
    fpu: fpu::Area,
    fs_base: u64,
    gs_base: u64,
}

impl Task {
    /// A thread that will enter user mode with `regs` when first scheduled.
    pub fn new(
        proc: Process,
        aspace: Arc<Mutex<AddressSpace>>,
        regs: Regs,
        fs_base: u64,
        gs_base: u64,
    ) -> Option<Box<Task>> {
        // Out of memory is None (clone/fork then fail with ENOMEM), not a panic.
        let kstack = KernelStack::new()?;
        let fpu = fpu::Area::capture()?;
        let pml4 = aspace.lock().pml4();
        let mut t = Box::new(Task {
            proc,
            aspace,
            pml4,
            state: State::Runnable,
            ctx_rsp: 0,
            kstack,
            fpu,
            fs_base,
            gs_base,
        });
        let frame = t.kstack_top() - core::mem::size_of::<Regs>() as u64;
        // SAFETY: the frame lies at the top of the new, unused kernel stack.
        unsafe { core::ptr::write(frame as *mut Regs, regs) };
        t.ctx_rsp = switch::initial_stack(frame);
        Some(t)
    }

    fn kstack_top(&self) -> u64 {
        self.kstack.top()
    }

    /// Gives the thread another address space (execve).
    pub fn set_aspace(&mut self, a: Arc<Mutex<AddressSpace>>) {
        self.pml4 = a.lock().pml4();
        a.lock().activate();
        self.aspace = a;
    }
}

/// What one CPU runs: all threads (one CPU for now), the current one, and
/// threads that ended and wait for their stack to be freed.
/// Tasks are boxed so a task's address (its saved stack pointer) stays put
/// while the vectors move.
#[allow(clippy::vec_box)]
struct Cpu {
    tasks: Vec<Box<Task>>,
    current: usize,
    dead: Vec<Box<Task>>,
}

struct CpuCell(UnsafeCell<Cpu>);

// SAFETY: one CPU, and the kernel runs with interrupts off except in the
// idle loop, which touches no `Cpu` state from interrupt handlers.
unsafe impl Sync for CpuCell {}

static CPU: CpuCell = CpuCell(UnsafeCell::new(Cpu {
    tasks: Vec::new(),
    current: 0,
    dead: Vec::new(),
}));

fn cpu() -> &'static mut Cpu {
    // SAFETY: see CpuCell; callers keep the reference short and never
    // hold two at once.
    unsafe { &mut *CPU.0.get() }
}

/// Counts events that may unblock a thread.
static EVENTS: AtomicU64 = AtomicU64::new(0);
/// Set by the tick: timers and preemption are due.
static TICKED: AtomicBool = AtomicBool::new(false);

/// Something happened that a blocked thread may be waiting for.
pub fn wake_all() {
    EVENTS.fetch_add(1, Ordering::Release);
}

/// The timer tick (interrupt context): only flags, no locks.
pub fn tick() {
    TICKED.store(true, Ordering::Release);
    wake_all();
}

/// Whether a tick happened since the last call.
pub fn take_tick() -> bool {
    TICKED.swap(false, Ordering::AcqRel)
}

pub fn init() {
    fpu::init();
    lintel_vfs::wake::set_waker(wake_all);
}

/// The running thread.
pub fn current() -> &'static mut Task {
    try_current().expect("no thread is running yet")
}

/// The running thread, None while booting.
pub fn try_current() -> Option<&'static mut Task> {
    let c = cpu();
    c.tasks.get_mut(c.current).map(|b| &mut **b)
}

/// Adds a new thread to the run queue.
pub fn add(t: Box<Task>) {
    cpu().tasks.push(t);
}

/// Enters the first thread; never returns.
pub fn run_first(t: Box<Task>) -> ! {
    let c = cpu();
    c.tasks.push(t);
    c.current = c.tasks.len() - 1;
    let t = &mut c.tasks[c.current];
    let top = t.kstack_top();
    gdt::set_kernel_stack(top);
    t.aspace.lock().activate();
    t.proc.thread.switch_in(uptime_ns());
    t.fpu.restore();
    let rsp = t.ctx_rsp;
    let mut scratch = 0u64;
    switch::switch(&mut scratch, rsp);
    unreachable!("the boot stack is never switched back to")
}

fn eligible(t: &mut Task, events: u64, now: u64) -> bool {
    match t.state {
        State::Runnable => true,
        State::Blocked { seen, deadline } => {
            if seen != events || deadline.is_some_and(|d| now >= d) {
                t.state = State::Runnable;
                true
            } else {
                false
            }
        }
        State::Dead => false,
    }
}

/// Runs another thread if one is eligible (round robin after the current
/// one); with none, and the current one not eligible either, idles in hlt.
fn schedule() {
    loop {
        let events = EVENTS.load(Ordering::Acquire);
        let now = uptime_ns();
        let c = cpu();
        let n = c.tasks.len();
        let mut next = None;
        for i in 1..=n {
            let j = (c.current + i) % n;
            if eligible(&mut c.tasks[j], events, now) {
                next = Some(j);
                break;
            }
        }
        match next {
            Some(j) if j == c.current => return,
            Some(j) => {
                switch_to(j);
                return;
            }
            None => {
                // Sleep until an interrupt; it counts as an event.
                interrupts::enable_and_hlt();
                interrupts::disable();
            }
        }
    }
}

fn switch_to(j: usize) {
    let c = cpu();
    let now = uptime_ns();
    let prev = c.current;
    {
        let p = &mut c.tasks[prev];
        p.proc.thread.switch_out(now);
        p.fpu.save();
        p.fs_base = FsBase::read().as_u64();
        p.gs_base = KernelGsBase::read().as_u64();
    }
    let (prev_pml4, save): (u64, *mut u64) = {
        let p = &mut c.tasks[prev];
        (p.pml4, &mut p.ctx_rsp)
    };
    let n = &mut c.tasks[j];
    n.proc.thread.switch_in(now);
    n.fpu.restore();
    FsBase::write(VirtAddr::new_truncate(n.fs_base));
    KernelGsBase::write(VirtAddr::new_truncate(n.gs_base));
    gdt::set_kernel_stack(n.kstack_top());
    if n.pml4 != prev_pml4 {
        crate::mem::paging::load_cr3(n.pml4);
    }
    let load = n.ctx_rsp;
    c.current = j;
    // SAFETY: `save` points into the previous task's Box, which lives on
    // (a dead task is freed only by `reap`, from another task's stack).
    switch::switch(unsafe { &mut *save }, load);
    reap();
}

/// Frees the threads that have ended (never the running one).
fn reap() {
    let c = cpu();
    if c.dead.is_empty() {
        return;
    }
    let dead = core::mem::take(&mut c.dead);
    drop(dead);
}

/// Blocks the current thread until an event or the deadline.
pub fn block(deadline: Option<u64>, seen: u64) {
    if let Some(d) = deadline {
        crate::time::timer::request(d);
    }
    current().state = State::Blocked { seen, deadline };
    schedule();
    current().state = State::Runnable;
}

/// The event count now (read before checking a condition, so an event
/// after the check is not missed).
pub fn events() -> u64 {
    EVENTS.load(Ordering::Acquire)
}

/// Lets every other runnable thread run first.
pub fn yield_now() {
    schedule();
}

/// The tick interrupted user mode: switch if another thread can run.
pub fn preempt() {
    schedule();
}

/// Ends the current thread: it never runs again and its stack is freed by
/// whichever thread runs next.
pub fn exit_current() -> ! {
    let c = cpu();
    let i = c.current;
    c.tasks[i].state = State::Dead;
    // Keep the Task alive (we are on its stack) but out of the run queue:
    // move it to `dead` and let the index of the current task follow.
    let t = c.tasks.remove(i);
    c.dead.push(t);
    c.current = if i == 0 {
        c.tasks.len().saturating_sub(1)
    } else {
        i - 1
    };
    if c.tasks.is_empty() {
        panic!("the last thread ended without ending the run");
    }
    switch_from_dead();
}

/// Like `schedule`, but the current thread is already gone: whatever runs
/// next, its context is never saved.
fn switch_from_dead() -> ! {
    loop {
        let events = EVENTS.load(Ordering::Acquire);
        let now = uptime_ns();
        let c = cpu();
        let n = c.tasks.len();
        for i in 1..=n {
            let j = (c.current + i) % n;
            if eligible(&mut c.tasks[j], events, now) {
                let t = &mut c.tasks[j];
                t.proc.thread.switch_in(now);
                t.fpu.restore();
                FsBase::write(VirtAddr::new_truncate(t.fs_base));
                KernelGsBase::write(VirtAddr::new_truncate(t.gs_base));
                gdt::set_kernel_stack(t.kstack_top());
                crate::mem::paging::load_cr3(t.pml4);
                c.current = j;
                let load = t.ctx_rsp;
                let mut scratch = 0u64;
                switch::switch(&mut scratch, load);
                unreachable!("a dead thread is never switched back to");
            }
        }
        interrupts::enable_and_hlt();
        interrupts::disable();
    }
}

/// First code of a new thread, on its own stack (from task_first_entry).
#[no_mangle]
extern "C" fn task_started(frame: &mut Regs) {
    reap();
    crate::task::return_to_user(frame);
}
