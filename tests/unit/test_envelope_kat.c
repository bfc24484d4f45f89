/* SPDX-License-Identifier: Apache-2.0 */
/* Envelope known answers: fixed randomness (the test-only seed hook) and a
 * fixed recipient give frozen envelopes, which raw libsodium calls then take
 * apart by the offsets of docs/ENVELOPE.md. Own binary: the hook is global. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "crypto/crypto_int.h"

#define HDR 112
#define CHUNK 65536
#define CMAX (65536 + 17)

static const uint8_t rng_seed[32] = "dcr envelope known-answer seed!";
static const uint8_t sign_seed[32] = "dcr envelope kat: signing seed.";
static const uint8_t box_seed[32] = "dcr envelope kat: box seed.....";

static struct dcr_seckey *recipient;
static struct dcr_pubkey recipient_pk;

/* Plaintext byte i of every vector. */
static uint8_t *pattern(size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	assert_non_null(p);
	for (size_t i = 0; i < size; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13);
	return p;
}

struct kat {
	size_t size;        /* plaintext bytes */
	const char *sha256; /* of the whole envelope, hex */
	const char *hex;    /* the whole envelope, for the small ones */
};

/* Generated once with this test (it prints what it got on a mismatch), then
 * frozen: a change here is a change of format or of what the writer draws
 * from the RNG, and breaks every envelope at rest. */
static const struct kat kats[] = {
	{0, "aae30673b4f959c7fed5bb3380d03a3e03e159e66cd25847e3f26291f8a148aa",
	 "444352454e5601006b1311048ccc0e026fd95e4b53d0426ee64b53b0d813689d"
	 "8886d119102c6d411e0515049efab8baea6655037190958bd5033a289952d537"
	 "7513f033962ca5b7fc2e39b802608a2433ea7c391577739e20fb4a77740c0f21"
	 "565e67acb14b91b4e85554418f53e71805c489a48113ed2a605a6599c6247f01"
	 "ec"},
	{1, "b5ee1a6d13d6f77a6299326d84dc54ce74db48500af53e52276b5eb9e0d2ce9d",
	 "444352454e5601006b1311048ccc0e026fd95e4b53d0426ee64b53b0d813689d"
	 "8886d119102c6d411e0515049efab8baea6655037190958bd5033a289952d537"
	 "7513f033962ca5b7fc2e39b802608a2433ea7c391577739e20fb4a77740c0f21"
	 "565e67acb14b91b4e85554418f53e71805aaafda35ddc0ef3f0c5349a25d285f"
	 "7caf"},
	{CHUNK, "7e0b6c27ba36a140c967d0a770c91ce4dbc31ee7fed60e4457e56bb923e1abb0", NULL},
	{CHUNK + 1, "835afd126bdc66de6f6fa83eaa72cf02e111e529edd9d15d2c17e97d31e676fb", NULL},
	{200 * 1024 + 7, "b201c21638ca79d24014137a4f6bee04753d5829a1a16241cde8a65ee5bffd52", NULL},
};

/* The writer's randomness starts afresh, so each vector stands alone. */
static void reseed(void)
{
	/* after dcr_crypto_init this only resets the hook's counter */
	dcr_crypto_test_seed(rng_seed);
}

static void seal_kat(size_t size, struct dcr_buf *out)
{
	uint8_t *plain = pattern(size);

	reseed();
	assert_int_equal(dcr_envelope_seal(&recipient_pk, plain, size, (size_t)1 << 30, out),
	                 DCR_OK);
	free(plain);
}

