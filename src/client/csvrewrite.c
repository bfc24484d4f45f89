/* SPDX-License-Identifier: Apache-2.0 */
/* The id rewriter: a streaming RFC 4180 record splitter that replaces each
 * id field by the SHA-256 of its normalised value before a CSV leaves the
 * party's machine. Memory is bounded by one record, whatever the file. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_int.h"

#define DEFAULT_MAX_FIELD (1u << 20)
#define DEFAULT_MAX_RECORD (16u << 20)
#define HLL_BITS 14
#define HLL_SIZE (1u << HLL_BITS)

enum state {
	ST_FIELD,    /* at the start of a field */
	ST_PLAIN,    /* inside an unquoted field */
	ST_QUOTED,   /* inside a quoted field */
	ST_QUOTE,    /* a quote inside a quoted field: closes it, or "" */
	ST_CR,       /* a CR outside quotes: only LF may follow */
};

/* Where a header field's decoded name sits in names. */
struct hname {
	size_t off, len;
};

struct dcr_id_rewriter {
	const struct dcr_dataset *ds;
	size_t max_field, max_record;
	dcr_sink_fn sink;
	void *sink_ctx;

	uint8_t head[3];        /* the first bytes, until we know if they are a BOM */
	size_t head_count;
	bool head_done;

	enum state st;
	uint64_t line;          /* physical line of the next byte, from 1 */
	uint64_t rec_line;      /* line the current record started on */
	bool rec_started;       /* the record has a byte other than its line end */
	size_t field;           /* index of the current field in its record */
	size_t field_size;      /* content bytes of the current field so far */
	bool in_id;             /* the current field is the id */
	struct dcr_buf rec;     /* the record as rewritten so far */
	struct dcr_buf value;   /* the current id field or header name, decoded */

	bool header_done;
	struct dcr_buf names;   /* the header's decoded names */
	struct hname *hnames;   /* column_count of them */
	size_t id_index;        /* the id's position in the header */
	bool row_empty_id;
	enum dcr_err pending;   /* a value error, reported after the record's shape */
	struct dcr_msg pending_msg;

	struct dcr_sha256_ctx hash;
	uint8_t hll[HLL_SIZE];
	struct dcr_id_rewriter_stats stats;
	enum dcr_err failed;    /* sticky */
	struct dcr_msg failed_msg;
	bool finished;
};

enum dcr_err dcr_id_rewriter_new(const struct dcr_dataset *ds,
                                 const struct dcr_id_rewriter_options *opts, dcr_sink_fn sink,
                                 void *sink_ctx, struct dcr_id_rewriter **out)
{
	struct dcr_id_rewriter *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return DCR_ERR_NOMEM;
	r->hnames = calloc(ds->column_count ? ds->column_count : 1, sizeof(*r->hnames));
	if (!r->hnames) {
		free(r);
		return DCR_ERR_NOMEM;
	}
	r->ds = ds;
	r->max_field = opts && opts->max_field_size ? opts->max_field_size : DEFAULT_MAX_FIELD;
	r->max_record = opts && opts->max_record_size ? opts->max_record_size : DEFAULT_MAX_RECORD;
	r->sink = sink;
	r->sink_ctx = sink_ctx;
	r->st = ST_FIELD;
	r->line = r->rec_line = 1;
	dcr_buf_init(&r->rec, r->max_record);
	/* a quoted value may need its bytes between quotes, plus nothing more */
	dcr_buf_init(&r->value, r->max_field);
	/* every name was a field, so no bigger than all fields together */
	dcr_buf_init(&r->names, r->max_record);
	dcr_sha256_init(&r->hash);
	*out = r;
	return DCR_OK;
}

void dcr_id_rewriter_free(struct dcr_id_rewriter *r)
{
	if (!r)
		return;
	dcr_buf_free(&r->rec);
	dcr_buf_free(&r->value);
	dcr_buf_free(&r->names);
	dcr_sha256_discard(&r->hash);
	free(r->hnames);
	free(r);
}

