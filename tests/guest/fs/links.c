/*
 * Links: link linkat symlink symlinkat readlink readlinkat lchown, symlink
 * resolution (loops, ELOOP at 40 links, O_NOFOLLOW, trailing slashes,
 * O_CREAT through a dangling symlink).
 *
 * It leaves a known tree behind in ./work, which tests/tests/fs_suite.rs
 * checks on the host after the native run (listed at the end).
 */
#include "fs.h"

static char buf[PATH_MAX];

static int same_inode(const char *a, const char *b)
{
	struct stat x, y;
	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

static void show(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		SAY("%s: %s", path, errname(errno));
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, buf, sizeof buf - 1);
		buf[n < 0 ? 0 : n] = 0;
		SAY("%s: type l size %lld -> %s", path, (long long)st.st_size, buf);
	} else if (S_ISDIR(st.st_mode)) {
		SAY("%s: type d mode %o", path, st.st_mode & 07777);
	} else {
		SAY("%s: type %c mode %o size %lld nlink %ld", path, ftype(st.st_mode),
		    st.st_mode & 07777, (long long)st.st_size, (long)st.st_nlink);
	}
}

static long readlink_(const char *path, size_t n)
{
	memset(buf, 0, sizeof buf);
	return syscall(SYS_readlink, path, buf, n);
}

