/* SPDX-License-Identifier: Apache-2.0 */
/* A strict UTF-8 decoder, for the SQL lexer and the result formats. */
#include "dcr/util.h"

size_t dcr_utf8_decode(const unsigned char *s, size_t n, uint32_t *out_cp)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80) {
		len = 1;
		cp = c;
		goto done;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
done:
	if (out_cp)
		*out_cp = cp;
	return len;
}
