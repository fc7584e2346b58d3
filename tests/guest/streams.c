/* streams: writes to stdout and stderr, interleaved; each stream must arrive
 * separately and intact. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    printf("out: line 1\n");
    fflush(stdout);
    fprintf(stderr, "err: line 1\n");
    printf("out: line 2\n");
    fflush(stdout);
    fprintf(stderr, "err: line 2\n");
    const char raw_out[] = "out: raw write(1)\n";
    const char raw_err[] = "err: raw write(2)\n";
    write(1, raw_out, strlen(raw_out));
    write(2, raw_err, strlen(raw_err));
    printf("out: done\n");
    return 0;
}
