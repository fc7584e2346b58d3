/*
 * Signals: sigaction/siginfo/ucontext, delivery order and masks (sa_mask,
 * SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_ONSTACK), pending and blocked
 * signals (standard ones coalesce, real-time ones queue), sigsuspend,
 * sigtimedwait, sigaltstack, ignored and default-ignored signals,
 * synchronous faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP) with their
 * si_code/si_addr, registers changed in a handler's ucontext, default
 * actions observed by a parent through waitpid, and what fork inherits.
 */
#include "proc.h"
#include <sys/prctl.h>
#include <ucontext.h>

static char order[64];
static volatile int order_len;

static void note(char c)
{
	if (order_len < (int)sizeof order - 1)
		order[order_len++] = c;
	order[order_len] = 0;
}

static void reset_order(void)
{
	order_len = 0;
	order[0] = 0;
}

/* --- siginfo and ucontext ---------------------------------------------------- */

static volatile int got_signo, got_code, got_pid, got_uid, got_uc, got_count;
static volatile long got_rax;
static volatile int got_mask_usr1, got_mask_usr2;

static void recorder(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	got_count++;
	got_signo = si->si_signo == sig ? sig : -1;
	got_code = si->si_code;
	got_pid = si->si_pid;
	got_uid = si->si_uid;
	got_uc = uc != NULL && uc->uc_mcontext.gregs[REG_RIP] != 0 &&
		 uc->uc_mcontext.gregs[REG_RSP] != 0;
	if (uc) {
		got_rax = uc->uc_mcontext.gregs[REG_RAX];
		got_mask_usr1 = sigismember(&uc->uc_sigmask, SIGUSR1);
		got_mask_usr2 = sigismember(&uc->uc_sigmask, SIGUSR2);
	}
}

static void siginfo_checks(void)
{
	SECTION("siginfo and ucontext");
	on_signal(SIGUSR1, recorder, 0);
	on_signal(SIGUSR2, recorder, 0);
	got_count = 0;
	V(kill(getpid(), SIGUSR1), 0);
	check_eq("handler ran before kill returned", got_count, 1);
	CHECK("si_signo == SIGUSR1", got_signo == SIGUSR1);
	check_eq("si_code (SI_USER)", got_code, SI_USER);
	CHECK("si_pid == getpid()", got_pid == getpid());
	CHECK("si_uid == getuid()", got_uid == (int)getuid());
	CHECK("ucontext given, with RIP and RSP", got_uc);
	V(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2), 0);
	CHECK("tgkill: si_signo == SIGUSR2", got_signo == SIGUSR2);
	check_eq("tgkill: si_code (SI_TKILL)", got_code, SI_TKILL);
	got_code = 99;
	V(raise(SIGUSR1), 0);
	check_eq("raise: si_code (SI_TKILL)", got_code, SI_TKILL);
	check_eq("handler runs", got_count, 3);

	/* The frame holds the interrupted state: RAX has the syscall's result,
	 * uc_sigmask the mask before the handler (SIGUSR2 blocked, not SIGUSR1). */
	mask_one(SIG_BLOCK, SIGUSR2);
	got_rax = -1;
	V(syscall(SYS_kill, getpid(), SIGUSR1), 0);
	check_eq("RAX in the frame (the result of kill)", got_rax, 0);
	check_eq("SIGUSR1 in uc_sigmask", got_mask_usr1, 0);
	check_eq("SIGUSR2 in uc_sigmask", got_mask_usr2, 1);
	mask_one(SIG_UNBLOCK, SIGUSR2);

	V(kill(getpid(), 0), 0);
	E(kill(getpid(), 999), EINVAL);
	E(kill(0x3fffffff, 0), ESRCH);
	E(syscall(SYS_tgkill, getpid(), 0x3fffffff, SIGUSR1), ESRCH);
}

/* A handler that rewrites the interrupted registers. */
static void rewrite_rax(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RAX] = 1234;
	sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void ucontext_changes(void)
{
	SECTION("changes to the ucontext take effect on return");
	on_signal(SIGUSR1, rewrite_rax, 0);
	V(syscall(SYS_kill, getpid(), SIGUSR1), 1234);
	CHECK("SIGUSR2 blocked: the handler added it to uc_sigmask", is_blocked(SIGUSR2));
	mask_one(SIG_UNBLOCK, SIGUSR2);
}

