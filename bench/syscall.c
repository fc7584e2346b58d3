/* System-call round trips: ns per getppid, per 1-byte write to /dev/null,
 * per clock_gettime through libc (both answer from their vDSO, without
 * entering the kernel) and per clock_gettime as a raw system call in both. Each loop runs in batches until MIN_NS have passed.
 *
 *     syscall [NAME [MS]]    only NAME, for MS milliseconds (for profiling) */
#include "bench.h"
#include <fcntl.h>
#include <string.h>

#define BATCH 1000

static int devnull;
static unsigned long long min_ns = 300000000ull;

static void op_getppid(void) { (void)getppid(); }
static void op_write(void)
{
    if (write(devnull, "x", 1) != 1)
        fail("write /dev/null");
}
static void op_clock_libc(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
}
static void op_clock_syscall(void)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}

static void measure(const char *name, void (*op)(void))
{
    for (int i = 0; i < BATCH; i++) /* warm up */
        op();
    unsigned long long n = 0, start = now_ns(), t;
    do {
        for (int i = 0; i < BATCH; i++)
            op();
        n += BATCH;
        t = now_ns();
    } while (t - start < min_ns);
    char extra[64];
    snprintf(extra, sizeof extra, " iterations=%llu", n);
    emit(name, (double)(t - start) / (double)n, "ns", extra);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*op)(void);
    } ops[] = {
        {"getppid", op_getppid},
        {"write_devnull", op_write},
        {"clock_gettime_libc", op_clock_libc},
        {"clock_gettime_syscall", op_clock_syscall},
    };
    const char *only = argc > 1 ? argv[1] : NULL;
    if (argc > 2)
        min_ns = strtoull(argv[2], NULL, 10) * 1000000ull;
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0)
        fail("open /dev/null");
    int ran = 0;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!only || strcmp(only, ops[i].name) == 0) {
            measure(ops[i].name, ops[i].op);
            ran++;
        }
    if (!ran) {
        fprintf(stderr, "syscall: no benchmark named %s\n", only);
        return 2;
    }
    return 0;
}
