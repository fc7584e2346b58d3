/* A guest program of run_cli.rs: copies stdin to stdout, then reports the
 * byte count on stderr. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char buf[4096];
	long total = 0;
	ssize_t n;

	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (write(1, buf, n) != n)
			return 1;
		total += n;
	}
	if (n < 0) {
		perror("read");
		return 1;
	}
	fprintf(stderr, "%ld bytes\n", total);
	return 0;
}