/* Takes env apart by hand and checks it against docs/ENVELOPE.md. */
static void check_structure(const uint8_t *env, size_t env_size, const uint8_t *plain,
                            size_t size)
{
	crypto_secretstream_xchacha20poly1305_state st;
	size_t chunks = size ? (size + CHUNK - 1) / CHUNK : 1, off = HDR, done = 0;
	uint8_t key[32], *out = malloc(CHUNK);

	assert_non_null(out);
	assert_int_equal(env_size, HDR + size + 17 * chunks);
	/* 0..5 magic, 6 version, 7 reserved */
	assert_memory_equal(env, "DCRENV", 6);
	assert_int_equal(env[6], 1);
	assert_int_equal(env[7], 0);
	/* 8..87 the data key sealed to the recipient */
	assert_int_equal(crypto_box_SEALBYTES + 32, 80);
	assert_int_equal(crypto_box_seal_open(key, env + 8, 80, recipient->pub.box,
	                                      recipient->box_sk),
	                 0);
	/* 88..111 the secretstream header */
	assert_int_equal(crypto_secretstream_xchacha20poly1305_init_pull(&st, env + 88, key), 0);
	for (size_t i = 0; i < chunks; i++) {
		size_t c_size = i + 1 < chunks ? CMAX : env_size - off;
		unsigned long long m_size;
		unsigned char tag;
		crypto_secretstream_xchacha20poly1305_state copy = st;
		int rc;

		/* every chunk is bound to the whole header as associated data */
		rc = crypto_secretstream_xchacha20poly1305_pull(&copy, out, &m_size, &tag,
		                                                env + off, c_size, NULL, 0);
		assert_int_not_equal(rc, 0);
		copy = st;
		rc = crypto_secretstream_xchacha20poly1305_pull(&copy, out, &m_size, &tag,
		                                                env + off, c_size, env, HDR - 1);
		assert_int_not_equal(rc, 0);
		rc = crypto_secretstream_xchacha20poly1305_pull(&st, out, &m_size, &tag,
		                                                env + off, c_size, env, HDR);
		assert_int_equal(rc, 0);
		if (i + 1 < chunks) {
			assert_int_equal(m_size, CHUNK);
			assert_int_equal(tag, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
		} else {
			/* the last chunk holds 1..65536 bytes (0 only when empty) */
			assert_int_equal(m_size, size - done);
			assert_true(m_size > 0 || size == 0);
			assert_int_equal(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
		}
		assert_memory_equal(out, plain + done, (size_t)m_size);
		done += (size_t)m_size;
		off += c_size;
	}
	assert_int_equal(done, size);
	assert_int_equal(off, env_size);
	sodium_memzero(key, sizeof(key));
	free(out);
}

static void test_known_answers(void **state)
{
	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		uint8_t digest[32], *plain = pattern(kats[i].size);
		char hex[65];
		struct dcr_buf env, opened;
		struct dcr_msg msg;

		seal_kat(kats[i].size, &env);
		dcr_sha256(env.data, env.size, digest);
		dcr_hex_encode(hex, digest, sizeof(digest));
		if (strcmp(hex, kats[i].sha256) != 0) {
			print_error("size %zu: envelope sha256 %s, expected %s\n", kats[i].size,
			            hex, kats[i].sha256);
			bad++;
		}
		if (kats[i].hex) {
			char *full = malloc(2 * env.size + 1);

			assert_non_null(full);
			dcr_hex_encode(full, env.data, env.size);
			assert_string_equal(full, kats[i].hex);
			free(full);
		}
		check_structure(env.data, env.size, plain, kats[i].size);
		assert_int_equal(dcr_envelope_open(recipient, env.data, env.size, (size_t)1 << 30,
		                                   &opened, &msg),
		                 DCR_OK);
		assert_int_equal(opened.size, kats[i].size);
		if (kats[i].size)
			assert_memory_equal(opened.data, plain, kats[i].size);
		dcr_buf_free(&opened);
		dcr_buf_free(&env);
		free(plain);
	}
	assert_int_equal(bad, 0);
}

/* The same seed gives the same envelope; another seed, another one. */
static void test_seed_determines_envelope(void **state)
{
	struct dcr_buf a, b, c;
	uint8_t other[32];

	(void)state;
	seal_kat(1000, &a);
	seal_kat(1000, &b);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.data, b.data, a.size);
	memcpy(other, rng_seed, 32);
	other[0] ^= 1;
	dcr_crypto_test_seed(other);
	assert_int_equal(dcr_envelope_seal(&recipient_pk, "x", 1, 1 << 20, &c), DCR_OK);
	assert_memory_not_equal(a.data + 8, c.data + 8, HDR - 8);
	dcr_buf_free(&a);
	dcr_buf_free(&b);
	dcr_buf_free(&c);
}

static enum dcr_err buf_sink(void *ctx, const uint8_t *data, size_t size)
{
	return dcr_buf_append(ctx, data, size);
}

/* With the randomness fixed, the envelope is byte for byte the same however
 * the plaintext is cut into writes: the chunking rule alone decides. */
static void test_writes_do_not_matter(void **state)
{
	const size_t size = kats[4].size;
	static const size_t pieces[] = {1, 1000, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK};
	uint8_t *plain = pattern(size);
	struct dcr_buf ref;

	(void)state;
	seal_kat(size, &ref);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct dcr_envelope_writer *w;
		struct dcr_buf env;

		dcr_buf_init(&env, (size_t)1 << 30);
		reseed();
		assert_int_equal(dcr_envelope_writer_new(&recipient_pk, buf_sink, &env, &w),
		                 DCR_OK);
		for (size_t off = 0; off < size; off += pieces[i]) {
			size_t n = size - off < pieces[i] ? size - off : pieces[i];

			assert_int_equal(dcr_envelope_writer_write(w, plain + off, n), DCR_OK);
		}
		assert_int_equal(dcr_envelope_writer_finish(w), DCR_OK);
		dcr_envelope_writer_free(w);
		assert_int_equal(env.size, ref.size);
		assert_memory_equal(env.data, ref.data, ref.size);
		dcr_buf_free(&env);
	}
	dcr_buf_free(&ref);
	free(plain);
}

static int setup(void **state)
{
	(void)state;
	dcr_crypto_test_seed(rng_seed); /* before init, as the hook asks */
	if (dcr_crypto_init() != DCR_OK ||
	    dcr_seckey_from_seeds(sign_seed, box_seed, &recipient) != DCR_OK)
		return -1;
	dcr_seckey_public(recipient, &recipient_pk);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_seckey_free(recipient);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_seed_determines_envelope),
		cmocka_unit_test(test_writes_do_not_matter),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
