/*
 * readsum FILE...: reads each file twice (read(2) in 64 KiB buffers, then
 * pread(2) in 4093-byte pieces from the end backwards) and prints its
 * SHA-256 as sha256sum(1) does, "HEX  FILE"; then "FILE: N bytes" with the
 * size from fstat, which must equal the bytes read. Exits 1 when the two
 * reads disagree or a file cannot be read.
 */
#include "ninep.h"

static unsigned char buf[65536];

int main(int argc, char **argv)
{
	long long sizes[64];
	int bad = 0;

	if (argc - 1 > 64)
		return 2;
	for (int i = 1; i < argc; i++) {
		struct sha256 a, b;
		struct stat st;
		char ha[65], hb[65];
		long long total = 0;
		ssize_t n;
		int fd = open(argv[i], O_RDONLY);

		if (fd < 0)
			die(argv[i]);
		if (fstat(fd, &st) != 0)
			die("fstat");
		sha256_init(&a);
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			sha256_update(&a, buf, (size_t)n);
			total += n;
		}
		if (n < 0)
			die("read");
		sha256_final(&a, ha);

		/* Backwards in 4093-byte pieces, hashed in file order afterwards. */
		unsigned char *all = malloc(st.st_size ? st.st_size : 1);
		if (!all)
			die("malloc");
		long long end = st.st_size;
		while (end > 0) {
			long long start = end > 4093 ? end - 4093 : 0;
			n = pread(fd, all + start, (size_t)(end - start), start);
			if (n != end - start) {
				fprintf(stderr, "%s: pread at %lld gave %zd\n", argv[i], start, n);
				return 1;
			}
			end = start;
		}
		sha256_init(&b);
		sha256_update(&b, all, (size_t)st.st_size);
		sha256_final(&b, hb);
		free(all);
		close(fd);

		if (strcmp(ha, hb) != 0 || total != st.st_size) {
			fprintf(stderr, "%s: read %lld bytes (%s), fstat says %lld, pread gave %s\n",
				argv[i], total, ha, (long long)st.st_size, hb);
			bad = 1;
		}
		printf("%s  %s\n", ha, argv[i]);
		sizes[i - 1] = st.st_size;
	}
	for (int i = 1; i < argc; i++)
		printf("%s: %lld bytes\n", argv[i], sizes[i - 1]);
	return bad;
}
