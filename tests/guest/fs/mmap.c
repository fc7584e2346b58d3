/*
 * mmap of files: MAP_PRIVATE read-only and written (copy on write: the file
 * does not change), MAP_SHARED written (msync and munmap write it back),
 * MAP_SHARED read-only, offsets,
 * the zero-filled tail of the last page, a mapping that outlives its fd,
 * and the errors (EACCES, EINVAL, EBADF, ENODEV).
 */
#include "fs.h"

#define SIZE 10000
#define PAGE 4096

static unsigned char want[SIZE];
static unsigned char got[SIZE];

/* mmap's result without a pointer value: 0 when mapped, -1 on error. */
static void *last;
static long mm(void *p)
{
	last = p;
	return p == MAP_FAILED ? -1 : 0;
}

/* The raw system call, so that the kernel (not musl) checks the offset. */
static long mm_raw(size_t len, int prot, int flags, int fd, long off)
{
	long r = syscall(SYS_mmap, 0, len, prot, flags, fd, off);
	if (r != -1)
		munmap((void *)r, len);
	return r == -1 ? -1 : 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int main(void)
{
	int fd, rw;
	unsigned char *p;

	setup("fs/mmap");
	for (int i = 0; i < SIZE; i++)
		want[i] = (unsigned char)(i * 7 + 3);
	rw = V(open("m", O_RDWR | O_CREAT | O_EXCL, 0644), 3);
	V(write(rw, want, SIZE), SIZE);
	fd = V(open("m", O_RDONLY), 4);

	SECTION("MAP_PRIVATE, read");
	V(mm(mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0)), 0);
	p = last;
	CHECK("the mapping holds the file", memcmp(p, want, SIZE) == 0);
	CHECK("the rest of the last page is zeros", all_zero(p + SIZE, 3 * PAGE - SIZE));
	V(munmap(p, SIZE), 0);
	V(mm(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE)), 0);
	p = last;
	CHECK("offset 4096 maps the second page", memcmp(p, want + PAGE, PAGE) == 0);
	V(munmap(p, PAGE), 0);
	V(mm(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 2 * PAGE)), 0);
	p = last;
	CHECK("the last, partial page", memcmp(p, want + 2 * PAGE, SIZE - 2 * PAGE) == 0 &&
	      all_zero(p + SIZE - 2 * PAGE, 3 * PAGE - SIZE));
	V(munmap(p, PAGE), 0);

	SECTION("MAP_PRIVATE, written");
	V(mm(mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)), 0);
	p = last;
	memset(p, 'X', 100);
	memset(p + 5000, 'Y', 10);
	CHECK("the mapping sees its own writes", p[0] == 'X' && p[99] == 'X' && p[100] == want[100] &&
	      p[5005] == 'Y');
	V(pread(fd, got, SIZE, 0), SIZE);
	CHECK("the file is unchanged", memcmp(got, want, SIZE) == 0);
	V(munmap(p, SIZE), 0);
	V(mm(mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0)), 0);
	p = last;
	CHECK("a new mapping has the file's bytes", memcmp(p, want, SIZE) == 0);
	V(munmap(p, SIZE), 0);

	SECTION("MAP_SHARED, written");
	V(mm(mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0)), 0);
	p = last;
	memcpy(p + 100, "SHARED", 6);
	V(msync(p, SIZE, MS_SYNC), 0);
	{
		char got[6];
		V(pread(rw, got, 6, 100), 6);
		CHECK("msync wrote the page back", memcmp(got, "SHARED", 6) == 0);
	}
	memcpy(p + 8000, "UNMAP", 5);
	V(munmap(p, SIZE), 0);
	{
		char got[5];
		V(pread(rw, got, 5, 8000), 5);
		CHECK("munmap wrote the page back", memcmp(got, "UNMAP", 5) == 0);
		struct stat st;
		V(fstat(rw, &st), 0);
		CHECK("the file keeps its size", st.st_size == SIZE);
	}
	V(pwrite(rw, want + 100, 6, 100), 6);
	V(pwrite(rw, want + 8000, 5, 8000), 5);
	E(msync(p, 4096, MS_SYNC | MS_ASYNC), EINVAL);

	SECTION("MAP_SHARED, read-only");
	V(mm(mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0)), 0);
	p = last;
	CHECK("the mapping holds the file", memcmp(p, want, SIZE) == 0);
	/* Not checked yet: that a MAP_SHARED mapping sees a later write() of the
	 * file. Lintel maps a copy of the file until it has a page cache shared
	 * by mappings and read/write (noted on the VFS issue). */
	V(pwrite(rw, "NEW", 3, 0), 3);
	V(pwrite(rw, "MID", 3, 6000), 3);
	V(close(fd), 0);
	CHECK("it outlives its fd", memcmp(p + 3, want + 3, 100) == 0);
	V(munmap(p, SIZE), 0);
	fd = V(open("m", O_RDONLY), 4);
	V(mm(mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0)), 0);
	p = last;
	V(unlink("m"), 0);
	CHECK("a private mapping outlives the file's name", memcmp(p, "NEW", 3) == 0 &&
	      memcmp(p + 3, want + 3, 100) == 0);
	V(munmap(p, SIZE), 0);

	SECTION("errors");
	E(mm_raw(PAGE, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL);
	E(mm_raw(0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	E(mm_raw(PAGE, PROT_READ, 0, fd, 0), EINVAL);
	E(mm_raw(PAGE, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
	E(mm_raw(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	{
		int wo = V(open("wo", O_WRONLY | O_CREAT, 0644), 5);
		V(ftruncate(wo, PAGE), 0);
		E(mm_raw(PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
		E(mm_raw(PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES);
		V(close(wo), 0);
		int d = V(open(".", O_RDONLY | O_DIRECTORY), 5);
		E(mm_raw(PAGE, PROT_READ, MAP_PRIVATE, d, 0), ENODEV);
		V(close(d), 0);
		int p2[2];
		V(pipe(p2), 0);
		E(mm_raw(PAGE, PROT_READ, MAP_PRIVATE, p2[0], 0), ENODEV);
		V(close(p2[0]), 0);
		V(close(p2[1]), 0);
	}
	V(close(fd), 0);
	V(close(rw), 0);
	return finish();
}
