//! The serial console as a terminal device: ttyS0 (COM1) carries stdin
//! and stdout, ttyS1 (COM2) stderr (docs/boot-protocol.md). Input ends at
//! the end-of-input byte the host sends when its stdin closes.

use crate::dev::serial::{self, Uart};
use core::sync::atomic::{AtomicBool, Ordering};
use lintel_vfs::{Errno, Handle, VfsResult};

const END_OF_INPUT: u8 = 0x04;
static INPUT_ENDED: AtomicBool = AtomicBool::new(false);
static IS_TTY: AtomicBool = AtomicBool::new(false);

/// Whether the console reports itself as a terminal (`console=tty`).
pub fn set_tty(tty: bool) {
    IS_TTY.store(tty, Ordering::Relaxed);
}

pub struct SerialTty {
    /// 0: ttyS0 (COM1), 1: ttyS1 (COM2).
    pub line: u8,
}

impl SerialTty {
    fn uart(&self) -> &'static Uart {
        let c = serial::channels();
        if self.line == 0 {
            &c.stdio
        } else {
            &c.stderr
        }
    }
}

impl Handle for SerialTty {
    /// What has arrived, without waiting (EAGAIN when nothing has); 0 at the end.
    fn read_at(&self, _off: u64, buf: &mut [u8]) -> VfsResult<usize> {
        // Only COM1 carries input.
        let uart = &serial::channels().stdio;
        let mut n = 0;
        while n < buf.len() && !INPUT_ENDED.load(Ordering::Relaxed) {
            match uart.try_read() {
                Some(END_OF_INPUT) => INPUT_ENDED.store(true, Ordering::Relaxed),
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        if n == 0 && !INPUT_ENDED.load(Ordering::Relaxed) && !buf.is_empty() {
            return Err(Errno::EAGAIN);
        }
        Ok(n)
    }

    fn write_at(&self, _off: u64, data: &[u8]) -> VfsResult<usize> {
        self.uart().write_bytes(data);
        Ok(data.len())
    }

    fn is_stream(&self) -> bool {
        true
    }

    fn is_tty(&self) -> bool {
        IS_TTY.load(Ordering::Relaxed)
    }

    fn poll(&self) -> (bool, bool) {
        (
            INPUT_ENDED.load(Ordering::Relaxed) || serial::channels().stdio.has_input(),
            true,
        )
    }

    fn available(&self) -> Option<usize> {
        Some(serial::channels().stdio.has_input() as usize)
    }
}
