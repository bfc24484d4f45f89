/* SPDX-License-Identifier: Apache-2.0 */
/* The shortest round-trip digits of a double, for the number formats that
 * need them (RFC 8785 in contracts, Python's repr in query results). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/util.h"

/* A decimal candidate: digits d[0..k-1] (d[0] != 0) meaning d0.d1d2... x 10^e. */
struct decimal {
	char d[24];
	int k;
	int e;
};

static void decimal_from_sci(const char *sci, struct decimal *out)
{
	const char *p = sci;

	out->k = 0;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			out->d[out->k++] = *p;
	out->e = *p == 'e' ? atoi(p + 1) : 0;
}

static double decimal_value(const struct decimal *x)
{
	char text[48];
	int n = 0;

	text[n++] = x->d[0];
	text[n++] = '.';
	memcpy(text + n, x->d + 1, (size_t)x->k - 1);
	n += x->k - 1;
	snprintf(text + n, sizeof(text) - (size_t)n, "e%d", x->e);
	return strtod(text, NULL);
}

/* The next k-digit decimal above (up) or below x. */
static void decimal_step(struct decimal *x, bool up)
{
	int i;

	if (up) {
		for (i = x->k - 1; i >= 0 && x->d[i] == '9'; i--)
			x->d[i] = '0';
		if (i >= 0) {
			x->d[i]++;
		} else { /* 9.99 -> 10.0: one digit more, so shift */
			x->d[0] = '1';
			x->e++;
		}
		return;
	}
	for (i = x->k - 1; i >= 0 && x->d[i] == '0'; i--)
		x->d[i] = '9';
	assert(i >= 0); /* d[0] is never '0' */
	if (i < 0)
		return;
	x->d[i]--;
	if (x->d[0] == '0') { /* 1.00 -> 0.99: below a power of ten the grid is finer */
		for (i = 0; i < x->k; i++)
			x->d[i] = '9';
		x->e--;
	}
}

int dcr_double_digits(double v, char digits[static 18], int *out_exp)
{
	struct decimal found = {.d = "0", .k = 1};
	char sci[40];

	assert(v > 0 && v <= 1.7976931348623157e308);
	for (int p = 1; p <= 17; p++) {
		struct decimal c, other;
		double cv;

		/* glibc prints the correctly rounded p-digit decimal: the nearest one */
		snprintf(sci, sizeof(sci), "%.*e", p - 1, v);
		decimal_from_sci(sci, &c);
		cv = decimal_value(&c);
		if (cv == v) {
			found = c;
			break;
		}
		/* The rounding interval of v is lopsided at a power of two, so the
		 * nearest p-digit decimal may miss it while the one on the other
		 * side of v hits it. */
		other = c;
		decimal_step(&other, cv < v);
		if (decimal_value(&other) == v) {
			found = other;
			break;
		}
		assert(p < 17); /* 17 significant digits always round-trip */
	}
	while (found.k > 1 && found.d[found.k - 1] == '0')
		found.k--;
	memcpy(digits, found.d, (size_t)found.k);
	digits[found.k] = '\0';
	*out_exp = found.e;
	return found.k;
}