bool dcr_id_rewriter_header_done(const struct dcr_id_rewriter *r)
{
	return r->header_done;
}

/* Natural logarithm of x > 0, without libm (the library does not link
 * it): x = m * 2^e with m in [1, 2), ln m = 2 atanh((m - 1) / (m + 1)). */
static double ln(double x)
{
	const double ln2 = 0.69314718055994530942;
	double z, z2, term, sum = 0;
	int e = 0;

	while (x >= 2) {
		x /= 2;
		e++;
	}
	while (x < 1) {
		x *= 2;
		e--;
	}
	z = (x - 1) / (x + 1);
	z2 = z * z;
	term = z;
	for (int k = 0; k < 30; k++) {
		sum += term / (2 * k + 1);
		term *= z2;
	}
	return e * ln2 + 2 * sum;
}

static uint64_t hll_estimate(const uint8_t *reg)
{
	double sum = 0, m = HLL_SIZE, e;
	size_t zeros = 0;

	for (size_t i = 0; i < HLL_SIZE; i++) {
		double p = 1.0;

		for (uint8_t j = 0; j < reg[i]; j++)
			p /= 2;
		sum += p;
		zeros += reg[i] == 0;
	}
	e = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
	/* small counts: linear counting is far closer */
	if (e <= 2.5 * m && zeros)
		e = m * ln(m / (double)zeros);
	return (uint64_t)(e + 0.5);
}

void dcr_id_rewriter_stats(const struct dcr_id_rewriter *r, struct dcr_id_rewriter_stats *out)
{
	*out = r->stats;
	out->distinct_ids = hll_estimate(r->hll);
}

static void hll_add(uint8_t *reg, const uint8_t id[static 32])
{
	/* ids are SHA-256 outputs: their bits are already uniform */
	unsigned idx = ((unsigned)id[0] << 6) | (id[1] >> 2);
	uint64_t w = 0;
	uint8_t rank;

	for (int i = 2; i < 10; i++)
		w = (w << 8) | id[i];
	rank = (uint8_t)(w ? __builtin_clzll(w) + 1 : 65);
	if (reg[idx] < rank)
		reg[idx] = rank;
}

static enum dcr_err fail(struct dcr_id_rewriter *r, struct dcr_msg *msg, enum dcr_err err,
                         const char *fmt, ...) DCR_PRINTF(4, 5);

static enum dcr_err fail(struct dcr_id_rewriter *r, struct dcr_msg *msg, enum dcr_err err,
                         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->failed_msg.text, sizeof(r->failed_msg.text), fmt, ap);
	va_end(ap);
	r->failed = err;
	if (msg)
		*msg = r->failed_msg;
	return err;
}

/* The header name of field k (after the header) for messages. */
static const char *column_of(const struct dcr_id_rewriter *r, size_t k, char *buf, size_t size)
{
	if (!r->header_done || k >= r->ds->column_count) {
		snprintf(buf, size, "%zu", k + 1);
		return buf;
	}
	snprintf(buf, size, "%.*s", (int)(r->hnames[k].len > 100 ? 100 : r->hnames[k].len),
	         (const char *)r->names.data + r->hnames[k].off);
	return buf;
}

static enum dcr_err rec_add(struct dcr_id_rewriter *r, const void *p, size_t n,
                            struct dcr_msg *msg)
{
	enum dcr_err err;

	if (!n)
		return DCR_OK;
	err = dcr_buf_append(&r->rec, p, n);
	if (err == DCR_ERR_TOO_BIG)
		return fail(r, msg, err, "line %llu: a record over the limit of %zu bytes",
		            (unsigned long long)r->rec_line, r->max_record);
	if (err)
		return fail(r, msg, err, "out of memory");
	return DCR_OK;
}

