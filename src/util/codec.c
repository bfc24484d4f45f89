/* SPDX-License-Identifier: Apache-2.0 */
/* Hex and base64 whose running time depends only on lengths, never on the
 * bytes themselves: secrets (keys, seeds) pass through them. The character
 * mappings use arithmetic and masks instead of branches or table lookups. */
#include <assert.h>

#include "dcr/util.h"

/* All the mask tricks below rely on >> of a negative int filling with ones
 * (true for every compiler we build with; it is implementation-defined,
 * never undefined). */

static char hex_char(unsigned nibble)
{
	int n = (int)nibble;

	/* '0'..'9' for 0..9, 'a'..'f' for 10..15 */
	return (char)(n + '0' + (((9 - n) >> 8) & ('a' - '0' - 10)));
}

void dcr_hex_encode(char *out, const uint8_t *in, size_t in_size)
{
	size_t i;

	for (i = 0; i < in_size; i++) {
		out[2 * i] = hex_char(in[i] >> 4);
		out[2 * i + 1] = hex_char(in[i] & 15u);
	}
	out[2 * in_size] = '\0';
}

/* The value of a hex digit, or -1. */
static int hex_value(unsigned char c)
{
	int digit = c ^ '0';                  /* 0..9 for '0'..'9' */
	int digit_ok = (digit - 10) >> 8;     /* -1 when digit < 10 */
	int alpha = (int)(c & ~32u) - 55;     /* 10..15 for 'A'..'F', 'a'..'f' */
	int alpha_ok = ((alpha - 10) ^ (alpha - 16)) >> 8;

	return (digit & digit_ok) | (alpha & alpha_ok) | ~(digit_ok | alpha_ok);
}

enum dcr_err dcr_hex_decode(uint8_t *out, size_t out_size, const char *hex, size_t len)
{
	int bad = 0;
	size_t i;

	if (len != 2 * out_size)
		return DCR_ERR_INVALID;
	for (i = 0; i < out_size; i++) {
		int hi = hex_value((unsigned char)hex[2 * i]);
		int lo = hex_value((unsigned char)hex[2 * i + 1]);

		bad |= hi | lo; /* negative when either was invalid */
		out[i] = (uint8_t)(((unsigned)hi << 4 | (unsigned)lo) & 0xffu);
	}
	if (bad < 0) {
		dcr_wipe(out, out_size);
		return DCR_ERR_INVALID;
	}
	return DCR_OK;
}

static char b64_char(unsigned value)
{
	int v = (int)value;

	/* 'A'..'Z' 0..25, 'a'..'z' 26..51, '0'..'9' 52..61, '+' 62, '/' 63 */
	return (char)(v + 'A' + (((25 - v) >> 8) & 6) - (((51 - v) >> 8) & 75) -
	              (((61 - v) >> 8) & 15) + (((62 - v) >> 8) & 3));
}

void dcr_b64_encode(char *out, const uint8_t *in, size_t in_size)
{
	size_t i = 0, o = 0;

	for (; i + 3 <= in_size; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = b64_char(w >> 6 & 63);
		out[o++] = b64_char(w & 63);
	}
	if (in_size - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = '=';
		out[o++] = '=';
	} else if (in_size - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64_char(w >> 18);
		out[o++] = b64_char(w >> 12 & 63);
		out[o++] = b64_char(w >> 6 & 63);
		out[o++] = '=';
	}
	out[o] = '\0';
}

/* The value of a base64 character, or -1. */
static int b64_value(unsigned char uc)
{
	int c = uc;
	int r = -1;

	r += (((64 - c) & (c - 91)) >> 8) & (c - 64);  /* 'A'..'Z' */
	r += (((96 - c) & (c - 123)) >> 8) & (c - 70); /* 'a'..'z' */
	r += (((47 - c) & (c - 58)) >> 8) & (c + 5);   /* '0'..'9' */
	r += (((42 - c) & (c - 44)) >> 8) & 63;        /* '+' */
	r += (((46 - c) & (c - 48)) >> 8) & 64;        /* '/' */
	return r;
}

enum dcr_err dcr_b64_decode(uint8_t *out, size_t out_cap, const char *b64, size_t len,
                            size_t *out_size)
{
	size_t pad = 0, chars, n, i, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	int bad = 0;

	*out_size = 0;
	if (len % 4 != 0)
		return DCR_ERR_INVALID;
	/* The padding's position is part of the (public) length. */
	if (len >= 4 && b64[len - 1] == '=')
		pad = b64[len - 2] == '=' ? 2 : 1;
	chars = len - pad;
	n = len / 4 * 3 - pad;
	if (n > out_cap)
		return DCR_ERR_TOO_BIG;
	for (i = 0; i < chars; i++) {
		int v = b64_value((unsigned char)b64[i]);

		bad |= v;
		acc = acc << 6 | (uint32_t)(v & 63);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* canonical: the bits left over must be zero */
	bad |= -(int)(acc & ((1u << bits) - 1));
	assert(o == n);
	if (bad < 0) {
		dcr_wipe(out, n);
		return DCR_ERR_INVALID;
	}
	*out_size = n;
	return DCR_OK;
}
