/*
 * epoll: epoll_create/epoll_create1, epoll_ctl (ADD, MOD, DEL and their
 * errors), epoll_wait/epoll_pwait/epoll_pwait2 over pipes, eventfds,
 * timerfds and other epoll instances: level-triggered, edge-triggered
 * and one-shot entries, entries that follow the open file description
 * (dup and close), nesting and its limits, blocking until a fork'ed child
 * writes or another thread adds a ready fd, timeouts, signals and the
 * signal mask of epoll_pwait, and an instance shared with a child.
 */
#include "proc.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/timerfd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

/* The events in `e` as "IN|HUP" (Linux's bit names). */
static const char *evname(uint32_t e)
{
	static char buf[128];
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLERR, "ERR" }, { EPOLLHUP, "HUP" }, { EPOLLRDNORM, "RDNORM" },
		{ EPOLLRDBAND, "RDBAND" }, { EPOLLWRNORM, "WRNORM" },
		{ EPOLLWRBAND, "WRBAND" }, { EPOLLMSG, "MSG" }, { EPOLLRDHUP, "RDHUP" },
	};
	buf[0] = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (e & names[i].bit) {
			if (buf[0])
				strcat(buf, "|");
			strcat(buf, names[i].name);
			e &= ~names[i].bit;
		}
	if (e)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%#x", buf[0] ? "|" : "", e);
	if (!buf[0])
		strcpy(buf, "0");
	return buf;
}

/*
 * epoll_wait(ep, max, timeout): prints the events as "IN:7 OUT|ERR:1" (or
 * "none") and checks them against `want`.
 */
static void expect(const char *what, int ep, int max, int timeout, const char *want)
{
	struct epoll_event ev[16];
	char got[512];
	if (max > 16)
		max = 16;
	int n = epoll_wait(ep, ev, max, timeout);
	int e = errno;
	got[0] = 0;
	if (n < 0)
		snprintf(got, sizeof got, "-1 %s", errname(e));
	for (int i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s:%llu", i ? " " : "",
			 evname(ev[i].events), (unsigned long long)ev[i].data.u64);
	if (n == 0)
		strcpy(got, "none");
	proc_lines++;
	printf("%s: %s", what, got);
	if (strcmp(got, want) != 0) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED (want %s)", want);
		fprintf(stderr, "UNEXPECTED: %s: %s, want %s\n", what, got, want);
	}
	putchar('\n');
}

static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = data;
	return epoll_ctl(ep, op, fd, &ev);
}

static void xpipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK) != 0)
		die("pipe2");
}

static int xepoll(void)
{
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	return ep;
}

static void put(int fd, uint64_t v)
{
	write_all(fd, &v, sizeof v);
}

