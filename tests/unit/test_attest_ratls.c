/* SPDX-License-Identifier: Apache-2.0 */
/* RA-TLS certificates: the real Gramine and rats-tls certificates in
 * ../shared/testdata, changed copies re-signed with a fresh key (to reach
 * the quote and binding steps past the self-signature), and the CBOR reader
 * on hand-made inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/ratls/ratls.h"

#define AT_2026_02_03 1770076800
#define AT_2023_06_01 1685577600
#define AT_2000_01_01 946684800

#define GRAMINE "ratls_gramine_sgx_cert.pem"
#define RATS "ratls_rats_tls_cert_expired.pem"

static bool load(const char *name, struct dcr_buf *out)
{
	const char *dir = getenv("DCR_TESTDATA");
	struct dcr_msg msg = {{0}};

	return dir && dcr_file_read(tu_path(dir, name), 1u << 20, out, &msg) == DCR_OK;
}

static void assert_hex(const uint8_t *v, size_t size, const char *hex)
{
	char got[2 * 64 + 1];

	assert_true(size <= 64);
	dcr_hex_encode(got, v, size);
	assert_string_equal(got, hex);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_WARN);
	return 0;
}

static void test_gramine_cert(void **state)
{
	struct dcr_attest_verify_opts opts = {.at = AT_2026_02_03};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	unsigned exts = 99;
	uint8_t zero[32] = {0};

	(void)state;
	if (!load(GRAMINE, &b))
		skip();
	assert_int_equal(dcr_attest_verify_ratls(b.data, b.size, &opts, &c, &exts, &msg), DCR_OK);
	assert_int_equal(exts, DCR_RATLS_LEGACY | DCR_RATLS_DICE);
	assert_int_equal(c.tee, DCR_TEE_SGX);
	assert_hex(dcr_attest_claims_find(&c, "mrenclave")->value, 32,
	           "0866e7ca11b9f4efe4bf39b2607f4e1299f111920d96d95719080f01b62b7585");
	assert_hex(dcr_attest_claims_find(&c, "mrsigner")->value, 32,
	           "adc53501f21ced9b998e37a7a18e061c63e00315045fa57a49c18ef0a30d02ca");
	/* the legacy quote's report data: SHA-256 of the SPKI, then zeros */
	assert_hex(c.report_data, 32,
	           "5a5a5b2d177433048e9d62409d1acc4ec526c06e294d09e69a36cff9369e4851");
	assert_memory_equal(c.report_data + 32, zero, 32);
	assert_string_equal(c.fmspc, "00606a000000");
	assert_true(c.debug); /* ATTRIBUTES 0x07: a debug enclave */

	/* before its notBefore (2001-01-01) */
	opts.at = AT_2000_01_01;
	assert_int_equal(dcr_attest_verify_ratls(b.data, b.size, &opts, &c, &exts, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "ratls: step 2 (certificate validity): the certificate is not valid "
	                    "before 2001-01-01T00:00:00Z");
	assert_int_equal(exts, 0);
	assert_int_equal(c.measurement_count, 0);
	dcr_buf_free(&b);
}

static void test_rats_tls_cert(void **state)
{
	struct dcr_attest_verify_opts opts = {0};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	unsigned exts;

	(void)state;
	if (!load(RATS, &b))
		skip();
	/* now: expired on 2024-02-22 */
	assert_int_equal(dcr_attest_verify_ratls(b.data, b.size, &opts, &c, &exts, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "ratls: step 2 (certificate validity): the certificate expired on "
	                    "2024-02-22");
	/* while it was valid, its DICE extension verifies */
	opts.at = AT_2023_06_01;
	assert_int_equal(dcr_attest_verify_ratls(b.data, b.size, &opts, &c, &exts, &msg), DCR_OK);
	assert_int_equal(exts, DCR_RATLS_DICE);
	assert_hex(dcr_attest_claims_find(&c, "mrenclave")->value, 32,
	           "38e1b40b8c68186f359c97ecb6a89965d9d8638f2df06fbe18e84d79a266c041");
	assert_hex(c.report_data, 32,
	           "3ef61b935603341747b96c602397da1c4761afe4eeed2cdc08cbf5f4ff61c533");
	dcr_buf_free(&b);
}

static void test_not_a_cert(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	unsigned exts;
	struct dcr_buf b;

	(void)state;
	assert_int_equal(dcr_attest_verify_ratls((const uint8_t *)"hello", 5, NULL, &c, &exts, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "ratls: step 1 (certificate)");
	if (!load("sgx_quote_v3_dcapqvl.dat", &b))
		skip();
	assert_int_equal(dcr_attest_verify_ratls(b.data, b.size, NULL, &c, &exts, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "ratls: step 1 (certificate)");
	dcr_buf_free(&b);
}

/* ---- changed certificates ---------------------------------------------------- */

static X509 *load_x509(const char *name)
{
	struct dcr_buf b;
	BIO *bio;
	X509 *x;

	if (!load(name, &b))
		return NULL;
	bio = BIO_new_mem_buf(b.data, (int)b.size);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	dcr_buf_free(&b);
	return x;
}

/* x re-signed by a fresh P-256 key (which becomes its public key), as DER. */
static uint8_t *resign(X509 *x, int *out_len)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	uint8_t *der = NULL;

	assert_non_null(key);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	*out_len = i2d_X509(x, &der);
	assert_true(*out_len > 0);
	EVP_PKEY_free(key);
	return der;
}

static int ext_index(X509 *x, bool dice)
{
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(x, i));
		char txt[80];

		OBJ_obj2txt(txt, sizeof(txt), o, 1);
		if (dice ? !strcmp(txt, "2.23.133.5.4.9") : OBJ_length(o) == 11)
			return i;
	}
	fail_msg("extension not found");
	return -1;
}

