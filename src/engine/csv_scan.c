/* SPDX-License-Identifier: Apache-2.0 */
/* CSV scanning: the quote-parity scan that cuts input into blocks of whole
 * records, newline counting, the reference record walker, and the quoting
 * of values in error messages. */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_int.h"

/* ---- the record walker ------------------------------------------------ */

enum { W_START, W_UNQUOTED, W_QUOTED, W_QUOTE, W_CR };

void csv_walk_init(struct csv_walk *w, size_t ncols, size_t max_fields, size_t max_field,
                   uint64_t off)
{
	memset(w, 0, sizeof(*w));
	w->state = W_START;
	w->ncols = ncols;
	w->max_fields = max_fields;
	w->max_field = max_field;
	w->field_off = off;
}

static enum csv_walk_res fail(struct csv_walk *w, enum dcr_err err, const char *what)
{
	w->err = err;
	w->err_off = w->field_off;
	w->err_lines = w->field_lines;
	w->err_field = w->field;
	w->err_what = what;
	return CSV_WALK_ERR;
}

static enum csv_walk_res grow(struct csv_walk *w, unsigned n)
{
	w->field_len += n;
	if (w->field < w->ncols && w->field_len > w->max_field)
		return fail(w, DCR_ERR_TOO_BIG, "field over the size limit");
	return CSV_WALK_MORE;
}

static enum csv_walk_res next_field(struct csv_walk *w, uint64_t comma)
{
	w->nonempty = true;
	w->field++;
	w->field_off = comma + 1;
	w->field_lines = w->lines;
	w->field_len = 0;
	w->state = W_START;
	if (w->field >= w->max_fields)
		return fail(w, DCR_ERR_TOO_BIG, "too many fields");
	return CSV_WALK_MORE;
}

static enum csv_walk_res end_record(struct csv_walk *w, uint64_t end)
{
	w->end = end;
	w->fields = w->field + 1;
	return CSV_WALK_END;
}

enum csv_walk_res csv_walk_feed(struct csv_walk *w, const char *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		enum csv_walk_res res = CSV_WALK_MORE;

		switch (w->state) {
		case W_START:
			if (c == '"') {
				w->nonempty = true;
				w->state = W_QUOTED;
				break;
			}
			w->state = W_UNQUOTED;
			/* fall through */
		case W_UNQUOTED:
			if (c == ',') {
				res = next_field(w, off + i);
			} else if (c == '\n') {
				w->lines++;
				return end_record(w, off + i + 1);
			} else if (c == '\r') {
				w->state = W_CR;
			} else if (c == '"') {
				return fail(w, DCR_ERR_INVALID, "quote in an unquoted field");
			} else {
				w->nonempty = true;
				res = grow(w, 1);
			}
			break;
		case W_QUOTED:
			if (c == '"') {
				w->state = W_QUOTE;
				break;
			}
			if (c == '\n')
				w->lines++;
			res = grow(w, 1);
			break;
		case W_QUOTE: /* a quote inside quotes: escaped or closing */
			if (c == '"') {
				w->state = W_QUOTED;
				res = grow(w, 2);
			} else if (c == ',') {
				res = next_field(w, off + i);
			} else if (c == '\n') {
				w->lines++;
				return end_record(w, off + i + 1);
			} else if (c == '\r') {
				w->state = W_CR;
			} else {
				return fail(w, DCR_ERR_INVALID, "text after a closing quote");
			}
			break;
		case W_CR:
			if (c == '\n') {
				w->lines++;
				return end_record(w, off + i + 1);
			}
			return fail(w, DCR_ERR_INVALID,
			            "carriage return not followed by a line feed");
		}
		if (res != CSV_WALK_MORE)
			return res;
	}
	return CSV_WALK_MORE;
}

enum csv_walk_res csv_walk_eof(struct csv_walk *w, uint64_t off)
{
	if (w->state == W_QUOTED)
		return fail(w, DCR_ERR_INVALID, "quoted field not closed at the end of the file");
	/* a final line end is optional; a lone CR there counts as one */
	return end_record(w, off);
}

/* ---- scanning ---------------------------------------------------------- */

#if defined(__SSE2__)
static inline uint64_t mask64(const char *p, char ch)
{
	const __m128i c = _mm_set1_epi8(ch);
	uint64_t m0 = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), c));
	uint64_t m1 = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), c));
	uint64_t m2 = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), c));
	uint64_t m3 = (uint32_t)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), c));

	return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#else
static inline uint64_t mask64(const char *p, char ch)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < 64; i++)
		m |= (uint64_t)(p[i] == ch) << i;
	return m;
}
#endif

