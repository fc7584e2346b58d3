/* Lists DIR over and over for SECONDS, for the samplers:
 *     lsdir DIR SECONDS
 * prints entries/s. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
    long long entries = 0;
    do {
        DIR *d = opendir(argv[1]);
        if (!d)
            return 1;
        while (readdir(d))
            entries++;
        closedir(d);
    } while (now() - start < secs);
    printf("lsdir %.0f entries/s\n", entries / (now() - start));
    return 0;
}
