/* SPDX-License-Identifier: Apache-2.0 */
/* engine: CSV ingest — RFC 4180 edge cases, types and inference, NULLs, ids,
 * errors with their line and column, limits, `only`, and headers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "testutil.h"
#include "engine/csv_int.h"

/* Loads text through a reader fed in pieces of piece bytes (0: at once). */
static enum dcr_err load_opts(const char *text, size_t len, const struct dcr_csv_options *o,
                              size_t piece, struct dcr_table **t, struct dcr_msg *msg)
{
	struct dcr_csv_reader *r;
	enum dcr_err err;

	*t = NULL;
	msg->text[0] = '\0';
	err = dcr_csv_reader_new("t", o, &r);
	assert_int_equal(err, DCR_OK);
	for (size_t off = 0; off < len && !err;) {
		size_t n = piece && len - off > piece ? piece : len - off;

		err = dcr_csv_reader_write(r, text + off, n, msg);
		off += n;
	}
	if (!err)
		err = dcr_csv_reader_finish(r, t, msg);
	if (err)
		assert_null(*t);
	dcr_csv_reader_free(r);
	return err;
}

static enum dcr_err load(const char *text, const struct dcr_csv_options *o, struct dcr_table **t,
                         struct dcr_msg *msg)
{
	return load_opts(text, strlen(text), o, 0, t, msg);
}

/* Asserts that text fails with err and a message containing needle. */
static void expect_error(const char *text, const struct dcr_csv_options *o, enum dcr_err err,
                         const char *needle)
{
	struct dcr_table *t;
	struct dcr_msg msg;
	enum dcr_err got = load(text, o, &t, &msg);

	if (got != err)
		fail_msg("expected error %d, got %d (\"%s\") for input \"%s\"", err, got, msg.text,
		         text);
	tu_assert_msg(&msg, needle);
}

static struct dcr_table *load_ok(const char *text, const struct dcr_csv_options *o)
{
	struct dcr_table *t;
	struct dcr_msg msg;
	enum dcr_err err = load(text, o, &t, &msg);

	if (err)
		fail_msg("load failed: %s (input \"%s\")", msg.text, text);
	return t;
}

static const struct dcr_column *col(const struct dcr_table *t, const char *name)
{
	const struct dcr_column *c = dcr_table_column(t, name);

	if (!c)
		fail_msg("no column %s", name);
	return c;
}

static bool is_null(const struct dcr_column *c, size_t row)
{
	return c->nulls && c->nulls[row];
}

static void assert_str(const struct dcr_column *c, size_t row, const char *want)
{
	struct dcr_str s;

	assert_int_equal(c->type, DCR_TYPE_STRING);
	assert_false(is_null(c, row));
	s = dcr_dict_get(c->dict, c->v.code[row]);
	if (s.len != strlen(want) || memcmp(s.ptr, want, s.len) != 0)
		fail_msg("row %zu: \"%.*s\", want \"%s\"", row, (int)s.len, s.ptr, want);
}

/* ---- RFC 4180 ------------------------------------------------------------ */

static void test_basic_types(void **state)
{
	struct dcr_table *t;
	const struct dcr_column *c;

	(void)state;
	t = load_ok("i,f,d,s\n1,1.5,2026-01-31,abc\n-12,2,1970-01-01,x y\n", NULL);
	assert_string_equal(t->name, "t");
	assert_int_equal(t->row_count, 2);
	assert_int_equal(t->column_count, 4);
	c = col(t, "i");
	assert_int_equal(c->type, DCR_TYPE_INT);
	assert_null(c->nulls);
	assert_int_equal(c->v.i64[0], 1);
	assert_int_equal(c->v.i64[1], -12);
	c = col(t, "f");
	assert_int_equal(c->type, DCR_TYPE_FLOAT);
	assert_true(c->v.f64[0] == 1.5 && c->v.f64[1] == 2.0);
	c = col(t, "d");
	assert_int_equal(c->type, DCR_TYPE_DATE);
	assert_int_equal(c->v.date[0], 20484);
	assert_int_equal(c->v.date[1], 0);
	c = col(t, "s");
	assert_str(c, 0, "abc");
	assert_str(c, 1, "x y");
	/* columns in header order, names as written */
	assert_string_equal(t->columns[0].name, "i");
	assert_string_equal(t->columns[3].name, "s");
	/* nothing is ranked at load: ranks are for a query's own results */
	assert_null(c->dict->ranks);
	dcr_table_free(t);
}

static void test_quotes(void **state)
{
	struct dcr_table *t;
	const struct dcr_column *c;

	(void)state;
	t = load_ok("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"multi\nline\",\"crlf\r\ninside\"\n"
	            "\"\",\"\"\"\"\n",
	            NULL);
	assert_int_equal(t->row_count, 3);
	c = col(t, "a");
	assert_str(c, 0, "x,y");
	assert_str(c, 1, "multi\nline");
	assert_str(c, 2, "");
	c = col(t, "b");
	assert_str(c, 0, "say \"hi\"");
	assert_str(c, 1, "crlf\r\ninside");
	assert_str(c, 2, "\"");
	dcr_table_free(t);

	/* quoted header names */
	t = load_ok("\"first, name\",\"q\"\"\"\n1,2\n", NULL);
	assert_string_equal(t->columns[0].name, "first, name");
	assert_string_equal(t->columns[1].name, "q\"");
	dcr_table_free(t);
}

