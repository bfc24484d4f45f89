/* SPDX-License-Identifier: Apache-2.0 */
/* The CSV block parser: one block of whole records into per-column chunks,
 * typed values parsed as the fields are split. Anything unusual in a record
 * hands it to the record walker, which decides the error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "csv_int.h"

#define DELIMS ((UINT64_C(1) << ',') | (UINT64_C(1) << '\n') | (UINT64_C(1) << '\r'))

static inline bool is_delim(char c)
{
	unsigned u = (unsigned char)c;

	return u < 64 && ((DELIMS >> u) & 1);
}

static inline uint64_t load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The low k bytes of a word (k <= 8). */
static inline uint64_t low_bytes(size_t k)
{
	return k >= 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * k)) - 1;
}

/* The first ',', '\n', '\r' or '"' at or after p. Only on block data: the
 * block ends in '\n' and is padded, so the search ends and loads are safe. */
static inline const char *find_special(const char *p)
{
#if defined(__SSE2__)
	const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');

	for (;;) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i m = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
			_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, quote)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
#else
	while (!is_delim(*p) && *p != '"')
		p++;
	return p;
#endif
}

/* ---- values ------------------------------------------------------------ */

/* 64 hex digits (either case) at s into 32 bytes; false when one is not hex. */
static inline bool hex_id(const char *s, uint8_t *out)
{
#if defined(__SSE2__)
	const __m128i zero = _mm_set1_epi8('0'), a = _mm_set1_epi8('a');
	const __m128i lower = _mm_set1_epi8(0x20);
	const __m128i nine = _mm_set1_epi8(9), five = _mm_set1_epi8(5), ten = _mm_set1_epi8(10);
	const __m128i low = _mm_set1_epi16(0xff);
	__m128i nib[4];
	unsigned ok = 0xffff;

	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + 16 * i));
		__m128i d = _mm_sub_epi8(v, zero);
		__m128i l = _mm_sub_epi8(_mm_or_si128(v, lower), a);
		__m128i isd = _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d);
		__m128i isl = _mm_cmpeq_epi8(_mm_min_epu8(l, five), l);

		ok &= (unsigned)_mm_movemask_epi8(_mm_or_si128(isd, isl));
		nib[i] = _mm_or_si128(_mm_and_si128(isd, d),
		                      _mm_and_si128(isl, _mm_add_epi8(l, ten)));
	}
	if (ok != 0xffff)
		return false;
	for (int i = 0; i < 2; i++) {
		__m128i x = nib[2 * i], y = nib[2 * i + 1];

		/* each 16-bit lane holds [high nibble, low nibble] */
		x = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(x, 4), _mm_srli_epi16(x, 8)), low);
		y = _mm_and_si128(_mm_or_si128(_mm_slli_epi16(y, 4), _mm_srli_epi16(y, 8)), low);
		_mm_storeu_si128((__m128i *)(out + 16 * i), _mm_packus_epi16(x, y));
	}
	return true;
#else
	static const signed char hexval[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
		['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
		['F'] = 16,
	};
	int bad = 0;

	for (int i = 0; i < 32; i++) {
		int h = hexval[(unsigned char)s[2 * i]], l = hexval[(unsigned char)s[2 * i + 1]];

		bad |= (h == 0) | (l == 0);
		out[i] = (uint8_t)((h - 1) << 4 | (l - 1));
	}
	return !bad;
#endif
}