/* --- masks, pending, queueing ------------------------------------------------- */

static volatile int usr1_count, rt_count;

static void count_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	usr1_count++;
}

static void count_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == SI_USER)
		rt_count++;
}

static void masks(void)
{
	SECTION("blocking and pending");
	on_signal(SIGUSR1, count_usr1, 0);
	usr1_count = 0;
	mask_one(SIG_BLOCK, SIGUSR1);
	V(kill(getpid(), SIGUSR1), 0);
	V(kill(getpid(), SIGUSR1), 0);
	check_eq("handled while blocked", usr1_count, 0);
	CHECK("SIGUSR1 pending", is_pending(SIGUSR1));
	sigset_t raw;
	sigemptyset(&raw);
	V(syscall(SYS_rt_sigpending, &raw, 8), 0);
	CHECK("rt_sigpending shows it", sigismember(&raw, SIGUSR1) == 1);
	mask_one(SIG_UNBLOCK, SIGUSR1);
	check_eq("two sends while blocked, delivered once on unblock", usr1_count, 1);
	CHECK("no longer pending", !is_pending(SIGUSR1));

	int rt = SIGRTMIN + 1;
	on_signal(rt, count_rt, 0);
	rt_count = 0;
	mask_one(SIG_BLOCK, rt);
	kill(getpid(), rt);
	kill(getpid(), rt);
	kill(getpid(), rt);
	check_eq("real-time signal handled while blocked", rt_count, 0);
	mask_one(SIG_UNBLOCK, rt);
	check_eq("three real-time sends, all delivered on unblock", rt_count, 3);

	/* SIGKILL and SIGSTOP can be neither caught nor blocked. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	E(sigaction(SIGKILL, &sa, NULL), EINVAL);
	E(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	V(sigaction(SIGKILL, NULL, &sa), 0);
	CHECK("SIGKILL's disposition reads as SIG_DFL", sa.sa_handler == SIG_DFL);
	sigset_t all, cur;
	sigfillset(&all);
	V(sigprocmask(SIG_BLOCK, &all, &cur), 0);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK("SIGKILL and SIGSTOP not blockable",
	      !sigismember(&cur, SIGKILL) && !sigismember(&cur, SIGSTOP));
	CHECK("SIGTERM blocked", sigismember(&cur, SIGTERM));
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	E(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 4), EINVAL);
	E(syscall(SYS_rt_sigprocmask, 99, &all, NULL, 8), EINVAL);
	E(sigaction(0, NULL, &sa), EINVAL);
	E(sigaction(65, NULL, &sa), EINVAL);
}

/* --- sa_mask, SA_NODEFER, SA_RESETHAND -------------------------------------------- */

static volatile int nest_round;
static volatile int usr1_blocked_inside, usr2_blocked_inside, usr2_pending_inside;

static void nest_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	note('<');
	if (nest_round++ == 0) {
		usr1_blocked_inside = is_blocked(SIGUSR1);
		usr2_blocked_inside = is_blocked(SIGUSR2);
		raise(SIGUSR2);
		raise(sig);
		usr2_pending_inside = is_pending(SIGUSR2);
	}
	note('>');
}

static void nest_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	note('2');
}

static volatile int depth, max_depth, runs;

static void nodefer(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (runs++ == 0)
		raise(sig);
	depth--;
}