static void test_line_ends(void **state)
{
	struct dcr_table *t;

	(void)state;
	/* CRLF, a BOM, no final line end */
	t = load_ok("\xef\xbb\xbf" "a,b\r\n1,x\r\n2,y", NULL);
	assert_string_equal(t->columns[0].name, "a");
	assert_int_equal(t->row_count, 2);
	assert_int_equal(col(t, "a")->v.i64[1], 2);
	assert_str(col(t, "b"), 1, "y");
	dcr_table_free(t);

	/* empty lines anywhere are skipped, LF or CRLF */
	t = load_ok("\n\r\na\n\n1\r\n\r\n\n2\n\n", NULL);
	assert_int_equal(t->row_count, 2);
	assert_int_equal(col(t, "a")->v.i64[0], 1);
	assert_int_equal(col(t, "a")->v.i64[1], 2);
	dcr_table_free(t);

	/* a CR just before the end of the file ends the record */
	t = load_ok("a\n1\r", NULL);
	assert_int_equal(t->row_count, 1);
	dcr_table_free(t);

	/* a header-only file is an empty table; with or without its line end */
	t = load_ok("a,b\n", NULL);
	assert_int_equal(t->row_count, 0);
	assert_int_equal(t->column_count, 2);
	assert_int_equal(col(t, "a")->type, DCR_TYPE_STRING);
	assert_non_null(col(t, "a")->v.data);
	dcr_table_free(t);
	t = load_ok("a,b", NULL);
	assert_int_equal(t->row_count, 0);
	dcr_table_free(t);

	/* a single column */
	t = load_ok("only\nx\n\"\"\ny\n", NULL);
	assert_int_equal(t->column_count, 1);
	assert_int_equal(t->row_count, 3);
	assert_str(col(t, "only"), 1, "");
	assert_str(col(t, "only"), 2, "y");
	dcr_table_free(t);

	/* no trimming: spaces belong to the value */
	t = load_ok("a,b\n 12,x \n", NULL);
	assert_str(col(t, "a"), 0, " 12");
	assert_str(col(t, "b"), 0, "x ");
	dcr_table_free(t);
}

static void test_structure_errors(void **state)
{
	(void)state;
	expect_error("a,b\n1,2\n3\n", NULL, DCR_ERR_INVALID, "line 3: 1 field, the header has 2");
	expect_error("a,b\n1,2\n3,4,5,6\n", NULL, DCR_ERR_INVALID,
	             "line 3: 4 fields, the header has 2");
	expect_error("a,b\n1,x\"y\n", NULL, DCR_ERR_INVALID,
	             "line 2, column b: quote in an unquoted field");
	expect_error("a,b\n1,\"x\"y\n", NULL, DCR_ERR_INVALID,
	             "line 2, column b: text after a closing quote");
	expect_error("a,b\n1,2\n3,\"open\n\n", NULL, DCR_ERR_INVALID,
	             "line 3, column b: quoted field not closed at the end of the file");
	expect_error("a,b\n1,2\r3,4\n", NULL, DCR_ERR_INVALID,
	             "line 2, column b: carriage return not followed by a line feed");
	/* lines count the line breaks inside quoted fields */
	expect_error("a,b\n\"one\ntwo\nthree\",1\nx,2,3\n", NULL, DCR_ERR_INVALID,
	             "line 5: 3 fields, the header has 2");
	expect_error("a,b\n1,\"x\ny\"\n2,3\n4,\"q\"z\n", NULL, DCR_ERR_INVALID,
	             "line 5, column b: text after a closing quote");
	/* a value after a multi-line field is on the line where it starts */
	{
		struct dcr_csv_column schema[] = {{"a", DCR_TYPE_STRING}, {"n", DCR_TYPE_INT}};
		struct dcr_csv_options o = {.columns = schema, .column_count = 2};

		expect_error("a,n\n\"x\ny\",\n\"p\nq\",7x\n", &o, DCR_ERR_INVALID,
		             "line 5, column n: not an int: \"7x\"");
	}
	/* an extra field after a quoted one; field numbers past the header */
	expect_error("a\n\"x\",\"y\n", NULL, DCR_ERR_INVALID,
	             "line 2, field 2: quoted field not closed");
	/* the empty file, and one of empty lines only, has no header */
	expect_error("", NULL, DCR_ERR_INVALID, "line 1: no header row");
	expect_error("\xef\xbb\xbf", NULL, DCR_ERR_INVALID, "no header row");
	expect_error("\n\r\n\n", NULL, DCR_ERR_INVALID, "line 4: no header row");
	/* header errors */
	expect_error("a,\"b\n", NULL, DCR_ERR_INVALID, "line 1, field 2: quoted field not closed");
	expect_error("\n\na,b\"c\n", NULL, DCR_ERR_INVALID,
	             "line 3, field 2: quote in an unquoted field");
}

