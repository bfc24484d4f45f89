/* SPDX-License-Identifier: Apache-2.0 */
/* CSV ingest (docs/SQL.md, "CSV input"): the streaming reader. Input is cut
 * into blocks of whole records by a quote-parity scan, blocks are parsed on
 * the thread pool, and their chunks are appended in file order to the table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_int.h"

size_t csv_block_size = CSV_BLOCK_SIZE_DEFAULT;

#define DEFAULT_MAX_FIELD ((size_t)1 << 20)
#define DEFAULT_MAX_COLUMNS 4096
#define DEFAULT_MAX_ROWS ((uint64_t)UINT32_MAX - 1)
#define HEADER_CHUNK ((size_t)64 << 10)

enum mode {
	M_HEADER,  /* looking for the header row */
	M_DATA,    /* cutting blocks at the last record end in each block's bytes */
	M_LONG,    /* a record longer than a block: the walker follows it */
	M_DRAIN,   /* that record has too many fields: counting them, keeping nothing */
	M_DONE,
	M_FAILED,
};

/* A loaded column being built. */
struct bcol {
	size_t hdr;             /* its header field */
	enum dcr_type type;     /* STRING while inferring */
	bool infer;
	unsigned fit;           /* inference: CSV_FIT_* of every value so far */
	bool has_value;
	void *vals;             /* cap values (codes while inferring) */
	uint8_t *nulls;         /* cap bytes, once a NULL is seen */
	struct dcr_dict *dict;  /* STRING (and inferring) */
};

struct dcr_csv_reader {
	char *name;
	const struct dcr_csv_options *opts;
	size_t max_field, max_columns, max_memory;
	uint64_t max_rows;
	unsigned threads;
	size_t block_size;
	bool header_only;       /* dcr_csv_read_header: stop after the header */
	enum mode mode;
	enum dcr_err err;       /* M_FAILED: the error every call repeats */
	struct dcr_msg msg;

	/* blocks: slots[0, nready) are complete, slots[nready] is being filled */
	struct csv_block **slots;
	size_t batch;           /* blocks parsed together */
	size_t nready;
	size_t len;             /* bytes in the block being filled */
	size_t scanned;         /* of them, scanned for record ends */
	bool inq;               /* quote parity at scanned */
	size_t last;            /* offset after the last record end so far, or 0 */

	/* the header and long records */
	struct csv_walk walk;
	size_t walked;          /* bytes fed to the walker */
	bool bom_checked;
	size_t hstart;          /* offset of the header's (or empty line's) start */
	uint64_t hline;         /* its line */

	struct csv_schema schema;
	uint64_t next_line;     /* line of the first byte of the next block merged */
	struct bcol *cols;      /* schema.nload */
	size_t rows, cap;
	struct pool *pool;
};

/* ---- errors ------------------------------------------------------------ */

static enum dcr_err fail(struct dcr_csv_reader *r, struct dcr_msg *msg, enum dcr_err err,
                         const char *fmt, ...) DCR_PRINTF(4, 5);

static enum dcr_err fail(struct dcr_csv_reader *r, struct dcr_msg *msg, enum dcr_err err,
                         const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg.text, sizeof(r->msg.text), fmt, ap);
	va_end(ap);
	r->err = err;
	r->mode = M_FAILED;
	if (msg)
		*msg = r->msg;
	return err;
}

static enum dcr_err nomem(struct dcr_csv_reader *r, struct dcr_msg *msg)
{
	return fail(r, msg, DCR_ERR_NOMEM, "out of memory reading CSV");
}

static enum dcr_err slot_reserve(struct dcr_csv_reader *r, size_t i, size_t need);

/* ---- reader setup -------------------------------------------------------- */

static bool loadable(enum dcr_type t)
{
	return t == DCR_TYPE_INT || t == DCR_TYPE_FLOAT || t == DCR_TYPE_STRING ||
	       t == DCR_TYPE_DATE || t == DCR_TYPE_ID;
}

enum dcr_err dcr_csv_reader_new(const char *name, const struct dcr_csv_options *opts,
                                struct dcr_csv_reader **out)
{
	static const struct dcr_csv_options none;
	struct dcr_csv_reader *r;

	*out = NULL;
	if (!opts)
		opts = &none;
	/* the schema is the caller's (a contract dataset): a bad one is misuse
	 * that the contract parser should have caught, still refused politely */
	for (size_t i = 0; opts->columns && i < opts->column_count; i++) {
		if (!opts->columns[i].name || !opts->columns[i].name[0] ||
		    !loadable(opts->columns[i].type))
			return DCR_ERR_INVALID;
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(opts->columns[i].name, opts->columns[j].name))
				return DCR_ERR_INVALID;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return DCR_ERR_NOMEM;
	r->name = strdup(name ? name : "");
	r->opts = opts;
	r->max_field = opts->max_field_size ? opts->max_field_size : DEFAULT_MAX_FIELD;
	r->max_columns = opts->max_columns ? opts->max_columns : DEFAULT_MAX_COLUMNS;
	r->max_rows = opts->max_rows ? opts->max_rows : DEFAULT_MAX_ROWS;
	r->max_memory = opts->max_memory;
	r->threads = opts->threads ? opts->threads : engine_cpus();
	r->block_size = csv_block_size ? csv_block_size : CSV_BLOCK_SIZE_DEFAULT;
	/* enough blocks per batch that workers rarely wait at the join */
	r->batch = r->threads == 1 ? 1 : 2 * (size_t)r->threads;
	r->slots = calloc(r->batch + 1, sizeof(*r->slots));
	r->hline = 1;
	if (!r->name || !r->slots || slot_reserve(r, 0, 1) != DCR_OK) {
		dcr_csv_reader_free(r);
		return DCR_ERR_NOMEM;
	}
	if (opts->columns && opts->column_count > r->max_columns) {
		dcr_csv_reader_free(r);
		return DCR_ERR_TOO_BIG;
	}
	*out = r;
	return DCR_OK;
}

