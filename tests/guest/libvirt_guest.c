/*
 * libvirt_guest: the program tests/tests/libvirt.rs boots through libvirt.
 * Prints its arguments and one environment variable on stdout, a line on
 * stderr (which, with libvirt's single serial port, lands on the same
 * console), and writes /from-guest.txt into the shared root directory for the
 * host to read once the domain is gone. Exit status 0 only when the file was
 * written and closed.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *who = getenv("LINTEL_WHO");
    if (!who)
        who = "(unset)";
    printf("libvirt guest: argc=%d", argc);
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf(" who=[%s]\n", who);
    fflush(stdout);
    fprintf(stderr, "libvirt guest: a line on stderr\n");

    FILE *f = fopen("/from-guest.txt", "w");
    if (!f) {
        perror("libvirt guest: fopen /from-guest.txt");
        return 1;
    }
    fprintf(f, "written by the guest for %s\n", who);
    for (int i = 1; i < argc; i++)
        fprintf(f, "arg %d: %s\n", i, argv[i]);
    if (fclose(f) != 0) {
        perror("libvirt guest: fclose");
        return 1;
    }
    printf("libvirt guest: wrote /from-guest.txt\n");
    return 0;
}
