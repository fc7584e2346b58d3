/*
 * Shared by the process programs in tests/guest/proc/ (threads, preemption,
 * clocks and timers, signals, fork/exec/wait, poll/select/epoll): the
 * checking conventions of ../check.h, and time and signal helpers. Only one
 * process or thread prints at a time: children that print do so while
 * their parent is blocked in wait, so the order of the lines is fixed.
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

#include "../check.h"

/* The counters by the names the programs use. */
#define proc_unexpected check_unexpected
#define proc_lines check_lines

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