static void free_cols(struct dcr_csv_reader *r)
{
	for (size_t i = 0; r->cols && i < r->schema.nload; i++) {
		free(r->cols[i].vals);
		free(r->cols[i].nulls);
		dict_free(r->cols[i].dict);
	}
	free(r->cols);
	r->cols = NULL;
}

void dcr_csv_reader_free(struct dcr_csv_reader *r)
{
	if (!r)
		return;
	pool_free(r->pool);
	for (size_t i = 0; r->slots && i <= r->batch; i++) {
		struct csv_block *b = r->slots[i];

		if (!b)
			continue;
		csv_block_free_parse(b, r->schema.nload);
		free(b->data);
		free(b);
	}
	free(r->slots);
	free_cols(r);
	for (size_t i = 0; r->schema.names && i < r->schema.ncols; i++)
		free(r->schema.names[i]);
	free(r->schema.names);
	free(r->schema.kinds);
	free(r->schema.slots);
	free(r->schema.load_hdr);
	free(r->name);
	free(r);
}

/* ---- blocks -------------------------------------------------------------- */

/* Makes slot i hold at least need bytes (plus the added '\n' and padding). */
static enum dcr_err slot_reserve(struct dcr_csv_reader *r, size_t i, size_t need)
{
	struct csv_block *b = r->slots[i];

	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return DCR_ERR_NOMEM;
		dcr_arena_init(&b->strings, SIZE_MAX);
		r->slots[i] = b;
	}
	if (need > b->cap || !b->data) {
		/* small first: many files (and every header read) are small */
		size_t cap = b->cap ? b->cap : (size_t)64 << 10;
		char *data;

		while (cap < need)
			cap = cap > SIZE_MAX / 4 ? need : cap * 2;
		if (cap > SIZE_MAX - 1 - CSV_PAD)
			return DCR_ERR_NOMEM;
		data = realloc(b->data, cap + 1 + CSV_PAD);
		if (!data)
			return DCR_ERR_NOMEM;
		b->data = data;
		b->cap = cap;
	}
	return DCR_OK;
}

/* Ends a block after size bytes: a '\n' after its last record when it has
 * none (the end of the file), and the zero padding the parser reads into. */
static void seal_block(struct csv_block *b, size_t size, bool last)
{
	b->real_size = size;
	if (size == 0 || b->data[size - 1] != '\n')
		b->data[size++] = '\n';
	memset(b->data + size, 0, CSV_PAD);
	b->size = size;
	b->last = last;
}

static void count_task(void *ctx, unsigned worker, size_t task)
{
	struct dcr_csv_reader *r = ctx;
	struct csv_block *b = r->slots[task];

	(void)worker;
	b->counted = csv_count_records(b->data, b->size, &b->newlines);
	b->newlines -= b->size != b->real_size; /* the '\n' added at the end */
}

static size_t width_of(const struct bcol *c)
{
	return c->infer ? 4 : engine_type_width(c->type);
}

/* Asks the kernel for the pages of [p, p + size) at once: in VMs, taking
 * them one page fault at a time costs about twice as much (Linux 5.14+; only
 * a hint elsewhere). */
static void prefault(void *p, size_t size)
{
#if defined(__linux__)
	static long page;
	uintptr_t a, e;

	if (!page)
		page = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	if (size < (size_t)16 * (size_t)page)
		return;
	a = (uintptr_t)p & ~((uintptr_t)page - 1);
	e = ((uintptr_t)p + size) & ~((uintptr_t)page - 1);
	(void)madvise((void *)a, e - a, 23 /* MADV_POPULATE_WRITE */);
#else
	(void)p;
	(void)size;
#endif
}

static void parse_task(void *ctx, unsigned worker, size_t task)
{
	struct dcr_csv_reader *r = ctx;
	struct csv_block *b = r->slots[task];

	(void)worker;
	for (size_t j = 0; j < r->schema.nload; j++)
		prefault(b->chunks[j].vals, b->counted * width_of(&r->cols[j]));
	csv_parse_block(&r->schema, b);
}

/* After the merge: block codes to table codes, and the block's NULL flags. */
static void fix_task(void *ctx, unsigned worker, size_t task)
{
	struct dcr_csv_reader *r = ctx;
	size_t nload = r->schema.nload;
	struct csv_block *b = r->slots[task / nload];
	struct csv_chunk *c = &b->chunks[task % nload];
	struct bcol *col = &r->cols[task % nload];

	(void)worker;
	if (col->dict && c->dict.count) { /* no codes: every row is NULL (code 0) */
		uint32_t *codes = c->vals;

		for (size_t i = 0; i < b->rows; i++)
			codes[i] = c->remap[codes[i]];
	}
	if (col->nulls) {
		if (c->has_null)
			memcpy(col->nulls + b->row_off, c->nulls, b->rows);
		else
			memset(col->nulls + b->row_off, 0, b->rows);
	}
}

static void run(struct dcr_csv_reader *r, size_t tasks, pool_fn fn, void *ctx)
{
	if (r->pool && tasks > 1) {
		pool_run(r->pool, tasks, fn, ctx);
	} else {
		for (size_t t = 0; t < tasks; t++)
			fn(ctx, 0, t);
	}
}

static size_t table_bytes_now(const struct dcr_csv_reader *r)
{
	size_t n = sizeof(struct dcr_table) + r->schema.nload * sizeof(struct dcr_column);

	for (size_t i = 0; i < r->schema.nload; i++) {
		const struct bcol *c = &r->cols[i];

		n += r->rows * width_of(c) + (c->nulls ? r->rows : 0) + dict_bytes(c->dict);
	}
	return n;
}

