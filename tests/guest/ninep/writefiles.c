/*
 * writefiles DIR: creates DIR and writes the files below into it, in
 * different ways, fsyncing each one and then DIR; prints each file's
 * SHA-256 as sha256sum(1) does ("HEX  DIR/NAME"), computed from the data
 * it meant to write, then exits. The host checks, after QEMU is gone, that
 * the files hold exactly those bytes (tests/tests/ninep_host.rs has the same
 * list).
 *
 *   empty        0 bytes
 *   one          1 byte of stream 1
 *   page         4096 bytes of stream 2
 *   page-plus-1  4097 bytes of stream 3
 *   odd          100003 bytes of stream 4, in 7777-byte writes
 *   big          5 MiB + 4321 bytes of stream 5, in 1 MiB writes
 *   backwards    3 MiB of stream 6, by pwrite of 64 KiB blocks, last first
 *   patched      200000 bytes of stream 7, then [1000, 6000) overwritten
 *                with bytes [0, 5000) of stream 8 (lseek + write)
 *   truncated    300000 bytes of stream 9, then ftruncate to 123457
 *   extended     1000 bytes of stream 10, then ftruncate to 70000 (zeros)
 *   renamed      20000 bytes of stream 11 written as "renamed.part", then
 *                renamed over an existing "renamed" (which held 5 bytes)
 *   sub/dir/nested  777 bytes of stream 12, directories made with mkdir
 *   "name with spaces é"  10 bytes of stream 13
 */
#include "ninep.h"

#define MiB (1024 * 1024)

static char *dir;
static unsigned char *data;

static char *path(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static int create(const char *name)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path(name));
	return fd;
}

static void finish(int fd, const char *name)
{
	if (fsync(fd) != 0)
		die("fsync");
	if (close(fd) != 0)
		die("close");
	(void)name;
}

/* `n` bytes of stream `seed`, in `chunk`-byte writes. */
static void simple(const char *name, uint64_t seed, size_t n, size_t chunk)
{
	int fd = create(name);
	pattern(data, seed, 0, n);
	for (size_t off = 0; off < n; off += chunk)
		write_all(fd, data + off, n - off < chunk ? n - off : chunk, name);
	finish(fd, name);
}

/* The expected contents, rebuilt in `data`; returns the size. */
static size_t expected(const char *name)
{
	if (!strcmp(name, "empty"))
		return 0;
	if (!strcmp(name, "one"))
		return pattern(data, 1, 0, 1), 1;
	if (!strcmp(name, "page"))
		return pattern(data, 2, 0, 4096), 4096;
	if (!strcmp(name, "page-plus-1"))
		return pattern(data, 3, 0, 4097), 4097;
	if (!strcmp(name, "odd"))
		return pattern(data, 4, 0, 100003), 100003;
	if (!strcmp(name, "big"))
		return pattern(data, 5, 0, 5 * MiB + 4321), 5 * MiB + 4321;
	if (!strcmp(name, "backwards"))
		return pattern(data, 6, 0, 3 * MiB), 3 * MiB;
	if (!strcmp(name, "patched")) {
		pattern(data, 7, 0, 200000);
		pattern(data + 1000, 8, 0, 5000);
		return 200000;
	}
	if (!strcmp(name, "truncated"))
		return pattern(data, 9, 0, 123457), 123457;
	if (!strcmp(name, "extended")) {
		pattern(data, 10, 0, 1000);
		memset(data + 1000, 0, 69000);
		return 70000;
	}
	if (!strcmp(name, "renamed"))
		return pattern(data, 11, 0, 20000), 20000;
	if (!strcmp(name, "sub/dir/nested"))
		return pattern(data, 12, 0, 777), 777;
	return pattern(data, 13, 0, 10), 10;
}

int main(int argc, char **argv)
{
	static const char *names[] = {
		"empty", "one", "page", "page-plus-1", "odd", "big", "backwards",
		"patched", "truncated", "extended", "renamed", "sub/dir/nested",
		"name with spaces \xc3\xa9",
	};
	int fd;

	if (argc != 2)
		return 2;
	dir = argv[1];
	data = malloc(6 * MiB);
	if (!data)
		die("malloc");
	if (mkdir(dir, 0755) != 0)
		die(dir);

	simple("empty", 0, 0, 1);
	simple("one", 1, 1, 1);
	simple("page", 2, 4096, 4096);
	simple("page-plus-1", 3, 4097, 4097);
	simple("odd", 4, 100003, 7777);
	simple("big", 5, 5 * MiB + 4321, MiB);

	fd = create("backwards");
	pattern(data, 6, 0, 3 * MiB);
	for (long off = 3 * MiB - 65536; off >= 0; off -= 65536)
		if (pwrite(fd, data + off, 65536, off) != 65536)
			die("pwrite");
	finish(fd, "backwards");

	simple("patched", 7, 200000, 65536);
	fd = open(path("patched"), O_WRONLY);
	if (fd < 0 || lseek(fd, 1000, SEEK_SET) != 1000)
		die("patched");
	pattern(data, 8, 0, 5000);
	write_all(fd, data, 5000, "patched");
	finish(fd, "patched");

	simple("truncated", 9, 300000, 65536);
	if (truncate(path("truncated"), 123457) != 0)
		die("truncate");

	simple("extended", 10, 1000, 1000);
	fd = open(path("extended"), O_WRONLY);
	if (fd < 0 || ftruncate(fd, 70000) != 0)
		die("ftruncate");
	finish(fd, "extended");

	fd = create("renamed");
	write_all(fd, "stale", 5, "renamed");
	finish(fd, "renamed");
	simple("renamed.part", 11, 20000, 20000);
	{
		char from[4096];
		snprintf(from, sizeof from, "%s", path("renamed.part"));
		if (rename(from, path("renamed")) != 0)
			die("rename");
	}

	if (mkdir(path("sub"), 0755) != 0 || mkdir(path("sub/dir"), 0750) != 0)
		die("mkdir");
	simple("sub/dir/nested", 12, 777, 777);
	simple(names[12], 13, 10, 10);

	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0)
		die("fsync of the directory");
	close(fd);

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct sha256 s;
		char hex[65];
		size_t n = expected(names[i]);
		sha256_init(&s);
		sha256_update(&s, data, n);
		sha256_final(&s, hex);
		printf("%s  %s\n", hex, path(names[i]));
	}
	return 0;
}
