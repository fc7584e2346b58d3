/*
 * escape: tries to leave the 9p root through "..", through mount points,
 * through symlinks the host made (relative and absolute), and relative to a
 * directory descriptor; every attempt must stay inside the share, whose
 * /etc/passwd does not exist. Prints one line per attempt and exits 1 when
 * an attempt does not end as expected.
 */
#include "ninep.h"
#include <dirent.h>

static int bad;

static void expect_enoent(const char *what, int r)
{
	if (r >= 0) {
		printf("%s: opened  <-- ESCAPED\n", what);
		bad = 1;
	} else if (errno == ENOENT) {
		printf("%s: ENOENT\n", what);
	} else {
		printf("%s: errno %d  <-- UNEXPECTED\n", what, errno);
		bad = 1;
	}
}

static void expect(const char *what, int ok)
{
	printf("%s: %s\n", what, ok ? "yes" : "no  <-- UNEXPECTED");
	if (!ok)
		bad = 1;
}

int main(void)
{
	static const char *paths[] = {
		"/../../etc/passwd",
		"/../../../../../../../../etc/passwd",
		"/..//..//etc/passwd",
		"/dev/../../etc/passwd",
		"/tmp/../../etc/passwd",
		"/proc/../../../etc/passwd",
		"/up",
		"/abs",
		"/updir/passwd",
	};
	struct stat root, dotdot;
	char cwd[256];
	int dfd;

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		expect_enoent(paths[i], open(paths[i], O_RDONLY));

	expect("stat(\"/..\") is /", stat("/", &root) == 0 && stat("/..", &dotdot) == 0 &&
					root.st_ino == dotdot.st_ino && root.st_dev == dotdot.st_dev);

	dfd = open("/", O_RDONLY | O_DIRECTORY);
	expect_enoent("openat(\"/\", \"../../etc/passwd\")", openat(dfd, "../../etc/passwd", O_RDONLY));
	expect_enoent("openat(\"/\", \"..\" then \"etc/passwd\")",
		      openat(openat(dfd, "..", O_RDONLY | O_DIRECTORY), "etc/passwd", O_RDONLY));

	expect("chdir(\"/../..\")", chdir("/../..") == 0);
	expect("getcwd is /", getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"));
	expect_enoent("etc/passwd from there", open("etc/passwd", O_RDONLY));

	{
		DIR *d = opendir("/..");
		struct dirent *e;
		int marker = 0;
		while (d && (e = readdir(d)))
			if (!strcmp(e->d_name, "marker"))
				marker = 1;
		expect("readdir(\"/..\") lists the share's marker", marker);
		if (d)
			closedir(d);
	}
	{
		char buf[64] = {0};
		int fd = open("/../marker", O_RDONLY);
		expect("/../marker reads the share's marker",
		       fd >= 0 && read(fd, buf, sizeof buf - 1) > 0 && !strcmp(buf, "inside the share\n"));
	}
	return bad;
}
