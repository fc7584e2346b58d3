//! Linux's x86_64 signal frame, byte for byte: `struct rt_sigframe`
//! { pretcode, ucontext, siginfo } below a 64-byte aligned FXSAVE area.
//! The handler runs with rsp at pretcode (as if called), and rt_sigreturn
//! finds the ucontext 8 bytes above its rsp.

use super::SigInfo;
use crate::Regs;

pub const UC_OFF: u64 = 8;
/// ucontext: flags, link, stack_t (24), sigcontext (256), sigmask (8).
pub const UC_SIZE: u64 = 304;
pub const MCONTEXT_OFF: usize = 40;
pub const SIGMASK_OFF: usize = 296;
pub const INFO_OFF: u64 = UC_OFF + UC_SIZE;
pub const FRAME_SIZE: u64 = INFO_OFF + 128;
pub const FPSTATE_SIZE: u64 = 512;
/// uc_flags: the frame saves SS and sigreturn restores it strictly.
const UC_FLAGS: u64 = 0x2 | 0x4;

pub fn encode_siginfo(i: &SigInfo) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[0..4].copy_from_slice(&i.signo.to_le_bytes());
    b[8..12].copy_from_slice(&i.code.to_le_bytes());
    for (k, v) in [i.a, i.b, i.c, i.d].iter().enumerate() {
        b[16 + k * 8..24 + k * 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// The general registers in sigcontext order (gregs[0..18] of ucontext_t).
fn gregs(r: &Regs) -> [u64; 18] {
    [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx,
        r.rax, r.rcx, r.rsp, r.rip, r.rflags,
    ]
}

pub struct Ucontext {
    pub stack: (u64, i32, u64),
    pub regs: Regs,
    pub fpstate: u64,
    pub mask: u64,
}

/// The bytes of a ucontext saving `u`.
pub fn encode_ucontext(u: &Ucontext, trapno: u64, err: u64, cr2: u64) -> [u8; UC_SIZE as usize] {
    let mut b = [0u8; UC_SIZE as usize];
    let put = |b: &mut [u8], off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    put(&mut b, 0, UC_FLAGS);
    put(&mut b, 16, u.stack.0);
    b[24..28].copy_from_slice(&u.stack.1.to_le_bytes());
    put(&mut b, 32, u.stack.2);
    for (k, v) in gregs(&u.regs).iter().enumerate() {
        put(&mut b, MCONTEXT_OFF + k * 8, *v);
    }
    // cs, gs, fs, ss as four u16.
    let segs = u.regs.cs | (u.regs.ss << 48);
    put(&mut b, MCONTEXT_OFF + 144, segs);
    put(&mut b, MCONTEXT_OFF + 152, err);
    put(&mut b, MCONTEXT_OFF + 160, trapno);
    put(&mut b, MCONTEXT_OFF + 168, u.mask); // oldmask
    put(&mut b, MCONTEXT_OFF + 176, cr2);
    put(&mut b, MCONTEXT_OFF + 184, u.fpstate);
    put(&mut b, SIGMASK_OFF, u.mask);
    b
}

/// Reads back what a handler may have changed. Segment registers are not
/// taken from the frame: a program returns to its own user segments.
pub fn decode_ucontext(b: &[u8; UC_SIZE as usize]) -> Ucontext {
    let get = |off: usize| u64::from_le_bytes(b[off..off + 8].try_into().unwrap_or([0; 8]));
    let g = |k: usize| get(MCONTEXT_OFF + k * 8);
    let regs = Regs {
        r8: g(0),
        r9: g(1),
        r10: g(2),
        r11: g(3),
        r12: g(4),
        r13: g(5),
        r14: g(6),
        r15: g(7),
        rdi: g(8),
        rsi: g(9),
        rbp: g(10),
        rbx: g(11),
        rdx: g(12),
        rax: g(13),
        rcx: g(14),
        rsp: g(15),
        rip: g(16),
        rflags: g(17),
        ..Regs::default()
    };
    Ucontext {
        stack: (
            get(16),
            i32::from_le_bytes(b[24..28].try_into().unwrap_or([0; 4])),
            get(32),
        ),
        regs,
        fpstate: get(MCONTEXT_OFF + 184),
        mask: get(SIGMASK_OFF),
    }
}

/// Where the frame goes below `sp`: (frame address, fpstate address).
pub fn place(sp: u64) -> Option<(u64, u64)> {
    let fp = sp.checked_sub(FPSTATE_SIZE)? & !63;
    let frame = (fp.checked_sub(FRAME_SIZE)? & !15).checked_sub(8)?;
    Some((frame, fp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucontext_roundtrip_and_gregs_offsets() {
        let regs = Regs {
            rip: 0x401000,
            rsp: 0x7fff0000,
            rax: 5,
            r8: 8,
            rflags: 0x246,
            cs: 0x23,
            ss: 0x1b,
            ..Regs::default()
        };
        let u = Ucontext {
            stack: (0x1000, 2, 0x2000),
            regs: regs.clone(),
            fpstate: 0x7ffe0000,
            mask: 0x4000,
        };
        let b = encode_ucontext(&u, 14, 6, 0xdead);
        // ucontext_t.uc_mcontext.gregs[REG_RIP=16] sits at 40 + 16*8.
        assert_eq!(&b[168..176], &0x401000u64.to_le_bytes());
        assert_eq!(&b[40..48], &8u64.to_le_bytes());
        let d = decode_ucontext(&b);
        assert_eq!(d.regs.rip, regs.rip);
        assert_eq!(d.regs.rax, 5);
        assert_eq!(d.mask, 0x4000);
        assert_eq!(d.stack, (0x1000, 2, 0x2000));
        assert_eq!(d.fpstate, 0x7ffe0000);
    }

    #[test]
    fn frame_is_aligned_like_a_call() {
        let (f, fp) = place(0x7fff_1234).unwrap();
        assert_eq!((f + 8) % 16, 0);
        assert_eq!(fp % 64, 0);
        assert!(f + FRAME_SIZE <= fp);
        assert!(place(100).is_none());
    }

    #[test]
    fn siginfo_layout() {
        let b = encode_siginfo(&SigInfo {
            signo: 11,
            code: 1,
            a: 0x1234,
            ..Default::default()
        });
        assert_eq!(&b[0..4], &11i32.to_le_bytes());
        assert_eq!(&b[8..12], &1i32.to_le_bytes());
        assert_eq!(&b[16..24], &0x1234u64.to_le_bytes());
    }
}
