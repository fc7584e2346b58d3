/*
 * Lintel's vDSO (linux-vdso.so.1): clock_gettime, gettimeofday, time,
 * clock_getres and getcpu without entering the kernel, exported as Linux's
 * x86_64 vDSO exports them (version LINUX_2.6, with the unversioned
 * aliases), so musl and glibc find them through AT_SYSINFO_EHDR.
 *
 * The clocks are the kernel's own (kernel/src/time/): uptime is the TSC
 * since boot converted with the kernel's calibration, exactly as
 * `tsc::ticks_to_ns` does it, and CLOCK_REALTIME adds the realtime at
 * boot. Both come from the vvar page under its sequence counter, so a
 * value read here and one from the system call are the same function of
 * the same TSC: they agree to the nanosecond and never run backwards
 * against each other. Clocks not served here (CPU-time clocks, unknown
 * ids) make the real system call, as Linux's vDSO does.
 *
 * Built by kernel/build.rs: position independent, no relocations, no data
 * of its own (the frames are shared by every process, read-only).
 */
#include "vvar.h"

#define NSEC_PER_SEC 1000000000ull

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_getcpu 309

struct timespec {
	long tv_sec;
	long tv_nsec;
};

struct timeval {
	long tv_sec;
	long tv_usec;
};

struct timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

#define EXPORT __attribute__((visibility("default")))
#define barrier() __asm__ volatile("" ::: "memory")

/* One page below the text (kernel/vdso/vdso.lds). */
extern const struct lintel_vvar lintel_vvar __attribute__((visibility("hidden")));

static long syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The TSC, read after every earlier instruction (the kernel reads it so too). */
static inline u64 rdtsc_ordered(void)
{
	u32 lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (u64)hi << 32 | lo;
}

enum clock_kind { MONOTONIC, REALTIME };

/*
 * The clock in nanoseconds, or -1 when only the system call can say
 * (the TSC is not calibrated, or the result would not fit 64 bits).
 */
static inline int read_ns(enum clock_kind kind, u64 *ns)
{
	const volatile struct lintel_vvar *v = &lintel_vvar;
	u32 seq;
	u64 boot, per, realtime_at_boot, tsc;
	for (;;) {
		seq = v->seq;
		if (seq & 1) {
			__builtin_ia32_pause();
			continue;
		}
		barrier();
		boot = v->boot_tsc;
		per = v->tsc_per_us_x1024;
		realtime_at_boot = v->boot_realtime_ns;
		tsc = rdtsc_ordered();
		barrier();
		if (v->seq == seq)
			break;
	}
	if (per == 0)
		return -1;
	/* tsc::ticks_to_ns: (ticks * 1024 * 1000) / per in 128 bits. */
	u64 ticks = tsc > boot ? tsc - boot : 0;
	unsigned __int128 product = (unsigned __int128)ticks * (1024 * 1000);
	u64 hi = (u64)(product >> 64), lo = (u64)product, quot, rem;
	if (hi >= per)
		return -1;
	__asm__("divq %4" : "=a"(quot), "=d"(rem) : "a"(lo), "d"(hi), "rm"(per));
	*ns = kind == REALTIME ? realtime_at_boot + quot : quot;
	return 0;
}

EXPORT int __vdso_clock_gettime(int clock, struct timespec *ts)
{
	enum clock_kind kind;
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
		kind = REALTIME;
		break;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		kind = MONOTONIC;
		break;
	default:
		return syscall2(SYS_clock_gettime, clock, (long)ts);
	}
	u64 ns;
	if (read_ns(kind, &ns))
		return syscall2(SYS_clock_gettime, clock, (long)ts);
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
	return 0;
}

EXPORT int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz)
{
	if (tv) {
		u64 ns;
		if (read_ns(REALTIME, &ns))
			return syscall2(SYS_gettimeofday, (long)tv, (long)tz);
		tv->tv_sec = ns / NSEC_PER_SEC;
		tv->tv_usec = ns % NSEC_PER_SEC / 1000;
	}
	if (tz) {
		/* The kernel keeps no time zone: UTC, no DST (as sys_gettimeofday). */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

EXPORT long __vdso_time(long *t)
{
	u64 ns;
	if (read_ns(REALTIME, &ns))
		return syscall2(SYS_time, (long)t, 0);
	long s = ns / NSEC_PER_SEC;
	if (t)
		*t = s;
	return s;
}

EXPORT int __vdso_clock_getres(int clock, struct timespec *res)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		/* Every clock counts nanoseconds of the TSC (as sys_clock_getres). */
		if (res) {
			res->tv_sec = 0;
			res->tv_nsec = 1;
		}
		return 0;
	default:
		return syscall2(SYS_clock_getres, clock, (long)res);
	}
}

/*
 * Lintel runs every thread on one CPU (kernel/src/sched/: one `Cpu`), so
 * the answer is CPU 0 on node 0. With SMP this must read the CPU number
 * from the vvar page or IA32_TSC_AUX, as Linux's does.
 */
EXPORT long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	(void)unused;
	if (cpu)
		*cpu = 0;
	if (node)
		*node = 0;
	return 0;
}

/* The names without the prefix, as Linux's vDSO also exports them. */
#define ALIAS(name) EXPORT __attribute__((weak, alias("__vdso_" #name)))
ALIAS(clock_gettime) int clock_gettime(int, struct timespec *);
ALIAS(gettimeofday) int gettimeofday(struct timeval *, struct timezone *);
ALIAS(time) long time(long *);
ALIAS(clock_getres) int clock_getres(int, struct timespec *);
ALIAS(getcpu) long getcpu(unsigned *, unsigned *, void *);