static enum dcr_err emit(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	enum dcr_err err = rec_add(r, "\n", 1, msg);

	if (err)
		return err;
	dcr_sha256_update(&r->hash, r->rec.data, r->rec.size);
	r->stats.bytes_out += r->rec.size;
	err = r->sink(r->sink_ctx, r->rec.data, r->rec.size);
	if (err)
		return fail(r, msg, err, "cannot pass the data on: %s", dcr_strerror(err));
	return DCR_OK;
}

static bool all_space(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' || p[i] == '\v' ||
		      p[i] == '\f'))
			return false;
	return true;
}

/* The id field just ended: its decoded value is in r->value. */
static enum dcr_err end_id(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	const struct dcr_contract_column *col = &r->ds->columns[r->ds->id_column];
	uint8_t id[DCR_ID_SIZE_BYTES];
	char hex[65], name[128];
	struct dcr_msg why = {{0}};
	bool given = r->value.size == 64;

	if (all_space(r->value.data, r->value.size)) {
		r->row_empty_id = true;
		return DCR_OK;
	}
	bool lower = given;

	for (size_t i = 0; given && i < 64; i++) {
		uint8_t c = r->value.data[i];

		lower = lower && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
		given = lower || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		        (c >= 'A' && c <= 'F');
	}
	if (lower) {
		/* already as the clean room wants it: passed on as it is; the
		 * estimate of distinct ids needs only its first bytes */
		memset(id, 0, sizeof(id));
		if (dcr_hex_decode(id, 10, (const char *)r->value.data, 20) != DCR_OK)
			return fail(r, msg, DCR_ERR_INTERNAL, "hex digits that do not decode");
		r->stats.ids_given_hashed++;
		hll_add(r->hll, id);
		return rec_add(r, r->value.data, 64, msg);
	}
	if (dcr_id_normalize(col->normalize, (const char *)r->value.data, r->value.size, id,
	                     &why) != DCR_OK) {
		if (!r->pending) {
			r->pending = DCR_ERR_INVALID;
			dcr_msg_set(&r->pending_msg, "line %llu, column %s: %s",
			            (unsigned long long)r->rec_line,
			            column_of(r, r->id_index, name, sizeof(name)), why.text);
		}
		/* keep the record's shape right for the structural checks */
		memset(id, 0, sizeof(id));
	}
	if (given)
		r->stats.ids_given_hashed++;
	else
		r->stats.ids_hashed++;
	hll_add(r->hll, id);
	dcr_hex_encode(hex, id, sizeof(id));
	return rec_add(r, hex, 64, msg);
}

static enum dcr_err end_field(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	size_t ncols = r->ds->column_count;

	if (!r->header_done) {
		if (r->field >= ncols)
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: the header has more fields than the %zu columns of "
			            "dataset %s",
			            (unsigned long long)r->rec_line, ncols, r->ds->name);
		r->hnames[r->field].off = r->names.size;
		r->hnames[r->field].len = r->value.size;
		err = dcr_buf_append(&r->names, r->value.data ? r->value.data : (uint8_t *)"",
		                     r->value.size);
		if (err)
			return fail(r, msg, err, "line %llu: the header is too long",
			            (unsigned long long)r->rec_line);
	} else if (r->in_id) {
		err = end_id(r, msg);
	}
	dcr_buf_reset(&r->value);
	r->field_size = 0;
	return err;
}

/* Starts field k of a data row (or of the header). */
static enum dcr_err start_field(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	if (r->header_done && r->field >= r->ds->column_count)
		return fail(r, msg, DCR_ERR_INVALID,
		            "line %llu: more fields than the header's %zu",
		            (unsigned long long)r->rec_line, r->ds->column_count);
	r->in_id = r->header_done && r->field == r->id_index;
	return DCR_OK;
}

