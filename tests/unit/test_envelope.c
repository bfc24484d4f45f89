/* SPDX-License-Identifier: Apache-2.0 */
/* Envelope sealing and opening with real randomness: round trips, streaming in
 * any piece sizes, and one negative test per way an envelope can go wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "crypto/crypto_int.h"

#define HDR DCR_ENVELOPE_HEADER_SIZE
#define CHUNK DCR_ENVELOPE_CHUNK_SIZE
#define CMAX (DCR_ENVELOPE_CHUNK_SIZE + DCR_ENVELOPE_CHUNK_OVERHEAD)
#define NO_LIMIT ((size_t)1 << 40)

static struct dcr_seckey *alice, *bob;
static struct dcr_pubkey alice_pk, bob_pk;

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible piece sizes, so a failure replays */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint8_t *pattern(size_t size, uint8_t salt)
{
	uint8_t *p = malloc(size ? size : 1);

	assert_non_null(p);
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13) ^ salt;
	return p;
}

static size_t envelope_size(size_t plain)
{
	size_t chunks = plain ? (plain + CHUNK - 1) / CHUNK : 1;

	return HDR + plain + chunks * DCR_ENVELOPE_CHUNK_OVERHEAD;
}

static void seal(const struct dcr_pubkey *pk, const void *data, size_t size, struct dcr_buf *out)
{
	assert_int_equal(dcr_envelope_seal(pk, data, size, NO_LIMIT, out), DCR_OK);
	assert_int_equal(out->size, envelope_size(size));
}

/* What a reader handed to its sink. */
struct collect {
	struct dcr_buf buf;
	size_t calls;
	size_t largest;  /* largest single delivery */
	size_t fail_at;  /* 1-based call that fails with fail_err; 0: never */
	enum dcr_err fail_err;
};

static enum dcr_err collect_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct collect *c = ctx;

	c->calls++;
	if (size > c->largest)
		c->largest = size;
	if (c->fail_at && c->calls == c->fail_at)
		return c->fail_err;
	return dcr_buf_append(&c->buf, data, size);
}

static void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	dcr_buf_init(&c->buf, NO_LIMIT);
}

/* Feeds env to a fresh reader for key in pieces: piece 0 = all at once,
 * 1 = a byte at a time, else random sizes up to piece. Returns the first
 * error of write or finish; the plaintext delivered so far is in c. */
static enum dcr_err read_pieces(const struct dcr_seckey *key, const uint8_t *env, size_t size,
                                size_t piece, struct collect *c, struct dcr_msg *msg)
{
	struct dcr_envelope_reader *r;
	enum dcr_err err = DCR_OK;
	size_t off = 0;

	memset(msg, 0, sizeof(*msg));
	assert_int_equal(dcr_envelope_reader_new(key, collect_sink, c, &r), DCR_OK);
	while (off < size) {
		size_t n = piece == 0 ? size - off : piece == 1 ? 1 : 1 + rnd() % piece;

		if (n > size - off)
			n = size - off;
		err = dcr_envelope_reader_write(r, env + off, n, msg);
		if (err)
			goto out;
		off += n;
	}
	err = dcr_envelope_reader_finish(r, msg);
out:
	dcr_envelope_reader_free(r);
	return err;
}

/* Opens env with key (one-shot and streamed a byte at a time, which must
 * agree) and asserts error kind and message. */
static void expect_fail(const struct dcr_seckey *key, const uint8_t *env, size_t size,
                        enum dcr_err want, const char *needle)
{
	struct dcr_buf out;
	struct dcr_msg msg = {{0}}, msg2;
	struct collect c;
	enum dcr_err err;

	err = dcr_envelope_open(key, env, size, NO_LIMIT, &out, &msg);
	if (err != want)
		fail_msg("got %s (%s), want %s", dcr_strerror(err), msg.text, dcr_strerror(want));
	tu_assert_msg(&msg, needle);
	assert_null(out.data);
	assert_int_equal(out.size, 0);

	collect_init(&c);
	assert_int_equal(read_pieces(key, env, size, 1, &c, &msg2), want);
	assert_string_equal(msg.text, msg2.text);
	dcr_buf_free(&c.buf);
}

static void expect_open(const struct dcr_seckey *key, const uint8_t *env, size_t size,
                        const uint8_t *plain, size_t plain_size)
{
	struct dcr_buf out;
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	err = dcr_envelope_open(key, env, size, NO_LIMIT, &out, &msg);
	if (err)
		fail_msg("open: %s: %s", dcr_strerror(err), msg.text);
	assert_int_equal(out.size, plain_size);
	if (plain_size)
		assert_memory_equal(out.data, plain, plain_size);
	dcr_buf_free(&out);
}

/* A copy of env with bit `bit` of byte `at` flipped. */
static uint8_t *flipped(const struct dcr_buf *env, size_t at, unsigned bit)
{
	uint8_t *p = malloc(env->size);

	assert_non_null(p);
	memcpy(p, env->data, env->size);
	p[at] ^= (uint8_t)(1u << bit);
	return p;
}

