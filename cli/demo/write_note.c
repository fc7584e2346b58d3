/* The last program of `lintel demo`: writes a note into the shared root
 * directory (argv[1]), which the host reads back once the machine is gone. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/note.txt";
	struct utsname u;
	char note[512];
	int n, fd;

	if (uname(&u) != 0) {
		perror("uname");
		return 1;
	}
	n = snprintf(note, sizeof note, "hello from %s %s (%s), pid %d\n",
		     u.sysname, u.release, u.machine, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (write(fd, note, n) != n || fsync(fd) != 0 || close(fd) != 0) {
		perror(path);
		return 1;
	}
	printf("wrote %d bytes to %s\n", n, path);
	return 0;
}
