/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm verifier. The real samples come from different VMs (the TPM
 * quote's AK is not the HCL report's HCLAkPub, and there is no VCEK for the
 * HCL report's chip), so: the HCL parsing and runtime-data binding are tested
 * on the real HCL report, the quote check on the real quote, and the whole
 * container on containers this test assembles (see each test). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "snp_testchain.h"

#define AT_2026 1795651200 /* 2026-11-26T00:00:00Z */
#define AT_2023 1700000000 /* inside the synthetic chain's validity */

static struct dcr_buf hcl, quote, qsig, pcrs, milan_report, milan_vcek;
static EVP_PKEY *real_ak, *test_ak;

static int setup(void **state)
{
	BIO *bio;
	struct dcr_buf pem;

	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_ERROR);
	tc_read("azure_hcl_report_snp.bin", &hcl);
	tc_read("azure_vtpm_tpm_quote.tpms_attest.bin", &quote);
	tc_read("azure_vtpm_tpm_quote.rsassa_sig.bin", &qsig);
	tc_read("azure_vtpm_tpm_quote.pcrs_sha256_0-23.bin", &pcrs);
	tc_read("snp_report_milan.bin", &milan_report);
	tc_read("snp_vcek_milan.der", &milan_vcek);
	tc_read("azure_vtpm_akpub_for_tpm_quote.pem", &pem);
	bio = BIO_new_mem_buf(pem.data, (int)pem.size);
	real_ak = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	dcr_buf_free(&pem);
	assert_non_null(real_ak);
	test_ak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(test_ak);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_buf_free(&hcl);
	dcr_buf_free(&quote);
	dcr_buf_free(&qsig);
	dcr_buf_free(&pcrs);
	dcr_buf_free(&milan_report);
	dcr_buf_free(&milan_vcek);
	EVP_PKEY_free(real_ak);
	EVP_PKEY_free(test_ak);
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

/* ---- the real HCL report ------------------------------------------------ */

static void test_real_hcl(void **state)
{
	struct vtpm_hcl h;
	struct vtpm_runtime rt;
	struct dcr_msg msg = {{0}};
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nbytes[256];

	(void)state;
	assert_int_equal(hcl.size, 2048);
	assert_int_equal(attest_vtpm_hcl_parse(hcl.data, hcl.size, &h, &msg), DCR_OK);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.report_size, 1819);
	assert_int_equal(h.request_type, 2);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.report_type, HCL_REPORT_SNP);
	assert_int_equal(h.hash_type, 1);
	assert_int_equal(h.runtime_size, 583);
	assert_ptr_equal(h.runtime, hcl.data + 0x4D4);
	assert_int_equal(h.runtime_hash_size, 32);
	assert_string_equal(tc_hex(h.runtime_hash, 32),
	                    "1d0a466a9eed975e88f889f7aed4abc1c97e87c4f43e5e3478c9a4a5853cbd7d");
	assert_string_equal(tc_hex(h.hw_report + SNP_OFF_MEASUREMENT, 48),
	                    "5a71e4ba7e0b83e44c8e853130a65557db0a7782cdb2d906c54b0bf587820280"
	                    "5ab159bfe0cf7d5749aa6f62b7094508");
	assert_string_equal(tc_hex(h.hw_report + SNP_OFF_REPORTED_TCB, 8), "0300000000000873");
	assert_string_equal(tc_hex(h.hw_report + SNP_OFF_POLICY, 8), "1f00030000000000");
	assert_memory_equal(h.hw_report + SNP_OFF_CHIP_ID, "\x3a\x5d\x5b\x1d", 4);
	assert_memory_equal(h.hw_report + SNP_OFF_CHIP_ID + 60, "\x5a\x1a\x77\x5a", 4);

	assert_int_equal(attest_vtpm_runtime_parse(h.runtime, h.runtime_size, &rt, &msg), DCR_OK);
	assert_non_null(rt.ak);
	assert_int_equal(EVP_PKEY_get_bits(rt.ak), 2048);
	assert_int_equal(EVP_PKEY_get_bn_param(rt.ak, "n", &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(rt.ak, "e", &e), 1);
	assert_int_equal(BN_get_word(e), 65537);
	assert_int_equal(BN_bn2binpad(n, nbytes, 256), 256);
	assert_memory_equal(nbytes, "\xb5\x85\x41\xa6", 4); /* "tYVBpg..." */
	assert_false(rt.has_user_data);                     /* this sample has none */
	BN_free(n);
	BN_free(e);
	attest_vtpm_runtime_free(&rt);
}