/* Builds an envelope by hand from raw libsodium calls, to make the ones
 * the writer never makes. chunk_sizes/tags: n chunks. ad: use the header as
 * associated data (else none). */
static void craft(const struct dcr_pubkey *pk, uint8_t version, uint8_t reserved,
                  const size_t *chunk_sizes, const uint8_t *tags, size_t n, bool ad,
                  struct dcr_buf *out)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t key[32], hdr[HDR], *plain = pattern(CHUNK, 0x5a), *c = malloc(CMAX);

	assert_non_null(c);
	memcpy(hdr, "DCRENV", 6);
	hdr[6] = version;
	hdr[7] = reserved;
	crypto_secretstream_xchacha20poly1305_keygen(key);
	assert_int_equal(crypto_box_seal(hdr + 8, key, 32, pk->box), 0);
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr + 88, key);
	dcr_buf_init(out, NO_LIMIT);
	assert_int_equal(dcr_buf_append(out, hdr, HDR), DCR_OK);
	for (size_t i = 0; i < n; i++) {
		crypto_secretstream_xchacha20poly1305_push(&st, c, NULL, plain, chunk_sizes[i],
		                                           ad ? hdr : NULL, ad ? HDR : 0, tags[i]);
		assert_int_equal(dcr_buf_append(out, c, chunk_sizes[i] + 17), DCR_OK);
	}
	free(plain);
	free(c);
}

#define T_MSG crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define T_PUSH crypto_secretstream_xchacha20poly1305_TAG_PUSH
#define T_REKEY crypto_secretstream_xchacha20poly1305_TAG_REKEY
#define T_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

/* ---- round trips --------------------------------------------------------- */

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {
		0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 200000,
		5 * CHUNK - 3,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *plain = pattern(sizes[i], (uint8_t)i);
		struct dcr_buf a, b;

		seal(&alice_pk, plain, sizes[i], &a);
		seal(&alice_pk, plain, sizes[i], &b);
		/* a fresh data key each time: the same message never seals the same */
		assert_memory_not_equal(a.data, b.data, a.size);
		assert_memory_equal(a.data, "DCRENV\x01\x00", 8);
		expect_open(alice, a.data, a.size, plain, sizes[i]);
		expect_open(alice, b.data, b.size, plain, sizes[i]);
		dcr_buf_free(&a);
		dcr_buf_free(&b);
		free(plain);
	}
}

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

/* How the plaintext is cut into writes must not matter. */
static void test_writer_pieces(void **state)
{
	const size_t size = 3 * CHUNK + 777;
	uint8_t *plain = pattern(size, 3);

	(void)state;
	for (size_t mode = 0; mode < 5; mode++) {
		struct dcr_envelope_writer *w;
		struct dcr_buf env;
		size_t off = 0;

		dcr_buf_init(&env, NO_LIMIT);
		assert_int_equal(dcr_envelope_writer_new(&alice_pk, buf_sink, &env, &w), DCR_OK);
		assert_int_equal(env.size, HDR); /* the header goes out at once */
		while (off < size) {
			size_t n = mode == 0 ? size : mode == 1 ? 1 : mode == 2 ? CHUNK
			         : mode == 3 ? CHUNK + 1 : 1 + rnd() % (3 * CHUNK);

			if (n > size - off)
				n = size - off;
			assert_int_equal(dcr_envelope_writer_write(w, plain + off, n), DCR_OK);
			assert_int_equal(dcr_envelope_writer_write(w, plain, 0), DCR_OK);
			off += n;
			/* only whole chunks went out, and at most one chunk of
			 * plaintext (at least a byte: it may be the last) waits */
			assert_int_equal((env.size - HDR) % CMAX, 0);
			assert_true((env.size - HDR) / CMAX * CHUNK < off);
			assert_true((env.size - HDR) / CMAX * CHUNK + CHUNK >= off);
		}
		assert_int_equal(dcr_envelope_writer_finish(w), DCR_OK);
		dcr_envelope_writer_free(w);
		assert_int_equal(env.size, envelope_size(size));
		expect_open(alice, env.data, env.size, plain, size);
		dcr_buf_free(&env);
	}
	free(plain);
}

/* Feeding the reader a byte at a time or in random pieces gives the same
 * plaintext as feeding it all at once. */
static void test_reader_pieces(void **state)
{
	static const size_t pieces[] = {0, 1, 7, 1000, CMAX - 1, CMAX, CMAX + 1, 3 * CMAX};
	const size_t size = 3 * CHUNK + 4321;
	uint8_t *plain = pattern(size, 4);
	struct dcr_buf env;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		for (int rep = 0; rep < (pieces[i] > 1 ? 3 : 1); rep++) {
			struct collect c;
			struct dcr_msg msg;

			collect_init(&c);
			enum dcr_err err;

			err = read_pieces(alice, env.data, env.size, pieces[i], &c, &msg);
			assert_int_equal(err, DCR_OK);
			assert_int_equal(c.buf.size, size);
			assert_memory_equal(c.buf.data, plain, size);
			assert_int_equal(c.calls, 4); /* one delivery per chunk */
			assert_true(c.largest <= CHUNK);
			dcr_buf_free(&c.buf);
		}
	}
	dcr_buf_free(&env);
	free(plain);
}

