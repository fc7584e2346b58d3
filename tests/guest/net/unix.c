/*
 * AF_UNIX sockets: socketpair channels of each type between a parent
 * and a forked child (a megabyte through one blocking write), message
 * boundaries and truncation, the peer's close (EOF, ECONNRESET, EPIPE
 * with and without SIGPIPE, ECONNREFUSED), shutdown, path names under
 * /tmp (bind, listen, connect, accept, the socket inode, the errors),
 * abstract names and autobind, SCM_RIGHTS passing a pipe and a file
 * between processes (a shared file offset, MSG_CTRUNC closing what does
 * not fit, bad control messages), SO_PEERCRED and SO_PASSCRED, a full
 * non-blocking stream and edge-triggered epoll.
 *
 * The names are made unique (mkdtemp, the pid in abstract names) so two
 * runs can overlap on the host; none is printed.
 */
#include "net.h"
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#define BIG (1 << 20)

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static char dir[32];

/* A sockaddr_un for a path in the test directory; its length. */
static socklen_t at_path(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* An abstract name unique to this run; its length (no trailing NUL). */
static socklen_t at_abstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "lintel-%d-%s", (int)getpid(), name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv) != 0)
		die("socketpair");
}

static unsigned sum(const unsigned char *p, size_t n, unsigned acc)
{
	for (size_t i = 0; i < n; i++)
		acc = acc * 31 + p[i];
	return acc;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 9));
}

/* sendmsg of `len` bytes with `n` fds (n < 0: no control at all). */
static ssize_t send_fds(int s, const void *data, size_t len, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct iovec io = { (void *)data, len };
	struct msghdr m = { 0 };
	m.msg_iov = &io;
	m.msg_iovlen = 1;
	if (n >= 0) {
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(s, &m, 0);
}

/* What recv_fds got besides the bytes. */
struct got {
	int fds[8];
	int nfds;
	int flags;
	size_t controllen;
	int creds;
	struct ucred cred;
};

/* recvmsg into `buf` with `room` bytes of control (0: a NULL buffer). */
static ssize_t recv_fds(int s, void *buf, size_t len, size_t room, int flags, struct got *g)
{
	union {
		char buf[256];
		struct cmsghdr align;
	} u;
	struct iovec io = { buf, len };
	struct msghdr m = { 0 };
	m.msg_iov = &io;
	m.msg_iovlen = 1;
	m.msg_control = room ? u.buf : NULL;
	m.msg_controllen = room;
	memset(g, 0, sizeof *g);
	ssize_t r;
	while ((r = recvmsg(s, &m, flags)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	g->flags = m.msg_flags;
	g->controllen = m.msg_controllen;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n && g->nfds < 8; i++)
				memcpy(&g->fds[g->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		} else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof g->cred)) {
			memcpy(&g->cred, CMSG_DATA(c), sizeof g->cred);
			g->creds++;
		}
	}
	return r;
}

