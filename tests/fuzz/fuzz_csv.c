/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: CSV ingest. Two option bytes, then the file (after a
 * fixed header in schema mode). Loaded whole on one thread in 64 KiB blocks,
 * and in input-derived pieces on two threads with tiny blocks:
 * the same table, or the same error word for word, and never an internal
 * error (the parser and the record walker disagreeing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/csv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dcr_csv_column schema[] = {
	{"a", DCR_TYPE_INT}, {"b", DCR_TYPE_FLOAT}, {"c", DCR_TYPE_STRING},
	{"d", DCR_TYPE_DATE}, {"e", DCR_TYPE_ID},
};
static const char header[] = "a,b,c,d,e\n";

static enum dcr_err some_id(void *ctx, const char *text, size_t len,
                            uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg)
{
	(void)ctx;
	if (!memchr(text, '@', len))
		return dcr_fail(msg, DCR_ERR_INVALID, "no @");
	memset(out, 0, DCR_ID_SIZE);
	memcpy(out, text, len < DCR_ID_SIZE ? len : DCR_ID_SIZE);
	return DCR_OK;
}

static void put(struct dcr_buf *b, const void *p, size_t n)
{
	if (dcr_buf_append(b, p, n) != DCR_OK)
		abort();
}

/* The whole table as bytes: names, types, NULLs, values, codes. */
static void render(const struct dcr_table *t, struct dcr_buf *b)
{
	put(b, &t->row_count, sizeof(t->row_count));
	put(b, &t->column_count, sizeof(t->column_count));
	for (size_t c = 0; c < t->column_count; c++) {
		const struct dcr_column *col = &t->columns[c];
		size_t w = engine_type_width(col->type);

		if (col->count != t->row_count)
			abort();
		put(b, col->name, strlen(col->name) + 1);
		put(b, &col->type, sizeof(col->type));
		put(b, col->nulls ? "N" : "-", 1);
		for (size_t r = 0; r < col->count; r++) {
			bool null = col->nulls && col->nulls[r];

			put(b, null ? "0" : "1", 1);
			if (null)
				continue;
			put(b, (const char *)col->v.data + r * w, w);
			if (col->type == DCR_TYPE_STRING) {
				struct dcr_str s = dcr_dict_get(col->dict, col->v.code[r]);

				if (col->v.code[r] >= dcr_dict_count(col->dict))
					abort();
				put(b, s.ptr, s.len);
			}
		}
	}
}

struct outcome {
	enum dcr_err err;
	struct dcr_msg msg;
	struct dcr_buf table;
};

static void run(const uint8_t *text, size_t len, const struct dcr_csv_options *o,
                size_t block, uint64_t seed, struct outcome *out)
{
	struct dcr_csv_reader *r;
	struct dcr_table *t = NULL;
	size_t saved = csv_block_size;

	dcr_buf_init(&out->table, (size_t)1 << 30);
	out->msg.text[0] = '\0';
	csv_block_size = block;
	out->err = dcr_csv_reader_new("f", o, &r);
	csv_block_size = saved;
	if (out->err) /* a schema over max_columns */
		return;
	for (size_t off = 0; off < len && !out->err;) {
		size_t n = len - off;

		if (seed) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			n = 1 + (size_t)(seed >> 58) % 17;
			if (n > len - off)
				n = len - off;
		}
		out->err = dcr_csv_reader_write(r, text + off, n, &out->msg);
		off += n;
	}
	if (!out->err)
		out->err = dcr_csv_reader_finish(r, &t, &out->msg);
	if (out->err == DCR_ERR_INTERNAL) {
		fprintf(stderr, "internal error: %s\n", out->msg.text);
		abort();
	}
	if (!out->err) {
		render(t, &out->table);
		dcr_table_free(t);
	} else if (t) {
		abort(); /* nothing comes out of a failed load */
	}
	dcr_csv_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const only_schema[] = {"c", "A"};
	static const char *const only_infer[] = {"x"};
	struct dcr_csv_options o = {0};
	struct outcome one, two;
	uint8_t *text;
	size_t len, block;
	uint64_t seed = 1;
	unsigned flags;

	if (size < 2)
		return 0;
	flags = data[0];
	block = 1 + data[1] % 97;
	data += 2;
	size -= 2;
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 0x100000001b3ULL;

	text = malloc(size + sizeof(header));
	if (!text)
		abort();
	len = 0;
	if (flags & 1) {
		o.columns = schema;
		o.column_count = 5;
		memcpy(text, header, sizeof(header) - 1);
		len = sizeof(header) - 1;
	}
	if (size)
		memcpy(text + len, data, size);
	len += size;
	if (flags & 2) {
		o.only = flags & 1 ? only_schema : only_infer;
		o.only_count = flags & 1 ? 2 : 1;
	}
	if (flags & 4)
		o.id_fn = some_id;
	o.max_field_size = (flags >> 3 & 3) == 1 ? 8 : (flags >> 3 & 3) == 2 ? 100 : 0;
	o.max_rows = flags & 32 ? 5 : 0;
	o.max_columns = flags & 64 ? 3 : 0;

	o.threads = 1;
	run(text, len, &o, 1 << 16, 0, &one); /* one block for most inputs */
	o.threads = 2;
	run(text, len, &o, block, seed | 1, &two);
	if (one.err != two.err || strcmp(one.msg.text, two.msg.text) != 0 ||
	    one.table.size != two.table.size ||
	    (one.table.size && memcmp(one.table.data, two.table.data, one.table.size) != 0)) {
		fprintf(stderr, "differ: %d \"%s\" vs %d \"%s\"\n", one.err, one.msg.text, two.err,
		        two.msg.text);
		abort();
	}
	dcr_buf_free(&one.table);
	dcr_buf_free(&two.table);
	free(text);
	return 0;
}