/* A whole chunk reaches the sink as soon as its bytes are in. */
static void test_prompt_delivery(void **state)
{
	const size_t size = 2 * CHUNK + 10;
	uint8_t *plain = pattern(size, 5);
	struct dcr_envelope_reader *r;
	struct collect c;
	struct dcr_buf env;
	struct dcr_msg msg;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	collect_init(&c);
	assert_int_equal(dcr_envelope_reader_new(alice, collect_sink, &c, &r), DCR_OK);
	assert_int_equal(dcr_envelope_reader_write(r, env.data, HDR + CMAX - 1, &msg), DCR_OK);
	assert_int_equal(c.buf.size, 0);
	assert_int_equal(dcr_envelope_reader_write(r, env.data + HDR + CMAX - 1, 1, &msg), DCR_OK);
	assert_int_equal(c.buf.size, CHUNK);
	assert_int_equal(dcr_envelope_reader_write(r, env.data + HDR + CMAX, env.size - HDR - CMAX,
	                                           &msg),
	                 DCR_OK);
	/* the last chunk is short: only finish can tell that it is complete */
	assert_int_equal(c.buf.size, 2 * CHUNK);
	assert_int_equal(dcr_envelope_reader_finish(r, &msg), DCR_OK);
	assert_int_equal(c.buf.size, size);
	assert_memory_equal(c.buf.data, plain, size);
	dcr_envelope_reader_free(r);
	dcr_buf_free(&c.buf);
	dcr_buf_free(&env);
	free(plain);
}

/* ---- negative tests ------------------------------------------------------ */

static void test_truncation(void **state)
{
	const size_t size = 2 * CHUNK + 1000; /* chunks: full, full, 1000 final */
	uint8_t *plain = pattern(size, 6);
	struct dcr_buf env, one;
	struct dcr_msg msg;
	struct collect c;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	/* inside the header */
	expect_fail(alice, env.data, 0, DCR_ERR_TRUNCATED, "header is 0 of 112 bytes");
	expect_fail(alice, env.data, 5, DCR_ERR_TRUNCATED, "header is 5 of 112 bytes");
	expect_fail(alice, env.data, 50, DCR_ERR_TRUNCATED, "header is 50 of 112 bytes");
	expect_fail(alice, env.data, HDR - 1, DCR_ERR_TRUNCATED, "header is 111 of 112 bytes");
	/* right after the header, and exactly at chunk boundaries */
	expect_fail(alice, env.data, HDR, DCR_ERR_TRUNCATED,
	            "ends after 0 chunk(s) without its final chunk");
	expect_fail(alice, env.data, HDR + CMAX, DCR_ERR_TRUNCATED,
	            "ends after 1 chunk(s) without its final chunk");
	expect_fail(alice, env.data, HDR + 2 * CMAX, DCR_ERR_TRUNCATED,
	            "ends after 2 chunk(s) without its final chunk");
	/* a tail too short to be a chunk */
	expect_fail(alice, env.data, HDR + 2 * CMAX + 16, DCR_ERR_TRUNCATED,
	            "chunk 2 has 16 bytes, fewer than its 17-byte authentication tag");
	/* mid-chunk: what remains is indistinguishable from an altered chunk */
	expect_fail(alice, env.data, HDR + 1000, DCR_ERR_VERIFY,
	            "chunk 0 (at byte 112) failed authentication");
	expect_fail(alice, env.data, HDR + CMAX + 17, DCR_ERR_VERIFY,
	            "chunk 1 (at byte 65665) failed authentication");
	expect_fail(alice, env.data, env.size - 1, DCR_ERR_VERIFY, "chunk 2");

	/* the plaintext of the chunks before the cut was delivered (provisional) */
	collect_init(&c);
	assert_int_equal(read_pieces(alice, env.data, HDR + 2 * CMAX, 0, &c, &msg),
	                 DCR_ERR_TRUNCATED);
	assert_int_equal(c.buf.size, 2 * CHUNK);
	dcr_buf_free(&c.buf);

	/* a single full FINAL chunk cut by one byte */
	seal(&alice_pk, plain, CHUNK, &one);
	expect_fail(alice, one.data, one.size - 1, DCR_ERR_VERIFY, "chunk 0");
	expect_open(alice, one.data, one.size, plain, CHUNK);
	dcr_buf_free(&one);
	dcr_buf_free(&env);
	free(plain);
}

