/* SPDX-License-Identifier: Apache-2.0 */
/* The SEV-SNP verifier against the real Milan report and VCEK (exact values
 * from ../shared/testdata/SOURCES.md), each step failing on flipped bytes,
 * the certificate table, the built-in AMD roots, and a synthetic chain. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "snp_testchain.h"

#define AT_2026 1795651200 /* 2026-11-26T00:00:00Z */

static const char *const MEASUREMENT =
	"b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b"
	"6bdf8a9ece31a5a608eb0cf2e4872b01";
static const char *const CHIP_ID =
	"3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e5378618"
	"4ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d";

static struct dcr_buf report, vcek;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_ERROR);
	tc_read("snp_report_milan.bin", &report);
	tc_read("snp_vcek_milan.der", &vcek);
	assert_int_equal(report.size, SNP_REPORT_SIZE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_buf_free(&report);
	dcr_buf_free(&vcek);
	return 0;
}

static const char *info(const struct dcr_attest_claims *c, const char *name)
{
	for (size_t i = 0; i < c->info_count; i++)
		if (!strcmp(c->info[i].name, name))
			return c->info[i].value;
	fail_msg("no info %s", name);
	return NULL;
}

/* Verifies bytes (a copy of the report, maybe changed) with the VCEK. */
static enum dcr_err verify(const uint8_t *ev, size_t size, const uint8_t *v, size_t vsize,
                           int64_t at, struct dcr_attest_claims *c, struct dcr_msg *msg)
{
	const struct dcr_attest_verify_opts opts = {.at = at, .vcek = v, .vcek_size = vsize};

	memset(msg, 0, sizeof(*msg));
	return dcr_attest_find(DCR_TEE_SNP)->verify(ev, size, &opts, c, msg);
}

/* Flips one byte of the report at off and expects step text. */
static void expect_flip(size_t off, enum dcr_err want, const char *step)
{
	uint8_t copy[SNP_REPORT_SIZE];
	struct dcr_attest_claims c;
	struct dcr_msg msg;

	memcpy(copy, report.data, SNP_REPORT_SIZE);
	copy[off] ^= 0x01;
	assert_int_equal(verify(copy, sizeof(copy), vcek.data, vcek.size, AT_2026, &c, &msg), want);
	tu_assert_msg(&msg, step);
	assert_int_equal(c.measurement_count, 0); /* nothing of a failure is a claim */
	assert_int_equal(c.info_count, 0);
}

static void test_real_report_verifies(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_msg msg;
	const struct dcr_attest_measurement *m;
	uint8_t want_rd[64] = {1, 2, 3, 4, 5};

	(void)state;
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size, AT_2026, &c, &msg),
	                 DCR_OK);
	assert_int_equal(c.tee, DCR_TEE_SNP);
	assert_memory_equal(c.report_data, want_rd, 64);
	m = dcr_attest_claims_find(&c, "measurement");
	assert_non_null(m);
	assert_int_equal(m->size, 48);
	assert_string_equal(tc_hex(m->value, m->size), MEASUREMENT);
	m = dcr_attest_claims_find(&c, "host_data");
	assert_non_null(m);
	assert_int_equal(m->size, 32);
	assert_string_equal(tc_hex(m->value, 32),
	                    "0000000000000000000000000000000000000000000000000000000000000000");
	assert_true(c.debug); /* policy 0xb0000: bit 19, debug allowed */
	assert_int_equal(c.timestamp, 0);
	assert_string_equal(info(&c, "report_version"), "2");
	assert_string_equal(info(&c, "policy"),
	                    "0x00000000000b0000 (debug allowed, SMT allowed, ABI >= 0.0)");
	assert_string_equal(info(&c, "vmpl"), "0");
	assert_string_equal(info(&c, "guest_svn"), "0");
	assert_string_equal(info(&c, "reported_tcb"),
	                    "0x4405000000000002 (bootloader 2, tee 0, snp 5, microcode 68)");
	assert_string_equal(info(&c, "chip_id"), CHIP_ID);
	assert_string_equal(info(&c, "product"), "Milan (VCEK Milan-B0)");
	assert_string_equal(info(&c, "vcek"), "given by the verifier (--vcek)");

	/* the same at "now" (0): the VCEK is valid until 2029 */
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size, 0, &c, &msg),
	                 DCR_OK);
}

