/* SPDX-License-Identifier: Apache-2.0 */
/* Every real evidence file of ../shared/testdata verifies, and every change
 * to what its signatures cover is refused: a single-bit flip in each byte
 * of the signed and structural region (the bit rotating with the offset),
 * and truncation at many lengths — a verification error, never DCR_OK,
 * never a crash. (The certificate chains' PEM text is flipped by the
 * per-verifier tests; here the quote, report and key structures are.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "dcr/attest.h"

#define T_2025_07_01 1751328000
#define T_2026_02_03 1770076800
#define T_2026_11_25 1795564800

struct sample {
	const char *file;
	enum dcr_tee tee;
	int64_t at;
	size_t region;       /* bytes [0, region) are flipped */
	const char *vcek;    /* SNP: the VCEK file */
};

/* The regions: DCAP header and body, the signature data length, the
 * attestation key's signature and key, the QE report, its signature and
 * the QE auth data (and for TDX the certification data header); the whole
 * SNP report up to the end of its signature. */
static const struct sample samples[] = {
	{"sgx_quote_v3_dcapqvl.dat", DCR_TEE_SGX, T_2025_07_01, 436 + 64 + 64 + 384 + 64 + 2 + 32, NULL},
	{"tdx_quote_v4_spr_e4.dat", DCR_TEE_TDX, T_2025_07_01, 636 + 64 + 64 + 6 + 384 + 64 + 34, NULL},
	{"tdx_quote_v5_sample.dat", DCR_TEE_TDX, T_2026_02_03, 706 + 64 + 64 + 6 + 384 + 64 + 34, NULL},
	{"snp_report_milan.bin", DCR_TEE_SNP, T_2026_11_25, 0x330, "snp_vcek_milan.der"},
};

static bool load(const char *name, struct dcr_buf *out)
{
	const char *dir = getenv("DCR_TESTDATA");
	struct dcr_msg msg = {{0}};

	if (!dir)
		fail_msg("DCR_TESTDATA is not set");
	return dcr_file_read(tu_path(dir, name), 4u << 20, out, &msg) == DCR_OK;
}

static enum dcr_err verify(const struct dcr_attest_ops *ops, const uint8_t *ev, size_t size,
                           const struct dcr_attest_verify_opts *o)
{
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes: ASan sees overreads */
	enum dcr_err err;

	assert_non_null(copy);
	memcpy(copy, ev, size);
	err = ops->verify(copy, size, o, &claims, &msg);
	if (err == DCR_OK)
		assert_true(claims.tee == ops->tee);
	else
		assert_true(msg.text[0] != '\0'); /* a refusal says why */
	free(copy);
	return err;
}

static void test_mutations(void **state)
{
	(void)state;
	dcr_log_set_level(DCR_LOG_ERROR);
	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		const struct sample *sm = &samples[s];
		const struct dcr_attest_ops *ops = dcr_attest_find(sm->tee);
		struct dcr_attest_verify_opts o = {.at = sm->at};
		struct dcr_buf ev, vcek;
		size_t flips = 0, cuts = 0, step;

		dcr_buf_init(&ev, 4u << 20);
		dcr_buf_init(&vcek, 1u << 20);
		assert_non_null(ops);
		assert_true(load(sm->file, &ev));
		if (sm->vcek) {
			assert_true(load(sm->vcek, &vcek));
			o.vcek = vcek.data;
			o.vcek_size = vcek.size;
		}
		assert_true(sm->region <= ev.size);
		if (verify(ops, ev.data, ev.size, &o) != DCR_OK)
			fail_msg("%s does not verify unchanged", sm->file);
		for (size_t i = 0; i < sm->region; i++) {
			enum dcr_err err;

			ev.data[i] ^= (uint8_t)(1u << (i % 8));
			err = verify(ops, ev.data, ev.size, &o);
			ev.data[i] ^= (uint8_t)(1u << (i % 8));
			if (err == DCR_OK)
				fail_msg("%s: a flipped bit %zu of byte %zu still verifies", sm->file, i % 8, i);
			flips++;
		}
		/* truncations: every length near the structure's edges, a spread between */
		step = ev.size / 400 ? ev.size / 400 : 1;
		for (size_t len = 0; len < ev.size; len += (len < 64 || len + 64 > sm->region) &&
		                                              len < sm->region + 64 ? 1 : step) {
			if (verify(ops, ev.data, len, &o) == DCR_OK && len < sm->region)
				fail_msg("%s cut to %zu bytes still verifies", sm->file, len);
			cuts++;
		}
		print_message("%s: %zu bit flips and %zu truncations refused\n", sm->file, flips, cuts);
		assert_true(flips >= 800);
		dcr_buf_free(&ev);
		dcr_buf_free(&vcek);
	}
}