/* Every single bit of the header matters, and the error names the field. */
static void test_flip_header_bits(void **state)
{
	uint8_t *plain = pattern(100, 7);
	struct dcr_buf env;

	(void)state;
	seal(&alice_pk, plain, 100, &env);
	for (size_t at = 0; at < HDR; at++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			uint8_t *bad = flipped(&env, at, bit);
			char want[64];

			if (at < 6) {
				expect_fail(alice, bad, env.size, DCR_ERR_INVALID,
				            "not a dcr envelope");
			} else if (at == 6) {
				snprintf(want, sizeof(want), "unsupported envelope version %u",
				         1u ^ (1u << bit));
				expect_fail(alice, bad, env.size, DCR_ERR_UNSUPPORTED, want);
			} else if (at == 7) {
				snprintf(want, sizeof(want), "reserved byte 0x%02x", 1u << bit);
				expect_fail(alice, bad, env.size, DCR_ERR_UNSUPPORTED, want);
			} else if (at < 88) { /* the sealed data key */
				expect_fail(alice, bad, env.size, DCR_ERR_VERIFY,
				            "not addressed to this key, or its header was altered");
			} else { /* the secretstream header */
				expect_fail(alice, bad, env.size, DCR_ERR_VERIFY,
				            "chunk 0 (at byte 112) failed authentication");
			}
			free(bad);
		}
	}
	dcr_buf_free(&env);
	free(plain);
}

/* A flipped bit in any chunk (its encrypted tag byte, its body, its MAC) is
 * caught at that chunk; the chunks before it were delivered. */
static void test_flip_chunk_bits(void **state)
{
	const size_t size = 3 * CHUNK + 500;
	uint8_t *plain = pattern(size, 8);
	struct dcr_buf env;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	for (size_t i = 0; i < 4; i++) {
		size_t start = HDR + i * CMAX, len = i < 3 ? CMAX : 500 + 17;
		size_t where[] = {start, start + 1, start + len / 2, start + len - 1};

		for (size_t j = 0; j < 4; j++) {
			uint8_t *bad = flipped(&env, where[j], (unsigned)(j * 3 % 8));
			struct collect c;
			struct dcr_msg msg;
			char want[32];

			snprintf(want, sizeof(want), "chunk %zu (at byte %zu)", i, start);
			expect_fail(alice, bad, env.size, DCR_ERR_VERIFY, want);
			collect_init(&c);
			assert_int_equal(read_pieces(alice, bad, env.size, 5000, &c, &msg),
			                 DCR_ERR_VERIFY);
			assert_int_equal(c.buf.size, i * CHUNK);
			assert_memory_equal(c.buf.data, plain, i * CHUNK);
			dcr_buf_free(&c.buf);
			free(bad);
		}
	}
	dcr_buf_free(&env);
	free(plain);
}

static void test_reorder(void **state)
{
	const size_t size = 3 * CHUNK + 10;
	uint8_t *plain = pattern(size, 9), *bad;
	struct dcr_buf env;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	bad = malloc(env.size);
	assert_non_null(bad);
	/* swap chunks 1 and 2 */
	memcpy(bad, env.data, env.size);
	memcpy(bad + HDR + CMAX, env.data + HDR + 2 * CMAX, CMAX);
	memcpy(bad + HDR + 2 * CMAX, env.data + HDR + CMAX, CMAX);
	expect_fail(alice, bad, env.size, DCR_ERR_VERIFY, "chunk 1 (at byte 65665)");
	/* swap chunks 0 and 1 */
	memcpy(bad, env.data, env.size);
	memcpy(bad + HDR, env.data + HDR + CMAX, CMAX);
	memcpy(bad + HDR + CMAX, env.data + HDR, CMAX);
	expect_fail(alice, bad, env.size, DCR_ERR_VERIFY, "chunk 0 (at byte 112)");
	/* drop chunk 1 */
	memcpy(bad, env.data, HDR + CMAX);
	memcpy(bad + HDR + CMAX, env.data + HDR + 2 * CMAX, env.size - HDR - 2 * CMAX);
	expect_fail(alice, bad, env.size - CMAX, DCR_ERR_VERIFY, "chunk 1");
	/* repeat chunk 0 in place of chunk 1 */
	memcpy(bad, env.data, env.size);
	memcpy(bad + HDR + CMAX, env.data + HDR, CMAX);
	expect_fail(alice, bad, env.size, DCR_ERR_VERIFY, "chunk 1");
	free(bad);
	dcr_buf_free(&env);
	free(plain);
}

/* Chunks and headers of another envelope to the same key do not fit. */
static void test_splice(void **state)
{
	const size_t size = 2 * CHUNK + 10;
	uint8_t *plain = pattern(size, 10), *bad;
	struct dcr_buf a, b;

	(void)state;
	seal(&alice_pk, plain, size, &a);
	seal(&alice_pk, plain, size, &b);
	assert_int_equal(a.size, b.size);
	bad = malloc(a.size);
	assert_non_null(bad);
	for (size_t i = 0; i < 3; i++) {
		size_t start = HDR + i * CMAX, len = i < 2 ? CMAX : a.size - start;
		char want[16];

		memcpy(bad, a.data, a.size);
		memcpy(bad + start, b.data + start, len);
		snprintf(want, sizeof(want), "chunk %zu ", i);
		expect_fail(alice, bad, a.size, DCR_ERR_VERIFY, want);
	}
	/* b's header on a's chunks: the data key opens, the chunks do not */
	memcpy(bad, a.data, a.size);
	memcpy(bad, b.data, HDR);
	expect_fail(alice, bad, a.size, DCR_ERR_VERIFY, "chunk 0 ");
	/* b's sealed key with a's stream header: the AD (the header) differs */
	memcpy(bad, a.data, a.size);
	memcpy(bad + 8, b.data + 8, 80);
	expect_fail(alice, bad, a.size, DCR_ERR_VERIFY, "chunk 0 ");
	free(bad);
	dcr_buf_free(&a);
	dcr_buf_free(&b);
	free(plain);
}