static void test_error_precedence(void **state)
{
	struct dcr_csv_column schema[] = {{"n", DCR_TYPE_INT}, {"s", DCR_TYPE_STRING}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 2};

	(void)state;
	/* a ragged row is reported as such, not as the value it shifted */
	expect_error("n,s\nabc,x,y\n", &o, DCR_ERR_INVALID, "line 2: 3 fields, the header has 2");
	/* a malformed field beats a bad value earlier in the record */
	expect_error("n,s\nabc,x\"y\n", &o, DCR_ERR_INVALID, "line 2, column s: quote in an");
	/* the first bad value in the record */
	{
		struct dcr_csv_column s2[] = {{"a", DCR_TYPE_INT}, {"b", DCR_TYPE_INT}};
		struct dcr_csv_options o2 = {.columns = s2, .column_count = 2};

		expect_error("a,b\n1,2\nx,y\n", &o2, DCR_ERR_INVALID,
		             "line 3, column a: not an int: \"x\"");
	}
	/* the first error in the file, not the worst */
	expect_error("n,s\n1,x\n2\n3,\"a\"b\n", &o, DCR_ERR_INVALID, "line 3: 1 field");
}

/* ---- values ------------------------------------------------------------- */

static void test_ints(void **state)
{
	struct dcr_csv_column schema[] = {{"n", DCR_TYPE_INT}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 1};
	struct dcr_table *t;
	const struct dcr_column *c;

	(void)state;
	t = load_ok("n\n0\n+7\n007\n-9223372036854775808\n9223372036854775807\n"
	            "\"42\"\n0000000000000000000000000001\n-0\n",
	            &o);
	c = col(t, "n");
	assert_int_equal(c->type, DCR_TYPE_INT);
	assert_int_equal(c->v.i64[0], 0);
	assert_int_equal(c->v.i64[1], 7);
	assert_int_equal(c->v.i64[2], 7);
	assert_true(c->v.i64[3] == INT64_MIN);
	assert_true(c->v.i64[4] == INT64_MAX);
	assert_int_equal(c->v.i64[5], 42);
	assert_int_equal(c->v.i64[6], 1);
	assert_int_equal(c->v.i64[7], 0);
	dcr_table_free(t);

	expect_error("n\n9223372036854775808\n", &o, DCR_ERR_INVALID,
	             "line 2, column n: int out of range: \"9223372036854775808\"");
	expect_error("n\n1\n-9223372036854775809\n", &o, DCR_ERR_INVALID,
	             "line 3, column n: int out of range");
	expect_error("n\n1.0\n", &o, DCR_ERR_INVALID, "line 2, column n: not an int: \"1.0\"");
	expect_error("n\n 1\n", &o, DCR_ERR_INVALID, "not an int: \" 1\"");
	expect_error("n\n-\n", &o, DCR_ERR_INVALID, "not an int: \"-\"");
	expect_error("n\n1e3\n", &o, DCR_ERR_INVALID, "not an int");
	expect_error("n\n--1\n", &o, DCR_ERR_INVALID, "not an int");
	expect_error("n\n0x10\n", &o, DCR_ERR_INVALID, "not an int");
	/* values in messages: unescaped, then escaped for the terminal, cut */
	expect_error("n\n\"1\"\"2\"\n", &o, DCR_ERR_INVALID, "not an int: \"1\\\"2\"");
	expect_error("n\na\tb\x01\\\n", &o, DCR_ERR_INVALID, "not an int: \"a\\tb\\x01\\\\\"");
	expect_error("n\n1234567890123456789012345678901234567890123456789\n", &o, DCR_ERR_INVALID,
	             "int out of range: \"1234567890123456789012345678901234567890\"...");
	expect_error("n\n\"123456789012345678901234567890123456789\xc3\xa9\"\n", &o,
	             DCR_ERR_INVALID,
	             "not an int: \"123456789012345678901234567890123456789\"...");
}

