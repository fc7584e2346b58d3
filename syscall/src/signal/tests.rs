use crate::testkit::TestBed;
use alloc::vec::Vec;

fn sigaction(t: &mut TestBed, sig: u64, handler: u64, flags: u64, mask: u64) {
    let buf = t.scratch();
    let mut act = Vec::new();
    for v in [handler, flags | super::SA_RESTORER, 0x7777, mask] {
        act.extend_from_slice(&v.to_le_bytes());
    }
    t.poke(buf, &act);
    assert_eq!(t.call("rt_sigaction", [sig, buf, 0, 8, 0, 0]), 0);
}

#[test]
fn sigaction_roundtrip_and_validation() {
    let mut t = TestBed::new();
    let buf = t.scratch();
    // handler=0x1234, flags=SA_RESTORER|SA_SIGINFO, restorer, mask
    let mut act = Vec::new();
    for v in [0x1234u64, 0x0400_0004, 0x5678, 1 << 1] {
        act.extend_from_slice(&v.to_le_bytes());
    }
    t.poke(buf, &act);
    assert_eq!(t.call("rt_sigaction", [10, buf, 0, 8, 0, 0]), 0);
    assert_eq!(t.call("rt_sigaction", [10, 0, buf + 64, 8, 0, 0]), 0);
    assert_eq!(t.peek(buf + 64, 32), act);
    assert_eq!(t.call("rt_sigaction", [9, buf, 0, 8, 0, 0]) as i64, -22);
    assert_eq!(t.call("rt_sigaction", [65, 0, 0, 8, 0, 0]) as i64, -22);
    assert_eq!(t.call("rt_sigaction", [10, 0, 0, 4, 0, 0]) as i64, -22);
    assert_eq!(t.call("rt_sigaction", [10, 8, 0, 8, 0, 0]) as i64, -14);
}

#[test]
fn sigprocmask_block_unblock_and_kill_stays_unblockable() {
    let mut t = TestBed::new();
    let buf = t.scratch();
    t.poke(buf, &(0b1_0000_0001u64 | 1 << 8).to_le_bytes()); // SIGHUP, SIGKILL(9)
    assert_eq!(t.call("rt_sigprocmask", [0, buf, 0, 8, 0, 0]), 0);
    assert_eq!(t.call("rt_sigprocmask", [0, 0, buf + 8, 8, 0, 0]), 0);
    assert_eq!(t.peek(buf + 8, 8), 1u64.to_le_bytes());
    assert_eq!(t.call("rt_sigprocmask", [7, buf, 0, 8, 0, 0]) as i64, -22);
}

#[test]
fn blocked_signal_stays_pending_then_default_action_ends_the_process() {
    let mut t = TestBed::new();
    let buf = t.scratch();
    t.poke(buf, &(1u64 << 9).to_le_bytes()); // block SIGUSR1 (10)
    assert_eq!(t.call("rt_sigprocmask", [0, buf, 0, 8, 0, 0]), 0);
    assert_eq!(t.call("kill", [1, 10, 0, 0, 0, 0]), 0);
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert_eq!(t.p.exit, None);
    assert_eq!(t.call("rt_sigpending", [buf + 8, 8, 0, 0, 0, 0]), 0);
    assert_eq!(t.peek(buf + 8, 8), (1u64 << 9).to_le_bytes());
    assert_eq!(t.call("rt_sigprocmask", [1, buf, 0, 8, 0, 0]), 0);
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert_eq!(
        t.p.exit,
        Some(crate::process::Exit::Group(crate::ExitStatus::Signal(10)))
    );
}

#[test]
fn ignored_and_default_ignored_signals_do_nothing() {
    let mut t = TestBed::new();
    sigaction(&mut t, 10, super::SIG_IGN, 0, 0);
    assert_eq!(t.call("kill", [1, 10, 0, 0, 0, 0]), 0);
    assert_eq!(t.call("kill", [1, 17, 0, 0, 0, 0]), 0); // SIGCHLD
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert_eq!(t.p.exit, None);
    assert_eq!(t.call("kill", [999, 10, 0, 0, 0, 0]) as i64, -3, "ESRCH");
    assert_eq!(t.call("kill", [1, 65, 0, 0, 0, 0]) as i64, -22);
}

