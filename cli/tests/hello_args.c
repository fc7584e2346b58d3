/* The guest program of run_cli.rs: prints its arguments, exits 3. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("argc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=[%s]\n", i, argv[i]);
	fflush(stdout);
	fprintf(stderr, "to stderr\n");
	return 3;
}
