/* SPDX-License-Identifier: Apache-2.0 */
/* Query results as text (docs/SQL.md, "Output"): CSV, JSON, and an aligned
 * table for a terminal; and doubles as Python's repr writes them. */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define CELL_MAX 40 /* characters of a table cell */

void dcr_format_double(double d, char out[static 32])
{
	char digits[18], *p = out;
	int k, e, decpt;

	if (isnan(d)) {
		strcpy(out, "nan");
		return;
	}
	if (signbit(d)) {
		*p++ = '-';
		d = -d;
	}
	if (isinf(d)) {
		strcpy(p, "inf");
		return;
	}
	if (d == 0) {
		strcpy(p, "0.0");
		return;
	}
	k = dcr_double_digits(d, digits, &e);
	decpt = e + 1; /* the value is 0.d0d1... x 10^decpt */
	/* repr's rule (Python's float_repr_style 'short') */
	if (decpt <= -4 || decpt > 16) {
		*p++ = digits[0];
		if (k > 1) {
			*p++ = '.';
			memcpy(p, digits + 1, (size_t)k - 1);
			p += k - 1;
		}
		sprintf(p, "e%c%02d", e < 0 ? '-' : '+', abs(e));
		return;
	}
	if (decpt <= 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = decpt; i < 0; i++)
			*p++ = '0';
		memcpy(p, digits, (size_t)k);
		p += k;
	} else if (decpt >= k) {
		memcpy(p, digits, (size_t)k);
		p += k;
		for (int i = k; i < decpt; i++)
			*p++ = '0';
		*p++ = '.';
		*p++ = '0';
	} else {
		memcpy(p, digits, (size_t)decpt);
		p += decpt;
		*p++ = '.';
		memcpy(p, digits + decpt, (size_t)(k - decpt));
		p += k - decpt;
	}
	*p = '\0';
}

/* ---- values ------------------------------------------------------------ */

static bool is_null(const struct dcr_column *c, size_t row)
{
	return c->nulls && c->nulls[row];
}

static bool is_number(const struct dcr_column *c)
{
	return c->type == DCR_TYPE_INT || c->type == DCR_TYPE_FLOAT;
}

/* The text of a value that is not NULL; scratch holds what is not in a
 * dictionary. */
static struct dcr_str value_text(const struct dcr_column *c, size_t row, char scratch[static 72])
{
	switch (c->type) {
	case DCR_TYPE_BOOL:
		strcpy(scratch, c->v.b[row] ? "true" : "false");
		break;
	case DCR_TYPE_INT:
		snprintf(scratch, 72, "%" PRId64, c->v.i64[row]);
		break;
	case DCR_TYPE_FLOAT:
		dcr_format_double(c->v.f64[row], scratch);
		break;
	case DCR_TYPE_STRING:
		return dcr_dict_get(c->dict, c->v.code[row]);
	case DCR_TYPE_DATE:
		dcr_date_format(c->v.date[row], scratch);
		break;
	case DCR_TYPE_ID:
		dcr_hex_encode(scratch, c->v.id + row * DCR_ID_SIZE, DCR_ID_SIZE);
		break;
	default:
		assert(!"a column has no type NULL");
		scratch[0] = '\0';
		break;
	}
	return (struct dcr_str){scratch, (uint32_t)strlen(scratch)};
}

static enum dcr_err put(struct dcr_buf *out, const char *s)
{
	return dcr_buf_append(out, s, strlen(s));
}


/* ---- CSV --------------------------------------------------------------- */

/* RFC 4180: quoted when it holds a comma, quote, CR or LF, and "" for the
 * empty string (NULL is the empty field). */
static enum dcr_err csv_field(struct dcr_buf *out, const char *s, size_t n)
{
	enum dcr_err err;
	size_t run = 0;

	if (n && !memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\r', n) &&
	    !memchr(s, '\n', n))
		return dcr_buf_append(out, s, n);
	err = dcr_buf_append(out, "\"", 1);
	for (size_t i = 0; !err && i < n; i++) {
		if (s[i] != '"')
			continue;
		err = dcr_buf_append(out, s + run, i + 1 - run); /* with the quote */
		if (!err)
			err = dcr_buf_append(out, "\"", 1);
		run = i + 1;
	}
	if (!err)
		err = dcr_buf_append(out, s + run, n - run);
	return err ? err : dcr_buf_append(out, "\"", 1);
}

static enum dcr_err format_csv(const struct dcr_table *t, struct dcr_buf *out)
{
	enum dcr_err err = DCR_OK;
	char scratch[72];