/* The RA-TLS certificates: the Gramine one verifies (in 2026, when its PCK
 * is valid) and a flip in every 4th byte of its DER is refused; the
 * rats-tls one is refused for its age. */
static void test_ratls_mutations(void **state)
{
	struct dcr_attest_verify_opts o = {.at = T_2026_11_25};
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	struct dcr_buf pem;
	unsigned exts;
	size_t flips = 0;

	(void)state;
	dcr_log_set_level(DCR_LOG_ERROR);
	dcr_buf_init(&pem, 1u << 20);
	assert_true(load("ratls_gramine_sgx_cert.pem", &pem));
	assert_int_equal(dcr_attest_verify_ratls(pem.data, pem.size, &o, &claims, &exts, &msg),
	                 DCR_OK);
	/* the PEM's base64 body: each changed character changes the DER */
	for (size_t i = 28; i + 26 < pem.size; i += 4) {
		uint8_t c = pem.data[i];

		if (c == '\n' || c == '=')
			continue;
		pem.data[i] = c == 'A' ? 'B' : 'A';
		if (dcr_attest_verify_ratls(pem.data, pem.size, &o, &claims, &exts, &msg) == DCR_OK)
			fail_msg("ratls: a change at byte %zu still verifies", i);
		pem.data[i] = c;
		flips++;
	}
	print_message("ratls_gramine_sgx_cert.pem: %zu changes refused\n", flips);
	assert_true(flips > 1000);
	dcr_buf_free(&pem);
	dcr_buf_init(&pem, 1u << 20);
	assert_true(load("ratls_rats_tls_cert_expired.pem", &pem));
	assert_int_equal(dcr_attest_verify_ratls(pem.data, pem.size, &o, &claims, &exts, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "expired");
	dcr_buf_free(&pem);
}

/* opts.parsed shows how far a refused file got, and nothing else changes:
 * the claims of a failed verification stay empty, and appraisal of them
 * refuses. */
static void test_parsed_is_display_only(void **state)
{
	struct dcr_buf ev;
	struct dcr_attest_claims claims, parsed;
	struct dcr_attest_verify_opts o = {.at = 1735689600, .parsed = &parsed}; /* 2025-01-01 */
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_TDX)};
	struct dcr_msg msg = {{0}};
	const struct dcr_attest_claims zero = {0};

	(void)state;
	dcr_buf_init(&ev, 4u << 20);
	assert_true(load("tdx_quote_v5_sample.dat", &ev));
	/* its PCK is not valid yet on 2025-01-01: step 5 fails */
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->verify(ev.data, ev.size, &o, &claims, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 5");
	assert_memory_equal(&claims, &zero, sizeof(claims));
	assert_int_equal(parsed.tee, DCR_TEE_TDX);
	assert_non_null(dcr_attest_claims_find(&parsed, "mrtd"));
	assert_int_equal(parsed.measurements[0].value[0], 0x73); /* MRTD 7348... */
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_ERR_VERIFY);
	dcr_buf_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_ratls_mutations),
		cmocka_unit_test(test_parsed_is_display_only),
	};

	if (dcr_crypto_init() != DCR_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
