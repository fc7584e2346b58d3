/*
 * Shared by the socket programs in tests/guest/net/: each runs once
 * natively on the host and once under Lintel, and both runs must print the
 * same lines and exit with the same status. The conventions are
 * tests/guest/proc/proc.h's (one line per check, errno names, nothing that
 * differs between two correct systems: no ports, pids or addresses beyond
 * 127.0.0.1), with the socket errnos named.
 */
#ifndef LINTEL_NET_H
#define LINTEL_NET_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-function"

static int net_unexpected;
static int net_lines;

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
#define N(x) case x: return #x;
	N(EPERM) N(ENOENT) N(EINTR) N(EIO) N(EBADF) N(EAGAIN) N(ENOMEM)
	N(EACCES) N(EFAULT) N(EBUSY) N(EEXIST) N(EINVAL) N(ENFILE) N(EMFILE)
	N(ENOTTY) N(ENOSPC) N(ESPIPE) N(EPIPE) N(ENOSYS) N(ENOTSOCK)
	N(EDESTADDRREQ) N(EMSGSIZE) N(EPROTOTYPE) N(ENOPROTOOPT)
	N(EPROTONOSUPPORT) N(ESOCKTNOSUPPORT) N(EOPNOTSUPP) N(EAFNOSUPPORT)
	N(EADDRINUSE) N(EADDRNOTAVAIL) N(ENETUNREACH) N(ECONNABORTED)
	N(ECONNRESET) N(EISCONN) N(ENOTCONN) N(ETIMEDOUT) N(ECONNREFUSED)
	N(EALREADY) N(EINPROGRESS)
#undef N
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static void net_result(const char *what, long r, int err, int ok, const char *want)
{
	net_lines++;
	if (r == -1)
		printf("%s = -1 %s", what, errname(err));
	else
		printf("%s = %ld", what, r);
	if (!ok) {
		net_unexpected++;
		printf("  <-- UNEXPECTED (want %s)", want);
		fprintf(stderr, "UNEXPECTED: %s: want %s, got %ld (%s)\n", what, want, r,
			r == -1 ? errname(err) : "no error");
	}
	putchar('\n');
}

/* A call that returns exactly `want`. */
#define V(call, want) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	long w_ = (long)(want); char d_[40]; snprintf(d_, sizeof d_, "%ld", w_); \
	net_result(#call, r_, e_, r_ == w_, d_); r_; })

/* A call that fails with errno `err`. */
#define E(call, err) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	net_result(#call, r_, e_, r_ == -1 && e_ == (err), "-1 " #err); r_; })

/* A call that succeeds; its value (an fd) is not printed. */
#define OK(call) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	net_lines++; if (r_ == -1) { net_unexpected++; \
	printf("%s = -1 %s  <-- UNEXPECTED (want success)\n", #call, errname(e_)); \
	fprintf(stderr, "UNEXPECTED: %s failed: %s\n", #call, errname(e_)); } \
	else { printf("%s: ok\n", #call); } r_; })

static int check(const char *what, int cond)
{
	net_lines++;
	printf("%s: %s", what, cond ? "yes" : "no");
	if (!cond) {
		net_unexpected++;
		printf("  <-- UNEXPECTED");
		fprintf(stderr, "UNEXPECTED: %s: no\n", what);
	}
	putchar('\n');
	return cond;
}
#define CHECK(what, cond) check(what, !!(cond))

static void check_eq(const char *what, long got, long want)
{
	net_lines++;
	printf("%s = %ld", what, got);
	if (got != want) {
		net_unexpected++;
		printf("  <-- UNEXPECTED (want %ld)", want);
		fprintf(stderr, "UNEXPECTED: %s = %ld, want %ld\n", what, got, want);
	}
	putchar('\n');
}

#define SECTION(name) printf("\n== %s\n", name)

static void die(const char *what)
{
	int e = errno;
	printf("FATAL: %s: %s\n", what, errname(e));
	fprintf(stderr, "FATAL: %s: %s\n", what, errname(e));
	fflush(stdout);
	_exit(2);
}

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
	printf("\n%d lines, %d unexpected\n", net_lines, net_unexpected);
	fflush(stdout);
	return net_unexpected ? 1 : 0;
}

static pid_t xfork(void)
{
	fflush(stdout);
	fflush(stderr);
	pid_t p = fork();
	if (p < 0)
		die("fork");
	return p;
}

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

/* 127.0.0.1:port. */
static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* The port `fd` is bound to. */
static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &l) != 0)
		die("getsockname");
	return ntohs(a.sin_port);
}

/* A socket of `type` bound to 127.0.0.1 on a port the system picks. */
static int bound(int type)
{
	int s = socket(AF_INET, type, 0);
	if (s < 0)
		die("socket");
	struct sockaddr_in a = loopback(0);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	return s;
}

/* A listening TCP socket on 127.0.0.1 (port picked). */
static int listener(int backlog)
{
	int s = bound(SOCK_STREAM);
	if (listen(s, backlog) != 0)
		die("listen");
	return s;
}

/* Whether two sockaddr_in are the same address and port. */
static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Waits up to `ms` for `events` on `fd`; returns revents (0 on timeout). */
static short wait_for(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };
	int r;
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0 ? p.revents : 0;
}

/* Sends all of `n` bytes or dies. */
static void send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("send");
		p += w;
		n -= (size_t)w;
	}
}

#endif