static void test_debug_appraisal(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_msg msg;
	struct dcr_tee_pin pin = {.tee = DCR_TEE_SNP, .name = "measurement", .size = 48};
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_SNP), .pins = &pin,
	                                   .pin_count = 1};

	(void)state;
	assert_int_equal(dcr_hex_decode(pin.value, 48, MEASUREMENT, 96), DCR_OK);
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size, AT_2026, &c, &msg),
	                 DCR_OK);
	/* the sample allows debugging: refused unless the policy allows it */
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 2 (debug)");
	policy.allow_debug = true;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
	pin.value[0] ^= 1;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 3 (measurement)");
}

static void test_flips(void **state)
{
	(void)state;
	expect_flip(SNP_OFF_SIG_R, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_SIG_R + 47, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_SIG_S, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_SIG_S + 10, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_MEASUREMENT, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_REPORT_DATA + 63, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_POLICY + 2, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_SIGNED_SIZE - 1, DCR_ERR_VERIFY, "snp: step 6 (signature)");
	expect_flip(SNP_OFF_CHIP_ID + 5, DCR_ERR_VERIFY, "snp: step 5 (chip id)");
	expect_flip(SNP_OFF_REPORTED_TCB + 0, DCR_ERR_VERIFY,
	            "snp: step 5 (tcb): the report's reported TCB has bootloader 3");
	expect_flip(SNP_OFF_REPORTED_TCB + 6, DCR_ERR_VERIFY, "snp: step 5 (tcb)");
	expect_flip(SNP_OFF_REPORTED_TCB + 7, DCR_ERR_VERIFY, "microcode");
	expect_flip(SNP_OFF_SIG_ALGO, DCR_ERR_INVALID, "snp: step 2 (signature algorithm)");
	expect_flip(SNP_OFF_VERSION + 1, DCR_ERR_INVALID, "snp: step 1 (format): report version");
	/* the unsigned rest of the signature area changes nothing */
	{
		uint8_t copy[SNP_REPORT_SIZE];
		struct dcr_attest_claims c;
		struct dcr_msg msg;

		memcpy(copy, report.data, SNP_REPORT_SIZE);
		copy[SNP_OFF_SIG_S + 100] ^= 0xff;
		assert_int_equal(verify(copy, sizeof(copy), vcek.data, vcek.size, AT_2026, &c,
		                        &msg), DCR_OK);
	}
}

