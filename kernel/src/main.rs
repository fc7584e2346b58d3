//! Lintel: boots under PVH, runs one static Linux ELF in ring 3.
#![no_std]
#![no_main]

extern crate alloc;

mod acpi;
mod arch;
mod boot_fs;
mod console;
mod dev;
mod klog;
mod mem;
mod net;
mod nine_p_fs;
mod panic;
mod pci;
mod proc;
mod pvh;
mod random;
mod sched;
mod task;
mod time;
mod vdso;
mod virtio;
mod virtiofs_fs;

use alloc::vec::Vec;
use mem::frame::Region;
use mem::phys;

extern "C" {
    static __kernel_phys_end: u8;
}

/// Physical end of the kernel image (the trampoline starts it at 1 MiB).
fn kernel_phys_end() -> u64 {
    // Only the address of the linker symbol is taken, never its contents.
    core::ptr::addr_of!(__kernel_phys_end) as u64
}

/// Heap size: an eighth of RAM, within [16 MiB, 512 MiB].
fn heap_frames(ram_bytes: u64) -> u64 {
    (ram_bytes / 8).clamp(16 << 20, 512 << 20) / phys::FRAME_SIZE
}

#[no_mangle]
pub extern "C" fn kernel_main(start_info: u32, boot_tsc: u64) -> ! {
    time::tsc::set_boot_tsc(boot_tsc);
    dev::serial::init();
    klog::init();
    arch::gdt::init();
    arch::idt::init();
    arch::pic::disable();
    arch::syscall::init();
    arch::cpu::enable_user_fpu();
    arch::cpu::allow_user_rdtsc();
    time::tsc::calibrate();
    let rtc = time::init_realtime();
    random::init(rtc);
    lintel_syscall::fs::set_clock(|| (time::tsc::uptime_ns(), time::realtime_ns()));

    let boot = pvh::parse(start_info as u64);
    let mut ram = [Region { start: 0, end: 0 }; 64];
    for (r, &(s, e)) in ram.iter_mut().zip(boot.ram()) {
        *r = Region { start: s, end: e };
    }
    let ram = &ram[..boot.ram().len()];
    let mut reserved = [Region {
        start: 0x100000,
        end: kernel_phys_end(),
    }; 2];
    if let Some((a, n)) = boot.initrd {
        reserved[1] = Region {
            start: a,
            end: a + n,
        };
    }
    mem::frame::init(ram, &reserved);
    mem::paging::finish_kernel_map(mem::paging::current_cr3(), boot.ram());
    mem::kstack::init(mem::paging::current_cr3());
    let total: u64 = boot.ram().iter().map(|(s, e)| e - s).sum();
    let hf = heap_frames(total);
    let Some(heap) = mem::frame::alloc_contiguous(hf, true) else {
        panic!("no room for a {hf}-frame heap")
    };
    mem::heap::init(
        phys::to_virt(heap) as usize,
        (hf * phys::FRAME_SIZE) as usize,
    );
    arch::lapic::init();
    time::timer::start();
    if let Some((base, first, last)) = acpi::mcfg(boot.rsdp) {
        if pci::use_ecam(base, first, last) {
            log::info!("pci: ECAM at {base:#x}, buses {first}-{last}");
        }
    }

    let cfg = lintel_rootfs::cmdline::parse(boot.cmdline);
    klog::set_quiet(cfg.quiet);
    if let Some(ns) = cfg.clock_ns {
        // The host read its clock just before starting the VMM: count the
        // time since (as uptime) on top of it.
        time::set_realtime(ns);
    }
    console::set_tty(cfg.tty);
    log::info!(
        "Lintel {}: {} MiB RAM, TSC {} MHz, heap {} MiB",
        env!("CARGO_PKG_VERSION"),
        total >> 20,
        time::tsc::ticks_per_us(),
        (hf * phys::FRAME_SIZE) >> 20
    );
    vdso::log_symbols();
    for t in &cfg.unknown {
        log::warn!(
            "unknown kernel parameter '{}'",
            alloc::string::String::from_utf8_lossy(t)
        );
    }
    run_init(&boot, &cfg)
}

fn run_init(boot: &pvh::BootInfo, cfg: &lintel_rootfs::cmdline::BootConfig) -> ! {
    let fail = |msg: &dyn core::fmt::Display| -> ! {
        log::error!("{msg}");
        task::finish(lintel_syscall::ExitStatus::Code(127))
    };
    let Some(init) = cfg.init.clone() else {
        fail(&"no init= on the kernel command line: nothing to run")
    };
    net::init(cfg);
    let archive = boot
        .initrd
        .map(|(addr, size)| phys::slice(addr, size as usize));
    let (vfs, root) = boot_fs::build(cfg, archive).unwrap_or_else(|e| fail(&e));
    let argv: Vec<Vec<u8>> = if cfg.argv.is_empty() {
        alloc::vec![init.clone()]
    } else {
        cfg.argv.clone()
    };
    task::start(
        mem::paging::current_cr3(),
        vfs,
        root,
        &init,
        argv,
        cfg.env.clone(),
    )
}