static void creation_and_errors(void)
{
	SECTION("creation");
	/* The raw call: some musl versions do not pass the size on. */
	E(syscall(SYS_epoll_create, 0), EINVAL);
	E(syscall(SYS_epoll_create, -1), EINVAL);
	E(syscall(SYS_epoll_create, 1L << 32), EINVAL);
	int ep = OK(epoll_create(1));
	V(fcntl(ep, F_GETFD), 0);
	V(fcntl(ep, F_GETFL) & O_ACCMODE, O_RDWR);
	close(ep);
	E(epoll_create1(1), EINVAL);
	E(epoll_create1(EPOLL_CLOEXEC | 1), EINVAL);
	ep = OK(epoll_create1(EPOLL_CLOEXEC));
	V(fcntl(ep, F_GETFD), FD_CLOEXEC);
	struct stat st;
	OK(fstat(ep, &st));
	check_eq("st_mode of an instance (an anonymous inode)", st.st_mode, 0600);
	char link[64], path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", ep);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK("readlink /proc/self/fd/N is anon_inode:[eventpoll]",
	      strcmp(link, "anon_inode:[eventpoll]") == 0);
	char b[8];
	E(read(ep, b, sizeof b), EINVAL);
	E(write(ep, b, sizeof b), EINVAL);

	SECTION("epoll_ctl errors");
	int efd = OK(eventfd(0, EFD_NONBLOCK));
	E(epoll_ctl(ep, EPOLL_CTL_ADD, efd, NULL), EFAULT);
	E(epoll_ctl(-1, EPOLL_CTL_ADD, efd, NULL), EFAULT);
	E(epoll_ctl(ep, 7, efd, NULL), EFAULT);
	E(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
	E(ctl(-1, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EBADF);
	E(ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 0), EBADF);
	E(ctl(efd, 7, 999, EPOLLIN, 0), EBADF);
	char name[64];
	snprintf(name, sizeof name, "/dev/shm/lintel-epoll-%d", (int)getpid());
	int file = OK(open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
	unlink(name);
	int dir = OK(open("/", O_RDONLY | O_DIRECTORY));
	int opath = OK(open("/", O_PATH));
	int null = OK(open("/dev/null", O_RDWR));
	E(ctl(ep, EPOLL_CTL_ADD, file, EPOLLIN, 0), EPERM);
	E(ctl(ep, EPOLL_CTL_ADD, dir, EPOLLIN, 0), EPERM);
	E(ctl(ep, EPOLL_CTL_ADD, null, EPOLLIN, 0), EPERM);
	E(ctl(ep, EPOLL_CTL_ADD, opath, EPOLLIN, 0), EBADF);
	E(ctl(opath, EPOLL_CTL_ADD, efd, EPOLLIN, 0), EBADF);
	E(ctl(efd, EPOLL_CTL_ADD, file, EPOLLIN, 0), EPERM);
	E(ctl(efd, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	E(ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	int dup_ep = OK(dup(ep));
	E(ctl(ep, EPOLL_CTL_ADD, dup_ep, EPOLLIN, 0), EINVAL);
	E(ctl(ep, 0, efd, EPOLLIN, 0), EINVAL);
	E(ctl(ep, 4, efd, EPOLLIN, 0), EINVAL);
	E(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, 0), ENOENT);
	V(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	E(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLOUT, 0), EEXIST);
	V(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLOUT, 0), 0);
	V(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), 0);
	E(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);

	SECTION("EPOLLEXCLUSIVE");
	int inner = xepoll();
	E(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), EINVAL);
	E(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP, 0), EINVAL);
	E(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI, 0), EINVAL);
	E(ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	V(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE, 3), 0);
	E(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLEXCLUSIVE, 3), EINVAL);
	E(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, 3), EINVAL);
	expect("exclusive entry, edge-triggered", ep, 8, 0, "OUT:3");
	V(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), 0);

	SECTION("epoll_wait errors");
	struct epoll_event ev[2];
	E(epoll_wait(-1, ev, 0, 0), EBADF);
	E(epoll_wait(ep, ev, 0, 0), EINVAL);
	E(epoll_wait(ep, ev, -1, 0), EINVAL);
	E(syscall(SYS_epoll_wait, ep, ev, 178956971, 0), EINVAL);
	E(syscall(SYS_epoll_wait, efd, (void *)0xffff800000000000UL, 1, 0), EFAULT);
	E(epoll_wait(efd, ev, 1, 0), EINVAL);
	V(syscall(SYS_epoll_wait, ep, NULL, 1, 0), 0);
	V(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLOUT, 1), 0);
	E(syscall(SYS_epoll_wait, ep, NULL, 1, 0), EFAULT);
	E(syscall(SYS_epoll_wait, ep, (void *)8, 1, 0), EFAULT);
	expect("the event not delivered stays ready", ep, 8, 0, "OUT:1");
	uint64_t mask = 0;
	E(syscall(SYS_epoll_pwait, ep, ev, 1, 0, &mask, 4), EINVAL);
	E(syscall(SYS_epoll_pwait, -1, ev, 1, 0, &mask, 4), EINVAL);
	E(syscall(SYS_epoll_pwait, -1, ev, 1, 0, (void *)8, 8), EFAULT);
	struct timespec bad = { 0, 1000000000 };
	E(syscall(SYS_epoll_pwait2, ep, ev, 1, &bad, NULL, 8), EINVAL);
	E(syscall(SYS_epoll_pwait2, -1, ev, 1, (void *)8, NULL, 8), EFAULT);
	close(efd);
	close(file);
	close(dir);
	close(opath);
	close(null);
	close(inner);
	close(dup_ep);
	close(ep);
}

