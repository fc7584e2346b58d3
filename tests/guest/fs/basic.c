/*
 * Files: open openat creat close read write pread64 pwrite64 readv writev
 * preadv pwritev lseek ftruncate truncate fsync fdatasync sync; O_APPEND,
 * O_TRUNC, O_EXCL, O_DIRECTORY, trailing slashes, directories opened for
 * writing, sparse writes, long names and paths, an unlinked open file.
 */
#include "fs.h"

static char buf[8192];

/* The mode and size of a path, as a line. */
static void show_stat(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		SAY("stat %s: %s", path, errname(errno));
		return;
	}
	SAY("%s: type %c mode %o size %lld nlink %ld", path, ftype(st.st_mode),
	    st.st_mode & 07777, (long long)st.st_size, (long)st.st_nlink);
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	int fd, dfd;
	struct stat st;

	setup("fs/basic");

	SECTION("open, write, read, close");
	fd = V(open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0666), 3);
	V(write(fd, "hello, world\n", 13), 13);
	V(write(fd, "", 0), 0);
	E(read(fd, buf, 4), EBADF);
	V(close(fd), 0);
	E(close(fd), EBADF);
	E(close(-1), EBADF);
	show_stat("a.txt");
	E(open("a.txt", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	fd = V(open("a.txt", O_RDONLY), 3);
	V(read(fd, buf, 5), 5);
	SAY("read: \"%.5s\"", buf);
	V(read(fd, buf, sizeof buf), 8);
	SAY("read: \"%.7s\"", buf);
	V(read(fd, buf, sizeof buf), 0);
	V(read(fd, buf, 0), 0);
	E(write(fd, "x", 1), EBADF);
	V(close(fd), 0);
	fd = V(open("a.txt", O_RDWR), 3);
	V(write(fd, "J", 1), 1);
	V(read(fd, buf, 4), 4);
	SAY("read after write: \"%.4s\"", buf);
	V(close(fd), 0);
	SAY("contents: \"%s\"", get_file("a.txt"));

	SECTION("open errors");
	E(open("missing", O_RDONLY), ENOENT);
	E(open("missing/x", O_RDONLY | O_CREAT, 0644), ENOENT);
	E(open("", O_RDONLY), ENOENT);
	E(open("a.txt/", O_RDONLY), ENOTDIR);
	E(open("a.txt/x", O_RDONLY), ENOTDIR);
	E(open("a.txt/", O_WRONLY | O_CREAT, 0644), EISDIR);
	E(open("new/", O_WRONLY | O_CREAT, 0644), EISDIR);
	E(open("a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
	E(open("missing", O_RDONLY | O_DIRECTORY), ENOENT);
	E(open("a.txt", O_RDWR | O_NOFOLLOW | O_CREAT | O_EXCL, 0644), EEXIST);

	SECTION("directories");
	V(mkdir("d", 0755), 0);
	fd = V(open("d", O_RDONLY | O_DIRECTORY), 3);
	V(close(fd), 0);
	fd = V(open("d/", O_RDONLY), 3);
	E(read(fd, buf, 1), EISDIR);
	E(write(fd, "x", 1), EBADF);
	E(pread(fd, buf, 1, 0), EISDIR);
	V(close(fd), 0);
	E(open("d", O_WRONLY), EISDIR);
	E(open("d", O_RDWR), EISDIR);
	E(open("d", O_RDONLY | O_CREAT, 0644), EISDIR);
	E(open("d", O_RDONLY | O_TRUNC), EISDIR);
	E(open("d/", O_WRONLY | O_CREAT, 0644), EISDIR);
	E(open(".", O_WRONLY), EISDIR);

	SECTION("openat");
	dfd = V(open("d", O_RDONLY | O_DIRECTORY), 3);
	fd = V(openat(dfd, "in-d", O_WRONLY | O_CREAT, 0600), 4);
	V(write(fd, "inside\n", 7), 7);
	V(close(fd), 0);
	SAY("d/in-d: \"%s\"", get_file("d/in-d"));
	show_stat("d/in-d");
	fd = V(openat(AT_FDCWD, "d/in-d", O_RDONLY), 4);
	V(close(fd), 0);
	E(openat(dfd, "a.txt", O_RDONLY), ENOENT);
	fd = V(openat(dfd, abs_path("a.txt"), O_RDONLY), 4);
	V(close(fd), 0);
	fd = V(openat(dfd, "..", O_RDONLY | O_DIRECTORY), 4);
	V(fstat(fd, &st), 0);
	{
		struct stat cwd;
		stat(".", &cwd);
		CHECK("openat(d, \"..\") is the work dir", st.st_ino == cwd.st_ino && st.st_dev == cwd.st_dev);
	}
	V(close(fd), 0);
	fd = V(open("a.txt", O_RDONLY), 4);
	E(openat(fd, "x", O_RDONLY), ENOTDIR);
	V(close(fd), 0);
	E(openat(99, "x", O_RDONLY), EBADF);
	E(openat(-5, "x", O_RDONLY), EBADF);
	fd = V(openat(99, abs_path("a.txt"), O_RDONLY), 4);
	V(close(fd), 0);
	V(close(dfd), 0);

	SECTION("creat, O_TRUNC, umask");
	fd = V(syscall(SYS_creat, "c.txt", 0666), 3);
	V(write(fd, "creat data", 10), 10);
	E(read(fd, buf, 1), EBADF);
	V(close(fd), 0);
	show_stat("c.txt");
	fd = V(syscall(SYS_creat, "c.txt", 0600), 3);
	V(close(fd), 0);
	show_stat("c.txt");
	put_file("t.txt", "0123456789");
	fd = V(open("t.txt", O_RDWR | O_TRUNC), 3);
	V(fstat(fd, &st), 0);
	SAY("size after O_TRUNC: %lld", (long long)st.st_size);
	V(close(fd), 0);
	put_file("t.txt", "0123456789");
	fd = V(open("t.txt", O_RDONLY | O_TRUNC), 3);
	V(read(fd, buf, 10), 0);
	V(close(fd), 0);
	show_stat("t.txt");
	E(syscall(SYS_creat, "d", 0644), EISDIR);
	E(syscall(SYS_creat, "missing/x", 0644), ENOENT);

	SECTION("O_APPEND");
	put_file("app.txt", "start\n");
	fd = V(open("app.txt", O_WRONLY | O_APPEND), 3);
	V(lseek(fd, 0, SEEK_SET), 0);
	V(write(fd, "one\n", 4), 4);
	V(lseek(fd, 0, SEEK_CUR), 10);
	V(lseek(fd, 2, SEEK_SET), 2);
	V(write(fd, "two\n", 4), 4);
	V(lseek(fd, 0, SEEK_CUR), 14);
	/* Linux appends even with pwrite (see pwrite(2), BUGS). */
	V(pwrite(fd, "three\n", 6, 0), 6);
	V(close(fd), 0);
	SAY("app.txt: \"%s\"", get_file("app.txt"));
	fd = V(open("app.txt", O_RDWR | O_APPEND), 3);
	V(read(fd, buf, 5), 5);
	SAY("read from start: \"%.5s\"", buf);
	V(write(fd, "four\n", 5), 5);
	V(lseek(fd, 0, SEEK_CUR), 25);
	V(close(fd), 0);

	SECTION("lseek");
	put_file("alpha", "abcdefghijklmnopqrstuvwxyz");
	fd = V(open("alpha", O_RDONLY), 3);
	V(lseek(fd, 10, SEEK_SET), 10);
	V(read(fd, buf, 3), 3);
	SAY("read: \"%.3s\"", buf);
	V(lseek(fd, 2, SEEK_CUR), 15);
	V(lseek(fd, -1, SEEK_END), 25);
	V(read(fd, buf, 5), 1);
	SAY("read: \"%.1s\"", buf);
	V(lseek(fd, 0, SEEK_CUR), 26);
	E(lseek(fd, -1, SEEK_SET), EINVAL);
	E(lseek(fd, -100, SEEK_CUR), EINVAL);
	E(lseek(fd, -27, SEEK_END), EINVAL);
	V(lseek(fd, 0, SEEK_CUR), 26);
	E(lseek(fd, 0, 99), EINVAL);
	V(lseek(fd, 100, SEEK_END), 126);
	V(read(fd, buf, 5), 0);
	V(lseek(fd, 0, SEEK_DATA), 0);
	V(lseek(fd, 5, SEEK_DATA), 5);
	V(lseek(fd, 0, SEEK_HOLE), 26);
	V(lseek(fd, 25, SEEK_HOLE), 26);
	E(lseek(fd, 26, SEEK_DATA), ENXIO);
	E(lseek(fd, 26, SEEK_HOLE), ENXIO);
	E(lseek(fd, -1, SEEK_DATA), ENXIO);
	V(close(fd), 0);
	E(lseek(99, 0, SEEK_SET), EBADF);
	fd = V(open("d", O_RDONLY), 3);
	V(lseek(fd, 0, SEEK_SET), 0);
	V(close(fd), 0);

	SECTION("pread64, pwrite64");
	fd = V(open("alpha", O_RDWR), 3);
	V(lseek(fd, 4, SEEK_SET), 4);
	V(pread(fd, buf, 5, 10), 5);
	SAY("pread: \"%.5s\"", buf);
	V(lseek(fd, 0, SEEK_CUR), 4);
	V(pwrite(fd, "XYZ", 3, 3), 3);
	V(lseek(fd, 0, SEEK_CUR), 4);
	V(pread(fd, buf, 100, 20), 6);
	V(pread(fd, buf, 100, 26), 0);
	V(pread(fd, buf, 100, 1000), 0);
	E(pread(fd, buf, 1, -1), EINVAL);
	E(pwrite(fd, "x", 1, -1), EINVAL);
	V(pwrite(fd, "", 0, 5), 0);
	V(close(fd), 0);
	SAY("alpha: \"%s\"", get_file("alpha"));
	fd = V(open("alpha", O_RDONLY), 3);
	E(pwrite(fd, "x", 1, 0), EBADF);
	V(close(fd), 0);
	E(pread(99, buf, 1, 0), EBADF);

	SECTION("readv, writev, preadv, pwritev");
	{
		char a[2], b[3], c[40];
		struct iovec w[3] = { { "ab", 2 }, { "", 0 }, { "cdefg", 5 } };
		struct iovec r[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
		struct iovec bad[1] = { { "x", 1 } };
		fd = V(open("vec", O_RDWR | O_CREAT | O_TRUNC, 0644), 3);
		V(writev(fd, w, 3), 7);
		V(writev(fd, w, 0), 0);
		V(lseek(fd, 0, SEEK_SET), 0);
		V(readv(fd, r, 3), 7);
		SAY("readv: \"%.2s\" \"%.3s\" \"%.2s\"", a, b, c);
		V(readv(fd, r, 3), 0);
		V(pwritev(fd, w, 3, 100), 7);
		V(lseek(fd, 0, SEEK_CUR), 7);
		memset(c, '.', sizeof c);
		V(preadv(fd, r, 3, 98), 9);
		CHECK("preadv: two zero bytes, then the data",
		      a[0] == 0 && a[1] == 0 && memcmp(b, "abc", 3) == 0 && memcmp(c, "defg", 4) == 0);
		V(preadv(fd, r, 3, 200), 0);
		V(lseek(fd, 0, SEEK_CUR), 7);
		E(readv(fd, r, -1), EINVAL);
		E(writev(fd, bad, -1), EINVAL);
		E(writev(fd, bad, 1025), EINVAL);
		E(preadv(fd, r, 3, -1), EINVAL);
		E(writev(99, bad, 1), EBADF);
		V(fstat(fd, &st), 0);
		SAY("vec size %lld", (long long)st.st_size);
		V(close(fd), 0);
	}

	SECTION("sparse writes past the end");
	fd = V(open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644), 3);
	V(lseek(fd, 1048576 + 100, SEEK_SET), 1048676);
	V(write(fd, "end", 3), 3);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	V(pread(fd, buf, 4096, 500000), 4096);
	CHECK("the hole reads as zeros", all_zero(buf, 4096));
	V(pread(fd, buf, 10, 1048672), 7);
	CHECK("zeros then the data", all_zero(buf, 4) && memcmp(buf + 4, "end", 3) == 0);
	V(pwrite(fd, "far", 3, 3 * 1048576), 3);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	V(pread(fd, buf, 8192, 2 * 1048576), 8192);
	CHECK("the second hole reads as zeros", all_zero(buf, 8192));
	V(close(fd), 0);

	SECTION("truncate, ftruncate");
	put_file("tr", "0123456789");
	fd = V(open("tr", O_RDWR), 3);
	V(ftruncate(fd, 4), 0);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	V(ftruncate(fd, 8), 0);
	V(pread(fd, buf, 100, 0), 8);
	CHECK("grown part is zeros", memcmp(buf, "0123", 4) == 0 && all_zero(buf + 4, 4));
	V(lseek(fd, 0, SEEK_END), 8);
	E(ftruncate(fd, -1), EINVAL);
	V(close(fd), 0);
	fd = V(open("tr", O_RDONLY), 3);
	E(ftruncate(fd, 0), EINVAL);
	V(close(fd), 0);
	V(truncate("tr", 2), 0);
	SAY("tr: \"%s\"", get_file("tr"));
	V(truncate("tr", 0), 0);
	show_stat("tr");
	E(truncate("missing", 0), ENOENT);
	E(truncate("d", 0), EISDIR);
	E(truncate("tr/", 0), ENOTDIR);
	E(truncate("tr", -1), EINVAL);
	E(ftruncate(99, 0), EBADF);

	SECTION("fsync, fdatasync, sync");
	fd = V(open("a.txt", O_RDWR), 3);
	V(fsync(fd), 0);
	V(fdatasync(fd), 0);
	V(close(fd), 0);
	fd = V(open("a.txt", O_RDONLY), 3);
	V(fsync(fd), 0);
	V(close(fd), 0);
	fd = V(open("d", O_RDONLY), 3);
	V(fsync(fd), 0);
	V(close(fd), 0);
	V(syscall(SYS_sync), 0);
	E(fsync(99), EBADF);
	E(fdatasync(99), EBADF);

	SECTION("long names and paths");
	{
		static char n255[256], n256[257], p4095[4096], p4096[4097];
		memset(n255, 'n', 255);
		memset(n256, 'n', 256);
		for (int i = 0; i < 4095; i++)
			p4095[i] = i % 2 ? '/' : 'm';
		memcpy(p4096, p4095, 4095);
		p4096[4095] = 'm';
		fd = V(open(n255, O_WRONLY | O_CREAT, 0644), 3);
		V(close(fd), 0);
		V(unlink(n255), 0);
		E(open(n256, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
		E(open(n256, O_RDONLY), ENAMETOOLONG);
		E(mkdir(n256, 0755), ENAMETOOLONG);
		E(open(p4095, O_RDONLY), ENOENT);
		E(open(p4096, O_RDONLY), ENAMETOOLONG);
		E(mkdir(p4096, 0755), ENAMETOOLONG);
	}

	SECTION("an unlinked file stays readable while open");
	put_file("gone.txt", "still here\n");
	fd = V(open("gone.txt", O_RDWR), 3);
	V(unlink("gone.txt"), 0);
	E(open("gone.txt", O_RDONLY), ENOENT);
	V(read(fd, buf, sizeof buf), 11);
	SAY("read: \"%.10s\"", buf);
	V(fstat(fd, &st), 0);
	SAY("nlink %ld size %lld", (long)st.st_nlink, (long long)st.st_size);
	V(pwrite(fd, "more", 4, 11), 4);
	V(pread(fd, buf, sizeof buf, 0), 15);
	V(close(fd), 0);

	SECTION("leftovers");
	V(unlink("sparse"), 0);
	show_stat("a.txt");
	show_stat("alpha");
	show_stat("app.txt");
	show_stat("vec");
	return finish();
}