/* Verifies der at 2026-02-03, expecting step. */
static void expect_step(const uint8_t *der, int len, const char *step)
{
	struct dcr_attest_verify_opts opts = {.at = AT_2026_02_03};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	unsigned exts;

	assert_int_not_equal(dcr_attest_verify_ratls(der, (size_t)len, &opts, &c, &exts, &msg),
	                     DCR_OK);
	tu_assert_msg(&msg, step);
	assert_int_equal(exts, 0);
}

static void test_changed_certs(void **state)
{
	X509 *x = load_x509(GRAMINE);
	uint8_t *der;
	int len;
	ASN1_OCTET_STRING *data;

	(void)state;
	if (!x)
		skip();
	/* any byte changed without the key: the self-signature */
	len = i2d_X509(x, NULL);
	der = NULL;
	len = i2d_X509(x, &der);
	der[len / 2] ^= 0x01;
	expect_step(der, len, "ratls: step 1 (certificate)");
	OPENSSL_free(der);

	/* the same quotes under another key: not bound to it */
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 5 (key binding): the legacy extension's quote does "
	                      "not bind this certificate's public key");
	OPENSSL_free(der);

	/* a changed quote in the legacy extension */
	data = X509_EXTENSION_get_data(X509_get_ext(x, ext_index(x, false)));
	data->data[200] ^= 0x01; /* inside the SGX report body */
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 4 (quote): the legacy extension's quote: sgx: step 2 "
	                      "(quote signature)");
	OPENSSL_free(der);
	data->data[200] ^= 0x01;

	/* DICE only: its claims' pubkey-hash is not the new key's */
	X509_EXTENSION_free(X509_delete_ext(x, ext_index(x, false)));
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 5 (key binding): the DICE claims' pubkey-hash");
	OPENSSL_free(der);

	/* DICE: changed claims no longer match the quote's report data; the
	 * claims are the last 51 bytes and end with the hash */
	data = X509_EXTENSION_get_data(X509_get_ext(x, ext_index(x, true)));
	data->data[data->length - 1] ^= 0x01;
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 5 (key binding): the DICE extension's quote does not "
	                      "bind its claims");
	OPENSSL_free(der);

	/* DICE: not CBOR tag 60000 */
	data->data[0] ^= 0x01;
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 3 (extension): the DICE extension is not CBOR");
	OPENSSL_free(der);

	/* no RA-TLS extension at all */
	X509_EXTENSION_free(X509_delete_ext(x, ext_index(x, true)));
	der = resign(x, &len);
	expect_step(der, len, "ratls: step 3 (extension): the certificate has neither");
	OPENSSL_free(der);
	X509_free(x);
}

/* ---- the CBOR reader ---------------------------------------------------------- */

