/* Shared helpers of the benchmark programs: a monotonic clock in ns and the
 * one-line result format the host parses:
 *
 *     BENCH name=NAME value=NUMBER unit=UNIT [key=value ...]
 *
 * Everything else a program prints is ignored by `lintel bench`. */
#ifndef LINTEL_BENCH_H
#define LINTEL_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

/* CLOCK_MONOTONIC through the system call itself, so both guests read their
 * clock the same way (Linux would otherwise use its vDSO). */
static inline unsigned long long now_ns(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* One result line. `extra` is "" or " key=value ...". */
static inline void emit(const char *name, double value, const char *unit, const char *extra)
{
    printf("BENCH name=%s value=%.6g unit=%s%s\n", name, value, unit, extra ? extra : "");
    fflush(stdout);
}

/* Dies with a message on stderr and a BENCH-ERROR line on stdout. */
static inline void fail(const char *what)
{
    perror(what);
    printf("BENCH-ERROR %s\n", what);
    fflush(stdout);
    exit(1);
}

#endif
