/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx and tdx verifiers (Intel DCAP) against the real quotes and the
 * collateral in ../shared/testdata, with the values SOURCES.md gives; every
 * step fails when its bytes are changed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/dcap/dcap.h"

#define AT_2025_07_01 1751328000   /* 2025-07-01T00:00:00Z: the collateral is current */
#define AT_2025_08_01 1754006400   /* after the collateral's nextUpdate */
#define AT_2025_06_01 1748736000   /* before its issueDate */
#define AT_2026_02_03 1770076800   /* every sample's PCK is valid */
#define AT_2030_01_01 1893456000   /* the v4 sample's PCK leaf has expired */

#define SGX_FILE "sgx_quote_v3_dcapqvl.dat"
#define COLL_FILE "sgx_quote_v3_dcapqvl.collateral.json"
#define TDX4_FILE "tdx_quote_v4_spr_e4.dat"
#define TDX5_FILE "tdx_quote_v5_sample.dat"

static bool load(const char *name, struct dcr_buf *out)
{
	const char *dir = getenv("DCR_TESTDATA");
	struct dcr_msg msg = {{0}};

	if (!dir)
		return false;
	return dcr_file_read(tu_path(dir, name), 4u << 20, out, &msg) == DCR_OK;
}

#define LOAD_OR_SKIP(name, buf)          \
	do {                             \
		if (!load((name), (buf))) \
			skip();          \
	} while (0)

static void assert_hex(const uint8_t *v, size_t size, const char *hex)
{
	char got[2 * DCR_TEE_VALUE_MAX + 1];

	assert_true(size <= DCR_TEE_VALUE_MAX);
	dcr_hex_encode(got, v, size);
	assert_string_equal(got, hex);
}

static void assert_measurement(const struct dcr_attest_claims *c, const char *name,
                               const char *hex)
{
	const struct dcr_attest_measurement *m = dcr_attest_claims_find(c, name);

	assert_non_null(m);
	assert_int_equal(m->size * 2, strlen(hex));
	assert_hex(m->value, m->size, hex);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_WARN);
	return 0;
}

/* ---- the built-in root ------------------------------------------------------ */