static const double pow10_exact[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Reads [+-]digits[.digits][(e|E)[+-]digits] (a digit somewhere before the
 * exponent) at p; returns its end, or NULL when p does not start one. When
 * *exact, *out is the correctly rounded value (Clinger's fast path: the
 * significand and the power of ten are both exact doubles, so one IEEE
 * operation rounds correctly); otherwise strtod must decide. */
static inline const char *scan_float(const char *p, double *out, bool *exact)
{
	bool neg = false, any = false, cut = false;
	uint64_t m = 0;
	int nd = 0;
	int64_t e10 = 0;
	unsigned d;

	*exact = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (*p == '0') {
		p++;
		any = true;
	}
	for (; (d = (unsigned)((unsigned char)*p - '0')) < 10; p++) {
		any = true;
		if (nd < 19) {
			m = m * 10 + d;
			nd++;
		} else {
			e10++;
			cut |= d != 0;
		}
	}
	if (*p == '.') {
		p++;
		if (nd == 0)
			for (; *p == '0'; p++) {
				e10--;
				any = true;
			}
		for (; (d = (unsigned)((unsigned char)*p - '0')) < 10; p++) {
			any = true;
			if (nd < 19) {
				m = m * 10 + d;
				nd++;
				e10--;
			} else {
				cut |= d != 0;
			}
		}
	}
	if (!any)
		return NULL;
	if ((*p | 0x20) == 'e') {
		const char *q = p + 1;
		bool eneg = false;
		int64_t x = 0;

		if (*q == '-' || *q == '+')
			eneg = *q++ == '-';
		if ((unsigned)((unsigned char)*q - '0') >= 10)
			return NULL;
		for (; (d = (unsigned)((unsigned char)*q - '0')) < 10; q++)
			if (x < 100000000)
				x = x * 10 + d;
		e10 += eneg ? -x : x;
		p = q;
	}
	if (cut)
		return p;
	if (m == 0) {
		*out = neg ? -0.0 : 0.0;
		*exact = true;
	} else if (m <= (UINT64_C(1) << 53)) {
		double v = (double)m;

		if (e10 >= -22 && e10 <= 22) {
			v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
			*out = neg ? -v : v;
			*exact = true;
		} else if (e10 > 22 && e10 <= 22 + 15) {
			/* move the excess power into the significand while it stays exact */
			uint64_t mm = m;

			for (int64_t k = e10 - 22; k > 0 && mm <= (UINT64_C(1) << 53); k--)
				mm *= 10;
			if (mm <= (UINT64_C(1) << 53)) {
				v = (double)mm * 1e22;
				*out = neg ? -v : v;
				*exact = true;
			}
		}
	}
	return p;
}

enum csv_num csv_parse_int(const char *p, size_t len, int64_t *out)
{
	const char *e = p + len;
	bool neg = false, over = false;
	uint64_t v = 0;

	*out = 0;
	if (p < e && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (p == e)
		return CSV_NUM_BAD;
	for (; p < e; p++) {
		unsigned d = (unsigned)((unsigned char)*p - '0');

		if (d > 9)
			return CSV_NUM_BAD;
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (over || v > (uint64_t)INT64_MAX + neg)
		return CSV_NUM_RANGE;
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return CSV_NUM_OK;
}

enum csv_num csv_parse_float(const char *p, size_t len, double *out, char *tmp)
{
	bool exact;
	const char *e = scan_float(p, out, &exact);

	if (!e || (size_t)(e - p) != len) {
		*out = 0;
		return CSV_NUM_BAD;
	}
	if (!exact) {
		/* the process runs in the C locale; the syntax was checked above */
		memcpy(tmp, p, len);
		tmp[len] = '\0';
		*out = strtod(tmp, NULL);
	}
	if (isinf(*out)) {
		*out = 0;
		return CSV_NUM_RANGE;
	}
	return CSV_NUM_OK;
}

unsigned csv_fit(const char *p, size_t len, char *tmp)
{
	unsigned fit = 0;
	int64_t i;
	double f;
	int32_t day;

	if (csv_parse_int(p, len, &i) == CSV_NUM_OK)
		fit |= CSV_FIT_INT;
	if (csv_parse_float(p, len, &f, tmp) == CSV_NUM_OK)
		fit |= CSV_FIT_FLOAT;
	if (len == 10 && dcr_date_parse(p, len, &day) == DCR_OK)
		fit |= CSV_FIT_DATE;
	return fit;
}

/* ---- block dictionaries ------------------------------------------------ */

/* Strings here are padded (block data or padded scratch), so short ones are
 * hashed and compared with whole-word loads. Seeded against flooding. */
static inline uint64_t bhash(const char *p, uint32_t n, uint64_t seed)
{
	if (n <= 8) /* the length in the top byte: only lengths 8 and n collide */
		return engine_mix((load64(p) & low_bytes(n)) ^ seed ^ ((uint64_t)n << 56));
	if (n <= 16) {
		uint64_t a = load64(p), b = load64(p + 8) & low_bytes(n - 8);

		return engine_mix(engine_mix(a ^ seed ^ ((uint64_t)n << 56)) ^ b);
	}
	return engine_hash_bytes(p, n, seed);
}

static inline bool str_eq(const char *x, const char *y, uint32_t n)
{
	if (n <= 16) {
		uint64_t lo = low_bytes(n), hi = low_bytes(n > 8 ? n - 8 : 0);

		return ((load64(x) ^ load64(y)) & lo) == 0 &&
		       ((load64(x + 8) ^ load64(y + 8)) & hi) == 0;
	}
	return memcmp(x, y, n) == 0;
}

static enum dcr_err bdict_reset(struct csv_bdict *d)
{
	if (!d->slots) {
		d->slots = calloc(64, sizeof(*d->slots));
		if (!d->slots)
			return DCR_ERR_NOMEM;
		d->mask = 63;
	} else if (d->count) {
		memset(d->slots, 0, ((size_t)d->mask + 1) * sizeof(*d->slots));
	}
	d->count = 0;
	for (size_t i = 0; i < sizeof(d->recent) / sizeof(d->recent[0]); i++)
		d->recent[i].len = UINT32_MAX;
	return DCR_OK;
}

static void bdict_free(struct csv_bdict *d)
{
	free(d->slots);
	free(d->strs);
	free(d->hashes);
	memset(d, 0, sizeof(*d));
}

static enum dcr_err bdict_grow(struct csv_bdict *d)
{
	uint32_t n = (d->mask + 1) * 2, mask = n - 1;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return DCR_ERR_NOMEM;
	for (uint32_t c = 0; c < d->count; c++) {
		uint32_t i = (uint32_t)(d->hashes[c] >> 32) & mask;

		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = c + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->mask = mask;
	return DCR_OK;
}

static enum dcr_err bdict_add(struct csv_bdict *d, const char *p, uint32_t n, uint64_t seed,
                              uint32_t *out)
{
	uint64_t h = bhash(p, n, seed);
	uint32_t i = (uint32_t)(h >> 32) & d->mask;

	for (;;) {
		uint32_t c = d->slots[i];

		if (!c)
			break;
		c--;
		if (d->hashes[c] == h && d->strs[c].len == n && str_eq(d->strs[c].ptr, p, n)) {
			*out = c;
			return DCR_OK;
		}
		i = (i + 1) & d->mask;
	}
	if (d->count == d->cap) {
		/* a block holds far fewer than 2^31 values */
		uint32_t cap = d->cap ? d->cap * 2 : 64;
		struct dcr_str *strs = realloc(d->strs, (size_t)cap * sizeof(*strs));

		if (!strs)
			return DCR_ERR_NOMEM;
		d->strs = strs;
		uint64_t *hashes = realloc(d->hashes, (size_t)cap * sizeof(*hashes));

		if (!hashes)
			return DCR_ERR_NOMEM;
		d->hashes = hashes;
		d->cap = cap;
	}
	d->strs[d->count] = (struct dcr_str){p, n};
	d->hashes[d->count] = h;
	d->slots[i] = d->count + 1;
	*out = d->count++;
	if ((uint64_t)d->count * 2 > (uint64_t)d->mask + 1)
		return bdict_grow(d);
	return DCR_OK;
}

static inline enum dcr_err bdict_intern(struct csv_bdict *d, const char *p, uint32_t n,
                                        uint64_t seed, uint32_t *out)
{
	if (n <= 8) {
		uint64_t w = load64(p) & low_bytes(n);
		/* a fixed-size cache: a poor spread costs misses, never more */
		unsigned i = (unsigned)(((w ^ n) * 0x9e3779b97f4a7c15ULL) >> 58);
		enum dcr_err err;

		if (d->recent[i].word == w && d->recent[i].len == n) {
			*out = d->recent[i].code;
			return DCR_OK;
		}
		err = bdict_add(d, p, n, seed, out);
		if (!err) {
			d->recent[i].word = w;
			d->recent[i].len = n;
			d->recent[i].code = *out;
		}
		return err;
	}
	return bdict_add(d, p, n, seed, out);
}

/* ---- the parser -------------------------------------------------------- */

static inline size_t kind_width(unsigned kind)
{
	switch (kind) {
	case CSV_INT:
	case CSV_FLOAT: return 8;
	case CSV_ID: return DCR_ID_SIZE;
	default: return 4;
	}
}

static enum dcr_err prepare(const struct csv_schema *s, struct csv_block *b)
{
	size_t need = b->counted + 1;
	enum dcr_err err;

	if (s->nload && !b->chunks) {
		b->chunks = calloc(s->nload, sizeof(*b->chunks));
		if (!b->chunks)
			return DCR_ERR_NOMEM;
	}
	if (need > b->rows_cap) {
		for (size_t i = 0; i < s->nload; i++) {
			uint8_t *nulls = realloc(b->chunks[i].nulls, need);

			if (!nulls)
				return DCR_ERR_NOMEM;
			b->chunks[i].nulls = nulls;
		}
		b->rows_cap = need;
	}
	for (size_t i = 0; i < s->nload; i++) {
		struct csv_chunk *c = &b->chunks[i];
		unsigned kind = s->kinds[s->load_hdr[i]];

		c->has_null = false;
		c->fit = CSV_FIT_ALL;
		c->has_value = false;
		if (kind == CSV_STRING || kind == CSV_INFER) {
			err = bdict_reset(&c->dict);
			if (err)
				return err;
		}
	}
	dcr_arena_free(&b->strings);
	dcr_arena_init(&b->strings, SIZE_MAX);
	return DCR_OK;
}

void csv_block_free_parse(struct csv_block *b, size_t nload)
{
	if (b->chunks) {
		for (size_t i = 0; i < nload; i++) {
			free(b->chunks[i].nulls);
			free(b->chunks[i].remap);
			bdict_free(&b->chunks[i].dict);
		}
	}
	free(b->chunks);
	b->chunks = NULL;
	b->rows_cap = 0;
	dcr_arena_free(&b->strings);
	free(b->tmp);
	b->tmp = NULL;
	b->tmp_cap = 0;
}

static inline void set_null(struct csv_block *b, struct csv_chunk *c, size_t row, size_t width)
{
	if (!c->has_null) {
		/* the whole capacity, so that later values need not write 0 */
		memset(c->nulls, 0, b->rows_cap);
		c->has_null = true;
	}
	c->nulls[row] = 1;
	memset((char *)c->vals + row * width, 0, width);
}

/* A field as split: its content, and whether it was quoted and holds "". */
struct field {
	const char *ptr;
	size_t len;
	bool quoted, escaped;
};

/* Splits the field at f. Returns the delimiter after it, or NULL when the
 * field is malformed (the walker will say how). */
static inline const char *split(const char *f, const char *end, struct field *out)
{
	if (*f == '"') {
		const char *q = f + 1;
		bool esc = false;

		for (;;) {
			q = memchr(q, '"', (size_t)(end - q));
			if (!q)
				return NULL;
			if (q[1] != '"')
				break;
			esc = true;
			q += 2;
		}
		*out = (struct field){f + 1, (size_t)(q - f - 1), true, esc};
		return is_delim(q[1]) ? q + 1 : NULL;
	}
	const char *q = find_special(f);

	*out = (struct field){f, (size_t)(q - f), false, false};
	return *q == '"' ? NULL : q;
}

static bool reserve_tmp(struct csv_block *b, size_t n)
{
	if (n <= b->tmp_cap)
		return true;
	char *t = realloc(b->tmp, n);

	if (!t)
		return false;
	b->tmp = t;
	b->tmp_cap = n;
	return true;
}

/* The content of a quoted field with "" escapes, unescaped into dst (which
 * holds len + 16 bytes: the padding that word loads need). */
static size_t unescape(char *dst, const struct field *fd)
{
	size_t n = 0;

	for (size_t i = 0; i < fd->len; i++) {
		dst[n++] = fd->ptr[i];
		if (fd->ptr[i] == '"')
			i++;
	}
	memset(dst + n, 0, 16);
	return n;
}

/* A value error: reported unless the walker finds the record malformed. */
struct verr {
	enum dcr_err code;
	size_t pos;
	char text[DCR_MSG_SIZE];
};

static void value_error(const struct csv_schema *s, struct verr *ve, size_t k, const char *f0,
                        const char *what, const char *p, size_t n, const char *base)
{
	char name[96], shown[192];

	csv_show_name(name, sizeof(name), s->names[k]);
	csv_show(shown, sizeof(shown), p, n);
	ve->code = DCR_ERR_INVALID;
	ve->pos = (size_t)(f0 - base);
	if (s->hide_values)
		snprintf(ve->text, sizeof(ve->text), ", column %s: %.200s", name, what);
	else
		snprintf(ve->text, sizeof(ve->text), ", column %s: %.200s: %s", name, what, shown);
}

/* The general path for the field of header column k at f: quoted fields,
 * NULLs, unusual numbers, non-hex ids. Returns the delimiter after the field,
 * or NULL for the walker (with *ve set when a value is to blame, or with
 * ve->code DCR_ERR_NOMEM and the like when the block must stop at once). */
static const char *field_slow(const struct csv_schema *s, struct csv_block *b, size_t k,
                              const char *f, const char *end, size_t row, struct verr *ve)
{
	unsigned kind = s->kinds[k];
	struct csv_chunk *c = kind == CSV_SKIP ? NULL : &b->chunks[s->slots[k]];
	struct field fd;
	const char *q = split(f, end, &fd);
	const char *t;
	size_t n;

	if (!q || fd.len > s->max_field)
		return NULL;
	if (kind == CSV_SKIP)
		return q;
	if (fd.len == 0 && (!fd.quoted || (kind != CSV_STRING && kind != CSV_INFER))) {
		set_null(b, c, row, kind_width(kind));
		return q;
	}
	t = fd.ptr;
	n = fd.len;
	if (kind == CSV_STRING || kind == CSV_INFER) {
		uint32_t code;

		if (fd.escaped) {
			char *dst = dcr_arena_alloc(&b->strings, fd.len + 16);

			if (!dst)
				goto nomem;
			n = unescape(dst, &fd);
			t = dst;
		}
		if (bdict_intern(&c->dict, t, (uint32_t)n, s->seed, &code) != DCR_OK)
			goto nomem;
		((uint32_t *)c->vals)[row] = code;
		return q;
	}
	/* typed values parse from a NUL-terminated copy with room for the
	 * readers' lookahead */
	if (!reserve_tmp(b, 2 * fd.len + 96))
		goto nomem;
	if (fd.escaped)
		n = unescape(b->tmp, &fd);
	else
		memcpy(b->tmp, fd.ptr, n);
	memset(b->tmp + n, 0, 80);
	t = b->tmp;
	char *scratch = b->tmp + fd.len + 80;

	switch (kind) {
	case CSV_INT: {
		int64_t v;
		enum csv_num r = csv_parse_int(t, n, &v);

		if (r != CSV_NUM_OK) {
			value_error(s, ve, k, f,
			            r == CSV_NUM_RANGE ? "int out of range" : "not an int", t, n,
			            b->data);
			return NULL;
		}
		((int64_t *)c->vals)[row] = v;
		return q;
	}
	case CSV_FLOAT: {
		double v;
		enum csv_num r = csv_parse_float(t, n, &v, scratch);

		if (r != CSV_NUM_OK) {
			value_error(s, ve, k, f,
			            r == CSV_NUM_RANGE ? "float out of range" : "not a float", t, n,
			            b->data);
			return NULL;
		}
		((double *)c->vals)[row] = v;
		return q;
	}
	case CSV_DATE: {
		int32_t v;

		if (dcr_date_parse(t, n, &v) != DCR_OK) {
			value_error(s, ve, k, f, "not a date (YYYY-MM-DD)", t, n, b->data);
			return NULL;
		}
		((int32_t *)c->vals)[row] = v;
		return q;
	}
	case CSV_ID: {
		uint8_t *out = (uint8_t *)c->vals + row * DCR_ID_SIZE;
		struct dcr_msg m = {{0}};
		enum dcr_err err;

		if (n == 2 * DCR_ID_SIZE && hex_id(t, out))
			return q;
		if (!s->id_fn) {
			value_error(s, ve, k, f, "not an id: must be 64 hex digits", t, n, b->data);
			return NULL;
		}
		err = s->id_fn(s->id_ctx, t, n, out, &m);
		if (err == DCR_OK)
			return q;
		if (err == DCR_ERR_INVALID) {
			char what[DCR_MSG_SIZE];

			snprintf(what, sizeof(what), "not an id (%.300s)",
			         m.text[0] ? m.text : "invalid");
			value_error(s, ve, k, f, what, t, n, b->data);
			return NULL;
		}
		/* the function itself failed: no point looking at the record */
		ve->code = err;
		ve->pos = (size_t)(f - b->data);
		snprintf(ve->text, sizeof(ve->text), ": %.400s",
		         m.text[0] ? m.text : dcr_strerror(err));
		return NULL;
	}
	}
	return NULL;
nomem:
	ve->code = DCR_ERR_NOMEM;
	ve->pos = (size_t)(f - b->data);
	snprintf(ve->text, sizeof(ve->text), ": out of memory");
	return NULL;
}

/* The record at rec has a problem: the walker decides which one. */
static void record_error(const struct csv_schema *s, struct csv_block *b, const char *rec,
                         const struct verr *ve)
{
	struct csv_error *e = &b->err;
	size_t roff = (size_t)(rec - b->data);
	struct csv_walk w;
	enum csv_walk_res res;
	char name[96];

	if (ve->code != DCR_OK && ve->code != DCR_ERR_INVALID) {
		e->code = ve->code;
		e->pos = ve->pos;
		memcpy(e->text, ve->text, sizeof(e->text));
		return;
	}
	csv_walk_init(&w, s->ncols, SIZE_MAX, s->max_field, roff);
	res = csv_walk_feed(&w, rec, b->real_size - roff, roff);
	if (res == CSV_WALK_MORE)
		res = csv_walk_eof(&w, b->real_size);
	if (res == CSV_WALK_ERR) {
		e->code = w.err;
		e->pos = (size_t)w.err_off;
		if (w.err_field < s->ncols) {
			csv_show_name(name, sizeof(name), s->names[w.err_field]);
			snprintf(e->text, sizeof(e->text), ", column %s: %s", name, w.err_what);
		} else {
			snprintf(e->text, sizeof(e->text), ", field %llu: %s",
			         (unsigned long long)w.err_field + 1, w.err_what);
		}
		if (w.err == DCR_ERR_TOO_BIG)
			snprintf(e->text + strlen(e->text), sizeof(e->text) - strlen(e->text),
			         " (%zu bytes)", s->max_field);
	} else if (w.fields != s->ncols) {
		e->code = DCR_ERR_INVALID;
		e->pos = roff;
		snprintf(e->text, sizeof(e->text), ": %llu field%s, the header has %zu",
		         (unsigned long long)w.fields, w.fields == 1 ? "" : "s", s->ncols);
	} else if (ve->code != DCR_OK) {
		e->code = ve->code;
		e->pos = ve->pos;
		memcpy(e->text, ve->text, sizeof(e->text));
	} else {
		/* the fast paths refused a record the walker accepts: a bug */
		e->code = DCR_ERR_INTERNAL;
		e->pos = roff;
		snprintf(e->text, sizeof(e->text), ": internal error: the CSV parser and its "
		                                   "record walker disagree");
	}
}

static void classify(const struct csv_schema *s, struct csv_block *b)
{
	for (size_t i = 0; i < s->nload; i++) {
		struct csv_chunk *c = &b->chunks[i];

		if (s->kinds[s->load_hdr[i]] != CSV_INFER)
			continue;
		for (uint32_t code = 0; code < c->dict.count; code++) {
			struct dcr_str str = c->dict.strs[code];

			if (str.len == 0) /* "" fits every type: it is NULL unless a string */
				continue;
			c->has_value = true;
			if (!reserve_tmp(b, (size_t)str.len + 1)) {
				b->err.code = DCR_ERR_NOMEM;
				b->err.pos = 0;
				snprintf(b->err.text, sizeof(b->err.text), ": out of memory");
				return;
			}
			c->fit &= csv_fit(str.ptr, str.len, b->tmp);
			if (!c->fit)
				break;
		}
	}
}

void csv_parse_block(const struct csv_schema *s, struct csv_block *b)
{
	const char *p = b->data, *end = b->data + b->size, *rec = p;
	const size_t ncols = s->ncols, maxf = s->max_field;
	const uint8_t *kinds = s->kinds;
	const int32_t *slots = s->slots;
	struct verr ve;
	size_t row = 0;

	ve.code = DCR_OK;
	b->rows = 0;
	b->err.code = DCR_OK;
	if (prepare(s, b) != DCR_OK) {
		b->err.code = DCR_ERR_NOMEM;
		b->err.pos = 0;
		snprintf(b->err.text, sizeof(b->err.text), ": out of memory");
		return;
	}
	while (p < end) {
		rec = p;
		if (*p == '\n') {
			p++;
			continue;
		}
		if (*p == '\r' && p[1] == '\n') {
			p += 2;
			continue;
		}
		/* the values have room for the counted rows only; a record past
		 * them is malformed (the count follows the quotes as the parser
		 * does until the first malformed field) */
		if (row == b->counted)
			goto bad;
		for (size_t k = 0;; k++) {
			const char *f = p;
			unsigned kind = kinds[k];
			struct csv_chunk *c = kind == CSV_SKIP ? NULL : &b->chunks[slots[k]];

			switch (kind) {
			case CSV_SKIP:
				if (*f != '"') {
					const char *q = find_special(f);

					if (*q != '"' && (size_t)(q - f) <= maxf) {
						p = q;
						goto next;
					}
				}
				break;
			case CSV_STRING:
			case CSV_INFER:
				if (*f != '"') {
					const char *q = find_special(f);
					uint32_t code;

					if (q == f) {
						set_null(b, c, row, 4);
						p = q;
						goto next;
					}
					if (*q != '"' && (size_t)(q - f) <= maxf) {
						if (bdict_intern(&c->dict, f, (uint32_t)(q - f),
						                 s->seed, &code) != DCR_OK) {
							ve.code = DCR_ERR_NOMEM;
							ve.pos = (size_t)(f - b->data);
							snprintf(ve.text, sizeof(ve.text),
							         ": out of memory");
							goto bad;
						}
						((uint32_t *)c->vals)[row] = code;
						p = q;
						goto next;
					}
				}
				break;
			case CSV_INT: {
				const char *q = f, *digits;
				uint64_t v = 0;
				bool neg = false;
				unsigned d;

				if (*q == '-' || *q == '+')
					neg = *q++ == '-';
				digits = q;
				for (; (d = (unsigned)((unsigned char)*q - '0')) < 10; q++)
					v = v * 10 + d;
				/* 18 digits cannot overflow; longer ones take the slow path */
				if (q > digits && q - digits <= 18 && is_delim(*q) &&
				    (size_t)(q - f) <= maxf) {
					((int64_t *)c->vals)[row] = neg ? -(int64_t)v : (int64_t)v;
					p = q;
					goto next;
				}
				if (q == f && is_delim(*q)) {
					set_null(b, c, row, 8);
					p = q;
					goto next;
				}
				break;
			}
			case CSV_FLOAT: {
				double v;
				bool exact;
				const char *q = scan_float(f, &v, &exact);

				if (q && exact && is_delim(*q) && (size_t)(q - f) <= maxf) {
					((double *)c->vals)[row] = v;
					p = q;
					goto next;
				}
				if (is_delim(*f)) {
					set_null(b, c, row, 8);
					p = f;
					goto next;
				}
				break;
			}
			case CSV_DATE: {
				int32_t v;

				if (is_delim(f[10]) && maxf >= 10 &&
				    dcr_date_parse(f, 10, &v) == DCR_OK) {
					((int32_t *)c->vals)[row] = v;
					p = f + 10;
					goto next;
				}
				if (is_delim(*f)) {
					set_null(b, c, row, 4);
					p = f;
					goto next;
				}
				break;
			}
			case CSV_ID:
				if (is_delim(f[2 * DCR_ID_SIZE]) && maxf >= 2 * DCR_ID_SIZE &&
				    hex_id(f, (uint8_t *)c->vals + row * DCR_ID_SIZE)) {
					p = f + 2 * DCR_ID_SIZE;
					goto next;
				}
				if (is_delim(*f)) {
					set_null(b, c, row, DCR_ID_SIZE);
					p = f;
					goto next;
				}
				break;
			}
			p = field_slow(s, b, k, f, end, row, &ve);
			if (!p)
				goto bad;
next:
			if (*p == ',') {
				if (k + 1 == ncols)
					goto bad;
				p++;
				continue;
			}
			if (k + 1 != ncols)
				goto bad;
			if (*p == '\r') {
				if (p[1] != '\n')
					goto bad;
				p++;
			}
			p++;
			break;
		}
		row++;
	}
	b->rows = row;
	classify(s, b);
	return;
bad:
	b->rows = row;
	record_error(s, b, rec, &ve);
}
