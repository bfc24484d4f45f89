/* SPDX-License-Identifier: Apache-2.0 */
/* engine: CSV ingest across blocks and threads — the same table (or the same
 * error) for any piece sizes, block sizes and thread counts; errors in later
 * blocks; records longer than a block. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"
#include "engine/csv_int.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* How a load is done. */
struct how {
	size_t block;     /* csv_block_size */
	unsigned threads;
	size_t piece;     /* bytes per write; 0: all at once; SIZE_MAX: random */
};

static enum dcr_err load_how(const char *text, size_t len, struct dcr_csv_options o,
                             struct how h, struct dcr_table **t, struct dcr_msg *msg)
{
	struct dcr_csv_reader *r;
	enum dcr_err err;
	size_t saved = csv_block_size;

	*t = NULL;
	msg->text[0] = '\0';
	csv_block_size = h.block;
	o.threads = h.threads;
	err = dcr_csv_reader_new("t", &o, &r);
	csv_block_size = saved;
	assert_int_equal(err, DCR_OK);
	for (size_t off = 0; off < len && !err;) {
		size_t n = h.piece == SIZE_MAX ? 1 + next() % 20000 : h.piece ? h.piece : len;

		if (n > len - off)
			n = len - off;
		err = dcr_csv_reader_write(r, text + off, n, msg);
		off += n;
	}
	if (!err)
		err = dcr_csv_reader_finish(r, t, msg);
	dcr_csv_reader_free(r);
	return err;
}

/* Every name, type, NULL and value of t as text, to compare tables. */
static char *render(const struct dcr_table *t)
{
	struct dcr_buf b;

	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "%zu rows\n", t->row_count), DCR_OK);
	for (size_t c = 0; c < t->column_count; c++) {
		const struct dcr_column *col = &t->columns[c];
		const char *nulls = col->nulls ? "+nulls" : "";

		assert_int_equal(col->count, t->row_count);
		assert_int_equal(dcr_buf_printf(&b, "%s:%s%s\n", col->name,
		                                dcr_type_name(col->type), nulls),
		                 DCR_OK);
		for (size_t r = 0; r < t->row_count; r++) {
			enum dcr_err err = DCR_OK;

			if (col->nulls && col->nulls[r]) {
				err = dcr_buf_printf(&b, "NULL\n");
			} else {
				switch (col->type) {
				case DCR_TYPE_INT:
					err = dcr_buf_printf(&b, "%lld\n",
					                     (long long)col->v.i64[r]);
					break;
				case DCR_TYPE_FLOAT:
					err = dcr_buf_printf(&b, "%a\n", col->v.f64[r]);
					break;
				case DCR_TYPE_DATE:
					err = dcr_buf_printf(&b, "%d\n", col->v.date[r]);
					break;
				case DCR_TYPE_ID: {
					char hex[65];

					dcr_hex_encode(hex, col->v.id + r * DCR_ID_SIZE,
					               DCR_ID_SIZE);
					err = dcr_buf_printf(&b, "%s\n", hex);
					break;
				}
				default: {
					struct dcr_str s = dcr_dict_get(col->dict, col->v.code[r]);

					/* the code too: dictionaries must agree, not just values */
					err = dcr_buf_printf(&b, "%u:%.*s\n", col->v.code[r],
					                     (int)s.len, s.ptr);
				}
				}
			}
			assert_int_equal(err, DCR_OK);
		}
	}
	return (char *)b.data;
}

/* A file of nrows rows exercising every feature: quotes, escapes, line breaks
 * in fields, CRLF, empty lines, NULLs, all types. */