#[test]
fn handler_frame_and_sigreturn_restore_the_context() {
    let mut t = TestBed::new();
    sigaction(&mut t, 10, 0x40_1234, super::SA_SIGINFO, 1 << 11);
    t.scratch(); // memory for the stack
    let stack = t.scratch() + 0x8000;
    t.regs.rsp = stack;
    assert_eq!(t.call("getpid", [0; 6]), 1);
    let before = t.regs.clone();
    t.k.fpu = alloc::vec![0xab; 512];
    assert_eq!(t.call("kill", [1, 10, 0, 0, 0, 0]), 0);
    let saved = t.regs.clone();
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert_eq!(t.regs.rip, 0x40_1234);
    assert_eq!(t.regs.rdi, 10);
    assert_eq!((t.regs.rsp + 8) % 16, 0);
    assert!(t.regs.rsp < stack - 128, "below the red zone");
    assert_eq!(
        t.peek(t.regs.rsp, 8),
        0x7777u64.to_le_bytes(),
        "returns to the restorer"
    );
    let info = t.peek(t.regs.rsi, 24);
    assert_eq!(&info[0..4], &10i32.to_le_bytes());
    assert_eq!(&info[8..12], &0i32.to_le_bytes(), "SI_USER");
    assert_eq!(&info[16..20], &1i32.to_le_bytes(), "sender pid");
    assert_eq!(
        t.p.blocked,
        (1 << 9) | (1 << 11),
        "the signal and sa_mask are blocked"
    );
    // The handler returns into the restorer, which calls rt_sigreturn.
    t.regs.rsp += 8;
    t.k.fpu = alloc::vec![0; 512];
    let r = t.call("rt_sigreturn", [0; 6]);
    assert_eq!(r, saved.rax);
    assert_eq!(t.regs.rip, before.rip);
    assert_eq!(t.regs.rsp, before.rsp);
    assert_eq!(t.p.blocked, 0);
    assert_eq!(t.k.fpu, alloc::vec![0xab; 512], "FPU state restored");
}

#[test]
fn interrupted_calls_restart_with_sa_restart_and_fail_without() {
    for (flags, restarted) in [(super::SA_RESTART, true), (0, false)] {
        let mut t = TestBed::new();
        sigaction(&mut t, 10, 0x40_1234, flags, 0);
        t.regs.rsp = t.scratch() + 0x8000;
        t.regs.rip = 0x40_0102;
        t.p.restart = Some((0, crate::Errno::ERESTARTSYS));
        t.regs.rax = (-4i64) as u64;
        t.p.thread.pending.post(10, super::SigInfo::kernel(10));
        super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
        let uc = t.regs.rdx;
        let rip = u64::from_le_bytes(t.peek(uc + 40 + 16 * 8, 8).try_into().unwrap());
        let rax = u64::from_le_bytes(t.peek(uc + 40 + 13 * 8, 8).try_into().unwrap());
        if restarted {
            assert_eq!(
                (rip, rax),
                (0x40_0100, 0),
                "back at the syscall instruction with its number"
            );
        } else {
            assert_eq!((rip, rax as i64), (0x40_0102, -4), "EINTR");
        }
    }
}

#[test]
fn faults_override_blocking_and_ignoring() {
    let mut t = TestBed::new();
    sigaction(&mut t, 11, super::SIG_IGN, 0, 0);
    t.p.blocked = 1 << 10;
    super::force(
        &mut t.p,
        11,
        super::SigInfo {
            signo: 11,
            code: 1,
            a: 0xdead,
            ..Default::default()
        },
    );
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert_eq!(
        t.p.exit,
        Some(crate::process::Exit::Group(crate::ExitStatus::Signal(11)))
    );
}

#[test]
fn sigaltstack_validation_and_use() {
    let mut t = TestBed::new();
    let buf = t.scratch();
    let alt = t.scratch();
    let mut ss = Vec::new();
    ss.extend_from_slice(&alt.to_le_bytes());
    ss.extend_from_slice(&0u64.to_le_bytes());
    ss.extend_from_slice(&0x4000u64.to_le_bytes());
    t.poke(buf, &ss);
    assert_eq!(t.call("sigaltstack", [buf, buf + 64, 0, 0, 0, 0]), 0);
    assert_eq!(
        &t.peek(buf + 64 + 8, 4),
        &2i32.to_le_bytes(),
        "SS_DISABLE before"
    );
    sigaction(&mut t, 10, 0x40_1234, super::SA_ONSTACK, 0);
    t.regs.rsp = t.scratch() + 0x8000;
    t.p.thread.pending.post(10, super::SigInfo::kernel(10));
    super::on_return_to_user(&mut t.k, &mut t.p, &mut t.regs);
    assert!(
        t.regs.rsp > alt && t.regs.rsp < alt + 0x4000,
        "the handler runs on the alternate stack"
    );
    // On the alternate stack, changing it is EPERM.
    assert_eq!(t.call("sigaltstack", [buf, 0, 0, 0, 0, 0]) as i64, -1);
    t.poke(buf + 16, &100u64.to_le_bytes());
}

#[test]
fn alarm_returns_the_rounded_remainder_and_timers_fire() {
    let mut t = TestBed::new();
    assert_eq!(t.call("alarm", [5, 0, 0, 0, 0, 0]), 0);
    t.k.mono += 600_000_000;
    assert_eq!(
        t.call("alarm", [0, 0, 0, 0, 0, 0]),
        4,
        "4.4 s left rounds to 4"
    );
    assert_eq!(t.call("alarm", [1, 0, 0, 0, 0, 0]), 0);
    t.k.mono += 1_000_000_000;
    super::run_timers(&t.p.sys, t.k.mono);
    assert_ne!(t.p.group.pending.bits() & (1 << 13), 0, "SIGALRM pending");
}
