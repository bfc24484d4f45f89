/* SPDX-License-Identifier: Apache-2.0 */
/* Result output: doubles exactly as Python's repr (known answers, and 200k
 * doubles checked against python3 itself), and the CSV, JSON and table forms
 * of every type, NULL, quoting, escaping and layout, byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "testutil.h"

#include "engine/engine_int.h"

/* ---- doubles ----------------------------------------------------------- */

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64_t to_bits(double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(d));
	return bits;
}

static void check_double(double d, const char *want)
{
	char got[32];

	dcr_format_double(d, got);
	if (strcmp(got, want))
		fail_msg("%.17g (0x%016llx): got \"%s\", want \"%s\"", d,
		         (unsigned long long)to_bits(d), got, want);
}

/* What python3 -c 'print(repr(x))' prints. */
static void test_double_known_answers(void **state)
{
	(void)state;
	check_double(0.0, "0.0");
	check_double(-0.0, "-0.0");
	check_double(1.5, "1.5");
	check_double(3.0, "3.0");
	check_double(-12.75, "-12.75");
	check_double(100.0, "100.0");
	check_double(0.1, "0.1");
	check_double(0.1 + 0.2, "0.30000000000000004");
	check_double(1.0 / 3, "0.3333333333333333");
	check_double(2.0 / 3, "0.6666666666666666");
	check_double(0.0001, "0.0001");
	check_double(0.00012345, "0.00012345");
	check_double(0.00001, "1e-05");
	check_double(0.000012345, "1.2345e-05");
	check_double(1e15, "1000000000000000.0");
	check_double(9999999999999998.0, "9999999999999998.0");
	check_double(1e16, "1e+16");
	check_double(1.5e16, "1.5e+16");
	check_double(123456789012345678.0, "1.2345678901234568e+17");
	check_double(9007199254740993.0, "9007199254740992.0");
	check_double(1e22, "1e+22");
	check_double(1e23, "1e+23");
	check_double(1e100, "1e+100");
	check_double(-1e-100, "-1e-100");
	check_double(5e-324, "5e-324");
	check_double(-5e-324, "-5e-324");
	check_double(2.2250738585072014e-308, "2.2250738585072014e-308");
	check_double(1.7976931348623157e308, "1.7976931348623157e+308");
	check_double(HUGE_VAL, "inf");
	check_double(-HUGE_VAL, "-inf");
	check_double(NAN, "nan");
	check_double(-NAN, "nan");
	check_double(from_bits(0x7ff0000000000001), "nan");
	/* powers of two where the nearest shortest decimal does not read back
	 * but its neighbour on the other side does */
	check_double(__builtin_ldexp(1.0, -1017), "7.120236347223045e-307");
	check_double(__builtin_ldexp(1.0, -957), "8.209073602596753e-289");
	check_double(__builtin_ldexp(1.0, -921), "5.641232424577593e-278");
	check_double(__builtin_ldexp(1.0, 63), "9.223372036854776e+18");
	check_double(__builtin_ldexp(1.0, 53), "9007199254740992.0");
	check_double(__builtin_ldexp(1.0, -14), "6.103515625e-05");
	check_double(1424953923781206.2, "1424953923781206.2"); /* ties to even */
}

/* The neighbours of a positive finite double (no libm in the tests). */
static double below(double d)
{
	return from_bits(to_bits(d) - 1);
}

static double above(double d)
{
	return from_bits(to_bits(d) + 1);
}