static char *generate(size_t nrows, size_t *out_len)
{
	static const char *const words[] = {
		"north", "south", "\"quoted, with comma\"", "\"multi\nline\"", "\"say \"\"hi\"\"\"",
		"\"\"", "", "plain text", "\"crlf\r\ninside\"", "x",
	};
	struct dcr_buf b;

	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "\xef\xbb\xbfid,word,qty,amount,day,note\r\n"), DCR_OK);
	for (size_t i = 0; i < nrows; i++) {
		uint64_t x = next();
		char id[65];
		uint8_t raw[32];

		for (int k = 0; k < 32; k++)
			raw[k] = (uint8_t)(next() >> 11);
		dcr_hex_encode(id, raw, 32);
		if (x % 97 == 0)
			id[0] = '\0'; /* a NULL id */
		assert_int_equal(dcr_buf_printf(&b, "%s%s%s,%s,%lld,%s%llu.%02u,%s,%s%s",
		                                 x % 5 == 0 ? "\"" : "", id, x % 5 == 0 ? "\"" : "",
		                                 words[x % 10], (long long)(x >> 40) - 8000000,
		                                 x % 3 ? "" : "-",
		                                 (unsigned long long)(x >> 50), (unsigned)(x % 100),
		                                 x % 11 == 0 ? "" : "2024-02-29",
		                                 x % 7 == 0 ? "\"a\n\nb\"" : "n",
		                                 x % 4 == 0 ? "\r\n" : "\n"), DCR_OK);
		if (x % 13 == 0)
			assert_int_equal(dcr_buf_printf(&b, x % 2 ? "\n" : "\r\n"), DCR_OK);
	}
	*out_len = b.size;
	return (char *)b.data;
}

static const struct dcr_csv_column schema[] = {
	{"id", DCR_TYPE_ID}, {"word", DCR_TYPE_STRING}, {"qty", DCR_TYPE_INT},
	{"amount", DCR_TYPE_FLOAT}, {"day", DCR_TYPE_DATE}, {"note", DCR_TYPE_STRING},
};

static void check_same(const char *text, size_t len, struct dcr_csv_options o,
                       const struct how *hows, size_t nhows)
{
	struct dcr_table *t;
	struct dcr_msg msg;
	char *want, *got;

	assert_int_equal(load_how(text, len, o, hows[0], &t, &msg), DCR_OK);
	want = render(t);
	dcr_table_free(t);
	for (size_t i = 1; i < nhows; i++) {
		enum dcr_err err = load_how(text, len, o, hows[i], &t, &msg);

		if (err)
			fail_msg("config %zu: %s", i, msg.text);
		got = render(t);
		if (strcmp(want, got) != 0)
			fail_msg("config %zu (block %zu, %u threads, pieces %zu) differs", i,
			         hows[i].block, hows[i].threads, hows[i].piece);
		free(got);
		dcr_table_free(t);
	}
	free(want);
}

static void test_equivalence(void **state)
{
	size_t len;
	char *text = generate(40000, &len);
	const struct how hows[] = {
		{CSV_BLOCK_SIZE_DEFAULT, 1, 0},
		{CSV_BLOCK_SIZE_DEFAULT, 4, 0},
		{1 << 16, 4, SIZE_MAX},
		{1 << 16, 1, 1},
		{4096, 3, 7},
		{100, 2, SIZE_MAX},
	};
	struct dcr_csv_options o = {.columns = schema, .column_count = 6};

	(void)state;
	assert_true(len > (3 << 20)); /* several default blocks */
	check_same(text, len, o, hows, sizeof(hows) / sizeof(hows[0]));
	/* inferred: ids as strings, the rest typed */
	o.columns = NULL;
	o.column_count = 0;
	check_same(text, len, o, hows, 3);
	/* only some columns */
	{
		const char *const only[] = {"note", "qty"};

		o.only = only;
		o.only_count = 2;
		check_same(text, len, o, hows, 4);
	}
	{
		struct dcr_table *t;
		struct dcr_msg msg;

		o.only = NULL;
		o.columns = schema;
		o.column_count = 6;
		assert_int_equal(load_how(text, len, o, hows[2], &t, &msg), DCR_OK);
		assert_int_equal(t->row_count, 40000);
		assert_int_equal(dcr_table_column(t, "day")->type, DCR_TYPE_DATE);
		dcr_table_free(t);
	}
	free(text);
}

