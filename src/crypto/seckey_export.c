/* SPDX-License-Identifier: Apache-2.0 */
/* A secret key pair as 64 raw bytes and back: for keys that are kept sealed
 * (the clean room's own keys), never in a key file. */
#include <string.h>

#include "crypto_int.h"

enum dcr_err dcr_seckey_export(const struct dcr_seckey *key, struct dcr_buf *out)
{
	enum dcr_err err;

	out->secret = true;
	/* the Ed25519 seed is the first half of sign_sk */
	err = dcr_buf_append(out, key->sign_sk, 32);
	if (!err)
		err = dcr_buf_append(out, key->box_sk, 32);
	if (err)
		dcr_buf_reset(out);
	return err;
}

enum dcr_err dcr_seckey_import(const void *data, size_t size, struct dcr_seckey **out)
{
	const uint8_t *p = data;
	struct dcr_seckey *k;

	*out = NULL;
	if (size != DCR_SECKEY_EXPORT_SIZE)
		return DCR_ERR_INVALID;
	k = sodium_malloc(sizeof(*k));
	if (!k)
		return DCR_ERR_NOMEM;
	sodium_memzero(k, sizeof(*k));
	crypto_sign_seed_keypair(k->pub.sign, k->sign_sk, p);
	memcpy(k->box_sk, p + 32, sizeof(k->box_sk));
	crypto_scalarmult_base(k->pub.box, k->box_sk);
	*out = k;
	return DCR_OK;
}
