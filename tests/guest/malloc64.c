/*
 * malloc64: exercises the memory system calls: a 64 MiB malloc (an anonymous
 * mmap in musl) filled and checked, an mmap/mremap/mprotect/madvise/munmap
 * round trip, and brk growth and shrink. Prints "ok" lines only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define PAGE 4096UL

static int failures;

static void check(int cond, const char *what)
{
    printf("%s: %s\n", what, cond ? "ok" : "FAILED");
    if (!cond)
        failures++;
}

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 12)); }

static void big_malloc(void)
{
    size_t n = 64 * MIB;
    unsigned char *p = malloc(n);
    check(p != NULL, "malloc 64 MiB");
    if (!p)
        return;

    memset(p, 0xa5, n);
    int all = 1;
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xa5) {
            all = 0;
            break;
        }
    check(all, "memset 0xa5 over 64 MiB");

    uint64_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = pattern(i);
        expect += (uint64_t)pattern(i) * (i % 251 + 1);
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (uint64_t)p[i] * (i % 251 + 1);
    check(sum == expect, "checksum over 64 MiB");
    printf("checksum=%llu\n", (unsigned long long)sum);
    free(p);
    check(1, "free");
}

static void mmap_round_trip(void)
{
    size_t small = 2 * PAGE, big = 64 * PAGE;
    unsigned char *m = mmap(NULL, small, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(m != MAP_FAILED, "mmap 2 pages");
    if (m == MAP_FAILED)
        return;
    check(((uintptr_t)m % PAGE) == 0, "mmap result page aligned");
    int zero = 1;
    for (size_t i = 0; i < small; i++)
        zero &= m[i] == 0;
    check(zero, "fresh mapping is zero");
    for (size_t i = 0; i < small; i++)
        m[i] = pattern(i);

    check(mprotect(m, small, PROT_READ) == 0, "mprotect read-only");
    int same = 1;
    for (size_t i = 0; i < small; i++)
        same &= m[i] == pattern(i);
    check(same, "readable after mprotect");
    check(mprotect(m, small, PROT_READ | PROT_WRITE) == 0, "mprotect read-write");

    unsigned char *g = mremap(m, small, big, MREMAP_MAYMOVE);
    check(g != MAP_FAILED, "mremap grow to 64 pages");
    if (g == MAP_FAILED)
        return;
    same = 1;
    for (size_t i = 0; i < small; i++)
        same &= g[i] == pattern(i);
    check(same, "data survived mremap");
    zero = 1;
    for (size_t i = small; i < big; i++)
        zero &= g[i] == 0;
    check(zero, "grown part is zero");
    g[big - 1] = 0x5a;
    check(g[big - 1] == 0x5a, "write at end of grown mapping");

    /* MADV_DONTNEED on a private anonymous mapping drops the pages: they read
     * back as zero (Linux semantics that allocators rely on). */
    memset(g + PAGE, 0xff, PAGE);
    check(madvise(g + PAGE, PAGE, MADV_DONTNEED) == 0, "madvise DONTNEED");
    zero = 1;
    for (size_t i = PAGE; i < 2 * PAGE; i++)
        zero &= g[i] == 0;
    check(zero, "page zero after MADV_DONTNEED");

    unsigned char *s = mremap(g, big, PAGE, 0);
    check(s == g, "mremap shrink in place");
    check(s[0] == pattern(0), "data kept after shrink");
    check(munmap(s, PAGE) == 0, "munmap");

    errno = 0;
    check(munmap((void *)((uintptr_t)s + 1), PAGE) == -1 && errno == EINVAL, "munmap unaligned is EINVAL");
}

static void brk_round_trip(void)
{
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    check(cur != 0, "brk(0)");
    uintptr_t want = cur + MIB;
    uintptr_t got = (uintptr_t)syscall(SYS_brk, want);
    check(got == want, "brk grow 1 MiB");
    if (got == want) {
        unsigned char *p = (unsigned char *)cur;
        memset(p, 0x3c, MIB);
        check(p[0] == 0x3c && p[MIB - 1] == 0x3c, "brk memory writable");
    }
    check((uintptr_t)syscall(SYS_brk, cur) == cur, "brk shrink back");
}

int main(void)
{
    big_malloc();
    mmap_round_trip();
    brk_round_trip();
    printf("failures=%d\n", failures);
    return failures ? 1 : 0;
}