/* xorshift64: the same doubles every run */
static uint64_t next(void)
{
	static uint64_t x = 0x2545f4914f6cdd1dull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Doubles of every kind: random bits, every power of two and its
 * neighbours, powers of ten and theirs, short decimals, integers, the edges
 * of repr's layouts (1e-4, 1e16), subnormals. */
static size_t make_doubles(double *v, size_t cap)
{
	size_t n = 0;

#define ADD(d) do { if (n < cap) v[n++] = (d); } while (0)
	for (int e = -1074; e <= 1023; e++) {
		double d = __builtin_ldexp(1.0, e);

		ADD(d);
		ADD(below(d));
		ADD(above(d));
		ADD(-d);
	}
	for (int e = -323; e <= 308; e++) {
		char text[16];
		double d;

		snprintf(text, sizeof(text), "1e%d", e);
		d = strtod(text, NULL);
		ADD(d);
		ADD(below(d));
		ADD(above(d));
	}
	for (int i = 0; i < 60000; i++) /* any bits: NaNs, infinities, subnormals too */
		ADD(from_bits(next()));
	for (int i = 0; i < 40000; i++) { /* log-uniform over the whole range */
		double m = (double)(next() >> 11) / 9007199254740992.0;

		ADD(__builtin_ldexp(1.0 + m, (int)(next() % 2098) - 1074));
	}
	for (int i = 0; i < 40000; i++) { /* short decimals, the common case */
		char text[48];
		int digits = 1 + (int)(next() % 17);
		unsigned long long mant = next() % 100000000000000000ull, scale = 1;

		for (int k = 0; k < digits; k++)
			scale *= 10;
		snprintf(text, sizeof(text), "%llu.e%d", mant % scale, (int)(next() % 60) - 30);
		ADD(strtod(text, NULL));
	}
	for (int i = 0; i < 20000; i++) { /* integers */
		uint64_t bits = next();

		ADD((double)(int64_t)(bits >> (next() % 64)));
	}
	for (int i = 0; i < 20000; i++) { /* around repr's switches */
		double edge = i % 2 ? 1e16 : 1e-4;
		double d = edge * (1.0 + ((double)(next() % 2001) - 1000) / 1e4);

		ADD(d);
		ADD(i % 4 < 2 ? below(edge) : above(edge));
	}
	for (int i = 0; i < 10000; i++) /* subnormals */
		ADD(from_bits(next() & 0x000fffffffffffffull));
#undef ADD
	return n;
}

/* Every double printed as python3 prints it: python3 reads the bits we
 * write and says repr of each. */
static void test_double_against_python(void **state)
{
	size_t cap = 250000, n;
	double *v = malloc(cap * sizeof(*v));
	char *dir = tu_tmpdir(), cmd[16384], in[4096], out[4096], line[64], got[32];
	FILE *f;
	size_t bad = 0;

	(void)state;
	assert_non_null(v);
	n = make_doubles(v, cap);
	assert_true(n > 200000);
	snprintf(in, sizeof(in), "%s/bits", dir);
	snprintf(out, sizeof(out), "%s/repr", dir);
	f = fopen(in, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%016llx\n", (unsigned long long)to_bits(v[i]));
	assert_int_equal(fclose(f), 0);
	if (system("python3 -c 'pass' >/dev/null 2>&1") != 0) {
		free(v);
		tu_rmdir(dir);
		skip();
	}
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import struct,sys\n"
	         "for h in open(sys.argv[1]):\n"
	         "    print(repr(struct.unpack(\">d\", bytes.fromhex(h.strip()))[0]))' %s > %s",
	         in, out);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(fgets(line, sizeof(line), f));
		line[strcspn(line, "\n")] = '\0';
		dcr_format_double(v[i], got);
		if (strcmp(got, line) && bad++ < 10)
			print_error("0x%016llx: got \"%s\", python says \"%s\"\n",
			            (unsigned long long)to_bits(v[i]), got, line);
	}
	fclose(f);
	free(v);
	tu_rmdir(dir);
	assert_int_equal(bad, 0);
}

/* ---- tables ------------------------------------------------------------ */

/* A table of rows rows; columns are added with add_column. */
static struct dcr_table *new_table(size_t rows, size_t columns)
{
	struct dcr_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->name = strdup("result");
	t->row_count = rows;
	t->columns = calloc(columns, sizeof(*t->columns));
	assert_non_null(t->columns);
	return t;
}

static struct dcr_column *add_column(struct dcr_table *t, const char *name, enum dcr_type type,
                                     bool with_nulls)
{
	struct dcr_column *c = &t->columns[t->column_count++];

	c->name = strdup(name);
	c->type = type;
	assert_int_equal(column_alloc(c, t->row_count, with_nulls), DCR_OK);
	if (type == DCR_TYPE_STRING) {
		c->dict = dict_new();
		assert_non_null(c->dict);
	}
	return c;
}

