/*
 * The checking conventions of the self-checking guest programs
 * (tests/guest/proc/, tests/guest/net/): each runs once natively on the
 * host and once under Lintel, and both runs must print the same lines and
 * exit with the same status.
 *
 * Every check prints one line, "what: yes" when the relation holds (what
 * Linux does) and "what: no  <-- UNEXPECTED" when it does not; calls whose
 * result is interesting print "call = result" with errno *names*. Nothing
 * that differs between two correct systems is printed: no pids, tids,
 * ports, addresses or times, only relations between them. The program ends
 * with "N lines, M unexpected" and exits non-zero when M > 0; a native run
 * that does so means the program (not the kernel) is wrong.
 */
#ifndef LINTEL_CHECK_H
#define LINTEL_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not every program uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

static int check_unexpected;
static int check_lines;

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
	N(EOVERFLOW) N(EOPNOTSUPP) N(ENOTSOCK) N(ETIMEDOUT) N(ENOBUFS)
	N(EDESTADDRREQ) N(EMSGSIZE) N(EPROTOTYPE) N(ENOPROTOOPT)
	N(EPROTONOSUPPORT) N(ESOCKTNOSUPPORT) N(EAFNOSUPPORT)
	N(EADDRINUSE) N(EADDRNOTAVAIL) N(ENETUNREACH) N(ECONNABORTED)
	N(ECONNRESET) N(EISCONN) N(ENOTCONN) N(ECONNREFUSED)
	N(EALREADY) N(EINPROGRESS)
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

static void check_result(const char *what, long r, int err, int ok, const char *want)
{
	check_lines++;
	if (r == -1)
		printf("%s = -1 %s", what, errname(err));
	else
		printf("%s = %ld", what, r);
	if (!ok) {
		check_unexpected++;
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
	check_result(#call, r_, e_, r_ == w_, d_); r_; })

/* A call that fails with errno `err`. */
#define E(call, err) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	check_result(#call, r_, e_, r_ == -1 && e_ == (err), "-1 " #err); r_; })

/*
 * A call that succeeds (does not return -1); its value is not printed (it
 * may be a pid or an fd that differs between systems). Evaluates to it.
 */
#define OK(call) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	check_ok(#call, r_, e_); r_; })

static void check_ok(const char *what, long r, int err)
{
	check_lines++;
	if (r == -1) {
		check_unexpected++;
		printf("%s = -1 %s  <-- UNEXPECTED (want success)\n", what, errname(err));
		fprintf(stderr, "UNEXPECTED: %s failed: %s\n", what, errname(err));
	} else {
		printf("%s: ok\n", what);
	}
}

/* A pthread-style call returning 0 or an error number: prints its name. */
#define PT(call, want) ({ int r_ = (call); int w_ = (want); check_lines++; \
	printf("%s = %s", #call, errname(r_)); \
	if (r_ != w_) { check_unexpected++; printf("  <-- UNEXPECTED (want %s)", errname(w_)); \
		fprintf(stderr, "UNEXPECTED: %s = %s\n", #call, errname(r_)); } \
	putchar('\n'); r_; })

/* A relation that holds on Linux: prints "what: yes" (or "no"). */
static int check(const char *what, int cond)
{
	check_lines++;
	printf("%s: %s", what, cond ? "yes" : "no");
	if (!cond) {
		check_unexpected++;
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
	check_lines++;
	printf("%s = %ld", what, got);
	if (got != want) {
		check_unexpected++;
		printf("  <-- UNEXPECTED (want %ld)", want);
		fprintf(stderr, "UNEXPECTED: %s = %ld, want %ld\n", what, got, want);
	}
	putchar('\n');
}

/* A value printed as is (something deterministic, e.g. a count). */
#define SAY(...) (check_lines++, printf(__VA_ARGS__), putchar('\n'))

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
	printf("\n%d lines, %d unexpected\n", check_lines, check_unexpected);
	fflush(stdout);
	return check_unexpected ? 1 : 0;
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

#endif
