//! A kernel panic: log it as the protocol says, then stop the machine.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    x86_64::instructions::interrupts::disable();
    crate::klog::protocol_line(format_args!("panic: {}", info));
    crate::dev::qemu_exit::exit(0xff)
}
