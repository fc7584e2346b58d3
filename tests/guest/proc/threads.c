/*
 * Threads: pthread create/join/exit/detach, mutexes, condition variables,
 * barriers, __thread TLS, thread ids, the futex system call itself
 * (wait/wake/timeouts/requeue), sched_* calls, and a signal sent to one
 * thread with tgkill. Only the main thread prints.
 */
#include "proc.h"

/* From <linux/futex.h> (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY 0xffffffff
#include <semaphore.h>

static long futex(volatile int *uaddr, int op, int val, const void *timeout,
		  volatile int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

/* --- create/join with return values ------------------------------------ */

static void *ret_value(void *arg)
{
	return (void *)((long)arg * 10 + 1);
}

static void create_join(void)
{
	SECTION("create and join");
	pthread_t t[4];
	int created = 0;
	for (long i = 0; i < 4; i++)
		created += pthread_create(&t[i], NULL, ret_value, (void *)i) == 0;
	check_eq("threads created", created, 4);
	int right = 0;
	for (long i = 0; i < 4; i++) {
		void *r = NULL;
		if (pthread_join(t[i], &r) == 0 && (long)r == i * 10 + 1)
			right++;
	}
	check_eq("join values right", right, 4);
}

/* --- mutex -------------------------------------------------------------- */

#define MUTEX_THREADS 8
#define MUTEX_ITERS 2000
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static volatile int start_gate;

static void *mutex_worker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&start_gate, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = 0; i < MUTEX_ITERS; i++) {
		pthread_mutex_lock(&counter_lock);
		long c = counter;
		/* A window for another thread to break in if the lock leaked. */
		if ((i & 63) == 0)
			sched_yield();
		counter = c + 1;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

static void mutex_counter(void)
{
	SECTION("mutex");
	pthread_t t[MUTEX_THREADS];
	for (int i = 0; i < MUTEX_THREADS; i++)
		if (pthread_create(&t[i], NULL, mutex_worker, NULL) != 0)
			die("pthread_create");
	__atomic_store_n(&start_gate, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < MUTEX_THREADS; i++)
		pthread_join(t[i], NULL);
	check_eq("8 threads x 2000 locked increments", counter, MUTEX_THREADS * MUTEX_ITERS);
	PT(pthread_mutex_trylock(&counter_lock), 0);
	PT(pthread_mutex_trylock(&counter_lock), EBUSY);
	PT(pthread_mutex_unlock(&counter_lock), 0);
}

/* --- condition variables ------------------------------------------------- */

#define QSIZE 4
#define ITEMS 300
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static int q[QSIZE], q_head, q_len;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == QSIZE)
			pthread_cond_wait(&q_not_full, &q_lock);
		q[(q_head + q_len) % QSIZE] = i;
		q_len++;
		pthread_cond_signal(&q_not_empty);
		pthread_mutex_unlock(&q_lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (q_len == 0)
			pthread_cond_wait(&q_not_empty, &q_lock);
		int v = q[q_head];
		q_head = (q_head + 1) % QSIZE;
		q_len--;
		pthread_cond_signal(&q_not_full);
		pthread_mutex_unlock(&q_lock);
		if (v < 0)
			return NULL;
		consumed_sum += v;
		consumed_count++;
	}
}

static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go, waiting, woken;

static void *go_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&go_lock);
	waiting++;
	while (!go)
		pthread_cond_wait(&go_cond, &go_lock);
	woken++;
	pthread_mutex_unlock(&go_lock);
	return NULL;
}

