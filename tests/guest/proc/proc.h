/*
 * Shared by the process programs in tests/guest/proc/ (threads, preemption,
 * clocks and timers, signals, fork/exec/wait, poll/select): each program
 * runs once natively on the host and once under Lintel, and both runs must
 * print the same lines and exit with the same status.
 *
 * Every check prints one line, "what: yes" when the relation holds (what
 * Linux does) and "what: no  <-- UNEXPECTED" when it does not; calls whose
 * result is interesting print "call = result" with errno *names*. Nothing
 * that differs between two correct systems is printed: no pids, tids,
 * addresses or times, only relations between them ("slept >= 50 ms: yes").
 *
 * A native run that exits non-zero means the program (not the kernel) is
 * wrong. Only one process or thread prints at a time: children that print
 * do so while their parent is blocked in wait, so the order of the lines is
 * fixed.
 */
#ifndef LINTEL_PROC_H
#define LINTEL_PROC_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Not every program uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

static int proc_unexpected;
static int proc_lines;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
#define N(x) case x: return #x;
	N(EPERM) N(ENOENT) N(ESRCH) N(EINTR) N(EIO) N(ENXIO) N(E2BIG)
	N(ENOEXEC) N(EBADF) N(ECHILD) N(EAGAIN) N(ENOMEM) N(EACCES) N(EFAULT)
	N(EBUSY) N(EEXIST) N(EXDEV) N(ENODEV) N(ENOTDIR) N(EISDIR)
	N(EINVAL) N(ENFILE) N(EMFILE) N(ENOTTY) N(ETXTBSY) N(EFBIG) N(ENOSPC)
	N(ESPIPE) N(EROFS) N(EMLINK) N(EPIPE) N(EDOM) N(ERANGE) N(EDEADLK)
	N(ENAMETOOLONG) N(ENOLCK) N(ENOSYS) N(ENOTEMPTY) N(ELOOP)
	N(EOVERFLOW) N(EOPNOTSUPP) N(ENOTSOCK) N(ETIMEDOUT)
#undef N
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static const char *signame(int s)
{
	switch (s) {
	case 0: return "0";
#define N(x) case x: return #x;
	N(SIGHUP) N(SIGINT) N(SIGQUIT) N(SIGILL) N(SIGTRAP) N(SIGABRT)
	N(SIGBUS) N(SIGFPE) N(SIGKILL) N(SIGUSR1) N(SIGSEGV) N(SIGUSR2)
	N(SIGPIPE) N(SIGALRM) N(SIGTERM) N(SIGCHLD) N(SIGCONT) N(SIGSTOP)
	N(SIGTSTP) N(SIGURG) N(SIGWINCH) N(SIGSYS)
#undef N
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "signal %d", s);
	return buf;
}

static void proc_result(const char *what, long r, int err, int ok, const char *want)
{
	proc_lines++;
	if (r == -1)
		printf("%s = -1 %s", what, errname(err));
	else
		printf("%s = %ld", what, r);
	if (!ok) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED (want %s)", want);
		fprintf(stderr, "UNEXPECTED: %s: want %s, got %ld (%s)\n", what, want, r,
			r == -1 ? errname(err) : "no error");
	}
	putchar('\n');
}

/*
 * A call that returns exactly `want` (printed with the call's source text).
 * Evaluates to the result.
 */
#define V(call, want) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	long w_ = (long)(want); char d_[40]; snprintf(d_, sizeof d_, "%ld", w_); \
	proc_result(#call, r_, e_, r_ == w_, d_); r_; })

/* A call that fails with errno `err`. */
#define E(call, err) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	proc_result(#call, r_, e_, r_ == -1 && e_ == (err), "-1 " #err); r_; })

/*
 * A call that succeeds (does not return -1); its value is not printed (it
 * may be a pid or an fd that differs between systems). Evaluates to it.
 */
#define OK(call) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	proc_check_ok(#call, r_, e_); r_; })

static void proc_check_ok(const char *what, long r, int err)
{
	proc_lines++;
	if (r == -1) {
		proc_unexpected++;
		printf("%s = -1 %s  <-- UNEXPECTED (want success)\n", what, errname(err));
		fprintf(stderr, "UNEXPECTED: %s failed: %s\n", what, errname(err));
	} else {
		printf("%s: ok\n", what);
	}
}

/* A pthread-style call returning 0 or an error number: prints its name. */
#define PT(call, want) ({ int r_ = (call); int w_ = (want); proc_lines++; \
	printf("%s = %s", #call, errname(r_)); \
	if (r_ != w_) { proc_unexpected++; printf("  <-- UNEXPECTED (want %s)", errname(w_)); \
		fprintf(stderr, "UNEXPECTED: %s = %s\n", #call, errname(r_)); } \
	putchar('\n'); r_; })

/* A relation that holds on Linux: prints "what: yes" (or "no"). */
static int check(const char *what, int cond)
{
	proc_lines++;
	printf("%s: %s", what, cond ? "yes" : "no");
	if (!cond) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED");
		fprintf(stderr, "UNEXPECTED: %s: no\n", what);
	}
	putchar('\n');
	return cond;
}
#define CHECK(what, cond) check(what, !!(cond))

/* Two values that must be equal: prints "what = value" (both shown if not). */
static void check_eq(const char *what, long got, long want)
{
	proc_lines++;
	printf("%s = %ld", what, got);
	if (got != want) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED (want %ld)", want);
		fprintf(stderr, "UNEXPECTED: %s = %ld, want %ld\n", what, got, want);
	}
	putchar('\n');
}

