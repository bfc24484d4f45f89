/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed files: round trips (streamed and one-shot), every way a stored file
 * can be altered, swapped or cut short, aborted writers, the temporary-file
 * sweep, and a writer killed (SIGKILL) at random moments. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "store/store_int.h"

#define CHUNK SEAL_CHUNK_SIZE
#define CMAX SEAL_CHUNK_MAX
#define HDR SEAL_HEADER_SIZE
#define NO_LIMIT ((size_t)1 << 40)
#define LABEL "dataset impressions"
#define SECRET "SECRET-ROW-VALUE"

static uint8_t key[DCR_SEAL_KEY_SIZE], key2[DCR_SEAL_KEY_SIZE];

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible piece sizes and positions */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* size bytes that start with SECRET (so a leak into a message shows). */
static uint8_t *pattern(size_t size, uint8_t salt)
{
	uint8_t *p = malloc(size ? size : 1);

	assert_non_null(p);
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13) ^ salt;
	memcpy(p, SECRET, size < sizeof(SECRET) - 1 ? size : sizeof(SECRET) - 1);
	return p;
}

static size_t sealed_size(size_t n)
{
	size_t chunks = n ? (n + CHUNK - 1) / CHUNK : 1;

	return HDR + n + chunks * SEAL_CHUNK_OVERHEAD;
}

static void read_file(const char *path, struct dcr_buf *out)
{
	struct dcr_msg msg;

	assert_int_equal(dcr_file_read(path, NO_LIMIT, out, &msg), DCR_OK);
}

/* Number of names in dir that contain ".tmp.". */
static size_t count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

struct collect {
	struct dcr_buf buf;
	size_t largest;        /* largest single delivery */
	enum dcr_err fail_err; /* returned by the sink when not DCR_OK */
};

static enum dcr_err collect_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct collect *c = ctx;

	if (size > c->largest)
		c->largest = size;
	if (c->fail_err)
		return c->fail_err;
	return dcr_buf_append(&c->buf, data, size);
}

/* Writes data through a writer in random pieces. */
static void write_streamed(const char *path, const char *label, const uint8_t *data, size_t size)
{
	struct dcr_seal_writer *w;
	struct dcr_msg msg;
	size_t off = 0;

	assert_int_equal(dcr_seal_writer_new(key, path, label, &w, &msg), DCR_OK);
	while (off < size) {
		size_t n = 1 + rnd() % (rnd() & 1 ? 100 : 200000);

		if (n > size - off)
			n = size - off;
		assert_int_equal(dcr_seal_writer_write(w, data + off, n, &msg), DCR_OK);
		off += n;
	}
	assert_int_equal(dcr_seal_writer_commit(w, &msg), DCR_OK);
	dcr_seal_writer_free(w);
}

static void write_file(const char *path, const void *data, size_t size)
{
	struct dcr_msg msg;

	assert_int_equal(dcr_seal_write_all(key, path, LABEL, data, size, &msg), DCR_OK);
}

/* Asserts that path does not unseal (DCR_ERR_VERIFY, message naming the
 * file and needle, never the plaintext), one-shot and streamed. */