/* Room for rows values in every column. */
static enum dcr_err grow_cols(struct dcr_csv_reader *r, size_t rows)
{
	size_t cap = r->cap ? r->cap : 1024;

	if (rows <= r->cap && r->cap) /* allocated even for no rows: never NULL */
		return DCR_OK;
	while (cap < rows)
		cap = cap > SIZE_MAX / 4 ? rows : cap * 2;
	for (size_t i = 0; i < r->schema.nload; i++) {
		struct bcol *c = &r->cols[i];
		size_t w = width_of(c);
		void *v;

		if (cap > SIZE_MAX / w)
			return DCR_ERR_NOMEM;
		v = realloc(c->vals, cap * w);
		if (!v)
			return DCR_ERR_NOMEM;
		c->vals = v;
		if (c->nulls) {
			uint8_t *n = realloc(c->nulls, cap);

			if (!n)
				return DCR_ERR_NOMEM;
			c->nulls = n;
		}
	}
	r->cap = cap;
	return DCR_OK;
}

/* Offset of the record with index idx (empty lines not counted) in b. */
static size_t record_offset(const struct dcr_csv_reader *r, const struct csv_block *b, size_t idx)
{
	size_t off = 0;

	for (;;) {
		struct csv_walk w;

		csv_walk_init(&w, r->schema.ncols, SIZE_MAX, SIZE_MAX, off);
		if (csv_walk_feed(&w, b->data + off, b->size - off, off) != CSV_WALK_END)
			return off;
		if (w.nonempty && idx-- == 0)
			return off;
		off = (size_t)w.end;
	}
}

/* Parses the complete blocks and appends them to the table, in file order;
 * the first error in the file wins. Blocks are counted first, so that each
 * parses straight into its rows of the table's arrays. */
static enum dcr_err run_batch(struct dcr_csv_reader *r, struct dcr_msg *msg)
{
	size_t n = r->nready, nload = r->schema.nload, total = r->rows;
	struct csv_block *cur;

	if (n == 0)
		return DCR_OK;
	if (n > 1 && r->threads > 1 && !r->pool)
		r->pool = pool_new(r->threads); /* NULL: parse on this thread */
	run(r, n, count_task, r);
	for (size_t i = 0; i < n; i++) {
		r->slots[i]->row_off = total;
		total += r->slots[i]->counted;
	}
	if (grow_cols(r, total) != DCR_OK)
		return nomem(r, msg);
	for (size_t i = 0; i < n; i++) {
		struct csv_block *b = r->slots[i];

		if (nload && !b->chunks) {
			b->chunks = calloc(nload, sizeof(*b->chunks));
			if (!b->chunks)
				return nomem(r, msg);
		}
		for (size_t j = 0; j < nload; j++)
			b->chunks[j].vals = (char *)r->cols[j].vals +
			                    b->row_off * width_of(&r->cols[j]);
	}
	run(r, n, parse_task, r);

	for (size_t i = 0; i < n; i++) {
		struct csv_block *b = r->slots[i];

		b->first_line = r->next_line;
		if (b->rows > r->max_rows - r->rows) {
			size_t off = record_offset(r, b, (size_t)(r->max_rows - r->rows));

			return fail(r, msg, DCR_ERR_TOO_BIG,
			            "line %llu: more than %llu rows (the limit)",
			            (unsigned long long)(b->first_line +
			                                 csv_count_newlines(b->data, off)),
			            (unsigned long long)r->max_rows);
		}
		if (b->err.code != DCR_OK)
			return fail(r, msg, b->err.code, "line %llu%s",
			            (unsigned long long)(b->first_line +
			                                 csv_count_newlines(b->data, b->err.pos)),
			            b->err.text);
		if (b->rows != b->counted || b->row_off != r->rows)
			return fail(r, msg, DCR_ERR_INTERNAL,
			            "line %llu: internal error: %zu rows parsed, %zu counted",
			            (unsigned long long)b->first_line, b->rows, b->counted);
		r->rows += b->rows;
		r->next_line += b->newlines;
		for (size_t j = 0; j < nload; j++) {
			struct csv_chunk *c = &b->chunks[j];
			struct bcol *col = &r->cols[j];

			if (col->dict) {
				if (c->dict.count > c->remap_cap) {
					uint32_t *m = realloc(c->remap, c->dict.count * sizeof(*m));

					if (!m)
						return nomem(r, msg);
					c->remap = m;
					c->remap_cap = c->dict.count;
				}
				for (uint32_t k = 0; k < c->dict.count; k++) {
					struct dcr_str t = c->dict.strs[k];
					enum dcr_err e = dict_intern(col->dict, t.ptr, t.len,
					                             &c->remap[k]);

					if (e == DCR_ERR_TOO_BIG)
						return fail(r, msg, e, "column %s: more than "
						            "2^32 - 2 distinct values",
						            r->schema.names[col->hdr]);
					if (e)
						return nomem(r, msg);
				}
			}
			if (col->infer) {
				col->fit &= c->fit;
				col->has_value |= c->has_value;
			}
			if (c->has_null && !col->nulls) {
				/* zeros for the rows of earlier batches; this batch's
				 * blocks each fill their own range */
				col->nulls = calloc(r->cap, 1);
				if (!col->nulls)
					return nomem(r, msg);
			}
		}
		if (r->max_memory && table_bytes_now(r) > r->max_memory)
			return fail(r, msg, DCR_ERR_TOO_BIG,
			            "the table needs more than the memory limit (%zu bytes)",
			            r->max_memory);
	}
	if (nload)
		run(r, n * nload, fix_task, r);
	/* the block being filled moves to the front */
	cur = r->slots[n];
	r->slots[n] = r->slots[0];
	r->slots[0] = cur;
	r->nready = 0;
	return DCR_OK;
}

