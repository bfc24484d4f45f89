/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the contract parser. Whatever parses must also
 * survive the canonical form, write back, read back with the same hash and
 * signatures, and go through verification; when the fuzzer's key (seeds
 * 0x01../0x65.., as in the seed corpus) is a party's, signing must work too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/contract.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z: fixed, so runs repeat */

static void check_round_trip(const struct dcr_contract *c)
{
	struct dcr_contract *again = NULL;
	struct dcr_msg msg;
	struct dcr_buf out;

	if (dcr_contract_serialize(c, &out) != DCR_OK)
		return; /* only DCR_ERR_TOO_BIG: indentation can outgrow the limit */
	if (dcr_contract_parse((const char *)out.data, out.size, NOW, DCR_CONTRACT_ALLOW_EXPIRED,
	                       &again, &msg) != DCR_OK)
		abort(); /* what we write we must read */
	if (memcmp(again->hash, c->hash, sizeof(c->hash)) != 0)
		abort(); /* writing back changed the contract's meaning */
	if (again->party_count != c->party_count)
		abort();
	for (size_t i = 0; i < c->party_count; i++)
		if (again->parties[i].has_signature != c->parties[i].has_signature ||
		    memcmp(again->parties[i].signature, c->parties[i].signature,
		           sizeof(c->parties[i].signature)) != 0)
			abort();
	dcr_contract_free(again);
	dcr_buf_free(&out);
}

/* Made once; still reachable at exit, so not a leak. */
static struct dcr_seckey *fuzz_key(void)
{
	static struct dcr_seckey *key;
	uint8_t sign_seed[32], box_seed[32];

	if (!key) {
		memset(sign_seed, 1, sizeof(sign_seed));
		memset(box_seed, 101, sizeof(box_seed));
		if (dcr_crypto_init() != DCR_OK ||
		    dcr_seckey_from_seeds(sign_seed, box_seed, &key) != DCR_OK)
			abort();
	}
	return key;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dcr_seckey *key = fuzz_key();
	const struct dcr_party *p = NULL;
	struct dcr_contract *c = NULL;
	struct dcr_msg msg;
	struct dcr_buf canon;
	uint8_t hash[DCR_CONTRACT_HASH_SIZE];

	if (dcr_contract_parse((const char *)data, size, NOW, DCR_CONTRACT_ALLOW_EXPIRED, &c,
	                       &msg) != DCR_OK)
		return 0;
	if (dcr_contract_canonical(c, &canon) != DCR_OK)
		abort(); /* parse made one already */
	dcr_sha256(canon.data, canon.size, hash);
	if (memcmp(hash, c->hash, sizeof(hash)) != 0)
		abort();
	dcr_buf_free(&canon);
	check_round_trip(c);
	if (dcr_contract_verify(c, &msg) == DCR_OK)
		for (size_t i = 0; i < c->party_count; i++)
			if (!c->parties[i].has_signature)
				abort(); /* "valid" with a signature missing */
	if (dcr_contract_sign(c, key, &p, &msg) == DCR_OK) {
		if (dcr_contract_verify_party(c, p, &msg) != DCR_OK)
			abort();
		check_round_trip(c);
	}
	dcr_contract_free(c);
	return 0;
}