static void level_triggered(void)
{
	SECTION("level-triggered");
	int ep = xepoll();
	int p[2];
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLRDHUP | EPOLLPRI, 0xdeadbeefcafeULL), 0);
	expect("empty pipe", ep, 8, 0, "none");
	write_all(p[1], "abcd", 4);
	expect("after a write", ep, 8, 0, "IN:244837814094590");
	expect("still, until read", ep, 8, 0, "IN:244837814094590");
	char b[8];
	V(read(p[0], b, sizeof b), 4);
	expect("drained", ep, 8, 0, "none");
	close(p[1]);
	expect("writer gone: HUP, though not asked (a pipe has no RDHUP)", ep, 8, 0,
	       "HUP:244837814094590");
	close(p[0]);
	expect("read end closed: its entry is gone", ep, 8, 0, "none");
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 2), 0);
	expect("empty pipe's write end", ep, 8, 0, "OUT:2");
	close(p[0]);
	expect("reader gone: ERR", ep, 8, 0, "OUT|ERR:2");
	close(p[1]);

	/* An eventfd: readable while the count is positive. */
	int efd = OK(eventfd(2, EFD_NONBLOCK));
	V(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLOUT, 5), 0);
	expect("eventfd with a count", ep, 8, 0, "IN|OUT:5");
	uint64_t v;
	V(read(efd, &v, 8), 8);
	expect("eventfd read", ep, 8, 0, "OUT:5");
	V(ctl(ep, EPOLL_CTL_MOD, efd, EPOLLIN, 6), 0);
	expect("MOD to IN only", ep, 8, 0, "none");
	put(efd, 1);
	expect("eventfd written", ep, 8, 0, "IN:6");
	close(efd);

	/* Three ready entries taken one at a time take turns. */
	int e[3];
	for (int i = 0; i < 3; i++) {
		e[i] = OK(eventfd(1, 0));
		V(ctl(ep, EPOLL_CTL_ADD, e[i], EPOLLIN, i + 1), 0);
	}
	expect("maxevents 1", ep, 1, 0, "IN:1");
	expect("maxevents 1", ep, 1, 0, "IN:2");
	expect("maxevents 1", ep, 1, 0, "IN:3");
	expect("maxevents 1", ep, 1, 0, "IN:1");
	expect("all, from where it left off", ep, 8, 0, "IN:2 IN:3 IN:1");
	for (int i = 0; i < 3; i++)
		close(e[i]);
	expect("all closed", ep, 8, 0, "none");
	close(ep);
}

