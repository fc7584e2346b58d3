/*
 * Shared by the host<->guest programs in tests/guest/ninep/, which run under
 * Lintel with a host directory as the 9p root; tests/tests/ninep_host.rs
 * checks on the host what they read and wrote.
 *
 * - pattern(): the test data. Byte i of the stream with seed s is byte
 *   i % 8 (little-endian) of mix(s + (i / 8 + 1) * GOLDEN), mix being
 *   splitmix64's finaliser: any range of any file can be made, or checked,
 *   on either side without the rest of it. The Rust side is `pattern` in
 *   ninep_host.rs.
 * - SHA-256 (FIPS 180-4), printed as sha256sum(1) does: "HEX  NAME".
 * - fold64(): a fast checksum for large files: h = (h ^ w) * FNV_PRIME over
 *   little-endian 64-bit words, starting from FNV's offset basis.
 */
#ifndef LINTEL_NINEP_H
#define LINTEL_NINEP_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-function"

#define GOLDEN 0x9e3779b97f4a7c15ULL

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Bytes [off, off + n) of the stream `seed`. */
static void pattern(unsigned char *p, uint64_t seed, uint64_t off, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t pos = off + i;
		uint64_t w = mix(seed + (pos / 8 + 1) * GOLDEN);
		if (pos % 8 == 0 && n - i >= 8) {
			memcpy(p + i, &w, 8);
			i += 8;
		} else {
			p[i++] = (unsigned char)(w >> (8 * (pos % 8)));
		}
	}
}

/* --- SHA-256 ----------------------------------------------------------- */

struct sha256 {
	uint32_t h[8];
	unsigned char buf[64];
	size_t used;
	uint64_t total;
};

static const uint32_t K256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(s->h, h0, sizeof h0);
	s->used = 0;
	s->total = 0;
}

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
	e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
	s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	s->total += n;
	while (n > 0) {
		if (s->used == 0 && n >= 64) {
			sha256_block(s, p);
			p += 64;
			n -= 64;
			continue;
		}
		size_t take = 64 - s->used < n ? 64 - s->used : n;
		memcpy(s->buf + s->used, p, take);
		s->used += take;
		p += take;
		n -= take;
		if (s->used == 64) {
			sha256_block(s, s->buf);
			s->used = 0;
		}
	}
}

/* Writes 64 hex digits and a NUL into `hex`. */
static void sha256_final(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->total * 8;
	unsigned char pad[72] = {0x80};
	size_t padlen = (s->used < 56 ? 56 : 120) - s->used;
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen);
	sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++)
		sprintf(hex + 8 * i, "%08x", s->h[i]);
}

/* --- fold64 ------------------------------------------------------------- */

#define FOLD_INIT 0xcbf29ce484222325ULL
#define FOLD_PRIME 0x100000001b3ULL

/* `n` must be a multiple of 8. */
static uint64_t fold64(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * FOLD_PRIME;
	}
	return h;
}

/* --- helpers ------------------------------------------------------------ */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Writes all of `p`, or exits 1 naming `what`. */
static void write_all(int fd, const void *p, size_t n, const char *what)
{
	const unsigned char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w <= 0) {
			fprintf(stderr, "write %s: %s\n", what, w < 0 ? strerror(errno) : "wrote 0");
			exit(1);
		}
		c += w;
		n -= (size_t)w;
	}
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

#endif