static void test_root_fingerprint(void **state)
{
	BIO *bio = BIO_new_mem_buf(dcap_intel_root_ca_pem, -1);
	X509 *root = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	uint8_t fp[32];
	unsigned int len = 0;
	char hex[65];

	(void)state;
	assert_non_null(root);
	assert_int_equal(X509_digest(root, EVP_sha256(), fp, &len), 1);
	assert_int_equal(len, 32);
	dcr_hex_encode(hex, fp, 32);
	assert_string_equal(hex, "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
	X509_free(root);
	BIO_free(bio);
}

/* ---- the samples verify, with the expected claims ---------------------------- */

static void test_sgx_sample(void **state)
{
	const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
	struct dcr_attest_verify_opts opts = {.at = AT_2025_07_01};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	uint8_t rd[64] = "Hello, world!";
	struct dcap_quote q;

	(void)state;
	LOAD_OR_SKIP(SGX_FILE, &b);
	assert_int_equal(b.size, 4600);
	assert_non_null(sgx);
	assert_ptr_equal(dcr_attest_probe(b.data, b.size), sgx);
	assert_int_equal(dcap_quote_parse(b.data, b.size, "sgx", &q, &msg), DCR_OK);
	assert_int_equal(q.version, 3);
	assert_int_equal(q.signed_size, 432);
	assert_int_equal(q.qe_report - b.data, 564);
	assert_int_equal(q.quote_size, 436 + 4164);
	assert_int_equal(q.pck_pem_size, 3548);

	assert_int_equal(sgx->verify(b.data, b.size, &opts, &c, &msg), DCR_OK);
	assert_int_equal(c.tee, DCR_TEE_SGX);
	assert_int_equal(c.measurement_count, 2);
	assert_measurement(&c, "mrenclave",
	                   "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
	assert_measurement(&c, "mrsigner",
	                   "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
	assert_memory_equal(c.report_data, rd, 64);
	assert_false(c.debug);
	assert_int_equal(c.timestamp, 0);
	assert_string_equal(c.fmspc, "00a067110000");
	assert_string_equal(c.tcb_status, "unknown (no collateral)");
	assert_int_equal(c.advisory_count, 0);

	/* the PCK leaf's SGX extension, as `openssl asn1parse` shows it */
	{
		struct dcap_pck_info pck;
		static const uint8_t comps[16] = {11, 11, 2, 2, 255, 1};

		memset(&c, 0, sizeof(c));
		assert_int_equal(dcap_verify_quote(&q, "sgx", &opts, &pck, &c, &msg), DCR_OK);
		assert_hex(pck.fmspc, 6, "00a067110000");
		assert_hex(pck.pceid, 2, "0000");
		assert_hex(pck.cpusvn, 16, "0b0b0202ff0100000000000000000000");
		assert_memory_equal(pck.comp_svn, comps, 16);
		assert_int_equal(pck.pcesvn, 13);
	}
	dcr_buf_free(&b);
}

static void test_sgx_collateral(void **state)
{
	const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
	struct dcr_attest_verify_opts opts = {.at = AT_2025_07_01};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b, coll;

	(void)state;
	LOAD_OR_SKIP(SGX_FILE, &b);
	LOAD_OR_SKIP(COLL_FILE, &coll);
	opts.collateral = coll.data;
	opts.collateral_size = coll.size;
	assert_int_equal(sgx->verify(b.data, b.size, &opts, &c, &msg), DCR_OK);
	assert_string_equal(c.tcb_status, "ConfigurationAndSWHardeningNeeded");
	assert_int_equal(c.advisory_count, 2);
	assert_string_equal(c.advisories[0], "INTEL-SA-00289");
	assert_string_equal(c.advisories[1], "INTEL-SA-00615");
	assert_false(c.advisories_truncated);
	assert_measurement(&c, "mrenclave",
	                   "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");

	/* the collateral is valid 2025-06-19 .. 2025-07-19 only */
	opts.at = AT_2025_08_01;
	assert_int_equal(sgx->verify(b.data, b.size, &opts, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "sgx: step 8 (collateral validity)");
	tu_assert_msg(&msg, "expired");
	assert_string_equal(c.tcb_status, "");
	opts.at = AT_2025_06_01;
	assert_int_equal(sgx->verify(b.data, b.size, &opts, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "sgx: step 8 (collateral validity)");

	/* SGX collateral for a TDX quote is refused */
	dcr_buf_free(&b);
	LOAD_OR_SKIP(TDX4_FILE, &b);
	opts.at = AT_2025_07_01;
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->verify(b.data, b.size, &opts, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "tdx: step 6 (collateral format)");
	dcr_buf_free(&coll);
	dcr_buf_free(&b);
}

static void test_tdx_v4_sample(void **state)
{
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_attest_verify_opts opts = {.at = AT_2026_02_03};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	struct dcap_quote q;

	(void)state;
	LOAD_OR_SKIP(TDX4_FILE, &b);
	assert_int_equal(b.size, 4974);
	assert_non_null(tdx);
	assert_ptr_equal(dcr_attest_probe(b.data, b.size), tdx);
	assert_int_equal(dcap_quote_parse(b.data, b.size, "tdx", &q, &msg), DCR_OK);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.signed_size, 632);
	assert_int_equal(q.quote_size, 4935); /* the 39 trailing bytes are ignored */
	assert_int_equal(q.qe_report - b.data, 770);
	assert_int_equal(q.qe_auth_size, 32);
	assert_int_equal(q.pck_pem_size, 3677);

	assert_int_equal(tdx->verify(b.data, b.size, &opts, &c, &msg), DCR_OK);
	assert_int_equal(c.tee, DCR_TEE_TDX);
	assert_int_equal(c.measurement_count, 6);
	assert_measurement(&c, "mrtd", "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336"
	                               "923db86f22fc00b8dcd404bc10d5e119d7215cbb");
	assert_measurement(&c, "rtmr0", "2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc"
	                                "80af42976823adf08f833c1e50b51779c6593f32a");
	assert_measurement(&c, "rtmr1", "2c700b8ba9b85783f8be9fb9443647bdc0bb3c50747f06297cc6538"
	                                "c25a5f589c4b56d035c59107c6bc5800db2cacb61");
	assert_measurement(&c, "rtmr2", "8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b"
	                                "3e6466fe59c7368b3c2287fc7c3bf5c924eb4424e");
	assert_measurement(&c, "rtmr3", "000000000000000000000000000000000000000000000000000000"
	                                "000000000000000000000000000000000000000000");
	assert_measurement(&c, "mrconfigid", "0000000000000000000000000000000000000000000000000"
	                                     "00000000000000000000000000000000000000000000000");
	assert_hex(c.report_data, 64, "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9"
	                              "899545eb7406a38d1eed313b987a467dacead6f0c87a6d766c66f6f29f8"
	                              "acb281f1113");
	assert_false(c.debug);
	assert_string_equal(c.fmspc, "50806f000000");
	assert_string_equal(c.tcb_status, "unknown (no collateral)");

	/* the sgx verifier refuses it at step 1 */
	assert_int_equal(dcr_attest_find(DCR_TEE_SGX)->verify(b.data, b.size, &opts, &c, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "sgx: step 1 (header)");
	dcr_buf_free(&b);
}

static void test_tdx_v5_sample(void **state)
{
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_attest_verify_opts opts = {.at = AT_2026_02_03};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	struct dcap_quote q;

	(void)state;
	LOAD_OR_SKIP(TDX5_FILE, &b);
	assert_int_equal(b.size, 5006);
	assert_ptr_equal(dcr_attest_probe(b.data, b.size), tdx);
	assert_int_equal(dcap_quote_parse(b.data, b.size, "tdx", &q, &msg), DCR_OK);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body - b.data, 54);
	assert_int_equal(q.body_size, DCAP_TDX15_BODY_SIZE);
	assert_int_equal(q.signed_size, 702);
	assert_int_equal(q.quote_size, 706 + 4300);

	assert_int_equal(tdx->verify(b.data, b.size, &opts, &c, &msg), DCR_OK);
	assert_measurement(&c, "mrtd", "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69c"
	                               "c0d21fb001a1ced3ee19747dda8f750c3bc8f876");
	assert_hex(c.report_data, 64, "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289"
	                              "ab9f1e094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b4862"
	                              "33e31c25c3a");
	assert_false(c.debug);
	assert_string_equal(c.fmspc, "90c06f000000");

	/* its PCK leaf is valid from 2026-01-27 only */
	opts.at = AT_2025_07_01;
	assert_int_equal(tdx->verify(b.data, b.size, &opts, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "tdx: step 5 (PCK chain)");
	tu_assert_msg(&msg, "not yet valid");
	dcr_buf_free(&b);
}

/* ---- every step fails when its bytes change ------------------------------- */

/* Verifies a copy of b with byte off XORed by x, expecting step. */
static void flip_expect(const struct dcr_buf *b, enum dcr_tee tee, int64_t at, size_t off,
                        uint8_t x, const char *step)
{
	const struct dcr_attest_ops *ops = dcr_attest_find(tee);
	struct dcr_attest_verify_opts opts = {.at = at};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	uint8_t *copy = malloc(b->size);

	assert_non_null(copy);
	memcpy(copy, b->data, b->size);
	assert_true(off < b->size);
	copy[off] ^= x;
	if (ops->verify(copy, b->size, &opts, &c, &msg) == DCR_OK)
		fail_msg("flipping byte %zu of %s evidence verified", off, ops->name);
	tu_assert_msg(&msg, step);
	assert_int_equal(c.measurement_count, 0);
	free(copy);
}

/* Offset of a base64 character inside the n-th (0-based) certificate's
 * signature in the quote's PEM chain: 20 characters before its END line. */
static size_t cert_sig_offset(const struct dcr_buf *b, const struct dcap_quote *q, int n)
{
	const char *pem = (const char *)q->pck_pem;
	const char *end = pem;

	for (int i = 0; i <= n; i++) {
		end = memmem(end + 1, q->pck_pem_size - (size_t)(end + 1 - pem),
		             "-----END CERTIFICATE-----", 25);
		assert_non_null(end);
	}
	return (size_t)((const uint8_t *)end - 20 - b->data);
}

static void flip_all_steps(const char *file, enum dcr_tee tee, int64_t at)
{
	struct dcr_buf b;
	struct dcap_quote q;
	struct dcr_msg msg = {{0}};
	const char *name = tee == DCR_TEE_SGX ? "sgx" : "tdx";
	char step[64];
	size_t body_off, off;

	if (!load(file, &b))
		skip();
	assert_int_equal(dcap_quote_parse(b.data, b.size, name, &q, &msg), DCR_OK);
	body_off = (size_t)(q.body - b.data);

#define STEP(s) (snprintf(step, sizeof(step), "%s: %s", name, (s)), step)
	flip_expect(&b, tee, at, 0, 0x01, STEP(DCAP_STEP_HEADER));     /* version */
	flip_expect(&b, tee, at, 2, 0x01, STEP(DCAP_STEP_HEADER));     /* key type */
	flip_expect(&b, tee, at, 8, 0x01, STEP(DCAP_STEP_QUOTE_SIG));  /* qe_svn */
	flip_expect(&b, tee, at, body_off + 100, 0x80, STEP(DCAP_STEP_QUOTE_SIG));
	flip_expect(&b, tee, at, q.signed_size - 1, 0x01, STEP(DCAP_STEP_QUOTE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.signature - b.data) + 5, 0x01,
	            STEP(DCAP_STEP_QUOTE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.signature - b.data) + 40, 0x01,
	            STEP(DCAP_STEP_QUOTE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.att_key - b.data) + 10, 0x01,
	            STEP(DCAP_STEP_QUOTE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.qe_report - b.data) + 200, 0x01,
	            STEP(DCAP_STEP_QE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.qe_report - b.data) + DCAP_RB_REPORTDATA, 0x01,
	            STEP(DCAP_STEP_QE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.qe_report_sig - b.data) + 3, 0x01,
	            STEP(DCAP_STEP_QE_SIG));
	flip_expect(&b, tee, at, (size_t)(q.qe_auth - b.data), 0x01, STEP(DCAP_STEP_QE_DATA));
	flip_expect(&b, tee, at, (size_t)(q.qe_auth - b.data) + q.qe_auth_size - 1, 0x80,
	            STEP(DCAP_STEP_QE_DATA));
	/* the PCK leaf's own signature (by the intermediate), then the
	 * intermediate's (by the root): both caught by the chain */
	off = cert_sig_offset(&b, &q, 0);
	flip_expect(&b, tee, at, off, b.data[off] == 'A' ? 0x03 : ('A' ^ b.data[off]),
	            STEP(DCAP_STEP_CHAIN));
	off = cert_sig_offset(&b, &q, 1);
	flip_expect(&b, tee, at, off, b.data[off] == 'A' ? 0x03 : ('A' ^ b.data[off]),
	            STEP(DCAP_STEP_CHAIN));
	/* the chain's PEM armour: the chain no longer parses */
	flip_expect(&b, tee, at, (size_t)(q.pck_pem - b.data) + 12, 0x20,
	            STEP(DCAP_STEP_QE_SIG));
#undef STEP
	dcr_buf_free(&b);
}

static void test_sgx_flips(void **state)
{
	(void)state;
	flip_all_steps(SGX_FILE, DCR_TEE_SGX, AT_2025_07_01);
}

static void test_tdx_v4_flips(void **state)
{
	(void)state;
	flip_all_steps(TDX4_FILE, DCR_TEE_TDX, AT_2026_02_03);
}

static void test_tdx_v5_flips(void **state)
{
	(void)state;
	flip_all_steps(TDX5_FILE, DCR_TEE_TDX, AT_2026_02_03);
}

/* Every truncation of the quote is refused at step 1; trailing bytes are not. */
static void truncations(const char *file, enum dcr_tee tee)
{
	const struct dcr_attest_ops *ops = dcr_attest_find(tee);
	struct dcr_attest_verify_opts opts = {.at = AT_2026_02_03};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	struct dcap_quote q;
	uint8_t *copy;

	if (!load(file, &b))
		skip();
	if (tee == DCR_TEE_SGX)
		opts.at = AT_2025_07_01;
	assert_int_equal(dcap_quote_parse(b.data, b.size, ops->name, &q, &msg), DCR_OK);
	for (size_t n = 0; n < q.quote_size; n++) {
		copy = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
		assert_non_null(copy);
		memcpy(copy, b.data, n);
		assert_int_equal(ops->verify(copy, n, &opts, &c, &msg), DCR_ERR_INVALID);
		free(copy);
		if (!strstr(msg.text, "step 1 (header)"))
			fail_msg("size %zu: %s", n, msg.text);
	}
	copy = malloc(q.quote_size + 100);
	assert_non_null(copy);
	memcpy(copy, b.data, q.quote_size);
	memset(copy + q.quote_size, 0xee, 100);
	assert_int_equal(ops->verify(copy, q.quote_size, &opts, &c, &msg), DCR_OK);
	assert_int_equal(ops->verify(copy, q.quote_size + 100, &opts, &c, &msg), DCR_OK);
	free(copy);
	dcr_buf_free(&b);
}

static void test_truncations(void **state)
{
	(void)state;
	truncations(SGX_FILE, DCR_TEE_SGX);
	truncations(TDX4_FILE, DCR_TEE_TDX);
	truncations(TDX5_FILE, DCR_TEE_TDX);
}

static void test_pck_expired(void **state)
{
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_attest_verify_opts opts = {.at = AT_2030_01_01};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;

	(void)state;
	LOAD_OR_SKIP(TDX4_FILE, &b);
	assert_int_equal(tdx->verify(b.data, b.size, &opts, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "tdx: step 5 (PCK chain)");
	tu_assert_msg(&msg, "expired");
	dcr_buf_free(&b);
}

/* ---- the collateral: changed bytes fail at the named step ------------------ */

/* Verifies the SGX sample with the collateral after edit(root) changed it. */
static void coll_expect(void (*edit)(json_t *root), const char *step)
{
	const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
	struct dcr_attest_verify_opts opts = {.at = AT_2025_07_01};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b, coll;
	json_error_t jerr;
	json_t *root;
	char *text;

	if (!load(SGX_FILE, &b) || !load(COLL_FILE, &coll))
		skip();
	root = json_loadb((const char *)coll.data, coll.size, 0, &jerr);
	assert_non_null(root);
	edit(root);
	text = json_dumps(root, 0);
	assert_non_null(text);
	opts.collateral = (const uint8_t *)text;
	opts.collateral_size = strlen(text);
	if (sgx->verify(b.data, b.size, &opts, &c, &msg) == DCR_OK)
		fail_msg("changed collateral verified");
	tu_assert_msg(&msg, step);
	assert_string_equal(c.tcb_status, "");
	free(text);
	json_decref(root);
	dcr_buf_free(&coll);
	dcr_buf_free(&b);
}

/* Replaces the first occurrence of from by to (same length) in string field key. */
static void replace_in(json_t *root, const char *key, const char *from, const char *to)
{
	json_t *v = json_object_get(root, key);
	char *s, *hit;

	assert_true(json_is_string(v));
	s = strdup(json_string_value(v));
	assert_non_null(s);
	hit = strstr(s, from);
	assert_non_null(hit);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(hit, to, strlen(to));
	json_object_set_new(root, key, json_string(s));
	free(s);
}

static void edit_tcb_info(json_t *r)
{
	/* promote the platform: what a forger would do */
	replace_in(r, "tcb_info", "ConfigurationAndSWHardeningNeeded",
	           "ConfigurationAndSWHardeningNeedeD");
}

static void edit_tcb_sig(json_t *r)
{
	replace_in(r, "tcb_info_signature", "9ad0", "9ad1");
}

static void edit_qe_identity(json_t *r)
{
	replace_in(r, "qe_identity", "\"isvprodid\":1", "\"isvprodid\":2");
}

static void edit_qe_sig(json_t *r)
{
	replace_in(r, "qe_identity_signature", "f130", "f131");
}

static void edit_tcb_chain(json_t *r)
{
	/* a character inside the TCB signing certificate's signature */
	json_t *v = json_object_get(r, "tcb_info_issuer_chain");
	char *s = strdup(json_string_value(v)), *end;

	assert_non_null(s);
	end = strstr(s, "-----END CERTIFICATE-----");
	assert_non_null(end);
	end[-20] = end[-20] == 'A' ? 'B' : 'A';
	json_object_set_new(r, "tcb_info_issuer_chain", json_string(s));
	free(s);
}

static void edit_pck_crl(json_t *r)
{
	json_t *v = json_object_get(r, "pck_crl");
	char *s = strdup(json_string_value(v));
	size_t n = strlen(s);

	assert_non_null(s);
	/* a hex digit inside the CRL's signature, near its end */
	s[n - 10] = s[n - 10] == '0' ? '1' : '0';
	json_object_set_new(r, "pck_crl", json_string(s));
	free(s);
}

static void edit_drop_crl(json_t *r)
{
	json_object_del(r, "root_ca_crl");
}

static void edit_not_json(json_t *r)
{
	json_object_set_new(r, "tcb_info", json_string("{\"id\":"));
}

static void test_collateral_changes(void **state)
{
	(void)state;
	coll_expect(edit_tcb_info, "sgx: " DCAP_STEP_COLL_SIG);
	coll_expect(edit_tcb_sig, "sgx: " DCAP_STEP_COLL_SIG);
	coll_expect(edit_qe_identity, "sgx: " DCAP_STEP_COLL_SIG);
	coll_expect(edit_qe_sig, "sgx: " DCAP_STEP_COLL_SIG);
	coll_expect(edit_tcb_chain, "sgx: " DCAP_STEP_COLL_SIG);
	coll_expect(edit_pck_crl, "sgx: " DCAP_STEP_REVOCATION);
	coll_expect(edit_drop_crl, "sgx: " DCAP_STEP_COLL_FORMAT);
	coll_expect(edit_not_json, "sgx: " DCAP_STEP_COLL_FORMAT);
}

static void test_collateral_not_json(void **state)
{
	const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
	struct dcr_attest_verify_opts opts = {.at = AT_2025_07_01};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;

	(void)state;
	LOAD_OR_SKIP(SGX_FILE, &b);
	opts.collateral = (const uint8_t *)"[1, 2";
	opts.collateral_size = 5;
	assert_int_equal(sgx->verify(b.data, b.size, &opts, &c, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "sgx: step 6 (collateral format)");
	dcr_buf_free(&b);
}

/* ---- TCB levels: Intel's matching rules on synthetic TCB info ------------- */

static const char tcb_sgx[] =
	"{\"id\":\"SGX\",\"version\":3,\"tcbLevels\":["
	"{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":5},{\"svn\":5},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":13},"
	"\"tcbStatus\":\"UpToDate\"},"
	"{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":4},{\"svn\":4},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":10},"
	"\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-1\",\"INTEL-SA-2\"]}]}";

static const char tcb_tdx[] =
	"{\"id\":\"TDX\",\"version\":3,\"tcbLevels\":["
	"{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":1},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":1,"
	"\"tdxtcbcomponents\":[{\"svn\":9},{\"svn\":9},{\"svn\":3},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}]},"
	"\"tcbStatus\":\"UpToDate\"},"
	"{\"tcb\":{\"sgxtcbcomponents\":[{\"svn\":1},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}],\"pcesvn\":1,"
	"\"tdxtcbcomponents\":[{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},"
	"{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0},{\"svn\":0}]},"
	"\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"INTEL-SA-3\"]}]}";

static void test_tcb_levels(void **state)
{
	struct dcap_pck_info pck = {.comp_svn = {5, 5}, .pcesvn = 13};
	struct dcap_tcb_result r;
	struct dcr_msg msg = {{0}};
	uint8_t svn[16] = {0};

	(void)state;
	assert_int_equal(dcap_tcb_level(tcb_sgx, strlen(tcb_sgx), &pck, NULL, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "UpToDate");
	assert_int_equal(r.advisory_count, 0);
	/* one component below the first level: the second */
	pck.comp_svn[1] = 4;
	assert_int_equal(dcap_tcb_level(tcb_sgx, strlen(tcb_sgx), &pck, NULL, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "OutOfDate");
	assert_int_equal(r.advisory_count, 2);
	assert_string_equal(r.advisories[1], "INTEL-SA-2");
	/* a higher component does not make up for a lower PCESVN */
	pck.comp_svn[1] = 200;
	pck.pcesvn = 12;
	assert_int_equal(dcap_tcb_level(tcb_sgx, strlen(tcb_sgx), &pck, NULL, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "OutOfDate");
	pck.pcesvn = 9;
	assert_int_equal(dcap_tcb_level(tcb_sgx, strlen(tcb_sgx), &pck, NULL, &r, &msg),
	                 DCR_ERR_NOT_FOUND);
	/* SGX TCB info is not TDX TCB info and the other way round */
	pck.pcesvn = 13;
	assert_int_equal(dcap_tcb_level(tcb_sgx, strlen(tcb_sgx), &pck, svn, &r, &msg),
	                 DCR_ERR_INVALID);
	assert_int_equal(dcap_tcb_level(tcb_tdx, strlen(tcb_tdx), &pck, NULL, &r, &msg),
	                 DCR_ERR_INVALID);

	/* TDX: tee_tcb_svn against tdxtcbcomponents */
	svn[0] = 9;
	svn[1] = 0;
	svn[2] = 3;
	assert_int_equal(dcap_tcb_level(tcb_tdx, strlen(tcb_tdx), &pck, svn, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "OutOfDate"); /* byte 1 is 0 < 9 */
	assert_string_equal(r.advisories[0], "INTEL-SA-3");
	/* a module with major version > 0: bytes 0 and 1 are not compared */
	svn[0] = 0;
	svn[1] = 1;
	assert_int_equal(dcap_tcb_level(tcb_tdx, strlen(tcb_tdx), &pck, svn, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "UpToDate");
	svn[2] = 2;
	assert_int_equal(dcap_tcb_level(tcb_tdx, strlen(tcb_tdx), &pck, svn, &r, &msg), DCR_OK);
	assert_string_equal(r.status, "OutOfDate");

	/* malformed */
	assert_int_equal(dcap_tcb_level("{", 1, &pck, NULL, &r, &msg), DCR_ERR_INVALID);
	assert_int_equal(dcap_tcb_level("{\"id\":\"SGX\",\"version\":3,\"tcbLevels\":[{}]}", 42,
	                                &pck, NULL, &r, &msg), DCR_ERR_INVALID);
}

/* status (platform) x status (QE) -> final status, or NULL when refused */
static void final_case(const char *platform, const char *qe, const char *want)
{
	struct dcap_tcb_result p = {0}, q = {0};
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	snprintf(p.status, sizeof(p.status), "%s", platform);
	snprintf(q.status, sizeof(q.status), "%s", qe);
	snprintf(p.advisories[0], sizeof(p.advisories[0]), "INTEL-SA-00001");
	p.advisory_count = 1;
	snprintf(q.advisories[0], sizeof(q.advisories[0]), "INTEL-SA-00001");
	snprintf(q.advisories[1], sizeof(q.advisories[1]), "INTEL-SA-00002");
	q.advisory_count = 2;
	err = dcap_tcb_final(&p, &q, "sgx", &msg);
	if (want) {
		if (err != DCR_OK)
			fail_msg("%s + QE %s: %s", platform, qe, msg.text);
		assert_string_equal(p.status, want);
	} else {
		assert_int_equal(err, DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "sgx: step 11 (TCB status): the platform's TCB status is");
		tu_assert_msg(&msg, "INTEL-SA-00001, INTEL-SA-00002");
	}
	/* advisories: the platform's, then the QE's not yet listed */
	assert_int_equal(p.advisory_count, 2);
	assert_string_equal(p.advisories[1], "INTEL-SA-00002");
}

static void test_tcb_final(void **state)
{
	(void)state;
	final_case("UpToDate", "UpToDate", "UpToDate");
	final_case("SWHardeningNeeded", "UpToDate", "SWHardeningNeeded");
	final_case("ConfigurationNeeded", "UpToDate", "ConfigurationNeeded");
	final_case("ConfigurationAndSWHardeningNeeded", "UpToDate",
	           "ConfigurationAndSWHardeningNeeded");
	/* refused: Revoked, OutOfDate, OutOfDateConfigurationNeeded */
	final_case("OutOfDate", "UpToDate", NULL);
	final_case("OutOfDateConfigurationNeeded", "UpToDate", NULL);
	final_case("Revoked", "UpToDate", NULL);
	/* the QE's status drags the platform's down */
	final_case("UpToDate", "OutOfDate", NULL);
	final_case("ConfigurationNeeded", "OutOfDate", NULL);
	final_case("UpToDate", "Revoked", NULL);
	final_case("NotAStatus", "UpToDate", NULL);
	{
		struct dcap_tcb_result p = {0}, q = {0};
		struct dcr_msg msg = {{0}};

		snprintf(p.status, sizeof(p.status), "ConfigurationNeeded");
		snprintf(q.status, sizeof(q.status), "OutOfDate");
		assert_int_equal(dcap_tcb_final(&p, &q, "tdx", &msg), DCR_ERR_VERIFY);
		assert_string_equal(p.status, "OutOfDateConfigurationNeeded");
		tu_assert_msg(&msg, "OutOfDateConfigurationNeeded (advisories: none)");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_fingerprint),
		cmocka_unit_test(test_sgx_sample),
		cmocka_unit_test(test_sgx_collateral),
		cmocka_unit_test(test_tdx_v4_sample),
		cmocka_unit_test(test_tdx_v5_sample),
		cmocka_unit_test(test_sgx_flips),
		cmocka_unit_test(test_tdx_v4_flips),
		cmocka_unit_test(test_tdx_v5_flips),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_pck_expired),
		cmocka_unit_test(test_collateral_changes),
		cmocka_unit_test(test_collateral_not_json),
		cmocka_unit_test(test_tcb_levels),
		cmocka_unit_test(test_tcb_final),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