static void set_string(struct dcr_column *c, size_t row, const char *s, size_t len)
{
	assert_int_equal(dict_intern(c->dict, s, (uint32_t)len, &c->v.code[row]), DCR_OK);
}

static char *format(const struct dcr_table *t, enum dcr_format f)
{
	struct dcr_buf out;
	char *s;

	dcr_buf_init(&out, 1 << 20);
	assert_int_equal(dcr_result_format(t, f, &out), DCR_OK);
	s = strdup(out.data ? (const char *)out.data : "");
	dcr_buf_free(&out);
	return s;
}

#define assert_format(t, f, want)                                                     \
	do {                                                                          \
		char *got_ = format(t, f);                                            \
		if (strcmp(got_, want))                                               \
			fail_msg("got:\n%s\nwant:\n%s", got_, want);                  \
		free(got_);                                                           \
	} while (0)

/* One column of each type, three rows: values, NULLs, edge values. */
static struct dcr_table *every_type(void)
{
	struct dcr_table *t = new_table(3, 6);
	struct dcr_column *b = add_column(t, "b", DCR_TYPE_BOOL, true);
	struct dcr_column *i = add_column(t, "i", DCR_TYPE_INT, true);
	struct dcr_column *f = add_column(t, "f", DCR_TYPE_FLOAT, true);
	struct dcr_column *s = add_column(t, "s", DCR_TYPE_STRING, true);
	struct dcr_column *d = add_column(t, "d", DCR_TYPE_DATE, true);
	struct dcr_column *id = add_column(t, "id", DCR_TYPE_ID, true);

	b->v.b[0] = 1;
	b->v.b[2] = 0;
	i->v.i64[0] = -12;
	i->v.i64[2] = INT64_MIN;
	f->v.f64[0] = 1.5;
	f->v.f64[2] = 1e-05;
	set_string(s, 0, "north", 5);
	set_string(s, 2, "", 0);
	d->v.date[0] = 20484; /* 2026-01-31 */
	d->v.date[2] = 0;
	for (int k = 0; k < DCR_ID_SIZE; k++) {
		id->v.id[k] = (uint8_t)(0xa0 + k);
		id->v.id[2 * DCR_ID_SIZE + k] = 0;
	}
	for (size_t c = 0; c < t->column_count; c++)
		t->columns[c].nulls[1] = 1;
	return t;
}

static void test_csv_types(void **state)
{
	struct dcr_table *t = every_type();

	(void)state;
	assert_format(t, DCR_FORMAT_CSV,
	              "b,i,f,s,d,id\n"
	              "true,-12,1.5,north,2026-01-31,"
	              "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n"
	              ",,,,,\n"
	              "false,-9223372036854775808,1e-05,\"\",1970-01-01,"
	              "0000000000000000000000000000000000000000000000000000000000000000\n");
	dcr_table_free(t);
}

static void test_csv_quoting(void **state)
{
	struct dcr_table *t = new_table(8, 2);
	struct dcr_column *s = add_column(t, "a,b", DCR_TYPE_STRING, false);
	struct dcr_column *f = add_column(t, "say \"hi\"", DCR_TYPE_FLOAT, false);
	static const char *const v[] = {
		"plain", "with,comma", "with \"quotes\"", "line\nbreak", "cr\rhere",
		" spaces kept ", "\"", "caf\xc3\xa9",
	};

	(void)state;
	for (size_t r = 0; r < 8; r++)
		set_string(s, r, v[r], strlen(v[r]));
	f->v.f64[0] = HUGE_VAL;
	f->v.f64[1] = -HUGE_VAL;
	f->v.f64[2] = NAN;
	f->v.f64[3] = -0.0;
	f->v.f64[4] = 3.0;
	f->v.f64[5] = 1e16;
	f->v.f64[6] = 0.1;
	f->v.f64[7] = 123.456;
	assert_format(t, DCR_FORMAT_CSV,
	              "\"a,b\",\"say \"\"hi\"\"\"\n"
	              "plain,inf\n"
	              "\"with,comma\",-inf\n"
	              "\"with \"\"quotes\"\"\",nan\n"
	              "\"line\nbreak\",-0.0\n"
	              "\"cr\rhere\",3.0\n"
	              " spaces kept ,1e+16\n"
	              "\"\"\"\",0.1\n"
	              "caf\xc3\xa9,123.456\n");
	dcr_table_free(t);
}

