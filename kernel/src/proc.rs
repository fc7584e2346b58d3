//! The kernel's side of /proc: the current process's view (from the
//! syscall layer) and the machine-wide files.

use crate::arch::cpu;
use crate::{mem, time};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use lintel_rootfs::procfs::ProcSource;
use lintel_syscall::process::ProcView;

pub struct KernelProc;

/// /proc/self is the process of the thread running now.
fn with<R>(f: impl FnOnce(&ProcView) -> R, _default: R) -> R {
    f(&crate::sched::current().proc.view())
}

/// "GenuineIntel" and the brand string from CPUID.
fn cpu_names() -> (String, String) {
    let v = cpu::cpuid(0, 0);
    let mut vendor = Vec::new();
    for r in [v.ebx, v.edx, v.ecx] {
        vendor.extend_from_slice(&r.to_le_bytes());
    }
    let mut brand = Vec::new();
    if cpu::cpuid(0x8000_0000, 0).eax >= 0x8000_0004 {
        for leaf in 0x8000_0002..=0x8000_0004u32 {
            let r = cpu::cpuid(leaf, 0);
            for x in [r.eax, r.ebx, r.ecx, r.edx] {
                brand.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    let clean = |b: Vec<u8>| {
        String::from_utf8_lossy(&b)
            .trim_matches(|c: char| c == '\0' || c == ' ')
            .into()
    };
    (clean(vendor), clean(brand))
}

impl ProcSource for KernelProc {
    fn pid(&self) -> i32 {
        with(|v| v.pid, 1)
    }
    fn ppid(&self) -> i32 {
        with(|v| v.ppid, 0)
    }
    fn exe(&self) -> Vec<u8> {
        with(|v| v.exe.clone(), Vec::new())
    }
    fn cmdline(&self) -> Vec<u8> {
        with(|v| v.cmdline.clone(), Vec::new())
    }
    fn fds(&self) -> Vec<(i32, Vec<u8>)> {
        with(|v| v.fds(), Vec::new())
    }
    fn maps(&self) -> Vec<u8> {
        with(|v| v.maps(), Vec::new())
    }
    fn mounts(&self) -> Vec<u8> {
        with(|v| v.mounts(), Vec::new())
    }
    fn meminfo(&self) -> (u64, u64) {
        let (total, free) = mem::frame::stats();
        (total * 4096, free * 4096)
    }
    fn cpuinfo(&self) -> Vec<u8> {
        let (vendor, brand) = cpu_names();
        let sig = cpu::cpuid(1, 0).eax;
        let family = (sig >> 8) & 0xf;
        let model = ((sig >> 4) & 0xf) | ((sig >> 12) & 0xf0);
        format!(
            "processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\nmodel name\t: {brand}\nstepping\t: {}\ncpu MHz\t\t: {}.000\ncpu cores\t: 1\n\n",
            sig & 0xf,
            time::tsc::ticks_per_us()
        )
        .into_bytes()
    }
    fn uptime_ns(&self) -> u64 {
        time::tsc::uptime_ns()
    }
}