static void expect_refused(const char *path, const uint8_t *k, const char *label,
                           const char *needle)
{
	struct dcr_buf out;
	struct dcr_msg msg;
	struct collect c = {.fail_err = DCR_OK};

	memset(&msg, 0, sizeof(msg));
	assert_int_equal(dcr_seal_read_all(k, path, label, NO_LIMIT, &out, &msg), DCR_ERR_VERIFY);
	assert_null(out.data);
	assert_int_equal(out.size, 0);
	tu_assert_msg(&msg, path);
	tu_assert_msg(&msg, needle);
	assert_null(strstr(msg.text, SECRET));

	dcr_buf_init(&c.buf, NO_LIMIT);
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(dcr_seal_read(k, path, label, collect_sink, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, needle);
	dcr_buf_free(&c.buf);
}

static int setup(void **state)
{
	(void)state;
	if (dcr_crypto_init() != DCR_OK)
		return -1;
	dcr_random(key, sizeof(key));
	dcr_random(key2, sizeof(key2));
	return 0;
}

/* ---- round trips ----------------------------------------------------------- */

static void test_round_trips(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3u << 20};
	char *dir = tu_tmpdir();
	char path[4200];

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *plain = pattern(n, (uint8_t)i);
		struct dcr_buf out, raw;
		struct dcr_msg msg;
		struct collect c = {.fail_err = DCR_OK};
		struct stat st;

		/* one-shot both ways */
		write_file(path, plain, n);
		assert_int_equal(dcr_seal_read_all(key, path, LABEL, NO_LIMIT, &out, &msg), DCR_OK);
		assert_int_equal(out.size, n);
		assert_true(out.secret);
		if (n)
			assert_memory_equal(out.data, plain, n);
		dcr_buf_free(&out);
		read_file(path, &raw);
		assert_int_equal(raw.size, sealed_size(n));
		/* sealed: the plaintext does not appear in the file */
		if (n >= 16)
			assert_null(memmem(raw.data, raw.size, SECRET, 16));
		dcr_buf_free(&raw);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);

		/* streamed both ways, in random pieces; at most one chunk at a time */
		write_streamed(path, LABEL, plain, n);
		dcr_buf_init(&c.buf, NO_LIMIT);
		assert_int_equal(dcr_seal_read(key, path, LABEL, collect_sink, &c, &msg), DCR_OK);
		assert_int_equal(c.buf.size, n);
		if (n)
			assert_memory_equal(c.buf.data, plain, n);
		assert_true(c.largest <= CHUNK);
		dcr_buf_free(&c.buf);
		read_file(path, &raw);
		assert_int_equal(raw.size, sealed_size(n));
		dcr_buf_free(&raw);
		assert_int_equal(count_temps(dir), 0);
		free(plain);
	}
	tu_rmdir(dir);
}

/* Two seals of the same data differ (fresh salt), both open. */
static void test_fresh_salt(void **state)
{
	char *dir = tu_tmpdir();
	char a[4200], b[4200];
	struct dcr_buf ra, rb;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	write_file(a, "same", 4);
	write_file(b, "same", 4);
	read_file(a, &ra);
	read_file(b, &rb);
	assert_int_equal(ra.size, rb.size);
	assert_memory_not_equal(ra.data + SEAL_MAGIC_SIZE + 1, rb.data + SEAL_MAGIC_SIZE + 1,
	                        SEAL_SALT_SIZE);
	assert_memory_not_equal(ra.data + HDR, rb.data + HDR, ra.size - HDR);
	dcr_buf_free(&ra);
	dcr_buf_free(&rb);
	tu_rmdir(dir);
}

static void test_replace(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf out;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	write_file(path, "version one", 11);
	write_file(path, "version two!", 12);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 100, &out, &msg), DCR_OK);
	assert_int_equal(out.size, 12);
	assert_memory_equal(out.data, "version two!", 12);
	dcr_buf_free(&out);
	assert_int_equal(count_temps(dir), 0);
	tu_rmdir(dir);
}

/* ---- tampering ------------------------------------------------------------- */

/* A three-chunk file: 2 full chunks and 100 bytes. */
#define THREE (2 * CHUNK + 100)

static void make_three(const char *path, struct dcr_buf *raw)
{
	uint8_t *plain = pattern(THREE, 7);

	write_file(path, plain, THREE);
	free(plain);
	read_file(path, raw);
	assert_int_equal(raw->size, HDR + 2 * CMAX + 100 + SEAL_CHUNK_OVERHEAD);
}

static void flip_and_expect(const char *path, const struct dcr_buf *raw, size_t pos, uint8_t x,
                            const char *needle)
{
	uint8_t *copy = malloc(raw->size);

	assert_non_null(copy);
	memcpy(copy, raw->data, raw->size);
	copy[pos] ^= x;
	tu_write(path, copy, raw->size);
	expect_refused(path, key, LABEL, needle);
	free(copy);
}

