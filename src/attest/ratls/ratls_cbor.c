/* SPDX-License-Identifier: Apache-2.0 */
/* A minimal, bounded CBOR (RFC 8949) reader: just enough for the TCG DICE
 * RA-TLS extension (a tag around two byte strings, and a map of claims).
 * Definite lengths only; every length is checked against the bytes left;
 * nesting is capped; floats and simple values are skipped by size. */
#include <string.h>

#include "ratls.h"

enum { CBOR_UINT, CBOR_NINT, CBOR_BSTR, CBOR_TSTR, CBOR_ARRAY, CBOR_MAP, CBOR_TAG, CBOR_SIMPLE };

struct cbor {
	const uint8_t *p;
	const uint8_t *end;
};

/* Reads an item's head: its major type and argument. Indefinite lengths and
 * the reserved additional-information values 28..30 are refused. */
static bool head(struct cbor *c, int *major, uint64_t *arg)
{
	uint8_t ib, ai;
	size_t n;

	if (c->p >= c->end)
		return false;
	ib = *c->p++;
	*major = ib >> 5;
	ai = ib & 0x1f;
	if (ai < 24) {
		*arg = ai;
		return true;
	}
	if (ai > 27)
		return false;
	n = (size_t)1 << (ai - 24); /* 1, 2, 4 or 8 bytes */
	if ((size_t)(c->end - c->p) < n)
		return false;
	*arg = 0;
	for (size_t i = 0; i < n; i++)
		*arg = (*arg << 8) | *c->p++;
	return true;
}

/* A byte or text string's content (the head already read). */
static bool content(struct cbor *c, uint64_t len, const uint8_t **out)
{
	if ((uint64_t)(c->end - c->p) < len)
		return false;
	*out = c->p;
	c->p += len;
	return true;
}

static bool skip(struct cbor *c, int depth)
{
	const uint8_t *ignored;
	int major;
	uint64_t arg;

	if (depth > RATLS_CBOR_MAX_DEPTH || !head(c, &major, &arg))
		return false;
	switch (major) {
	case CBOR_UINT:
	case CBOR_NINT:
	case CBOR_SIMPLE:
		return true;
	case CBOR_BSTR:
	case CBOR_TSTR:
		return content(c, arg, &ignored);
	case CBOR_ARRAY:
	case CBOR_MAP: {
		uint64_t left = (uint64_t)(c->end - c->p), items;

		/* every item takes at least one byte: a count beyond the bytes
		 * left is malformed, and this bounds the loop */
		if (arg > left)
			return false;
		items = major == CBOR_MAP ? 2 * arg : arg;
		if (items > left)
			return false;
		for (uint64_t i = 0; i < items; i++)
			if (!skip(c, depth + 1))
				return false;
		return true;
	}
	case CBOR_TAG:
		return skip(c, depth + 1);
	default:
		return false;
	}
}

static bool bstr(struct cbor *c, const uint8_t **out, size_t *out_size)
{
	int major;
	uint64_t len;

	if (!head(c, &major, &len) || major != CBOR_BSTR || !content(c, len, out))
		return false;
	*out_size = (size_t)len;
	return true;
}

bool ratls_dice_split(const uint8_t *value, size_t size, const uint8_t **out_quote,
                      size_t *out_quote_size, const uint8_t **out_claims,
                      size_t *out_claims_size)
{
	struct cbor c = {value, value + size};
	int major;
	uint64_t arg;

	*out_quote = *out_claims = NULL;
	*out_quote_size = *out_claims_size = 0;
	if (!value || !head(&c, &major, &arg) || major != CBOR_TAG || arg != RATLS_DICE_TAG)
		return false;
	if (!head(&c, &major, &arg) || major != CBOR_ARRAY || arg != 2)
		return false;
	if (!bstr(&c, out_quote, out_quote_size) || !bstr(&c, out_claims, out_claims_size) ||
	    c.p != c.end) {
		*out_quote = *out_claims = NULL;
		*out_quote_size = *out_claims_size = 0;
		return false;
	}
	return true;
}

static size_t alg_size(uint64_t alg)
{
	return alg == 1 ? 32 : alg == 7 ? 48 : alg == 8 ? 64 : 0;
}

bool ratls_claims_pubkey_hash(const uint8_t *claims, size_t size, int *out_alg,
                              const uint8_t **out_hash, size_t *out_hash_size)
{
	static const char key_name[] = "pubkey-hash";
	struct cbor c = {claims, claims + size};
	const uint8_t *found = NULL, *key;
	size_t found_size = 0;
	int major;
	uint64_t count, len, alg;

	*out_alg = 0;
	*out_hash = NULL;
	*out_hash_size = 0;
	if (!claims || !head(&c, &major, &count) || major != CBOR_MAP ||
	    count > (uint64_t)(c.end - c.p))
		return false;
	for (uint64_t i = 0; i < count; i++) {
		struct cbor at_key = c;

		if (head(&at_key, &major, &len) && major == CBOR_TSTR &&
		    len == sizeof(key_name) - 1 && content(&at_key, len, &key) &&
		    !memcmp(key, key_name, len)) {
			const uint8_t *v;
			size_t vsize;

			if (found || !bstr(&at_key, &v, &vsize))
				return false;
			found = v;
			found_size = vsize;
			c = at_key;
			continue;
		}
		if (!skip(&c, 1) || !skip(&c, 1))
			return false;
	}
	if (c.p != c.end || !found)
		return false;
	/* the value: CBOR [alg, hash], exactly */
	c.p = found;
	c.end = found + found_size;
	if (!head(&c, &major, &len) || major != CBOR_ARRAY || len != 2)
		return false;
	if (!head(&c, &major, &alg) || major != CBOR_UINT || !alg_size(alg))
		return false;
	if (!bstr(&c, out_hash, out_hash_size) || *out_hash_size != alg_size(alg) ||
	    c.p != c.end) {
		*out_hash = NULL;
		*out_hash_size = 0;
		return false;
	}
	*out_alg = (int)alg;
	return true;
}
