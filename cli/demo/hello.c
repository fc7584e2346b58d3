/* The first program of `lintel demo`: its arguments, its environment, and
 * what uname(2) says about the kernel it runs on. */
#include <stdio.h>
#include <sys/utsname.h>

extern char **environ;

int main(int argc, char **argv)
{
	struct utsname u;

	printf("Hello from a static musl program on Lintel!\n");
	for (int i = 0; i < argc; i++)
		printf("  argv[%d] = \"%s\"\n", i, argv[i]);
	for (char **e = environ; *e; e++)
		printf("  env: %s\n", *e);
	if (uname(&u) == 0)
		printf("  uname: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
	else
		perror("  uname");
	return 0;
}