static void channels(void)
{
	SECTION("socketpair channels");
	int sv[2];
	V(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	CHECK("O_NONBLOCK", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	check_eq("FD_CLOEXEC", fcntl(sv[1], F_GETFD), FD_CLOEXEC);
	struct stat st;
	V(fstat(sv[0], &st), 0);
	CHECK("S_ISSOCK", S_ISSOCK(st.st_mode));
	int v;
	socklen_t l = sizeof v;
	V(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l), 0);
	check_eq("SO_TYPE", v, SOCK_STREAM);
	V(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &l), 0);
	check_eq("SO_DOMAIN", v, AF_UNIX);
	V(getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &l), 0);
	check_eq("SO_PROTOCOL", v, 0);
	struct sockaddr_un a;
	l = sizeof a;
	V(getsockname(sv[0], (struct sockaddr *)&a, &l), 0);
	check_eq("getsockname length (unnamed)", l, offsetof(struct sockaddr_un, sun_path));
	l = sizeof a;
	V(getpeername(sv[0], (struct sockaddr *)&a, &l), 0);
	check_eq("getpeername length (unnamed)", l, offsetof(struct sockaddr_un, sun_path));
	struct ucred cr;
	l = sizeof cr;
	V(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l), 0);
	CHECK("SO_PEERCRED is this process", cr.pid == getpid() && cr.uid == getuid());
	/* What nginx does to its channels before it forks a worker (SIGIO,
	 * which Linux may send the owner, is ignored: Lintel sends none). */
	signal(SIGIO, SIG_IGN);
	int on = 1;
	V(ioctl(sv[0], FIOASYNC, &on), 0);
	check_eq("O_ASYNC", fcntl(sv[0], F_GETFL) & O_ASYNC, O_ASYNC);
	V(fcntl(sv[0], F_GETOWN), 0);
	V(fcntl(sv[0], F_SETOWN, getpid()), 0);
	CHECK("F_GETOWN is this process", fcntl(sv[0], F_GETOWN) == getpid());
	char b[16];
	E(recv(sv[1], b, sizeof b, 0), EAGAIN);
	V(send(sv[0], "ping", 4, 0), 4);
	V(read(sv[1], b, sizeof b), 4);
	CHECK("ping", memcmp(b, "ping", 4) == 0);
	close(sv[0]);
	close(sv[1]);

	/* A child writes a megabyte in one blocking write; the parent sums it. */
	pair(SOCK_STREAM, sv);
	pid_t pid = xfork();
	if (pid == 0) {
		close(sv[0]);
		static unsigned char big[BIG];
		for (size_t i = 0; i < BIG; i++)
			big[i] = pattern(i);
		ssize_t w = write(sv[1], big, BIG);
		_exit(w == BIG ? 0 : 10);
	}
	close(sv[1]);
	static unsigned char got[65536];
	size_t total = 0;
	unsigned acc = 0;
	for (;;) {
		ssize_t n = read(sv[0], got, sizeof got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		acc = sum(got, (size_t)n, acc);
		total += (size_t)n;
	}
	check_eq("bytes from the child", (long)total, BIG);
	static unsigned char want[BIG];
	for (size_t i = 0; i < BIG; i++)
		want[i] = pattern(i);
	CHECK("the same bytes", acc == sum(want, BIG, 0));
	int st2 = reap(pid);
	CHECK("one write of a megabyte (the child exited 0)", WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	/* The child is gone: end of file, then EPIPE and SIGPIPE. */
	V(read(sv[0], got, 16), 0);
	sigpipes = 0;
	E(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	check_eq("SIGPIPE with MSG_NOSIGNAL", sigpipes, 0);
	E(write(sv[0], "x", 1), EPIPE);
	check_eq("SIGPIPE from write", sigpipes, 1);
	close(sv[0]);
}

static void messages(void)
{
	SECTION("datagram and seqpacket boundaries");
	int types[2] = { SOCK_DGRAM, SOCK_SEQPACKET };
	for (int t = 0; t < 2; t++) {
		int sv[2];
		pair(types[t], sv);
		printf("-- %s\n", t ? "SOCK_SEQPACKET" : "SOCK_DGRAM");
		char b[16];
		V(send(sv[0], "abc", 3, 0), 3);
		V(send(sv[0], "defg", 4, 0), 4);
		V(send(sv[0], "", 0, 0), 0);
		int n = -1;
		V(ioctl(sv[1], FIONREAD, &n), 0);
		check_eq("FIONREAD", n, t ? 7 : 3);
		V(recv(sv[1], b, sizeof b, MSG_PEEK), 3);
		V(recv(sv[1], b, sizeof b, 0), 3);
		V(recv(sv[1], b, 2, MSG_TRUNC), 4);
		CHECK("the first two bytes", memcmp(b, "de", 2) == 0);
		V(recv(sv[1], b, sizeof b, 0), 0);
		E(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
		/* writev is one message; readv scatters one. */
		struct iovec wv[2] = { { "wx", 2 }, { "yz", 2 } };
		V(writev(sv[0], wv, 2), 4);
		char r1[1], r2[8];
		struct iovec rv[2] = { { r1, 1 }, { r2, sizeof r2 } };
		V(readv(sv[1], rv, 2), 4);
		CHECK("readv: w|xyz", r1[0] == 'w' && memcmp(r2, "xyz", 3) == 0);
		/* recvmsg flags a cut message. */
		V(send(sv[0], "hello", 5, 0), 5);
		struct got g;
		V(recv_fds(sv[1], b, 2, 0, 0, &g), 2);
		check_eq("msg_flags MSG_TRUNC", g.flags & MSG_TRUNC, MSG_TRUNC);
		static char big[300000];
		int sb = 0;
		socklen_t sl = sizeof sb;
		V(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb, &sl), 0);
		E(send(sv[0], big, (size_t)sb - 31, 0), EMSGSIZE);
		close(sv[0]);
		close(sv[1]);
	}
}

static void peer_close(void)
{
	SECTION("the peer closes");
	int sv[2];
	char b[16];
	pair(SOCK_STREAM, sv);
	V(send(sv[1], "unread", 6, 0), 6);
	V(send(sv[0], "x", 1, 0), 1);
	close(sv[0]);
	short ev = wait_for(sv[1], POLLIN | POLLRDHUP, 0);
	check_eq("POLLIN|POLLERR|POLLHUP|POLLRDHUP", ev, POLLIN | POLLERR | POLLHUP | POLLRDHUP);
	V(recv(sv[1], b, sizeof b, 0), 1);
	E(recv(sv[1], b, sizeof b, 0), ECONNRESET);
	V(recv(sv[1], b, sizeof b, 0), 0);
	close(sv[1]);

	pair(SOCK_SEQPACKET, sv);
	close(sv[0]);
	sigpipes = 0;
	E(send(sv[1], "x", 1, 0), EPIPE);
	E(write(sv[1], "x", 1), EPIPE);
	check_eq("SOCK_SEQPACKET raises no SIGPIPE", sigpipes, 0);
	V(recv(sv[1], b, sizeof b, 0), 0);
	close(sv[1]);

	pair(SOCK_DGRAM, sv);
	V(send(sv[0], "lost", 4, 0), 4);
	close(sv[0]);
	E(send(sv[1], "x", 1, 0), ECONNREFUSED);
	E(recv(sv[1], b, sizeof b, MSG_DONTWAIT), EAGAIN);
	E(send(sv[1], "x", 1, 0), ENOTCONN);
	close(sv[1]);
}

static void shutdowns(void)
{
	SECTION("shutdown");
	int sv[2];
	char b[16];
	pair(SOCK_STREAM, sv);
	V(send(sv[0], "abc", 3, 0), 3);
	V(shutdown(sv[1], SHUT_RD), 0);
	check_eq("SHUT_RD: POLLIN|POLLOUT|POLLRDHUP", wait_for(sv[1], POLLIN | POLLOUT | POLLRDHUP, 0),
		 POLLIN | POLLOUT | POLLRDHUP);
	V(recv(sv[1], b, sizeof b, 0), 3);
	V(recv(sv[1], b, sizeof b, 0), 0);
	E(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	V(shutdown(sv[1], SHUT_WR), 0);
	V(recv(sv[0], b, sizeof b, 0), 0);
	E(shutdown(sv[1], 7), EINVAL);
	close(sv[0]);
	close(sv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	check_eq("unconnected stream: POLLOUT|POLLHUP", wait_for(s, POLLIN | POLLOUT, 0), POLLOUT | POLLHUP);
	V(shutdown(s, SHUT_RDWR), 0);
	E(recv(s, b, sizeof b, 0), EINVAL);
	E(send(s, "x", 1, 0), ENOTCONN);
	close(s);
}

static void paths(void)
{
	SECTION("path names");
	struct sockaddr_un a, b;
	socklen_t al = at_path(&a, "server");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	E(connect(c, (struct sockaddr *)&a, al), ENOENT);
	E(bind(l, (struct sockaddr *)&a, 2 - 1), EINVAL);
	E(bind(l, (struct sockaddr *)&a, sizeof a + 1), EINVAL);
	V(bind(l, (struct sockaddr *)&a, al), 0);
	struct stat st;
	V(stat(a.sun_path, &st), 0);
	CHECK("a socket inode", S_ISSOCK(st.st_mode));
	check_eq("its permissions (umask 022)", st.st_mode & 0777, 0755);
	socklen_t bl = sizeof b;
	V(getsockname(l, (struct sockaddr *)&b, &bl), 0);
	check_eq("getsockname length (path and NUL)", bl, al);
	CHECK("getsockname path", strcmp(b.sun_path, a.sun_path) == 0);
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	E(bind(other, (struct sockaddr *)&a, al), EADDRINUSE);
	E(connect(c, (struct sockaddr *)&a, al), ECONNREFUSED);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	E(connect(d, (struct sockaddr *)&a, al), EPROTOTYPE);
	E(listen(other, 1), EINVAL);
	E(listen(d, 1), EOPNOTSUPP);
	V(listen(l, 4), 0);
	int on = 0;
	socklen_t ol = sizeof on;
	V(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &on, &ol), 0);
	check_eq("SO_ACCEPTCONN", on, 1);
	E(connect(l, (struct sockaddr *)&a, al), EINVAL);

	/* A child connects (relative to /), sends a request, checks the reply. */
	pid_t pid = xfork();
	if (pid == 0) {
		close(l);
		if (chdir("/") != 0)
			_exit(9);
		struct sockaddr_un r;
		memset(&r, 0, sizeof r);
		r.sun_family = AF_UNIX;
		snprintf(r.sun_path, sizeof r.sun_path, "%s/server", dir + 1);
		int k = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(k, (struct sockaddr *)&r, sizeof r) != 0)
			_exit(10);
		struct ucred pc;
		socklen_t pl = sizeof pc;
		if (getsockopt(k, SOL_SOCKET, SO_PEERCRED, &pc, &pl) != 0 || pc.pid != getppid())
			_exit(11);
		struct sockaddr_un p;
		pl = sizeof p;
		if (getpeername(k, (struct sockaddr *)&p, &pl) != 0 || strcmp(p.sun_path, a.sun_path) != 0)
			_exit(12);
		if (send(k, "request", 7, 0) != 7)
			_exit(13);
		char rb[16];
		struct sockaddr_un from;
		socklen_t fl = sizeof from;
		if (recvfrom(k, rb, 5, MSG_WAITALL, (struct sockaddr *)&from, &fl) != 5 ||
		    memcmp(rb, "reply", 5) != 0)
			_exit(14);
		/* The server's end carries the listener's name. */
		if (fl != al || strcmp(from.sun_path, a.sun_path) != 0)
			_exit(15);
		_exit(0);
	}
	struct sockaddr_un from;
	socklen_t fl = sizeof from;
	int s = OK(accept4(l, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC));
	check_eq("accept's address length (an unbound client)", fl, offsetof(struct sockaddr_un, sun_path));
	check_eq("accept4 SOCK_CLOEXEC", fcntl(s, F_GETFD), FD_CLOEXEC);
	bl = sizeof b;
	V(getsockname(s, (struct sockaddr *)&b, &bl), 0);
	CHECK("the accepted end has the listener's name", bl == al && strcmp(b.sun_path, a.sun_path) == 0);
	struct ucred pc;
	socklen_t pl = sizeof pc;
	V(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &pl), 0);
	CHECK("SO_PEERCRED is the child", pc.pid == pid);
	char rb[16];
	fl = sizeof from;
	V(recvfrom(s, rb, 7, MSG_WAITALL, (struct sockaddr *)&from, &fl), 7);
	check_eq("recvfrom's name length (an unbound sender)", fl, 0);
	CHECK("the request", memcmp(rb, "request", 7) == 0);
	V(send(s, "reply", 5, 0), 5);
	int st2 = reap(pid);
	check_eq("the child's exit status", WIFEXITED(st2) ? WEXITSTATUS(st2) : -1, 0);
	close(s);
	/* The listener gone, its inode stays; unlinked, the name is free. */
	close(l);
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	E(connect(c2, (struct sockaddr *)&a, al), ECONNREFUSED);
	V(unlink(a.sun_path), 0);
	E(connect(c2, (struct sockaddr *)&a, al), ENOENT);
	V(bind(other, (struct sockaddr *)&a, al), 0);
	V(unlink(a.sun_path), 0);
	close(c2);
	close(c);
	close(d);
	close(other);

	/* Datagrams to a path. */
	struct sockaddr_un da;
	socklen_t dal = at_path(&da, "dgram");
	int x = socket(AF_UNIX, SOCK_DGRAM, 0);
	int y = socket(AF_UNIX, SOCK_DGRAM, 0);
	V(bind(x, (struct sockaddr *)&da, dal), 0);
	V(sendto(y, "to a path", 9, 0, (struct sockaddr *)&da, dal), 9);
	char db[16];
	fl = sizeof from;
	V(recvfrom(x, db, sizeof db, 0, (struct sockaddr *)&from, &fl), 9);
	check_eq("from an unbound sender: name length", fl, 0);
	V(connect(y, (struct sockaddr *)&da, dal), 0);
	int z = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int queued = 0;
	while (sendto(z, "q", 1, 0, (struct sockaddr *)&da, dal) == 1)
		queued++;
	check_eq("queued at a receiver not connected back (max_dgram_qlen 10, plus one)", queued, 11);
	check_eq("then", errno, EAGAIN);
	V(shutdown(x, SHUT_RD), 0);
	sigpipes = 0;
	E(send(y, "x", 1, 0), EPIPE);
	check_eq("SIGPIPE", sigpipes, 0);
	close(x);
	E(send(y, "x", 1, 0), ECONNREFUSED);
	V(unlink(da.sun_path), 0);
	close(y);
	close(z);
}

static void abstract(void)
{
	SECTION("abstract names and autobind");
	struct sockaddr_un a, b;
	socklen_t al = at_abstract(&a, "abs");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	V(bind(s, (struct sockaddr *)&a, al), 0);
	socklen_t bl = sizeof b;
	V(getsockname(s, (struct sockaddr *)&b, &bl), 0);
	CHECK("getsockname: the same bytes and length", bl == al && memcmp(&a, &b, al) == 0);
	E(bind(s, (struct sockaddr *)&a, al), EINVAL);
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	E(bind(t, (struct sockaddr *)&a, al), EADDRINUSE);
	V(bind(t, (struct sockaddr *)&a, al + 1), 0);
	V(sendto(t, "named", 5, 0, (struct sockaddr *)&a, al), 5);
	char buf[16];
	struct sockaddr_un from;
	socklen_t fl = sizeof from;
	V(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 5);
	CHECK("the sender's name, with its trailing NUL", fl == al + 1 && memcmp(&from, &a, al) == 0);
	E(sendto(t, "x", 1, 0, (struct sockaddr *)&a, al - 1), ECONNREFUSED);

	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un fam = { .sun_family = AF_UNIX };
	V(bind(u, (struct sockaddr *)&fam, sizeof(sa_family_t)), 0);
	bl = sizeof b;
	V(getsockname(u, (struct sockaddr *)&b, &bl), 0);
	check_eq("autobind: name length", bl, offsetof(struct sockaddr_un, sun_path) + 6);
	int hex = b.sun_path[0] == 0;
	for (int i = 1; i < 6; i++)
		hex = hex && strchr("0123456789abcdef", b.sun_path[i]) != NULL;
	CHECK("autobind: NUL and five hex digits", hex);
	V(bind(u, (struct sockaddr *)&fam, sizeof(sa_family_t)), 0);
	fam.sun_family = AF_INET;
	int w = socket(AF_UNIX, SOCK_STREAM, 0);
	E(bind(w, (struct sockaddr *)&fam, sizeof(sa_family_t)), EINVAL);
	/* SO_PASSCRED makes a sending socket autobind. */
	int p = socket(AF_UNIX, SOCK_DGRAM, 0);
	int one = 1;
	V(setsockopt(p, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
	V(connect(p, (struct sockaddr *)&a, al), 0);
	bl = sizeof b;
	V(getsockname(p, (struct sockaddr *)&b, &bl), 0);
	check_eq("SO_PASSCRED connect autobinds", bl, offsetof(struct sockaddr_un, sun_path) + 6);
	close(p);
	close(w);
	close(u);
	close(t);
	close(s);
	/* A closed socket's name is free again. */
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	V(bind(r, (struct sockaddr *)&a, al), 0);
	close(r);
}

static void rights(void)
{
	SECTION("SCM_RIGHTS between processes");
	char path[64];
	snprintf(path, sizeof path, "%s/file", dir);
	int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (file < 0 || write(file, "0123456789", 10) != 10)
		die("file");
	V(lseek(file, 4, SEEK_SET), 4);
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	int sv[2];
	pair(SOCK_STREAM, sv);
	pid_t pid = xfork();
	if (pid == 0) {
		close(sv[0]);
		close(p[0]);
		close(p[1]);
		close(file);
		char b[16];
		struct got g;
		/* A pipe's read end and the file, with one byte. */
		if (recv_fds(sv[1], b, 1, 64, MSG_CMSG_CLOEXEC, &g) != 1 || g.nfds != 2)
			_exit(10);
		if (fcntl(g.fds[0], F_GETFD) != FD_CLOEXEC)
			_exit(11);
		/* The parent writes to the pipe once it knows we have it. */
		if (send(sv[1], "k", 1, 0) != 1)
			_exit(12);
		if (read(g.fds[0], b, 5) != 5 || memcmp(b, "piped", 5) != 0)
			_exit(13);
		/* The file shares its offset with the parent's fd. */
		if (read(g.fds[1], b, 3) != 3 || memcmp(b, "456", 3) != 0)
			_exit(14);
		/* Back to the parent: a new pipe's write end. */
		int q[2];
		if (pipe(q) != 0 || send_fds(sv[1], "w", 1, &q[1], 1) != 1)
			_exit(15);
		close(q[1]);
		if (read(q[0], b, 4) != 4 || memcmp(b, "back", 4) != 0)
			_exit(16);
		_exit(0);
	}
	close(sv[1]);
	int two[2] = { p[0], file };
	V(send_fds(sv[0], "r", 1, two, 2), 1);
	char b[16];
	V(recv(sv[0], b, 1, 0), 1);
	V(write(p[1], "piped", 5), 5);
	struct got g;
	V(recv_fds(sv[0], b, sizeof b, 64, 0, &g), 1);
	check_eq("fds received", g.nfds, 1);
	check_eq("msg_controllen (CMSG_SPACE(sizeof(int)))", (long)g.controllen, CMSG_SPACE(sizeof(int)));
	check_eq("no FD_CLOEXEC without MSG_CMSG_CLOEXEC", fcntl(g.fds[0], F_GETFD), 0);
	V(write(g.fds[0], "back", 4), 4);
	int st = reap(pid);
	check_eq("the child's exit status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	V(lseek(file, 0, SEEK_CUR), 7);
	close(g.fds[0]);
	close(sv[0]);
	close(p[0]);
	close(p[1]);

	/* A control buffer too short: the file that does not fit is closed. */
	pair(SOCK_DGRAM, sv);
	int q[2];
	if (pipe(q) != 0)
		die("pipe");
	int both[2] = { q[1], q[1] };
	V(send_fds(sv[0], "", 0, both, 2), 0);
	close(q[1]);
	V(recv_fds(sv[1], b, sizeof b, CMSG_LEN(sizeof(int)), 0, &g), 0);
	check_eq("MSG_CTRUNC", g.flags & MSG_CTRUNC, MSG_CTRUNC);
	check_eq("fds that fit", g.nfds, 1);
	close(g.fds[0]);
	/* The copy that did not fit was the last write end: end of file. */
	V(read(q[0], b, sizeof b), 0);
	close(q[0]);
	/* Bad control messages. */
	int bad = 999;
	E(send_fds(sv[0], "e", 1, &bad, 1), EBADF);
	bad = -1;
	E(send_fds(sv[0], "e", 1, &bad, 1), EBADF);
	struct msghdr m = { 0 };
	struct iovec io = { "e", 1 };
	union {
		char buf[64];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	m.msg_iov = &io;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = 24;
	struct cmsghdr *c = (struct cmsghdr *)u.buf;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = 8;
	E(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = 25;
	E(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 99;
	E(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_level = 99;
	V(sendmsg(sv[0], &m, 0), 1);
	close(sv[0]);
	close(sv[1]);
	close(file);
	unlink(path);
}

static void credentials(void)
{
	SECTION("SO_PASSCRED");
	int sv[2];
	pair(SOCK_DGRAM, sv);
	int one = 1;
	V(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
	pid_t pid = xfork();
	if (pid == 0) {
		_exit(send(sv[0], "c", 1, 0) == 1 ? 0 : 10);
	}
	char b[4];
	struct got g;
	V(recv_fds(sv[1], b, sizeof b, 64, 0, &g), 1);
	check_eq("SCM_CREDENTIALS messages", g.creds, 1);
	CHECK("the sender's pid, uid and gid", g.cred.pid == pid && g.cred.uid == getuid() && g.cred.gid == getgid());
	int st = reap(pid);
	check_eq("the child's exit status", WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	V(send(sv[0], "d", 1, 0), 1);
	V(recv_fds(sv[1], b, sizeof b, 0, 0, &g), 1);
	check_eq("MSG_CTRUNC without a control buffer", g.flags & MSG_CTRUNC, MSG_CTRUNC);
	close(sv[0]);
	close(sv[1]);
}

static void nonblocking(void)
{
	SECTION("a full non-blocking stream, edge-triggered epoll");
	int sv[2];
	V(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	static char big[65536];
	long total = 0;
	for (;;) {
		ssize_t w = send(sv[0], big, sizeof big, 0);
		if (w < 0)
			break;
		total += w;
	}
	check_eq("then", errno, EAGAIN);
	CHECK("about 208 KiB fit", total >= 200000 && total <= 240000);
	check_eq("a full stream: no POLLOUT", wait_for(sv[0], POLLOUT, 0) & POLLOUT, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.fd = sv[0] };
	V(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
	struct epoll_event out[2];
	V(epoll_wait(ep, out, 2, 0), 0);
	while (total > 0) {
		ssize_t r = recv(sv[1], big, sizeof big, 0);
		if (r <= 0)
			break;
		total -= r;
	}
	check_eq("drained", total, 0);
	V(epoll_wait(ep, out, 2, 0), 1);
	V(epoll_wait(ep, out, 2, 0), 0);
	struct epoll_event in = { .events = EPOLLIN | EPOLLET, .data.fd = sv[1] };
	V(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &in), 0);
	V(send(sv[0], "1", 1, 0), 1);
	V(epoll_wait(ep, out, 2, 0), 1);
	V(epoll_wait(ep, out, 2, 0), 0);
	V(send(sv[0], "2", 1, 0), 1);
	V(epoll_wait(ep, out, 2, 0), 1);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	setup("net/unix");
	signal(SIGPIPE, on_sigpipe);
	umask(022);
	strcpy(dir, "/tmp/lintel-unix-XXXXXX");
	if (!mkdtemp(dir))
		die("mkdtemp");
	channels();
	messages();
	peer_close();
	shutdowns();
	paths();
	abstract();
	rights();
	credentials();
	nonblocking();
	rmdir(dir);
	return finish();
}
