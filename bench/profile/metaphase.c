/* Metadata phases for 9P request counting (ninep_phases.py):
 *     metaphase N
 * creates N files in /work/m, stats them, unlinks them; a chmod of /work
 * (one Tsetattr) separates the phases in the server's trace. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    char p[64];
    struct stat st;
    mkdir("/work/m", 0755);
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/work/m/f%06d", i);
        close(open(p, O_CREAT | O_WRONLY, 0644));
    }
    chmod("/work", 0755);
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/work/m/f%06d", i);
        stat(p, &st);
    }
    chmod("/work", 0755);
    for (int i = 0; i < n; i++) {
        snprintf(p, sizeof p, "/work/m/f%06d", i);
        unlink(p);
    }
    chmod("/work", 0755);
    rmdir("/work/m");
    return 0;
}