static void condvars(void)
{
	SECTION("condition variables");
	pthread_t p, c;
	pthread_create(&c, NULL, consumer, NULL);
	pthread_create(&p, NULL, producer, NULL);
	pthread_join(p, NULL);
	/* The end marker. */
	pthread_mutex_lock(&q_lock);
	while (q_len == QSIZE)
		pthread_cond_wait(&q_not_full, &q_lock);
	q[(q_head + q_len) % QSIZE] = -1;
	q_len++;
	pthread_cond_signal(&q_not_empty);
	pthread_mutex_unlock(&q_lock);
	pthread_join(c, NULL);
	check_eq("items consumed through a 4-slot queue", consumed_count, ITEMS);
	check_eq("sum of items", consumed_sum, (long)ITEMS * (ITEMS + 1) / 2);

	pthread_t w[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&w[i], NULL, go_waiter, NULL);
	for (;;) {
		pthread_mutex_lock(&go_lock);
		int n = waiting;
		pthread_mutex_unlock(&go_lock);
		if (n == 4)
			break;
		sleep_ms(1);
	}
	pthread_mutex_lock(&go_lock);
	go = 1;
	pthread_cond_broadcast(&go_cond);
	pthread_mutex_unlock(&go_lock);
	for (int i = 0; i < 4; i++)
		pthread_join(w[i], NULL);
	check_eq("waiters woken by one broadcast", woken, 4);

	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	struct timespec abs;
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 30 * 1000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	int64_t t0 = now_ns();
	pthread_mutex_lock(&m);
	PT(pthread_cond_timedwait(&cv, &m, &abs), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	CHECK("timedwait lasted >= 30 ms", now_ns() - t0 >= 30000000);
}

/* --- TLS ------------------------------------------------------------------ */

static __thread long tls_value = 5;
static __thread char tls_big[256] = "initial";
static pthread_barrier_t tls_barrier;
static uintptr_t tls_addr[4];
static int tls_ok[4];

static void *tls_worker(void *arg)
{
	long i = (long)arg;
	int ok = tls_value == 5 && strcmp(tls_big, "initial") == 0;
	tls_value = 100 + i;
	snprintf(tls_big, sizeof tls_big, "thread %ld", i);
	tls_addr[i] = (uintptr_t)&tls_value;
	/* Everyone has written before anyone reads back. */
	pthread_barrier_wait(&tls_barrier);
	char want[32];
	snprintf(want, sizeof want, "thread %ld", i);
	ok = ok && tls_value == 100 + i && strcmp(tls_big, want) == 0;
	/* %fs points at this thread's TCB. */
	uintptr_t fs;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	ok = ok && fs == (uintptr_t)pthread_self();
	tls_ok[i] = ok;
	return NULL;
}

static void tls(void)
{
	SECTION("thread-local storage");
	tls_value = 42;
	pthread_barrier_init(&tls_barrier, NULL, 4);
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, tls_worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&tls_barrier);
	CHECK("each thread saw the initial TLS image and kept its own values",
	      tls_ok[0] && tls_ok[1] && tls_ok[2] && tls_ok[3]);
	int distinct = 1;
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			distinct = distinct && tls_addr[i] != tls_addr[j];
	CHECK("TLS addresses distinct per thread", distinct);
	check_eq("main thread's TLS value untouched", tls_value, 42);
}

/* --- barrier --------------------------------------------------------------- */

static pthread_barrier_t barrier;
static int arrived, serial_count, saw_all_arrived;

static void *barrier_worker(void *arg)
{
	(void)arg;
	for (int round = 0; round < 3; round++) {
		__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
		int r = pthread_barrier_wait(&barrier);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) >= 5 * (round + 1))
			__atomic_fetch_add(&saw_all_arrived, 1, __ATOMIC_SEQ_CST);
		/* Nobody starts the next round before all checked this one. */
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static void barriers(void)
{
	SECTION("barrier");
	pthread_barrier_init(&barrier, NULL, 5);
	pthread_t t[5];
	for (int i = 0; i < 5; i++)
		pthread_create(&t[i], NULL, barrier_worker, NULL);
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
	check_eq("serial threads over 3 rounds", serial_count, 3);
	check_eq("threads that passed after all 5 arrived (3 rounds)", saw_all_arrived, 15);
}

/* --- pthread_exit, detach, ids --------------------------------------------- */

/* pthread_exit from a function called by the thread's start routine. */
static __attribute__((noinline)) void exit_from_callee(long v)
{
	pthread_exit((void *)v);
}

static void *exiter(void *arg)
{
	(void)arg;
	exit_from_callee(42);
	return (void *)1;
}

