/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes RA-TLS certificate verification and its CBOR reader: arbitrary
 * bytes as a certificate (PEM or DER), as the DICE extension's value and as
 * its claims map. Nothing may crash, leak or read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/ratls/ratls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	const struct dcr_attest_verify_opts opts = {.at = 1770076800}; /* 2026-02-03 */
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	const uint8_t *q, *c, *h;
	size_t qs, cs, hs;
	unsigned exts;
	uint8_t *copy;
	int alg;

	if (!ready) {
		if (dcr_crypto_init() != DCR_OK)
			abort();
		dcr_log_set_level(DCR_LOG_ERROR);
		ready = true;
	}
	/* an exact-size heap copy, so that ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	if (size)
		memcpy(copy, data, size);
	if (ratls_dice_split(copy, size, &q, &qs, &c, &cs)) {
		if (q < copy || q + qs > copy + size || c < copy || c + cs > copy + size)
			abort();
		if (ratls_claims_pubkey_hash(c, cs, &alg, &h, &hs) && (h < c || h + hs > c + cs))
			abort();
	}
	if (ratls_claims_pubkey_hash(copy, size, &alg, &h, &hs) &&
	    (hs != 32 && hs != 48 && hs != 64))
		abort();
	if (dcr_attest_verify_ratls(copy, size, &opts, &claims, &exts, &msg) == DCR_OK) {
		if (!exts || (claims.tee != DCR_TEE_SGX && claims.tee != DCR_TEE_TDX))
			abort();
	} else if (!msg.text[0] || exts) {
		abort();
	}
	free(copy);
	return 0;
}
