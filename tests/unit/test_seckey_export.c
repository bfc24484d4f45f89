/* SPDX-License-Identifier: Apache-2.0 */
/* crypto: a key pair exported as 64 secret bytes and imported back (how the
 * clean room keeps its own keys sealed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "dcr/crypto.h"
#include "testutil.h"

static int setup(void **state)
{
	(void)state;
	return dcr_crypto_init() == DCR_OK ? 0 : -1;
}

static void test_round_trip(void **state)
{
	struct dcr_seckey *k = NULL, *k2 = NULL;
	struct dcr_pubkey pub, pub2;
	struct dcr_buf b, sealed, opened;
	struct dcr_msg msg = {{0}};
	uint8_t sig[DCR_SIGNATURE_SIZE];

	(void)state;
	assert_int_equal(dcr_seckey_generate(&k), DCR_OK);
	dcr_buf_init(&b, DCR_SECKEY_EXPORT_SIZE);
	assert_int_equal(dcr_seckey_export(k, &b), DCR_OK);
	assert_int_equal(b.size, DCR_SECKEY_EXPORT_SIZE);
	assert_true(b.secret); /* wiped when freed */
	assert_int_equal(dcr_seckey_import(b.data, b.size, &k2), DCR_OK);

	/* the same pair: same public keys, signs and opens for each other */
	dcr_seckey_public(k, &pub);
	dcr_seckey_public(k2, &pub2);
	assert_true(dcr_pubkey_equal(&pub, &pub2));
	dcr_sign(k2, "hello", 5, sig);
	assert_int_equal(dcr_verify(pub.sign, "hello", 5, sig), DCR_OK);
	assert_int_equal(dcr_envelope_seal(&pub, "secret", 6, 1000, &sealed), DCR_OK);
	assert_int_equal(dcr_envelope_open(k2, sealed.data, sealed.size, 1000, &opened, &msg),
	                 DCR_OK);
	assert_memory_equal(opened.data, "secret", 6);

	dcr_buf_free(&opened);
	dcr_buf_free(&sealed);
	dcr_buf_free(&b);
	dcr_seckey_free(k);
	dcr_seckey_free(k2);
}

static void test_import_checks_size(void **state)
{
	uint8_t bytes[DCR_SECKEY_EXPORT_SIZE + 1] = {0};
	struct dcr_seckey *k = (struct dcr_seckey *)bytes; /* must be reset */

	(void)state;
	assert_int_equal(dcr_seckey_import(bytes, DCR_SECKEY_EXPORT_SIZE - 1, &k), DCR_ERR_INVALID);
	assert_null(k);
	assert_int_equal(dcr_seckey_import(bytes, DCR_SECKEY_EXPORT_SIZE + 1, &k), DCR_ERR_INVALID);
	assert_null(k);
	assert_int_equal(dcr_seckey_import(bytes, 0, &k), DCR_ERR_INVALID);
}

static void test_export_is_deterministic_for_seeds(void **state)
{
	uint8_t s1[32], s2[32];
	struct dcr_seckey *k = NULL, *k2 = NULL;
	struct dcr_buf a, b;

	(void)state;
	memset(s1, 7, sizeof(s1));
	memset(s2, 9, sizeof(s2));
	assert_int_equal(dcr_seckey_from_seeds(s1, s2, &k), DCR_OK);
	dcr_buf_init(&a, 64);
	dcr_buf_init(&b, 64);
	assert_int_equal(dcr_seckey_export(k, &a), DCR_OK);
	/* the first half is the Ed25519 seed itself */
	assert_memory_equal(a.data, s1, 32);
	assert_int_equal(dcr_seckey_import(a.data, a.size, &k2), DCR_OK);
	assert_int_equal(dcr_seckey_export(k2, &b), DCR_OK);
	assert_memory_equal(a.data, b.data, 64);
	/* a buffer too small for the key is refused, and left empty */
	dcr_buf_free(&b);
	dcr_buf_init(&b, 40);
	assert_int_equal(dcr_seckey_export(k2, &b), DCR_ERR_TOO_BIG);
	assert_int_equal(b.size, 0);
	dcr_buf_free(&a);
	dcr_buf_free(&b);
	dcr_seckey_free(k);
	dcr_seckey_free(k2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_import_checks_size),
		cmocka_unit_test(test_export_is_deterministic_for_seeds),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
