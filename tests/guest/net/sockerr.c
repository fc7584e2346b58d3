/*
 * Sockets over 127.0.0.1: connection refused (blocking and non-blocking,
 * SO_ERROR), calls in the wrong state (accept on a socket that does not
 * listen, recv/send/getpeername/shutdown unconnected, listen on UDP),
 * bind clashes, EPIPE with SIGPIPE (and without, under MSG_NOSIGNAL), a
 * client/server exchange with a forked child (a request, a reply and a
 * megabyte), a non-blocking connect completed through poll,
 * getsockname/getpeername, FIONREAD, end of file and POLLRDHUP, and a
 * UDP round trip with truncation and a connected peer.
 */
#include "net.h"

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

/* A connected pair in this process: (client, server side). */
static void pair(int *client, int *server)
{
	int l = listener(4);
	struct sockaddr_in a = loopback(port_of(l));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect");
	int s = accept(l, NULL, NULL);
	if (s < 0)
		die("accept");
	close(l);
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*client = c;
	*server = s;
}

static void refused(void)
{
	SECTION("connection refused");
	/* A bound port nobody listens on. */
	int closed = bound(SOCK_STREAM);
	struct sockaddr_in a = loopback(port_of(closed));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	E(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
	close(c);

	int nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	E(connect(nb, (struct sockaddr *)&a, sizeof a), EINPROGRESS);
	short ev = wait_for(nb, POLLOUT, 5000);
	CHECK("refused: POLLOUT|POLLERR|POLLHUP", (ev & (POLLOUT | POLLERR | POLLHUP)) == (POLLOUT | POLLERR | POLLHUP));
	int err = -1;
	socklen_t l = sizeof err;
	V(getsockopt(nb, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	check_eq("SO_ERROR is ECONNREFUSED", err, ECONNREFUSED);
	V(getsockopt(nb, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	check_eq("then SO_ERROR", err, 0);
	close(nb);
	close(closed);
}

static void wrong_states(void)
{
	SECTION("wrong states");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char b[8];
	struct sockaddr_in a;
	socklen_t l = sizeof a;
	E(accept(s, NULL, NULL), EINVAL);
	E(recv(s, b, sizeof b, 0), ENOTCONN);
	E(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
	E(getpeername(s, (struct sockaddr *)&a, &l), ENOTCONN);
	E(shutdown(s, SHUT_RDWR), ENOTCONN);
	V(getsockname(s, (struct sockaddr *)&a, &l), 0);
	CHECK("unbound: 0.0.0.0 port 0", a.sin_addr.s_addr == 0 && a.sin_port == 0);
	int bound_s = bound(SOCK_STREAM);
	E(accept(bound_s, NULL, NULL), EINVAL);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	E(listen(u, 1), EOPNOTSUPP);
	E(send(u, "x", 1, 0), EDESTADDRREQ);
	E(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	E(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	E(shutdown(s, 7), EINVAL);
	E(listen(0, 1), ENOTSOCK);
	E(accept(-1, NULL, NULL), EBADF);
	E(connect(s, (struct sockaddr *)1, sizeof a), EFAULT);
	close(u);
	close(bound_s);
	close(s);
}

static void binding(void)
{
	SECTION("bind");
	int a = listener(1);
	struct sockaddr_in at = loopback(port_of(a));
	int b = socket(AF_INET, SOCK_STREAM, 0);
	E(bind(b, (struct sockaddr *)&at, sizeof at), EADDRINUSE);
	struct sockaddr_in any = at;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	E(bind(b, (struct sockaddr *)&any, sizeof any), EADDRINUSE);
	struct sockaddr_in foreign = at;
	foreign.sin_addr.s_addr = inet_addr("192.0.2.1");
	E(bind(b, (struct sockaddr *)&foreign, sizeof foreign), EADDRNOTAVAIL);
	E(bind(b, (struct sockaddr *)&at, 8), EINVAL);
	struct sockaddr_in zero = loopback(0);
	V(bind(b, (struct sockaddr *)&zero, sizeof zero), 0);
	E(bind(b, (struct sockaddr *)&zero, sizeof zero), EINVAL);
	/*
	 * A server restarting: its old connection lingers (TIME-WAIT) on the
	 * port; with SO_REUSEADDR (set on the old listener too, whose
	 * connections inherit it) the new one binds, without it not.
	 */
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in la = loopback(0);
	if (bind(l, (struct sockaddr *)&la, sizeof la) != 0 || listen(l, 1) != 0)
		die("listen");
	struct sockaddr_in again = loopback(port_of(l));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&again, sizeof again) != 0)
		die("connect");
	int s = accept(l, NULL, NULL);
	close(l);
	close(s);
	char x;
	V(recv(c, &x, 1, 0), 0);
	close(c);
	int plain = socket(AF_INET, SOCK_STREAM, 0);
	E(bind(plain, (struct sockaddr *)&again, sizeof again), EADDRINUSE);
	close(plain);
	int r = socket(AF_INET, SOCK_STREAM, 0);
	V(setsockopt(r, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
	V(bind(r, (struct sockaddr *)&again, sizeof again), 0);
	V(listen(r, 1), 0);
	close(r);
	close(b);
	close(a);
}

static void epipe(void)
{
	SECTION("EPIPE and SIGPIPE");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	int c, s;
	pair(&c, &s);
	V(shutdown(c, SHUT_WR), 0);
	sigpipes = 0;
	E(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	check_eq("SIGPIPEs with MSG_NOSIGNAL", sigpipes, 0);
	E(send(c, "x", 1, 0), EPIPE);
	check_eq("SIGPIPEs without", sigpipes, 1);
	E(write(c, "x", 1), EPIPE);
	check_eq("SIGPIPEs after write", sigpipes, 2);
	/* The peer sees the end of the stream and can still answer. */
	char b[8];
	V(recv(s, b, sizeof b, 0), 0);
	V(send(s, "ok", 2, 0), 2);
	CHECK("data arrives after SHUT_WR", wait_for(c, POLLIN, 5000) & POLLIN);
	V(recv(c, b, sizeof b, 0), 2);
	signal(SIGPIPE, SIG_DFL);
	close(c);
	close(s);
}

static unsigned sum(const unsigned char *p, size_t n, unsigned acc)
{
	for (size_t i = 0; i < n; i++)
		acc = acc * 31 + p[i];
	return acc;
}

#define BIG (1 << 20)

static void forked(void)
{
	SECTION("client and server through fork");
	int l = listener(4);
	uint16_t port = port_of(l);
	pid_t pid = xfork();
	if (pid == 0) {
		/* The child: connect, ask, check the answer, send a megabyte. */
		close(l);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = loopback(port);
		if (connect(c, (struct sockaddr *)&a, sizeof a) != 0)
			_exit(10);
		send_all(c, "hello from the child", 20);
		char b[64];
		ssize_t n = recv(c, b, 21, MSG_WAITALL);
		if (n != 21 || memcmp(b, "hello from the parent", 21) != 0)
			_exit(11);
		static unsigned char big[BIG];
		for (int i = 0; i < BIG; i++)
			big[i] = (unsigned char)(i * 7 + (i >> 9));
		send_all(c, big, BIG);
		close(c);
		_exit(0);
	}
	struct sockaddr_in peer;
	socklen_t pl = sizeof peer;
	int s = OK(accept(l, (struct sockaddr *)&peer, &pl));
	check_eq("accept's address length", pl, sizeof peer);
	CHECK("the peer is 127.0.0.1", peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	char b[64];
	V(recv(s, b, 20, MSG_WAITALL), 20);
	CHECK("the request arrived", memcmp(b, "hello from the child", 20) == 0);
	V(send(s, "hello from the parent", 21, 0), 21);
	static unsigned char got[65536];
	size_t total = 0;
	unsigned acc = 0;
	for (;;) {
		ssize_t n = recv(s, got, sizeof got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		acc = sum(got, (size_t)n, acc);
		total += (size_t)n;
	}
	check_eq("bytes from the child", (long)total, BIG);
	static unsigned char want[BIG];
	for (int i = 0; i < BIG; i++)
		want[i] = (unsigned char)(i * 7 + (i >> 9));
	CHECK("the same bytes", acc == sum(want, BIG, 0));
	int st = reap(pid);
	CHECK("the child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(s);
	close(l);
}

static void nonblocking_connect(void)
{
	SECTION("non-blocking connect, names");
	int l = listener(4);
	struct sockaddr_in at = loopback(port_of(l));
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (struct sockaddr *)&at, sizeof at);
	CHECK("connect: 0 or EINPROGRESS", r == 0 || errno == EINPROGRESS);
	CHECK("POLLOUT once connected", wait_for(c, POLLOUT, 5000) & POLLOUT);
	int err = -1;
	socklen_t el = sizeof err;
	V(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	check_eq("SO_ERROR", err, 0);
	/* Linux: the first connect() after completion says 0, later ones EISCONN. */
	V(connect(c, (struct sockaddr *)&at, sizeof at), 0);
	E(connect(c, (struct sockaddr *)&at, sizeof at), EISCONN);
	int s = OK(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	CHECK("accept4: O_NONBLOCK", fcntl(s, F_GETFL) & O_NONBLOCK);
	CHECK("accept4: FD_CLOEXEC", fcntl(s, F_GETFD) & FD_CLOEXEC);
	struct sockaddr_in cl, cp, sl, sp;
	socklen_t n = sizeof cl;
	V(getsockname(c, (struct sockaddr *)&cl, &n), 0);
	n = sizeof cp;
	V(getpeername(c, (struct sockaddr *)&cp, &n), 0);
	n = sizeof sl;
	V(getsockname(s, (struct sockaddr *)&sl, &n), 0);
	n = sizeof sp;
	V(getpeername(s, (struct sockaddr *)&sp, &n), 0);
	CHECK("client's peer = server's name", same(&cp, &sl));
	CHECK("server's peer = client's name", same(&sp, &cl));
	CHECK("server's name = the listener's", same(&sl, &at));
	CHECK("client bound to 127.0.0.1", cl.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	/* A short address buffer: truncated, the full length reported. */
	char tiny[4];
	n = sizeof tiny;
	V(getsockname(c, (struct sockaddr *)tiny, &n), 0);
	check_eq("full length reported", n, sizeof cl);

	SECTION("FIONREAD, EOF, POLLRDHUP");
	char b[256];
	memset(b, 'x', sizeof b);
	V(send(c, b, 100, 0), 100);
	CHECK("POLLIN", wait_for(s, POLLIN, 5000) & POLLIN);
	int avail = -1;
	V(ioctl(s, FIONREAD, &avail), 0);
	check_eq("FIONREAD", avail, 100);
	V(recv(s, b, 10, MSG_PEEK), 10);
	V(recv(s, b, sizeof b, 0), 100);
	E(recv(s, b, sizeof b, 0), EAGAIN);
	E(recv(c, b, sizeof b, MSG_DONTWAIT), EAGAIN);
	close(c);
	short ev = wait_for(s, POLLIN | POLLRDHUP, 5000);
	CHECK("POLLIN|POLLRDHUP at the end", (ev & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP));
	V(recv(s, b, sizeof b, 0), 0);
	V(read(s, b, sizeof b), 0);
	close(s);
	close(l);
}

static void udp(void)
{
	SECTION("UDP");
	int a = bound(SOCK_DGRAM);
	struct sockaddr_in at = loopback(port_of(a));
	int b = bound(SOCK_DGRAM);
	struct sockaddr_in bt = loopback(port_of(b));
	V(sendto(b, "0123456789", 10, 0, (struct sockaddr *)&at, sizeof at), 10);
	CHECK("POLLIN", wait_for(a, POLLIN, 5000) & POLLIN);
	int avail = -1;
	V(ioctl(a, FIONREAD, &avail), 0);
	check_eq("FIONREAD: the datagram's size", avail, 10);
	char buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	V(recvfrom(a, buf, 4, MSG_PEEK | MSG_TRUNC, (struct sockaddr *)&from, &fl), 10);
	CHECK("the sender's address", same(&from, &bt));
	V(recvfrom(a, buf, 4, 0, NULL, NULL), 4);
	CHECK("the rest of a datagram is dropped", memcmp(buf, "0123", 4) == 0);
	E(recvfrom(a, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	/* A connected socket: send() goes to the peer, others are filtered. */
	V(connect(a, (struct sockaddr *)&bt, sizeof bt), 0);
	V(send(a, "reply", 5, 0), 5);
	CHECK("the reply arrives", wait_for(b, POLLIN, 5000) & POLLIN);
	V(recv(b, buf, sizeof buf, 0), 5);
	int stranger = bound(SOCK_DGRAM);
	V(sendto(stranger, "spam", 4, 0, (struct sockaddr *)&at, sizeof at), 4);
	V(sendto(b, "mine", 4, 0, (struct sockaddr *)&at, sizeof at), 4);
	CHECK("POLLIN", wait_for(a, POLLIN, 5000) & POLLIN);
	V(recv(a, buf, sizeof buf, 0), 4);
	CHECK("only the peer's datagram", memcmp(buf, "mine", 4) == 0);
	struct sockaddr_in p;
	socklen_t pl = sizeof p;
	V(getpeername(a, (struct sockaddr *)&p, &pl), 0);
	CHECK("getpeername = the peer", same(&p, &bt));
	close(stranger);
	close(b);
	close(a);
}

int main(void)
{
	setup("net/sockerr");
	refused();
	wrong_states();
	binding();
	epipe();
	forked();
	nonblocking_connect();
	udp();
	return finish();
}