/* Ends the block being filled at offset c (a record end) and starts the next
 * with the rest. */
static enum dcr_err cut(struct dcr_csv_reader *r, size_t c, bool eof, struct dcr_msg *msg)
{
	size_t i = r->nready, rest = r->len - c;
	struct csv_block *b;

	if (slot_reserve(r, i + 1, rest) != DCR_OK)
		return nomem(r, msg);
	b = r->slots[i];
	memcpy(r->slots[i + 1]->data, b->data + c, rest);
	seal_block(b, c, eof && rest == 0);
	r->nready++;
	if (r->scanned > c) {
		/* no record ends in [c, scanned): c was the last; parity carries */
		r->scanned -= c;
	} else {
		r->scanned = 0;
		r->inq = false;
	}
	r->len = rest;
	r->last = 0;
	if (r->nready == r->batch)
		return run_batch(r, msg);
	return DCR_OK;
}

/* ---- the header ---------------------------------------------------------- */

/* Splits the header record (valid: the walker checked it) into names. */
static enum dcr_err split_header(const char *p, size_t n, char ***out, size_t *out_count)
{
	const char *end = p + n;
	char **names = NULL;
	size_t count = 0, cap = 0;

	for (;;) {
		const char *f = p;
		char *name;
		size_t len = 0;

		if (count == cap) {
			char **grown = realloc(names, (cap ? cap * 2 : 16) * sizeof(*grown));

			if (!grown)
				goto nomem;
			names = grown;
			cap = cap ? cap * 2 : 16;
		}
		if (p < end && *p == '"') {
			for (p++; p < end; p++) {
				if (*p == '"' && (p + 1 >= end || p[1] != '"'))
					break;
				if (*p == '"')
					p++;
				len++;
			}
			name = malloc(len + 1);
			if (!name)
				goto nomem;
			len = 0;
			for (const char *q = f + 1; q < p; q++) {
				name[len++] = *q;
				if (*q == '"')
					q++;
			}
			p++; /* the closing quote */
		} else {
			while (p < end && *p != ',' && *p != '\n' && *p != '\r')
				p++;
			len = (size_t)(p - f);
			name = malloc(len + 1);
			if (!name)
				goto nomem;
			memcpy(name, f, len);
		}
		name[len] = '\0';
		if (memchr(name, '\0', len)) {
			free(name);
			names[count++] = NULL; /* a NUL byte: refused by the caller */
		} else {
			names[count++] = name;
		}
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		break;
	}
	*out = names;
	*out_count = count;
	return DCR_OK;
nomem:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return DCR_ERR_NOMEM;
}

static void append(char *buf, size_t size, const char *fmt, ...) DCR_PRINTF(3, 4);

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/* The header's names against the schema (or, without one, among
 * themselves), then which columns load and how. */
static enum dcr_err setup_header(struct dcr_csv_reader *r, const char *p, size_t n,
                                 struct dcr_msg *msg)
{
	const struct dcr_csv_options *o = r->opts;
	struct csv_schema *s = &r->schema;
	unsigned long long line = (unsigned long long)r->hline;
	char shown[96];
	size_t ncols;
	int32_t *schema_of = NULL;