	for (size_t c = 0; !err && c < t->column_count; c++) {
		if (c)
			err = dcr_buf_append(out, ",", 1);
		if (!err)
			err = csv_field(out, t->columns[c].name, strlen(t->columns[c].name));
	}
	if (!err)
		err = dcr_buf_append(out, "\n", 1);
	for (size_t r = 0; !err && r < t->row_count; r++) {
		for (size_t c = 0; !err && c < t->column_count; c++) {
			const struct dcr_column *col = &t->columns[c];
			struct dcr_str s;

			if (c)
				err = dcr_buf_append(out, ",", 1);
			if (err || is_null(col, r))
				continue;
			s = value_text(col, r, scratch);
			err = csv_field(out, s.ptr, s.len);
		}
		if (!err)
			err = dcr_buf_append(out, "\n", 1);
	}
	return err;
}

/* ---- JSON -------------------------------------------------------------- */

/* RFC 8259: the short escapes where they exist, \u00XX for the other
 * control characters; bytes that are not UTF-8 become U+FFFD, so that the
 * output is always valid JSON. */
static enum dcr_err json_string(struct dcr_buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	enum dcr_err err = dcr_buf_append(out, "\"", 1);
	size_t run = 0, i = 0;

	while (!err && i < n) {
		char esc[8];
		uint32_t cp;
		size_t len = dcr_utf8_decode(u + i, n - i, &cp);

		if (len > 1 || (len == 1 && cp >= 0x20 && cp != '"' && cp != '\\')) {
			i += len;
			continue;
		}
		switch (len ? cp : 0x100) {
		case '"': strcpy(esc, "\\\""); break;
		case '\\': strcpy(esc, "\\\\"); break;
		case '\b': strcpy(esc, "\\b"); break;
		case '\f': strcpy(esc, "\\f"); break;
		case '\n': strcpy(esc, "\\n"); break;
		case '\r': strcpy(esc, "\\r"); break;
		case '\t': strcpy(esc, "\\t"); break;
		case 0x100: strcpy(esc, "\xef\xbf\xbd"); break; /* U+FFFD */
		default: snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp); break;
		}
		err = dcr_buf_append(out, s + run, i - run);
		if (!err)
			err = put(out, esc);
		i++;
		run = i;
	}
	if (!err)
		err = dcr_buf_append(out, s + run, n - run);
	return err ? err : dcr_buf_append(out, "\"", 1);
}

static enum dcr_err json_value(struct dcr_buf *out, const struct dcr_column *c, size_t row)
{
	char scratch[72];
	struct dcr_str s;

	if (is_null(c, row) || (c->type == DCR_TYPE_FLOAT && !isfinite(c->v.f64[row])))
		return put(out, "null");
	s = value_text(c, row, scratch);
	switch (c->type) {
	case DCR_TYPE_BOOL:
	case DCR_TYPE_INT:
	case DCR_TYPE_FLOAT: /* repr's forms (1e-05, 3.0) are JSON numbers */
		return dcr_buf_append(out, s.ptr, s.len);
	default:
		return json_string(out, s.ptr, s.len);
	}
}

/* An array of objects, one per line, members in column order. */
static enum dcr_err format_json(const struct dcr_table *t, struct dcr_buf *out)
{
	enum dcr_err err;

	if (t->row_count == 0)
		return put(out, "[]\n");
	err = put(out, "[\n");
	for (size_t r = 0; !err && r < t->row_count; r++) {
		err = put(out, "{");
		for (size_t c = 0; !err && c < t->column_count; c++) {
			const struct dcr_column *col = &t->columns[c];

			if (c)
				err = put(out, ",");
			if (!err)
				err = json_string(out, col->name, strlen(col->name));
			if (!err)
				err = put(out, ":");
			if (!err)
				err = json_value(out, col, r);
		}
		if (!err)
			err = put(out, r + 1 < t->row_count ? "},\n" : "}\n");
	}
	return err ? err : put(out, "]\n");
}

/* ---- table ------------------------------------------------------------- */

/* A cell as shown: control characters escaped (a value must not move the
 * cursor or drive the terminal), bytes that are not UTF-8 as U+FFFD, and
 * cut to CELL_MAX characters, the last three "...". */
struct cell {
	char text[CELL_MAX * 6 + 1];
	size_t size;  /* bytes of text */
	size_t width; /* characters */
};

