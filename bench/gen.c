// SPDX-License-Identifier: Apache-2.0
// Benchmark data generator: writes a.csv and b.csv of N rows each (ids are SHA-256 of a decimal
// counter, 50 % overlap, b in shuffled order), one process per file. Deterministic.
// Built and run by bench/run:  gen N OUTDIR
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_BUF_SIZE (4u << 20)

// splitmix64: a good 64-bit mix, so that each row's values depend only on (table, counter) and
// not on the order in which rows are written.
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static char *put_uint(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

struct out {
	FILE *f;
	char *buf;
	size_t used;
};

static int out_flush(struct out *o)
{
	if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
		return -1;
	o->used = 0;
	return 0;
}

// One row: id,dim1,dim2,qty,amount for counter k of the table salted by seed.
static int put_row(struct out *o, EVP_MD_CTX *ctx, const EVP_MD *md, uint64_t k, uint64_t seed)
{
	static const char hex[] = "0123456789abcdef";
	char num[24];
	unsigned char h[32];
	unsigned int hlen = 0;
	char *p;
	uint64_t r = mix(seed ^ mix(k));
	unsigned dim1 = (unsigned)(r % 10);
	unsigned dim2 = (unsigned)((r >> 8) % 20);
	unsigned qty = (unsigned)((r >> 16) % 101);
	uint64_t cents = (r >> 24) % 100001;

	if (o->used > OUT_BUF_SIZE - 256 && out_flush(o))
		return -1;
	size_t nlen = (size_t)(put_uint(num, k) - num);
	if (!EVP_DigestInit_ex2(ctx, md, NULL) || !EVP_DigestUpdate(ctx, num, nlen) ||
	    !EVP_DigestFinal_ex(ctx, h, &hlen) || hlen != 32)
		return -1;
	p = o->buf + o->used;
	for (int i = 0; i < 32; i++) {
		*p++ = hex[h[i] >> 4];
		*p++ = hex[h[i] & 15];
	}
	memcpy(p, ",d1_", 4);
	p += 4;
	*p++ = (char)('0' + dim1);
	memcpy(p, ",d2_", 4);
	p += 4;
	*p++ = (char)('0' + dim2 / 10);
	*p++ = (char)('0' + dim2 % 10);
	*p++ = ',';
	p = put_uint(p, qty);
	*p++ = ',';
	p = put_uint(p, cents / 100);
	*p++ = '.';
	*p++ = (char)('0' + cents / 10 % 10);
	*p++ = (char)('0' + cents % 10);
	*p++ = '\n';
	o->used = (size_t)(p - o->buf);
	return 0;
}

// Table a: counters 0..n-1 in order. Table b: counters n/2..n/2+n-1 in a fixed pseudo-random
// order (Fisher-Yates with a fixed seed), so that a join cannot profit from sorted input.
static int write_table(const char *dir, char name, uint64_t n)
{
	char path[4096], tmp[4096];
	struct out o = { 0 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	uint64_t *perm = NULL;
	uint64_t seed = name == 'a' ? 0x0a0a0a0a0a0a0a0aull : 0x0b0b0b0b0b0b0b0bull;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%c.csv", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%c.csv.tmp", dir, name);
	o.buf = malloc(OUT_BUF_SIZE);
	o.f = fopen(tmp, "wb");
	if (!ctx || !md || !o.buf || !o.f) {
		fprintf(stderr, "gen: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (name == 'b') {
		uint64_t s = 0x5eed5eed5eed5eedull;

		perm = malloc((size_t)n * sizeof(*perm));
		if (!perm && n) {
			fprintf(stderr, "gen: out of memory\n");
			goto out;
		}
		for (uint64_t i = 0; i < n; i++)
			perm[i] = n / 2 + i;
		for (uint64_t i = n; i > 1; i--) {
			s = mix(s);
			uint64_t j = (uint64_t)(((unsigned __int128)s * i) >> 64);
			uint64_t t = perm[i - 1];

			perm[i - 1] = perm[j];
			perm[j] = t;
		}
	}
	static const char header[] = "id,dim1,dim2,qty,amount\n";
	memcpy(o.buf, header, sizeof(header) - 1);
	o.used = sizeof(header) - 1;
	for (uint64_t i = 0; i < n; i++) {
		if (put_row(&o, ctx, md, perm ? perm[i] : i, seed)) {
			fprintf(stderr, "gen: %s: write failed: %s\n", tmp, strerror(errno));
			goto out;
		}
	}
	if (out_flush(&o) || fclose(o.f)) {
		o.f = NULL;
		fprintf(stderr, "gen: %s: write failed: %s\n", tmp, strerror(errno));
		goto out;
	}
	o.f = NULL;
	// Rename last, so that an interrupted run never leaves a partial file in the cache.
	if (rename(tmp, path)) {
		fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (o.f)
		fclose(o.f);
	free(o.buf);
	free(perm);
	EVP_MD_free(md);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int main(int argc, char **argv)
{
	char *end;
	uint64_t n;
	pid_t pid;
	int st = 0, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: gen N OUTDIR\n");
		return 2;
	}
	errno = 0;
	n = strtoull(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || n < 2 || n > (UINT64_MAX / 4)) {
		fprintf(stderr, "gen: N must be an integer >= 2\n");
		return 2;
	}
	// Two files, two processes: the machine this runs on has (at least) two cores.
	pid = fork();
	if (pid < 0) {
		perror("gen: fork");
		return 1;
	}
	if (pid == 0)
		_exit(write_table(argv[2], 'b', n) ? 1 : 0);
	rc = write_table(argv[2], 'a', n);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		rc = -1;
	return rc ? 1 : 0;
}