static enum dcr_err check_header(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	const struct dcr_dataset *ds = r->ds;
	size_t count = r->field + 1;
	bool seen[DCR_CONTRACT_MAX_COLUMNS] = {false};

	for (size_t k = 0; k < count; k++) {
		const char *name = (const char *)r->names.data + r->hnames[k].off;
		size_t len = r->hnames[k].len;
		size_t c;

		for (c = 0; c < ds->column_count; c++)
			if (strlen(ds->columns[c].name) == len &&
			    !strncasecmp(ds->columns[c].name, name, len))
				break;
		if (c == ds->column_count) {
			char cols[256] = "";

			for (size_t j = 0; j < ds->column_count && strlen(cols) < 200; j++)
				snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols), "%s%s",
				         j ? ", " : "", ds->columns[j].name);
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: the header's column \"%.*s\" is not a column of "
			            "dataset %s (its columns: %s)",
			            (unsigned long long)r->rec_line, (int)(len > 100 ? 100 : len), name,
			            ds->name, cols);
		}
		if (seen[c])
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: the header names column %s twice",
			            (unsigned long long)r->rec_line, ds->columns[c].name);
		seen[c] = true;
		if (c == ds->id_column)
			r->id_index = k;
	}
	for (size_t c = 0; c < ds->column_count; c++)
		if (!seen[c])
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: the header lacks column %s of dataset %s",
			            (unsigned long long)r->rec_line, ds->columns[c].name, ds->name);
	r->header_done = true;
	return DCR_OK;
}

static enum dcr_err end_record(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	enum dcr_err err;

	if (!r->rec_started) {
		/* an empty line: skipped, as the clean room's reader does */
		goto next;
	}
	if ((err = end_field(r, msg)))
		return err;
	if (!r->header_done) {
		if ((err = check_header(r, msg)) || (err = emit(r, msg)))
			return err;
		goto next;
	}
	if (r->field + 1 != r->ds->column_count)
		return fail(r, msg, DCR_ERR_INVALID, "line %llu: %zu fields, the header has %zu",
		            (unsigned long long)r->rec_line, r->field + 1, r->ds->column_count);
	if (r->pending)
		return fail(r, msg, r->pending, "%s", r->pending_msg.text);
	if (r->row_empty_id) {
		r->stats.skipped_empty++;
	} else {
		if ((err = emit(r, msg)))
			return err;
		r->stats.rows++;
	}
next:
	dcr_buf_reset(&r->rec);
	dcr_buf_reset(&r->value);
	r->field = 0;
	r->field_size = 0;
	r->rec_started = false;
	r->row_empty_id = false;
	r->st = ST_FIELD;
	r->rec_line = r->line;
	return DCR_OK;
}

/* One content byte of the current field. */
static enum dcr_err content(struct dcr_id_rewriter *r, uint8_t c, struct dcr_msg *msg)
{
	char name[128];

	if (++r->field_size > r->max_field)
		return fail(r, msg, DCR_ERR_TOO_BIG,
		            "line %llu, column %s: a field over the limit of %zu bytes",
		            (unsigned long long)r->rec_line,
		            column_of(r, r->field, name, sizeof(name)), r->max_field);
	if ((r->in_id || !r->header_done) && dcr_buf_append(&r->value, &c, 1))
		return fail(r, msg, DCR_ERR_NOMEM, "out of memory");
	return DCR_OK;
}

/* A run of content bytes, passed in one piece: the same checks as content()
 * for each of them. */
static enum dcr_err content_run(struct dcr_id_rewriter *r, const uint8_t *p, size_t n,
                                struct dcr_msg *msg)
{
	char name[128];

	if (n > r->max_field - r->field_size) {
		r->field_size = r->max_field + 1;
		return fail(r, msg, DCR_ERR_TOO_BIG,
		            "line %llu, column %s: a field over the limit of %zu bytes",
		            (unsigned long long)r->rec_line,
		            column_of(r, r->field, name, sizeof(name)), r->max_field);
	}
	r->field_size += n;
	if ((r->in_id || !r->header_done) && dcr_buf_append(&r->value, p, n))
		return fail(r, msg, DCR_ERR_NOMEM, "out of memory");
	return DCR_OK;
}

/* Bytes that end an unquoted run of content. */
static bool is_special(uint8_t c)
{
	return c == ',' || c == '\n' || c == '\r' || c == '"';
}