	if (split_header(p, n, &s->names, &s->ncols) != DCR_OK)
		return nomem(r, msg);
	ncols = s->ncols;
	for (size_t i = 0; i < ncols; i++) {
		if (!s->names[i]) {
			s->names[i] = strdup("?");
			if (!s->names[i])
				return nomem(r, msg);
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu, field %zu: a column name holds a NUL byte", line,
			            i + 1);
		}
	}
	s->kinds = calloc(ncols, sizeof(*s->kinds));
	s->slots = calloc(ncols, sizeof(*s->slots));
	s->load_hdr = calloc(ncols, sizeof(*s->load_hdr));
	schema_of = calloc(ncols, sizeof(*schema_of));
	if (!s->kinds || !s->slots || !s->load_hdr || !schema_of) {
		free(schema_of);
		return nomem(r, msg);
	}

	if (o->columns) {
		/* every schema column exactly once, nothing else, in any order */
		char text[DCR_MSG_SIZE] = "";
		bool bad = false, *seen = calloc(o->column_count + 1, sizeof(*seen));

		if (!seen) {
			free(schema_of);
			return nomem(r, msg);
		}
		for (size_t i = 0; i < ncols; i++) {
			schema_of[i] = -1;
			for (size_t j = 0; j < o->column_count; j++)
				if (!strcasecmp(s->names[i], o->columns[j].name))
					schema_of[i] = (int32_t)j;
		}
		for (size_t j = 0; j < o->column_count; j++) {
			bool found = false;

			for (size_t i = 0; i < ncols; i++)
				found |= schema_of[i] == (int32_t)j;
			if (!found) {
				csv_show_name(shown, sizeof(shown), o->columns[j].name);
				append(text, sizeof(text), "%s%s", bad ? ", " : " missing ", shown);
				bad = true;
			}
		}
		bool extra = false;

		for (size_t i = 0; i < ncols; i++) {
			if (schema_of[i] >= 0)
				continue;
			csv_show_name(shown, sizeof(shown), s->names[i]);
			append(text, sizeof(text), "%s%s",
			       extra ? ", " : bad ? "; not in the schema " : " not in the schema ",
			       shown);
			bad = extra = true;
		}
		bool twice = false;

		for (size_t i = 0; i < ncols; i++) {
			if (schema_of[i] < 0)
				continue;
			if (seen[schema_of[i]]) {
				csv_show_name(shown, sizeof(shown), s->names[i]);
				append(text, sizeof(text), "%s%s",
				       twice ? ", " :
				       bad ? "; more than once " : " more than once ", shown);
				bad = twice = true;
			}
			seen[schema_of[i]] = true;
		}
		free(seen);
		if (bad) {
			free(schema_of);
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: the header does not match the schema:%s", line,
			            text);
		}
	} else {
		for (size_t i = 0; i < ncols; i++) {
			if (!s->names[i][0]) {
				free(schema_of);
				return fail(r, msg, DCR_ERR_INVALID,
				            "line %llu, field %zu: empty column name", line, i + 1);
			}
			for (size_t j = 0; j < i; j++) {
				if (!strcasecmp(s->names[i], s->names[j])) {
					csv_show_name(shown, sizeof(shown), s->names[i]);
					free(schema_of);
					return fail(r, msg, DCR_ERR_INVALID,
					            "line %llu: duplicate column name %s "
					            "(fields %zu and %zu)", line, shown, j + 1,
					            i + 1);
				}
			}
		}
	}

	/* only: which header fields load. The others are still split, so the
	 * record structure (field count, quoting, line ends, field sizes) is
	 * checked in full, but their values are neither parsed nor type-checked:
	 * a query that does not read a column does not fail on it (dcr sql loads
	 * only the columns a query reads). */
	for (size_t i = 0; i < ncols; i++)
		s->slots[i] = o->only ? -1 : 0;
	for (size_t k = 0; o->only && k < o->only_count; k++) {
		bool found = false;

		for (size_t i = 0; i < ncols; i++) {
			if (!strcasecmp(s->names[i], o->only[k])) {
				s->slots[i] = 0;
				found = true;
			}
		}
		if (!found) {
			csv_show_name(shown, sizeof(shown), o->only[k]);
			free(schema_of);
			return fail(r, msg, DCR_ERR_INVALID,
			            "line %llu: no column %s in the header", line, shown);
		}
	}
	s->nload = 0;
	for (size_t i = 0; i < ncols; i++) {
		if (s->slots[i] < 0) {
			s->kinds[i] = CSV_SKIP;
			continue;
		}
		s->slots[i] = (int32_t)s->nload;
		s->load_hdr[s->nload++] = i;
		if (!o->columns) {
			s->kinds[i] = CSV_INFER;
			continue;
		}
		switch (o->columns[schema_of[i]].type) {
		case DCR_TYPE_INT: s->kinds[i] = CSV_INT; break;
		case DCR_TYPE_FLOAT: s->kinds[i] = CSV_FLOAT; break;
		case DCR_TYPE_DATE: s->kinds[i] = CSV_DATE; break;
		case DCR_TYPE_ID: s->kinds[i] = CSV_ID; break;
		default: s->kinds[i] = CSV_STRING; break;
		}
	}
	s->max_field = r->max_field;
	s->id_fn = o->id_fn;
	s->id_ctx = o->id_ctx;
	s->hide_values = o->hide_values;
	s->seed = engine_seed();

	r->cols = calloc(s->nload ? s->nload : 1, sizeof(*r->cols));
	if (!r->cols) {
		free(schema_of);
		return nomem(r, msg);
	}
	for (size_t j = 0; j < s->nload; j++) {
		struct bcol *c = &r->cols[j];
		size_t i = s->load_hdr[j];

		c->hdr = i;
		c->infer = !o->columns;
		c->type = o->columns ? o->columns[schema_of[i]].type : DCR_TYPE_STRING;
		c->fit = CSV_FIT_ALL;
		if (c->type == DCR_TYPE_STRING) {
			c->dict = dict_new();
			if (!c->dict) {
				free(schema_of);
				return nomem(r, msg);
			}
		}
	}
	free(schema_of);
	return DCR_OK;
}

/* ---- the input state machine ------------------------------------------- */

static enum dcr_err walk_error(struct dcr_csv_reader *r, struct dcr_msg *msg, uint64_t line,
                               bool header)
{
	const struct csv_walk *w = &r->walk;
	char where[128];

	if (w->err == DCR_ERR_TOO_BIG && header && w->err_field >= r->max_columns)
		return fail(r, msg, DCR_ERR_TOO_BIG, "line %llu: more than %zu columns (the limit)",
		            (unsigned long long)line, r->max_columns);
	if (!header && w->err_field < r->schema.ncols) {
		char name[96];

		csv_show_name(name, sizeof(name), r->schema.names[w->err_field]);
		snprintf(where, sizeof(where), "column %s", name);
	} else {
		snprintf(where, sizeof(where), "field %llu", (unsigned long long)w->err_field + 1);
	}
	if (w->err == DCR_ERR_TOO_BIG)
		return fail(r, msg, w->err, "line %llu, %s: %s (%zu bytes)",
		            (unsigned long long)(line + w->err_lines), where, w->err_what,
		            r->max_field);
	return fail(r, msg, w->err, "line %llu, %s: %s",
	            (unsigned long long)(line + w->err_lines), where, w->err_what);
}

static enum dcr_err ragged(struct dcr_csv_reader *r, struct dcr_msg *msg)
{
	return fail(r, msg, DCR_ERR_INVALID, "line %llu: %llu field%s, the header has %zu",
	            (unsigned long long)r->next_line, (unsigned long long)r->walk.fields,
	            r->walk.fields == 1 ? "" : "s", r->schema.ncols);
}

