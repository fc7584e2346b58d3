/*
 * Kernel memory running out: loopback TCP connections are opened (and
 * kept) until one fails, which must be an errno (ENOBUFS or ENOMEM), not
 * a crash; after closing them all, connections work again (the memory
 * came back). Prints how far it got only as "many" or "few", so the
 * output does not depend on the machine's size.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX 20000

static int fds[2 * MAX + 2];

static int open_pair(int l, struct sockaddr_in *a, int *out)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		return -1;
	out[0] = c;
	if (connect(c, (struct sockaddr *)a, sizeof *a) < 0)
		return -1;
	int s = accept(l, NULL, NULL);
	if (s < 0)
		return -1;
	out[1] = s;
	return 0;
}

int main(void)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(5000) };
	a.sin_addr.s_addr = htonl(0x7f000001);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) {
		printf("listen: %s\n", strerror(errno));
		return 1;
	}
	int n = 0, err = 0;
	memset(fds, -1, sizeof fds);
	for (; n < MAX; n++) {
		if (open_pair(l, &a, &fds[2 * n]) < 0) {
			err = errno;
			break;
		}
	}
	printf("opened %s connections, then: %s\n", n >= 50 ? "many" : "few",
	       n == MAX ? "no error" : strerror(err));
	for (int i = 0; i < 2 * MAX + 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	int again = 0;
	for (; again < 20; again++) {
		int p[2];
		if (open_pair(l, &a, p) < 0) {
			printf("again: %s\n", strerror(errno));
			break;
		}
		close(p[0]);
		close(p[1]);
	}
	printf("after closing them: %d of 20 connections\n", again);
	return 0;
}
