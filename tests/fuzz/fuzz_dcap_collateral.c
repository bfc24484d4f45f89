/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes the DCAP collateral readers: the TCB level evaluation on arbitrary
 * TCB info JSON (reached in the verifier only after Intel's signature), and,
 * when DCR_TESTDATA names the shared test data, the real SGX sample quote
 * verified with arbitrary bytes as its collateral. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/dcap/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dcr_buf quote;
static bool have_quote;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct dcap_pck_info pck = {.comp_svn = {11, 11, 2, 2, 255, 1}, .pcesvn = 13};
	uint8_t tee_tcb_svn[16] = {3, 0, 4};
	struct dcap_tcb_result r;
	struct dcr_msg msg = {{0}};
	char *copy;

	if (!ready) {
		const char *dir = getenv("DCR_TESTDATA");
		char path[4096];

		if (dcr_crypto_init() != DCR_OK)
			abort();
		dcr_log_set_level(DCR_LOG_ERROR);
		if (dir) {
			snprintf(path, sizeof(path), "%s/sgx_quote_v3_dcapqvl.dat", dir);
			have_quote = dcr_file_read(path, 1u << 20, &quote, &msg) == DCR_OK;
		}
		ready = true;
	}
	/* an exact-size heap copy, so that ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	if (dcap_tcb_level(copy, size, &pck, NULL, &r, &msg) == DCR_OK &&
	    (!r.status[0] || r.advisory_count > DCR_ATTEST_MAX_ADVISORIES))
		abort();
	if (dcap_tcb_level(copy, size, &pck, tee_tcb_svn, &r, &msg) == DCR_OK && !r.status[0])
		abort();
	if (have_quote) {
		const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
		struct dcr_attest_verify_opts opts = {
			.at = 1751328000, /* 2025-07-01 */
			.collateral = (const uint8_t *)copy,
			.collateral_size = size,
		};
		struct dcr_attest_claims claims;

		msg.text[0] = '\0';
		if (sgx->verify(quote.data, quote.size, &opts, &claims, &msg) != DCR_OK &&
		    !msg.text[0])
			abort(); /* every failure must say why */
	}
	free(copy);
	return 0;
}
