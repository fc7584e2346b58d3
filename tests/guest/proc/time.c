/*
 * Clocks, sleeps and timers: clock_gettime/getres for every clock,
 * nanosleep and clock_nanosleep (relative, absolute, interrupted), interval
 * timers (setitimer/getitimer/alarm) delivering SIGALRM, times and
 * getrusage, timerfd and eventfd (values, non-blocking reads, poll).
 */
#include "proc.h"
#include <sys/eventfd.h>
#include <sys/times.h>
#include <sys/timerfd.h>

static volatile int alarms;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_signo == SIGALRM)
		alarms++;
}

static void clocks(void)
{
	SECTION("clock_gettime and clock_getres");
	static const struct {
		clockid_t id;
		const char *name;
	} ids[] = {
		{ CLOCK_REALTIME, "CLOCK_REALTIME" },
		{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC" },
		{ CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID" },
		{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW" },
		{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE" },
		{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE" },
		{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME" },
	};
	struct timespec first[8], second[8];
	for (int i = 0; i < 8; i++)
		clock_gettime(ids[i].id, &first[i]);
	burn_ms(20);
	for (int i = 0; i < 8; i++) {
		char what[96];
		int ok = clock_gettime(ids[i].id, &second[i]) == 0;
		int64_t a = ts_ns(&first[i]), b = ts_ns(&second[i]);
		snprintf(what, sizeof what, "%s: succeeds, valid, did not go back", ids[i].name);
		CHECK(what, ok && second[i].tv_nsec >= 0 && second[i].tv_nsec < 1000000000 && b >= a);
		struct timespec res = { -1, -1 };
		snprintf(what, sizeof what, "%s: resolution in (0, 1 s]", ids[i].name);
		ok = clock_getres(ids[i].id, &res) == 0;
		CHECK(what, ok && ((res.tv_sec == 0 && res.tv_nsec > 0) ||
				   (res.tv_sec == 1 && res.tv_nsec == 0)));
	}
	CHECK("the monotonic clock advanced over 20 ms of work",
	      ts_ns(&second[1]) - ts_ns(&first[1]) >= 20000000);
	CHECK("process CPU time advanced", ts_ns(&second[2]) > ts_ns(&first[2]));
	CHECK("thread CPU time advanced", ts_ns(&second[3]) > ts_ns(&first[3]));
	CHECK("realtime is after 2020", first[0].tv_sec > 1577836800);
	struct timespec mono, boot;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	CHECK("CLOCK_BOOTTIME >= CLOCK_MONOTONIC", ts_ns(&boot) >= ts_ns(&mono));
	struct timespec ts;
	E(clock_gettime(100, &ts), EINVAL);
	E(clock_getres(100, &ts), EINVAL);
	V(clock_getres(CLOCK_MONOTONIC, NULL), 0);
	struct timeval tv;
	V(gettimeofday(&tv, NULL), 0);
	CHECK("gettimeofday agrees with CLOCK_REALTIME (within 10 s)",
	      tv.tv_sec >= first[0].tv_sec && tv.tv_sec - first[0].tv_sec < 10);
	time_t t = time(NULL);
	CHECK("time() agrees with gettimeofday (within 10 s)", t >= tv.tv_sec && t - tv.tv_sec < 10);
}

static void sleeps(void)
{
	SECTION("nanosleep and clock_nanosleep");
	struct timespec req = { 0, 30 * 1000000 }, rem = { 9, 9 };
	int64_t t0 = now_ns();
	V(nanosleep(&req, &rem), 0);
	CHECK("nanosleep 30 ms lasted >= 30 ms", now_ns() - t0 >= 30000000);
	struct timespec bad = { 0, 1000000000 };
	E(nanosleep(&bad, NULL), EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	E(nanosleep(&bad, NULL), EINVAL);
	struct timespec zero = { 0, 0 };
	V(nanosleep(&zero, NULL), 0);

	/* clock_nanosleep returns an error number, not -1. */
	req.tv_nsec = 20 * 1000000;
	t0 = now_ns();
	V(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
	CHECK("clock_nanosleep relative 20 ms lasted >= 20 ms", now_ns() - t0 >= 20000000);
	int64_t deadline = now_ns() + 20 * 1000000;
	struct timespec abs = ns_ts(deadline);
	V(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
	CHECK("clock_nanosleep TIMER_ABSTIME returned at or after its deadline",
	      now_ns() >= deadline);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t rt_deadline = ts_ns(&rt) + 20 * 1000000;
	abs = ns_ts(rt_deadline);
	V(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &rt);
	CHECK("CLOCK_REALTIME TIMER_ABSTIME returned at or after its deadline",
	      ts_ns(&rt) >= rt_deadline);
	abs.tv_sec = 1;
	abs.tv_nsec = 0;
	t0 = now_ns();
	V(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0);
	CHECK("an absolute deadline in the past returns at once (< 1 s)", now_ns() - t0 < 1000000000);
	V(clock_nanosleep(100, 0, &req, NULL), EINVAL);

	/* A handler interrupts nanosleep: EINTR and the time left. */
	on_signal(SIGALRM, on_alarm, SA_RESTART);
	alarms = 0;
	struct itimerval it = { { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	req.tv_sec = 2;
	req.tv_nsec = 0;
	rem.tv_sec = rem.tv_nsec = -1;
	t0 = now_ns();
	E(nanosleep(&req, &rem), EINTR);
	CHECK("interrupted after >= 30 ms and < 2 s",
	      now_ns() - t0 >= 30000000 && now_ns() - t0 < 2000000000);
	CHECK("remaining time written, in (0, 2 s)",
	      rem.tv_sec >= 0 && ts_ns(&rem) > 0 && ts_ns(&rem) < 2000000000);
	check_eq("SIGALRM handled", alarms, 1);
	/* clock_nanosleep says EINTR by its return value. */
	it.it_value.tv_usec = 20000;
	setitimer(ITIMER_REAL, &it, NULL);
	V(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINTR);
	check_eq("SIGALRM handled", alarms, 2);
}

static void itimers(void)
{
	SECTION("setitimer, getitimer, alarm");
	on_signal(SIGALRM, on_alarm, 0);
	alarms = 0;
	mask_one(SIG_BLOCK, SIGALRM);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } }, cur;
	int64_t t0 = now_ns();
	V(setitimer(ITIMER_REAL, &it, NULL), 0);
	V(getitimer(ITIMER_REAL, &cur), 0);
	CHECK("remaining in (0, 50 ms]",
	      cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 50000);
	CHECK("no interval", cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
	sigset_t none;
	sigemptyset(&none);
	E(sigsuspend(&none), EINTR);
	CHECK("SIGALRM after >= 50 ms", now_ns() - t0 >= 50000000);
	check_eq("SIGALRM handled", alarms, 1);
	CHECK("SIGALRM still blocked after sigsuspend", is_blocked(SIGALRM));
	V(getitimer(ITIMER_REAL, &cur), 0);
	CHECK("expired timer reads as zero", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

	/* pause() with SIGALRM unblocked: 30 ms is plenty to get there first. */
	mask_one(SIG_UNBLOCK, SIGALRM);
	it.it_value.tv_usec = 30000;
	t0 = now_ns();
	setitimer(ITIMER_REAL, &it, NULL);
	E(pause(), EINTR);
	CHECK("pause() returned after >= 30 ms", now_ns() - t0 >= 30000000);
	check_eq("SIGALRM handled", alarms, 2);
	mask_one(SIG_BLOCK, SIGALRM);

	/* Periodic: three SIGALRMs 10 ms apart. */
	alarms = 0;
	struct itimerval per = { { 0, 10000 }, { 0, 10000 } }, old;
	t0 = now_ns();
	V(setitimer(ITIMER_REAL, &per, NULL), 0);
	while (alarms < 3)
		sigsuspend(&none);
	CHECK("three periodic SIGALRMs took >= 30 ms", now_ns() - t0 >= 30000000);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	V(setitimer(ITIMER_REAL, &off, &old), 0);
	CHECK("old value has the 10 ms interval",
	      old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 10000);
	/* One more may have been pending: let it in, then nothing else comes. */
	mask_one(SIG_UNBLOCK, SIGALRM);
	int seen = alarms;
	sleep_ms(30);
	CHECK("no SIGALRM once disarmed", alarms == seen);

	/* alarm() (musl: setitimer) and the raw alarm system call. */
	V(alarm(5), 0);
	V(alarm(0), 5);
	V(syscall(SYS_alarm, 5), 0);
	V(syscall(SYS_alarm, 7), 5);
	V(getitimer(ITIMER_REAL, &cur), 0);
	CHECK("alarm(7) shows as an itimer of (6 s, 7 s]",
	      (cur.it_value.tv_sec == 6 && cur.it_value.tv_usec > 0) ||
		      (cur.it_value.tv_sec == 7 && cur.it_value.tv_usec == 0));
	V(syscall(SYS_alarm, 0), 7);
	V(alarm(0), 0);
	E(setitimer(5, &it, NULL), EINVAL);
	it.it_value.tv_usec = 1000000;
	E(setitimer(ITIMER_REAL, &it, NULL), EINVAL);
	set_disposition(SIGALRM, SIG_DFL);
}

static void cpu_accounting(void)
{
	SECTION("times and getrusage");
	burn_ms(20);
	struct tms t;
	clock_t r = times(&t);
	CHECK("times() succeeds", r != (clock_t)-1);
	CHECK("times(): children's times are zero", t.tms_cutime == 0 && t.tms_cstime == 0);
	CHECK("times() accepts NULL", times(NULL) != (clock_t)-1);
	check_eq("sysconf(_SC_CLK_TCK)", sysconf(_SC_CLK_TCK), 100);
	struct rusage ru;
	V(getrusage(RUSAGE_SELF, &ru), 0);
	CHECK("getrusage(RUSAGE_SELF): some CPU time used",
	      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);
	CHECK("microseconds in range",
	      ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 &&
		      ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	V(getrusage(RUSAGE_CHILDREN, &ru), 0);
	CHECK("getrusage(RUSAGE_CHILDREN): none yet",
	      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec == 0);
	V(getrusage(RUSAGE_THREAD, &ru), 0);
	E(getrusage(5, &ru), EINVAL);
}

static void timerfds(void)
{
	SECTION("timerfd");
	int fd = OK(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = { { 0, 0 }, { 0, 20 * 1000000 } }, cur;
	int64_t t0 = now_ns();
	V(timerfd_settime(fd, 0, &its, NULL), 0);
	V(timerfd_gettime(fd, &cur), 0);
	CHECK("remaining in (0, 20 ms]", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
						 cur.it_value.tv_nsec <= 20 * 1000000);
	uint64_t n = 0;
	V(read(fd, &n, sizeof n), 8);
	check_eq("expirations", (long)n, 1);
	CHECK("read blocked >= 20 ms", now_ns() - t0 >= 20000000);
	V(timerfd_gettime(fd, &cur), 0);
	CHECK("disarmed after expiring", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	char small[4];
	E(read(fd, small, sizeof small), EINVAL);

	/* Periodic, read after >= 55 ms: at least 5 expirations counted. */
	struct itimerspec per = { { 0, 10 * 1000000 }, { 0, 10 * 1000000 } };
	V(timerfd_settime(fd, 0, &per, NULL), 0);
	sleep_ms(55);
	V(read(fd, &n, sizeof n), 8);
	CHECK("periodic expirations >= 5", n >= 5);
	struct itimerspec off = { { 0, 0 }, { 0, 0 } }, old;
	V(timerfd_settime(fd, 0, &off, &old), 0);
	CHECK("old setting has the 10 ms interval",
	      old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 10 * 1000000);
	close(fd);

	/* Absolute deadline on CLOCK_REALTIME, polled. */
	fd = OK(timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t deadline = ts_ns(&now) + 20 * 1000000;
	struct itimerspec at = { { 0, 0 }, ns_ts(deadline) };
	V(timerfd_settime(fd, TFD_TIMER_ABSTIME, &at, NULL), 0);
	struct pollfd pfd = { fd, POLLIN, 0 };
	V(poll(&pfd, 1, 0), 0);
	V(poll(&pfd, 1, 5000), 1);
	check_eq("revents == POLLIN", pfd.revents, POLLIN);
	clock_gettime(CLOCK_REALTIME, &now);
	CHECK("readable at or after the deadline", ts_ns(&now) >= deadline);
	V(read(fd, &n, sizeof n), 8);
	check_eq("expirations", (long)n, 1);
	V(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);

	fd = OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	E(read(fd, &n, sizeof n), EAGAIN);
	its.it_value.tv_sec = 1;
	its.it_value.tv_nsec = 0;
	V(timerfd_settime(fd, 0, &its, NULL), 0);
	E(read(fd, &n, sizeof n), EAGAIN);
	V(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	its.it_value.tv_nsec = 1000000000;
	E(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	close(fd);
	E(timerfd_create(100, 0), EINVAL);
	E(timerfd_settime(0, 0, &its, NULL), EINVAL);
}

static int efd_for_thread;

static void *late_writer(void *arg)
{
	(void)arg;
	sleep_ms(20);
	uint64_t v = 9;
	write(efd_for_thread, &v, sizeof v);
	return NULL;
}

static void eventfds(void)
{
	SECTION("eventfd");
	int fd = OK(eventfd(0, EFD_NONBLOCK));
	uint64_t v = 3;
	V(write(fd, &v, sizeof v), 8);
	v = 4;
	V(write(fd, &v, sizeof v), 8);
	v = 0;
	V(read(fd, &v, sizeof v), 8);
	check_eq("counter read", (long)v, 7);
	E(read(fd, &v, sizeof v), EAGAIN);
	struct pollfd pfd = { fd, POLLIN | POLLOUT, 0 };
	V(poll(&pfd, 1, 0), 1);
	check_eq("empty: revents == POLLOUT", pfd.revents, POLLOUT);
	v = 1;
	write(fd, &v, sizeof v);
	V(poll(&pfd, 1, 0), 1);
	check_eq("non-zero: revents == POLLIN|POLLOUT", pfd.revents, POLLIN | POLLOUT);
	v = UINT64_MAX;
	E(write(fd, &v, sizeof v), EINVAL);
	v = UINT64_MAX - 1;
	E(write(fd, &v, sizeof v), EAGAIN);
	v = UINT64_MAX - 2;
	V(write(fd, &v, sizeof v), 8);
	pfd.events = POLLOUT;
	V(poll(&pfd, 1, 0), 0);
	char small[4];
	E(read(fd, small, sizeof small), EINVAL);
	E(write(fd, small, sizeof small), EINVAL);
	V(read(fd, &v, sizeof v), 8);
	CHECK("counter at its maximum", v == UINT64_MAX - 1);
	close(fd);

	fd = OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC));
	int ones = 0;
	for (int i = 0; i < 3; i++)
		if (read(fd, &v, sizeof v) == 8 && v == 1)
			ones++;
	check_eq("EFD_SEMAPHORE reads of 1", ones, 3);
	E(read(fd, &v, sizeof v), EAGAIN);
	V(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);

	/* A blocking read woken by another thread's write. */
	efd_for_thread = OK(eventfd(0, 0));
	pthread_t t;
	pthread_create(&t, NULL, late_writer, NULL);
	v = 0;
	V(read(efd_for_thread, &v, sizeof v), 8);
	check_eq("value from the other thread", (long)v, 9);
	pthread_join(t, NULL);
	close(efd_for_thread);
	E(eventfd(0, 12345678), EINVAL);
}

int main(void)
{
	setup("time");
	clocks();
	sleeps();
	itimers();
	cpu_accounting();
	timerfds();
	eventfds();
	return finish();
}
