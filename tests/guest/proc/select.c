/*
 * Readiness: poll, ppoll, select and pselect6 on pipes (empty, readable,
 * full, widowed on either side, written by another process while we
 * block), timeouts (zero and 20 ms), signals interrupting a wait, signal
 * masks swapped in by ppoll/pselect, and regular files and /dev/null
 * (always ready).
 */
#include "proc.h"
#include <sys/select.h>

static const char *ev(short e)
{
	static char buf[128];
	buf[0] = 0;
	static const struct {
		short bit;
		const char *name;
	} names[] = {
		{ POLLIN, "POLLIN" }, { POLLPRI, "POLLPRI" }, { POLLOUT, "POLLOUT" },
		{ POLLERR, "POLLERR" }, { POLLHUP, "POLLHUP" }, { POLLNVAL, "POLLNVAL" },
		{ POLLRDNORM, "POLLRDNORM" }, { POLLWRNORM, "POLLWRNORM" },
	};
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

/* Polls one fd for `events` with `timeout` ms; prints the result and revents. */
static void poll1(const char *what, int fd, short events, int timeout, int want_r,
		  short want_revents)
{
	struct pollfd p = { fd, events, 0 };
	int r = poll(&p, 1, timeout);
	int e = errno;
	proc_lines++;
	printf("poll %s: %d, revents %s", what, r, ev(p.revents));
	if (r != want_r || p.revents != want_revents) {
		proc_unexpected++;
		printf("  <-- UNEXPECTED (want %d, %s)", want_r, ev(want_revents));
		fprintf(stderr, "UNEXPECTED: poll %s: %d (%s) revents %#x\n", what, r,
			r < 0 ? errname(e) : "", p.revents);
	}
	putchar('\n');
}

static volatile int alarms;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	alarms++;
}

