/* SPDX-License-Identifier: Apache-2.0 */
/* JSON out of a contract: the RFC 8785 (JCS) canonical form that is hashed,
 * and the indented form `dcr contract sign` writes back. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract_int.h"

#define MAX_DEPTH 32     /* a valid contract nests 5 deep */
#define LINE_WIDTH 100   /* the pretty form puts a container on one line if it fits */

/* ---- numbers ------------------------------------------------------------ */

void contract_number_format(double d, char out[static CONTRACT_NUMBER_SIZE])
{
	char digits[18];
	char *p = out;
	int n, k, e;

	assert(isfinite(d));
	if (d == 0) { /* also -0 */
		strcpy(out, "0");
		return;
	}
	if (d < 0) {
		*p++ = '-';
		d = -d;
	}
	k = dcr_double_digits(d, digits, &e);
	n = e + 1; /* the value is 0.d0d1... x 10^n */
	if (k <= n && n <= 21) {
		memcpy(p, digits, (size_t)k);
		p += k;
		for (int i = k; i < n; i++)
			*p++ = '0';
	} else if (0 < n && n <= 21) {
		memcpy(p, digits, (size_t)n);
		p += n;
		*p++ = '.';
		memcpy(p, digits + n, (size_t)(k - n));
		p += k - n;
	} else if (-6 < n && n <= 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = n; i < 0; i++)
			*p++ = '0';
		memcpy(p, digits, (size_t)k);
		p += k;
	} else {
		*p++ = digits[0];
		if (k > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)k - 1);
			p += k - 1;
		}
		p += sprintf(p, "e%c%d", n - 1 >= 0 ? '+' : '-', abs(n - 1));
	}
	*p = '\0';
	assert(p - out < CONTRACT_NUMBER_SIZE);
}

/* ---- scalars, shared by both forms ------------------------------------ */

static enum dcr_err put(struct dcr_buf *out, const char *s)
{
	return dcr_buf_append(out, s, strlen(s));
}

/* RFC 8785 section 3.2.2.2: escape only what JSON requires, with the short
 * forms where they exist; everything else, '/' and non-ASCII included, as is. */
static enum dcr_err put_string(struct dcr_buf *out, const char *s, size_t len)
{
	enum dcr_err err = dcr_buf_append(out, "\"", 1);
	size_t run = 0;

	for (size_t i = 0; !err && i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		switch (ch) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\b': strcpy(esc, "\\b"); break;
		case '\f': strcpy(esc, "\\f"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\t': strcpy(esc, "\\t"); break;
		default: snprintf(esc, sizeof(esc), "\\u%04x", ch); break;
		}
		err = dcr_buf_append(out, s + run, i - run);
		if (!err)
			err = put(out, esc);
		run = i + 1;
	}
	if (!err)
		err = dcr_buf_append(out, s + run, len - run);
	if (!err)
		err = dcr_buf_append(out, "\"", 1);
	return err;
}

/* Numbers: canon writes every number as the double it stands for (JCS);
 * otherwise an integer stays an integer and a real keeps a '.' or 'e'. */
static enum dcr_err put_scalar(struct dcr_buf *out, const json_t *v, bool canon)
{
	char num[CONTRACT_NUMBER_SIZE + 2];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return put_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);

		if (!canon) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, i);
			return put(out, num);
		}
		if (i > CONTRACT_INT_MAX || i < -CONTRACT_INT_MAX)
			return DCR_ERR_INVALID;
		contract_number_format((double)i, num);
		return put(out, num);
	}
	case JSON_REAL:
		if (!isfinite(json_real_value(v)))
			return DCR_ERR_INVALID;
		contract_number_format(json_real_value(v), num);
		if (!canon && !strpbrk(num, ".e"))
			strcat(num, ".0");
		return put(out, num);
	case JSON_TRUE:
		return put(out, "true");
	case JSON_FALSE:
		return put(out, "false");
	case JSON_NULL:
		return put(out, "null");
	default:
		return DCR_ERR_INTERNAL;
	}
}

static bool is_container(const json_t *v)
{
	return json_is_object(v) || json_is_array(v);
}

/* ---- canonical form ----------------------------------------------------- */

