/* SPDX-License-Identifier: Apache-2.0 */
/* Normalising and hashing the identifiers that join datasets: the same
 * person must give the same 32 bytes at every party. */
#include <string.h>

#include "crypto_int.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

enum dcr_err dcr_id_normalize(enum dcr_normalize kind, const char *text, size_t len,
                              uint8_t out[static DCR_ID_SIZE_BYTES], struct dcr_msg *msg)
{
	char buf[320];
	size_t n = 0, at = 0;
	bool all_hex = len == 64;

	memset(out, 0, DCR_ID_SIZE_BYTES);
	for (size_t i = 0; all_hex && i < len; i++)
		all_hex = is_hex(text[i]);
	if (all_hex)
		return dcr_hex_decode(out, DCR_ID_SIZE_BYTES, text, len) == DCR_OK
		               ? DCR_OK
		               : dcr_fail(msg, DCR_ERR_INVALID, "not an id");
	switch (kind) {
	case DCR_NORM_HASHED:
		return dcr_fail(msg, DCR_ERR_INVALID, "not an id: must be 64 hex digits (a SHA-256)");
	case DCR_NORM_NONE:
		if (len == 0)
			return dcr_fail(msg, DCR_ERR_INVALID, "an empty id");
		crypto_hash_sha256(out, (const unsigned char *)text, len);
		return DCR_OK;
	case DCR_NORM_EMAIL: {
		size_t start = 0, end = len, ats = 0;

		while (start < end && is_space(text[start]))
			start++;
		while (end > start && is_space(text[end - 1]))
			end--;
		if (end - start > 254)
			return dcr_fail(msg, DCR_ERR_INVALID, "not an e-mail address: too long");
		for (size_t i = start; i < end; i++) {
			char c = text[i];

			if (c == '@') {
				ats++;
				at = n;
			}
			if (is_space(c) || (unsigned char)c < 0x20)
				return dcr_fail(msg, DCR_ERR_INVALID,
				                "not an e-mail address: it has a space or control character");
			buf[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		if (ats != 1 || at == 0 || at + 1 == n)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "not an e-mail address: needs one '@' with text on both sides");
		crypto_hash_sha256(out, (const unsigned char *)buf, n);
		sodium_memzero(buf, sizeof(buf));
		return DCR_OK;
	}
	case DCR_NORM_PHONE: {
		size_t digits = 0;

		for (size_t i = 0; i < len; i++) {
			char c = text[i];

			if (c == '+' && n == 0) {
				buf[n++] = c;
			} else if (c >= '0' && c <= '9') {
				if (n == 0)
					return dcr_fail(msg, DCR_ERR_INVALID,
					                "not a phone number in E.164 form: it must start "
					                "with '+' and the country code");
				if (++digits > 15)
					break;
				buf[n++] = c;
			} else if (!(is_space(c) || c == '-' || c == '.' || c == '(' || c == ')')) {
				return dcr_fail(msg, DCR_ERR_INVALID,
				                "not a phone number: unexpected character");
			}
		}
		if (n == 0 || digits < 8 || digits > 15)
			return dcr_fail(msg, DCR_ERR_INVALID,
			                "not a phone number in E.164 form: '+' and 8 to 15 digits");
		crypto_hash_sha256(out, (const unsigned char *)buf, n);
		sodium_memzero(buf, sizeof(buf));
		return DCR_OK;
	}
	}
	return dcr_fail(msg, DCR_ERR_INVALID, "unknown normalisation");
}
