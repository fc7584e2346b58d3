/* Reads FILE sequentially in 1 MiB blocks, over and over, for SECONDS:
 *     seqread FILE SECONDS
 * prints MiB/s; a steady workload for the samplers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    double secs = atof(argv[2]), start = now();
    static char buf[1 << 20];
    long long total = 0;
    while (now() - start < secs) {
        int fd = open(argv[1], O_RDONLY);
        if (fd < 0)
            return 1;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            total += n;
        close(fd);
    }
    printf("seqread %.1f MiB/s\n", total / 1048576.0 / (now() - start));
    return 0;
}