static void handler_masks(void)
{
	SECTION("handler masks");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = nest_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);
	on_signal(SIGUSR2, nest_usr2, 0);
	reset_order();
	nest_round = 0;
	kill(getpid(), SIGUSR1);
	/* '<' '>' for the first run, a second SIGUSR1 run, then SIGUSR2. */
	SAY("order of handlers: %s", order);
	CHECK("inside the handler: SIGUSR1 blocked (no SA_NODEFER)", usr1_blocked_inside);
	CHECK("inside the handler: SIGUSR2 blocked (sa_mask)", usr2_blocked_inside);
	CHECK("inside the handler: the raised SIGUSR2 pending", usr2_pending_inside);
	CHECK("after the handlers: nothing blocked",
	      !is_blocked(SIGUSR1) && !is_blocked(SIGUSR2));

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = nodefer;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGUSR1, &sa, NULL);
	depth = max_depth = runs = 0;
	kill(getpid(), SIGUSR1);
	check_eq("SA_NODEFER: handler nesting depth", max_depth, 2);
	check_eq("SA_NODEFER: handler runs", runs, 2);
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	depth = max_depth = runs = 0;
	kill(getpid(), SIGUSR1);
	check_eq("without SA_NODEFER: handler nesting depth", max_depth, 1);
	check_eq("without SA_NODEFER: handler runs", runs, 2);

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = count_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	usr1_count = 0;
	kill(getpid(), SIGUSR1);
	check_eq("SA_RESETHAND: handled", usr1_count, 1);
	sigaction(SIGUSR1, NULL, &sa);
	CHECK("SA_RESETHAND: disposition now SIG_DFL", sa.sa_handler == SIG_DFL);

	/* sigaction reports back what was set. */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = count_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaction(SIGUSR1, &sa, NULL);
	struct sigaction back;
	memset(&back, 0, sizeof back);
	V(sigaction(SIGUSR1, NULL, &back), 0);
	CHECK("old action: handler, SA_SIGINFO|SA_RESTART, mask {SIGTERM}",
	      back.sa_sigaction == count_usr1 && (back.sa_flags & (SA_SIGINFO | SA_RESTART)) ==
	      (SA_SIGINFO | SA_RESTART) && sigismember(&back.sa_mask, SIGTERM) &&
	      !sigismember(&back.sa_mask, SIGINT));
	set_disposition(SIGUSR1, SIG_DFL);
	set_disposition(SIGUSR2, SIG_DFL);
}

/* --- SA_RESTART ------------------------------------------------------------------ */

static volatile int alarms;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	alarms++;
}

