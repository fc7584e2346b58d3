/*
 * Pipes: pipe pipe2 (O_CLOEXEC, O_NONBLOCK), EAGAIN, end of file, EPIPE
 * (SIGPIPE ignored, then blocked), ESPIPE, FIONREAD/FIONBIO/FIOCLEX on a
 * pipe, duplicated write ends.
 */
#include "fs.h"

static char buf[8192];

int main(void)
{
	int p[2], q[2], n;
	struct stat st;

	setup("fs/pipes");

	SECTION("pipe");
	V(pipe(p), 0);
	SAY("fds %d %d", p[0], p[1]);
	V(fstat(p[0], &st), 0);
	SAY("read end: type %c mode %o", ftype(st.st_mode), st.st_mode & 07777);
	V(fstat(p[1], &st), 0);
	SAY("write end: type %c mode %o", ftype(st.st_mode), st.st_mode & 07777);
	V(fcntl(p[0], F_GETFL), O_RDONLY);
	V(fcntl(p[1], F_GETFL), O_WRONLY);
	V(fcntl(p[0], F_GETFD), 0);
	n = -1;
	V(ioctl(p[0], FIONREAD, &n), 0);
	SAY("FIONREAD empty: %d", n);
	V(write(p[1], "hello", 5), 5);
	V(ioctl(p[0], FIONREAD, &n), 0);
	SAY("FIONREAD: %d", n);
	V(read(p[0], buf, 100), 5);
	SAY("read: \"%.5s\"", buf);
	V(write(p[1], "abcdef", 6), 6);
	V(read(p[0], buf, 2), 2);
	V(ioctl(p[0], FIONREAD, &n), 0);
	SAY("FIONREAD after a partial read: %d", n);
	V(read(p[0], buf, 100), 4);
	SAY("read: \"%.4s\"", buf);
	V(write(p[1], "", 0), 0);
	V(read(p[0], buf, 0), 0);
	E(read(p[1], buf, 1), EBADF);
	E(write(p[0], "x", 1), EBADF);

	SECTION("no seeking");
	E(lseek(p[0], 0, SEEK_SET), ESPIPE);
	E(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	E(lseek(p[1], 0, SEEK_END), ESPIPE);
	E(pread(p[0], buf, 1, 0), ESPIPE);
	E(pwrite(p[1], "x", 1, 0), ESPIPE);
	E(fsync(p[1]), EINVAL);
	E(ftruncate(p[1], 0), EINVAL);

	SECTION("readv, writev");
	{
		char a[3], b[10];
		struct iovec w[2] = { { "abc", 3 }, { "defg", 4 } };
		struct iovec r[2] = { { a, sizeof a }, { b, sizeof b } };
		V(writev(p[1], w, 2), 7);
		V(readv(p[0], r, 2), 7);
		SAY("readv: \"%.3s\" \"%.4s\"", a, b);
	}

	SECTION("end of file");
	V(write(p[1], "last", 4), 4);
	V(close(p[1]), 0);
	V(read(p[0], buf, 100), 4);
	V(read(p[0], buf, 100), 0);
	V(read(p[0], buf, 100), 0);
	V(close(p[0]), 0);

	SECTION("EPIPE, SIGPIPE ignored");
	V(pipe(p), 0);
	V(close(p[0]), 0);
	E(write(p[1], "x", 1), EPIPE);
	V(write(p[1], "", 0), 0);
	V(close(p[1]), 0);

	SECTION("a duplicated write end");
	V(pipe2(p, O_NONBLOCK), 0);
	n = V(dup(p[1]), 5);
	V(close(p[1]), 0);
	E(read(p[0], buf, 1), EAGAIN);
	V(write(n, "z", 1), 1);
	V(close(n), 0);
	V(read(p[0], buf, 10), 1);
	V(read(p[0], buf, 10), 0);
	V(close(p[0]), 0);

	SECTION("pipe2");
	V(pipe2(p, O_CLOEXEC), 0);
	V(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	V(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	V(fcntl(p[0], F_GETFL), O_RDONLY);
	V(close(p[0]), 0);
	V(close(p[1]), 0);
	V(pipe2(p, 0), 0);
	V(fcntl(p[0], F_GETFD), 0);
	V(close(p[0]), 0);
	V(close(p[1]), 0);
	E(pipe2(p, O_APPEND), EINVAL);
	E(pipe2(p, 0x12345678), EINVAL);
	V(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	V(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	V(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	V(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	E(read(p[0], buf, 1), EAGAIN);
	V(read(p[0], buf, 0), 0);
	V(write(p[1], "nb", 2), 2);
	V(read(p[0], buf, 10), 2);
	E(read(p[0], buf, 10), EAGAIN);
	{
		long total = 0, r;
		int writes = 0;
		memset(buf, 'p', 4096);
		while ((r = write(p[1], buf, 4096)) > 0 && writes < 10000) {
			total += r;
			writes++;
		}
		int e = errno;
		SAY("filling the pipe ends with: %s", r < 0 ? errname(e) : "a short write");
		CHECK("it held at least 4096 bytes", total >= 4096);
		n = -1;
		V(ioctl(p[0], FIONREAD, &n), 0);
		CHECK("FIONREAD is what was written", n == total);
		V(read(p[0], buf, 4096), 4096);
		V(write(p[1], buf, 4096), 4096);
		long drained = 0;
		while ((r = read(p[0], buf, sizeof buf)) > 0)
			drained += r;
		CHECK("everything written comes out", drained == total);
		CHECK("and then EAGAIN", r < 0 && errno == EAGAIN);
	}
	V(close(p[1]), 0);
	V(read(p[0], buf, 10), 0);
	V(close(p[0]), 0);

	SECTION("ioctl on a pipe");
	V(pipe(p), 0);
	n = 1;
	V(ioctl(p[0], FIONBIO, &n), 0);
	V(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
	E(read(p[0], buf, 1), EAGAIN);
	n = 0;
	V(ioctl(p[0], FIONBIO, &n), 0);
	V(fcntl(p[0], F_GETFL), O_RDONLY);
	V(ioctl(p[1], FIOCLEX), 0);
	V(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	V(ioctl(p[1], FIONCLEX), 0);
	V(fcntl(p[1], F_GETFD), 0);
	V(write(p[1], "0123456789", 10), 10);
	V(ioctl(p[1], FIONREAD, &n), 0);
	SAY("FIONREAD on the write end: %d", n);
	V(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	V(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK);
	V(close(p[0]), 0);
	V(close(p[1]), 0);

	SECTION("two pipes");
	V(pipe(p), 0);
	V(pipe(q), 0);
	SAY("fds %d %d %d %d", p[0], p[1], q[0], q[1]);
	V(write(q[1], "Q", 1), 1);
	V(write(p[1], "P", 1), 1);
	V(read(q[0], buf, 10), 1);
	SAY("q: %.1s", buf);
	V(read(p[0], buf, 10), 1);
	SAY("p: %.1s", buf);
	V(close(p[0]), 0);
	V(close(p[1]), 0);
	V(close(q[0]), 0);
	V(close(q[1]), 0);

	SECTION("EPIPE with SIGPIPE blocked: the signal is pending");
	{
		sigset_t block, pending;
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&block);
		sigaddset(&block, SIGPIPE);
		V(sigprocmask(SIG_BLOCK, &block, NULL), 0);
		V(pipe(p), 0);
		V(close(p[0]), 0);
		E(write(p[1], "x", 1), EPIPE);
		V(sigpending(&pending), 0);
		CHECK("SIGPIPE is pending", sigismember(&pending, SIGPIPE));
		/* Ignoring it discards the pending one. */
		signal(SIGPIPE, SIG_IGN);
		V(sigpending(&pending), 0);
		CHECK("ignoring it discards it", !sigismember(&pending, SIGPIPE));
		V(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
		V(close(p[1]), 0);
	}
	return finish();
}