/* A value printed as is (something deterministic, e.g. a count). */
#define SAY(...) (proc_lines++, printf(__VA_ARGS__), putchar('\n'))

/* A section heading, so a difference is easy to place. */
#define SECTION(name) printf("\n== %s\n", name)

/* Stops the program: the setup itself failed, nothing after makes sense. */
static void die(const char *what)
{
	int e = errno;
	printf("FATAL: %s: %s\n", what, errname(e));
	fprintf(stderr, "FATAL: %s: %s\n", what, errname(e));
	fflush(stdout);
	_exit(2);
}

/*
 * Closes every fd above 2 (a native run may inherit some), resets the
 * signal mask and the dispositions a test runner may have changed, makes
 * stdout line-buffered and prints the program's name.
 */
static void setup(const char *name)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	printf("%s\n", name);
}

static int finish(void)
{
	printf("\n%d lines, %d unexpected\n", proc_lines, proc_unexpected);
	fflush(stdout);
	return proc_unexpected ? 1 : 0;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };
	return ts;
}

/* Sleeps `ms` milliseconds (restarting after signals). */
static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Waits (sleeping 1 ms at a time, at most `limit_ms`) until `*flag` is at
 * least `want`; returns whether it got there.
 */
static int wait_for(volatile int *flag, int want, long limit_ms)
{
	int64_t end = now_ns() + limit_ms * 1000000LL;
	while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) < want) {
		if (now_ns() > end)
			return 0;
		sleep_ms(1);
	}
	return 1;
}

/* fork() with stdout flushed first, so no line is printed twice. */
static pid_t xfork(void)
{
	fflush(stdout);
	fflush(stderr);
	pid_t p = fork();
	if (p < 0)
		die("fork");
	return p;
}

/* Writes all of `n` bytes or dies. */
static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* waitpid(pid) retrying on EINTR; returns the status (dies on error). */
static int reap(pid_t pid)
{
	int st;
	pid_t r;
	while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (r != pid)
		die("waitpid");
	return st;
}

/* A wait status in words: "exited 7", "killed by SIGSEGV", ... */
static const char *status_str(int st)
{
	static char buf[64];
	if (WIFEXITED(st))
		snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, sizeof buf, "killed by %s%s", signame(WTERMSIG(st)),
			 WCOREDUMP(st) ? " (core dumped)" : "");
	else if (WIFSTOPPED(st))
		snprintf(buf, sizeof buf, "stopped by %s", signame(WSTOPSIG(st)));
	else
		snprintf(buf, sizeof buf, "status %#x", st);
	return buf;
}

/* Prints "what: <status>" and checks it against `want` (a status_str). */
static void check_status(const char *what, int st, const char *want)
{
	const char *got = status_str(st);
	proc_lines++;
	printf("%s: %s", what, got);
	if (strcmp(got, want) != 0) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED (want %s)", want);
		fprintf(stderr, "UNEXPECTED: %s: %s, want %s\n", what, got, want);
	}
	putchar('\n');
}

/* Installs `fn` for `sig` with `flags` (SA_SIGINFO added when flagged). */
static void on_signal(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		die("sigaction");
}

/* Sets `sig`'s disposition to SIG_DFL or SIG_IGN. */
static void set_disposition(int sig, void (*h)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0)
		die("sigaction");
}

/* Blocks (how = SIG_BLOCK) or unblocks (SIG_UNBLOCK) one signal. */
static void mask_one(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	if (sigprocmask(how, &s, NULL) != 0)
		die("sigprocmask");
}

static int is_pending(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigpending(&s);
	return sigismember(&s, sig) == 1;
}

static int is_blocked(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig) == 1;
}

/* The absolute path of this program (for re-executing it). */
static const char *self_path(void)
{
	static char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	buf[n] = 0;
	return buf;
}

/* Deterministic burn of CPU time: ~`ms` milliseconds of pure computation. */
static volatile uint64_t proc_sink;
static void burn_ms(long ms)
{
	int64_t end = now_ns() + ms * 1000000LL;
	uint64_t x = 1;
	while (now_ns() < end)
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	proc_sink = x;
}

#endif