static void polls(void)
{
	SECTION("poll on pipes");
	char b;
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	poll1("empty read end, POLLIN, timeout 0", p[0], POLLIN, 0, 0, 0);
	poll1("empty pipe's write end, POLLOUT", p[1], POLLOUT, 0, 1, POLLOUT);
	poll1("write end, POLLIN only", p[1], POLLIN, 0, 0, 0);
	int64_t t0 = now_ns();
	poll1("empty read end, timeout 20 ms", p[0], POLLIN, 20, 0, 0);
	CHECK("the 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);
	write(p[1], "ab", 2);
	poll1("read end after a write", p[0], POLLIN | POLLOUT, 0, 1, POLLIN);
	close(p[1]);
	poll1("read end, data left, writer gone", p[0], POLLIN, 0, 1, POLLIN | POLLHUP);
	char buf[8];
	read(p[0], buf, sizeof buf);
	poll1("read end, drained, writer gone", p[0], POLLIN, 0, 1, POLLHUP);
	poll1("read end, drained, writer gone, no events asked", p[0], 0, 0, 1, POLLHUP);
	close(p[0]);

	if (pipe(p) != 0)
		die("pipe");
	close(p[0]);
	poll1("write end, reader gone", p[1], POLLOUT, 0, 1, POLLOUT | POLLERR);
	close(p[1]);

	/* A full pipe is not writable until a page's worth is read. */
	if (pipe2(p, O_NONBLOCK) != 0)
		die("pipe2");
	static char page[4096];
	long total = 0;
	ssize_t n;
	while ((n = write(p[1], page, sizeof page)) > 0)
		total += n;
	check_eq("bytes a pipe holds (4096-byte writes until EAGAIN)", total, 65536);
	poll1("full pipe's write end", p[1], POLLOUT, 0, 0, 0);
	read(p[0], page, sizeof page);
	poll1("write end after reading 4096 bytes", p[1], POLLOUT, 0, 1, POLLOUT);
	close(p[0]);
	close(p[1]);

	struct pollfd bad[2] = { { 1000, POLLIN, 0 }, { -1, POLLIN, POLLIN } };
	V(poll(bad, 2, 0), 1);
	check_eq("closed fd: revents == POLLNVAL", bad[0].revents, POLLNVAL);
	check_eq("negative fd: ignored, revents == 0", bad[1].revents, 0);
	t0 = now_ns();
	V(poll(NULL, 0, 10), 0);
	CHECK("poll with no fds slept >= 10 ms", now_ns() - t0 >= 10000000);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	E(poll(bad, rl.rlim_cur + 1, 0), EINVAL);

	/* Woken by another process's write. */
	int q[2];
	if (pipe(p) != 0 || pipe(q) != 0)
		die("pipe");
	pid_t c = xfork();
	if (c == 0) {
		close(p[0]);
		close(q[1]);
		sleep_ms(30);
		write(p[1], "x", 1);
		/* Stay (the write end open) until the parent has looked. */
		read(q[0], &b, 1);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	t0 = now_ns();
	poll1("read end, no timeout, a child writes after 30 ms", p[0], POLLIN, -1, 1, POLLIN);
	CHECK("woken after >= 30 ms", now_ns() - t0 >= 30000000);
	close(q[1]);
	check_status("writer child", reap(c), "exited 0");
	poll1("after the child exited (data left)", p[0], POLLIN, 0, 1, POLLIN | POLLHUP);
	close(p[0]);

	/* A handler interrupts poll, SA_RESTART or not. */
	if (pipe(p) != 0)
		die("pipe");
	on_signal(SIGALRM, on_alarm, SA_RESTART);
	alarms = 0;
	struct itimerval it = { { 0, 0 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	struct pollfd pf = { p[0], POLLIN, 0 };
	E(poll(&pf, 1, 5000), EINTR);
	check_eq("SIGALRM handled", alarms, 1);
	setitimer(ITIMER_REAL, &it, NULL);
	E(poll(&pf, 1, -1), EINTR);
	check_eq("SIGALRM handled", alarms, 2);
	set_disposition(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static volatile int usr1;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	usr1++;
}

static void ppolls(void)
{
	SECTION("ppoll");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	struct pollfd pf = { p[0], POLLIN, 0 };
	struct timespec to = { 0, 20 * 1000000 };
	int64_t t0 = now_ns();
	V(ppoll(&pf, 1, &to, NULL), 0);
	CHECK("ppoll 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);
	struct timespec zero = { 0, 0 };
	V(ppoll(&pf, 1, &zero, NULL), 0);
	write(p[1], "x", 1);
	V(ppoll(&pf, 1, NULL, NULL), 1);
	check_eq("revents == POLLIN", pf.revents, POLLIN);
	read(p[0], &t0, 1);

	on_signal(SIGUSR1, on_usr1, 0);
	mask_one(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	usr1 = 0;
	E(ppoll(&pf, 1, NULL, &none), EINTR);
	check_eq("pending SIGUSR1 let in by ppoll's mask, handled", usr1, 1);
	CHECK("SIGUSR1 blocked again after ppoll", is_blocked(SIGUSR1));
	/* The raw call: a sigset size other than 8 is refused. */
	E(syscall(SYS_ppoll, &pf, 1, &zero, &none, 4), EINVAL);
	struct timespec bad = { 0, 1000000000 };
	E(ppoll(&pf, 1, &bad, NULL), EINVAL);
	mask_one(SIG_UNBLOCK, SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

static void selects(void)
{
	SECTION("select on pipes");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
	fd_set r, w, x;
	struct timeval tv = { 0, 0 };
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	V(select(nfds, &r, NULL, NULL, &tv), 0);
	CHECK("empty pipe: read end not in the set", !FD_ISSET(p[0], &r));
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_SET(p[0], &w);
	V(select(nfds, NULL, &w, NULL, &tv), 1);
	CHECK("write end writable, read end not", FD_ISSET(p[1], &w) && !FD_ISSET(p[0], &w));

	/* The raw system call writes the time left back (musl's select
	 * passes a copy). */
	struct timeval left = { 0, 20000 };
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	int64_t t0 = now_ns();
	V(syscall(SYS_select, nfds, &r, NULL, NULL, &left), 0);
	CHECK("select 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);
	CHECK("the time left written back as 0", left.tv_sec == 0 && left.tv_usec == 0);

	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	FD_ZERO(&x);
	FD_SET(p[0], &x);
	FD_SET(p[1], &x);
	left.tv_sec = 5;
	left.tv_usec = 0;
	V(syscall(SYS_select, nfds, &r, &w, &x, &left), 2);
	CHECK("read end readable, write end writable, no exceptions",
	      FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[0], &x) && !FD_ISSET(p[1], &x));
	CHECK("time left in (0, 5 s]", left.tv_sec <= 5 && left.tv_sec * 1000000 + left.tv_usec > 0);
	/* An fd at or above nfds is not looked at. */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = tv.tv_usec = 0;
	V(select(p[0], &r, NULL, NULL, &tv), 0);

	close(p[1]);
	char b;
	read(p[0], &b, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	V(select(nfds, &r, NULL, NULL, NULL), 1);
	CHECK("widowed read end: readable (EOF)", FD_ISSET(p[0], &r));
	V(read(p[0], &b, 1), 0);
	close(p[0]);

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	E(select(nfds, &r, NULL, NULL, &tv), EBADF);
	E(select(-1, NULL, NULL, NULL, &tv), EINVAL);
	struct timeval badtv = { 0, -1 };
	E(select(0, NULL, NULL, NULL, &badtv), EINVAL);

	SECTION("select on a regular file and /dev/null");
	char name[64];
	snprintf(name, sizeof name, "/dev/shm/lintel-select-%d", (int)getpid());
	int fd = OK(open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
	unlink(name);
	int null = OK(open("/dev/null", O_RDWR));
	nfds = (fd > null ? fd : null) + 1;
	FD_ZERO(&r);
	FD_SET(fd, &r);
	FD_SET(null, &r);
	FD_ZERO(&w);
	FD_SET(fd, &w);
	FD_SET(null, &w);
	V(select(nfds, &r, &w, NULL, NULL), 4);
	CHECK("empty regular file and /dev/null: readable and writable",
	      FD_ISSET(fd, &r) && FD_ISSET(fd, &w) && FD_ISSET(null, &r) && FD_ISSET(null, &w));
	poll1("regular file", fd, POLLIN | POLLOUT, 0, 1, POLLIN | POLLOUT);
	poll1("/dev/null", null, POLLIN | POLLOUT, 0, 1, POLLIN | POLLOUT);
	close(fd);
	close(null);
}

static void pselects(void)
{
	SECTION("pselect6");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec to = { 0, 20 * 1000000 };
	int64_t t0 = now_ns();
	V(pselect(p[0] + 1, &r, NULL, NULL, &to, NULL), 0);
	CHECK("pselect 20 ms timeout lasted >= 20 ms", now_ns() - t0 >= 20000000);

	on_signal(SIGUSR1, on_usr1, 0);
	mask_one(SIG_BLOCK, SIGUSR1);
	kill(getpid(), SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	usr1 = 0;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	E(pselect(p[0] + 1, &r, NULL, NULL, NULL, &none), EINTR);
	check_eq("pending SIGUSR1 let in by pselect's mask, handled", usr1, 1);
	CHECK("SIGUSR1 blocked again after pselect", is_blocked(SIGUSR1));
	mask_one(SIG_UNBLOCK, SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);

	write(p[1], "x", 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	V(pselect(p[0] + 1, &r, NULL, NULL, &to, NULL), 1);
	CHECK("readable after a write", FD_ISSET(p[0], &r));
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	setup("select");
	polls();
	ppolls();
	selects();
	pselects();
	return finish();
}