static void test_floats(void **state)
{
	struct dcr_csv_column schema[] = {{"x", DCR_TYPE_FLOAT}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 1};
	static const char *const texts[] = {
		"1.5", "-2e-3", ".5", "3.", "7", "+0.25", "1E10", "-0", "0.1", "91.07",
		"123456789012345678901234567890", "1.7976931348623157e308", "4.9e-324",
		"2.2250738585072011e-308", "9007199254740993", "1e23", "8.589973e9",
		"0.000000000000000000000000000001", "1e-400", "123456.789e-2", "1e37",
		"00000000000000000000000001.5", "3.14159265358979323846264338327950288",
	};
	char text[2048] = "x\n";
	struct dcr_table *t;
	const struct dcr_column *c;
	size_t n = sizeof(texts) / sizeof(texts[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		strcat(text, texts[i]);
		strcat(text, "\n");
	}
	t = load_ok(text, &o);
	c = col(t, "x");
	assert_int_equal(c->type, DCR_TYPE_FLOAT);
	assert_int_equal(t->row_count, n);
	/* correctly rounded: the same double as strtod */
	for (size_t i = 0; i < n; i++)
		if (memcmp(&c->v.f64[i], &(double){strtod(texts[i], NULL)}, sizeof(double)) != 0)
			fail_msg("%s: got %.17g", texts[i], c->v.f64[i]);
	assert_true(signbit(c->v.f64[7]));
	dcr_table_free(t);

	/* random decimals against strtod, short and long */
	{
		size_t cap = 1 << 18;
		char *big = malloc(cap), one[64];
		double want[2000];
		uint64_t s = 12345;
		size_t len = 2;

		memcpy(big, "x\n", 3);

		for (int i = 0; i < 2000; i++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			int digits = 1 + (int)(s >> 60), e = (int)((s >> 40) % 60) - 30;
			uint64_t m = (s >> 3) % 10000000000000000000ULL;

			snprintf(one, sizeof(one), "%s%.*llu.%llue%d", (s & 4) ? "-" : "",
			         digits, (unsigned long long)(m % 1000000000ULL),
			         (unsigned long long)(m / 7), e);
			want[i] = strtod(one, NULL);
			len += (size_t)snprintf(big + len, cap - len, "%s\n", one);
		}
		t = load_ok(big, &o);
		free(big);
		c = col(t, "x");
		for (int i = 0; i < 2000; i++)
			assert_memory_equal(&c->v.f64[i], &want[i], sizeof(double));
		dcr_table_free(t);
	}

	expect_error("x\ninf\n", &o, DCR_ERR_INVALID, "line 2, column x: not a float: \"inf\"");
	expect_error("x\nnan\n", &o, DCR_ERR_INVALID, "not a float");
	expect_error("x\n0x1p3\n", &o, DCR_ERR_INVALID, "not a float");
	expect_error("x\n.\n", &o, DCR_ERR_INVALID, "not a float: \".\"");
	expect_error("x\n1e\n", &o, DCR_ERR_INVALID, "not a float: \"1e\"");
	expect_error("x\n1e+\n", &o, DCR_ERR_INVALID, "not a float");
	expect_error("x\n1.2.3\n", &o, DCR_ERR_INVALID, "not a float");
	expect_error("x\n1,5\n", &o, DCR_ERR_INVALID, "2 fields");
	expect_error("x\n1e999\n", &o, DCR_ERR_INVALID, "line 2, column x: float out of range");
	expect_error("x\n-1e400\n", &o, DCR_ERR_INVALID, "float out of range");
}

static void test_dates(void **state)
{
	struct dcr_csv_column schema[] = {{"d", DCR_TYPE_DATE}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 1};
	struct dcr_table *t;

	(void)state;
	t = load_ok("d\n2024-02-29\n\"0001-01-01\"\n9999-12-31\n", &o);
	assert_int_equal(col(t, "d")->v.date[0], 19782);
	assert_int_equal(col(t, "d")->v.date[2], 2932896);
	dcr_table_free(t);
	expect_error("d\n2023-02-29\n", &o, DCR_ERR_INVALID,
	             "line 2, column d: not a date (YYYY-MM-DD): \"2023-02-29\"");
	expect_error("d\n2023-1-2\n", &o, DCR_ERR_INVALID, "not a date");
	expect_error("d\n2023-01-02T00:00\n", &o, DCR_ERR_INVALID, "not a date");
}

static void test_nulls(void **state)
{
	struct dcr_csv_column schema[] = {
		{"i", DCR_TYPE_INT}, {"f", DCR_TYPE_FLOAT}, {"d", DCR_TYPE_DATE},
		{"s", DCR_TYPE_STRING}, {"id", DCR_TYPE_ID},
	};
	struct dcr_csv_options o = {.columns = schema, .column_count = 5};
	struct dcr_table *t;
	static const char *const names[] = {"i", "f", "d", "id"};

	(void)state;
	t = load_ok("i,f,d,s,id\n"
	            ",,,,\n"
	            "\"\",\"\",\"\",\"\",\"\"\n"
	            "1,2,2020-01-01,x,"
	            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	            &o);
	assert_int_equal(t->row_count, 3);
	/* unquoted empty: NULL everywhere; quoted empty: NULL except in strings */
	for (size_t k = 0; k < 4; k++) {
		const struct dcr_column *c = col(t, names[k]);

		assert_non_null(c->nulls);
		assert_true(c->nulls[0] && c->nulls[1] && !c->nulls[2]);
	}
	assert_true(is_null(col(t, "s"), 0));
	assert_str(col(t, "s"), 1, "");
	assert_str(col(t, "s"), 2, "x");
	/* values under NULL are zero */
	assert_int_equal(col(t, "i")->v.i64[0], 0);
	dcr_table_free(t);

	/* no NULL, no NULL map */
	t = load_ok("i,f,d,s,id\n1,2,2020-01-01,x,"
	            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	            &o);
	for (size_t k = 0; k < t->column_count; k++)
		assert_null(t->columns[k].nulls);
	dcr_table_free(t);
}

static void test_inference(void **state)
{
	struct dcr_table *t;
	const struct dcr_column *c;

	(void)state;
	t = load_ok("a,b,c,d,e,f,g,h,i\n"
	            "1,1,007,2020-01-01,2020-01-01,,\"\",1,1e5\n"
	            "2,2.5,8,x,2020-02-30,,\"\",,\"\"\n"
	            "+3,-4,abc,2020-01-03,2020-01-04,,\"\",,2\n",
	            NULL);
	assert_int_equal(col(t, "a")->type, DCR_TYPE_INT);
	assert_int_equal(col(t, "a")->v.i64[2], 3);
	c = col(t, "b"); /* int + float -> float */
	assert_int_equal(c->type, DCR_TYPE_FLOAT);
	assert_true(c->v.f64[0] == 1.0 && c->v.f64[1] == 2.5 && c->v.f64[2] == -4.0);
	c = col(t, "c"); /* int + text -> string, text kept exactly */
	assert_str(c, 0, "007");
	assert_str(c, 1, "8");
	c = col(t, "d"); /* date + text -> string */
	assert_str(c, 0, "2020-01-01");
	assert_int_equal(col(t, "e")->type, DCR_TYPE_STRING); /* 2020-02-30 is no date */
	c = col(t, "f"); /* nothing at all: string, all NULL */
	assert_int_equal(c->type, DCR_TYPE_STRING);
	assert_true(is_null(c, 0) && is_null(c, 2));
	assert_str(col(t, "g"), 0, ""); /* only "": strings */
	c = col(t, "h"); /* int with NULLs */
	assert_int_equal(c->type, DCR_TYPE_INT);
	assert_true(!is_null(c, 0) && is_null(c, 1) && is_null(c, 2));
	c = col(t, "i"); /* "" is NULL in a number column */
	assert_int_equal(c->type, DCR_TYPE_FLOAT);
	assert_true(c->v.f64[0] == 1e5 && is_null(c, 1) && c->v.f64[2] == 2.0);
	dcr_table_free(t);

	t = load_ok("d,x,big\n2024-01-01,+7,99999999999999999999\n2024-01-02,\"-8\",1\n", NULL);
	c = col(t, "d");
	assert_int_equal(c->type, DCR_TYPE_DATE);
	assert_int_equal(c->v.date[1], 19724);
	assert_int_equal(col(t, "x")->type, DCR_TYPE_INT);
	assert_int_equal(col(t, "x")->v.i64[1], -8);
	/* past int64: a float */
	assert_int_equal(col(t, "big")->type, DCR_TYPE_FLOAT);
	dcr_table_free(t);

	/* inference never yields id */
	t = load_ok("id\n00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", NULL);
	assert_int_equal(col(t, "id")->type, DCR_TYPE_STRING);
	dcr_table_free(t);
	/* inf, nan and 1e999 are text */
	t = load_ok("x\n1\ninf\n", NULL);
	assert_int_equal(col(t, "x")->type, DCR_TYPE_STRING);
	dcr_table_free(t);
	t = load_ok("x\n1\n1e999\n", NULL);
	assert_int_equal(col(t, "x")->type, DCR_TYPE_STRING);
	dcr_table_free(t);
}

/* ---- ids ---------------------------------------------------------------- */

struct id_ctx {
	int calls;
	bool nul_terminated;
};

static enum dcr_err email_id(void *ctx, const char *text, size_t len,
                             uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg)
{
	struct id_ctx *c = ctx;

	c->calls++;
	c->nul_terminated = text[len] == '\0';
	if (!memchr(text, '@', len))
		return dcr_fail(msg, DCR_ERR_INVALID, "an e-mail address needs an @");
	memset(out, 0, DCR_ID_SIZE);
	memcpy(out, text, len < DCR_ID_SIZE ? len : DCR_ID_SIZE);
	return DCR_OK;
}

static enum dcr_err broken_id(void *ctx, const char *text, size_t len,
                              uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg)
{
	(void)ctx;
	(void)text;
	(void)len;
	(void)out;
	return dcr_fail(msg, DCR_ERR_INTERNAL, "hash unavailable");
}

static void test_ids(void **state)
{
	struct dcr_csv_column schema[] = {{"who", DCR_TYPE_ID}, {"n", DCR_TYPE_INT}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 2};
	struct id_ctx ctx = {0};
	struct dcr_table *t;
	const struct dcr_column *c;
	uint8_t want[32];
	const char *hex = "00112233445566778899aabbccddeeff0123456789abcdefFEDCBA9876543210";

	(void)state;
	assert_int_equal(dcr_hex_decode(want, 32, hex, 64), DCR_OK);
	{
		char text[512];

		snprintf(text, sizeof(text), "who,n\n%s,1\n\"%s\",2\n,3\n", hex, hex);
		t = load_ok(text, &o);
	}
	c = col(t, "who");
	assert_int_equal(c->type, DCR_TYPE_ID);
	assert_memory_equal(c->v.id, want, 32);
	assert_memory_equal(c->v.id + 32, want, 32);
	assert_true(is_null(c, 2));
	dcr_table_free(t);

	expect_error("who,n\n0011,1\n", &o, DCR_ERR_INVALID,
	             "line 2, column who: not an id: must be 64 hex digits: \"0011\"");
	expect_error("who,n\n00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg,1\n",
	             &o, DCR_ERR_INVALID, "not an id: must be 64 hex digits");
	expect_error("who,n\n00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0,1\n",
	             &o, DCR_ERR_INVALID, "not an id");

	/* anything else goes through the id function */
	o.id_fn = email_id;
	o.id_ctx = &ctx;
	t = load_ok("who,n\nann@example.com,1\n"
	            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff,2\n",
	            &o);
	assert_int_equal(ctx.calls, 1);
	assert_true(ctx.nul_terminated);
	assert_memory_equal(col(t, "who")->v.id, "ann@example.com", 15);
	dcr_table_free(t);
	expect_error("who,n\nann@example.com,1\nbob,2\n", &o, DCR_ERR_INVALID,
	             "line 3, column who: not an id (an e-mail address needs an @): \"bob\"");
	o.id_fn = broken_id;
	expect_error("who,n\nann,1\n", &o, DCR_ERR_INTERNAL, "line 2: hash unavailable");
}

/* ---- header and schema ------------------------------------------------ */

static void test_header_rules(void **state)
{
	struct dcr_csv_column schema[] = {
		{"id", DCR_TYPE_ID}, {"Amount", DCR_TYPE_FLOAT}, {"day", DCR_TYPE_DATE},
	};
	struct dcr_csv_options o = {.columns = schema, .column_count = 3};
	struct dcr_table *t;

	(void)state;
	expect_error("a,,c\n", NULL, DCR_ERR_INVALID, "line 1, field 2: empty column name");
	expect_error("\na,B,b\n", NULL, DCR_ERR_INVALID,
	             "line 2: duplicate column name b (fields 2 and 3)");
	{
		static const char nul[] = "a,\"x\0y\"\n1,2\n";
		struct dcr_msg msg;

		assert_int_equal(load_opts(nul, sizeof(nul) - 1, NULL, 0, &t, &msg),
		                 DCR_ERR_INVALID);
		tu_assert_msg(&msg, "line 1, field 2: a column name holds a NUL byte");
	}

	/* any order, any case; names as in the file */
	t = load_ok("DAY,amount,ID\n2020-01-01,1.5,"
	            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
	            &o);
	assert_string_equal(t->columns[0].name, "DAY");
	assert_int_equal(t->columns[0].type, DCR_TYPE_DATE);
	assert_int_equal(t->columns[1].type, DCR_TYPE_FLOAT);
	assert_int_equal(t->columns[2].type, DCR_TYPE_ID);
	dcr_table_free(t);

	expect_error("id,amount\n", &o, DCR_ERR_INVALID,
	             "line 1: the header does not match the schema: missing day");
	expect_error("id,amount,day,extra,more\n", &o, DCR_ERR_INVALID,
	             "not in the schema extra, more");
	expect_error("id,amount,day,Day\n", &o, DCR_ERR_INVALID, "more than once Day");
	expect_error("id,amt,day,day\n", &o, DCR_ERR_INVALID,
	             "missing Amount; not in the schema amt; more than once day");
	/* the schema's types are enforced */
	expect_error("id,amount,day\n,x,\n", &o, DCR_ERR_INVALID,
	             "line 2, column amount: not a float: \"x\"");
}

static void test_read_header(void **state)
{
	char *dir = tu_tmpdir();
	char **names;
	size_t count;
	struct dcr_msg msg;

	(void)state;
	{
		const char *text = "\xef\xbb\xbf\r\n\"x,y\",B\r\n1,2\n3\n";

		tu_write(tu_path(dir, "a.csv"), text, strlen(text));
	}
	assert_int_equal(dcr_csv_read_header(tu_path(dir, "a.csv"), &names, &count, &msg), DCR_OK);
	assert_int_equal(count, 2);
	assert_string_equal(names[0], "x,y");
	assert_string_equal(names[1], "B");
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);

	tu_write(tu_path(dir, "h.csv"), "solo", 4);
	assert_int_equal(dcr_csv_read_header(tu_path(dir, "h.csv"), &names, &count, &msg), DCR_OK);
	assert_int_equal(count, 1);
	assert_string_equal(names[0], "solo");
	free(names[0]);
	free(names);

	tu_write(tu_path(dir, "e.csv"), "", 0);
	assert_int_equal(dcr_csv_read_header(tu_path(dir, "e.csv"), &names, &count, &msg),
	                 DCR_ERR_INVALID);
	assert_null(names);
	tu_assert_msg(&msg, "line 1: no header row");
	assert_null(strstr(msg.text, "e.csv")); /* the caller names the file */
	tu_write(tu_path(dir, "d.csv"), "a,A\n", 4);
	assert_int_equal(dcr_csv_read_header(tu_path(dir, "d.csv"), &names, &count, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "duplicate column name");
	assert_int_equal(dcr_csv_read_header(tu_path(dir, "none.csv"), &names, &count, &msg),
	                 DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "cannot open: No such file");
	tu_rmdir(dir);
}

static void test_load_file(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_table *t;
	struct dcr_msg msg;

	(void)state;
	tu_write(tu_path(dir, "ok.csv"), "a,b\n1,x\n", 8);
	assert_int_equal(dcr_csv_load_file(tu_path(dir, "ok.csv"), "sales", NULL, &t, &msg),
	                 DCR_OK);
	assert_string_equal(t->name, "sales");
	assert_int_equal(t->row_count, 1);
	dcr_table_free(t);
	tu_write(tu_path(dir, "bad.csv"), "a,b\n1,x\n2\n", 10);
	assert_int_equal(dcr_csv_load_file(tu_path(dir, "bad.csv"), "s", NULL, &t, &msg),
	                 DCR_ERR_INVALID);
	assert_null(t);
	tu_assert_msg(&msg, "line 3: 1 field, the header has 2");
	assert_null(strstr(msg.text, "bad.csv"));
	assert_int_equal(dcr_csv_load_file(tu_path(dir, "missing.csv"), "s", NULL, &t, &msg),
	                 DCR_ERR_NOT_FOUND);
	assert_null(t);
	tu_assert_msg(&msg, "cannot open: No such file");
	assert_int_equal(dcr_csv_load_file(dir, "s", NULL, &t, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "is a directory");
	tu_rmdir(dir);
}

/* ---- only ------------------------------------------------------------- */

static void test_only(void **state)
{
	struct dcr_csv_column schema[] = {
		{"a", DCR_TYPE_INT}, {"b", DCR_TYPE_INT}, {"c", DCR_TYPE_STRING},
	};
	const char *const bc[] = {"C", "a"};
	const char *const unknown[] = {"a", "zz"};
	struct dcr_csv_options o = {.columns = schema, .column_count = 3, .only = bc,
	                            .only_count = 2};
	struct dcr_table *t;

	(void)state;
	/* loaded in header order; b's bad value is not looked at */
	t = load_ok("a,b,c\n1,notanint,x\n2,,y\n", &o);
	assert_int_equal(t->column_count, 2);
	assert_string_equal(t->columns[0].name, "a");
	assert_string_equal(t->columns[1].name, "c");
	assert_int_equal(t->columns[0].v.i64[1], 2);
	assert_null(dcr_table_column(t, "b"));
	dcr_table_free(t);
	/* but the structure of every field still is */
	expect_error("a,b,c\n1,2\n", &o, DCR_ERR_INVALID, "line 2: 2 fields, the header has 3");
	expect_error("a,b,c\n1,x\"y,z\n", &o, DCR_ERR_INVALID,
	             "line 2, column b: quote in an unquoted field");
	{
		struct dcr_csv_options small = o;

		small.max_field_size = 3;
		expect_error("a,b,c\n1,abcd,z\n", &small, DCR_ERR_TOO_BIG,
		             "line 2, column b: field over the size limit (3 bytes)");
	}
	o.only = unknown;
	expect_error("a,b,c\n", &o, DCR_ERR_INVALID, "line 1: no column zz in the header");
	/* no columns at all: still the rows, for COUNT(*) */
	o.only = bc;
	o.only_count = 0;
	t = load_ok("a,b,c\n1,2,3\n\n4,5,6\n", &o);
	assert_int_equal(t->column_count, 0);
	assert_int_equal(t->row_count, 2);
	dcr_table_free(t);
	/* inferred too */
	{
		const char *const justb[] = {"B"};
		struct dcr_csv_options inf = {.only = justb, .only_count = 1};

		t = load_ok("a,b\nx,1.5\ny,2\n", &inf);
		assert_int_equal(t->column_count, 1);
		assert_int_equal(t->columns[0].type, DCR_TYPE_FLOAT);
		dcr_table_free(t);
	}
}

/* ---- limits ------------------------------------------------------------- */

static void test_limits(void **state)
{
	struct dcr_csv_options o = {0};
	struct dcr_table *t;
	struct dcr_msg msg;

	(void)state;
	o.max_rows = 2;
	t = load_ok("a\n1\n\n2\n", &o);
	dcr_table_free(t);
	expect_error("a\n1\n\n2\n\n3\n4\n", &o, DCR_ERR_TOO_BIG, "line 6: more than 2 rows");
	o.max_rows = 0;

	o.max_columns = 3;
	t = load_ok("a,b,c\n1,2,3\n", &o);
	dcr_table_free(t);
	expect_error("a,b,c,d\n", &o, DCR_ERR_TOO_BIG, "line 1: more than 3 columns");
	o.max_columns = 0;

	o.max_field_size = 4;
	t = load_ok("a,b\nabcd,\"ab\"\n", &o);
	dcr_table_free(t);
	expect_error("a,b\nabcd,\"abcde\"\n", &o, DCR_ERR_TOO_BIG,
	             "line 2, column b: field over the size limit (4 bytes)");
	expect_error("a,b\n12345,1\n", &o, DCR_ERR_TOO_BIG, "line 2, column a: field over");
	expect_error("abcde\n", &o, DCR_ERR_TOO_BIG, "line 1, field 1: field over the size limit");
	o.max_field_size = 0;

	o.max_memory = 100000;
	t = load_ok("a\n1\n", &o);
	dcr_table_free(t);
	{
		/* 20000 distinct strings need well over 100 kB */
		size_t len = 0, cap = 20000 * 12 + 16;
		char *text = malloc(cap);

		len += (size_t)snprintf(text, cap, "s\n");
		for (int i = 0; i < 20000; i++)
			len += (size_t)snprintf(text + len, cap - len, "value%d\n", i);
		assert_int_equal(load_opts(text, len, &o, 0, &t, &msg), DCR_ERR_TOO_BIG);
		tu_assert_msg(&msg, "memory limit (100000 bytes)");
		free(text);
	}
}

static void test_memory_accounting(void **state)
{
	struct dcr_csv_column schema[] = {{"n", DCR_TYPE_INT}, {"s", DCR_TYPE_STRING}};
	struct dcr_csv_options o = {.columns = schema, .column_count = 2};
	size_t cap = 1 << 20, len = 2;
	char *text = malloc(cap);
	struct dcr_table *t;
	struct dcr_msg msg;
	size_t bytes;

	(void)state;
	memcpy(text, "n,s\n", 4);
	len = 4;
	for (int i = 0; i < 50000; i++)
		len += (size_t)snprintf(text + len, cap - len, "%d,k%d\n", i, i % 10);
	assert_int_equal(load_opts(text, len, &o, 0, &t, &msg), DCR_OK);
	bytes = dcr_table_bytes(t);
	/* the values at least, and not wildly more */
	assert_true(bytes >= 50000 * (8 + 4));
	assert_true(bytes < 50000 * (8 + 4) + (1 << 20));
	dcr_table_free(t);
	free(text);
}

/* ---- readers ---------------------------------------------------------- */

static void test_hide_values(void **state)
{
	static const struct dcr_csv_column cols[] = {{"a", DCR_TYPE_INT}, {"b", DCR_TYPE_DATE}};
	struct dcr_csv_options o = {.columns = cols, .column_count = 2};
	struct dcr_table *t;
	struct dcr_msg msg;

	(void)state;
	/* by default the value is shown; a clean room hides it from its errors */
	expect_error("a,b\n1,2026-01-01\nsecret123,2026-01-02\n", &o, DCR_ERR_INVALID, "secret123");
	o.hide_values = true;
	assert_int_equal(load("a,b\n1,2026-01-01\nsecret123,2026-01-02\n", &o, &t, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "line 3, column a");
	if (strstr(msg.text, "secret"))
		fail_msg("the value leaked into \"%s\"", msg.text);
	assert_int_equal(load("a,b\n1,31/12/2026\n", &o, &t, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "column b");
	if (strstr(msg.text, "31/12"))
		fail_msg("the value leaked into \"%s\"", msg.text);
}

static void test_reader_after_error(void **state)
{
	struct dcr_csv_reader *r;
	struct dcr_table *t;
	struct dcr_msg msg, again;

	(void)state;
	assert_int_equal(dcr_csv_reader_new("t", NULL, &r), DCR_OK);
	assert_int_equal(dcr_csv_reader_write(r, "a,b\n1,2\n3\n", 10, &msg), DCR_OK);
	assert_int_equal(dcr_csv_reader_finish(r, &t, &msg), DCR_ERR_INVALID);
	assert_null(t);
	/* the error repeats */
	assert_int_equal(dcr_csv_reader_write(r, "4,5\n", 4, &again), DCR_ERR_INVALID);
	assert_string_equal(msg.text, again.text);
	assert_int_equal(dcr_csv_reader_finish(r, &t, &again), DCR_ERR_INVALID);
	assert_string_equal(msg.text, again.text);
	dcr_csv_reader_free(r);
	dcr_csv_reader_free(NULL);

	/* misuse after a table came out */
	assert_int_equal(dcr_csv_reader_new("t", NULL, &r), DCR_OK);
	assert_int_equal(dcr_csv_reader_write(r, "a\n1\n", 4, &msg), DCR_OK);
	assert_int_equal(dcr_csv_reader_finish(r, &t, &msg), DCR_OK);
	dcr_table_free(t);
	assert_int_equal(dcr_csv_reader_write(r, "2\n", 2, &msg), DCR_ERR_INVALID);
	assert_int_equal(dcr_csv_reader_finish(r, &t, &msg), DCR_ERR_INVALID);
	assert_null(t);
	dcr_csv_reader_free(r);

	/* a bad schema is refused at once */
	{
		struct dcr_csv_column bad[] = {{"a", DCR_TYPE_BOOL}};
		struct dcr_csv_column twice[] = {{"a", DCR_TYPE_INT}, {"A", DCR_TYPE_INT}};
		struct dcr_csv_options o = {.columns = bad, .column_count = 1};

		assert_int_equal(dcr_csv_reader_new("t", &o, &r), DCR_ERR_INVALID);
		assert_null(r);
		o.columns = twice;
		o.column_count = 2;
		assert_int_equal(dcr_csv_reader_new("t", &o, &r), DCR_ERR_INVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_types),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_error_precedence),
		cmocka_unit_test(test_ints),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_inference),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_read_header),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_only),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_memory_accounting),
		cmocka_unit_test(test_reader_after_error),
		cmocka_unit_test(test_hide_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