static void edge_triggered(void)
{
	SECTION("edge-triggered pipe");
	int ep = xepoll();
	int p[2];
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLET, 1), 0);
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 0), 0);
	expect("ready when added", ep, 8, 0, "OUT:1");
	expect("once", ep, 8, 0, "none");
	write_all(p[1], "abcd", 4);
	expect("a write wakes the reader only", ep, 8, 0, "IN:0");
	char b[8];
	V(read(p[0], b, 2), 2);
	expect("a partial read", ep, 8, 0, "none");
	V(read(p[0], b, 2), 2);
	expect("drained", ep, 8, 0, "none");
	write_all(p[1], "abcd", 4);
	expect("a write", ep, 8, 0, "IN:0");
	write_all(p[1], "abcd", 4);
	expect("another write, nothing read", ep, 8, 0, "IN:0");
	static char page[4096];
	while (write(p[1], page, sizeof page) > 0)
		;
	expect("filled", ep, 8, 0, "IN:0");
	V(read(p[0], page, sizeof page), 4096);
	expect("room in a full pipe", ep, 8, 0, "OUT:1");
	V(read(p[0], page, sizeof page), 4096);
	expect("more room", ep, 8, 0, "none");
	close(p[0]);
	expect("reader gone", ep, 8, 0, "OUT|ERR:1");
	close(p[1]);

	SECTION("edge-triggered eventfd and timerfd");
	int efd = OK(eventfd(0, EFD_NONBLOCK));
	V(ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 5), 0);
	put(efd, 0);
	expect("adding 0 to 0", ep, 8, 0, "none");
	put(efd, 1);
	expect("adding 1", ep, 8, 0, "IN:5");
	expect("once", ep, 8, 0, "none");
	put(efd, 0);
	expect("adding 0 to 1 is an event", ep, 8, 0, "IN:5");
	close(efd);

	int t = OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	V(ctl(ep, EPOLL_CTL_ADD, t, EPOLLIN | EPOLLET, 7), 0);
	struct itimerspec its = { { 0, 5000000 }, { 0, 5000000 } };
	OK(timerfd_settime(t, 0, &its, NULL));
	expect("periodic 5 ms timer, 1 s timeout", ep, 8, 1000, "IN:7");
	sleep_ms(12);
	expect("expiries before a read wake nobody", ep, 8, 0, "none");
	uint64_t ticks = 0;
	V(read(t, &ticks, 8), 8);
	CHECK("expirations read >= 2", ticks >= 2);
	expect("the first expiry after the read", ep, 8, 1000, "IN:7");
	close(t);
	close(ep);
}

static void oneshot(void)
{
	SECTION("EPOLLONESHOT");
	int ep = xepoll();
	int p[2];
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLONESHOT, 20), 0);
	write_all(p[1], "x", 1);
	expect("fires", ep, 8, 0, "IN:20");
	expect("once", ep, 8, 0, "none");
	write_all(p[1], "y", 1);
	close(p[1]);
	expect("not even HUP", ep, 8, 0, "none");
	E(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EEXIST);
	V(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 21), 0);
	expect("re-armed by MOD", ep, 8, 0, "IN|HUP:21");
	expect("once", ep, 8, 0, "none");
	V(ctl(ep, EPOLL_CTL_MOD, p[0], 0, 22), 0);
	expect("MOD with no events: HUP still reported", ep, 8, 0, "HUP:22");
	close(p[0]);
	close(ep);
}

static void descriptions(void)
{
	SECTION("entries follow the open file description");
	int ep = xepoll();
	int p[2], q[2];
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 11), 0);
	int d = OK(dup(p[0]));
	write_all(p[1], "x", 1);
	close(p[0]);
	expect("the fd closed, a dup open: still reported", ep, 8, 0, "IN:11");
	E(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	E(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	E(ctl(ep, EPOLL_CTL_MOD, d, EPOLLIN, 0), ENOENT);
	xpipe(q);
	CHECK("the new pipe's read end reuses the number", q[0] == p[0]);
	V(ctl(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 12), 0);
	V(ctl(ep, EPOLL_CTL_ADD, d, EPOLLIN, 13), 0);
	expect("the old file under two entries", ep, 8, 0, "IN:11 IN:13");
	V(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), 0);
	expect("one deleted", ep, 8, 0, "IN:11");
	close(d);
	expect("the last fd closed: gone", ep, 8, 0, "none");
	write_all(q[1], "x", 1);
	expect("the new file", ep, 8, 0, "IN:12");
	/* dup2 over a registered fd closes its file. */
	int efd = OK(eventfd(1, 0));
	OK(dup2(efd, q[0]));
	expect("dup2 over the registered fd", ep, 8, 0, "none");
	close(efd);
	close(q[0]);
	close(q[1]);
	close(p[1]);
	close(ep);
}