static void test_wrong_key(void **state)
{
	uint8_t *plain = pattern(CHUNK + 1, 11);
	struct dcr_buf env;

	(void)state;
	seal(&alice_pk, plain, CHUNK + 1, &env);
	expect_fail(bob, env.data, env.size, DCR_ERR_VERIFY, "not addressed to this key");
	expect_open(alice, env.data, env.size, plain, CHUNK + 1);
	dcr_buf_free(&env);
	free(plain);
}

static void test_trailing_bytes(void **state)
{
	static const size_t sizes[] = {0, 10, CHUNK, 2 * CHUNK};
	uint8_t *plain = pattern(2 * CHUNK, 12);

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct dcr_buf env;
		struct collect c;
		struct dcr_msg msg;

		seal(&alice_pk, plain, sizes[i], &env);
		assert_int_equal(dcr_buf_append(&env, "\0", 1), DCR_OK);
		/* a full final chunk is recognised as soon as it is in; a short
		 * one only at finish, where "after it" cannot be told apart */
		if (sizes[i] % CHUNK == 0 && sizes[i])
			expect_fail(alice, env.data, env.size, DCR_ERR_VERIFY,
			            "data after the final chunk");
		else
			expect_fail(alice, env.data, env.size, DCR_ERR_VERIFY,
			            "failed authentication");
		/* a whole extra copy of the last chunk */
		env.size--;
		if (sizes[i] == 2 * CHUNK) {
			assert_int_equal(dcr_buf_append(&env, env.data + HDR + CMAX, CMAX), DCR_OK);
			expect_fail(alice, env.data, env.size, DCR_ERR_VERIFY,
			            "data after the final chunk (chunk 1, which ends at byte "
			            "131218)");
			/* what came before was delivered, provisionally */
			collect_init(&c);
			assert_int_equal(read_pieces(alice, env.data, env.size, 0, &c, &msg),
			                 DCR_ERR_VERIFY);
			assert_int_equal(c.buf.size, 2 * CHUNK);
			dcr_buf_free(&c.buf);
		}
		dcr_buf_free(&env);
	}
	free(plain);
}

/* Envelopes made by hand with raw libsodium: structures the writer never
 * makes but anyone with the public key can. */
struct crafted {
	uint8_t version, reserved;
	bool ad;
	size_t n;
	size_t sizes[3];
	uint8_t tags[3];
	enum dcr_err want;
	const char *needle; /* or, for DCR_OK, unused */
};

