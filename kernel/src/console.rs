//! The program's console over the serial channels: output to COM1/COM2,
//! input from COM1 until the end-of-input byte (docs/boot-protocol.md).

use crate::dev::serial;
use core::sync::atomic::{AtomicBool, Ordering};

const END_OF_INPUT: u8 = 0x04;
static INPUT_ENDED: AtomicBool = AtomicBool::new(false);
static IS_TTY: AtomicBool = AtomicBool::new(false);

pub fn set_tty(tty: bool) {
    IS_TTY.store(tty, Ordering::Relaxed);
}

pub fn is_tty() -> bool {
    IS_TTY.load(Ordering::Relaxed)
}

pub fn write(fd: i32, data: &[u8]) {
    let c = serial::channels();
    if fd == 2 { &c.stderr } else { &c.stdio }.write_bytes(data);
}

pub fn readable() -> bool {
    INPUT_ENDED.load(Ordering::Relaxed) || serial::channels().stdio.has_input()
}

/// Waits for input, then takes what has arrived (at least one byte), or 0 at the end.
pub fn read(buf: &mut [u8]) -> usize {
    let uart = &serial::channels().stdio;
    let mut n = 0;
    while n < buf.len() && !INPUT_ENDED.load(Ordering::Relaxed) {
        match uart.try_read() {
            Some(END_OF_INPUT) => INPUT_ENDED.store(true, Ordering::Relaxed),
            Some(b) => {
                buf[n] = b;
                n += 1;
            }
            None if n > 0 => break,
            // No scheduler yet: nothing else could run while we wait.
            None => core::hint::spin_loop(),
        }
    }
    n
}