static void nesting(void)
{
	SECTION("nested instances");
	int outer = xepoll(), inner = xepoll();
	int efd = OK(eventfd(0, EFD_NONBLOCK));
	V(ctl(inner, EPOLL_CTL_ADD, efd, EPOLLIN, 1), 0);
	V(ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLET, 9), 0);
	expect("inner empty", outer, 8, 0, "none");
	struct pollfd pf = { inner, POLLIN | POLLOUT, 0 };
	V(poll(&pf, 1, 0), 0);
	put(efd, 1);
	V(poll(&pf, 1, 0), 1);
	check_eq("poll of the inner instance: revents == POLLIN", pf.revents, POLLIN);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(inner, &r);
	struct timeval tv = { 0, 0 };
	V(select(inner + 1, &r, NULL, NULL, &tv), 1);
	expect("outer, edge-triggered", outer, 8, 0, "IN:9");
	expect("once", outer, 8, 0, "none");
	put(efd, 1);
	expect("a new event inside", outer, 8, 0, "IN:9");
	expect("inner", inner, 8, 0, "IN:1");
	expect("looking inside is no event", outer, 8, 0, "none");

	E(ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 0), ELOOP);
	int mid = xepoll();
	V(ctl(inner, EPOLL_CTL_ADD, mid, EPOLLIN, 0), 0);
	E(ctl(mid, EPOLL_CTL_ADD, outer, EPOLLIN, 0), ELOOP);
	E(ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 0), EEXIST);
	close(mid);

	/* Five levels (four links) are allowed, not six. */
	int c[6];
	for (int i = 0; i < 6; i++)
		c[i] = xepoll();
	for (int i = 0; i < 4; i++)
		V(ctl(c[i], EPOLL_CTL_ADD, c[i + 1], EPOLLIN, 0), 0);
	E(ctl(c[4], EPOLL_CTL_ADD, c[5], EPOLLIN, 0), ELOOP);
	V(ctl(c[4], EPOLL_CTL_ADD, efd, EPOLLIN, 0), 0);
	expect("readiness seen through four levels", c[0], 8, 0, "IN:0");
	for (int i = 0; i < 6; i++)
		close(c[i]);

	close(inner);
	expect("inner closed: gone from outer", outer, 8, 0, "none");
	uint64_t v;
	V(read(efd, &v, 8), 8);
	check_eq("the eventfd lives on", v, 2);
	close(efd);
	close(outer);
}

static volatile int alarms, usr1;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	alarms++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	usr1++;
}

struct adder {
	int ep, fd;
};

/* Registers a ready fd 30 ms from now, from another thread. */
static void *add_later(void *arg)
{
	struct adder *a = arg;
	sleep_ms(30);
	if (ctl(a->ep, EPOLL_CTL_ADD, a->fd, EPOLLIN, 8) != 0)
		die("epoll_ctl in a thread");
	return NULL;
}

