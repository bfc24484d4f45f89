/* SPDX-License-Identifier: Apache-2.0 */
/* crypto module internals: the secret key layout and the test-only hook. */
#ifndef DCR_CRYPTO_INT_H
#define DCR_CRYPTO_INT_H

#include <sodium.h>

#include "dcr/crypto.h"

/* Always allocated with sodium_malloc; sodium_free wipes it. */
struct dcr_seckey {
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
	uint8_t box_sk[crypto_box_SECRETKEYBYTES];
	struct dcr_pubkey pub;
};

/* TEST ONLY: makes every random byte libsodium and dcr draw from here on a
 * deterministic function of seed, so that known-answer tests can fix keys,
 * nonces and data keys. Call before dcr_crypto_init(); never in the binary. */
void dcr_crypto_test_seed(const uint8_t seed[static 32]);

#endif