static sem_t detached_done;
static volatile int detached_ran;

static void *detached(void *arg)
{
	(void)arg;
	detached_ran = 1;
	sem_post(&detached_done);
	return NULL;
}

struct ids {
	pid_t pid, tid;
};

static void *id_worker(void *arg)
{
	struct ids *ids = arg;
	ids->pid = getpid();
	ids->tid = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static void exits_and_ids(void)
{
	SECTION("pthread_exit, detach, thread ids");
	pthread_t t;
	void *r = NULL;
	pthread_create(&t, NULL, exiter, NULL);
	PT(pthread_join(t, &r), 0);
	check_eq("value passed to pthread_exit", (long)r, 42);

	sem_init(&detached_done, 0, 0);
	pthread_create(&t, NULL, detached, NULL);
	PT(pthread_detach(t), 0);
	sem_wait(&detached_done);
	CHECK("detached thread ran", detached_ran);

	pid_t pid = getpid();
	pid_t tid = (pid_t)syscall(SYS_gettid);
	CHECK("gettid == getpid in the main thread", tid == pid);
	struct ids ids = { 0 };
	pthread_create(&t, NULL, id_worker, &ids);
	pthread_join(t, NULL);
	CHECK("getpid in a thread == the process's pid", ids.pid == pid);
	CHECK("gettid in a thread != getpid", ids.tid != pid && ids.tid > 0);
}

/* --- the futex system call ------------------------------------------------- */

static volatile int fw, fw2;
static volatile int f_ready, f_woken;
static volatile int *f_addr;

static void *futex_waiter(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&f_ready, 1, __ATOMIC_SEQ_CST);
	futex(f_addr, FUTEX_WAIT, 0, NULL, NULL, 0);
	__atomic_fetch_add(&f_woken, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Starts 3 waiters on `f_addr` (whose value is 0) and lets them block. */
static void start_waiters(pthread_t t[3], volatile int *addr)
{
	f_addr = addr;
	f_ready = f_woken = 0;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t[i], NULL, futex_waiter, NULL) != 0)
			die("pthread_create");
	if (!wait_for(&f_ready, 3, 5000))
		die("waiters never started");
	/* Time for all three to reach FUTEX_WAIT. */
	sleep_ms(100);
}