static void test_header_flips(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	make_three(path, &raw);
	for (size_t pos = 0; pos < HDR; pos++) {
		const char *needle = pos < SEAL_MAGIC_SIZE   ? "not a dcr sealed file"
		                     : pos == SEAL_MAGIC_SIZE ? "unsupported sealed file version"
		                                              : "chunk 0 (at byte 24) failed";

		flip_and_expect(path, &raw, pos, (uint8_t)(1u << (pos % 8)), needle);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

static void test_chunk_flips(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200], needle[64];
	struct dcr_buf raw;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	make_three(path, &raw);
	for (size_t c = 0; c < 3; c++) {
		size_t start = HDR + c * CMAX;
		size_t size = c < 2 ? CMAX : 100 + SEAL_CHUNK_OVERHEAD;
		/* the flag byte, the data, the first and last tag bytes */
		size_t at[] = {0, 1, size / 2, size - 16, size - 1};

		snprintf(needle, sizeof(needle), "chunk %zu (at byte %zu) failed authentication",
		         c, start);
		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++)
			flip_and_expect(path, &raw, start + at[i], 0x80, needle);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

static void test_truncated(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;
	const struct {
		size_t size;
		const char *needle;
	} cuts[] = {
		{0, "truncated: the header is 0 of 24 bytes"},
		{3, "truncated: the header is 3 of 24 bytes"},
		{HDR - 1, "truncated: the header"},
		{HDR, "ends after 0 chunk(s) without its final chunk"},
		{HDR + 1, "chunk 0 (at byte 24) failed"},
		{HDR + 16, "chunk 0 (at byte 24) failed"},
		{HDR + CMAX - 1, "chunk 0 (at byte 24) failed"},
		{HDR + CMAX, "ends after 1 chunk(s) without its final chunk"},
		{HDR + CMAX + 5000, "chunk 1 (at byte 65577) failed"},
		{HDR + 2 * CMAX, "ends after 2 chunk(s) without its final chunk"},
		{HDR + 2 * CMAX + 10, "chunk 2 (at byte 131130) failed"},
		{HDR + 2 * CMAX + 100 + SEAL_CHUNK_OVERHEAD - 1, "chunk 2 (at byte 131130) failed"},
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	make_three(path, &raw);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		tu_write(path, raw.data, cuts[i].size);
		expect_refused(path, key, LABEL, cuts[i].needle);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* Bytes appended after a short final chunk make it fail (the reader cannot
 * tell where it should have ended); after a full one, they are named. */
static void test_appended(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw, longer;
	uint8_t *plain = pattern(2 * CHUNK, 5);
	const size_t extra[] = {1, 17, CMAX};

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	for (int full = 0; full < 2; full++) {
		if (full) {
			write_file(path, plain, 2 * CHUNK);
			read_file(path, &raw);
		} else {
			make_three(path, &raw);
		}
		for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
			dcr_buf_init(&longer, NO_LIMIT);
			assert_int_equal(dcr_buf_append(&longer, raw.data, raw.size), DCR_OK);
			/* the file's own bytes again, so nothing stands out */
			assert_int_equal(dcr_buf_append(&longer, raw.data + HDR, extra[i]), DCR_OK);
			tu_write(path, longer.data, longer.size);
			expect_refused(path, key, LABEL,
			               full ? "data after the final chunk"
			                    : "chunk 2 (at byte 131130) failed");
			dcr_buf_free(&longer);
		}
		dcr_buf_free(&raw);
	}
	free(plain);
	tu_rmdir(dir);
}

static void test_chunks_moved(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw, mut;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	make_three(path, &raw);
	/* chunks 0 and 1 swapped */
	dcr_buf_init(&mut, NO_LIMIT);
	assert_int_equal(dcr_buf_append(&mut, raw.data, raw.size), DCR_OK);
	memcpy(mut.data + HDR, raw.data + HDR + CMAX, CMAX);
	memcpy(mut.data + HDR + CMAX, raw.data + HDR, CMAX);
	tu_write(path, mut.data, mut.size);
	expect_refused(path, key, LABEL, "chunk 0 (at byte 24) failed");
	dcr_buf_free(&mut);
	/* chunk 1 dropped */
	dcr_buf_init(&mut, NO_LIMIT);
	assert_int_equal(dcr_buf_append(&mut, raw.data, HDR + CMAX), DCR_OK);
	assert_int_equal(dcr_buf_append(&mut, raw.data + HDR + 2 * CMAX,
	                                raw.size - HDR - 2 * CMAX), DCR_OK);
	tu_write(path, mut.data, mut.size);
	expect_refused(path, key, LABEL, "chunk 1 (at byte 65577) failed");
	dcr_buf_free(&mut);
	/* chunk 0 twice */
	dcr_buf_init(&mut, NO_LIMIT);
	assert_int_equal(dcr_buf_append(&mut, raw.data, HDR + CMAX), DCR_OK);
	assert_int_equal(dcr_buf_append(&mut, raw.data + HDR, raw.size - HDR), DCR_OK);
	tu_write(path, mut.data, mut.size);
	expect_refused(path, key, LABEL, "chunk 1 (at byte 65577) failed");
	dcr_buf_free(&mut);
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

static void test_wrong_key_or_label(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	make_three(path, &raw);
	expect_refused(path, key2, LABEL, "another key or label");
	expect_refused(path, key, "dataset purchases", "another key or label");
	expect_refused(path, key, "", "chunk 0 (at byte 24) failed");
	/* a label that is a prefix of the real one */
	expect_refused(path, key, "dataset impression", "chunk 0 (at byte 24) failed");
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* Another sealed file (another label) renamed over this one: refused; the
 * same with an empty file. */
static void test_renamed_over(void **state)
{
	char *dir = tu_tmpdir();
	char a[4200], b[4200];
	struct dcr_msg msg;

	(void)state;
	snprintf(a, sizeof(a), "%s/impressions", dir);
	snprintf(b, sizeof(b), "%s/purchases", dir);
	write_file(a, "impressions rows", 16);
	assert_int_equal(dcr_seal_write_all(key, b, "dataset purchases", "purchases rows", 14,
	                                    &msg), DCR_OK);
	assert_int_equal(rename(b, a), 0);
	expect_refused(a, key, LABEL, "another key or label");
	tu_write(a, "", 0);
	expect_refused(a, key, LABEL, "truncated");
	tu_rmdir(dir);
}

/* ---- other errors -------------------------------------------------------------- */

static void test_not_found(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf out;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 10, &out, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, path);
	assert_null(out.data);
	/* a directory is not a sealed file */
	assert_int_equal(dcr_seal_read_all(key, dir, LABEL, 10, &out, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "not a regular file");
	/* nor is a FIFO, which must not block the reader */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 10, &out, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "not a regular file");
	tu_rmdir(dir);
}

static void test_too_big_and_sink_error(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint8_t *plain = pattern(100000, 3);
	struct dcr_buf out;
	struct dcr_msg msg;
	struct collect c = {.fail_err = DCR_ERR_REFUSED};

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	write_file(path, plain, 100000);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 99999, &out, &msg), DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, "holds more than 99999 bytes");
	assert_null(out.data);
	assert_int_equal(out.size, 0);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 100000, &out, &msg), DCR_OK);
	dcr_buf_free(&out);
	dcr_buf_init(&c.buf, NO_LIMIT);
	assert_int_equal(dcr_seal_read(key, path, LABEL, collect_sink, &c, &msg), DCR_ERR_REFUSED);
	tu_assert_msg(&msg, "consumer of the plaintext failed");
	dcr_buf_free(&c.buf);
	free(plain);
	tu_rmdir(dir);
}

