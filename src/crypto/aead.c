/* SPDX-License-Identifier: Apache-2.0 */
/* Symmetric authenticated encryption for what the clean room seals at rest
 * (src/store): libsodium's XChaCha20-Poly1305 (IETF), one message at a time. */
#include <assert.h>
#include <string.h>

#include "crypto_int.h"

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == DCR_AEAD_KEY_SIZE, "key size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == DCR_AEAD_NONCE_SIZE,
               "nonce size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == DCR_AEAD_TAG_SIZE, "tag size");

void dcr_aead_seal(uint8_t *out, const void *plain, size_t size, const void *ad, size_t ad_size,
                   const uint8_t nonce[static DCR_AEAD_NONCE_SIZE],
                   const uint8_t key[static DCR_AEAD_KEY_SIZE])
{
	assert(out && (plain || !size) && (ad || !ad_size));
	/* cannot fail below crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX
	 * (2^64 - 17 bytes on 64-bit), which no size_t in memory reaches */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out, NULL, plain, size, ad, ad_size, NULL, nonce,
	                                           key);
}

enum dcr_err dcr_aead_open(uint8_t *out, const void *cipher, size_t size, const void *ad,
                           size_t ad_size, const uint8_t nonce[static DCR_AEAD_NONCE_SIZE],
                           const uint8_t key[static DCR_AEAD_KEY_SIZE])
{
	assert(out && (cipher || !size) && (ad || !ad_size));
	if (size < DCR_AEAD_TAG_SIZE)
		return DCR_ERR_VERIFY;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, cipher, size, ad, ad_size,
	                                               nonce, key) != 0) {
		/* libsodium leaves out untouched on failure; make it safe anyway */
		sodium_memzero(out, size - DCR_AEAD_TAG_SIZE);
		return DCR_ERR_VERIFY;
	}
	return DCR_OK;
}
