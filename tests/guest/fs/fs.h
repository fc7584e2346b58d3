/*
 * Shared by the file-system programs in tests/guest/fs/: each program runs
 * once natively (in a fresh temporary directory on the host) and once under
 * Lintel (with a tmpfs root), and both runs must print the same lines.
 *
 * Every call is printed as its source text and its result:
 *     open("f", O_RDONLY) = 3
 *     rmdir("d") = -1 ENOTEMPTY
 * with errno *names*, never strerror text. Nothing that differs between two
 * correct systems is printed (inode and device numbers, timestamps, pointer
 * values, directory sizes, block counts, readdir order): relations are
 * printed instead ("same inode: yes").
 *
 * Each line also states what Linux does (T: succeeds, E: fails with that
 * errno, V: returns exactly that value, CHECK: the relation holds). When
 * the expectation does not hold the line gets a "  <-- UNEXPECTED" suffix,
 * a note goes to stderr, and the program exits 1: so a native run checks
 * the program, and a Lintel run points at the first difference by itself.
 */
#ifndef LINTEL_FS_H
#define LINTEL_FS_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Not every program uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

static int fs_unexpected;
static int fs_lines;

static const char *errname(int e)
{
	switch (e) {
#define N(x) case x: return #x;
	N(EPERM) N(ENOENT) N(ESRCH) N(EINTR) N(EIO) N(ENXIO) N(E2BIG)
	N(ENOEXEC) N(EBADF) N(ECHILD) N(EAGAIN) N(ENOMEM) N(EACCES) N(EFAULT)
	N(ENOTBLK) N(EBUSY) N(EEXIST) N(EXDEV) N(ENODEV) N(ENOTDIR) N(EISDIR)
	N(EINVAL) N(ENFILE) N(EMFILE) N(ENOTTY) N(ETXTBSY) N(EFBIG) N(ENOSPC)
	N(ESPIPE) N(EROFS) N(EMLINK) N(EPIPE) N(EDOM) N(ERANGE) N(EDEADLK)
	N(ENAMETOOLONG) N(ENOLCK) N(ENOSYS) N(ENOTEMPTY) N(ELOOP) N(ENODATA)
	N(EOVERFLOW) N(EOPNOTSUPP) N(ENOTSOCK) N(EDQUOT) N(ESTALE)
#undef N
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

static void fs_result(const char *what, long r, int err, int ok, const char *want)
{
	fs_lines++;
	if (r == -1)
		printf("%s = -1 %s", what, errname(err));
	else
		printf("%s = %ld", what, r);
	if (!ok) {
		fs_unexpected++;
		printf("  <-- UNEXPECTED (want %s)", want);
		fprintf(stderr, "UNEXPECTED: %s: want %s, got %ld (%s)\n", what, want, r,
			r == -1 ? errname(err) : "no error");
	}
	putchar('\n');
}

/* A call that succeeds (does not return -1). Evaluates to its result. */
#define T(call) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	fs_result(#call, r_, e_, r_ != -1, "success"); r_; })

/* A call that returns exactly `want`. */
#define V(call, want) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	long w_ = (long)(want); char d_[40]; snprintf(d_, sizeof d_, "%ld", w_); \
	fs_result(#call, r_, e_, r_ == w_, d_); r_; })

/* A call that fails with errno `err`. */
#define E(call, err) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	fs_result(#call, r_, e_, r_ == -1 && e_ == (err), "-1 " #err); r_; })

/* A call whose result is printed with no expectation (rarely needed). */
#define SHOW(call) ({ errno = 0; long r_ = (long)(call); int e_ = errno; \
	fs_result(#call, r_, e_, 1, ""); r_; })

/* A relation that holds on Linux: prints "what: yes" (or "no"). */
static int check(const char *what, int cond)
{
	fs_lines++;
	printf("%s: %s", what, cond ? "yes" : "no");
	if (!cond) {
		fs_unexpected++;
		printf("  <-- UNEXPECTED");
		fprintf(stderr, "UNEXPECTED: %s: no\n", what);
	}
	putchar('\n');
	return cond;
}
#define CHECK(what, cond) check(what, !!(cond))

/* A value printed as is, e.g. a mode or a size. */
#define SAY(...) (fs_lines++, printf(__VA_ARGS__), putchar('\n'))

/* A section heading, so a difference is easy to place. */
#define SECTION(name) printf("\n== %s\n", name)

/* Stops the program: the setup itself failed, nothing after makes sense. */
static void die(const char *what)
{
	int e = errno;
	printf("FATAL: %s: %s\n", what, errname(e));
	fprintf(stderr, "FATAL: %s: %s\n", what, errname(e));
	exit(2);
}

/* The directory the program started in, and its work directory below it. */
static char fs_base[PATH_MAX];

/*
 * Closes every fd above 2 (a native run may inherit some), sets the umask
 * to 022, ignores SIGPIPE (so a write to a closed pipe is EPIPE everywhere),
 * line-buffers stdout, then creates ./work (which must not exist) and
 * changes into it.
 */
static void setup(const char *name)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	printf("%s\n", name);
	if (mkdir("work", 0755) != 0)
		die("mkdir work");
	if (chdir("work") != 0)
		die("chdir work");
	if (!getcwd(fs_base, sizeof fs_base))
		die("getcwd");
}

/* `p` with the absolute path of the work directory replaced by "$W". */
static const char *rel(const char *p)
{
	static char out[PATH_MAX + 8];
	size_t n = strlen(fs_base);
	if (strncmp(p, fs_base, n) == 0 && (p[n] == '/' || p[n] == 0))
		snprintf(out, sizeof out, "$W%s", p + n);
	else
		snprintf(out, sizeof out, "(outside the work dir)");
	return out;
}

/* An absolute path below the work directory: "$W/<tail>". */
static const char *abs_path(const char *tail)
{
	static char out[2][PATH_MAX + 64];
	static int which;
	which ^= 1;
	snprintf(out[which], sizeof out[which], "%s/%s", fs_base, tail);
	return out[which];
}

static int finish(void)
{
	printf("\n%d lines, %d unexpected\n", fs_lines, fs_unexpected);
	return fs_unexpected ? 1 : 0;
}

/* Writes a whole string to a new file (mode 0644), or dies. */
static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n)
		die(path);
	close(fd);
}

/* Reads a whole (small) file into a static buffer, or "(error ENAME)". */
static const char *get_file(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(buf, sizeof buf, "(error %s)", errname(errno));
		return buf;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		snprintf(buf, sizeof buf, "(read error %s)", errname(errno));
		return buf;
	}
	buf[n] = 0;
	return buf;
}

/* The file type of a mode, as ls -l shows it. */
static char ftype(mode_t m)
{
	if (S_ISREG(m)) return '-';
	if (S_ISDIR(m)) return 'd';
	if (S_ISLNK(m)) return 'l';
	if (S_ISFIFO(m)) return 'p';
	if (S_ISCHR(m)) return 'c';
	if (S_ISBLK(m)) return 'b';
	if (S_ISSOCK(m)) return 's';
	return '?';
}

/* FNV-1a, 64 bits: a checksum for data read back. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

#endif
