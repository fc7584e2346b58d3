/* File I/O in a directory (on the shared root):
 *
 *     fileio DIR MIB FILES
 *
 * seq_write      MIB MiB in 1 MiB writes, then fsync and close   MiB/s
 * seq_read_cold  the file read back in 1 MiB reads after asking  MiB/s
 *                the kernel to drop its caches (Linux: writes 3 to
 *                /proc/sys/vm/drop_caches; Lintel has no page cache)
 * seq_read_warm  read again at once                               MiB/s
 * rand_read_4k   4 KiB preads at random 4 KiB-aligned offsets     IOPS
 * create         FILES files created (open O_CREAT) and closed    ops/s
 * stat           stat of each                                     ops/s
 * readdir        the directory's entries, listed                  entries/s
 * unlink         unlink of each                                   ops/s
 *
 * Everything it creates is removed at the end. */
#include "bench.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define MIB (1024 * 1024)
#define RAND_MIN_NS 1000000000ull
#define READDIR_MIN_NS 300000000ull

static char extra[128];

static double per_sec(unsigned long long count, unsigned long long ns)
{
    return ns ? (double)count * 1e9 / (double)ns : 0.0;
}

static void drop_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "3\n", 2) < 0) {
            /* best effort */
        }
        close(fd);
    }
}

static void seq_read(const char *path, const char *name, char *buf, long mib)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open for reading");
    unsigned long long start = now_ns();
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, MIB);
        if (n < 0)
            fail("read");
        if (n == 0)
            break;
        total += n;
    }
    unsigned long long ns = now_ns() - start;
    close(fd);
    if (total != (long long)mib * MIB)
        fail("short file");
    emit(name, per_sec((unsigned long long)mib, ns), "MiB/s", extra);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fileio DIR MIB FILES\n");
        return 2;
    }
    const char *dir = argv[1];
    long mib = atol(argv[2]), files = atol(argv[3]);
    if (mib < 1 || files < 1) {
        fprintf(stderr, "fileio: MIB and FILES must be positive\n");
        return 2;
    }
    char path[4096], meta[4096], name[4200];
    snprintf(path, sizeof path, "%s/bench-data", dir);
    snprintf(meta, sizeof meta, "%s/bench-meta", dir);
    char *buf = malloc(MIB);
    if (!buf)
        fail("malloc");
    for (int i = 0; i < MIB; i++)
        buf[i] = (char)(i * 7 + 1);

    /* Sequential write + fsync. */
    snprintf(extra, sizeof extra, " size_mib=%ld", mib);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0)
        fail("create data file");
    unsigned long long start = now_ns();
    for (long i = 0; i < mib; i++)
        if (write(fd, buf, MIB) != MIB)
            fail("write");
    if (fsync(fd) != 0)
        fail("fsync");
    if (close(fd) != 0)
        fail("close");
    emit("seq_write", per_sec((unsigned long long)mib, now_ns() - start), "MiB/s", extra);

    drop_caches();
    seq_read(path, "seq_read_cold", buf, mib);
    seq_read(path, "seq_read_warm", buf, mib);

    /* Random 4 KiB preads. */
    fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open for pread");
    unsigned long long blocks = (unsigned long long)mib * (MIB / 4096), x = 88172645463325252ull, n = 0, t;
    start = now_ns();
    do {
        for (int i = 0; i < 64; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (pread(fd, buf, 4096, (off_t)((x % blocks) * 4096)) != 4096)
                fail("pread");
        }
        n += 64;
        t = now_ns();
    } while (t - start < RAND_MIN_NS);
    close(fd);
    emit("rand_read_4k", per_sec(n, t - start), "IOPS", extra);
    if (unlink(path) != 0)
        fail("unlink data file");

    /* Metadata. */
    snprintf(extra, sizeof extra, " files=%ld", files);
    if (mkdir(meta, 0755) != 0 && errno != EEXIST)
        fail("mkdir");
    start = now_ns();
    for (long i = 0; i < files; i++) {
        snprintf(name, sizeof name, "%s/f%06ld", meta, i);
        int f = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        if (f < 0)
            fail("create");
        close(f);
    }
    emit("create", per_sec((unsigned long long)files, now_ns() - start), "ops/s", extra);

    struct stat st;
    start = now_ns();
    for (long i = 0; i < files; i++) {
        snprintf(name, sizeof name, "%s/f%06ld", meta, i);
        if (stat(name, &st) != 0)
            fail("stat");
    }
    emit("stat", per_sec((unsigned long long)files, now_ns() - start), "ops/s", extra);

    unsigned long long entries = 0;
    start = now_ns();
    do {
        DIR *d = opendir(meta);
        if (!d)
            fail("opendir");
        long seen = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] == 'f')
                seen++;
        closedir(d);
        if (seen != files)
            fail("readdir count");
        entries += (unsigned long long)seen;
        t = now_ns();
    } while (t - start < READDIR_MIN_NS);
    emit("readdir", per_sec(entries, t - start), "entries/s", extra);

    start = now_ns();
    for (long i = 0; i < files; i++) {
        snprintf(name, sizeof name, "%s/f%06ld", meta, i);
        if (unlink(name) != 0)
            fail("unlink");
    }
    emit("unlink", per_sec((unsigned long long)files, now_ns() - start), "ops/s", extra);
    rmdir(meta);
    return 0;
}
