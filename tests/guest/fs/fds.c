/*
 * File descriptors: dup dup2 dup3 fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
 * F_SETFD, F_GETFL, F_SETFL) ioctl (FIONREAD, FIONBIO, FIOCLEX, FIONCLEX)
 * close; shared offsets and flags between duplicates.
 */
#include "fs.h"
#include <termios.h>

#define FL_MASK (O_ACCMODE | O_APPEND | O_NONBLOCK)

static char buf[256];

static long dup3_(int old, int new, int flags)
{
	return syscall(SYS_dup3, old, new, flags);
}

int main(void)
{
	int fd, n;
	struct termios tio;

	setup("fs/fds");
	put_file("f", "abcdefghij");
	fd = V(open("f", O_RDWR), 3);

	SECTION("dup");
	V(dup(fd), 4);
	V(dup(fd), 5);
	V(close(4), 0);
	V(dup(fd), 4);
	E(dup(99), EBADF);
	E(dup(-1), EBADF);
	V(read(3, buf, 2), 2);
	V(lseek(4, 0, SEEK_CUR), 2);
	V(read(4, buf, 3), 3);
	SAY("read via 4: \"%.3s\"", buf);
	V(lseek(5, 0, SEEK_CUR), 5);
	V(close(3), 0);
	V(read(4, buf, 2), 2);
	SAY("read via 4 after closing 3: \"%.2s\"", buf);
	V(dup(4), 3);
	V(fcntl(4, F_SETFD, FD_CLOEXEC), 0);
	V(dup(4), 6);
	V(fcntl(6, F_GETFD), 0);
	V(fcntl(4, F_GETFD), FD_CLOEXEC);

	SECTION("dup2");
	V(dup2(fd, 10), 10);
	V(dup2(fd, fd), 3);
	E(dup2(99, 10), EBADF);
	E(dup2(99, 99), EBADF);
	E(dup2(fd, -1), EBADF);
	E(dup2(fd, 1 << 20), EBADF);
	put_file("g", "GGGG");
	n = V(open("g", O_RDONLY), 7);
	V(dup2(n, 10), 10);
	V(pread(10, buf, 4, 0), 4);
	SAY("10 is now g: \"%.4s\"", buf);
	V(close(n), 0);
	V(fcntl(10, F_SETFD, FD_CLOEXEC), 0);
	V(dup2(10, 11), 11);
	V(fcntl(11, F_GETFD), 0);

	/* musl's dup3 checks some arguments itself and calls dup2 without
	 * O_CLOEXEC: the raw system call reaches the kernel every time. */
	SECTION("dup3");
	V(dup3_(fd, 12, O_CLOEXEC), 12);
	V(fcntl(12, F_GETFD), FD_CLOEXEC);
	V(dup3_(fd, 12, 0), 12);
	V(fcntl(12, F_GETFD), 0);
	E(dup3_(fd, fd, 0), EINVAL);
	E(dup3_(fd, fd, O_CLOEXEC), EINVAL);
	E(dup3_(fd, 13, O_APPEND), EINVAL);
	E(dup3_(99, 13, 0), EBADF);
	E(dup3_(fd, -1, 0), EBADF);
	E(dup3_(fd, 1 << 20, 0), EBADF);
	E(fcntl(13, F_GETFD), EBADF);

	SECTION("fcntl F_DUPFD, F_DUPFD_CLOEXEC");
	V(fcntl(fd, F_DUPFD, 20), 20);
	V(fcntl(fd, F_DUPFD, 20), 21);
	V(fcntl(20, F_GETFD), 0);
	V(fcntl(fd, F_DUPFD, 0), 7);
	V(fcntl(fd, F_DUPFD_CLOEXEC, 30), 30);
	V(fcntl(30, F_GETFD), FD_CLOEXEC);
	V(fcntl(fd, F_DUPFD_CLOEXEC, 30), 31);
	E(fcntl(fd, F_DUPFD, -1), EINVAL);
	E(fcntl(fd, F_DUPFD, 1 << 20), EINVAL);
	E(fcntl(99, F_DUPFD, 0), EBADF);

	SECTION("fcntl F_GETFD, F_SETFD");
	V(fcntl(fd, F_GETFD), 0);
	V(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	V(fcntl(fd, F_GETFD), FD_CLOEXEC);
	V(fcntl(fd, F_SETFD, 0), 0);
	V(fcntl(fd, F_GETFD), 0);
	V(fcntl(fd, F_SETFD, 0xff), 0);
	V(fcntl(fd, F_GETFD), FD_CLOEXEC);
	V(fcntl(fd, F_SETFD, 0), 0);
	V(fcntl(4, F_GETFD), FD_CLOEXEC);
	E(fcntl(99, F_GETFD), EBADF);
	E(fcntl(99, F_SETFD, 0), EBADF);
	n = V(open("f", O_RDONLY | O_CLOEXEC), 8);
	V(fcntl(n, F_GETFD), FD_CLOEXEC);
	V(close(n), 0);

	SECTION("fcntl F_GETFL, F_SETFL");
	/* Linux keeps O_LARGEFILE (set on every open on 64-bit) in the status flags. */
	V(fcntl(fd, F_GETFL), O_RDWR | 0100000);
	n = V(open("new", O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644), 8);
	V(fcntl(n, F_GETFL) & ~0100000, O_WRONLY);
	V(close(n), 0);
	n = V(open("f", O_RDONLY | O_APPEND | O_NONBLOCK), 8);
	V(fcntl(n, F_GETFL) & FL_MASK, O_RDONLY | O_APPEND | O_NONBLOCK);
	V(close(n), 0);
	V(fcntl(fd, F_SETFL, O_APPEND), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR | O_APPEND);
	V(fcntl(4, F_GETFL) & FL_MASK, O_RDWR | O_APPEND);
	V(lseek(fd, 0, SEEK_SET), 0);
	V(write(fd, "K", 1), 1);
	V(lseek(fd, 0, SEEK_CUR), 11);
	SAY("f: \"%s\"", get_file("f"));
	V(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR | O_NONBLOCK);
	V(fcntl(fd, F_SETFL, O_WRONLY | O_CREAT | O_TRUNC), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR);
	SAY("f still: \"%s\"", get_file("f"));
	V(fcntl(fd, F_SETFL, 0), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR);
	E(fcntl(99, F_GETFL), EBADF);
	E(fcntl(99, F_SETFL, 0), EBADF);
	E(fcntl(fd, 9999), EINVAL);

	SECTION("ioctl");
	V(lseek(fd, 0, SEEK_SET), 0);
	n = -1;
	V(ioctl(fd, FIONREAD, &n), 0);
	SAY("FIONREAD at 0: %d", n);
	V(lseek(fd, 3, SEEK_SET), 3);
	V(ioctl(fd, FIONREAD, &n), 0);
	SAY("FIONREAD at 3: %d", n);
	n = 1;
	V(ioctl(fd, FIONBIO, &n), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR | O_NONBLOCK);
	n = 0;
	V(ioctl(fd, FIONBIO, &n), 0);
	V(fcntl(fd, F_GETFL) & FL_MASK, O_RDWR);
	V(ioctl(fd, FIOCLEX), 0);
	V(fcntl(fd, F_GETFD), FD_CLOEXEC);
	V(fcntl(4, F_GETFD), FD_CLOEXEC);
	V(fcntl(5, F_GETFD), 0);
	V(ioctl(fd, FIONCLEX), 0);
	V(fcntl(fd, F_GETFD), 0);
	E(ioctl(fd, TCGETS, &tio), ENOTTY);
	E(ioctl(fd, 0x5401ff, &n), ENOTTY);
	E(ioctl(99, FIONREAD, &n), EBADF);
	n = V(open(".", O_RDONLY | O_DIRECTORY), 8);
	E(ioctl(n, FIONREAD, &tio), ENOTTY);
	V(close(n), 0);

	SECTION("close");
	V(close(fd), 0);
	E(close(fd), EBADF);
	E(read(fd, buf, 1), EBADF);
	V(pread(4, buf, 3, 0), 3);
	SAY("4 still reads: \"%.3s\"", buf);
	for (int i = 4; i <= 31; i++)
		close(i);
	E(close(99), EBADF);
	E(close(-1), EBADF);
	V(open("f", O_RDONLY), 3);
	V(open("f", O_RDONLY), 4);
	V(close(3), 0);
	V(open("g", O_RDONLY), 3);
	return finish();
}
