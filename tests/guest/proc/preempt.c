/*
 * Preemption: threads and processes that never make a system call must
 * not keep the CPU from others. Without a preemptive scheduler (on one
 * CPU) every section here hangs until the run's timeout.
 */
#include "proc.h"

static volatile int flag;
static volatile uint64_t spins;

/* Pure computation until `flag` is set: no system calls at all. */
static void *spinner(void *arg)
{
	(void)arg;
	uint64_t x = 1, n = 0;
	while (!flag) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n++;
	}
	spins = n + (x & 0);
	return NULL;
}

static volatile int stop;
static volatile uint64_t count[2];

static void *counter(void *arg)
{
	long i = (long)arg;
	while (!stop)
		count[i]++;
	return NULL;
}

static volatile int woke;

static void *sleeper(void *arg)
{
	(void)arg;
	sleep_ms(50);
	woke = 1;
	return NULL;
}

static volatile int alarms;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	alarms++;
}

int main(void)
{
	setup("preempt");

	SECTION("a spinning thread, main sleeps");
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	int64_t t0 = now_ns();
	struct timespec ts = { 0, 100 * 1000000 };
	V(nanosleep(&ts, NULL), 0);
	CHECK("main's 100 ms sleep ended (>= 100 ms)", now_ns() - t0 >= 100000000);
	flag = 1;
	pthread_join(t, NULL);
	CHECK("the spinner saw the flag and ended", 1);
	CHECK("the spinner ran meanwhile", spins > 0);
	SAY("preempt: ok");

	SECTION("two CPU-bound threads");
	pthread_t c[2];
	for (long i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, counter, (void *)i);
	sleep_ms(200);
	uint64_t a = count[0], b = count[1];
	stop = 1;
	pthread_join(c[0], NULL);
	pthread_join(c[1], NULL);
	CHECK("both counted during main's 200 ms sleep", a > 0 && b > 0);

	SECTION("main spins, a sleeping thread wakes");
	woke = 0;
	pthread_create(&t, NULL, sleeper, NULL);
	uint64_t n = 0;
	while (!woke)
		n++;
	pthread_join(t, NULL);
	CHECK("the sleeper woke while main spun", n > 0);

	SECTION("SIGALRM interrupts a spinning loop");
	on_signal(SIGALRM, on_alarm, 0);
	struct itimerval it = { { 0, 0 }, { 0, 50000 } };
	V(setitimer(ITIMER_REAL, &it, NULL), 0);
	n = 0;
	while (!alarms)
		n++;
	check_eq("alarms", alarms, 1);

	SECTION("a spinning child process");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	pid_t pid = xfork();
	if (pid == 0) {
		close(p[0]);
		close(p[1]); /* The parent sees EOF: the child is running. */
		flag = 0;
		spinner(NULL);
		_exit(0);
	}
	close(p[1]);
	char ch;
	V(read(p[0], &ch, 1), 0);
	close(p[0]);
	sleep_ms(50);
	V(kill(pid, SIGKILL), 0);
	check_status("spinning child after SIGKILL", reap(pid), "killed by SIGKILL");

	pid = xfork();
	if (pid == 0) {
		flag = 0;
		spinner(NULL);
		_exit(0);
	}
	/* The parent spins too, until the time is up: both must get turns. */
	burn_ms(50);
	V(kill(pid, SIGTERM), 0);
	check_status("child spinning while the parent spins, after SIGTERM", reap(pid),
		     "killed by SIGTERM");
	return finish();
}