/* The same error, word for word, however the file is cut and parsed. */
static void check_error(const char *text, size_t len, struct dcr_csv_options o,
                        enum dcr_err want, const char *needle)
{
	const struct how hows[] = {
		{CSV_BLOCK_SIZE_DEFAULT, 1, 0},
		{1 << 12, 4, 0},
		{1 << 12, 2, SIZE_MAX},
		{64, 3, 1},
		{256, 1, 13},
	};
	char first[DCR_MSG_SIZE] = "";

	for (size_t i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		struct dcr_table *t;
		struct dcr_msg msg;
		enum dcr_err err = load_how(text, len, o, hows[i], &t, &msg);

		if (err != want)
			fail_msg("config %zu: error %d (%s), want %d", i, err, msg.text, want);
		assert_null(t);
		tu_assert_msg(&msg, needle);
		if (i == 0)
			memcpy(first, msg.text, sizeof(first));
		else if (strcmp(first, msg.text) != 0)
			fail_msg("config %zu: \"%s\" vs \"%s\"", i, msg.text, first);
	}
}

static void test_errors_in_later_blocks(void **state)
{
	struct dcr_csv_options o = {.columns = schema, .column_count = 6};
	size_t len;
	char *text = generate(3000, &len);
	char *copy = malloc(len + 64);
	size_t line = 1, at = 0, target = 0;

	(void)state;
	/* find the start of a record a good way in (past several 4 KiB blocks)
	 * and count its line */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			line++;
		if (i > len / 2 && text[i] == '\n' && text[i + 1] != '\n' && text[i + 1] != '\r') {
			/* a record start only if no quote is open: count quotes before */
			size_t q = 0;

			for (size_t k = 0; k <= i; k++)
				q += text[k] == '"';
			if (q % 2 == 0) {
				at = i + 1;
				target = line;
				break;
			}
		}
	}
	assert_true(at > 0);
	{
		char want[64];

		/* a bad id there */
		memcpy(copy, text, len);
		memcpy(copy + at, "zz", 2);
		snprintf(want, sizeof(want), "line %zu, column id: not an id", target);
		check_error(copy, len, o, DCR_ERR_INVALID, want);
		/* a ragged row there, and a bad value later: the first one wins */
		memcpy(copy, text, len);
		memmove(copy + at + 1, copy + at, len - at);
		copy[at] = ',';
		memcpy(copy + len + 1 - 200, "\n1,2\n", 5);
		snprintf(want, sizeof(want), "line %zu: 7 fields, the header has 6", target);
		check_error(copy, len + 1, o, DCR_ERR_INVALID, want);
		/* a stray quote there */
		memcpy(copy, text, len);
		copy[at + 3] = '"';
		snprintf(want, sizeof(want), "line %zu, column id: quote in an unquoted field",
		         target);
		check_error(copy, len, o, DCR_ERR_INVALID, want);
	}
	/* an unclosed quote near the end */
	memcpy(copy, text, len);
	memcpy(copy + len, "\"open,", 6);
	check_error(copy, len + 6, o, DCR_ERR_INVALID, "quoted field not closed at the end");
	/* limits */
	o.max_rows = 2500;
	check_error(text, len, o, DCR_ERR_TOO_BIG, "more than 2500 rows");
	free(copy);
	free(text);
}

/* With the default block size: an error in the second block of a file
 * parsed on four threads is found, on its line, and the first block's rows
 * never come out. */
