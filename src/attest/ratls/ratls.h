/* SPDX-License-Identifier: Apache-2.0 */
/* RA-TLS certificates (Gramine's legacy extension, TCG DICE / interoperable
 * RA-TLS): the minimal bounded CBOR reader for the DICE extension, internal
 * to src/attest. Docs: docs/ATTESTATION.md "RA-TLS certificates". */
#ifndef DCR_ATTEST_RATLS_H
#define DCR_ATTEST_RATLS_H

#include "../attest_int.h"

#define RATLS_DICE_TAG 60000u
#define RATLS_CBOR_MAX_DEPTH 16
#define RATLS_HASH_MAX 64

/* The DICE extension's value: CBOR tag 60000 around [bstr quote, bstr
 * claims], nothing after. On success the pointers point into value.
 * false when the bytes are not exactly that. */
bool ratls_dice_split(const uint8_t *value, size_t size, const uint8_t **out_quote,
                      size_t *out_quote_size, const uint8_t **out_claims,
                      size_t *out_claims_size);

/* The claims map's "pubkey-hash": a bstr holding CBOR [uint alg, bstr hash]
 * (alg 1 = SHA-256, 7 = SHA-384, 8 = SHA-512, the hash of that size). Other
 * keys are skipped (nested at most RATLS_CBOR_MAX_DEPTH deep); a repeated
 * "pubkey-hash" is refused. false when absent or malformed. */
bool ratls_claims_pubkey_hash(const uint8_t *claims, size_t size, int *out_alg,
                              const uint8_t **out_hash, size_t *out_hash_size);

#endif
