//! Randomness for AT_RANDOM and getrandom: RDRAND when the CPU has it,
//! mixed into a xoshiro256** generator seeded from RDRAND, the TSC and the RTC.

use crate::arch::cpu;
use spin::Mutex;

static STATE: Mutex<[u64; 4]> = Mutex::new([
    0x9e37_79b9_7f4a_7c15,
    0xbf58_476d_1ce4_e5b9,
    0x94d0_49bb_1331_11eb,
    1,
]);

fn rdrand() -> Option<u64> {
    if !cpu::has_rdrand() {
        return None;
    }
    for _ in 0..10 {
        let mut v = 0u64;
        // SAFETY: RDRAND exists (checked above) and only writes `v`.
        if unsafe { core::arch::x86_64::_rdrand64_step(&mut v) } == 1 {
            return Some(v);
        }
    }
    None
}

pub fn init(rtc_seconds: u64) {
    let mut s = STATE.lock();
    s[0] ^= cpu::rdtsc();
    s[1] ^= rtc_seconds.rotate_left(17);
    s[2] ^= rdrand().unwrap_or(0);
    s[3] ^= rdrand().unwrap_or(0x2545_f491_4f6c_dd1d);
    drop(s);
    for _ in 0..16 {
        next();
    }
}

/// A random 64-bit number.
pub fn u64() -> u64 {
    next()
}

fn next() -> u64 {
    let mut s = STATE.lock();
    let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
    let t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3].rotate_left(45);
    result
}

pub fn fill(buf: &mut [u8]) {
    for chunk in buf.chunks_mut(8) {
        let v = next() ^ rdrand().unwrap_or(0);
        chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
    }
}