/* Acts on the bytes buffered so far (eof: and no more will come). */
static enum dcr_err process(struct dcr_csv_reader *r, bool eof, struct dcr_msg *msg)
{
	for (;;) {
		struct csv_block *b = r->slots[r->nready];
		char *d = b ? b->data : NULL;
		enum csv_walk_res res;
		enum dcr_err err;

		switch (r->mode) {
		case M_HEADER:
			if (!r->bom_checked) {
				if (r->len < 3 && !eof)
					return DCR_OK;
				r->hstart = r->len >= 3 && !memcmp(d, "\xef\xbb\xbf", 3) ? 3 : 0;
				r->walked = r->hstart;
				r->bom_checked = true;
				csv_walk_init(&r->walk, SIZE_MAX, r->max_columns, r->max_field,
				              r->hstart);
			}
			res = csv_walk_feed(&r->walk, d + r->walked, r->len - r->walked, r->walked);
			if (res == CSV_WALK_MORE) {
				r->walked = r->len;
				if (!eof)
					return DCR_OK;
				res = csv_walk_eof(&r->walk, r->len);
			}
			if (res == CSV_WALK_ERR)
				return walk_error(r, msg, r->hline, true);
			if (!r->walk.nonempty) {
				if (r->walk.end >= r->len && eof)
					return fail(r, msg, DCR_ERR_INVALID,
					            "line %llu: no header row (the file is empty)",
					            (unsigned long long)r->hline);
				/* an empty line before the header */
				r->hline += r->walk.lines;
				r->hstart = r->walked = (size_t)r->walk.end;
				csv_walk_init(&r->walk, SIZE_MAX, r->max_columns, r->max_field,
				              r->hstart);
				continue;
			}
			err = setup_header(r, d + r->hstart, (size_t)r->walk.end - r->hstart, msg);
			if (err)
				return err;
			r->next_line = r->hline + r->walk.lines;
			r->len -= (size_t)r->walk.end;
			memmove(d, d + r->walk.end, r->len);
			r->scanned = 0;
			r->inq = false;
			r->last = 0;
			r->mode = M_DATA;
			if (r->header_only)
				return DCR_OK;
			continue;

		case M_DATA: {
			size_t upto = r->len < r->block_size ? r->len : r->block_size;
			size_t last = csv_scan_last(d, r->scanned, upto, &r->inq);

			if (last)
				r->last = last;
			r->scanned = upto;
			if (r->len < r->block_size) {
				if (!eof)
					return DCR_OK;
				if (r->len) {
					seal_block(b, r->len, true);
					r->nready++;
					r->len = 0;
				}
				err = run_batch(r, msg);
				if (err)
					return err;
				r->mode = M_DONE;
				return DCR_OK;
			}
			if (r->last) {
				err = cut(r, r->last, eof, msg);
				if (err)
					return err;
				continue;
			}
			/* no record ends in the first block_size bytes */
			r->mode = M_LONG;
			r->walked = 0;
			csv_walk_init(&r->walk, r->schema.ncols, SIZE_MAX, r->max_field, 0);
			continue;
		}

		case M_LONG:
			res = csv_walk_feed(&r->walk, d + r->walked, r->len - r->walked, r->walked);
			if (res == CSV_WALK_MORE) {
				r->walked = r->len;
				if (!eof) {
					if (r->walk.field < r->schema.ncols)
						return DCR_OK;
					/* certainly ragged: count its fields without keeping them,
					 * after reporting any error earlier in the file */
					err = run_batch(r, msg);
					if (err)
						return err;
					r->len = 0;
					r->mode = M_DRAIN;
					return DCR_OK;
				}
				res = csv_walk_eof(&r->walk, r->len);
			}
			err = run_batch(r, msg); /* earlier errors first; sets next_line */
			if (err)
				return err;
			if (res == CSV_WALK_ERR)
				return walk_error(r, msg, r->next_line, false);
			/* (an empty line, when blocks are tiny) */
			if (r->walk.fields != r->schema.ncols && r->walk.nonempty)
				return ragged(r, msg);
			r->mode = M_DATA;
			err = cut(r, (size_t)r->walk.end, eof, msg);
			if (err)
				return err;
			continue;

		case M_DRAIN:
			res = csv_walk_eof(&r->walk, r->walked);
			if (res == CSV_WALK_ERR)
				return walk_error(r, msg, r->next_line, false);
			return ragged(r, msg);

		case M_DONE:
		case M_FAILED:
			return DCR_OK;
		}
	}
}

static enum dcr_err replay(const struct dcr_csv_reader *r, struct dcr_msg *msg)
{
	if (msg)
		*msg = r->msg;
	return r->err;
}

/* Where the next bytes of input go: up to *out_n (at most want) bytes at
 * *out, the end of the block being filled. Not in M_DRAIN. */
static enum dcr_err room(struct dcr_csv_reader *r, size_t want, char **out, size_t *out_n,
                         struct dcr_msg *msg)
{
	size_t n;

	switch (r->mode) {
	case M_HEADER: n = HEADER_CHUNK; break;
	case M_DATA: n = r->block_size - r->len; break;
	default: n = r->block_size; break;
	}
	if (n > want)
		n = want;
	if (r->len + n < r->len || slot_reserve(r, r->nready, r->len + n) != DCR_OK)
		return nomem(r, msg);
	*out = r->slots[r->nready]->data + r->len;
	*out_n = n;
	return DCR_OK;
}

/* Bytes counted past the end of the block being filled join the input. */
static enum dcr_err drain(struct dcr_csv_reader *r, const char *in, size_t size,
                          struct dcr_msg *msg)
{
	enum csv_walk_res res = csv_walk_feed(&r->walk, in, size, r->walked);

	r->walked += size;
	if (res == CSV_WALK_ERR)
		return walk_error(r, msg, r->next_line, false);
	if (res == CSV_WALK_END)
		return ragged(r, msg);
	return DCR_OK;
}

enum dcr_err dcr_csv_reader_write(struct dcr_csv_reader *r, const void *data, size_t size,
                                  struct dcr_msg *msg)
{
	const char *in = data;