/* Baseline x86-64 has no popcnt instruction, and the libgcc call is slow. */
static inline unsigned popcount64(uint64_t x)
{
#if defined(__POPCNT__)
	return (unsigned)__builtin_popcountll(x);
#else
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* Bit i of the result: the XOR of bits 0..i of x. */
static inline uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

size_t csv_scan_last(const char *d, size_t from, size_t to, bool *inq)
{
	size_t i = from, e = to;
	unsigned parity = 0;
	bool state;

	/* the quote parity over the whole range: per byte lane, cheaply */
#if defined(__SSE2__)
	{
		const __m128i quote = _mm_set1_epi8('"');
		__m128i acc = _mm_setzero_si128();

		for (; i + 16 <= to; i += 16)
			acc = _mm_xor_si128(acc, _mm_cmpeq_epi8(
				_mm_loadu_si128((const __m128i *)(d + i)), quote));
		parity = popcount64((uint32_t)_mm_movemask_epi8(acc)) & 1;
	}
#endif
	for (; i < to; i++)
		parity ^= d[i] == '"';
	state = *inq ^ parity;
	*inq = state;

	/* then back from the end to the last '\n' outside quotes; the window
	 * nearest from may read past to, into the block's padding, masked off */
	while (e > from) {
		size_t s0 = e - from >= 64 ? e - 64 : from, w = e - s0;
		uint64_t valid = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
		uint64_t q = mask64(d + s0, '"') & valid, nl = mask64(d + s0, '\n') & valid;
		bool at_start = state ^ (popcount64(q) & 1);
		uint64_t x = prefix_xor(q) ^ (at_start ? ~(uint64_t)0 : 0);

		nl &= ~x;
		if (nl)
			return s0 + 64 - (size_t)__builtin_clzll(nl);
		state = at_start;
		e = s0;
	}
	return 0;
}

size_t csv_count_records(const char *d, size_t n, size_t *out_newlines)
{
	uint64_t inside = 0, start = 1, cr_start = 0;
	size_t count = 0, newlines = 0;

	for (size_t i = 0; i < n; i += 64) {
		uint64_t valid = n - i >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << (n - i)) - 1;
		uint64_t q = mask64(d + i, '"') & valid, nl = mask64(d + i, '\n') & valid;
		uint64_t cr = mask64(d + i, '\r') & valid;
		uint64_t x = prefix_xor(q) ^ inside;
		uint64_t ends = nl & ~x;                /* record ends */
		uint64_t starts = ends << 1 | start;    /* bytes that start a record */
		uint64_t crs = cr & ~x & starts;        /* a CR starting a record */
		uint64_t empty = (ends & starts) | ((crs << 1 | cr_start) & ends);

		inside = (uint64_t)0 - (x >> 63);
		count += popcount64(ends) - popcount64(empty);
		newlines += popcount64(nl);
		start = ends >> 63;
		cr_start = crs >> 63;
	}
	*out_newlines = newlines;
	return count;
}

size_t csv_count_newlines(const char *p, size_t n)
{
	size_t count = 0, i = 0;

	for (; i + 64 <= n; i += 64)
		count += popcount64(mask64(p + i, '\n'));
	for (; i < n; i++)
		count += p[i] == '\n';
	return count;
}

/* ---- messages ----------------------------------------------------------- */

void csv_show(char *out, size_t out_size, const char *p, size_t n)
{
	size_t o = 0, shown = n;
	bool cut = false;

	if (out_size < 8) {
		if (out_size)
			out[0] = '\0';
		return;
	}
	if (shown > CSV_SHOW_MAX) {
		shown = CSV_SHOW_MAX;
		/* not in the middle of a UTF-8 character */
		while (shown > 0 && ((unsigned char)p[shown] & 0xc0) == 0x80)
			shown--;
		cut = true;
	}
	out[o++] = '"';
	for (size_t i = 0; i < shown && o + 8 < out_size; i++) {
		unsigned char c = (unsigned char)p[i];

		switch (c) {
		case '"': o += (size_t)snprintf(out + o, out_size - o, "\\\""); break;
		case '\\': o += (size_t)snprintf(out + o, out_size - o, "\\\\"); break;
		case '\n': o += (size_t)snprintf(out + o, out_size - o, "\\n"); break;
		case '\r': o += (size_t)snprintf(out + o, out_size - o, "\\r"); break;
		case '\t': o += (size_t)snprintf(out + o, out_size - o, "\\t"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", c);
			else
				out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	if (cut && o + 4 <= out_size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

void csv_show_name(char *out, size_t out_size, const char *name)
{
	size_t n = strlen(name);
	bool plain = n > 0 && n <= CSV_SHOW_MAX;

	for (size_t i = 0; plain && i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ',';
	}
	if (plain)
		snprintf(out, out_size, "%s", name);
	else
		csv_show(out, out_size, name, n);
}
