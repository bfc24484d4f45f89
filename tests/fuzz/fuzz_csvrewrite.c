/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness: the upload's id rewriter. One mode byte (the id's
 * normalisation, limits, how to cut the input), then the file. Properties:
 * whole and cut into input-derived pieces give the same output, counts and
 * hash, or the same error word for word; and whatever it accepts, the clean
 * room's CSV reader reads with the same number of rows. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/client.h"
#include "dcr/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dcr_contract_column cols[] = {
	{.name = "a", .type = DCR_COL_STRING, .role = DCR_ROLE_DIMENSION},
	{.name = "id", .type = DCR_COL_ID, .role = DCR_ROLE_ID},
	{.name = "b", .type = DCR_COL_STRING, .role = DCR_ROLE_DIMENSION},
};
static struct dcr_dataset ds = {.name = "d", .columns = cols, .column_count = 3,
                                .id_column = 1};
static const struct dcr_csv_column schema[] = {
	{"a", DCR_TYPE_STRING}, {"id", DCR_TYPE_ID}, {"b", DCR_TYPE_STRING}};

struct run {
	struct dcr_buf out;
	enum dcr_err err;
	struct dcr_msg msg;
	struct dcr_id_rewriter_stats st;
};

static enum dcr_err collect(void *ctx, const uint8_t *p, size_t n)
{
	return dcr_buf_append(&((struct run *)ctx)->out, p, n);
}

/* Rewrites data in pieces whose sizes come from cut (0: whole). */
static void rewrite(const uint8_t *data, size_t size, const struct dcr_id_rewriter_options *o,
                    uint8_t cut, struct run *r)
{
	struct dcr_id_rewriter *rw;
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	dcr_buf_init(&r->out, (size_t)1 << 28);
	if (dcr_id_rewriter_new(&ds, o, collect, r, &rw))
		abort();
	while (at < size && !r->err) {
		size_t n = cut ? 1 + (size_t)(data[at] + cut) % 13 : size;

		if (n > size - at)
			n = size - at;
		r->err = dcr_id_rewriter_write(rw, data + at, n, &r->msg);
		at += n;
	}
	if (!r->err)
		r->err = dcr_id_rewriter_finish(rw, &r->msg);
	dcr_id_rewriter_stats(rw, &r->st);
	dcr_id_rewriter_free(rw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct dcr_id_rewriter_options o = {0};
	struct run whole, pieces;
	uint8_t mode;

	if (!init) {
		if (dcr_crypto_init())
			abort();
		init = true;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	cols[1].normalize = (enum dcr_normalize)(mode & 3);
	if (mode & 4) {
		o.max_field_size = 16;
		o.max_record_size = 200;
	}
	rewrite(data, size, &o, 0, &whole);
	rewrite(data, size, &o, (uint8_t)(1 + (mode >> 3)), &pieces);
	if (whole.err != pieces.err || strcmp(whole.msg.text, pieces.msg.text) ||
	    whole.out.size != pieces.out.size ||
	    (whole.out.size && memcmp(whole.out.data, pieces.out.data, whole.out.size)))
		abort();
	if (!whole.err) {
		struct dcr_csv_options co = {.columns = schema, .column_count = 3, .threads = 1};
		struct dcr_csv_reader *rd;
		struct dcr_table *t = NULL;
		struct dcr_msg msg = {{0}};

		if (memcmp(&whole.st, &pieces.st, sizeof(whole.st)))
			abort();
		/* what the rewriter accepts, the clean room reads: same rows */
		if (dcr_csv_reader_new("d", &co, &rd))
			abort();
		if (dcr_csv_reader_write(rd, whole.out.data, whole.out.size, &msg) ||
		    dcr_csv_reader_finish(rd, &t, &msg)) {
			fprintf(stderr, "the reader refuses the rewriter's output: %s\n", msg.text);
			abort();
		}
		if (t->row_count != whole.st.rows)
			abort();
		dcr_table_free(t);
		dcr_csv_reader_free(rd);
	}
	dcr_buf_free(&whole.out);
	dcr_buf_free(&pieces.out);
	return 0;
}