static void restart(void)
{
	SECTION("SA_RESTART");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	pid_t c = xfork();
	if (c == 0) {
		close(p[0]);
		sleep_ms(100);
		write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	on_signal(SIGALRM, on_alarm, SA_RESTART);
	alarms = 0;
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	char ch = 0;
	V(read(p[0], &ch, 1), 1);
	check_eq("SIGALRM handled during the read", alarms, 1);
	CHECK("read got the child's byte", ch == 'x');
	check_status("writer child", reap(c), "exited 0");
	close(p[0]);

	if (pipe(p) != 0)
		die("pipe");
	on_signal(SIGALRM, on_alarm, 0);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	E(read(p[0], &ch, 1), EINTR);
	check_eq("SIGALRM handled", alarms, 1);
	close(p[0]);
	close(p[1]);
	set_disposition(SIGALRM, SIG_DFL);
}

/* --- sigsuspend, sigtimedwait ------------------------------------------------------ */

static void waiting(void)
{
	SECTION("sigsuspend and sigtimedwait");
	on_signal(SIGUSR1, count_usr1, 0);
	usr1_count = 0;
	mask_one(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	E(sigsuspend(&none), EINTR);
	check_eq("pending SIGUSR1 handled by sigsuspend", usr1_count, 1);
	CHECK("SIGUSR1 blocked again after sigsuspend", is_blocked(SIGUSR1));

	/* From another process, while suspended. */
	pid_t parent = getpid();
	pid_t c = xfork();
	if (c == 0) {
		sleep_ms(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	E(sigsuspend(&none), EINTR);
	check_eq("SIGUSR1 from a child handled by sigsuspend", usr1_count, 2);
	check_status("sender child", reap(c), "exited 0");
	mask_one(SIG_UNBLOCK, SIGUSR1);

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec to = { 0, 20 * 1000000 };
	siginfo_t si;
	int64_t t0 = now_ns();
	E(sigtimedwait(&set, &si, &to), EAGAIN);
	CHECK("sigtimedwait waited >= 20 ms", now_ns() - t0 >= 20000000);
	kill(getpid(), SIGUSR2);
	memset(&si, 0, sizeof si);
	V(sigtimedwait(&set, &si, &to), SIGUSR2);
	CHECK("si_signo SIGUSR2, si_code SI_USER, si_pid ours",
	      si.si_signo == SIGUSR2 && si.si_code == SI_USER && si.si_pid == getpid());
	CHECK("no longer pending", !is_pending(SIGUSR2));
	raise(SIGUSR2);
	V(sigwaitinfo(&set, NULL), SIGUSR2);
	struct timespec zero = { 0, 0 };
	E(sigtimedwait(&set, NULL, &zero), EAGAIN);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	set_disposition(SIGUSR1, SIG_DFL);
}

/* --- sigaltstack ------------------------------------------------------------------- */

#define ALT_SIZE 65536
static char *alt;
static volatile int on_alt, flagged_onstack, change_while_on;

static void where_am_i(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	char local;
	on_alt = (uintptr_t)&local >= (uintptr_t)alt && (uintptr_t)&local < (uintptr_t)alt + ALT_SIZE;
	stack_t cur;
	sigaltstack(NULL, &cur);
	flagged_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
	stack_t again = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
	errno = 0;
	change_while_on = sigaltstack(&again, NULL) == -1 ? errno : 0;
}

static void altstack(void)
{
	SECTION("sigaltstack");
	stack_t cur;
	V(sigaltstack(NULL, &cur), 0);
	CHECK("initially disabled", cur.ss_flags == SS_DISABLE);
	alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = { .ss_sp = alt, .ss_size = 1024, .ss_flags = 0 };
	E(sigaltstack(&ss, NULL), ENOMEM);
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 12345;
	E(sigaltstack(&ss, NULL), EINVAL);
	ss.ss_flags = 0;
	V(sigaltstack(&ss, NULL), 0);
	V(sigaltstack(NULL, &cur), 0);
	CHECK("reads back: same base and size, flags 0",
	      cur.ss_sp == alt && cur.ss_size == ALT_SIZE && cur.ss_flags == 0);

	on_signal(SIGUSR1, where_am_i, SA_ONSTACK);
	raise(SIGUSR1);
	CHECK("SA_ONSTACK handler ran on the alternate stack", on_alt);
	CHECK("sigaltstack inside says SS_ONSTACK", flagged_onstack);
	check_eq("changing it while on it", change_while_on, EPERM);
	V(sigaltstack(NULL, &cur), 0);
	CHECK("after the handler: flags 0 again", cur.ss_flags == 0);

	on_signal(SIGUSR1, where_am_i, 0);
	raise(SIGUSR1);
	CHECK("without SA_ONSTACK: on the normal stack", !on_alt);
	check_eq("changing it from the normal stack", change_while_on, 0);

	ss.ss_flags = SS_DISABLE;
	V(sigaltstack(&ss, NULL), 0);
	V(sigaltstack(NULL, &cur), 0);
	CHECK("disabled again", cur.ss_flags == SS_DISABLE);
	set_disposition(SIGUSR1, SIG_DFL);
}

/* --- ignoring ---------------------------------------------------------------------- */

static void ignoring(void)
{
	SECTION("ignored signals");
	set_disposition(SIGUSR1, SIG_IGN);
	V(kill(getpid(), SIGUSR1), 0);
	CHECK("SIG_IGN: still running, nothing pending", !is_pending(SIGUSR1));
	/* Blocked signals are never discarded as ignored: they stay pending
	 * until SIG_IGN is (re)set, which flushes them. */
	mask_one(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	CHECK("blocked and ignored: pending", is_pending(SIGUSR1));
	set_disposition(SIGUSR1, SIG_IGN);
	CHECK("setting SIG_IGN discards it", !is_pending(SIGUSR1));
	mask_one(SIG_UNBLOCK, SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);

	V(kill(getpid(), SIGCHLD), 0);
	V(kill(getpid(), SIGURG), 0);
	V(kill(getpid(), SIGWINCH), 0);
	V(kill(getpid(), SIGCONT), 0);
	CHECK("default-ignored SIGCHLD, SIGURG, SIGWINCH, SIGCONT: still running", 1);
	mask_one(SIG_BLOCK, SIGCHLD);
	kill(getpid(), SIGCHLD);
	CHECK("blocked SIGCHLD with SIG_DFL: pending", is_pending(SIGCHLD));
	set_disposition(SIGCHLD, SIG_DFL);
	CHECK("setting SIG_DFL (ignore by default) discards it", !is_pending(SIGCHLD));
	mask_one(SIG_UNBLOCK, SIGCHLD);
}

/* --- synchronous faults -------------------------------------------------------------- */

static sigjmp_buf jump;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;
static volatile int fault_rip_matches;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	fault_rip_matches = (void *)uc->uc_mcontext.gregs[REG_RIP] == si->si_addr;
	if (sig == SIGILL) {
		/* Skip the 2-byte ud2 and carry on. */
		uc->uc_mcontext.gregs[REG_RIP] += 2;
		return;
	}
	if (sig == SIGTRAP)
		return; /* int3 is a trap: RIP is already past it. */
	siglongjmp(jump, 1);
}

/* volatile: a real idiv (gcc turns a constant 1 / x into compares). */
static volatile int one = 1, divisor = 0, minus_one = -1, int_min = INT_MIN;
static volatile int quotient;

static void faults(void)
{
	SECTION("synchronous faults");
	on_signal(SIGSEGV, on_fault, 0);
	on_signal(SIGFPE, on_fault, 0);
	on_signal(SIGILL, on_fault, 0);
	on_signal(SIGTRAP, on_fault, 0);

	char *hole = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4096);
	for (int round = 0; round < 2; round++) {
		fault_sig = 0;
		if (sigsetjmp(jump, 1) == 0) {
			*(volatile char *)(hole + 123) = 1;
			SAY("store to an unmapped page: no fault");
		}
		CHECK("SIGSEGV caught", fault_sig == SIGSEGV);
		check_eq("si_code (SEGV_MAPERR)", fault_code, SEGV_MAPERR);
		CHECK("si_addr == the faulting address", fault_addr == hole + 123);
		CHECK("SIGSEGV not blocked after siglongjmp", !is_blocked(SIGSEGV));
	}
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fault_sig = 0;
	if (sigsetjmp(jump, 1) == 0)
		*(volatile char *)(ro + 7) = 1;
	CHECK("store to a read-only page: SIGSEGV", fault_sig == SIGSEGV);
	check_eq("si_code (SEGV_ACCERR)", fault_code, SEGV_ACCERR);
	CHECK("si_addr == the faulting address", fault_addr == ro + 7);
	munmap(ro, 4096);
	fault_sig = 0;
	if (sigsetjmp(jump, 1) == 0)
		*(volatile int *)0 = 1;
	CHECK("store to NULL: SIGSEGV at address 0", fault_sig == SIGSEGV && fault_addr == NULL);

	fault_sig = 0;
	if (sigsetjmp(jump, 1) == 0)
		quotient = one / divisor;
	CHECK("1 / 0: SIGFPE", fault_sig == SIGFPE);
	check_eq("si_code (FPE_INTDIV)", fault_code, FPE_INTDIV);
	fault_sig = 0;
	if (sigsetjmp(jump, 1) == 0)
		quotient = int_min / minus_one;
	CHECK("INT_MIN / -1: SIGFPE", fault_sig == SIGFPE);
	check_eq("si_code (FPE_INTDIV)", fault_code, FPE_INTDIV);

	fault_sig = 0;
	__asm__ volatile("ud2");
	CHECK("ud2: SIGILL, and the handler skipped it", fault_sig == SIGILL);
	check_eq("si_code (ILL_ILLOPN)", fault_code, ILL_ILLOPN);
	CHECK("si_addr == RIP in the frame == the ud2",
	      fault_rip_matches && ((unsigned char *)fault_addr)[0] == 0x0f &&
	      ((unsigned char *)fault_addr)[1] == 0x0b);

	fault_sig = 0;
	__asm__ volatile("int3");
	CHECK("int3: SIGTRAP, continued after it", fault_sig == SIGTRAP);
	check_eq("si_code (SI_KERNEL)", fault_code, SI_KERNEL);

	set_disposition(SIGSEGV, SIG_DFL);
	set_disposition(SIGFPE, SIG_DFL);
	set_disposition(SIGILL, SIG_DFL);
	set_disposition(SIGTRAP, SIG_DFL);
}

/* --- default actions, seen by a parent ------------------------------------------------ */

static volatile int recursion_stop = -1;

static __attribute__((noinline)) int recurse(int n)
{
	volatile char frame[1024];
	frame[0] = (char)n;
	if (n == recursion_stop)
		return 0;
	return recurse(n + 1) + frame[0];
}

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	char local;
	_exit((uintptr_t)&local >= (uintptr_t)alt && (uintptr_t)&local < (uintptr_t)alt + ALT_SIZE
		      ? 42 : 43);
}

/* In a child: no core dump whatever the host's core_pattern says. */
static void no_core(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void default_actions(void)
{
	SECTION("default actions");
	pid_t c = xfork();
	if (c == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	int st = reap(c);
	check_status("child after raise(SIGTERM)", st, "killed by SIGTERM");
	CHECK("WIFSIGNALED, WTERMSIG == SIGTERM", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

	c = xfork();
	if (c == 0) {
		set_disposition(SIGTERM, SIG_IGN);
		raise(SIGTERM);
		_exit(5);
	}
	check_status("child ignoring SIGTERM after raise(SIGTERM)", reap(c), "exited 5");

	c = xfork();
	if (c == 0) {
		int p[2];
		pipe(p);
		close(p[0]);
		write(p[1], "x", 1);
		_exit(0);
	}
	check_status("child writing to a pipe without readers", reap(c), "killed by SIGPIPE");

	c = xfork();
	if (c == 0) {
		no_core();
		abort();
	}
	check_status("child calling abort()", reap(c), "killed by SIGABRT");

	c = xfork();
	if (c == 0) {
		no_core();
		quotient = one / divisor;
		_exit(0);
	}
	check_status("child dividing by zero", reap(c), "killed by SIGFPE");

	/* Stack overflow, caught on the alternate stack (exit 42). */
	c = xfork();
	if (c == 0) {
		no_core();
		stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
		sigaltstack(&ss, NULL);
		on_signal(SIGSEGV, overflow_handler, SA_ONSTACK);
		recurse(0);
		_exit(1);
	}
	check_status("child overflowing its stack, SIGSEGV handler on the alternate stack",
		     reap(c), "exited 42");

	int p[2];
	pipe(p);
	signal(SIGPIPE, SIG_IGN);
	close(p[0]);
	E(write(p[1], "x", 1), EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

/* --- fork inherits the mask and handlers, not pending signals --------------------------- */

static void inheritance(void)
{
	SECTION("fork and signals");
	on_signal(SIGUSR2, count_usr1, 0);
	mask_one(SIG_BLOCK, SIGUSR1);
	set_disposition(SIGUSR1, SIG_IGN);
	set_disposition(SIGUSR1, SIG_DFL);
	kill(getpid(), SIGUSR1);
	pid_t c = xfork();
	if (c == 0) {
		int bits = 0;
		if (is_blocked(SIGUSR1))
			bits |= 1;
		if (!is_pending(SIGUSR1))
			bits |= 2;
		usr1_count = 0;
		raise(SIGUSR2);
		if (usr1_count == 1)
			bits |= 4;
		_exit(bits);
	}
	check_status("child: mask inherited (1), pending not (2), handler inherited (4)",
		     reap(c), "exited 7");
	CHECK("parent: SIGUSR1 still pending", is_pending(SIGUSR1));
	set_disposition(SIGUSR1, SIG_IGN);
	mask_one(SIG_UNBLOCK, SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	set_disposition(SIGUSR2, SIG_DFL);
}

int main(void)
{
	setup("signals");
	siginfo_checks();
	ucontext_changes();
	masks();
	handler_masks();
	restart();
	waiting();
	altstack();
	ignoring();
	faults();
	default_actions();
	inheritance();
	return finish();
}