/* The shown form of one character at s: its bytes and its width. */
static size_t shown_char(const char *s, size_t n, char out[static 8], size_t *out_width)
{
	uint32_t cp;
	size_t len = dcr_utf8_decode((const unsigned char *)s, n, &cp);

	if (len == 0) {
		memcpy(out, "\xef\xbf\xbd", 4);
		*out_width = 1;
		return 1;
	}
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
		if (cp == '\n')
			strcpy(out, "\\n");
		else if (cp == '\r')
			strcpy(out, "\\r");
		else if (cp == '\t')
			strcpy(out, "\\t");
		else {
			static const char hex[] = "0123456789abcdef";

			out[0] = '\\';
			out[1] = 'x';
			out[2] = hex[(cp >> 4) & 15];
			out[3] = hex[cp & 15];
			out[4] = '\0';
		}
		*out_width = strlen(out);
		return len;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	*out_width = 1;
	return len;
}

static void make_cell(const char *s, size_t n, struct cell *out)
{
	size_t i = 0, width = 0, fit = 0, fit_size = 0;

	out->size = 0;
	while (i < n) {
		char ch[8];
		size_t w, used = shown_char(s + i, n - i, ch, &w), len = strlen(ch);

		if (width + w > CELL_MAX) { /* too long: back to what fits with "..." */
			out->size = fit_size;
			width = fit;
			memcpy(out->text + out->size, "...", 3);
			out->size += 3;
			width += 3;
			break;
		}
		memcpy(out->text + out->size, ch, len);
		out->size += len;
		width += w;
		if (width <= CELL_MAX - 3) {
			fit = width;
			fit_size = out->size;
		}
		i += used;
	}
	out->text[out->size] = '\0';
	out->width = width;
}

static void make_value_cell(const struct dcr_column *c, size_t row, struct cell *out)
{
	char scratch[72];
	struct dcr_str s;

	if (is_null(c, row)) {
		make_cell("NULL", 4, out);
		return;
	}
	s = value_text(c, row, scratch);
	make_cell(s.ptr, s.len, out);
}

static enum dcr_err pad(struct dcr_buf *out, size_t n)
{
	static const char spaces[] = "                                        ";
	enum dcr_err err = DCR_OK;

	while (!err && n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;

		err = dcr_buf_append(out, spaces, k);
		n -= k;
	}
	return err;
}

/* One line: cells separated by " | ", numbers to the right; no spaces at
 * its end. */
static enum dcr_err table_line(const struct dcr_table *t, const size_t *widths, size_t row,
                               bool header, struct dcr_buf *out)
{
	size_t start = out->size;
	enum dcr_err err = DCR_OK;
	struct cell cell;

	for (size_t c = 0; !err && c < t->column_count; c++) {
		const struct dcr_column *col = &t->columns[c];
		size_t gap;

		if (header)
			make_cell(col->name, strlen(col->name), &cell);
		else
			make_value_cell(col, row, &cell);
		gap = widths[c] - cell.width;
		if (c)
			err = put(out, " | ");
		if (!err && is_number(col))
			err = pad(out, gap);
		if (!err)
			err = dcr_buf_append(out, cell.text, cell.size);
		if (!err && !is_number(col))
			err = pad(out, gap);
	}
	if (err)
		return err;
	while (out->size > start && out->data[out->size - 1] == ' ')
		out->size--;
	return put(out, "\n");
}

static enum dcr_err format_table(const struct dcr_table *t, struct dcr_buf *out)
{
	size_t *widths = calloc(t->column_count ? t->column_count : 1, sizeof(*widths));
	enum dcr_err err = DCR_OK;
	struct cell cell;

	if (!widths)
		return DCR_ERR_NOMEM;
	for (size_t c = 0; c < t->column_count; c++) {
		const struct dcr_column *col = &t->columns[c];

		make_cell(col->name, strlen(col->name), &cell);
		widths[c] = cell.width;
		for (size_t r = 0; r < t->row_count; r++) {
			make_value_cell(col, r, &cell);
			if (cell.width > widths[c])
				widths[c] = cell.width;
		}
	}
	if (t->column_count)
		err = table_line(t, widths, 0, true, out);
	for (size_t c = 0; !err && c < t->column_count; c++) {
		if (c)
			err = put(out, "-+-");
		for (size_t i = 0; !err && i < widths[c]; i++)
			err = put(out, "-");
	}
	if (!err && t->column_count)
		err = put(out, "\n");
	for (size_t r = 0; !err && t->column_count && r < t->row_count; r++)
		err = table_line(t, widths, r, false, out);
	free(widths);
	return err;
}

enum dcr_err dcr_result_format(const struct dcr_table *result, enum dcr_format format,
                               struct dcr_buf *out)
{
	switch (format) {
	case DCR_FORMAT_CSV:
		return format_csv(result, out);
	case DCR_FORMAT_JSON:
		return format_json(result, out);
	case DCR_FORMAT_TABLE:
		return format_table(result, out);
	}
	return DCR_ERR_INVALID;
}