static void blocking(void)
{
	SECTION("blocking");
	int ep = xepoll();
	int p[2], q[2];
	if (pipe(p) != 0 || pipe(q) != 0)
		die("pipe");
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 4), 0);
	int64_t t0 = now_ns();
	expect("nothing ready, 20 ms timeout", ep, 8, 20, "none");
	CHECK("the 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);
	struct timespec ts = { 0, 20000000 };
	struct epoll_event ev[4];
	t0 = now_ns();
	V(syscall(SYS_epoll_pwait2, ep, ev, 4, &ts, NULL, 8), 0);
	CHECK("epoll_pwait2 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);

	pid_t c = xfork();
	if (c == 0) {
		close(p[0]);
		close(q[1]);
		sleep_ms(30);
		write(p[1], "x", 1);
		/* Stay until the parent has looked. */
		char b;
		read(q[0], &b, 1);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	t0 = now_ns();
	expect("no timeout, a child writes after 30 ms", ep, 8, -1, "IN:4");
	CHECK("woken after >= 30 ms", now_ns() - t0 >= 30000000);
	close(q[1]);
	check_status("writer child", reap(c), "exited 0");
	expect("the child gone, data left", ep, 8, 0, "IN|HUP:4");
	close(p[0]);

	int ep2 = xepoll();
	struct adder a = { ep2, OK(eventfd(1, 0)) };
	pthread_t th;
	PT(pthread_create(&th, NULL, add_later, &a), 0);
	t0 = now_ns();
	expect("another thread adds a ready fd while we wait", ep2, 8, 5000, "IN:8");
	CHECK("woken after >= 30 ms", now_ns() - t0 >= 30000000);
	PT(pthread_join(th, NULL), 0);
	close(a.fd);
	close(ep2);

	SECTION("signals");
	xpipe(p);
	V(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 5), 0);
	on_signal(SIGALRM, on_alarm, SA_RESTART);
	alarms = 0;
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	E(epoll_wait(ep, ev, 4, 5000), EINTR);
	check_eq("SIGALRM handled (SA_RESTART does not restart epoll_wait)", alarms, 1);
	setitimer(ITIMER_REAL, &it, NULL);
	E(epoll_wait(ep, ev, 4, -1), EINTR);
	check_eq("SIGALRM handled", alarms, 2);
	set_disposition(SIGALRM, SIG_DFL);

	on_signal(SIGUSR1, on_usr1, 0);
	mask_one(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigset_t none, usr;
	sigemptyset(&none);
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	usr1 = 0;
	V(epoll_pwait(ep, ev, 4, 10, &usr), 0);
	check_eq("SIGUSR1 blocked by epoll_pwait's mask: not handled", usr1, 0);
	E(epoll_pwait(ep, ev, 4, -1, &none), EINTR);
	check_eq("pending SIGUSR1 let in by epoll_pwait's mask, handled", usr1, 1);
	CHECK("SIGUSR1 blocked again after epoll_pwait", is_blocked(SIGUSR1));
	kill(getpid(), SIGUSR1);
	E(syscall(SYS_epoll_pwait2, ep, ev, 4, NULL, &none, 8), EINTR);
	check_eq("and by epoll_pwait2's", usr1, 2);
	write_all(p[1], "x", 1);
	kill(getpid(), SIGUSR1);
	expect("ready, SIGUSR1 pending and blocked", ep, 8, 0, "IN:5");
	V(epoll_pwait(ep, ev, 4, -1, &none), 1);
	check_eq("events returned: the old mask is back at once, no handler ran", usr1, 2);
	CHECK("SIGUSR1 still pending", is_pending(SIGUSR1));
	mask_one(SIG_UNBLOCK, SIGUSR1);
	check_eq("handled once unblocked", usr1, 3);
	set_disposition(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void shared_with_a_child(void)
{
	SECTION("an instance shared with a child");
	int ep = xepoll();
	int efd = OK(eventfd(1, 0));
	pid_t c = xfork();
	if (c == 0) {
		/* The child's epoll_ctl changes the one instance. */
		if (ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 42) != 0)
			_exit(1);
		close(ep);
		close(efd);
		_exit(0);
	}
	check_status("child", reap(c), "exited 0");
	expect("the child's entry (its fds closed, ours open)", ep, 8, 0, "IN:42");
	close(efd);
	expect("our fd closed too", ep, 8, 0, "none");
	close(ep);
}

int main(void)
{
	setup("epoll");
	creation_and_errors();
	level_triggered();
	edge_triggered();
	oneshot();
	descriptions();
	nesting();
	blocking();
	shared_with_a_child();
	return finish();
}
