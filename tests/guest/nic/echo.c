/*
 * A TCP and UDP echo server for the host-to-guest network tests: it
 * listens on TCP and UDP port argv[1], serves argv[2] TCP connections
 * (each echoed until the client shuts its side down) and then echoes
 * datagrams until one says "bye", and exits 0. Each connection's line
 * says which local address it was accepted on and how many bytes went
 * back, so the test sees the guest's address (DHCP or static) and the
 * peer QEMU's user network shows (10.0.2.2).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 100;
	int port = atoi(argv[1]), conns = atoi(argv[2]);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind tcp");
	if (listen(l, 16) < 0)
		die("listen");
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof a) < 0)
		die("bind udp");
	printf("listening on port %d\n", port);
	fflush(stdout);
	static char buf[65536];
	for (int i = 0; i < conns; i++) {
		struct sockaddr_in peer, me;
		socklen_t pl = sizeof peer, ml = sizeof me;
		int c = accept(l, (struct sockaddr *)&peer, &pl);
		if (c < 0)
			die("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		getsockname(c, (struct sockaddr *)&me, &ml);
		long total = 0;
		for (;;) {
			ssize_t n = read(c, buf, sizeof buf);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("read");
			if (n == 0)
				break;
			if (write_all(c, buf, (size_t)n) < 0)
				die("write");
			total += n;
		}
		char mine[INET_ADDRSTRLEN], theirs[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &me.sin_addr, mine, sizeof mine);
		inet_ntop(AF_INET, &peer.sin_addr, theirs, sizeof theirs);
		printf("connection %d: %s:%d from %s, %ld bytes echoed\n", i + 1, mine,
		       ntohs(me.sin_port), theirs, total);
		fflush(stdout);
		close(c);
	}
	for (;;) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof peer;
		ssize_t n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&peer, &pl);
		if (n < 0)
			die("recvfrom");
		if (sendto(u, buf, (size_t)n, 0, (struct sockaddr *)&peer, pl) != n)
			die("sendto");
		if (n == 3 && memcmp(buf, "bye", 3) == 0)
			break;
	}
	printf("udp: echoed until bye\n");
	return 0;
}
