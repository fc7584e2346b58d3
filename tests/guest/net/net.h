/*
 * Shared by the socket programs in tests/guest/net/: the checking
 * conventions of ../check.h (no ports, pids or addresses beyond 127.0.0.1
 * are printed), and socket helpers.
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

#include "../check.h"

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