/* A writer freed without commit leaves the old file (or none) and no
 * temporary file. */
static void test_abort(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200], fresh[4200];
	uint8_t *plain = pattern(200000, 9);
	struct dcr_seal_writer *w;
	struct dcr_buf out;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh", dir);
	write_file(path, "old", 3);

	assert_int_equal(dcr_seal_writer_new(key, path, LABEL, &w, &msg), DCR_OK);
	assert_int_equal(dcr_seal_writer_write(w, plain, 200000, &msg), DCR_OK);
	assert_int_equal(count_temps(dir), 1);
	dcr_seal_writer_free(w);
	assert_int_equal(count_temps(dir), 0);
	assert_int_equal(dcr_seal_read_all(key, path, LABEL, 10, &out, &msg), DCR_OK);
	assert_int_equal(out.size, 3);
	assert_memory_equal(out.data, "old", 3);
	dcr_buf_free(&out);

	assert_int_equal(dcr_seal_writer_new(key, fresh, LABEL, &w, &msg), DCR_OK);
	assert_int_equal(dcr_seal_writer_write(w, plain, 10, &msg), DCR_OK);
	dcr_seal_writer_free(w);
	assert_int_equal(access(fresh, F_OK), -1);
	assert_int_equal(count_temps(dir), 0);
	dcr_seal_writer_free(NULL);
	free(plain);
	tu_rmdir(dir);
}