/* Parses a copy of the real HCL report with byte off changed by x. */
static void expect_hcl_flip(size_t off, uint8_t x, enum dcr_err want, const char *step)
{
	uint8_t *copy = malloc(hcl.size);
	struct vtpm_hcl h;
	struct dcr_msg msg = {{0}};

	assert_non_null(copy);
	memcpy(copy, hcl.data, hcl.size);
	copy[off] ^= x;
	assert_int_equal(attest_vtpm_hcl_parse(copy, hcl.size, &h, &msg), want);
	tu_assert_msg(&msg, step);
	free(copy);
}

static void test_real_hcl_flips(void **state)
{
	struct vtpm_hcl h;
	struct dcr_msg msg = {{0}};

	(void)state;
	expect_hcl_flip(0, 0x01, DCR_ERR_INVALID, "azure-vtpm: step 2 (hcl report): the HCL "
	                "report does not start with \"HCLA\"");
	expect_hcl_flip(4, 0x04, DCR_ERR_INVALID, "step 2 (hcl report): HCL version 5");
	expect_hcl_flip(8, 0x01, DCR_ERR_INVALID, "step 2 (hcl report): inconsistent sizes");
	expect_hcl_flip(0x4C0, 0x01, DCR_ERR_INVALID, "step 2 (hcl report): inconsistent sizes");
	expect_hcl_flip(0x4C0 + 16, 0x01, DCR_ERR_INVALID, "inconsistent sizes");
	expect_hcl_flip(0x4C0 + 8, 0x01, DCR_ERR_INVALID, "step 2 (hcl report): report type 3");
	expect_hcl_flip(0x4C0 + 12, 0x08, DCR_ERR_INVALID, "step 2 (hcl report): hash type 9");
	/* SHA-384 named instead of SHA-256: the binding no longer holds */
	expect_hcl_flip(0x4C0 + 12, 0x03, DCR_ERR_VERIFY, "step 3 (runtime data)");
	/* one byte of the runtime data JSON, or of the SNP report's report data */
	expect_hcl_flip(0x4D4 + 100, 0x01, DCR_ERR_VERIFY,
	                "azure-vtpm: step 3 (runtime data): the hardware report's report data "
	                "1d0a466a");
	expect_hcl_flip(0x20 + SNP_OFF_REPORT_DATA, 0x01, DCR_ERR_VERIFY, "step 3 (runtime data)");
	expect_hcl_flip(0x20 + SNP_OFF_REPORT_DATA + 40, 0x01, DCR_ERR_VERIFY,
	                "step 3 (runtime data)");
	/* the padding after report_size is not part of the report */
	expect_hcl_flip(1900, 0x01, DCR_OK, "");
	assert_int_equal(attest_vtpm_hcl_parse(hcl.data, 0x4D3, &h, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 2 (hcl report): the HCL report is 1235 bytes");
	assert_int_equal(attest_vtpm_hcl_parse(hcl.data, 1818, &h, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "inconsistent sizes");
	assert_int_equal(attest_vtpm_hcl_parse(hcl.data, 1819, &h, &msg), DCR_OK);
}

static void test_real_hcl_inspect(void **state)
{
	struct dcr_attest_verify_opts opts = {.at = AT_2026};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	const struct dcr_attest_measurement *m;
	uint8_t zero[64] = {0};

	(void)state;
	/* not evidence by itself: no backend claims it */
	assert_null(dcr_attest_probe(hcl.data, hcl.size));
	assert_int_equal(dcr_attest_azure_hcl_inspect(hcl.data, hcl.size, &opts, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): no VCEK");
	/* what it says is still there, for display */
	assert_int_equal(c.tee, DCR_TEE_AZURE_VTPM);
	m = dcr_attest_claims_find(&c, "measurement");
	assert_non_null(m);
	assert_string_equal(tc_hex(m->value, 48),
	                    "5a71e4ba7e0b83e44c8e853130a65557db0a7782cdb2d906c54b0bf587820280"
	                    "5ab159bfe0cf7d5749aa6f62b7094508");
	assert_false(c.debug);
	assert_memory_equal(c.report_data, zero, 64);
	assert_string_equal(info(&c, "hcl"),
	                    "version 1, report_size 1819, request_type 2, status 0, SNP report");
	assert_string_equal(info(&c, "binding"), "OK: the hardware report's report data is the "
	                    "SHA-256 of the runtime data");
	assert_string_equal(info(&c, "ak"), "HCLAkPub, RSA-2048");
	assert_string_equal(info(&c, "policy"),
	                    "0x000000000003001f (debug not allowed, SMT allowed, ABI >= 0.31)");
	assert_string_equal(info(&c, "reported_tcb"),
	                    "0x7308000000000003 (bootloader 3, tee 0, snp 8, microcode 115)");
	assert_memory_equal(info(&c, "chip_id"), "3a5d5b1d", 8);

	/* the Milan VCEK is another chip's */
	opts.vcek = milan_vcek.data;
	opts.vcek_size = milan_vcek.size;
	assert_int_equal(dcr_attest_azure_hcl_inspect(hcl.data, hcl.size, &opts, &c, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): snp: step 5 (chip id)");
}

/* ---- the real TPM quote -------------------------------------------------- */

static enum dcr_err quote_check(const uint8_t *att, size_t att_size, const uint8_t *sig,
                                size_t sig_size, EVP_PKEY *ak, const char *extra,
                                const uint8_t *p, struct vtpm_quote *q, struct dcr_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	return attest_vtpm_quote_verify(att, att_size, sig, sig_size, ak, (const uint8_t *)extra,
	                                strlen(extra), p, VTPM_PCRS_SIZE, q, msg);
}

static void test_real_quote(void **state)
{
	struct vtpm_quote q;
	struct dcr_msg msg;
	uint8_t att[256], sig[256], p[VTPM_PCRS_SIZE];

	(void)state;
	assert_int_equal(quote.size, 122);
	assert_int_equal(qsig.size, 256);
	assert_int_equal(pcrs.size, VTPM_PCRS_SIZE);
	memcpy(att, quote.data, quote.size);
	memcpy(sig, qsig.data, qsig.size);
	memcpy(p, pcrs.data, pcrs.size);
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_OK);
	assert_int_equal(q.firmware_version, 0x2020031200120003ull);
	assert_int_equal(q.clock, 3131573);
	assert_int_equal(q.reset_count, 3);
	assert_int_equal(q.restart_count, 0);
	assert_int_equal(q.extra_data_size, 9);
	assert_memory_equal(q.extra_data, "challenge", 9);
	assert_int_equal(q.pcr_hash, 0x000b);
	assert_int_equal(q.pcr_select_size, 3);
	assert_memory_equal(q.pcr_select, "\xff\xff\xff", 3);
	assert_int_equal(q.pcr_digest_size, 32);
	assert_string_equal(tc_hex(q.pcr_digest, 32),
	                    "04fabd988106412e438c1b93ad3b4b046c760f8f99ec557d87adf2ab02b7a4a0");

	/* each step fails on its own bytes */
	sig[0] ^= 1;
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 6 (quote signature)");
	sig[0] ^= 1;
	assert_int_equal(quote_check(att, quote.size, sig, 255, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 6 (quote signature)");
	att[0x2c] ^= 1; /* inside extraData */
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 6 (quote signature)");
	att[0x2c] ^= 1;
	assert_int_equal(quote_check(att, quote.size, sig, 256, test_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 6 (quote signature)");
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challengf", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 7 (quote qualifying data)");
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challeng", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 7 (quote qualifying data)");
	p[32 * 7 + 3] ^= 1;
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 8 (pcrs): the PCR values do not hash");
	p[32 * 7 + 3] ^= 1;
	assert_int_equal(attest_vtpm_quote_verify(att, quote.size, sig, 256, real_ak,
	                                          (const uint8_t *)"challenge", 9, p, 767, &q,
	                                          &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 8 (pcrs)");
	/* format */
	assert_int_equal(quote_check(att, quote.size - 1, sig, 256, real_ak, "challenge", p, &q,
	                             &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "azure-vtpm: step 5 (quote): the TPMS_ATTEST is truncated");
	att[quote.size] = 0;
	assert_int_equal(quote_check(att, quote.size + 1, sig, 256, real_ak, "challenge", p, &q,
	                             &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 5 (quote): bytes follow the TPMS_ATTEST");
	att[0] ^= 1;
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 5 (quote): not a TPM-generated quote (magic 0xfe544347");
	att[0] ^= 1;
	att[0x4e + 3] = 2; /* two PCR banks */
	assert_int_equal(quote_check(att, quote.size, sig, 256, real_ak, "challenge", p, &q, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "exactly one PCR bank");
}

/* ---- containers this test assembles ------------------------------------------ */

static void b64url(char *out, const uint8_t *in, size_t size)
{
	size_t j = 0;
	char *tmp = malloc(DCR_B64_SIZE(size));

	assert_non_null(tmp);
	dcr_b64_encode(tmp, in, size);
	for (size_t i = 0; tmp[i] && tmp[i] != '='; i++)
		out[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : tmp[i];
	out[j] = '\0';
	free(tmp);
}

/* The runtime data JSON with ak as HCLAkPub and user_data (NULL: none). */
static void runtime_json(struct dcr_buf *out, EVP_PKEY *ak, const uint8_t *user_data)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[512], eb[8];
	char n64[1024], e64[16], ud[129];
	int nsize, esize;

	assert_int_equal(EVP_PKEY_get_bn_param(ak, "n", &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(ak, "e", &e), 1);
	nsize = BN_bn2bin(n, nb);
	esize = BN_bn2bin(e, eb);
	b64url(n64, nb, (size_t)nsize);
	b64url(e64, eb, (size_t)esize);
	dcr_buf_init(out, 1 << 16);
	assert_int_equal(dcr_buf_printf(out, "{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":"
	                                "[\"sign\"],\"kty\":\"RSA\",\"e\":\"%s\",\"n\":\"%s\"}],"
	                                "\"vm-configuration\":{\"secure-boot\":true}",
	                                e64, n64), DCR_OK);
	if (user_data) {
		dcr_hex_encode(ud, user_data, 64);
		for (int i = 0; ud[i]; i++) /* Azure writes it in upper case */
			if (ud[i] >= 'a' && ud[i] <= 'f')
				ud[i] = (char)(ud[i] - 'a' + 'A');
		assert_int_equal(dcr_buf_printf(out, ",\"user-data\":\"%s\"", ud), DCR_OK);
	}
	assert_int_equal(dcr_buf_printf(out, "}"), DCR_OK);
	BN_free(n);
	BN_free(e);
}

/* An HCL report: the real header, the hardware report hw (SNP: 1184 bytes,
 * or a TDREPORT when tdx) with its report data set to SHA-256(json), then
 * IgvmRequestData and json. When key is set the SNP report is re-signed. */
static void make_hcl(struct dcr_buf *out, const uint8_t *hw, bool tdx, const struct dcr_buf *json,
                     EVP_PKEY *key)
{
	uint8_t head[HCL_OFF_VAR_DATA] = {0};
	uint8_t *rep = head + HCL_OFF_HW_REPORT;

	memcpy(head, hcl.data, HCL_HEADER_SIZE);
	memcpy(rep, hw, tdx ? TDREPORT_SIZE : SNP_REPORT_SIZE);
	memset(rep + (tdx ? TDREPORT_OFF_REPORT_DATA : SNP_OFF_REPORT_DATA), 0, 64);
	dcr_sha256(json->data, json->size,
	           rep + (tdx ? TDREPORT_OFF_REPORT_DATA : SNP_OFF_REPORT_DATA));
	if (key)
		tc_sign_report(rep, key);
	tc_put_le32(head + 8, (uint32_t)(HCL_OFF_IGVM + HCL_IGVM_SIZE + json->size));
	tc_put_le32(head + HCL_OFF_IGVM, (uint32_t)(HCL_IGVM_SIZE + json->size));
	tc_put_le32(head + HCL_OFF_IGVM + 4, 1);
	tc_put_le32(head + HCL_OFF_IGVM + 8, tdx ? HCL_REPORT_TDX : HCL_REPORT_SNP);
	tc_put_le32(head + HCL_OFF_IGVM + 12, 1);
	tc_put_le32(head + HCL_OFF_IGVM + 16, (uint32_t)json->size);
	dcr_buf_init(out, 1 << 16);
	assert_int_equal(dcr_buf_append(out, head, sizeof(head)), DCR_OK);
	assert_int_equal(dcr_buf_append(out, json->data, json->size), DCR_OK);
	/* NV index padding, as on Azure */
	assert_int_equal(dcr_buf_append(out, "\0\0\0\0\0\0\0", 7), DCR_OK);
}

/* A TPMS_ATTEST quoting the SHA-256 PCRs 0..23 p with extraData extra. */
static void make_quote(struct dcr_buf *out, const uint8_t extra[32], const uint8_t *p)
{
	uint8_t digest[32];

	dcr_sha256(p, VTPM_PCRS_SIZE, digest);
	dcr_buf_init(out, 1 << 12);
	/* magic, type, then the real quote's qualifiedSigner (2 + 34 bytes) */
	assert_int_equal(dcr_buf_append(out, quote.data, 6 + 2 + 34), DCR_OK);
	assert_int_equal(dcr_buf_append(out, "\x00\x20", 2), DCR_OK);
	assert_int_equal(dcr_buf_append(out, extra, 32), DCR_OK);
	/* clock 1000, reset 1, restart 2, safe 1, firmware 0x0102030405060708 */
	assert_int_equal(dcr_buf_append(out, "\0\0\0\0\0\0\x03\xe8" "\0\0\0\x01" "\0\0\0\x02"
	                                "\x01" "\x01\x02\x03\x04\x05\x06\x07\x08", 25), DCR_OK);
	assert_int_equal(dcr_buf_append(out, "\0\0\0\x01" "\x00\x0b" "\x03" "\xff\xff\xff"
	                                "\x00\x20", 12), DCR_OK);
	assert_int_equal(dcr_buf_append(out, digest, 32), DCR_OK);
}

static void make_sig(struct dcr_buf *out, EVP_PKEY *ak, const struct dcr_buf *att)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t sig[512];
	size_t size = sizeof(sig);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ak), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &size, att->data, att->size), 1);
	EVP_MD_CTX_free(ctx);
	dcr_buf_init(out, 1 << 12);
	assert_int_equal(dcr_buf_append(out, sig, size), DCR_OK);
}

static void add_section(struct dcr_buf *c, const uint8_t *data, size_t size)
{
	uint8_t len[4];

	tc_put_le32(len, (uint32_t)size);
	assert_int_equal(dcr_buf_append(c, len, 4), DCR_OK);
	if (size)
		assert_int_equal(dcr_buf_append(c, data, size), DCR_OK);
}

/* The parts of a container, each changeable before assembly. */
struct parts {
	struct dcr_buf json, hcl, quote, sig;
	uint8_t user_data[64];
	uint8_t pcrs[VTPM_PCRS_SIZE];
	const uint8_t *vcek;
	size_t vcek_size;
};

/* Parts around hardware report hw (re-signed with key when set), whose
 * runtime data names ak and carries user data 0x5a..., a quote by ak over the
 * real PCR values, and vcek as section 5. */
static void parts_make(struct parts *pt, const uint8_t *hw, bool tdx, EVP_PKEY *key,
                       EVP_PKEY *ak, const uint8_t *vcek, size_t vcek_size)
{
	uint8_t nonce[32];

	memset(pt, 0, sizeof(*pt));
	memset(pt->user_data, 0x5a, 64);
	pt->user_data[0] = 0xa5;
	memcpy(pt->pcrs, pcrs.data, VTPM_PCRS_SIZE);
	runtime_json(&pt->json, ak, pt->user_data);
	make_hcl(&pt->hcl, hw, tdx, &pt->json, key);
	dcr_sha256(pt->user_data, 64, nonce);
	make_quote(&pt->quote, nonce, pt->pcrs);
	make_sig(&pt->sig, ak, &pt->quote);
	pt->vcek = vcek;
	pt->vcek_size = vcek_size;
}

static void parts_free(struct parts *pt)
{
	dcr_buf_free(&pt->json);
	dcr_buf_free(&pt->hcl);
	dcr_buf_free(&pt->quote);
	dcr_buf_free(&pt->sig);
}

static void container(struct dcr_buf *c, const struct parts *pt)
{
	dcr_buf_init(c, 1 << 20);
	assert_int_equal(dcr_buf_append(c, VTPM_MAGIC, VTPM_MAGIC_SIZE), DCR_OK);
	add_section(c, pt->hcl.data, pt->hcl.size);
	add_section(c, pt->quote.data, pt->quote.size);
	add_section(c, pt->sig.data, pt->sig.size);
	add_section(c, pt->pcrs, VTPM_PCRS_SIZE);
	add_section(c, pt->vcek, pt->vcek_size);
}

/* Verifies the container made from pt against products (NULL: built-in). */
static enum dcr_err check(const struct parts *pt, const struct snp_product *products,
                          int64_t at, struct dcr_attest_claims *c, struct dcr_msg *msg)
{
	const struct dcr_attest_verify_opts opts = {.at = at};
	struct dcr_buf ev;
	enum dcr_err err;

	container(&ev, pt);
	memset(msg, 0, sizeof(*msg));
	err = attest_vtpm_verify_with(ev.data, ev.size, &opts, products, c, msg);
	dcr_buf_free(&ev);
	return err;
}

/* The real Milan report, bound to our runtime data: everything up to the
 * SNP signature checks (steps 1-8, and the real VCEK's chain, chip id and
 * TCB in step 9), then the report's signature fails, as it must: changing
 * its report data breaks AMD's signature, and we cannot re-sign it. */
static void test_container_real_snp_report(void **state)
{
	const struct dcr_attest_ops *vtpm = dcr_attest_find(DCR_TEE_AZURE_VTPM);
	const struct dcr_attest_verify_opts opts = {.at = AT_2026};
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct dcr_buf ev;
	struct parts pt;

	(void)state;
	parts_make(&pt, milan_report.data, false, NULL, test_ak, milan_vcek.data, milan_vcek.size);
	container(&ev, &pt);
	assert_ptr_equal(dcr_attest_probe(ev.data, ev.size), vtpm);
	assert_int_equal(vtpm->verify(ev.data, ev.size, &opts, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): snp: step 6 (signature)");
	assert_int_equal(c.measurement_count, 0);
	dcr_buf_free(&ev);

	/* without a VCEK in section 5: not verified, naming the VCEK */
	pt.vcek_size = 0;
	assert_int_equal(check(&pt, NULL, AT_2026, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): no VCEK");
	/* a VCEK given by the verifier is used instead */
	container(&ev, &pt);
	{
		const struct dcr_attest_verify_opts o2 = {.at = AT_2026, .vcek = (const uint8_t *)"x",
		                                          .vcek_size = 1};

		assert_int_equal(vtpm->verify(ev.data, ev.size, &o2, &c, &msg), DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "step 9 (hardware report): snp: step 3 (vcek)");
	}
	dcr_buf_free(&ev);
	parts_free(&pt);
}

/* The whole chain with a synthetic AMD chain (test anchors via
 * attest_vtpm_verify_with): the claims, then each step failing. */
static void test_container_synthetic_chain(void **state)
{
	static const uint8_t tcb[8] = {2, 0, 0, 0, 0, 0, 5, 68};
	uint8_t rep[SNP_REPORT_SIZE] = {0}, chip[64];
	struct tc_chain chain;
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	struct parts pt;
	struct dcr_buf ev;
	const struct dcr_attest_measurement *m;

	(void)state;
	for (int i = 0; i < 64; i++)
		chip[i] = (uint8_t)i;
	tc_chain_make(&chain, chip, tcb);
	tc_put_le32(rep + SNP_OFF_VERSION, 2);
	tc_put_le32(rep + SNP_OFF_POLICY, 0x3001f);
	tc_put_le32(rep + SNP_OFF_SIG_ALGO, 1);
	memset(rep + SNP_OFF_MEASUREMENT, 0x77, 48);
	memcpy(rep + SNP_OFF_REPORTED_TCB, tcb, 8);
	memcpy(rep + SNP_OFF_CHIP_ID, chip, 64);
	parts_make(&pt, rep, false, chain.vcek_key, test_ak, chain.vcek_der, chain.vcek_der_size);

	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_OK);
	assert_int_equal(c.tee, DCR_TEE_AZURE_VTPM);
	assert_memory_equal(c.report_data, pt.user_data, 64);
	assert_false(c.debug);
	assert_int_equal(c.measurement_count, 25);
	m = dcr_attest_claims_find(&c, "measurement");
	assert_non_null(m);
	assert_int_equal(m->size, 48);
	assert_memory_equal(m->value, rep + SNP_OFF_MEASUREMENT, 48);
	for (int i = 0; i < 24; i++) {
		char name[16];
		const char *want = NULL;

		snprintf(name, sizeof(name), "pcr%d", i);
		m = dcr_attest_claims_find(&c, name);
		assert_non_null(m);
		assert_int_equal(m->size, 32);
		assert_memory_equal(m->value, pcrs.data + 32 * i, 32);
		/* the names are dcr_tee_field's, so contracts can pin them */
		assert_int_equal(dcr_tee_field(DCR_TEE_AZURE_VTPM, name, &want), 32);
		assert_ptr_equal(m->name, want);
	}
	assert_string_equal(tc_hex(dcr_attest_claims_find(&c, "pcr0")->value, 32),
	                    "f3a7e99a5f819a034386bce753a48a73cfdaa0bea0ecfc124bedbf5a8c4799be");
	assert_string_equal(info(&c, "tpm_quote"), "AK RSA-2048, firmware 0x0102030405060708, "
	                    "clock 1000, reset count 1, restart count 2");
	assert_string_equal(info(&c, "product"), "Milan (VCEK Milan-B0)");
	assert_string_equal(info(&c, "vcek"), "from the container");
	assert_string_equal(info(&c, "policy"),
	                    "0x000000000003001f (debug not allowed, SMT allowed, ABI >= 0.31)");
	/* the built-in AMD anchors refuse the synthetic chain */
	assert_int_equal(check(&pt, NULL, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): snp: step 4 (vcek chain)");

	/* step 1: trailing, truncated, bad magic */
	container(&ev, &pt);
	assert_int_equal(dcr_buf_append(&ev, "x", 1), DCR_OK);
	assert_int_equal(attest_vtpm_verify_with(ev.data, ev.size, NULL, chain.products, &c, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "azure-vtpm: step 1 (format): 1 bytes follow section 5");
	assert_int_equal(attest_vtpm_verify_with(ev.data, ev.size - 2, NULL, chain.products, &c,
	                                         &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "azure-vtpm: step 1 (format): section 5 claims");
	assert_int_equal(attest_vtpm_verify_with(ev.data, 20, NULL, chain.products, &c, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 1 (format)");
	ev.data[7] = '2';
	assert_int_equal(attest_vtpm_verify_with(ev.data, ev.size - 1, NULL, chain.products, &c,
	                                         &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 1 (format): the evidence does not start with \"DCRVTPM1\"");
	dcr_buf_free(&ev);

	/* step 3: the runtime data changed after the report bound it */
	pt.hcl.data[HCL_OFF_VAR_DATA + 20] ^= 1;
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 3 (runtime data)");
	pt.hcl.data[HCL_OFF_VAR_DATA + 20] ^= 1;

	/* step 6: a flipped signature; a quote by another AK */
	pt.sig.data[10] ^= 1;
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 6 (quote signature)");
	pt.sig.data[10] ^= 1;
	dcr_buf_free(&pt.sig);
	make_sig(&pt.sig, chain.ask_key, &pt.quote);
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 6 (quote signature)");
	dcr_buf_free(&pt.sig);

	/* step 7: a properly signed quote for other report data */
	{
		uint8_t other[64], nonce[32];

		memset(other, 0x5a, 64);
		dcr_sha256(other, 64, nonce);
		dcr_buf_free(&pt.quote);
		make_quote(&pt.quote, nonce, pt.pcrs);
		make_sig(&pt.sig, test_ak, &pt.quote);
		assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "azure-vtpm: step 7 (quote qualifying data)");
		dcr_sha256(pt.user_data, 64, nonce);
		dcr_buf_free(&pt.quote);
		dcr_buf_free(&pt.sig);
		make_quote(&pt.quote, nonce, pt.pcrs);
		make_sig(&pt.sig, test_ak, &pt.quote);
	}
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_OK);

	/* step 8: a PCR value that is not what the TPM quoted */
	pt.pcrs[32 * 23] ^= 1;
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 8 (pcrs)");
	pt.pcrs[32 * 23] ^= 1;

	/* step 9: a byte of the SNP report (its measurement); an expired chain */
	pt.hcl.data[HCL_OFF_HW_REPORT + SNP_OFF_MEASUREMENT] ^= 1;
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): snp: step 6 (signature)");
	pt.hcl.data[HCL_OFF_HW_REPORT + SNP_OFF_MEASUREMENT] ^= 1;
	assert_int_equal(check(&pt, chain.products, 1900000000, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 9 (hardware report): snp: step 4 (vcek chain): the VCEK has "
	                    "expired");
	parts_free(&pt);

	/* step 4: runtime data without user-data */
	parts_make(&pt, rep, false, chain.vcek_key, test_ak, chain.vcek_der, chain.vcek_der_size);
	dcr_buf_free(&pt.hcl);
	dcr_buf_free(&pt.json);
	runtime_json(&pt.json, test_ak, NULL);
	make_hcl(&pt.hcl, rep, false, &pt.json, chain.vcek_key);
	assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "azure-vtpm: step 4 (runtime data): the runtime data has no "
	                    "\"user-data\"");
	parts_free(&pt);

	/* a TDX TDREPORT: parsed and bound, never verified here */
	{
		uint8_t td[TDREPORT_SIZE] = {0};

		memset(td + TDREPORT_OFF_MRTD, 0x33, 48);
		parts_make(&pt, td, true, NULL, test_ak, NULL, 0);
		assert_int_equal(check(&pt, chain.products, AT_2023, &c, &msg), DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "azure-vtpm: step 9 (hardware report): the HCL report holds a "
		                    "TDX TDREPORT");
		tu_assert_msg(&msg, "NOT verified");
		/* inspection shows its fields */
		assert_int_equal(dcr_attest_azure_hcl_inspect(pt.hcl.data, pt.hcl.size, NULL, &c,
		                                              &msg), DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "TDX TDREPORT");
		assert_string_equal(info(&c, "tdx_mrtd"), tc_hex(td + TDREPORT_OFF_MRTD, 48));
		assert_memory_equal(c.report_data, pt.user_data, 64);
		parts_free(&pt);
	}

	/* inspection of the synthetic SNP HCL report verifies only with test anchors
	 * (the public function uses the built-in ones): it says which step fails */
	parts_make(&pt, rep, false, chain.vcek_key, test_ak, chain.vcek_der, chain.vcek_der_size);
	{
		const struct dcr_attest_verify_opts o = {.at = AT_2023, .vcek = chain.vcek_der,
		                                         .vcek_size = chain.vcek_der_size};

		assert_int_equal(dcr_attest_azure_hcl_inspect(pt.hcl.data, pt.hcl.size, &o, &c, &msg),
		                 DCR_ERR_VERIFY);
		tu_assert_msg(&msg, "snp: step 4 (vcek chain)");
		assert_string_equal(info(&c, "user_data"), "present (the report data)");
		assert_memory_equal(c.report_data, pt.user_data, 64);
	}
	parts_free(&pt);
	tc_chain_free(&chain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_hcl),
		cmocka_unit_test(test_real_hcl_flips),
		cmocka_unit_test(test_real_hcl_inspect),
		cmocka_unit_test(test_real_quote),
		cmocka_unit_test(test_container_real_snp_report),
		cmocka_unit_test(test_container_synthetic_chain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