	if (r->mode == M_FAILED)
		return replay(r, msg);
	if (r->mode == M_DONE)
		return dcr_fail(msg, DCR_ERR_INVALID, "CSV reader: write after finish");
	while (size > 0) {
		enum dcr_err err;
		char *at = NULL;
		size_t n = 0;

		if (r->mode == M_DRAIN)
			return drain(r, in, size, msg);
		err = room(r, size, &at, &n, msg);
		if (err)
			return err;
		memcpy(at, in, n);
		r->len += n;
		in += n;
		size -= n;
		err = process(r, false, msg);
		if (err)
			return err;
		if (r->header_only && r->mode != M_HEADER)
			return DCR_OK;
	}
	return DCR_OK;
}

/* ---- the table ----------------------------------------------------------- */

struct convert {
	struct dcr_csv_reader *r;
	struct bcol *col;
	struct dcr_dict *dict;
	void *by_code;          /* value per dictionary code */
	uint8_t *null_code;     /* per code: reads as NULL ("") */
	void *out;
	bool bad;
};

#define CONVERT_STEP ((size_t)1 << 16)

static void convert_codes(void *ctx, unsigned worker, size_t task)
{
	struct convert *cv = ctx;
	size_t from = task * CONVERT_STEP, to = from + CONVERT_STEP;
	size_t count = dcr_dict_count(cv->dict);
	char *tmp = NULL;
	size_t tmp_cap = 0;

	(void)worker;
	if (to > count)
		to = count;
	for (size_t c = from; c < to; c++) {
		struct dcr_str s = dcr_dict_get(cv->dict, (uint32_t)c);
		bool ok = true;

		if (s.len == 0) {
			cv->null_code[c] = 1;
			continue;
		}
		switch (cv->col->type) {
		case DCR_TYPE_INT:
			ok = csv_parse_int(s.ptr, s.len, (int64_t *)cv->by_code + c) == CSV_NUM_OK;
			break;
		case DCR_TYPE_FLOAT:
			if (s.len + 1 > tmp_cap) {
				char *t = realloc(tmp, s.len + 1);

				if (!t) {
					ok = false;
					break;
				}
				tmp = t;
				tmp_cap = s.len + 1;
			}
			/* dictionary strings are NUL-terminated */
			ok = csv_parse_float(s.ptr, s.len, (double *)cv->by_code + c, tmp) ==
			     CSV_NUM_OK;
			break;
		default:
			ok = dcr_date_parse(s.ptr, s.len, (int32_t *)cv->by_code + c) == DCR_OK;
			break;
		}
		if (!ok)
			cv->bad = true; /* only out of memory: inference checked every value */
	}
	free(tmp);
}

static void convert_rows(void *ctx, unsigned worker, size_t task)
{
	struct convert *cv = ctx;
	size_t from = task * CONVERT_STEP * 16, to = from + CONVERT_STEP * 16;
	size_t w = engine_type_width(cv->col->type);
	const uint32_t *codes = cv->col->vals;
	uint8_t *nulls = cv->col->nulls;

	(void)worker;
	if (to > cv->r->rows)
		to = cv->r->rows;
	for (size_t i = from; i < to; i++) {
		uint32_t c = codes[i];
		char *o = (char *)cv->out + i * w;

		if ((nulls && nulls[i]) || cv->null_code[c]) {
			memset(o, 0, w);
			if (nulls)
				nulls[i] = 1;
		} else {
			memcpy(o, (char *)cv->by_code + (size_t)c * w, w);
		}
	}
}

/* An inferred column's final type, and its codes turned into values. */
static enum dcr_err settle(struct dcr_csv_reader *r, struct bcol *col)
{
	struct convert cv = {.r = r, .col = col, .dict = col->dict};
	size_t count = dcr_dict_count(col->dict), w;
	enum dcr_err err = DCR_ERR_NOMEM;

	if (!col->has_value)
		col->type = DCR_TYPE_STRING;
	else if (col->fit & CSV_FIT_INT)
		col->type = DCR_TYPE_INT;
	else if (col->fit & CSV_FIT_FLOAT)
		col->type = DCR_TYPE_FLOAT;
	else if (col->fit & CSV_FIT_DATE)
		col->type = DCR_TYPE_DATE;
	else
		col->type = DCR_TYPE_STRING;
	col->infer = false;
	if (col->type == DCR_TYPE_STRING)
		return DCR_OK;

	w = engine_type_width(col->type);
	cv.by_code = malloc((count ? count : 1) * w);
	cv.null_code = calloc(count ? count : 1, 1);
	cv.out = malloc((r->rows ? r->rows : 1) * w);
	if (!cv.by_code || !cv.null_code || !cv.out)
		goto out;
	run(r, (count + CONVERT_STEP - 1) / CONVERT_STEP, convert_codes, &cv);
	if (cv.bad)
		goto out;
	for (size_t c = 0; c < count; c++) {
		if (cv.null_code[c] && !col->nulls) {
			/* "" reads as NULL here: the column needs a NULL map after all */
			col->nulls = calloc(r->rows ? r->rows : 1, 1);
			if (!col->nulls)
				goto out;
		}
	}
	run(r, (r->rows + CONVERT_STEP * 16 - 1) / (CONVERT_STEP * 16), convert_rows, &cv);
	free(col->vals);
	col->vals = cv.out;
	cv.out = NULL;
	dict_free(col->dict);
	col->dict = NULL;
	err = DCR_OK;
out:
	free(cv.by_code);
	free(cv.null_code);
	free(cv.out);
	return err;
}

static enum dcr_err build_table(struct dcr_csv_reader *r, struct dcr_table **out,
                                struct dcr_msg *msg)
{
	struct dcr_table *t = calloc(1, sizeof(*t));
	size_t rows = r->rows, nload = r->schema.nload;