static void test_crafted(void **state)
{
	static const struct crafted cases[] = {
		/* what the writer makes: accepted */
		{1, 0, true, 2, {CHUNK, 5}, {T_MSG, T_FINAL}, DCR_OK, NULL},
		{1, 0, true, 1, {0}, {T_FINAL}, DCR_OK, NULL},
		/* an empty final chunk after a full one: not canonical, accepted */
		{1, 0, true, 2, {CHUNK, 0}, {T_MSG, T_FINAL}, DCR_OK, NULL},
		/* FINAL on a chunk that is not the last */
		{1, 0, true, 2, {CHUNK, 5}, {T_FINAL, T_FINAL}, DCR_ERR_VERIFY,
		 "data after the final chunk (chunk 0, which ends at byte 65665)"},
		{1, 0, true, 3, {CHUNK, CHUNK, 0}, {T_MSG, T_FINAL, T_MSG}, DCR_ERR_VERIFY,
		 "data after the final chunk (chunk 1"},
		/* the stream ends on a MESSAGE chunk */
		{1, 0, true, 2, {CHUNK, 5}, {T_MSG, T_MSG}, DCR_ERR_TRUNCATED,
		 "ends with chunk 1, which is not marked final"},
		{1, 0, true, 1, {0}, {T_MSG}, DCR_ERR_TRUNCATED,
		 "ends with chunk 0, which is not marked final"},
		{1, 0, true, 2, {CHUNK, CHUNK}, {T_MSG, T_MSG}, DCR_ERR_TRUNCATED,
		 "ends after 2 chunk(s) without its final chunk"},
		/* tags this format does not use */
		{1, 0, true, 2, {CHUNK, 5}, {T_PUSH, T_FINAL}, DCR_ERR_VERIFY,
		 "chunk 0 has an unexpected tag 0x01"},
		{1, 0, true, 1, {5}, {T_REKEY}, DCR_ERR_VERIFY,
		 "chunk 0 has an unexpected tag 0x02"},
		{1, 0, true, 2, {CHUNK, 5}, {T_MSG, 0x80}, DCR_ERR_VERIFY,
		 "chunk 1 has an unexpected tag 0x80"},
		/* a short chunk that is not the last merges with the next */
		{1, 0, true, 2, {10, 5}, {T_MSG, T_FINAL}, DCR_ERR_VERIFY,
		 "chunk 0 (at byte 112) failed authentication"},
		/* chunks not bound to the header */
		{1, 0, false, 1, {5}, {T_FINAL}, DCR_ERR_VERIFY,
		 "chunk 0 (at byte 112) failed authentication"},
		/* other versions */
		{2, 0, true, 1, {5}, {T_FINAL}, DCR_ERR_UNSUPPORTED,
		 "unsupported envelope version 2 (this dcr reads version 1)"},
		{0, 0, true, 1, {5}, {T_FINAL}, DCR_ERR_UNSUPPORTED,
		 "unsupported envelope version 0"},
		{1, 0x10, true, 1, {5}, {T_FINAL}, DCR_ERR_UNSUPPORTED,
		 "version 1 with reserved byte 0x10 (must be 0)"},
	};
	uint8_t *plain = pattern(CHUNK, 0x5a), *want = malloc(3 * CHUNK);

	(void)state;
	assert_non_null(want);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct crafted *k = &cases[i];
		struct dcr_buf e;
		size_t want_size = 0;

		craft(&alice_pk, k->version, k->reserved, k->sizes, k->tags, k->n, k->ad, &e);
		if (k->want != DCR_OK) {
			expect_fail(alice, e.data, e.size, k->want, k->needle);
		} else {
			for (size_t j = 0; j < k->n; j++) {
				memcpy(want + want_size, plain, k->sizes[j]);
				want_size += k->sizes[j];
			}
			expect_open(alice, e.data, e.size, want, want_size);
		}
		dcr_buf_free(&e);
	}
	free(want);
	free(plain);
}

/* After an error, the reader refuses everything with the same error. */
static void test_sticky_error(void **state)
{
	uint8_t *plain = pattern(3 * CHUNK, 13);
	struct dcr_envelope_reader *r;
	struct collect c;
	struct dcr_buf env;
	struct dcr_msg msg, again;
	uint8_t *bad;

	(void)state;
	seal(&alice_pk, plain, 3 * CHUNK, &env);
	bad = flipped(&env, HDR + CMAX + 100, 0);
	collect_init(&c);
	assert_int_equal(dcr_envelope_reader_new(alice, collect_sink, &c, &r), DCR_OK);
	assert_int_equal(dcr_envelope_reader_write(r, bad, HDR + 2 * CMAX, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "chunk 1 ");
	/* valid bytes do not bring it back */
	memset(&again, 0, sizeof(again));
	assert_int_equal(dcr_envelope_reader_write(r, env.data + HDR + 2 * CMAX, CMAX, &again),
	                 DCR_ERR_VERIFY);
	assert_string_equal(again.text, msg.text);
	memset(&again, 0, sizeof(again));
	assert_int_equal(dcr_envelope_reader_write(r, NULL, 0, &again), DCR_ERR_VERIFY);
	assert_string_equal(again.text, msg.text);
	memset(&again, 0, sizeof(again));
	assert_int_equal(dcr_envelope_reader_finish(r, &again), DCR_ERR_VERIFY);
	assert_string_equal(again.text, msg.text);
	assert_int_equal(c.buf.size, CHUNK);
	dcr_envelope_reader_free(r);
	dcr_buf_free(&c.buf);
	free(bad);
	dcr_buf_free(&env);
	free(plain);
}

static void test_reader_sink_error(void **state)
{
	uint8_t *plain = pattern(3 * CHUNK + 1, 14);
	struct dcr_envelope_reader *r;
	struct dcr_buf env;
	struct collect c;
	struct dcr_msg msg;

	(void)state;
	seal(&alice_pk, plain, 3 * CHUNK + 1, &env);
	for (size_t at = 1; at <= 4; at++) {
		collect_init(&c);
		c.fail_at = at;
		c.fail_err = DCR_ERR_IO;
		assert_int_equal(read_pieces(alice, env.data, env.size, 9999, &c, &msg),
		                 DCR_ERR_IO);
		tu_assert_msg(&msg, "consumer of the plaintext failed");
		assert_int_equal(c.calls, at); /* the stream stopped there */
		assert_int_equal(c.buf.size, (at - 1) * CHUNK);
		dcr_buf_free(&c.buf);
	}
	/* and the error sticks */
	collect_init(&c);
	c.fail_at = 1;
	c.fail_err = DCR_ERR_REFUSED;
	assert_int_equal(dcr_envelope_reader_new(alice, collect_sink, &c, &r), DCR_OK);
	assert_int_equal(dcr_envelope_reader_write(r, env.data, env.size, &msg), DCR_ERR_REFUSED);
	assert_int_equal(dcr_envelope_reader_finish(r, &msg), DCR_ERR_REFUSED);
	assert_int_equal(c.calls, 1);
	dcr_envelope_reader_free(r);
	dcr_buf_free(&c.buf);
	dcr_buf_free(&env);
	free(plain);
}

/* A sink that fails on its fail_at-th call. */
struct failing {
	struct dcr_buf buf;
	size_t calls, fail_at;
};

static enum dcr_err failing_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct failing *f = ctx;

	if (++f->calls == f->fail_at)
		return DCR_ERR_IO;
	return dcr_buf_append(&f->buf, data, size);
}

