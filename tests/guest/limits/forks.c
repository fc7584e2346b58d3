/*
 * Memory running out through processes: children are forked (each waits
 * on a pipe) until fork fails, which must be an errno (ENOMEM or EAGAIN),
 * not a crash; once they are gone, fork works again. Prints how far it got
 * only as "many" or "few", so the output does not depend on the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX 100000

int main(void)
{
	int p[2];
	if (pipe(p) < 0) {
		printf("pipe: %s\n", strerror(errno));
		return 1;
	}
	int n = 0, err = 0;
	for (; n < MAX; n++) {
		pid_t c = fork();
		if (c < 0) {
			err = errno;
			break;
		}
		if (c == 0) {
			char b;
			close(p[1]);
			read(p[0], &b, 1); /* until the parent closes its end */
			_exit(0);
		}
	}
	printf("forked %s children, then: %s\n", n >= 50 ? "many" : "few",
	       err == ENOMEM || err == EAGAIN ? "ENOMEM or EAGAIN" : strerror(err));
	close(p[1]);
	int reaped = 0, st;
	while (wait(&st) > 0)
		reaped++;
	printf("all reaped: %s\n", reaped == n ? "yes" : "no");
	int again = 0;
	for (; again < 20; again++) {
		pid_t c = fork();
		if (c < 0) {
			printf("again: %s\n", strerror(errno));
			break;
		}
		if (c == 0)
			_exit(0);
		waitpid(c, &st, 0);
	}
	printf("after reaping them: %d of 20 forks\n", again);
	return 0;
}
