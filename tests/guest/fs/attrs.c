/*
 * Attributes: fstat stat lstat newfstatat statx access faccessat faccessat2
 * chmod fchmod fchmodat chown fchown fchownat lchown utimensat umask statfs
 * fstatfs. The stat calls are made as the raw system calls their names say.
 */
#include "fs.h"
#include <sys/sysmacros.h>

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif
#define TMPFS_MAGIC 0x01021994

/* struct statx (musl 1.2.3 has no statx wrapper). */
struct statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct statx_ {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad1;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
#define STATX_BASIC_STATS_ 0x7ffU
#define STATX__RESERVED_ 0x80000000U

static long statx_(int dfd, const char *path, int flags, unsigned mask, struct statx_ *buf)
{
	return syscall(SYS_statx, dfd, path, flags, mask, buf);
}

static long faccessat2_(int dfd, const char *path, int mode, int flags)
{
	return syscall(SYS_faccessat2, dfd, path, mode, flags);
}

static void show_stat(const char *what, const struct stat *s)
{
	SAY("%s: type %c mode %o nlink %ld uid %d gid %d size %lld", what, ftype(s->st_mode),
	    s->st_mode & 07777, (long)s->st_nlink, (int)s->st_uid, (int)s->st_gid,
	    ftype(s->st_mode) == 'd' ? 0LL : (long long)s->st_size);
}

static void show_path(const char *path)
{
	struct stat s;
	if (lstat(path, &s) != 0)
		SAY("%s: %s", path, errname(errno));
	else
		show_stat(path, &s);
}

static void show_times(const char *path, int follow)
{
	struct stat s;
	if ((follow ? stat(path, &s) : lstat(path, &s)) != 0) {
		SAY("%s: %s", path, errname(errno));
		return;
	}
	SAY("%s: atime %lld.%09ld mtime %lld.%09ld", path, (long long)s.st_atim.tv_sec,
	    s.st_atim.tv_nsec, (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
}

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return ns(t);
}

int main(void)
{
	int fd, dfd;

	setup("fs/attrs");
	put_file("f", "0123456789");
	V(symlink("f", "sl"), 0);
	V(symlink("nowhere", "dangling"), 0);
	V(mkdir("d", 0750), 0);

	SECTION("stat, lstat, fstat, newfstatat");
	{
		struct stat a, b;
		V(syscall(SYS_stat, "f", &a), 0);
		show_stat("stat f", &a);
		fd = V(open("f", O_RDONLY), 3);
		V(syscall(SYS_fstat, fd, &b), 0);
		CHECK("fstat: same inode and device as stat", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
		CHECK("fstat: same mode, size and mtime", a.st_mode == b.st_mode && a.st_size == b.st_size &&
		      ns(a.st_mtim) == ns(b.st_mtim));
		V(syscall(SYS_lstat, "f", &b), 0);
		CHECK("lstat of a file: same inode", a.st_ino == b.st_ino);
		V(syscall(SYS_stat, "sl", &b), 0);
		CHECK("stat of a symlink: the target", a.st_ino == b.st_ino);
		V(syscall(SYS_lstat, "sl", &b), 0);
		show_stat("lstat sl", &b);
		CHECK("lstat of a symlink: another inode", a.st_ino != b.st_ino);
		V(syscall(SYS_stat, "d", &b), 0);
		show_stat("stat d", &b);
		V(syscall(SYS_stat, ".", &b), 0);
		CHECK("st_blksize > 0", b.st_blksize > 0);
		E(syscall(SYS_stat, "nope", &b), ENOENT);
		E(syscall(SYS_stat, "f/", &b), ENOTDIR);
		E(syscall(SYS_lstat, "", &b), ENOENT);
		E(syscall(SYS_stat, "dangling", &b), ENOENT);
		V(syscall(SYS_lstat, "dangling", &b), 0);
		E(syscall(SYS_fstat, 99, &b), EBADF);
		E(syscall(SYS_fstat, -1, &b), EBADF);

		V(syscall(SYS_newfstatat, AT_FDCWD, "sl", &b, 0), 0);
		CHECK("newfstatat follows by default", S_ISREG(b.st_mode) && b.st_ino == a.st_ino);
		V(syscall(SYS_newfstatat, AT_FDCWD, "sl", &b, AT_SYMLINK_NOFOLLOW), 0);
		CHECK("AT_SYMLINK_NOFOLLOW gives the link", S_ISLNK(b.st_mode));
		V(syscall(SYS_newfstatat, fd, "", &b, AT_EMPTY_PATH), 0);
		CHECK("AT_EMPTY_PATH gives the fd's file", b.st_ino == a.st_ino);
		E(syscall(SYS_newfstatat, fd, "", &b, 0), ENOENT);
		E(syscall(SYS_newfstatat, fd, "x", &b, 0), ENOTDIR);
		E(syscall(SYS_newfstatat, AT_FDCWD, "f", &b, 0x12345), EINVAL);
		E(syscall(SYS_newfstatat, 99, "f", &b, 0), EBADF);
		dfd = V(open("d", O_RDONLY | O_DIRECTORY), 4);
		put_file("d/inner", "abc");
		V(syscall(SYS_newfstatat, dfd, "inner", &b, 0), 0);
		show_stat("newfstatat d inner", &b);
		V(syscall(SYS_newfstatat, dfd, "", &b, AT_EMPTY_PATH), 0);
		show_stat("newfstatat d \"\"", &b);
		V(syscall(SYS_newfstatat, dfd, abs_path("f"), &b, 0), 0);
		CHECK("an absolute path ignores the dirfd", b.st_ino == a.st_ino);
		V(close(dfd), 0);
		V(close(fd), 0);
	}

	SECTION("statx");
	{
		struct statx_ x;
		struct stat a;
		stat("f", &a);
		V(statx_(AT_FDCWD, "f", 0, STATX_BASIC_STATS_, &x), 0);
		CHECK("stx_mask has the basic stats", (x.stx_mask & STATX_BASIC_STATS_) == STATX_BASIC_STATS_);
		SAY("statx f: mode %o nlink %u uid %u gid %u size %llu", x.stx_mode, x.stx_nlink, x.stx_uid,
		    x.stx_gid, (unsigned long long)x.stx_size);
		CHECK("same inode as stat", x.stx_ino == a.st_ino);
		CHECK("same device as stat", makedev(x.stx_dev_major, x.stx_dev_minor) == a.st_dev);
		CHECK("same mtime as stat", x.stx_mtime.tv_sec == a.st_mtim.tv_sec &&
		      x.stx_mtime.tv_nsec == (uint32_t)a.st_mtim.tv_nsec);
		CHECK("same blocks as stat", x.stx_blocks == (uint64_t)a.st_blocks);
		V(statx_(AT_FDCWD, "sl", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS_, &x), 0);
		SAY("statx sl nofollow: type %c size %llu", ftype(x.stx_mode), (unsigned long long)x.stx_size);
		V(statx_(AT_FDCWD, "sl", 0, STATX_BASIC_STATS_, &x), 0);
		SAY("statx sl: type %c size %llu", ftype(x.stx_mode), (unsigned long long)x.stx_size);
		fd = V(open("d", O_RDONLY | O_DIRECTORY), 3);
		V(statx_(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS_, &x), 0);
		SAY("statx d: type %c mode %o nlink %u", ftype(x.stx_mode), x.stx_mode & 07777, x.stx_nlink);
		V(statx_(fd, "inner", 0, STATX_BASIC_STATS_, &x), 0);
		SAY("statx d/inner: size %llu", (unsigned long long)x.stx_size);
		V(close(fd), 0);
		E(statx_(AT_FDCWD, "nope", 0, STATX_BASIC_STATS_, &x), ENOENT);
		E(statx_(AT_FDCWD, "f", 0, STATX__RESERVED_, &x), EINVAL);
		E(statx_(AT_FDCWD, "f", 0x12345, STATX_BASIC_STATS_, &x), EINVAL);
		E(statx_(99, "f", 0, STATX_BASIC_STATS_, &x), EBADF);
	}

	SECTION("access, faccessat, faccessat2");
	V(chmod("f", 0), 0);
	V(access("f", F_OK), 0);
	V(access("f", R_OK), 0);
	V(access("f", W_OK), 0);
	V(access("f", R_OK | W_OK), 0);
	E(access("f", X_OK), EACCES);
	V(chmod("f", 0100), 0);
	V(access("f", X_OK), 0);
	V(chmod("f", 0644), 0);
	E(access("f", X_OK), EACCES);
	V(access("d", X_OK), 0);
	V(access("sl", R_OK), 0);
	E(access("nope", F_OK), ENOENT);
	E(access("dangling", F_OK), ENOENT);
	E(access("f/", F_OK), ENOTDIR);
	E(access("f", 0x10), EINVAL);
	dfd = V(open("d", O_RDONLY | O_DIRECTORY), 3);
	V(faccessat(dfd, "inner", R_OK, 0), 0);
	E(faccessat(dfd, "f", R_OK, 0), ENOENT);
	V(faccessat(AT_FDCWD, "f", W_OK, 0), 0);
	E(faccessat(99, "f", R_OK, 0), EBADF);
	V(faccessat2_(AT_FDCWD, "f", R_OK, AT_EACCESS), 0);
	E(faccessat2_(AT_FDCWD, "f", X_OK, AT_EACCESS), EACCES);
	V(faccessat2_(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	E(faccessat2_(AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	V(faccessat2_(dfd, "", R_OK, AT_EMPTY_PATH), 0);
	E(faccessat2_(AT_FDCWD, "f", R_OK, 0x8000000), EINVAL);
	E(faccessat2_(AT_FDCWD, "f", 0x10, 0), EINVAL);

	SECTION("chmod, fchmod, fchmodat");
	V(chmod("f", 0640), 0);
	show_path("f");
	V(chmod("f", 04755), 0);
	show_path("f");
	V(chmod("f", 0170600), 0);
	show_path("f");
	V(chmod("sl", 0604), 0);
	show_path("f");
	show_path("sl");
	V(chmod("d", 01777), 0);
	show_path("d");
	V(chmod("d/", 0750), 0);
	show_path("d");
	E(chmod("nope", 0644), ENOENT);
	E(chmod("dangling", 0644), ENOENT);
	E(chmod("f/", 0644), ENOTDIR);
	fd = V(open("f", O_RDONLY), 4);
	V(fchmod(fd, 0600), 0);
	show_path("f");
	V(close(fd), 0);
	E(fchmod(99, 0644), EBADF);
	V(fchmodat(AT_FDCWD, "f", 0664, 0), 0);
	show_path("f");
	V(fchmodat(dfd, "inner", 0400, 0), 0);
	show_path("d/inner");
	E(fchmodat(dfd, "nope", 0400, 0), ENOENT);
	E(fchmodat(99, "f", 0400, 0), EBADF);
	V(chmod("f", 0644), 0);

	SECTION("chown, fchown, fchownat, lchown");
	V(chown("f", 1000, 1001), 0);
	show_path("f");
	V(chown("f", -1, 2000), 0);
	show_path("f");
	V(chown("f", 3000, -1), 0);
	show_path("f");
	V(chown("f", -1, -1), 0);
	show_path("f");
	V(chown("sl", 7, 8), 0);
	show_path("f");
	show_path("sl");
	V(lchown("sl", 9, 10), 0);
	show_path("f");
	show_path("sl");
	fd = V(open("f", O_RDONLY), 4);
	V(fchown(fd, 0, 0), 0);
	show_path("f");
	V(close(fd), 0);
	E(fchown(99, 0, 0), EBADF);
	V(fchownat(AT_FDCWD, "sl", 11, 12, AT_SYMLINK_NOFOLLOW), 0);
	show_path("sl");
	show_path("f");
	V(fchownat(AT_FDCWD, "sl", 13, 14, 0), 0);
	show_path("f");
	V(fchownat(dfd, "inner", 15, 16, 0), 0);
	show_path("d/inner");
	fd = V(open("f", O_RDONLY), 4);
	V(fchownat(fd, "", 17, 18, AT_EMPTY_PATH), 0);
	show_path("f");
	V(close(fd), 0);
	E(fchownat(AT_FDCWD, "f", 1, 1, 0x1234), EINVAL);
	E(fchownat(99, "f", 1, 1, 0), EBADF);
	E(chown("nope", 0, 0), ENOENT);
	E(lchown("nope", 0, 0), ENOENT);
	/* chown clears set-user-ID, even for root. */
	V(chmod("f", 04755), 0);
	V(chown("f", 0, 0), 0);
	show_path("f");
	V(chmod("f", 0644), 0);
	V(lchown("sl", 0, 0), 0);

	SECTION("utimensat");
	{
		struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
		struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
		struct timespec set_atime[2] = { { 1500000000, 5 }, { 0, UTIME_OMIT } };
		struct timespec both_omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
		struct timespec old[2] = { { 100, 0 }, { 100, 0 } };
		struct stat s;
		long long t0, t1;

		V(utimensat(AT_FDCWD, "f", ts, 0), 0);
		show_times("f", 1);
		V(utimensat(AT_FDCWD, "f", set_atime, 0), 0);
		show_times("f", 1);
		V(utimensat(AT_FDCWD, "f", both_omit, 0), 0);
		show_times("f", 1);
		t0 = now_ns();
		V(utimensat(AT_FDCWD, "f", omit_now, 0), 0);
		t1 = now_ns();
		stat("f", &s);
		CHECK("UTIME_NOW: mtime is now", ns(s.st_mtim) >= t0 - 1000000000LL && ns(s.st_mtim) <= t1 + 1000000000LL);
		CHECK("UTIME_OMIT: atime kept", s.st_atim.tv_sec == 1500000000 && s.st_atim.tv_nsec == 5);
		t0 = now_ns();
		V(utimensat(AT_FDCWD, "f", NULL, 0), 0);
		t1 = now_ns();
		stat("f", &s);
		CHECK("NULL times: both now", ns(s.st_atim) >= t0 - 1000000000LL && ns(s.st_atim) <= t1 + 1000000000LL &&
		      ns(s.st_mtim) >= t0 - 1000000000LL && ns(s.st_mtim) <= t1 + 1000000000LL);
		V(utimensat(AT_FDCWD, "sl", ts, AT_SYMLINK_NOFOLLOW), 0);
		show_times("sl", 0);
		stat("f", &s);
		CHECK("the target's mtime was not set", s.st_mtim.tv_sec != ts[1].tv_sec);
		V(utimensat(AT_FDCWD, "sl", ts, 0), 0);
		show_times("f", 1);
		V(utimensat(dfd, "inner", ts, 0), 0);
		show_times("d/inner", 1);
		V(utimensat(AT_FDCWD, "d", ts, 0), 0);
		show_times("d", 1);
		fd = V(open("f", O_RDWR), 4);
		V(futimens(fd, old), 0);
		show_times("f", 1);
		V(write(fd, "x", 1), 1);
		stat("f", &s);
		CHECK("a write advances mtime", s.st_mtim.tv_sec > 100);
		CHECK("a write leaves atime", s.st_atim.tv_sec == 100);
		V(futimens(fd, old), 0);
		V(ftruncate(fd, 3), 0);
		stat("f", &s);
		CHECK("ftruncate advances mtime", s.st_mtim.tv_sec > 100);
		V(close(fd), 0);
		V(utimensat(AT_FDCWD, "d", old, 0), 0);
		put_file("d/new", "");
		stat("d", &s);
		CHECK("creating an entry advances the directory's mtime", s.st_mtim.tv_sec > 100);
		V(utimensat(AT_FDCWD, "d", old, 0), 0);
		V(unlink("d/new"), 0);
		stat("d", &s);
		CHECK("removing an entry advances the directory's mtime", s.st_mtim.tv_sec > 100);
		E(utimensat(AT_FDCWD, "nope", ts, 0), ENOENT);
		E(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
		E(utimensat(AT_FDCWD, "f", ts, 0x1234), EINVAL);
		E(utimensat(99, "f", ts, 0), EBADF);
		E(futimens(99, ts), EBADF);
	}
	V(close(dfd), 0);

	SECTION("umask");
	V(umask(027), 0022);
	fd = V(open("u-file", O_WRONLY | O_CREAT, 0666), 3);
	V(close(fd), 0);
	show_path("u-file");
	V(mkdir("u-dir", 0777), 0);
	show_path("u-dir");
	V(umask(0), 027);
	fd = V(open("u-file2", O_WRONLY | O_CREAT, 0777), 3);
	V(close(fd), 0);
	show_path("u-file2");
	V(umask(01777), 0);
	V(umask(022), 0777);
	V(chmod("u-file2", 0666), 0);
	show_path("u-file2");

	SECTION("statfs, fstatfs");
	{
		struct statfs a, b;
		V(statfs(".", &a), 0);
		CHECK("f_type is set", a.f_type != 0);
		SAY("f_namelen %ld", (long)a.f_namelen);
		CHECK("f_bsize > 0", a.f_bsize > 0);
		fd = V(open(".", O_RDONLY | O_DIRECTORY), 3);
		V(fstatfs(fd, &b), 0);
		CHECK("fstatfs of the work dir: the same f_type", a.f_type == b.f_type);
		V(close(fd), 0);
		V(statfs("f", &b), 0);
		CHECK("statfs of a file in it: the same f_type", a.f_type == b.f_type);
		V(statfs("/dev/shm", &a), 0);
		SAY("/dev/shm f_type 0x%lx (tmpfs: %s)", (unsigned long)a.f_type, a.f_type == TMPFS_MAGIC ? "yes" : "no");
		SAY("/dev/shm f_namelen %ld", (long)a.f_namelen);
		fd = V(open("/dev/shm", O_RDONLY | O_DIRECTORY), 3);
		V(fstatfs(fd, &b), 0);
		SAY("fstatfs /dev/shm f_type 0x%lx", (unsigned long)b.f_type);
		V(close(fd), 0);
		E(statfs("nope", &a), ENOENT);
		E(statfs("f/", &a), ENOTDIR);
		E(fstatfs(99, &a), EBADF);
	}

	SECTION("what is left");
	show_path("d");
	show_path("d/inner");
	show_path("f");
	show_path("sl");
	return finish();
}
