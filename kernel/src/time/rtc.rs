//! Wall-clock time at boot from the CMOS real-time clock.

use crate::arch::port::{inb, outb};

fn cmos(reg: u8) -> u8 {
    outb(0x70, reg);
    inb(0x71)
}

fn read_raw() -> [u8; 7] {
    while cmos(0x0a) & 0x80 != 0 {
        core::hint::spin_loop(); // update in progress
    }
    [
        cmos(0x00),
        cmos(0x02),
        cmos(0x04),
        cmos(0x07),
        cmos(0x08),
        cmos(0x09),
        cmos(0x32),
    ]
}

/// Seconds since the Unix epoch, read until two reads agree.
pub fn unix_seconds() -> u64 {
    let mut a = read_raw();
    loop {
        let b = read_raw();
        if a == b {
            break;
        }
        a = b;
    }
    let status_b = cmos(0x0b);
    let bcd = |v: u8| {
        if status_b & 0x04 == 0 {
            (v & 0x0f) + (v >> 4) * 10
        } else {
            v
        }
    };
    let sec = bcd(a[0]) as u64;
    let min = bcd(a[1]) as u64;
    let pm = a[2] & 0x80 != 0;
    let mut hour = bcd(a[2] & 0x7f) as u64;
    if status_b & 0x02 == 0 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let day = bcd(a[3]) as u64;
    let month = bcd(a[4]) as u64;
    let century = match bcd(a[6]) {
        c @ 19..=21 => c as u64,
        _ => 20,
    };
    let year = century * 100 + bcd(a[5]) as u64;
    days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d.saturating_sub(1);
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146097 + doe).saturating_sub(719468)
}