static void test_write_errors(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_seal_writer *w;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/no/such/dir/data", dir);
	assert_int_equal(dcr_seal_writer_new(key, path, LABEL, &w, &msg), DCR_ERR_NOT_FOUND);
	assert_null(w);
	tu_assert_msg(&msg, path);

	/* rename onto a non-empty directory fails: commit reports it, free
	 * removes the temporary file, the directory is untouched */
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/adir/x", dir);
	tu_write(path, "x", 1);
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(dcr_seal_writer_new(key, path, LABEL, &w, &msg), DCR_OK);
	assert_int_equal(dcr_seal_writer_write(w, "abc", 3, &msg), DCR_OK);
	assert_int_equal(dcr_seal_writer_commit(w, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "cannot rename into place");
	tu_assert_msg(&msg, path);
	dcr_seal_writer_free(w);
	assert_int_equal(count_temps(dir), 0);
	tu_rmdir(dir);
}

static void test_sweep(void **state)
{
	char *dir = tu_tmpdir();
	char target[4200], link_path[4200];
	size_t removed = 99;
	struct dcr_msg msg;

	(void)state;
	tu_write(tu_path(dir, "data.tmp.a1B2c3"), "x", 1);   /* a leftover */
	tu_write(tu_path(dir, "keys.tmp.ZZZZZZ"), "x", 1);   /* another */
	tu_write(tu_path(dir, "data"), "x", 1);
	tu_write(tu_path(dir, "data.tmp.abc12"), "x", 1);    /* 5 characters: not ours */
	tu_write(tu_path(dir, "data.tmp.abc-12"), "x", 1);   /* not alphanumeric */
	tu_write(tu_path(dir, "data.tmpx1234567"), "x", 1);
	snprintf(target, sizeof(target), "%s/data", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.tmp.abcdef", dir);
	assert_int_equal(symlink(target, link_path), 0);    /* never followed or removed */
	assert_int_equal(dcr_seal_sweep(dir, &removed, &msg), DCR_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(access(tu_path(dir, "data.tmp.a1B2c3"), F_OK), -1);
	assert_int_equal(access(tu_path(dir, "keys.tmp.ZZZZZZ"), F_OK), -1);
	assert_int_equal(access(tu_path(dir, "data"), F_OK), 0);
	assert_int_equal(access(tu_path(dir, "data.tmp.abc12"), F_OK), 0);
	assert_int_equal(access(tu_path(dir, "data.tmp.abc-12"), F_OK), 0);
	assert_int_equal(access(tu_path(dir, "data.tmpx1234567"), F_OK), 0);
	assert_int_equal(access(link_path, F_OK), 0);
	assert_int_equal(dcr_seal_sweep(tu_path(dir, "nope"), NULL, &msg), DCR_ERR_NOT_FOUND);
	tu_rmdir(dir);
}

/* ---- crash safety ------------------------------------------------------------ */

/* Version v's contents: v, the size, then bytes that depend on both. */
static size_t version_size(uint64_t v)
{
	return 16 + (size_t)((v * 7919u) % 300000u);
}

static void version_fill(uint8_t *p, uint64_t v, size_t size)
{
	memcpy(p, &v, 8);
	memcpy(p + 8, &size, 8);
	for (size_t i = 16; i < size; i++)
		p[i] = (uint8_t)(v * 31 + i * 7);
}

/* The version held in a complete, well-formed copy; 0 when malformed. */
static uint64_t version_check(const uint8_t *p, size_t size)
{
	uint64_t v;
	size_t stored;
	uint8_t *want;
	bool ok;

	if (size < 16)
		return 0;
	memcpy(&v, p, 8);
	memcpy(&stored, p + 8, 8);
	if (stored != size || size != version_size(v))
		return 0;
	want = malloc(size);
	assert_non_null(want);
	version_fill(want, v, size);
	ok = memcmp(want, p, size) == 0;
	free(want);
	return ok ? v : 0;
}

static void drain(int fd, uint64_t *last)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		*last = v;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* A child commits version after version; it is killed at a random moment.
 * The file must then hold exactly one complete version: the last one
 * acknowledged, or the one after it (committed, killed before it said so). */
static void test_killed_writer(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint64_t held = 0; /* the version the file held after the last round */
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	size_t removed, leftovers = 0;
	int rounds_acked = 0;
	uint64_t commits = 0;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/data", dir);
	print_message("killed writer: seed %u\n", seed);
	for (int iter = 0; iter < 25; iter++) {
		uint64_t base = (uint64_t)(iter + 1) * 1000000, last = 0, got;
		int fds[2];
		pid_t pid;
		struct dcr_buf out;
		enum dcr_err err;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			for (uint64_t v = base;; v++) {
				size_t size = version_size(v);
				uint8_t *p = malloc(size);

				if (!p)
					_exit(2);
				version_fill(p, v, size);
				if (dcr_seal_write_all(key, path, LABEL, p, size, NULL) != DCR_OK)
					_exit(3);
				free(p);
				if (write(fds[1], &v, sizeof(v)) != (ssize_t)sizeof(v))
					_exit(4);
			}
		}
		close(fds[1]);
		assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
		/* from "before the first commit" to "well into the loop" */
		for (long t = 0, stop = rand_r(&seed) % 150; t < stop; t += 2) {
			drain(fds[0], &last);
			sleep_ms(2);
		}
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		assert_int_equal(fcntl(fds[0], F_SETFL, 0), 0);
		drain(fds[0], &last);
		close(fds[0]);

		err = dcr_seal_read_all(key, path, LABEL, NO_LIMIT, &out, &msg);
		if (err == DCR_ERR_NOT_FOUND && held == 0 && last == 0)
			continue; /* killed before the very first commit */
		if (err)
			fail_msg("iteration %d: %s", iter, msg.text);
		got = version_check(out.data, out.size);
		dcr_buf_free(&out);
		/* no acknowledgement this round: the old version or the first new */
		if (last ? got != last && got != last + 1 : got != held && got != base)
			fail_msg("iteration %d: holds version %llu; acknowledged %llu, held %llu",
			         iter, (unsigned long long)got, (unsigned long long)last,
			         (unsigned long long)held);
		held = got;
		rounds_acked += last != 0;
		commits += last ? last - base + 1 : 0;
		/* at most the one writer's temporary file was left behind */
		assert_true(count_temps(dir) <= 1);
		assert_int_equal(dcr_seal_sweep(dir, &removed, &msg), DCR_OK);
		leftovers += removed;
		assert_int_equal(count_temps(dir), 0);
	}
	print_message("killed writer: %d of 25 rounds acknowledged commits (%llu in all), %zu "
	              "temporary files swept\n", rounds_acked, (unsigned long long)commits,
	              leftovers);
	/* the test means something only if the kills landed among commits */
	assert_true(rounds_acked >= 5);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_fresh_salt),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_header_flips),
		cmocka_unit_test(test_chunk_flips),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_appended),
		cmocka_unit_test(test_chunks_moved),
		cmocka_unit_test(test_wrong_key_or_label),
		cmocka_unit_test(test_renamed_over),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_too_big_and_sink_error),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_killed_writer),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
