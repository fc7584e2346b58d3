/*
 * bigio FILE MIB: writes MIB MiB of stream 42 to FILE in 1 MiB writes,
 * fsyncs, reads it back in 1 MiB reads, and compares the fold64 checksum of
 * what was read with that of what was written (and each read block with
 * the pattern). Prints the size, the checksum and how long each phase took
 * (guest clock); exits 1 on any difference.
 */
#include "ninep.h"

#define MiB (1024 * 1024)

int main(int argc, char **argv)
{
	unsigned char *w, *r;
	uint64_t hw = FOLD_INIT, hr = FOLD_INIT;
	long mib, bad_blocks = 0;
	double t0, t1, t2, t3;
	struct stat st;
	int fd;

	if (argc != 3 || (mib = atol(argv[2])) <= 0)
		return 2;
	w = malloc(MiB);
	r = malloc(MiB);
	if (!w || !r)
		die("malloc");
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[1]);

	t0 = now();
	for (long i = 0; i < mib; i++) {
		pattern(w, 42, (uint64_t)i * MiB, MiB);
		hw = fold64(hw, w, MiB);
		write_all(fd, w, MiB, argv[1]);
	}
	t1 = now();
	if (fsync(fd) != 0)
		die("fsync");
	t2 = now();
	if (fstat(fd, &st) != 0)
		die("fstat");
	if (lseek(fd, 0, SEEK_SET) != 0)
		die("lseek");
	for (long i = 0; i < mib; i++) {
		size_t got = 0;
		while (got < MiB) {
			ssize_t n = read(fd, r + got, MiB - got);
			if (n <= 0) {
				fprintf(stderr, "read at %ld MiB + %zu: %s\n", i, got,
					n < 0 ? strerror(errno) : "end of file");
				return 1;
			}
			got += (size_t)n;
		}
		hr = fold64(hr, r, MiB);
		pattern(w, 42, (uint64_t)i * MiB, MiB);
		if (memcmp(r, w, MiB) != 0 && bad_blocks++ < 5)
			fprintf(stderr, "MiB %ld differs\n", i);
	}
	t3 = now();
	if (close(fd) != 0)
		die("close");

	printf("size %lld\n", (long long)st.st_size);
	printf("written checksum %016llx\n", (unsigned long long)hw);
	printf("read checksum %016llx\n", (unsigned long long)hr);
	printf("differing MiB blocks %ld\n", bad_blocks);
	fprintf(stderr, "write %.2f s (%.1f MB/s), fsync %.2f s, read %.2f s (%.1f MB/s)\n",
		t1 - t0, mib * 1.048576 / (t1 - t0), t2 - t1, t3 - t2,
		mib * 1.048576 / (t3 - t2));
	return st.st_size == (long long)mib * MiB && hw == hr && bad_blocks == 0 ? 0 : 1;
}
