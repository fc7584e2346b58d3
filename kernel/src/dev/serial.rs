//! 16550 UARTs. COM1 carries the program's stdin/stdout, COM2 its stderr and
//! COM3 the kernel log (docs/boot-protocol.md); a missing port falls back to COM1.

use crate::arch::port::{inb, outb};
use spin::Once;

#[derive(Clone, Copy)]
pub struct Uart {
    base: u16,
}

const COM_BASES: [u16; 3] = [0x3f8, 0x2f8, 0x3e8];

impl Uart {
    /// Probes the scratch register: an absent ISA port reads back 0xff.
    fn probe(base: u16) -> Option<Uart> {
        outb(base + 7, 0x5a);
        if inb(base + 7) != 0x5a {
            return None;
        }
        outb(base + 7, 0xa5);
        if inb(base + 7) != 0xa5 {
            return None;
        }
        let u = Uart { base };
        outb(base + 1, 0x00); // no interrupts
        outb(base + 3, 0x80); // DLAB
        outb(base, 0x01); // 115200 baud
        outb(base + 1, 0x00);
        outb(base + 3, 0x03); // 8N1
                              // The FIFO control register is left alone: changing the FIFO enable
                              // bit makes QEMU drop received bytes, and input may already be there.
        outb(base + 4, 0x03); // DTR | RTS
        Some(u)
    }

    pub fn write_bytes(&self, data: &[u8]) {
        for &b in data {
            while inb(self.base + 5) & 0x20 == 0 {
                core::hint::spin_loop();
            }
            outb(self.base, b);
        }
    }

    pub fn has_input(&self) -> bool {
        inb(self.base + 5) & 0x01 != 0
    }

    /// A byte if one has arrived.
    pub fn try_read(&self) -> Option<u8> {
        if inb(self.base + 5) & 0x01 != 0 {
            Some(inb(self.base))
        } else {
            None
        }
    }
}

/// The three channels, resolved once at boot.
pub struct Channels {
    pub stdio: Uart,
    pub stderr: Uart,
    pub log: Uart,
}

static CHANNELS: Once<Channels> = Once::new();

pub fn init() {
    CHANNELS.call_once(|| {
        let com1 = Uart::probe(COM_BASES[0]).unwrap_or(Uart { base: COM_BASES[0] });
        let stderr = Uart::probe(COM_BASES[1]).unwrap_or(com1);
        let log = Uart::probe(COM_BASES[2]).unwrap_or(com1);
        Channels {
            stdio: com1,
            stderr,
            log,
        }
    });
}

/// The channels; before `init` everything goes to COM1 unprobed.
pub fn channels() -> &'static Channels {
    static FALLBACK: Channels = Channels {
        stdio: Uart { base: 0x3f8 },
        stderr: Uart { base: 0x3f8 },
        log: Uart { base: 0x3f8 },
    };
    CHANNELS.get().unwrap_or(&FALLBACK)
}
