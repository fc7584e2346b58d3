//! A thread's user registers as the kernel saved them on entry (the
//! kernel's trap frame has exactly this layout): system calls read their
//! arguments here, and clone, execve, signal delivery and rt_sigreturn
//! rewrite them.

/// Lowest address first: the push order of the kernel's entry paths reversed.
#[repr(C)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Regs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The trap vector; `SYSCALL_VECTOR` for a system call. Anything else
    /// makes the kernel return with IRETQ (which restores rcx and r11).
    pub vector: u64,
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

pub const SYSCALL_VECTOR: u64 = 0x100;
pub const USER_CS: u64 = 0x23;
pub const USER_DS: u64 = 0x1b;
/// IF set, the reserved bit 1 set: the flags a program starts with.
pub const RFLAGS_START: u64 = 0x202;

impl Regs {
    /// A fresh thread at `rip` with stack `rsp` (execve's start_thread).
    pub fn user_entry(rip: u64, rsp: u64) -> Self {
        Regs {
            rip,
            rsp,
            cs: USER_CS,
            ss: USER_DS,
            rflags: RFLAGS_START,
            ..Regs::default()
        }
    }

    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The system-call arguments, in Linux's register order.
    pub fn args(&self) -> [u64; 6] {
        [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9]
    }
}