static enum dcr_err count_sink(void *ctx, const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	++*(size_t *)ctx;
	return DCR_OK;
}

static void test_writer_sink_error(void **state)
{
	uint8_t *plain = pattern(3 * CHUNK, 15);
	struct dcr_envelope_writer *w;
	struct failing f = {.fail_at = 1};

	(void)state;
	/* on the header: no writer */
	dcr_buf_init(&f.buf, NO_LIMIT);
	w = (void *)1;
	assert_int_equal(dcr_envelope_writer_new(&alice_pk, failing_sink, &f, &w), DCR_ERR_IO);
	assert_null(w);

	/* on the second chunk: the write fails, and every later call */
	f.calls = 0;
	f.fail_at = 3;
	assert_int_equal(dcr_envelope_writer_new(&alice_pk, failing_sink, &f, &w), DCR_OK);
	assert_int_equal(dcr_envelope_writer_write(w, plain, 3 * CHUNK), DCR_ERR_IO);
	assert_int_equal(f.calls, 3);
	assert_int_equal(dcr_envelope_writer_write(w, plain, 1), DCR_ERR_IO);
	assert_int_equal(dcr_envelope_writer_finish(w), DCR_ERR_IO);
	assert_int_equal(f.calls, 3);
	dcr_envelope_writer_free(w);

	/* on the final chunk */
	f.calls = 0;
	f.fail_at = 2;
	assert_int_equal(dcr_envelope_writer_new(&alice_pk, failing_sink, &f, &w), DCR_OK);
	assert_int_equal(dcr_envelope_writer_write(w, plain, CHUNK), DCR_OK);
	assert_int_equal(f.calls, 1); /* a full chunk waits: it may be the last */
	assert_int_equal(dcr_envelope_writer_finish(w), DCR_ERR_IO);
	dcr_envelope_writer_free(w);
	dcr_buf_free(&f.buf);
	free(plain);
}

static void test_too_big(void **state)
{
	const size_t size = CHUNK + 100;
	uint8_t *plain = pattern(size, 16);
	struct dcr_buf env, out;
	struct dcr_msg msg;

	(void)state;
	seal(&alice_pk, plain, size, &env);
	/* seal: the cap is on the envelope */
	out.data = (void *)1;
	assert_int_equal(dcr_envelope_seal(&alice_pk, plain, size, env.size - 1, &out),
	                 DCR_ERR_TOO_BIG);
	assert_null(out.data);
	assert_int_equal(out.size, 0);
	assert_int_equal(dcr_envelope_seal(&alice_pk, plain, size, env.size, &out), DCR_OK);
	dcr_buf_free(&out);
	assert_int_equal(dcr_envelope_seal(&alice_pk, NULL, 0, HDR + 16, &out), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_envelope_seal(&alice_pk, NULL, 0, HDR + 17, &out), DCR_OK);
	dcr_buf_free(&out);

	/* open: the cap is on the plaintext */
	assert_int_equal(dcr_envelope_open(alice, env.data, env.size, size - 1, &out, &msg),
	                 DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, "larger than the limit of 65635 bytes");
	assert_null(out.data);
	assert_int_equal(out.size, 0);
	assert_int_equal(dcr_envelope_open(alice, env.data, env.size, 10, &out, &msg),
	                 DCR_ERR_TOO_BIG);
	assert_null(out.data);
	assert_int_equal(dcr_envelope_open(alice, env.data, env.size, size, &out, &msg), DCR_OK);
	assert_int_equal(out.size, size);
	assert_true(out.secret); /* plaintext: wiped when freed */
	assert_memory_equal(out.data, plain, size);
	dcr_buf_free(&out);
	dcr_buf_free(&env);

	/* an empty message fits a zero cap */
	seal(&alice_pk, NULL, 0, &env);
	assert_int_equal(dcr_envelope_open(alice, env.data, env.size, 0, &out, &msg), DCR_OK);
	assert_int_equal(out.size, 0);
	dcr_buf_free(&out);
	dcr_buf_free(&env);
	free(plain);
}

