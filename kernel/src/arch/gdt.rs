//! GDT and TSS. The selector layout is fixed by SYSCALL/SYSRET (STAR):
//! 0x08 kernel code, 0x10 kernel data, 0x18 user data, 0x20 user code, 0x28 TSS.

use core::ptr::addr_of_mut;
use spin::Once;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::VirtAddr;

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;

static mut TSS: TaskStateSegment = TaskStateSegment::new();
static GDT: Once<GlobalDescriptorTable> = Once::new();

const DF_STACK_SIZE: usize = 16384;
#[repr(align(16))]
struct Stack(#[allow(dead_code)] [u8; DF_STACK_SIZE]);
static mut DF_STACK: Stack = Stack([0; DF_STACK_SIZE]);

pub fn init() {
    // SAFETY: runs once at boot before interrupts are enabled; nothing else
    // references TSS or DF_STACK yet.
    let tss: &'static TaskStateSegment = unsafe {
        let tss = &mut *addr_of_mut!(TSS);
        let top = addr_of_mut!(DF_STACK) as u64 + DF_STACK_SIZE as u64;
        tss.interrupt_stack_table[0] = VirtAddr::new(top);
        tss
    };
    let gdt = GDT.call_once(|| {
        let mut g = GlobalDescriptorTable::new();
        g.append(Descriptor::kernel_code_segment());
        g.append(Descriptor::kernel_data_segment());
        g.append(Descriptor::user_data_segment());
        g.append(Descriptor::user_code_segment());
        g.append(Descriptor::tss_segment(tss));
        g
    });
    gdt.load();
    // SAFETY: the selectors name the descriptors appended above.
    unsafe {
        CS::set_reg(SegmentSelector(KERNEL_CS));
        DS::set_reg(SegmentSelector(KERNEL_DS));
        ES::set_reg(SegmentSelector(KERNEL_DS));
        SS::set_reg(SegmentSelector(KERNEL_DS));
        load_tss(SegmentSelector(0x28));
    }
}

/// The stack the CPU switches to on an interrupt from user mode.
pub fn set_kernel_stack(top: u64) {
    // SAFETY: single CPU; the TSS is read by the CPU only on a privilege
    // change, which cannot happen while the kernel runs this store.
    unsafe { (*addr_of_mut!(TSS)).privilege_stack_table[0] = VirtAddr::new(top) };
    super::syscall::set_kernel_stack(top);
}