static void test_cbor_dice_split(void **state)
{
	/* tag 60000 [h'0102', h'03'] */
	static const uint8_t good[] = {0xd9, 0xea, 0x60, 0x82, 0x42, 0x01, 0x02, 0x41, 0x03};
	uint8_t buf[sizeof(good) + 1];
	const uint8_t *q, *c;
	size_t qs, cs;

	(void)state;
	assert_true(ratls_dice_split(good, sizeof(good), &q, &qs, &c, &cs));
	assert_int_equal(qs, 2);
	assert_int_equal(q[1], 0x02);
	assert_int_equal(cs, 1);
	assert_int_equal(c[0], 0x03);
	/* every truncation, and a trailing byte, are refused */
	for (size_t n = 0; n < sizeof(good); n++)
		assert_false(ratls_dice_split(good, n, &q, &qs, &c, &cs));
	memcpy(buf, good, sizeof(good));
	buf[sizeof(good)] = 0x00;
	assert_false(ratls_dice_split(buf, sizeof(buf), &q, &qs, &c, &cs));
	assert_null(q);
	/* another tag, a 3-array, an indefinite-length array, a text string */
	memcpy(buf, good, sizeof(good));
	buf[2] = 0x61;
	assert_false(ratls_dice_split(buf, sizeof(good), &q, &qs, &c, &cs));
	memcpy(buf, good, sizeof(good));
	buf[3] = 0x83;
	assert_false(ratls_dice_split(buf, sizeof(good), &q, &qs, &c, &cs));
	buf[3] = 0x9f;
	assert_false(ratls_dice_split(buf, sizeof(good), &q, &qs, &c, &cs));
	memcpy(buf, good, sizeof(good));
	buf[4] = 0x62;
	assert_false(ratls_dice_split(buf, sizeof(good), &q, &qs, &c, &cs));
	/* a byte string claiming 2^64-1 bytes */
	{
		static const uint8_t huge[] = {0xd9, 0xea, 0x60, 0x82, 0x5b, 0xff, 0xff, 0xff,
		                               0xff, 0xff, 0xff, 0xff, 0xff, 0x00};

		assert_false(ratls_dice_split(huge, sizeof(huge), &q, &qs, &c, &cs));
	}
}

static void test_cbor_claims(void **state)
{
	/* {"nonce": [1, {2: h'00'}], "pubkey-hash": h'(82 01 58 20 <32 x 0xab>)'} */
	uint8_t claims[128];
	size_t n = 0;
	const uint8_t *h;
	size_t hs;
	int alg;

	(void)state;
	claims[n++] = 0xa2;
	claims[n++] = 0x65;
	memcpy(claims + n, "nonce", 5);
	n += 5;
	claims[n++] = 0x82;
	claims[n++] = 0x01;
	claims[n++] = 0xa1;
	claims[n++] = 0x02;
	claims[n++] = 0x41;
	claims[n++] = 0x00;
	claims[n++] = 0x6b;
	memcpy(claims + n, "pubkey-hash", 11);
	n += 11;
	claims[n++] = 0x58;
	claims[n++] = 36;
	claims[n++] = 0x82;
	claims[n++] = 0x01;
	claims[n++] = 0x58;
	claims[n++] = 0x20;
	memset(claims + n, 0xab, 32);
	n += 32;
	assert_true(ratls_claims_pubkey_hash(claims, n, &alg, &h, &hs));
	assert_int_equal(alg, 1);
	assert_int_equal(hs, 32);
	assert_int_equal(h[31], 0xab);
	for (size_t k = 0; k < n; k++)
		assert_false(ratls_claims_pubkey_hash(claims, k, &alg, &h, &hs));
	/* SHA-384 with a 32-byte hash */
	claims[n - 34 - 1] = 0x07;
	assert_false(ratls_claims_pubkey_hash(claims, n, &alg, &h, &hs));
	claims[n - 34 - 1] = 0x01;
	/* an unknown algorithm */
	claims[n - 34 - 1] = 0x02;
	assert_false(ratls_claims_pubkey_hash(claims, n, &alg, &h, &hs));
	claims[n - 34 - 1] = 0x01;
	/* the map claims 3 entries */
	claims[0] = 0xa3;
	assert_false(ratls_claims_pubkey_hash(claims, n, &alg, &h, &hs));
	claims[0] = 0xa2;
	/* no pubkey-hash: rename it */
	claims[1 + 6 + 6 + 1] = 'P';
	assert_false(ratls_claims_pubkey_hash(claims, n, &alg, &h, &hs));
	/* an array nested deeper than the limit */
	{
		uint8_t deep[64];

		deep[0] = 0xa1;
		deep[1] = 0x61;
		deep[2] = 'x';
		for (size_t k = 3; k < sizeof(deep); k++)
			deep[k] = 0x81;
		assert_false(ratls_claims_pubkey_hash(deep, sizeof(deep), &alg, &h, &hs));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gramine_cert),
		cmocka_unit_test(test_rats_tls_cert),
		cmocka_unit_test(test_not_a_cert),
		cmocka_unit_test(test_changed_certs),
		cmocka_unit_test(test_cbor_dice_split),
		cmocka_unit_test(test_cbor_claims),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
