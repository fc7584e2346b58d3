/*
 * badptr: passes bad pointers to system calls. Each must fail with EFAULT;
 * none may kill the program or the kernel.
 *
 * The clock is read with a raw syscall: natively musl would go through the
 * vDSO, which faults in user space (SIGSEGV) instead of returning EFAULT.
 * The harness gives stdin some bytes, so a read that got past its pointer
 * check would have data to copy (natively, read(2) on an empty pipe or
 * /dev/null returns 0 without touching the buffer).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *errno_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EPERM: return "EPERM";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static void report(const char *what, long r)
{
    int e = errno;
    if (r < 0)
        printf("%s = %ld %s\n", what, r, errno_name(e));
    else
        printf("%s = %ld\n", what, r);
    fflush(stdout);
}

int main(void)
{
    printf("badptr start\n");
    fflush(stdout);

    errno = 0;
    report("write(1, 0x1, 10)", write(1, (void *)1, 10));
    errno = 0;
    report("write(1, 0xffff800000000000, 10)", write(1, (void *)0xffff800000000000UL, 10));
    errno = 0;
    report("read(0, 0x8, 10)", read(0, (void *)8, 10));
    errno = 0;
    report("read(0, 0xffff800000000000, 10)", read(0, (void *)0xffff800000000000UL, 10));
    errno = 0;
    report("uname(NULL)", uname(NULL));
    errno = 0;
    report("clock_gettime(MONOTONIC, 0x10)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)16));
    errno = 0;
    report("gettimeofday(0x10, NULL)", syscall(SYS_gettimeofday, (void *)16, (void *)0));

    printf("badptr done\n");
    return 0;
}
