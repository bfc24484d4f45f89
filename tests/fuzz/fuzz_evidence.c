/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes every registered verifier: probing and verifying arbitrary bytes
 * must never crash, leak or read outside the input; claims are appraised.
 * Also the inspection of a bare Azure HCL report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const struct dcr_attest_verify_opts opts = {.at = 1751328000}; /* 2025-07-01 */

	if (!ready) {
		if (dcr_crypto_init() != DCR_OK)
			abort();
		/* a verified seed logs a warning on every run otherwise */
		dcr_log_set_level(DCR_LOG_ERROR);
		ready = true;
	}
	(void)dcr_attest_probe(data, size);
	{
		/* the bare Azure HCL report inspection (verify-evidence --tee azure-vtpm) */
		struct dcr_attest_claims claims;
		struct dcr_msg msg = {{0}};
		uint8_t *copy = malloc(size ? size : 1);

		if (!copy)
			abort();
		if (size)
			memcpy(copy, data, size);
		if (dcr_attest_azure_hcl_inspect(copy, size, &opts, &claims, &msg) != DCR_OK &&
		    !msg.text[0])
			abort();
		if (claims.measurement_count > DCR_ATTEST_MAX_MEASUREMENTS ||
		    claims.info_count > DCR_ATTEST_MAX_INFO)
			abort();
		free(copy);
	}
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		const struct dcr_attest_ops *ops = dcr_attest_find((enum dcr_tee)i);
		struct dcr_attest_claims claims;
		struct dcr_msg msg = {{0}};
		uint8_t *copy;

		if (!ops || !ops->verify)
			continue;
		if (ops->probe)
			(void)ops->probe(data, size);
		/* an exact-size heap copy, so that ASan sees any read past the end */
		copy = malloc(size ? size : 1);
		if (!copy)
			abort();
		if (size)
			memcpy(copy, data, size);
		if (ops->verify(copy, size, &opts, &claims, &msg) == DCR_OK) {
			struct dcr_attest_policy policy = {
				.accept = ~0u,
				.report_data = claims.report_data,
			};

			if (claims.tee != ops->tee ||
			    claims.measurement_count > DCR_ATTEST_MAX_MEASUREMENTS)
				abort();
			if (dcr_attest_appraise(&claims, &policy, &msg) != DCR_OK && !claims.debug)
				abort();
		} else if (!msg.text[0]) {
			abort(); /* every failure must say why */
		}
		free(copy);
	}
	return 0;
}
