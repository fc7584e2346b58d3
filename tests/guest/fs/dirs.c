/*
 * Directories: mkdir mkdirat rmdir unlink unlinkat rename renameat
 * renameat2 getdents64 chdir fchdir getcwd.
 */
#include "fs.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static long renameat2_(int ofd, const char *old, int nfd, const char *new, unsigned flags)
{
	return syscall(SYS_renameat2, ofd, old, nfd, new, flags);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static long getdents64_(int fd, void *buf, size_t n)
{
	return syscall(SYS_getdents64, fd, buf, n);
}

/* getcwd without printing a pointer or a host-dependent length. */
static long getcwd_ok(char *buf, size_t size)
{
	return getcwd(buf, size) ? 0 : -1;
}

static void show_cwd(void)
{
	char buf[PATH_MAX];
	if (getcwd(buf, sizeof buf))
		SAY("cwd: %s", rel(buf));
	else
		SAY("cwd: error %s", errname(errno));
}

static long nlink_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

static void show_dir(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		SAY("%s: %s", path, errname(errno));
		return;
	}
	SAY("%s: type %c mode %o nlink %ld", path, ftype(st.st_mode), st.st_mode & 07777,
	    (long)st.st_nlink);
}

static int exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	int fd, dfd;
	long before;

	setup("fs/dirs");

	SECTION("mkdir");
	before = nlink_of(".");
	V(mkdir("d1", 0755), 0);
	CHECK("mkdir adds a link to the parent", nlink_of(".") == before + 1);
	show_dir("d1");
	E(mkdir("d1", 0755), EEXIST);
	E(mkdir("d1/", 0755), EEXIST);
	V(mkdir("d2", 0777), 0);
	show_dir("d2");
	V(mkdir("d3", 01777), 0);
	show_dir("d3");
	V(mkdir("d4/", 0700), 0);
	show_dir("d4");
	E(mkdir("nope/sub", 0755), ENOENT);
	put_file("f", "x");
	E(mkdir("f/sub", 0755), ENOTDIR);
	E(mkdir("f", 0755), EEXIST);
	E(mkdir("", 0755), ENOENT);
	E(mkdir(".", 0755), EEXIST);
	E(mkdir("..", 0755), EEXIST);

	SECTION("mkdirat");
	dfd = V(open("d1", O_RDONLY | O_DIRECTORY), 3);
	V(mkdirat(dfd, "sub", 0700), 0);
	show_dir("d1/sub");
	show_dir("d1");
	E(mkdirat(dfd, "sub", 0700), EEXIST);
	V(mkdirat(AT_FDCWD, "d5", 0755), 0);
	V(mkdirat(99, abs_path("d6"), 0755), 0);
	show_dir("d6");
	E(mkdirat(99, "x", 0755), EBADF);
	fd = V(open("f", O_RDONLY), 4);
	E(mkdirat(fd, "x", 0755), ENOTDIR);
	V(close(fd), 0);

	SECTION("rmdir");
	E(rmdir("d1"), ENOTEMPTY);
	E(rmdir("f"), ENOTDIR);
	E(rmdir("f/"), ENOTDIR);
	E(rmdir("nope"), ENOENT);
	E(rmdir(""), ENOENT);
	E(rmdir("."), EINVAL);
	E(rmdir("d1/."), EINVAL);
	E(rmdir(".."), ENOTEMPTY);
	E(rmdir("d1/.."), ENOTEMPTY);
	V(rmdir("d4/"), 0);
	E(rmdir("d4"), ENOENT);
	before = nlink_of("d1");
	V(rmdir("d1/sub"), 0);
	CHECK("rmdir removes a link from the parent", nlink_of("d1") == before - 1);
	V(rmdir("d6"), 0);
	/* d1 stays open as dfd. */
	V(rmdir("d1"), 0);
	E(mkdirat(dfd, "again", 0755), ENOENT);
	E(openat(dfd, "x", O_WRONLY | O_CREAT, 0644), ENOENT);
	V(close(dfd), 0);

	SECTION("unlink, unlinkat");
	V(unlink("f"), 0);
	E(unlink("f"), ENOENT);
	E(unlink("d2"), EISDIR);
	E(unlink("d2/"), EISDIR);
	put_file("g", "g");
	E(unlink("g/"), ENOTDIR);
	E(unlink(""), ENOENT);
	E(unlink("nope/x"), ENOENT);
	E(unlink("g/x"), ENOTDIR);
	V(mkdir("ud", 0755), 0);
	put_file("ud/file", "1");
	put_file("ud/file2", "2");
	V(mkdir("ud/dir", 0755), 0);
	V(mkdir("ud/dir2", 0755), 0);
	dfd = V(open("ud", O_RDONLY | O_DIRECTORY), 3);
	V(unlinkat(dfd, "file", 0), 0);
	V(unlinkat(dfd, "dir", AT_REMOVEDIR), 0);
	E(unlinkat(dfd, "file2", AT_REMOVEDIR), ENOTDIR);
	E(unlinkat(dfd, "dir2", 0), EISDIR);
	E(unlinkat(dfd, "nope", 0), ENOENT);
	E(unlinkat(dfd, ".", AT_REMOVEDIR), EINVAL);
	E(unlinkat(AT_FDCWD, "ud/file2", 0x1234), EINVAL);
	E(unlinkat(99, "x", 0), EBADF);
	V(unlinkat(AT_FDCWD, "ud/file2", 0), 0);
	V(unlinkat(99, abs_path("ud/dir2"), AT_REMOVEDIR), 0);
	V(close(dfd), 0);
	V(rmdir("ud"), 0);

	SECTION("rename");
	put_file("r1", "one");
	V(rename("r1", "r2"), 0);
	CHECK("r1 is gone", !exists("r1"));
	SAY("r2: \"%s\"", get_file("r2"));
	put_file("r3", "three");
	V(rename("r2", "r3"), 0);
	SAY("r3: \"%s\"", get_file("r3"));
	CHECK("r2 is gone", !exists("r2"));
	V(rename("r3", "r3"), 0);
	SAY("r3: \"%s\"", get_file("r3"));
	E(rename("nope", "x"), ENOENT);
	E(rename("r3", "nope/x"), ENOENT);
	E(rename("r3", "r3/x"), ENOTDIR);
	E(rename("r3", "r4/"), ENOTDIR);
	E(rename("r3/", "r4"), ENOTDIR);
	E(rename("", "r4"), ENOENT);
	V(mkdir("rd", 0755), 0);
	V(mkdir("rd/inner", 0755), 0);
	V(rename("rd", "rd2"), 0);
	show_dir("rd2/inner");
	E(rename("rd2", "rd2/inner/x"), EINVAL);
	E(rename("rd2", "rd2/inner"), EINVAL);
	E(rename("rd2", "rd2/new"), EINVAL);
	E(rename(".", "x"), EBUSY);
	E(rename("rd2", "."), EBUSY);
	E(rename("rd2", ".."), EBUSY);
	V(mkdir("full", 0755), 0);
	put_file("full/x", "x");
	E(rename("rd2", "full"), ENOTEMPTY);
	V(mkdir("empty", 0755), 0);
	before = nlink_of(".");
	V(rename("rd2", "empty"), 0);
	CHECK("a directory over an empty one drops a parent link", nlink_of(".") == before - 1);
	show_dir("empty/inner");
	CHECK("rd2 is gone", !exists("rd2"));
	E(rename("empty", "r3"), ENOTDIR);
	E(rename("r3", "full"), EISDIR);
	V(rename("full/", "full2/"), 0);
	SAY("full2/x: \"%s\"", get_file("full2/x"));
	V(rename("full2/x", "x-moved-out"), 0);
	SAY("x-moved-out: \"%s\"", get_file("x-moved-out"));
	/* Moving a directory updates its "..". */
	V(mkdir("mv-a", 0755), 0);
	V(mkdir("mv-b", 0755), 0);
	V(mkdir("mv-a/child", 0755), 0);
	V(rename("mv-a/child", "mv-b/child"), 0);
	show_dir("mv-a");
	show_dir("mv-b");
	{
		struct stat a, b;
		stat("mv-b/child/..", &a);
		stat("mv-b", &b);
		CHECK("the moved directory's .. is its new parent", a.st_ino == b.st_ino);
	}

	SECTION("renameat");
	dfd = V(open("full2", O_RDONLY | O_DIRECTORY), 3);
	put_file("full2/y", "yy");
	V(renameat(dfd, "y", AT_FDCWD, "y-out"), 0);
	SAY("y-out: \"%s\"", get_file("y-out"));
	V(renameat(AT_FDCWD, "y-out", dfd, "y-back"), 0);
	SAY("full2/y-back: \"%s\"", get_file("full2/y-back"));
	E(renameat(dfd, "nope", dfd, "x"), ENOENT);
	E(renameat(99, "y-back", dfd, "x"), EBADF);
	E(renameat(dfd, "y-back", 99, "x"), EBADF);
	V(close(dfd), 0);

	SECTION("renameat2");
	put_file("n1", "1");
	put_file("n2", "2");
	E(renameat2_(AT_FDCWD, "n1", AT_FDCWD, "n2", RENAME_NOREPLACE), EEXIST);
	V(renameat2_(AT_FDCWD, "n1", AT_FDCWD, "n3", RENAME_NOREPLACE), 0);
	V(renameat2_(AT_FDCWD, "n2", AT_FDCWD, "n3", RENAME_EXCHANGE), 0);
	SAY("n2: \"%s\"", get_file("n2"));
	SAY("n3: \"%s\"", get_file("n3"));
	E(renameat2_(AT_FDCWD, "n2", AT_FDCWD, "nope", RENAME_EXCHANGE), ENOENT);
	E(renameat2_(AT_FDCWD, "n2", AT_FDCWD, "n3", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	E(renameat2_(AT_FDCWD, "n2", AT_FDCWD, "n3", 0x100), EINVAL);
	V(renameat2_(AT_FDCWD, "n2", AT_FDCWD, "empty", RENAME_EXCHANGE), 0);
	show_dir("n2");
	show_dir("empty");
	show_dir("n2/inner");
	V(renameat2_(AT_FDCWD, "n3", AT_FDCWD, "n4", 0), 0);

	SECTION("getdents64");
	V(mkdir("many", 0755), 0);
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof name, "many/f%03d", i);
		put_file(name, "");
	}
	V(mkdir("many/sub", 0755), 0);
	V(symlink("f000", "many/lnk"), 0);
	{
		static char names[400][16];
		static char *sorted[400];
		static char gbuf[1024] __attribute__((aligned(8)));
		int count = 0, calls = 0, types_ok = 1, dots = 0;
		long n;
		char types[8] = "";
		fd = V(open("many", O_RDONLY | O_DIRECTORY), 3);
		E(getdents64_(fd, gbuf, 10), EINVAL);
		while ((n = getdents64_(fd, gbuf, sizeof gbuf)) > 0) {
			calls++;
			for (long off = 0; off < n;) {
				struct linux_dirent64 *d = (void *)(gbuf + off);
				if (count < 400)
					snprintf(names[count], sizeof names[count], "%s", d->d_name);
				if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
					dots++, types_ok &= d->d_type == DT_DIR;
				else if (!strcmp(d->d_name, "f123"))
					types[0] = d->d_type == DT_REG ? 'r' : '?';
				else if (!strcmp(d->d_name, "sub"))
					types[1] = d->d_type == DT_DIR ? 'd' : '?';
				else if (!strcmp(d->d_name, "lnk"))
					types[2] = d->d_type == DT_LNK ? 'l' : '?';
				count++;
				off += d->d_reclen;
			}
		}
		SAY("last getdents64 = %ld", n);
		CHECK("several calls were needed", calls > 5);
		SAY("entries: %d", count);
		CHECK(". and .. are there, as DT_DIR", dots == 2 && types_ok);
		SAY("d_type of f123, sub, lnk: %s", types);
		for (int i = 0; i < count && i < 400; i++)
			sorted[i] = names[i];
		qsort(sorted, count < 400 ? count : 400, sizeof sorted[0], cmp_str);
		for (int i = 0; i < count && i < 400; i += 10) {
			char line[256] = "";
			for (int j = i; j < i + 10 && j < count; j++) {
				strcat(line, " ");
				strcat(line, sorted[j]);
			}
			SAY("names:%s", line);
		}
		V(getdents64_(fd, gbuf, sizeof gbuf), 0);
		V(lseek(fd, 0, SEEK_SET), 0);
		int again = 0;
		while ((n = getdents64_(fd, gbuf, sizeof gbuf)) > 0)
			for (long off = 0; off < n; off += ((struct linux_dirent64 *)(gbuf + off))->d_reclen)
				again++;
		CHECK("after rewinding, the same number of entries", again == count);
		V(close(fd), 0);
		fd = V(open("many/f000", O_RDONLY), 3);
		E(getdents64_(fd, gbuf, sizeof gbuf), ENOTDIR);
		V(close(fd), 0);
		E(getdents64_(99, gbuf, sizeof gbuf), EBADF);
		/* An emptied directory lists only . and .. */
		for (int i = 0; i < 300; i++) {
			char name[32];
			snprintf(name, sizeof name, "many/f%03d", i);
			unlink(name);
		}
		V(unlink("many/lnk"), 0);
		V(rmdir("many/sub"), 0);
		fd = V(open("many", O_RDONLY | O_DIRECTORY), 3);
		count = 0;
		while ((n = getdents64_(fd, gbuf, sizeof gbuf)) > 0)
			for (long off = 0; off < n; off += ((struct linux_dirent64 *)(gbuf + off))->d_reclen)
				count++;
		SAY("entries after emptying: %d", count);
		V(close(fd), 0);
		V(rmdir("many"), 0);
	}

	SECTION("chdir, fchdir, getcwd");
	{
		char buf[PATH_MAX];
		show_cwd();
		V(chdir("d2"), 0);
		show_cwd();
		V(chdir(".."), 0);
		show_cwd();
		V(chdir("d2/"), 0);
		V(chdir("./../d3/."), 0);
		show_cwd();
		V(chdir(fs_base), 0);
		E(chdir("nope"), ENOENT);
		E(chdir("r3"), ENOTDIR);
		E(chdir(""), ENOENT);
		fd = V(open("d2", O_RDONLY | O_DIRECTORY), 3);
		V(fchdir(fd), 0);
		show_cwd();
		put_file("here", "in d2");
		V(chdir(fs_base), 0);
		SAY("d2/here: \"%s\"", get_file("d2/here"));
		V(close(fd), 0);
		fd = V(open("r3", O_RDONLY), 3);
		E(fchdir(fd), ENOTDIR);
		V(close(fd), 0);
		E(fchdir(99), EBADF);
		E(getcwd_ok(buf, 2), ERANGE);
		E(getcwd_ok(buf, 0), EINVAL);
		V(getcwd_ok(buf, sizeof buf), 0);
		/* The working directory removed under our feet. */
		V(mkdir("gonedir", 0755), 0);
		V(chdir("gonedir"), 0);
		V(rmdir(abs_path("gonedir")), 0);
		E(getcwd_ok(buf, sizeof buf), ENOENT);
		E(open("x", O_WRONLY | O_CREAT, 0644), ENOENT);
		E(mkdir("x", 0755), ENOENT);
		{
			struct stat st;
			V(stat(".", &st), 0);
			SAY("removed cwd: type %c nlink %ld", ftype(st.st_mode), (long)st.st_nlink);
		}
		V(chdir(fs_base), 0);
		show_cwd();
	}

	SECTION("what is left");
	show_dir("d2");
	show_dir("d3");
	show_dir("d5");
	show_dir("empty");
	show_dir("full2");
	show_dir("n2");
	return finish();
}
