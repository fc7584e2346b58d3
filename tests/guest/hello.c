/*
 * hello: the first guest program. Prints its arguments, its environment and a
 * series of checks on what the kernel set up before main (TLS, auxv, uname,
 * clocks). Every line is deterministic, so the output under Lintel must equal
 * the output of the same binary run natively on the host, byte for byte.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Defined by the linker: the ELF header, mapped at the start of the first
 * PT_LOAD segment (offset 0). Works for static (ET_EXEC) and static-pie. */
extern const Elf64_Ehdr __ehdr_start;

static __thread int tls_data = 42;          /* .tdata */
static __thread int tls_bss;                /* .tbss */
static __thread char tls_str[16] = "tls-data";

static const char *yes(int cond) { return cond ? "yes" : "no"; }

static void check_tls(void)
{
    printf("tls: data=%d bss=%d str=\"%s\"\n", tls_data, tls_bss, tls_str);
    tls_data += 1;
    tls_bss = 7;
    tls_str[3] = '_';
    printf("tls: after write data=%d bss=%d str=\"%s\"\n", tls_data, tls_bss, tls_str);
    errno = 0;
    printf("tls: errno initially %d\n", errno);
    errno = 1234;
    int e = errno;
    printf("tls: errno round trip %d\n", e);
    errno = 0;
}

static void check_auxv(const char *argv0)
{
    printf("auxv: AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    if (rnd)
        for (int i = 0; i < 16; i++)
            nonzero |= rnd[i];
    printf("auxv: AT_RANDOM non-null: %s, 16 bytes not all zero: %s\n", yes(rnd != 0), yes(nonzero));

    const Elf64_Ehdr *eh = &__ehdr_start;
    int ehdr_ok = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64;
    printf("auxv: __ehdr_start is an ELF64 header: %s\n", yes(ehdr_ok));

    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    printf("auxv: AT_PHDR non-null: %s\n", yes(ph != 0));
    printf("auxv: AT_PHENT == sizeof(Elf64_Phdr): %s\n", yes(getauxval(AT_PHENT) == sizeof(Elf64_Phdr)));
    printf("auxv: AT_PHNUM == e_phnum: %s\n", yes(phnum == eh->e_phnum));
    printf("auxv: AT_PHDR == __ehdr_start + e_phoff: %s\n",
           yes((uintptr_t)ph == (uintptr_t)eh + eh->e_phoff));
    if (ph) {
        int loads = 0, first_load_at_0 = 0;
        uintptr_t bias = 0;
        for (unsigned long i = 0; i < phnum; i++) {
            if (ph[i].p_type == PT_LOAD) {
                if (loads == 0 && ph[i].p_offset == 0) {
                    first_load_at_0 = 1;
                    bias = (uintptr_t)eh - ph[i].p_vaddr;
                }
                loads++;
            }
        }
        printf("auxv: phdrs contain PT_LOAD: %s\n", yes(loads > 0));
        printf("auxv: first PT_LOAD maps offset 0: %s\n", yes(first_load_at_0));
        printf("auxv: e_type=%s\n", eh->e_type == ET_DYN ? "ET_DYN" : eh->e_type == ET_EXEC ? "ET_EXEC" : "other");
        if (eh->e_type == ET_DYN)
            printf("auxv: bias page aligned: %s\n", yes(bias % 4096 == 0));
        else
            printf("auxv: bias zero: %s\n", yes(bias == 0));
        unsigned long entry = getauxval(AT_ENTRY);
        printf("auxv: AT_ENTRY non-zero: %s\n", yes(entry != 0));
        printf("auxv: AT_ENTRY == e_entry + bias: %s\n", yes(entry == eh->e_entry + bias));
    }

    /* Natively AT_EXECFN is the path given to execve (absolute in the harness);
     * under Lintel it is the absolute init path. Only its shape is comparable. */
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("auxv: AT_EXECFN non-null: %s, absolute: %s\n", yes(execfn != 0),
           yes(execfn && execfn[0] == '/'));
    (void)argv0;

    printf("auxv: AT_UID == getuid(): %s\n", yes(getauxval(AT_UID) == getuid()));
    printf("auxv: AT_EUID == geteuid(): %s\n", yes(getauxval(AT_EUID) == geteuid()));
    printf("auxv: AT_GID == getgid(): %s\n", yes(getauxval(AT_GID) == getgid()));
    printf("auxv: AT_EGID == getegid(): %s\n", yes(getauxval(AT_EGID) == getegid()));
    printf("auxv: AT_SECURE=%lu\n", getauxval(AT_SECURE));
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("auxv: AT_PLATFORM=\"%s\"\n", platform ? platform : "(null)");
}

static void check_uname(void)
{
    struct utsname u;
    if (uname(&u) != 0) {
        printf("uname: failed errno=%d\n", errno);
        return;
    }
    printf("uname: sysname=\"%s\" machine=\"%s\"\n", u.sysname, u.machine);
}

static int ts_after(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static void check_clocks(void)
{
    struct timespec t0, t1;
    int r0 = clock_gettime(CLOCK_MONOTONIC, &t0);
    /* A short busy loop; keep spinning (bounded) in case the clock is coarse. */
    volatile unsigned long sink = 0;
    int advanced = 0;
    for (int round = 0; round < 1000 && !advanced; round++) {
        for (unsigned long i = 0; i < 100000; i++)
            sink += i;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        advanced = ts_after(&t1, &t0);
    }
    printf("clock: CLOCK_MONOTONIC ok: %s, advances: %s, nsec in range: %s\n", yes(r0 == 0),
           yes(advanced), yes(t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000));

    struct timespec rt;
    int r = clock_gettime(CLOCK_REALTIME, &rt);
    printf("clock: CLOCK_REALTIME ok: %s, after 2020-01-01: %s\n", yes(r == 0),
           yes(rt.tv_sec > 1577836800));
}

int main(int argc, char **argv)
{
    printf("hello from a static binary\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", yes(argv[argc] == 0));
    int n = 0;
    for (char **e = environ; *e; e++, n++)
        printf("env[%d]=\"%s\"\n", n, *e);
    printf("envc=%d\n", n);

    check_tls();
    check_auxv(argv[0]);
    check_uname();
    check_clocks();

    printf("bye\n");
    return 0;
}