int main(void)
{
	int fd, dfd;
	struct stat st;

	setup("fs/links");
	put_file("target.txt", "target\n");

	SECTION("link");
	V(link("target.txt", "hard"), 0);
	CHECK("hard is target.txt", same_inode("hard", "target.txt"));
	show("target.txt");
	SAY("hard: \"%s\"", get_file("hard"));
	E(link("target.txt", "hard"), EEXIST);
	E(link("nope", "x"), ENOENT);
	V(mkdir("dir", 0755), 0);
	E(link("dir", "dir-hard"), EPERM);
	E(link("target.txt", "nope/x"), ENOENT);
	E(link("target.txt", "target.txt/x"), ENOTDIR);
	E(link("target.txt/", "x"), ENOTDIR);
	E(link("target.txt", ""), ENOENT);
	put_file("hard", "written via hard\n");
	SAY("target.txt: \"%s\"", get_file("target.txt"));
	put_file("hard", "target\n");

	SECTION("linkat");
	dfd = V(open("dir", O_RDONLY | O_DIRECTORY), 3);
	V(linkat(AT_FDCWD, "target.txt", dfd, "in-dir", 0), 0);
	CHECK("dir/in-dir is target.txt", same_inode("dir/in-dir", "target.txt"));
	V(symlink("target.txt", "sym"), 0);
	V(linkat(AT_FDCWD, "sym", AT_FDCWD, "sym-hard", 0), 0);
	V(lstat("sym-hard", &st), 0);
	CHECK("linkat without AT_SYMLINK_FOLLOW links the symlink itself", S_ISLNK(st.st_mode));
	V(linkat(AT_FDCWD, "sym", AT_FDCWD, "sym-follow", AT_SYMLINK_FOLLOW), 0);
	V(lstat("sym-follow", &st), 0);
	CHECK("with AT_SYMLINK_FOLLOW it links the target", S_ISREG(st.st_mode) && same_inode("sym-follow", "target.txt"));
	show("target.txt");
	E(linkat(AT_FDCWD, "target.txt", AT_FDCWD, "x", 0x1234), EINVAL);
	E(linkat(99, "target.txt", AT_FDCWD, "x", 0), EBADF);
	E(linkat(AT_FDCWD, "target.txt", 99, "x", 0), EBADF);
	E(linkat(dfd, "in-dir", dfd, "in-dir", 0), EEXIST);
	V(unlink("sym-follow"), 0);
	V(unlink("sym-hard"), 0);
	show("target.txt");

	SECTION("symlink");
	V(readlink_("sym", 64), 10);
	SAY("sym -> %s", buf);
	show("sym");
	SAY("sym: \"%s\"", get_file("sym"));
	E(symlink("x", "sym"), EEXIST);
	E(symlink("x", "target.txt"), EEXIST);
	E(symlink("", "empty-link"), ENOENT);
	E(symlink("x", "nope/y"), ENOENT);
	E(symlink("x", "target.txt/y"), ENOTDIR);
	V(symlink("nowhere", "dangling"), 0);
	E(stat("dangling", &st), ENOENT);
	V(lstat("dangling", &st), 0);
	show("dangling");
	V(symlink("dir", "dirlink"), 0);
	V(stat("dirlink", &st), 0);
	CHECK("stat follows a symlink to a directory", S_ISDIR(st.st_mode));
	V(lstat("dirlink", &st), 0);
	CHECK("lstat does not", S_ISLNK(st.st_mode));
	V(lstat("dirlink/", &st), 0);
	CHECK("lstat of dirlink/ follows it", S_ISDIR(st.st_mode));
	SAY("dirlink/in-dir: \"%s\"", get_file("dirlink/in-dir"));
	E(rmdir("dirlink"), ENOTDIR);
	E(lstat("sym/", &st), ENOTDIR);
	E(lstat("dangling/", &st), ENOENT);
	V(symlink("a/b/../../target.txt", "dotty"), 0);
	E(stat("dotty", &st), ENOENT);
	V(symlink(abs_path("target.txt"), "absolute"), 0);
	SAY("absolute: \"%s\"", get_file("absolute"));
	V(unlink("absolute"), 0);
	V(unlink("dotty"), 0);

	SECTION("symlinkat");
	V(symlinkat("../target.txt", dfd, "up"), 0);
	SAY("dir/up: \"%s\"", get_file("dir/up"));
	V(symlinkat("dir/up", AT_FDCWD, "via-up"), 0);
	SAY("via-up: \"%s\"", get_file("via-up"));
	V(unlink("via-up"), 0);
	E(symlinkat("x", 99, "y"), EBADF);
	E(symlinkat("x", dfd, "up"), EEXIST);
	fd = V(open("target.txt", O_RDONLY), 4);
	E(symlinkat("x", fd, "y"), ENOTDIR);
	V(close(fd), 0);

	SECTION("readlink, readlinkat");
	V(readlink_("sym", 3), 3);
	SAY("truncated: \"%s\"", buf);
	E(readlink_("sym", 0), EINVAL);
	E(readlink_("target.txt", 64), EINVAL);
	E(readlink_("dir", 64), EINVAL);
	E(readlink_("nope", 64), ENOENT);
	E(readlink_("sym/", 64), ENOTDIR);
	V(readlink_("dirlink", 64), 3);
	SAY("dirlink -> %s", buf);
	memset(buf, 0, sizeof buf);
	V(readlinkat(dfd, "up", buf, 64), 13);
	SAY("dir/up -> %s", buf);
	memset(buf, 0, sizeof buf);
	V(readlinkat(AT_FDCWD, "sym", buf, 64), 10);
	E(readlinkat(99, "sym", buf, 64), EBADF);
	E(readlinkat(dfd, "in-dir", buf, 64), EINVAL);

	SECTION("loops and limits");
	V(symlink("loop2", "loop1"), 0);
	V(symlink("loop1", "loop2"), 0);
	V(symlink("self", "self"), 0);
	E(open("loop1", O_RDONLY), ELOOP);
	E(stat("loop1", &st), ELOOP);
	V(lstat("loop1", &st), 0);
	E(open("loop1/x", O_RDONLY), ELOOP);
	E(open("self", O_RDONLY), ELOOP);
	E(open("self", O_WRONLY | O_CREAT, 0644), ELOOP);
	E(mkdir("self/x", 0755), ELOOP);
	E(chdir("self"), ELOOP);
	/* c00 -> c01 -> ... -> c40 -> target.txt: 41 links from c00. */
	for (int i = 0; i <= 40; i++) {
		char name[8], to[16];
		snprintf(name, sizeof name, "c%02d", i);
		if (i == 40)
			snprintf(to, sizeof to, "target.txt");
		else
			snprintf(to, sizeof to, "c%02d", i + 1);
		if (symlink(to, name) != 0)
			die("symlink chain");
	}
	fd = V(open("c01", O_RDONLY), 4);
	V(close(fd), 0);
	E(open("c00", O_RDONLY), ELOOP);
	E(stat("c00", &st), ELOOP);
	for (int i = 0; i <= 40; i++) {
		char name[8];
		snprintf(name, sizeof name, "c%02d", i);
		unlink(name);
	}
	V(unlink("loop1"), 0);
	V(unlink("loop2"), 0);
	V(unlink("self"), 0);

	SECTION("O_NOFOLLOW");
	E(open("sym", O_RDONLY | O_NOFOLLOW), ELOOP);
	E(open("dangling", O_RDONLY | O_NOFOLLOW), ELOOP);
	E(open("sym", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), ELOOP);
	fd = V(open("dirlink/in-dir", O_RDONLY | O_NOFOLLOW), 4);
	V(close(fd), 0);
	fd = V(open("target.txt", O_RDONLY | O_NOFOLLOW), 4);
	V(close(fd), 0);

	SECTION("O_CREAT through a dangling symlink");
	E(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	E(stat("nowhere", &st), ENOENT);
	fd = V(open("dangling", O_WRONLY | O_CREAT, 0640), 4);
	V(write(fd, "made via link\n", 14), 14);
	V(close(fd), 0);
	show("nowhere");
	SAY("dangling: \"%s\"", get_file("dangling"));

	SECTION("lchown, unlink of links");
	V(lchown("sym", 1234, 5678), 0);
	V(lstat("sym", &st), 0);
	SAY("sym owner %d:%d", (int)st.st_uid, (int)st.st_gid);
	V(stat("sym", &st), 0);
	SAY("target owner %d:%d", (int)st.st_uid, (int)st.st_gid);
	V(lchown("sym", 0, 0), 0);
	E(lchown("nope", 0, 0), ENOENT);
	V(symlink("target.txt", "doomed"), 0);
	V(unlink("doomed"), 0);
	CHECK("unlinking a symlink keeps its target", access("target.txt", F_OK) == 0);
	V(link("target.txt", "doomed-hard"), 0);
	V(unlink("target.txt"), 0);
	SAY("doomed-hard: \"%s\"", get_file("doomed-hard"));
	V(rename("doomed-hard", "target.txt"), 0);
	/* rename between two names of one inode does nothing (and succeeds). */
	V(rename("hard", "target.txt"), 0);
	CHECK("both names are still there", access("hard", F_OK) == 0 && access("target.txt", F_OK) == 0);
	V(close(dfd), 0);

	SECTION("the tree left behind");
	show("dangling");
	show("dir");
	show("dir/in-dir");
	show("dir/up");
	show("dirlink");
	show("hard");
	show("nowhere");
	show("sym");
	show("target.txt");
	return finish();
}
