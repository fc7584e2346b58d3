/*
 * Large files: several MiB written in 65537-byte chunks and read back in
 * 4093-byte chunks, at scattered offsets with pread, with readv; an
 * overwrite in the middle, O_APPEND, a large sparse file, truncation.
 * Checksums (FNV-1a) are of data generated here, so both runs print the
 * same numbers.
 */
#include "fs.h"

#define SIZE (6 * 1024 * 1024 + 12345)
#define WCHUNK 65537
#define RCHUNK 4093

static unsigned char *data;
static unsigned char rbuf[WCHUNK];

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* Reads the whole file in `chunk`-byte reads; returns the checksum. */
static uint64_t read_all(int fd, size_t chunk, long *reads, long *bytes, int *matches)
{
	uint64_t h = FNV_INIT;
	long n;
	*reads = 0;
	*bytes = 0;
	*matches = 1;
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, rbuf, chunk)) > 0) {
		if (*bytes + n > SIZE || memcmp(rbuf, data + *bytes, n) != 0)
			*matches = 0;
		h = fnv1a(h, rbuf, n);
		*bytes += n;
		++*reads;
	}
	if (n < 0)
		*matches = 0;
	return h;
}

int main(void)
{
	int fd;
	long reads, bytes, writes = 0, full = 1;
	int matches;
	struct stat st;
	uint64_t h;

	setup("fs/big");
	data = malloc(SIZE);
	if (!data)
		die("malloc");
	fill(data, SIZE, 0x9e3779b97f4a7c15ULL);
	SAY("data checksum %016llx", (unsigned long long)fnv1a(FNV_INIT, data, SIZE));

	SECTION("write in 65537-byte chunks");
	fd = V(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644), 3);
	for (long off = 0; off < SIZE; off += WCHUNK) {
		long n = SIZE - off < WCHUNK ? SIZE - off : WCHUNK;
		if (write(fd, data + off, n) != n)
			full = 0;
		writes++;
	}
	SAY("%ld writes", writes);
	CHECK("every write was complete", full);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	V(lseek(fd, 0, SEEK_CUR), SIZE);

	SECTION("read back in 4093-byte chunks");
	h = read_all(fd, RCHUNK, &reads, &bytes, &matches);
	SAY("%ld reads, %ld bytes, checksum %016llx", reads, bytes, (unsigned long long)h);
	CHECK("the bytes match", matches && bytes == SIZE);
	h = read_all(fd, WCHUNK, &reads, &bytes, &matches);
	SAY("in 65537-byte chunks: %ld reads, checksum %016llx", reads, (unsigned long long)h);

	SECTION("pread at scattered offsets");
	{
		uint64_t x = 12345;
		int ok = 1;
		for (int i = 0; i < 500; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			long off = (long)((x >> 20) % SIZE);
			long len = (long)((x >> 8) % 9000);
			long want = off + len > SIZE ? SIZE - off : len;
			if (pread(fd, rbuf, len, off) != want || memcmp(rbuf, data + off, want) != 0)
				ok = 0;
		}
		CHECK("500 preads match", ok);
	}

	SECTION("readv across the file");
	{
		static unsigned char a[1000], b[3], c[65537];
		struct iovec iov[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
		long total = 0, n;
		int ok = 1;
		lseek(fd, 0, SEEK_SET);
		while ((n = readv(fd, iov, 3)) > 0) {
			long left = n;
			for (int i = 0; i < 3 && left > 0; i++) {
				long k = left < (long)iov[i].iov_len ? left : (long)iov[i].iov_len;
				if (memcmp(iov[i].iov_base, data + total, k) != 0)
					ok = 0;
				total += k;
				left -= k;
			}
		}
		SAY("readv: %ld bytes", total);
		CHECK("readv data matches", ok && total == SIZE);
	}

	SECTION("overwrite in the middle");
	fill(data + 1234567, 100000, 42);
	V(pwrite(fd, data + 1234567, 100000, 1234567), 100000);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	h = read_all(fd, RCHUNK, &reads, &bytes, &matches);
	SAY("checksum %016llx", (unsigned long long)h);
	CHECK("the bytes match", matches && bytes == SIZE);
	V(close(fd), 0);

	SECTION("O_APPEND");
	fd = V(open("big", O_WRONLY | O_APPEND), 3);
	V(write(fd, data, 70000), 70000);
	V(lseek(fd, 0, SEEK_CUR), SIZE + 70000);
	V(close(fd), 0);
	V(stat("big", &st), 0);
	SAY("size %lld", (long long)st.st_size);
	fd = V(open("big", O_RDONLY), 3);
	V(pread(fd, rbuf, 70000 > WCHUNK ? WCHUNK : 70000, SIZE), WCHUNK);
	CHECK("the appended bytes", memcmp(rbuf, data, WCHUNK) == 0);
	V(close(fd), 0);

	SECTION("truncate down and up");
	V(truncate("big", 1048577), 0);
	V(truncate("big", 3 * 1048576), 0);
	fd = V(open("big", O_RDONLY), 3);
	{
		long n, off = 0;
		int ok = 1;
		while ((n = read(fd, rbuf, WCHUNK)) > 0) {
			for (long i = 0; i < n; i++) {
				long at = off + i;
				unsigned char w = at < 1048577 ? data[at] : 0;
				if (rbuf[i] != w)
					ok = 0;
			}
			off += n;
		}
		SAY("read %ld bytes", off);
		CHECK("kept bytes, then zeros", ok);
	}
	V(close(fd), 0);
	V(unlink("big"), 0);

	SECTION("a large sparse file");
	fd = V(open("sparse", O_RDWR | O_CREAT | O_EXCL, 0600), 3);
	V(pwrite(fd, "tail", 4, 5 * 1048576 + 3), 4);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	{
		long n, off = 0;
		int zeros = 1;
		uint64_t hs = FNV_INIT;
		while ((n = read(fd, rbuf, WCHUNK)) > 0) {
			for (long i = 0; i < n; i++)
				if (off + i < 5 * 1048576 + 3 && rbuf[i])
					zeros = 0;
			hs = fnv1a(hs, rbuf, n);
			off += n;
		}
		SAY("read %ld bytes, checksum %016llx", off, (unsigned long long)hs);
		CHECK("zeros up to the tail", zeros);
	}
	V(ftruncate(fd, 0), 0);
	V(fstat(fd, &st), 0);
	SAY("size %lld", (long long)st.st_size);
	V(close(fd), 0);
	V(unlink("sparse"), 0);
	free(data);
	return finish();
}
