/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the public key line parser and the base64/hex decoders
 * under it. Whatever parses must format back to exactly the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct dcr_pubkey pk, again;
	struct dcr_msg msg;
	char line[DCR_PUBKEY_LINE_SIZE];
	uint8_t *dec;
	char *enc;
	size_t n;

	if (!ready) {
		if (dcr_crypto_init() != DCR_OK)
			abort();
		ready = 1;
	}
	if (dcr_pubkey_parse((const char *)data, size, &pk, &msg) == DCR_OK) {
		/* canonical: the only line for these keys is the input itself */
		dcr_pubkey_format(&pk, line);
		if (strlen(line) != size || memcmp(line, data, size) != 0)
			abort();
		if (dcr_pubkey_parse(line, strlen(line), &again, &msg) != DCR_OK ||
		    !dcr_pubkey_equal(&pk, &again))
			abort();
	}

	/* base64: decode, and what decodes must re-encode to the input */
	dec = malloc(size + 1);
	enc = malloc(DCR_B64_SIZE(size) + 2 * size + 1);
	if (!dec || !enc)
		abort();
	if (dcr_b64_decode(dec, size, (const char *)data, size, &n) == DCR_OK) {
		dcr_b64_encode(enc, dec, n);
		if (strlen(enc) != size || memcmp(enc, data, size) != 0)
			abort();
	}
	/* hex: the same, modulo case */
	if (size % 2 == 0 && dcr_hex_decode(dec, size / 2, (const char *)data, size) == DCR_OK) {
		dcr_hex_encode(enc, dec, size / 2);
		for (size_t i = 0; i < size; i++) {
			char c = (char)data[i];

			if (c >= 'A' && c <= 'F')
				c = (char)(c + 32);
			if (enc[i] != c)
				abort();
		}
	}
	free(dec);
	free(enc);
	return 0;
}
