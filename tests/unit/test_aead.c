/* SPDX-License-Identifier: Apache-2.0 */
/* dcr_aead_seal/open (XChaCha20-Poly1305): the published test vector, round
 * trips, and that every change to key, nonce, associated data or ciphertext
 * is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "dcr/crypto.h"

/* draft-irtf-cfrg-xchacha-03, appendix A.3.1 */
static const char kat_plain[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                "only one tip for the future, sunscreen would be it.";
static const char kat_cipher_hex[] =
	"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa644"
	"0bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
	"3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
	"c0875924c1c7987947deafd8780acf49";
static const uint8_t kat_ad[12] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1,
                                   0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};

static void kat_key_nonce(uint8_t key[32], uint8_t nonce[24])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	for (int i = 0; i < 24; i++)
		nonce[i] = (uint8_t)(0x40 + i);
}

static int setup(void **state)
{
	(void)state;
	return dcr_crypto_init() == DCR_OK ? 0 : -1;
}

static void test_known_answer(void **state)
{
	size_t n = sizeof(kat_plain) - 1;
	uint8_t key[32], nonce[24], want[sizeof(kat_plain) - 1 + 16];
	uint8_t got[sizeof(want)], back[sizeof(kat_plain)];

	(void)state;
	kat_key_nonce(key, nonce);
	assert_int_equal(dcr_hex_decode(want, sizeof(want), kat_cipher_hex,
	                                sizeof(kat_cipher_hex) - 1), DCR_OK);
	dcr_aead_seal(got, kat_plain, n, kat_ad, sizeof(kat_ad), nonce, key);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(dcr_aead_open(back, want, sizeof(want), kat_ad, sizeof(kat_ad), nonce,
	                               key), DCR_OK);
	assert_memory_equal(back, kat_plain, n);
}

static void test_round_trip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 63, 64, 65, 1000, 65536};
	uint8_t key[32], nonce[24];

	(void)state;
	dcr_random(key, sizeof(key));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		uint8_t *plain = malloc(n + 1), *c = malloc(n + 16), *back = malloc(n + 1);

		assert_true(plain && c && back);
		dcr_random(plain, n);
		dcr_random(nonce, sizeof(nonce));
		dcr_aead_seal(c, plain, n, NULL, 0, nonce, key);
		assert_int_equal(dcr_aead_open(back, c, n + 16, NULL, 0, nonce, key), DCR_OK);
		assert_memory_equal(back, plain, n);
		free(plain);
		free(c);
		free(back);
	}
}

static void test_every_change_refused(void **state)
{
	const char ad[] = "label";
	uint8_t key[32], nonce[24], c[64 + 16], back[64], other[32];
	uint8_t plain[64];

	(void)state;
	dcr_random(key, sizeof(key));
	dcr_random(nonce, sizeof(nonce));
	dcr_random(plain, sizeof(plain));
	dcr_aead_seal(c, plain, sizeof(plain), ad, 5, nonce, key);

	/* each bit of the ciphertext and tag */
	for (size_t i = 0; i < sizeof(c) * 8; i++) {
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		memset(back, 0xaa, sizeof(back));
		assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 5, nonce, key),
		                 DCR_ERR_VERIFY);
		/* nothing of the plaintext comes out of a failed open */
		for (size_t j = 0; j < sizeof(back); j++)
			assert_int_equal(back[j], 0);
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* the associated data: changed, shortened, absent */
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), "labem", 5, nonce, key), DCR_ERR_VERIFY);
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 4, nonce, key), DCR_ERR_VERIFY);
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), NULL, 0, nonce, key), DCR_ERR_VERIFY);
	/* the nonce's last byte (XChaCha's counter part) and first byte */
	nonce[23] ^= 1;
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 5, nonce, key), DCR_ERR_VERIFY);
	nonce[23] ^= 1;
	nonce[0] ^= 0x80;
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 5, nonce, key), DCR_ERR_VERIFY);
	nonce[0] ^= 0x80;
	/* another key */
	dcr_random(other, sizeof(other));
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 5, nonce, other), DCR_ERR_VERIFY);
	/* cut short: shorter than a tag, and by one byte */
	assert_int_equal(dcr_aead_open(back, c, 15, ad, 5, nonce, key), DCR_ERR_VERIFY);
	assert_int_equal(dcr_aead_open(back, c, 0, ad, 5, nonce, key), DCR_ERR_VERIFY);
	assert_int_equal(dcr_aead_open(back, c, sizeof(c) - 1, ad, 5, nonce, key), DCR_ERR_VERIFY);
	/* and the untouched message still opens */
	assert_int_equal(dcr_aead_open(back, c, sizeof(c), ad, 5, nonce, key), DCR_OK);
	assert_memory_equal(back, plain, sizeof(plain));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_every_change_refused),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