static void test_error_in_second_block(void **state)
{
	struct dcr_csv_options o = {.columns = schema, .column_count = 6, .threads = 4};
	const struct how hows[] = {{CSV_BLOCK_SIZE_DEFAULT, 4, 0},
	                           {CSV_BLOCK_SIZE_DEFAULT, 2, SIZE_MAX}};
	size_t len, line = 1, at = 0;
	char *text = generate(60000, &len);
	char want[64];

	(void)state;
	assert_true(len > CSV_BLOCK_SIZE_DEFAULT + (1 << 20));
	/* the first record start (outside quotes) past 4.5 MiB */
	for (size_t i = 0, q = 0; i < len; i++) {
		q += text[i] == '"';
		line += text[i] == '\n';
		if (i > CSV_BLOCK_SIZE_DEFAULT + (1 << 19) && text[i] == '\n' && q % 2 == 0 &&
		    text[i + 1] != '\n' && text[i + 1] != '\r') {
			at = i + 1;
			break;
		}
	}
	assert_true(at > 0);
	text[at] = '\r'; /* a carriage return alone starts the record */
	snprintf(want, sizeof(want), "line %zu, column id: carriage return", line);
	for (size_t i = 0; i < 2; i++) {
		struct dcr_table *t;
		struct dcr_msg msg;

		assert_int_equal(load_how(text, len, o, hows[i], &t, &msg), DCR_ERR_INVALID);
		assert_null(t);
		tu_assert_msg(&msg, want);
	}
	free(text);
}

static void test_long_records(void **state)
{
	struct dcr_csv_column s3[] = {{"a", DCR_TYPE_STRING}, {"b", DCR_TYPE_INT},
	                              {"c", DCR_TYPE_STRING}};
	struct dcr_csv_options o = {.columns = s3, .column_count = 3};
	struct dcr_buf b;
	const struct how hows[] = {
		{CSV_BLOCK_SIZE_DEFAULT, 1, 0},
		{256, 2, 0},
		{256, 3, 1},
		{100, 1, SIZE_MAX},
	};

	(void)state;
	/* a 50 kB quoted field spanning many blocks, between ordinary rows */
	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "a,b,c\nx,1,y\n\""), DCR_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(dcr_buf_printf(&b, "%s", i % 100 ? "abcd,\"\"fg\n" : "\r\n"),
		                 DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "\",2,z\nw,3,\"\"\n"), DCR_OK);
	check_same((char *)b.data, b.size, o, hows, 4);
	{
		struct dcr_table *t;
		struct dcr_msg msg;

		assert_int_equal(load_how((char *)b.data, b.size, o, hows[1], &t, &msg), DCR_OK);
		assert_int_equal(t->row_count, 3);
		/* 50 CRLFs and 4950 times abcd,"fg + LF, unescaped */
		assert_int_equal(dcr_dict_get(t->columns[0].dict, t->columns[0].v.code[1]).len,
		                 50 * 2 + 4950 * 9);
		dcr_table_free(t);
	}
	dcr_buf_free(&b);

	/* a long record with too many fields: counted without keeping it */
	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "a,b,c\nx,1,y\n\"m\nl\",2,z\n"), DCR_OK);
	for (int i = 0; i < 4000; i++)
		assert_int_equal(dcr_buf_printf(&b, "%s", i % 1000 == 999 ? "\"q\nq\"," : "f,"),
		                 DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "end\nv,4,w\n"), DCR_OK);
	check_error((char *)b.data, b.size, o, DCR_ERR_INVALID,
	            "line 5: 4001 fields, the header has 3");
	/* the same, unfinished at the end of the file */
	check_error((char *)b.data, b.size - 10, o, DCR_ERR_INVALID, "line 5: 4001 fields");
	/* a malformed field while counting beats the count */
	b.data[b.size - 9] = '"'; /* e"d */
	check_error((char *)b.data, b.size, o, DCR_ERR_INVALID,
	            "line 9, field 4001: quote in an unquoted field");
	/* and so does a quote still open at the end */
	b.data[b.size - 9] = 'n';
	b.data[b.size - 10] = '"'; /* "nd... */
	check_error((char *)b.data, b.size, o, DCR_ERR_INVALID,
	            "line 9, field 4001: quoted field not closed at the end of the file");
	dcr_buf_free(&b);

	/* a field over the limit in a long record */
	o.max_field_size = 1000;
	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "a,b,c\nx,1,y\n\n\"ok\n\",5,\""), DCR_OK);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(dcr_buf_printf(&b, "%c", i % 500 ? 'x' : '\n'), DCR_OK);
	check_error((char *)b.data, b.size, o, DCR_ERR_TOO_BIG,
	            "line 5, column c: field over the size limit (1000 bytes)");
	dcr_buf_free(&b);
	/* and a bad value after a long record */
	o.max_field_size = 0;
	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "a,b,c\n\""), DCR_OK);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(dcr_buf_printf(&b, "%s", i % 2 ? "," : "\n"), DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "\",1,c\nx,\"1\n\",y\n"), DCR_OK);
	check_error((char *)b.data, b.size, o, DCR_ERR_INVALID,
	            "line 1003, column b: not an int: \"1\\n\"");
	dcr_buf_free(&b);
	/* a header longer than a block */
	dcr_buf_init(&b, (size_t)1 << 30);
	for (int i = 0; i < 300; i++)
		assert_int_equal(dcr_buf_printf(&b, "%scol%d", i ? "," : "", i), DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "\n"), DCR_OK);
	for (int i = 0; i < 300; i++)
		assert_int_equal(dcr_buf_printf(&b, "%s%d", i ? "," : "", i), DCR_OK);
	{
		struct dcr_csv_options none = {0};
		struct dcr_table *t;
		struct dcr_msg msg;

		check_same((char *)b.data, b.size, none, hows, 4);
		assert_int_equal(load_how((char *)b.data, b.size, none, hows[2], &t, &msg), DCR_OK);
		assert_int_equal(t->column_count, 300);
		assert_int_equal(t->columns[299].v.i64[0], 299);
		dcr_table_free(t);
		none.max_columns = 299;
		check_error((char *)b.data, b.size, none, DCR_ERR_TOO_BIG,
		            "line 1: more than 299 columns");
	}
	dcr_buf_free(&b);
}