static void test_chip_id_masked(void **state)
{
	uint8_t copy[SNP_REPORT_SIZE];
	struct dcr_attest_claims c;
	struct dcr_msg msg;

	(void)state;
	memcpy(copy, report.data, SNP_REPORT_SIZE);
	memset(copy + SNP_OFF_CHIP_ID, 0, 64);
	assert_int_equal(verify(copy, sizeof(copy), vcek.data, vcek.size, AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 5 (chip id): the report's chip id is all zero");
}

static void test_validity(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_msg msg;

	(void)state;
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size,
	                        1893456000 /* 2030-01-01 */, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK has expired at 2030-01-01T00:00:00Z");
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size,
	                        1640995200 /* 2022-01-01 */, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK is not valid yet");
	/* an hour before the VCEK expires (2029-09-24 00:55:28) */
	assert_int_equal(verify(report.data, report.size, vcek.data, vcek.size, 1884902400,
	                        &c, &msg), DCR_OK);
}

static void test_wrong_vcek(void **state)
{
	struct dcr_buf bad;
	struct dcr_attest_claims c;
	struct dcr_msg msg;
	uint8_t junk[100] = {0x30, 0x62};

	(void)state;
	/* no VCEK at all */
	assert_int_equal(verify(report.data, report.size, NULL, 0, AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 3 (vcek): no VCEK certificate");
	/* not a certificate */
	assert_int_equal(verify(report.data, report.size, junk, sizeof(junk), AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 3 (vcek): the VCEK");
	/* trailing bytes after the certificate */
	dcr_buf_init(&bad, 1 << 16);
	assert_int_equal(dcr_buf_append(&bad, vcek.data, vcek.size), DCR_OK);
	assert_int_equal(dcr_buf_append(&bad, "x", 1), DCR_OK);
	assert_int_equal(verify(report.data, report.size, bad.data, bad.size, AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 3 (vcek)");
	/* a byte of the VCEK's signature (its last byte) */
	bad.size--;
	bad.data[bad.size - 1] ^= 0x01;
	assert_int_equal(verify(report.data, report.size, bad.data, bad.size, AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK's signature does not verify");
	dcr_buf_free(&bad);
}

/* Splits a KDS cert_chain PEM into its ASK and ARK texts (malloc'd). */
static void split_pem(const char *file, char **ask, char **ark)
{
	struct dcr_buf b;
	const char *second;

	tc_read(file, &b);
	second = strstr((const char *)b.data + 1, "-----BEGIN CERTIFICATE-----");
	assert_non_null(second);
	*ask = strndup((const char *)b.data, (size_t)(second - (const char *)b.data));
	*ark = strdup(second);
	assert_non_null(*ask);
	assert_non_null(*ark);
	dcr_buf_free(&b);
}

static void test_wrong_ask_or_ark(void **state)
{
	char *milan_ask, *milan_ark, *genoa_ask, *genoa_ark, pem[16384];
	struct snp_product products[2] = {{"Milan", "SEV-Milan", pem}, {NULL, NULL, NULL}};
	struct dcr_attest_claims c;
	struct dcr_msg msg;
	EVP_PKEY *key;
	X509 *fake;
	BIO *bio;
	char *text;
	long len;

	(void)state;
	split_pem("amd_ask_ark_milan.pem", &milan_ask, &milan_ark);
	split_pem("amd_ask_ark_genoa.pem", &genoa_ask, &genoa_ark);

	/* the real pair, given as test anchors, verifies */
	snprintf(pem, sizeof(pem), "%s%s", milan_ask, milan_ark);
	assert_int_equal(attest_snp_verify_report(report.data, vcek.data, vcek.size, "t",
	                                          products, AT_2026, &c, &msg), DCR_OK);
	/* Genoa's ASK in Milan's place */
	snprintf(pem, sizeof(pem), "%s%s", genoa_ask, milan_ark);
	assert_int_equal(attest_snp_verify_report(report.data, vcek.data, vcek.size, "t",
	                                          products, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK's issuer is \"SEV-Milan\", not "
	                    "the ASK \"SEV-Genoa\"");
	/* Genoa's ARK under Milan's ASK */
	snprintf(pem, sizeof(pem), "%s%s", milan_ask, genoa_ark);
	assert_int_equal(attest_snp_verify_report(report.data, vcek.data, vcek.size, "t",
	                                          products, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the ASK's issuer is \"ARK-Milan\"");

	/* an ASK with Milan's names and another key: the signature check fails */
	bio = BIO_new_mem_buf(milan_ask, -1);
	fake = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(fake);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(key);
	assert_int_equal(X509_set_pubkey(fake, key), 1);
	tc_sign_pss(fake, key);
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_X509(bio, fake), 1);
	len = BIO_get_mem_data(bio, &text);
	snprintf(pem, sizeof(pem), "%.*s%s", (int)len, text, milan_ark);
	BIO_free(bio);
	assert_int_equal(attest_snp_verify_report(report.data, vcek.data, vcek.size, "t",
	                                          products, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK's signature does not verify with "
	                    "the ASK's key");
	/* and a Milan VCEK against only Genoa's anchors: no such product */
	snprintf(pem, sizeof(pem), "%s%s", genoa_ask, genoa_ark);
	products[0] = (struct snp_product){"Genoa", "SEV-Genoa", pem};
	assert_int_equal(attest_snp_verify_report(report.data, vcek.data, vcek.size, "t",
	                                          products, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain): the VCEK's issuer \"SEV-Milan\" is none");

	X509_free(fake);
	EVP_PKEY_free(key);
	free(milan_ask);
	free(milan_ark);
	free(genoa_ask);
	free(genoa_ark);
}

/* The built-in anchors are AMD's: each ASK is signed by its ARK, each ARK by
 * itself, with the names SOURCES.md gives (checked with OpenSSL directly). */
static void test_builtin_roots(void **state)
{
	static const char *const arks[] = {"ARK-Milan", "ARK-Genoa", "ARK-Turin"};
	size_t n = 0;

	(void)state;
	for (; attest_snp_products[n].name; n++) {
		const struct snp_product *p = &attest_snp_products[n];
		BIO *bio = BIO_new_mem_buf(p->ask_ark_pem, -1);
		X509 *ask = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		X509 *ark = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		char cn[64];

		assert_non_null(ask);
		assert_non_null(ark);
		X509_NAME_get_text_by_NID(X509_get_subject_name(ask), NID_commonName, cn, sizeof(cn));
		assert_string_equal(cn, p->ask_cn);
		X509_NAME_get_text_by_NID(X509_get_subject_name(ark), NID_commonName, cn, sizeof(cn));
		assert_string_equal(cn, arks[n]);
		assert_int_equal(X509_verify(ask, X509_get0_pubkey(ark)), 1);
		assert_int_equal(X509_verify(ark, X509_get0_pubkey(ark)), 1);
		assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ark)), 4096);
		X509_free(ask);
		X509_free(ark);
		BIO_free(bio);
	}
	assert_int_equal(n, 3);
}

/* Appends a certificate table to the report: entries then the certificates. */
static void with_table(struct dcr_buf *out, const uint8_t guid[16], const uint8_t *cert,
                       size_t cert_size, bool terminate)
{
	uint8_t entry[24] = {0}, other[24] = {0}, zero[24] = {0};
	uint32_t off = 3 * 24;

	dcr_buf_init(out, 1 << 16);
	assert_int_equal(dcr_buf_append(out, report.data, report.size), DCR_OK);
	/* an ASK entry first (ignored: the built-in ASK is used) */
	memcpy(other, "\x79\xb3\xb7\x4a\xac\xbb\xe4\x4f\xa0\x2f\x05\xae\xf3\x27\xc7\x82", 16);
	tc_put_le32(other + 16, off + (uint32_t)cert_size);
	tc_put_le32(other + 20, 0);
	memcpy(entry, guid, 16);
	tc_put_le32(entry + 16, off);
	tc_put_le32(entry + 20, (uint32_t)cert_size);
	assert_int_equal(dcr_buf_append(out, other, 24), DCR_OK);
	assert_int_equal(dcr_buf_append(out, entry, 24), DCR_OK);
	if (terminate)
		assert_int_equal(dcr_buf_append(out, zero, 24), DCR_OK);
	assert_int_equal(dcr_buf_append(out, cert, cert_size), DCR_OK);
}

static void test_cert_table(void **state)
{
	static const uint8_t efi[16] = {0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45,
	                                0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
	static const uint8_t text[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	                                 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};
	struct dcr_buf ev;
	struct dcr_attest_claims c;
	struct dcr_msg msg;
	const struct dcr_attest_ops *snp = dcr_attest_find(DCR_TEE_SNP);

	(void)state;
	with_table(&ev, efi, vcek.data, vcek.size, true);
	assert_ptr_equal(dcr_attest_probe(ev.data, ev.size), snp);
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_OK);
	assert_string_equal(info(&c, "vcek"), "from the evidence's certificate table");
	assert_string_equal(tc_hex(dcr_attest_claims_find(&c, "measurement")->value, 48),
	                    MEASUREMENT);
	/* --vcek wins over the table: a broken one given is used and fails */
	assert_int_equal(verify(ev.data, ev.size, (const uint8_t *)"x", 1, AT_2026, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 3 (vcek)");
	/* a flipped byte of the table's VCEK (in its signature) */
	ev.data[ev.size - 1] ^= 1;
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain)");
	/* ... and a flipped report byte with the table */
	ev.data[ev.size - 1] ^= 1;
	ev.data[SNP_OFF_MEASUREMENT] ^= 1;
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 6 (signature)");
	dcr_buf_free(&ev);

	with_table(&ev, text, vcek.data, vcek.size, true);
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_OK);
	/* the length points past the end */
	tc_put_le32(ev.data + SNP_REPORT_SIZE + 24 + 20, (uint32_t)vcek.size + 1);
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "snp: step 1 (format): certificate table entry 1");
	dcr_buf_free(&ev);

	/* no all-zero entry: the table runs into the certificate bytes and out */
	with_table(&ev, efi, (const uint8_t *)"\x01\x02\x03", 3, false);
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "snp: step 1 (format)");
	dcr_buf_free(&ev);

	/* a table without a VCEK: the verifier asks for one */
	with_table(&ev, (const uint8_t *)"0123456789abcdef", vcek.data, vcek.size, true);
	assert_int_equal(verify(ev.data, ev.size, NULL, 0, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 3 (vcek): no VCEK certificate");
	dcr_buf_free(&ev);

	/* too short to be a report */
	assert_int_equal(verify(report.data, SNP_REPORT_SIZE - 1, vcek.data, vcek.size, AT_2026,
	                        &c, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "snp: step 1 (format): evidence is 1183 bytes");
}

static void test_probe(void **state)
{
	static const char *const others[] = {
		"sgx_quote_v3_dcapqvl.dat", "tdx_quote_v4_spr_e4.dat", "tdx_quote_v5_sample.dat",
		"azure_hcl_report_snp.bin",
	};
	const struct dcr_attest_ops *snp = dcr_attest_find(DCR_TEE_SNP);
	uint8_t copy[SNP_REPORT_SIZE];

	(void)state;
	assert_non_null(snp);
	assert_string_equal(snp->name, "snp");
	assert_ptr_equal(dcr_attest_find_name("snp"), snp);
	assert_ptr_equal(dcr_attest_probe(report.data, report.size), snp);
	assert_false(snp->probe(report.data, SNP_REPORT_SIZE - 1));
	memcpy(copy, report.data, sizeof(copy));
	tc_put_le32(copy + SNP_OFF_VERSION, 3);
	assert_true(snp->probe(copy, sizeof(copy)));
	tc_put_le32(copy + SNP_OFF_VERSION, 6);
	assert_false(snp->probe(copy, sizeof(copy)));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct dcr_buf b;

		tc_read(others[i], &b);
		assert_false(snp->probe(b.data, b.size));
		assert_ptr_not_equal(dcr_attest_probe(b.data, b.size), snp);
		dcr_buf_free(&b);
	}
}

/* A report of our own, signed by a synthetic chain: versions 2 and 3, the
 * debug bit clear, and each layout field where docs/ATTESTATION.md puts it. */
static void test_synthetic_chain(void **state)
{
	static const uint8_t tcb[8] = {3, 1, 0, 0, 0, 0, 9, 0xd5};
	uint8_t rep[SNP_REPORT_SIZE] = {0}, chip[64];
	struct tc_chain chain;
	struct dcr_attest_claims c;
	struct dcr_msg msg;

	(void)state;
	for (int i = 0; i < 64; i++)
		chip[i] = (uint8_t)(0xa0 + i);
	tc_chain_make(&chain, chip, tcb);
	tc_put_le32(rep + SNP_OFF_VERSION, 3);
	tc_put_le32(rep + SNP_OFF_POLICY, 0x30000); /* SMT, reserved bit 17; no debug */
	tc_put_le32(rep + SNP_OFF_VMPL, 1);
	tc_put_le32(rep + SNP_OFF_SIG_ALGO, 1);
	memset(rep + SNP_OFF_REPORT_DATA, 0x5a, 64);
	memset(rep + SNP_OFF_MEASUREMENT, 0x11, 48);
	memset(rep + SNP_OFF_HOST_DATA, 0x22, 32);
	memcpy(rep + SNP_OFF_REPORTED_TCB, tcb, 8);
	rep[SNP_OFF_CPUID_FAM] = 0x19;
	rep[SNP_OFF_CPUID_MOD] = 0x01;
	rep[SNP_OFF_CPUID_STEP] = 0x01;
	memcpy(rep + SNP_OFF_CHIP_ID, chip, 64);
	tc_sign_report(rep, chain.vcek_key);

	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          chain.products, 1700000000, &c, &msg), DCR_OK);
	assert_false(c.debug);
	assert_memory_equal(dcr_attest_claims_find(&c, "measurement")->value,
	                    rep + SNP_OFF_MEASUREMENT, 48);
	assert_memory_equal(dcr_attest_claims_find(&c, "host_data")->value,
	                    rep + SNP_OFF_HOST_DATA, 32);
	assert_memory_equal(c.report_data, rep + SNP_OFF_REPORT_DATA, 64);
	assert_string_equal(info(&c, "vmpl"), "1");
	assert_string_equal(info(&c, "reported_tcb"),
	                    "0xd509000000000103 (bootloader 3, tee 1, snp 9, microcode 213)");
	assert_string_equal(info(&c, "cpuid"), "family 0x19, model 0x01, stepping 0x01");
	/* not our built-in AMD anchors: the real verifier refuses this chain */
	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          NULL, 1700000000, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 4 (vcek chain)");
	/* the debug bit */
	tc_put_le32(rep + SNP_OFF_POLICY, 0xb0000);
	tc_sign_report(rep, chain.vcek_key);
	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          chain.products, 1700000000, &c, &msg), DCR_OK);
	assert_true(c.debug);
	tc_chain_free(&chain);
}

/* Turin's TCB layout (FMC first, SNP at byte 3) and 8-byte hwID, with a
 * synthetic chain built to the layout docs/ATTESTATION.md states (no real
 * Turin sample exists in the test data). */
static void test_synthetic_turin(void **state)
{
	static const uint8_t tcb[8] = {1, 4, 0, 7, 0, 0, 0, 0x30};
	uint8_t rep[SNP_REPORT_SIZE] = {0}, chip[64];
	struct tc_chain chain;
	struct dcr_attest_claims c;
	struct dcr_msg msg;

	(void)state;
	for (int i = 0; i < 64; i++)
		chip[i] = (uint8_t)(0x10 + i);
	tc_chain_make_product(&chain, "Turin", chip, tcb);
	tc_put_le32(rep + SNP_OFF_VERSION, 3);
	tc_put_le32(rep + SNP_OFF_POLICY, 0x30000);
	tc_put_le32(rep + SNP_OFF_SIG_ALGO, 1);
	memcpy(rep + SNP_OFF_REPORTED_TCB, tcb, 8);
	rep[SNP_OFF_CPUID_FAM] = 0x1a;
	rep[SNP_OFF_CPUID_MOD] = 0x02;
	memcpy(rep + SNP_OFF_CHIP_ID, chip, 64);
	tc_sign_report(rep, chain.vcek_key);
	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          chain.products, 1700000000, &c, &msg), DCR_OK);
	assert_string_equal(info(&c, "product"), "Turin (VCEK Turin-B0)");
	assert_string_equal(info(&c, "reported_tcb"), "0x3000000007000401 (bootloader 4, tee 0, "
	                    "snp 7, microcode 48, fmc 1)");
	/* the FMC level is checked too */
	rep[SNP_OFF_REPORTED_TCB] = 2;
	tc_sign_report(rep, chain.vcek_key);
	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          chain.products, 1700000000, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 5 (tcb): the report's reported TCB has fmc 2");
	rep[SNP_OFF_REPORTED_TCB] = 1;
	/* the 8-byte hwID covers only the chip id's first 8 bytes */
	rep[SNP_OFF_CHIP_ID + 7] ^= 1;
	tc_sign_report(rep, chain.vcek_key);
	assert_int_equal(attest_snp_verify_report(rep, chain.vcek_der, chain.vcek_der_size, "t",
	                                          chain.products, 1700000000, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "snp: step 5 (chip id)");
	tc_chain_free(&chain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_report_verifies),
		cmocka_unit_test(test_debug_appraisal),
		cmocka_unit_test(test_flips),
		cmocka_unit_test(test_chip_id_masked),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_wrong_vcek),
		cmocka_unit_test(test_wrong_ask_or_ark),
		cmocka_unit_test(test_builtin_roots),
		cmocka_unit_test(test_cert_table),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_synthetic_chain),
		cmocka_unit_test(test_synthetic_turin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