static void test_json_types(void **state)
{
	struct dcr_table *t = every_type();

	(void)state;
	assert_format(t, DCR_FORMAT_JSON,
	              "[\n"
	              "{\"b\":true,\"i\":-12,\"f\":1.5,\"s\":\"north\",\"d\":\"2026-01-31\","
	              "\""
	              "i"
	              "d\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\"},\n"
	              "{\"b\":null,\"i\":null,\"f\":null,\"s\":null,\"d\":null,\"id\":null},\n"
	              "{\"b\":false,\"i\":-9223372036854775808,\"f\":1e-05,\"s\":\"\","
	              "\"d\":\"1970-01-01\","
	              "\""
	              "id\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n"
	              "]\n");
	dcr_table_free(t);
}

static void test_json_escaping(void **state)
{
	struct dcr_table *t = new_table(4, 2);
	struct dcr_column *s = add_column(t, "k\"\\\n", DCR_TYPE_STRING, false);
	struct dcr_column *f = add_column(t, "f", DCR_TYPE_FLOAT, false);
	static const char ctl[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f\0end";

	(void)state;
	set_string(s, 0, ctl, sizeof(ctl) - 1);
	set_string(s, 1, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
	set_string(s, 2, "bad \xff \xc3( \xed\xa0\x80 end", 16);
	set_string(s, 3, "", 0);
	f->v.f64[0] = HUGE_VAL;
	f->v.f64[1] = NAN;
	f->v.f64[2] = -HUGE_VAL;
	f->v.f64[3] = 2.5e-300;
	assert_format(t, DCR_FORMAT_JSON,
	              "[\n"
	              "{\"k\\\"\\\\\\n\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\u0000end\","
	              "\"f\":null},\n"
	              "{\"k\\\"\\\\\\n\":\"caf\xc3\xa9 \xe2\x82\xac "
	              "\xf0\x9f\x98\x80\",\"f\":null},\n"
	              "{\"k\\\"\\\\\\n\":\"bad \xef\xbf\xbd \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd"
	              "\xef\xbf\xbd end\",\"f\":null},\n"
	              "{\"k\\\"\\\\\\n\":\"\",\"f\":2.5e-300}\n"
	              "]\n");
	dcr_table_free(t);
}

static void test_table_layout(void **state)
{
	struct dcr_table *t = every_type();

	(void)state;
	assert_format(t, DCR_FORMAT_TABLE,
	              "b     |                    i |     f | s     | d          | id\n"
	              "------+----------------------+-------+-------+------------+---"
	              "--------------------------------------\n"
	              "true  |                  -12 |   1.5 | north | 2026-01-31 | "
	              "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b...\n"
	              "NULL  |                 NULL |  NULL | NULL  | NULL       | NULL\n"
	              "false | -9223372036854775808 | 1e-05 |       | 1970-01-01 | "
	              "0000000000000000000000000000000000000...\n");
	dcr_table_free(t);
}

static void test_table_cells(void **state)
{
	struct dcr_table *t = new_table(6, 2);
	struct dcr_column *s = add_column(t, "text", DCR_TYPE_STRING, true);
	struct dcr_column *n = add_column(t, "a rather long column name", DCR_TYPE_INT, false);
	char forty[41], forty_one[42];
	char *got, *line;

	(void)state;
	memset(forty, 'x', 40);
	forty[40] = '\0';
	memset(forty_one, 'y', 41);
	forty_one[41] = '\0';
	set_string(s, 0, forty, 40);
	set_string(s, 1, forty_one, 41);
	set_string(s, 2, "tab\there\nand \x1b[31mred", 21);
	/* 41 characters of 2 bytes each: cut by characters, not bytes */
	{
		char e[83];

		for (int i = 0; i < 41; i++)
			memcpy(e + 2 * i, "\xc3\xa9", 2);
		set_string(s, 3, e, 82);
	}
	set_string(s, 4, "bad\xff", 4);
	s->nulls[5] = 1;
	for (size_t r = 0; r < 6; r++)
		n->v.i64[r] = (int64_t)r * 1000 - 2000;
	got = format(t, DCR_FORMAT_TABLE);
	{
		char want[4096], e37[75];

		for (int i = 0; i < 37; i++)
			memcpy(e37 + 2 * i, "\xc3\xa9", 2);
		e37[74] = '\0';
		/* the first column is 40 wide: no cell shows more */
		snprintf(want, sizeof(want),
		         "text                                     | a rather long column name\n"
		         "-----------------------------------------+--------------------------\n"
		         "%s | %25d\n"
		         "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy... | %25d\n"
		         "tab\\there\\nand \\x1b[31mred               | %25d\n"
		         "%s... | %25d\n"
		         "bad\xef\xbf\xbd                                     | %25d\n"
		         "NULL                                     | %25d\n",
		         forty, -2000, -1000, 0, e37, 1000, 2000, 3000);
		if (strcmp(got, want))
			fail_msg("got:\n%s\nwant:\n%s", got, want);
	}
	/* no line ends in a space */
	for (line = strtok(got, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(line[strlen(line) - 1] != ' ');
	free(got);
	dcr_table_free(t);
}

static void test_no_trailing_spaces(void **state)
{
	struct dcr_table *t = new_table(3, 2);
	struct dcr_column *a = add_column(t, "number", DCR_TYPE_INT, false);
	struct dcr_column *s = add_column(t, "name", DCR_TYPE_STRING, false);

	(void)state;
	a->v.i64[0] = 1;
	a->v.i64[1] = 22;
	a->v.i64[2] = 333;
	set_string(s, 0, "a", 1);
	set_string(s, 1, "a longer one", 12);
	set_string(s, 2, "", 0);
	/* text in the last column is not padded; the header follows its column */
	assert_format(t, DCR_FORMAT_TABLE,
	              "number | name\n"
	              "-------+-------------\n"
	              "     1 | a\n"
	              "    22 | a longer one\n"
	              "   333 |\n");
	dcr_table_free(t);
}

static void test_empty_results(void **state)
{
	struct dcr_table *t = new_table(0, 2);

	(void)state;
	add_column(t, "a", DCR_TYPE_INT, false);
	add_column(t, "b", DCR_TYPE_STRING, false);
	assert_format(t, DCR_FORMAT_CSV, "a,b\n");
	assert_format(t, DCR_FORMAT_JSON, "[]\n");
	assert_format(t, DCR_FORMAT_TABLE, "a | b\n--+--\n");
	dcr_table_free(t);
}

static void test_single_column_null(void **state)
{
	struct dcr_table *t = new_table(3, 1);
	struct dcr_column *s = add_column(t, "s", DCR_TYPE_STRING, true);

	(void)state;
	set_string(s, 0, "x", 1);
	s->nulls[1] = 1;
	set_string(s, 2, "", 0);
	/* NULL is the empty field, also alone on its line; "" is the empty string */
	assert_format(t, DCR_FORMAT_CSV, "s\nx\n\n\"\"\n");
	assert_format(t, DCR_FORMAT_JSON, "[\n{\"s\":\"x\"},\n{\"s\":null},\n{\"s\":\"\"}\n]\n");
	assert_format(t, DCR_FORMAT_TABLE, "s\n----\nx\nNULL\n\n");
	dcr_table_free(t);
}

/* A result over the buffer's cap is an error, whatever the format. */
static void test_output_cap(void **state)
{
	struct dcr_table *t = every_type();
	static const enum dcr_format formats[] = {DCR_FORMAT_CSV, DCR_FORMAT_JSON,
	                                          DCR_FORMAT_TABLE};
	struct dcr_buf out;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		dcr_buf_init(&out, 100);
		assert_int_equal(dcr_result_format(t, formats[i], &out), DCR_ERR_TOO_BIG);
		dcr_buf_free(&out);
	}
	dcr_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_double_known_answers),
		cmocka_unit_test(test_double_against_python),
		cmocka_unit_test(test_csv_types),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_json_types),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_table_layout),
		cmocka_unit_test(test_table_cells),
		cmocka_unit_test(test_no_trailing_spaces),
		cmocka_unit_test(test_empty_results),
		cmocka_unit_test(test_single_column_null),
		cmocka_unit_test(test_output_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