	if (!t)
		return nomem(r, msg);
	t->name = strdup(r->name);
	t->columns = calloc(nload ? nload : 1, sizeof(*t->columns));
	if (!t->name || !t->columns)
		goto nomem;
	t->row_count = rows;
	for (size_t j = 0; j < nload; j++) {
		struct bcol *c = &r->cols[j];
		struct dcr_column *col = &t->columns[j];

		if (c->infer && settle(r, c) != DCR_OK)
			goto nomem;
		/* exactly rows values (at least one, as column_alloc does) */
		if (c->vals || rows) {
			void *v = realloc(c->vals, (rows ? rows : 1) * engine_type_width(c->type));

			if (!v)
				goto nomem;
			c->vals = v;
		} else {
			c->vals = calloc(1, engine_type_width(c->type));
			if (!c->vals)
				goto nomem;
		}
		if (c->nulls) {
			uint8_t *n = realloc(c->nulls, rows ? rows : 1);

			if (!n)
				goto nomem;
			c->nulls = n;
		}
		col->name = strdup(r->schema.names[c->hdr]);
		if (!col->name)
			goto nomem;
		col->type = c->type;
		col->count = rows;
		col->nulls = c->nulls;
		col->v.data = c->vals;
		col->dict = c->dict;
		c->nulls = NULL;
		c->vals = NULL;
		c->dict = NULL;
		t->column_count = j + 1;
	}
	t->column_count = nload;
	if (r->max_memory && dcr_table_bytes(t) > r->max_memory) {
		dcr_table_free(t);
		return fail(r, msg, DCR_ERR_TOO_BIG,
		            "the table needs more than the memory limit (%zu bytes)",
		            r->max_memory);
	}
	*out = t;
	return DCR_OK;
nomem:
	dcr_table_free(t);
	return nomem(r, msg);
}

enum dcr_err dcr_csv_reader_finish(struct dcr_csv_reader *r, struct dcr_table **out,
                                   struct dcr_msg *msg)
{
	enum dcr_err err;

	*out = NULL;
	if (r->mode == M_FAILED)
		return replay(r, msg);
	if (r->mode == M_DONE)
		return dcr_fail(msg, DCR_ERR_INVALID, "CSV reader: finished twice");
	err = process(r, true, msg);
	if (err)
		return err;
	err = build_table(r, out, msg);
	if (err)
		return err;
	r->mode = M_DONE;
	return DCR_OK;
}

/* ---- files ----------------------------------------------------------------- */

#define READ_CHUNK ((size_t)4 << 20)

static enum dcr_err open_file(const char *path, int *out_fd, struct dcr_msg *msg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	*out_fd = -1;
	if (fd < 0)
		return dcr_fail(msg, errno == ENOENT ? DCR_ERR_NOT_FOUND : DCR_ERR_IO,
		                "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return dcr_fail(msg, DCR_ERR_IO, "is a directory");
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*out_fd = fd;
	return DCR_OK;
}

/* Reads fd through r until the end (or, for a header-only reader, until
 * the header is known): straight into the block being filled. */
static enum dcr_err pump(struct dcr_csv_reader *r, int fd, struct dcr_msg *msg)
{
	char bounce[4096];

	for (;;) {
		enum dcr_err err;
		char *at = bounce;
		size_t want = sizeof(bounce);
		ssize_t n;

		if (r->mode != M_DRAIN) {
			err = room(r, READ_CHUNK, &at, &want, msg);
			if (err)
				return err;
		}
		n = read(fd, at, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(r, msg, DCR_ERR_IO, "cannot read: %s", strerror(errno));
		if (n == 0)
			return DCR_OK;
		if (r->mode == M_DRAIN) {
			err = drain(r, bounce, (size_t)n, msg);
		} else {
			r->len += (size_t)n;
			err = process(r, false, msg);
		}
		if (err)
			return err;
		if (r->header_only && r->mode != M_HEADER)
			return DCR_OK;
	}
}

enum dcr_err dcr_csv_load_file(const char *path, const char *name,
                               const struct dcr_csv_options *opts, struct dcr_table **out,
                               struct dcr_msg *msg)
{
	struct dcr_csv_reader *r = NULL;
	enum dcr_err err;
	int fd;

	*out = NULL;
	err = open_file(path, &fd, msg);
	if (err)
		return err;
	err = dcr_csv_reader_new(name, opts, &r);
	if (err) {
		close(fd);
		return dcr_fail(msg, err, "%s",
		                err == DCR_ERR_NOMEM ? "out of memory" :
		                err == DCR_ERR_TOO_BIG ?
		                "the schema has more columns than the limit" :
		                "invalid schema (unnamed, duplicate or unloadable column)");
	}
	err = pump(r, fd, msg);
	close(fd);
	if (!err)
		err = dcr_csv_reader_finish(r, out, msg);
	dcr_csv_reader_free(r);
	return err;
}

enum dcr_err dcr_csv_read_header(const char *path, char ***out_names, size_t *out_count,
                                 struct dcr_msg *msg)
{
	static const struct dcr_csv_options one_thread = {.threads = 1};
	struct dcr_csv_reader *r = NULL;
	enum dcr_err err;
	int fd;

	*out_names = NULL;
	*out_count = 0;
	err = open_file(path, &fd, msg);
	if (err)
		return err;
	err = dcr_csv_reader_new("", &one_thread, &r);
	if (err) {
		close(fd);
		return dcr_fail(msg, err, "out of memory");
	}
	r->header_only = true;
	err = pump(r, fd, msg);
	close(fd);
	if (!err && r->mode == M_HEADER)
		err = process(r, true, msg);
	if (!err) {
		/* hand the names over */
		*out_names = r->schema.names;
		*out_count = r->schema.ncols;
		r->schema.names = NULL;
		r->schema.ncols = 0;
	}
	dcr_csv_reader_free(r);
	return err;
}