/* The end of the unquoted content that starts at data[i]: the first special
 * byte at or after i, or size. */
static size_t plain_end(const uint8_t *data, size_t i, size_t size)
{
	while (i < size && !is_special(data[i]))
		i++;
	return i;
}

/* Runs the state machine over data. Bytes are copied to the record in runs
 * [from, i); a byte that is not copied (line ends, the id's own bytes)
 * flushes the run before it. */
static enum dcr_err process(struct dcr_id_rewriter *r, const uint8_t *data, size_t size,
                            struct dcr_msg *msg)
{
	size_t from = 0;
	enum dcr_err err = DCR_OK;

#define FLUSH_TO(end)                                                                  \
	do {                                                                           \
		if ((err = rec_add(r, data + from, (size_t)(end) - from, msg)))        \
			return err;                                                    \
		from = (end);                                                          \
	} while (0)
#define SKIP_BYTE(i)                                                                   \
	do {                                                                           \
		FLUSH_TO(i);                                                           \
		from = (i) + 1;                                                        \
	} while (0)

	for (size_t i = 0; i < size; i++) {
		uint8_t c = data[i];

		if (c == '\n')
			r->line++;
		switch (r->st) {
		case ST_FIELD:
			if (c == '\n') {
				SKIP_BYTE(i);
				if ((err = end_record(r, msg)))
					return err;
				continue;
			}
			if (c == '\r') {
				SKIP_BYTE(i);
				r->st = ST_CR;
				continue;
			}
			if (!r->rec_started) {
				r->rec_started = true;
				if ((err = start_field(r, msg)))
					return err;
			}
			if (r->in_id)
				SKIP_BYTE(i);
			if (c == ',') {
				if (r->in_id)
					from = i; /* the comma itself is copied */
				FLUSH_TO(i);
				if ((err = end_field(r, msg)))
					return err;
				r->field++;
				if ((err = start_field(r, msg)))
					return err;
				continue;
			}
			if (c == '"') {
				r->st = ST_QUOTED;
				continue;
			}
			r->st = ST_PLAIN;
			goto plain_run;
		case ST_PLAIN:
			if (c == ',') {
				FLUSH_TO(i);
				if ((err = end_field(r, msg)))
					return err;
				r->field++;
				r->st = ST_FIELD;
				if ((err = start_field(r, msg)))
					return err;
				continue;
			}
			if (c == '\n') {
				SKIP_BYTE(i);
				if ((err = end_record(r, msg)))
					return err;
				continue;
			}
			if (c == '\r') {
				SKIP_BYTE(i);
				r->st = ST_CR;
				continue;
			}
			if (r->in_id)
				SKIP_BYTE(i);
			if (c == '"') {
				char name[128];

				return fail(r, msg, DCR_ERR_INVALID,
				            "line %llu, column %s: a quote inside an unquoted field",
				            (unsigned long long)r->line,
				            column_of(r, r->field, name, sizeof(name)));
			}
		plain_run: {
			/* c and the bytes after it up to the next special
			 * byte are content, taken in one piece (no line ends
			 * among them). An id's own bytes are not copied. */
			size_t end = plain_end(data, i + 1, size);

			if ((err = content_run(r, data + i, end - i, msg)))
				return err;
			if (r->in_id)
				from = end;
			i = end - 1;
			continue;
		}
		case ST_QUOTED:
			if (r->in_id)
				SKIP_BYTE(i);
			if (c == '"') {
				r->st = ST_QUOTE;
				continue;
			}
			{
				/* up to the next quote; line ends count */
				const uint8_t *q = memchr(data + i + 1, '"', size - i - 1);
				size_t end = q ? (size_t)(q - data) : size;

				for (size_t k = i + 1; k < end; k++)
					r->line += data[k] == '\n';
				if ((err = content_run(r, data + i, end - i, msg)))
					return err;
				if (r->in_id)
					from = end;
				i = end - 1;
			}
			continue;
		case ST_QUOTE:
			if (c == '"') {
				if (r->in_id)
					SKIP_BYTE(i);
				r->st = ST_QUOTED;
				if ((err = content(r, c, msg)))
					return err;
				continue;
			}
			if (c == ',') {
				FLUSH_TO(i);
				if ((err = end_field(r, msg)))
					return err;
				r->field++;
				r->st = ST_FIELD;
				if ((err = start_field(r, msg)))
					return err;
				continue;
			}
			if (c == '\n') {
				SKIP_BYTE(i);
				if ((err = end_record(r, msg)))
					return err;
				continue;
			}
			if (c == '\r') {
				SKIP_BYTE(i);
				r->st = ST_CR;
				continue;
			}
			{
				char name[128];

				return fail(r, msg, DCR_ERR_INVALID,
				            "line %llu, column %s: text after a closing quote",
				            (unsigned long long)r->line,
				            column_of(r, r->field, name, sizeof(name)));
			}
		case ST_CR:
			if (c == '\n') {
				SKIP_BYTE(i);
				if ((err = end_record(r, msg)))
					return err;
				continue;
			}
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: a CR not followed by LF (only CRLF or LF end a line)",
			            (unsigned long long)r->line);
		}
	}
	FLUSH_TO(size);
	return DCR_OK;