static int cmp_keys(const void *a, const void *b)
{
	/* bytewise; the same as JCS's UTF-16 order for the ASCII keys a valid
	 * contract has */
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum dcr_err canon(const json_t *v, const char *skip, int depth, struct dcr_buf *out)
{
	enum dcr_err err = DCR_OK;
	const char **keys = NULL;
	size_t n = 0, i;

	if (depth > MAX_DEPTH)
		return DCR_ERR_INVALID;
	if (json_is_array(v)) {
		err = put(out, "[");
		for (i = 0; !err && i < json_array_size(v); i++) {
			if (i)
				err = put(out, ",");
			if (!err)
				err = canon(json_array_get(v, i), NULL, depth + 1, out);
		}
		return err ? err : put(out, "]");
	}
	if (!json_is_object(v))
		return put_scalar(out, v, true);

	const char *key;
	json_t *member;

	keys = malloc((json_object_size(v) + 1) * sizeof(*keys));
	if (!keys)
		return DCR_ERR_NOMEM;
	json_object_foreach((json_t *)v, key, member) {
		if (!skip || strcmp(key, skip))
			keys[n++] = key;
	}
	qsort(keys, n, sizeof(*keys), cmp_keys);
	err = put(out, "{");
	for (i = 0; !err && i < n; i++) {
		if (i)
			err = put(out, ",");
		if (!err)
			err = put_string(out, keys[i], strlen(keys[i]));
		if (!err)
			err = put(out, ":");
		if (!err)
			err = canon(json_object_get(v, keys[i]), NULL, depth + 1, out);
	}
	if (!err)
		err = put(out, "}");
	free(keys);
	return err;
}

enum dcr_err contract_canon_json(const json_t *v, const char *skip, struct dcr_buf *out)
{
	return canon(v, skip, 0, out);
}

/* ---- indented form ------------------------------------------------------ */

/* One line suits a container of scalars and arrays of scalars: a column,
 * a pair of bounds, the roles, a join pair. */
static bool flat(const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			if (json_is_object(m))
				return false;
			if (json_is_array(m) && !flat(m))
				return false;
		}
		return true;
	}
	json_object_foreach((json_t *)v, key, m) {
		if (json_is_object(m))
			return false;
		if (json_is_array(m)) {
			size_t j;
			json_t *e;

			json_array_foreach(m, j, e)
				if (is_container(e))
					return false;
		}
	}
	return true;
}

static enum dcr_err one_line(const json_t *v, struct dcr_buf *out)
{
	enum dcr_err err = DCR_OK;
	const char *key;
	json_t *m;
	size_t i = 0;

	if (!is_container(v))
		return put_scalar(out, v, false);
	err = put(out, json_is_array(v) ? "[" : "{");
	if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			if (!err && i)
				err = put(out, ", ");
			if (!err)
				err = one_line(m, out);
		}
	} else {
		json_object_foreach((json_t *)v, key, m) {
			if (!err && i++)
				err = put(out, ", ");
			if (!err)
				err = put_string(out, key, strlen(key));
			if (!err)
				err = put(out, ": ");
			if (!err)
				err = one_line(m, out);
		}
	}
	return err ? err : put(out, json_is_array(v) ? "]" : "}");
}

static enum dcr_err indent_to(struct dcr_buf *out, size_t indent)
{
	enum dcr_err err = DCR_OK;

	while (!err && indent--)
		err = dcr_buf_append(out, " ", 1);
	return err;
}

/* Appends flat v on one line when it fits in the width left after column
 * col; *fits says whether it did. */
static enum dcr_err try_one_line(const json_t *v, size_t col, struct dcr_buf *out, bool *fits)
{
	enum dcr_err err;
	struct dcr_buf line;

	*fits = false;
	if (col >= LINE_WIDTH)
		return DCR_OK;
	dcr_buf_init(&line, LINE_WIDTH - col);
	err = one_line(v, &line);
	if (!err) {
		*fits = true;
		err = dcr_buf_append(out, line.data, line.size);
	} else if (err == DCR_ERR_TOO_BIG) {
		err = DCR_OK;
	}
	dcr_buf_free(&line);
	return err;
}

/* v starts at column col of a line indented by indent. */
static enum dcr_err pretty(const json_t *v, size_t indent, size_t col, int depth,
                           struct dcr_buf *out)
{
	enum dcr_err err = DCR_OK;
	size_t count, i = 0;
	const char *key;
	bool fits;
	json_t *m;

	if (depth > MAX_DEPTH)
		return DCR_ERR_INVALID;
	if (!is_container(v))
		return put_scalar(out, v, false);
	count = json_is_array(v) ? json_array_size(v) : json_object_size(v);
	if (count == 0)
		return put(out, json_is_array(v) ? "[]" : "{}");
	if (flat(v)) {
		err = try_one_line(v, col, out, &fits);
		if (err || fits)
			return err;
	}
	err = put(out, json_is_array(v) ? "[\n" : "{\n");
	if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			if (!err)
				err = indent_to(out, indent + 2);
			if (!err)
				err = pretty(m, indent + 2, indent + 2, depth + 1, out);
			if (!err)
				err = put(out, i + 1 < count ? ",\n" : "\n");
		}
	} else {
		json_object_foreach((json_t *)v, key, m) {
			size_t line_start = out->size;

			if (!err)
				err = indent_to(out, indent + 2);
			if (!err)
				err = put_string(out, key, strlen(key));
			if (!err)
				err = put(out, ": ");
			if (!err)
				err = pretty(m, indent + 2, out->size - line_start, depth + 1, out);
			if (!err)
				err = put(out, ++i < count ? ",\n" : "\n");
		}
	}
	if (!err)
		err = indent_to(out, indent);
	return err ? err : put(out, json_is_array(v) ? "]" : "}");
}

enum dcr_err contract_pretty_json(const json_t *v, struct dcr_buf *out)
{
	enum dcr_err err = pretty(v, 0, 0, 0, out);

	return err ? err : put(out, "\n");
}