static void futexes(void)
{
	SECTION("futex");
	fw = 0;
	E(futex(&fw, FUTEX_WAIT, 1, NULL, NULL, 0), EAGAIN);
	E(futex(&fw, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0), EAGAIN);
	V(futex(&fw, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	V(futex(&fw, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0);
	E(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	E(futex((volatile int *)((char *)&fw + 1), FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);

	struct timespec rel = { 0, 50 * 1000000 };
	int64_t t0 = now_ns();
	E(futex(&fw, FUTEX_WAIT, 0, &rel, NULL, 0), ETIMEDOUT);
	CHECK("FUTEX_WAIT with a 50 ms timeout lasted >= 50 ms", now_ns() - t0 >= 50000000);
	struct timespec bad = { 0, 1000000000 };
	E(futex(&fw, FUTEX_WAIT, 0, &bad, NULL, 0), EINVAL);

	int64_t deadline = now_ns() + 30 * 1000000;
	struct timespec abs = ns_ts(deadline);
	E(futex(&fw, FUTEX_WAIT_BITSET, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	CHECK("FUTEX_WAIT_BITSET returned at or after its CLOCK_MONOTONIC deadline",
	      now_ns() >= deadline);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	int64_t rt_deadline = ts_ns(&rt) + 20 * 1000000;
	abs = ns_ts(rt_deadline);
	E(futex(&fw, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL,
		FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	clock_gettime(CLOCK_REALTIME, &rt);
	CHECK("FUTEX_CLOCK_REALTIME wait returned at or after its deadline", ts_ns(&rt) >= rt_deadline);
	E(futex(&fw, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0), EINVAL);
	/* An absolute deadline in the past: no wait at all. */
	abs.tv_sec = 1;
	abs.tv_nsec = 0;
	E(futex(&fw, FUTEX_WAIT_BITSET, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);

	pthread_t t[3];
	fw = 0;
	start_waiters(t, &fw);
	V(futex(&fw, FUTEX_WAKE, 2, NULL, NULL, 0), 2);
	CHECK("two waiters resumed", wait_for(&f_woken, 2, 5000));
	sleep_ms(20);
	check_eq("waiters resumed after FUTEX_WAKE 2 (a moment later)", f_woken, 2);
	V(futex(&fw, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 1);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check_eq("waiters resumed in all", f_woken, 3);

	fw = 0;
	fw2 = 0;
	E(futex(&fw, FUTEX_CMP_REQUEUE, 1, (void *)(long)INT_MAX, &fw2, 1), EAGAIN);
	V(futex(&fw, FUTEX_CMP_REQUEUE, 1, (void *)(long)INT_MAX, &fw2, 0), 0);
	start_waiters(t, &fw);
	/* Wake one, move the other two to fw2: the result counts both. */
	V(futex(&fw, FUTEX_CMP_REQUEUE, 1, (void *)(long)INT_MAX, &fw2, 0), 3);
	CHECK("one waiter resumed", wait_for(&f_woken, 1, 5000));
	V(futex(&fw, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
	V(futex(&fw2, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 2);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	check_eq("requeued waiters resumed", f_woken, 3);
}

/* --- sched_* ---------------------------------------------------------------- */

static void sched_calls(void)
{
	SECTION("sched");
	V(sched_yield(), 0);
	cpu_set_t set;
	CPU_ZERO(&set);
	V(sched_getaffinity(0, sizeof set, &set), 0);
	CHECK("at least one CPU in the affinity mask", CPU_COUNT(&set) >= 1);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	CHECK("raw sched_getaffinity returns a positive size, a multiple of 8",
	      n > 0 && n % 8 == 0 && (size_t)n <= sizeof set);
	/* musl's wrappers say ENOSYS without asking: the raw calls. */
	V(syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	struct sched_param sp = { 7 };
	V(syscall(SYS_sched_getparam, 0, &sp), 0);
	check_eq("sched_priority", sp.sched_priority, 0);
}

/* --- tgkill to one thread ---------------------------------------------------- */

static volatile int handler_tid;
static volatile int handled;
static volatile int target_tid;
static volatile int target_ready;
static volatile int target_leave;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	handler_tid = (int)syscall(SYS_gettid);
	if (si->si_code == SI_TKILL && si->si_pid == getpid())
		handled = 1;
	else
		handled = 2;
}

static void *target(void *arg)
{
	(void)arg;
	target_tid = (int)syscall(SYS_gettid);
	__atomic_store_n(&target_ready, 1, __ATOMIC_SEQ_CST);
	while (!target_leave)
		sleep_ms(1);
	return NULL;
}

static void tgkill_thread(void)
{
	SECTION("tgkill");
	on_signal(SIGUSR1, on_usr1, 0);
	pthread_t t;
	pthread_create(&t, NULL, target, NULL);
	if (!wait_for(&target_ready, 1, 5000))
		die("target thread never started");
	V(syscall(SYS_tgkill, getpid(), target_tid, 0), 0);
	V(syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1), 0);
	CHECK("handler ran", wait_for(&handled, 1, 5000));
	check_eq("handler's siginfo ok (1) or not (2)", handled, 1);
	CHECK("handler ran in the target thread", handler_tid == target_tid);
	CHECK("not in the main thread", handler_tid != getpid());
	target_leave = 1;
	pthread_join(t, NULL);
	E(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	set_disposition(SIGUSR1, SIG_DFL);
}

int main(void)
{
	setup("threads");
	create_join();
	mutex_counter();
	condvars();
	tls();
	barriers();
	exits_and_ids();
	futexes();
	sched_calls();
	tgkill_thread();

	SECTION("set_tid_address");
	static volatile int dummy;
	long r = syscall(SYS_set_tid_address, &dummy);
	CHECK("set_tid_address returns the caller's tid", r == getpid());
	return finish();
}