#undef FLUSH_TO
#undef SKIP_BYTE
}

static const uint8_t bom[3] = {0xef, 0xbb, 0xbf};

/* Decides whether the first bytes are a BOM; passes them on if not. */
static enum dcr_err head_decide(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	r->head_done = true;
	if (r->head_count == 3 && !memcmp(r->head, bom, 3))
		return DCR_OK;
	return process(r, r->head, r->head_count, msg);
}

enum dcr_err dcr_id_rewriter_write(struct dcr_id_rewriter *r, const void *data, size_t size,
                                   struct dcr_msg *msg)
{
	const uint8_t *p = data;
	enum dcr_err err;

	if (r->failed) {
		if (msg)
			*msg = r->failed_msg;
		return r->failed;
	}
	if (r->finished)
		return fail(r, msg, DCR_ERR_INVALID, "the file was already finished");
	r->stats.bytes_in += size;
	while (!r->head_done && size) {
		if (*p != bom[r->head_count]) {
			/* not a BOM: what was held back is data; *p is handled below */
			if ((err = head_decide(r, msg)))
				return err;
			break;
		}
		r->head[r->head_count++] = *p++;
		size--;
		if (r->head_count == 3 && (err = head_decide(r, msg)))
			return err;
	}
	if (!size)
		return DCR_OK;
	return process(r, p, size, msg);
}

enum dcr_err dcr_id_rewriter_finish(struct dcr_id_rewriter *r, struct dcr_msg *msg)
{
	enum dcr_err err;

	if (r->failed) {
		if (msg)
			*msg = r->failed_msg;
		return r->failed;
	}
	if (r->finished)
		return DCR_OK;
	if (!r->head_done && (err = head_decide(r, msg)))
		return err;
	switch (r->st) {
	case ST_QUOTED:
		return fail(r, msg, DCR_ERR_INVALID,
		            "line %llu: a quoted field is not closed at the end of the file",
		            (unsigned long long)r->rec_line);
	case ST_CR:
		/* a CR as the file's very last byte ends it, as in the clean room */
	case ST_FIELD:
	case ST_PLAIN:
	case ST_QUOTE:
		if (r->rec_started || r->field > 0)
			if ((err = end_record(r, msg)))
				return err;
		break;
	}
	if (!r->header_done)
		return fail(r, msg, DCR_ERR_INVALID,
		            "the file has no header row (it needs the columns of dataset %s)",
		            r->ds->name);
	r->finished = true;
	dcr_sha256_final(&r->hash, r->stats.content_hash);
	return DCR_OK;
}

size_t client_rewriter_memory(const struct dcr_id_rewriter *r)
{
	return r->rec.cap + r->value.cap + r->names.cap;
}