static void test_not_an_envelope(void **state)
{
	uint8_t junk[300];

	(void)state;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rnd();
	junk[0] = 'X';
	expect_fail(alice, junk, sizeof(junk), DCR_ERR_INVALID, "not a dcr envelope");
	/* named as such as soon as the first wrong byte is in */
	expect_fail(alice, (const uint8_t *)"DCX", 3, DCR_ERR_INVALID, "not a dcr envelope");
	expect_fail(alice, (const uint8_t *)"DCRENV\x02", 7, DCR_ERR_UNSUPPORTED,
	            "unsupported envelope version 2 (this dcr reads version 1)");
	expect_fail(alice, (const uint8_t *)"DCRENV\x01", 7, DCR_ERR_TRUNCATED, "header is 7 of");
}

/* A key dcr_pubkey_parse would refuse cannot be sealed to. */
static void test_bad_recipient(void **state)
{
	struct dcr_pubkey zero;
	struct dcr_envelope_writer *w = (void *)1;
	struct dcr_buf out;
	size_t calls = 0;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(dcr_envelope_writer_new(&zero, count_sink, &calls, &w), DCR_ERR_INVALID);
	assert_null(w);
	assert_int_equal(calls, 0); /* nothing went out */
	assert_int_equal(dcr_envelope_seal(&zero, "x", 1, NO_LIMIT, &out), DCR_ERR_INVALID);
	assert_null(out.data);
}

/* ---- streaming: 64 MiB through writer -> reader in constant memory ------- */

struct pipe {
	struct dcr_envelope_reader *reader;
	struct dcr_msg msg;
	struct dcr_sha256_ctx sha;
	uint64_t delivered;   /* plaintext bytes out of the reader */
	uint64_t cipher;      /* envelope bytes through the pipe */
	size_t largest;       /* largest single delivery */
};

static enum dcr_err pipe_plain(void *ctx, const uint8_t *data, size_t size)
{
	struct pipe *p = ctx;

	dcr_sha256_update(&p->sha, data, size);
	p->delivered += size;
	if (size > p->largest)
		p->largest = size;
	return DCR_OK;
}

/* Writer sink: passes the ciphertext on to the reader in random pieces. */
static enum dcr_err pipe_cipher(void *ctx, const uint8_t *data, size_t size)
{
	struct pipe *p = ctx;

	p->cipher += size;
	while (size) {
		size_t n = 1 + rnd() % 40000;
		enum dcr_err err;

		if (n > size)
			n = size;
		err = dcr_envelope_reader_write(p->reader, data, n, &p->msg);
		if (err)
			return err;
		data += n;
		size -= n;
	}
	return DCR_OK;
}

static void test_stream_64mib(void **state)
{
	const uint64_t total = 64ull << 20;
	const size_t block = 1 << 20;
	uint8_t *src = pattern(block + 300000, 17), want[32], got[32];
	struct dcr_envelope_writer *w;
	struct dcr_sha256_ctx sha;
	struct pipe p;
	uint64_t written = 0;

	(void)state;
	memset(&p, 0, sizeof(p));
	dcr_sha256_init(&p.sha);
	dcr_sha256_init(&sha);
	assert_int_equal(dcr_envelope_reader_new(alice, pipe_plain, &p, &p.reader), DCR_OK);
	assert_int_equal(dcr_envelope_writer_new(&alice_pk, pipe_cipher, &p, &w), DCR_OK);
	while (written < total) {
		size_t n = 1 + rnd() % 300000, at = rnd() % block;

		if (n > total - written)
			n = (size_t)(total - written);
		dcr_sha256_update(&sha, src + at, n);
		assert_int_equal(dcr_envelope_writer_write(w, src + at, n), DCR_OK);
		written += n;
		/* Nothing proportional to the size is held back: at most one
		 * chunk waits in the writer and one in the reader. */
		assert_true(written - p.delivered <= 2 * CHUNK);
	}
	assert_int_equal(dcr_envelope_writer_finish(w), DCR_OK);
	if (dcr_envelope_reader_finish(p.reader, &p.msg))
		fail_msg("finish: %s", p.msg.text);
	assert_int_equal(p.delivered, total);
	assert_int_equal(p.cipher, envelope_size((size_t)total));
	assert_true(p.largest <= CHUNK);
	dcr_sha256_final(&sha, want);
	dcr_sha256_final(&p.sha, got);
	assert_memory_equal(want, got, 32);
	dcr_envelope_writer_free(w);
	dcr_envelope_reader_free(p.reader);
	free(src);
}

static int setup(void **state)
{
	(void)state;
	if (dcr_crypto_init() != DCR_OK || dcr_seckey_generate(&alice) != DCR_OK ||
	    dcr_seckey_generate(&bob) != DCR_OK)
		return -1;
	dcr_seckey_public(alice, &alice_pk);
	dcr_seckey_public(bob, &bob_pk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_seckey_free(alice);
	dcr_seckey_free(bob);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_writer_pieces),
		cmocka_unit_test(test_reader_pieces),
		cmocka_unit_test(test_prompt_delivery),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_flip_header_bits),
		cmocka_unit_test(test_flip_chunk_bits),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_splice),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_reader_sink_error),
		cmocka_unit_test(test_writer_sink_error),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_not_an_envelope),
		cmocka_unit_test(test_bad_recipient),
		cmocka_unit_test(test_stream_64mib),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