static int id_calls;

static enum dcr_err count_id(void *ctx, const char *text, size_t len,
                             uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg)
{
	(void)ctx;
	(void)msg;
	__atomic_fetch_add(&id_calls, 1, __ATOMIC_RELAXED);
	memset(out, 0, DCR_ID_SIZE);
	memcpy(out, text, len < DCR_ID_SIZE ? len : DCR_ID_SIZE);
	return DCR_OK;
}

static void test_id_fn_threads(void **state)
{
	struct dcr_csv_column s1[] = {{"email", DCR_TYPE_ID}};
	struct dcr_csv_options o = {.columns = s1, .column_count = 1, .id_fn = count_id};
	struct dcr_buf b;
	struct dcr_table *t;
	struct dcr_msg msg;
	const struct how h = {4096, 4, 0};

	(void)state;
	dcr_buf_init(&b, (size_t)1 << 30);
	assert_int_equal(dcr_buf_printf(&b, "email\n"), DCR_OK);
	for (int i = 0; i < 20000; i++)
		assert_int_equal(dcr_buf_printf(&b, "user%d@example.com\n", i), DCR_OK);
	assert_int_equal(load_how((char *)b.data, b.size, o, h, &t, &msg), DCR_OK);
	assert_int_equal(id_calls, 20000);
	assert_memory_equal(t->columns[0].v.id + 19999 * DCR_ID_SIZE, "user19999@example.com", 21);
	dcr_table_free(t);
	dcr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalence),
		cmocka_unit_test(test_errors_in_later_blocks),
		cmocka_unit_test(test_error_in_second_block),
		cmocka_unit_test(test_long_records),
		cmocka_unit_test(test_id_fn_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
