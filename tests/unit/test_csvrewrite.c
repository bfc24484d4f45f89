/* SPDX-License-Identifier: Apache-2.0 */
/* The upload's id rewriter: every RFC 4180 edge, each normalisation, empty
 * ids, header checks, errors with line numbers, piece-size independence and
 * memory that does not grow with the file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "client/client_int.h"

/* ---- fixtures ------------------------------------------------------------- */

static struct dcr_contract_column cols_email[] = {
	{.name = "email", .type = DCR_COL_ID, .role = DCR_ROLE_ID, .normalize = DCR_NORM_EMAIL},
	{.name = "region", .type = DCR_COL_STRING, .role = DCR_ROLE_DIMENSION},
	{.name = "views", .type = DCR_COL_INT, .role = DCR_ROLE_METRIC},
};
static struct dcr_dataset ds_email = {
	.name = "impressions", .columns = cols_email, .column_count = 3, .id_column = 0};

/* the id last, to see a rewritten field at the end of a record */
static struct dcr_contract_column cols_phone[] = {
	{.name = "note", .type = DCR_COL_STRING, .role = DCR_ROLE_HIDDEN},
	{.name = "phone", .type = DCR_COL_ID, .role = DCR_ROLE_ID, .normalize = DCR_NORM_PHONE},
};
static struct dcr_dataset ds_phone = {
	.name = "calls", .columns = cols_phone, .column_count = 2, .id_column = 1};

static struct dcr_contract_column cols_none[] = {
	{.name = "a", .type = DCR_COL_STRING, .role = DCR_ROLE_DIMENSION},
	{.name = "uid", .type = DCR_COL_ID, .role = DCR_ROLE_ID, .normalize = DCR_NORM_NONE},
	{.name = "b", .type = DCR_COL_STRING, .role = DCR_ROLE_DIMENSION},
};
static struct dcr_dataset ds_none = {
	.name = "things", .columns = cols_none, .column_count = 3, .id_column = 1};

static struct dcr_contract_column cols_hashed[] = {
	{.name = "h", .type = DCR_COL_ID, .role = DCR_ROLE_ID, .normalize = DCR_NORM_HASHED},
};
static struct dcr_dataset ds_hashed = {
	.name = "hashes", .columns = cols_hashed, .column_count = 1, .id_column = 0};

struct result {
	struct dcr_buf out;
	enum dcr_err err;
	struct dcr_msg msg;
	struct dcr_id_rewriter_stats st;
	size_t max_memory;
};

static enum dcr_err collect(void *ctx, const uint8_t *data, size_t size)
{
	struct result *res = ctx;

	return dcr_buf_append(&res->out, data, size);
}

/* Runs the rewriter over text in pieces of `piece` bytes (0: whole). */
static void run(const struct dcr_dataset *ds, const char *text, size_t len, size_t piece,
                struct result *res)
{
	struct dcr_id_rewriter *r;

	memset(res, 0, sizeof(*res));
	dcr_buf_init(&res->out, (size_t)1 << 30);
	assert_int_equal(dcr_id_rewriter_new(ds, NULL, collect, res, &r), DCR_OK);
	if (!piece)
		piece = len ? len : 1;
	for (size_t at = 0; at < len && !res->err; at += piece) {
		size_t n = len - at < piece ? len - at : piece;

		res->err = dcr_id_rewriter_write(r, text + at, n, &res->msg);
	}
	if (!res->err)
		res->err = dcr_id_rewriter_finish(r, &res->msg);
	dcr_id_rewriter_stats(r, &res->st);
	res->max_memory = client_rewriter_memory(r);
	dcr_id_rewriter_free(r);
}

static void result_free(struct result *res)
{
	dcr_buf_free(&res->out);
}

static const char *hash_hex(const char *s)
{
	static char hex[4][65];
	static int turn;
	uint8_t h[32];

	turn = (turn + 1) % 4;
	dcr_sha256(s, strlen(s), h);
	dcr_hex_encode(hex[turn], h, 32);
	return hex[turn];
}

/* Rewrites text whole and in 1, 2, 3 and 7-byte pieces: all the same. */
static void run_all(const struct dcr_dataset *ds, const char *text, struct result *res)
{
	static const size_t pieces[] = {1, 2, 3, 7};

	run(ds, text, strlen(text), 0, res);
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct result other;

		run(ds, text, strlen(text), pieces[i], &other);
		assert_int_equal(other.err, res->err);
		assert_string_equal(other.msg.text, res->msg.text);
		assert_int_equal(other.out.size, res->out.size);
		if (res->out.size)
			assert_memory_equal(other.out.data, res->out.data, res->out.size);
		assert_int_equal(other.st.rows, res->st.rows);
		assert_int_equal(other.st.skipped_empty, res->st.skipped_empty);
		result_free(&other);
	}
}

static void expect_ok(const struct dcr_dataset *ds, const char *in, const char *want)
{
	struct result res;
	uint8_t h[32];

	run_all(ds, in, &res);
	if (res.err)
		fail_msg("unexpected error %d: %s", res.err, res.msg.text);
	assert_non_null(res.out.data);
	assert_string_equal((const char *)res.out.data, want);
	assert_int_equal(res.st.bytes_in, strlen(in));
	assert_int_equal(res.st.bytes_out, strlen(want));
	dcr_sha256(want, strlen(want), h);
	assert_memory_equal(res.st.content_hash, h, 32);
	result_free(&res);
}

static void expect_err(const struct dcr_dataset *ds, const char *in, enum dcr_err err,
                       const char *needle)
{
	struct result res;

	run_all(ds, in, &res);
	assert_int_equal(res.err, err);
	tu_assert_msg(&res.msg, needle);
	result_free(&res);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_email_basic(void **state)
{
	char want[1024];

	(void)state;
	snprintf(want, sizeof(want), "email,region,views\n%s,north,3\n%s,south,4\n",
	         hash_hex("alice@example.com"), hash_hex("bob@example.org"));
	expect_ok(&ds_email, "email,region,views\n Alice@Example.COM ,north,3\nbob@example.org,south,4\n",
	          want);
}

static void test_quotes_kept_byte_identical(void **state)
{
	char want[2048];
	const char *in = "email,region,views\n"
	                 "\"Alice@Example.com\",\"north, upper\",\"3\"\n"
	                 "bob@example.org,\"say \"\"hi\"\"\",\n"
	                 "carol@example.net,\"two\nlines\",\"\"\n";

	(void)state;
	snprintf(want, sizeof(want),
	         "email,region,views\n"
	         "%s,\"north, upper\",\"3\"\n"
	         "%s,\"say \"\"hi\"\"\",\n"
	         "%s,\"two\nlines\",\"\"\n",
	         hash_hex("alice@example.com"), hash_hex("bob@example.org"),
	         hash_hex("carol@example.net"));
	expect_ok(&ds_email, in, want);
}

static void test_quoted_id_with_escapes(void **state)
{
	char want[512];

	(void)state;
	/* a "" inside a quoted id is one quote of the value */
	snprintf(want, sizeof(want), "a,uid,b\nx,%s,y\n", hash_hex("he said \"x\""));
	expect_ok(&ds_none, "a,uid,b\nx,\"he said \"\"x\"\"\",y\n", want);
}

static void test_crlf_bom_no_final_newline(void **state)
{
	char want[512];

	(void)state;
	snprintf(want, sizeof(want), "email,region,views\n%s,\"a\r\nb\",1\n%s,n,2\n",
	         hash_hex("a@b.c"), hash_hex("d@e.f"));
	/* CRLF ends records, CRLF inside quotes is content; the BOM goes */
	expect_ok(&ds_email, "\xef\xbb\xbf" "email,region,views\r\na@b.c,\"a\r\nb\",1\r\nd@e.f,n,2",
	          want);
	/* a CR as the very last byte ends the file */
	expect_ok(&ds_email, "email,region,views\r\na@b.c,\"a\r\nb\",1\r\nd@e.f,n,2\r", want);
}

static void test_partial_bom_is_data(void **state)
{
	struct result res;

	(void)state;
	/* two bytes of a BOM then something else: data, so the header is wrong */
	run_all(&ds_email, "\xef\xbb" "email,region,views\n", &res);
	assert_int_equal(res.err, DCR_ERR_INVALID);
	tu_assert_msg(&res.msg, "is not a column of dataset impressions");
	result_free(&res);
}

static void test_empty_lines_skipped(void **state)
{
	char want[512];

	(void)state;
	snprintf(want, sizeof(want), "email,region,views\n%s,n,1\n", hash_hex("a@b.c"));
	expect_ok(&ds_email, "\nemail,region,views\n\n\r\na@b.c,n,1\n\n", want);
}

static void test_header_any_order_any_case(void **state)
{
	char want[512];

	(void)state;
	snprintf(want, sizeof(want), "Views,\"REGION\",eMail\n1,n,%s\n", hash_hex("a@b.c"));
	expect_ok(&ds_email, "Views,\"REGION\",eMail\n1,n,A@B.C\n", want);
}

static void test_phone_id_last(void **state)
{
	char want[512];
	struct result res;

	(void)state;
	snprintf(want, sizeof(want), "note,phone\nhi,%s\n\"x,y\",%s\n", hash_hex("+14155550123"),
	         hash_hex("+442071838750"));
	expect_ok(&ds_phone, "note,phone\nhi,+1 (415) 555-0123\n\"x,y\",\"+44 20 7183 8750\"\n",
	          want);
	run_all(&ds_phone, "note,phone\nhi,+1 (415) 555-0123\n\"x,y\",\"+44 20 7183 8750\"\n", &res);
	assert_int_equal(res.st.ids_hashed, 2);
	assert_int_equal(res.st.ids_given_hashed, 0);
	result_free(&res);
}

static void test_none_and_given_hash(void **state)
{
	char want[1024];
	const char *given = "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789";
	char in[512];
	struct result res;

	(void)state;
	snprintf(in, sizeof(in), "a,uid,b\n1, Raw Value ,2\n3,%s,4\n", given);
	/* none: hashed exactly as given, spaces included; 64 hex: taken as the hash */
	snprintf(want, sizeof(want), "a,uid,b\n1,%s,2\n3,%s,4\n", hash_hex(" Raw Value "),
	         "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	expect_ok(&ds_none, in, want);
	run_all(&ds_none, in, &res);
	assert_int_equal(res.st.ids_hashed, 1);
	assert_int_equal(res.st.ids_given_hashed, 1);
	result_free(&res);
}

static void test_hashed_kind(void **state)
{
	(void)state;
	expect_ok(&ds_hashed,
	          "h\n00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n",
	          "h\n00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
	expect_err(&ds_hashed, "h\n00112233\n", DCR_ERR_INVALID, "line 2, column h: not an id");
}

static void test_empty_ids_skipped_and_counted(void **state)
{
	char want[512];
	struct result res;
	const char *in = "email,region,views\n,n,1\n\"\",n,2\n   ,n,3\na@b.c,n,4\n\" \",n,5\n";

	(void)state;
	snprintf(want, sizeof(want), "email,region,views\n%s,n,4\n", hash_hex("a@b.c"));
	expect_ok(&ds_email, in, want);
	run_all(&ds_email, in, &res);
	assert_int_equal(res.st.rows, 1);
	assert_int_equal(res.st.skipped_empty, 4);
	result_free(&res);
	/* the id last and empty: the record ends right after the comma */
	expect_ok(&ds_phone, "note,phone\nx,\ny,\r\n", "note,phone\n");
}

static void test_bad_id_names_line(void **state)
{
	(void)state;
	/* line 4: a quoted field spans lines 2-3 */
	expect_err(&ds_email, "email,region,views\na@b.c,\"two\nlines\",1\nnot-an-email,n,2\n",
	           DCR_ERR_INVALID, "line 4, column email: not an e-mail address");
	expect_err(&ds_phone, "note,phone\nx,0123\n", DCR_ERR_INVALID,
	           "line 2, column phone: not a phone number");
	expect_err(&ds_email, "EMAIL,region,views\nx@y@z,n,1\n", DCR_ERR_INVALID,
	           "line 2, column EMAIL:");
}

static void test_header_mismatch(void **state)
{
	(void)state;
	expect_err(&ds_email, "email,region\n", DCR_ERR_INVALID,
	           "line 1: the header lacks column views of dataset impressions");
	expect_err(&ds_email, "email,region,views,extra\n", DCR_ERR_INVALID,
	           "the header has more fields than the 3 columns of dataset impressions");
	expect_err(&ds_email, "email,region,clicks\n", DCR_ERR_INVALID,
	           "column \"clicks\" is not a column of dataset impressions (its columns: "
	           "email, region, views)");
	expect_err(&ds_email, "email,Email,views\n", DCR_ERR_INVALID,
	           "the header names column email twice");
	expect_err(&ds_email, "", DCR_ERR_INVALID, "the file has no header row");
	expect_err(&ds_email, "\n\r\n\n", DCR_ERR_INVALID, "the file has no header row");
}

static void test_structure_errors(void **state)
{
	(void)state;
	expect_err(&ds_email, "email,region,views\na@b.c,n\n", DCR_ERR_INVALID,
	           "line 2: 2 fields, the header has 3");
	expect_err(&ds_email, "email,region,views\na@b.c,n,1,2\n", DCR_ERR_INVALID,
	           "line 2: more fields than the header's 3");
	expect_err(&ds_email, "email,region,views\na@b.c,n\"x,1\n", DCR_ERR_INVALID,
	           "line 2, column region: a quote inside an unquoted field");
	expect_err(&ds_email, "email,region,views\na@b.c,\"n\"x,1\n", DCR_ERR_INVALID,
	           "line 2, column region: text after a closing quote");
	expect_err(&ds_email, "email,region,views\na@b.c,n\r,1\n", DCR_ERR_INVALID,
	           "line 2: a CR not followed by LF");
	expect_err(&ds_email, "email,region,views\na@b.c,\"n,1\nb@c.d,x,2\n", DCR_ERR_INVALID,
	           "line 2: a quoted field is not closed at the end of the file");
	/* the shape of a row is reported before a bad id in it */
	expect_err(&ds_email, "email,region,views\nnope,n\n", DCR_ERR_INVALID,
	           "line 2: 2 fields, the header has 3");
}

static void test_field_and_record_limits(void **state)
{
	struct dcr_id_rewriter_options opts = {.max_field_size = 8, .max_record_size = 200};
	struct dcr_id_rewriter *r;
	struct dcr_msg msg = {{0}};
	struct result res;
	const char *big = "email,region,views\na@b.c,\"123456789\",1\n";

	(void)state;
	memset(&res, 0, sizeof(res));
	dcr_buf_init(&res.out, 1 << 20);
	assert_int_equal(dcr_id_rewriter_new(&ds_email, &opts, collect, &res, &r), DCR_OK);
	assert_int_equal(dcr_id_rewriter_write(r, big, strlen(big), &msg), DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, "line 2, column region: a field over the limit of 8 bytes");
	/* errors are final */
	assert_int_equal(dcr_id_rewriter_finish(r, &msg), DCR_ERR_TOO_BIG);
	dcr_id_rewriter_free(r);
	result_free(&res);

	/* a rewritten record: 64 hex digits + ",x,1" > 40 */
	opts.max_record_size = 40;
	memset(&res, 0, sizeof(res));
	dcr_buf_init(&res.out, 1 << 20);
	assert_int_equal(dcr_id_rewriter_new(&ds_email, &opts, collect, &res, &r), DCR_OK);
	assert_int_equal(dcr_id_rewriter_write(r, "email,region,views\na@b.c,x,1\n", 29, &msg),
	                 DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, "line 2: a record over the limit of 40 bytes");
	dcr_id_rewriter_free(r);
	result_free(&res);
}

static enum dcr_err refuse(void *ctx, const uint8_t *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	return DCR_ERR_IO;
}

static void test_sink_error(void **state)
{
	struct dcr_id_rewriter *r;
	struct dcr_msg msg = {{0}};

	(void)state;
	assert_int_equal(dcr_id_rewriter_new(&ds_email, NULL, refuse, NULL, &r), DCR_OK);
	assert_false(dcr_id_rewriter_header_done(r));
	assert_int_equal(dcr_id_rewriter_write(r, "email,region,views\n", 19, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "cannot pass the data on");
	dcr_id_rewriter_free(r);
}

static void test_header_done(void **state)
{
	struct dcr_id_rewriter *r;
	struct dcr_msg msg = {{0}};
	struct result res;

	(void)state;
	memset(&res, 0, sizeof(res));
	dcr_buf_init(&res.out, 1 << 20);
	assert_int_equal(dcr_id_rewriter_new(&ds_email, NULL, collect, &res, &r), DCR_OK);
	assert_int_equal(dcr_id_rewriter_write(r, "email,region,vi", 15, &msg), DCR_OK);
	assert_false(dcr_id_rewriter_header_done(r));
	assert_int_equal(res.out.size, 0);
	assert_int_equal(dcr_id_rewriter_write(r, "ews\n", 4, &msg), DCR_OK);
	assert_true(dcr_id_rewriter_header_done(r));
	assert_string_equal((const char *)res.out.data, "email,region,views\n");
	dcr_id_rewriter_free(r);
	result_free(&res);
}

static void test_distinct_estimate(void **state)
{
	struct dcr_buf in;
	struct result res;

	(void)state;
	dcr_buf_init(&in, 1 << 24);
	assert_int_equal(dcr_buf_printf(&in, "email,region,views\n"), DCR_OK);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(dcr_buf_printf(&in, "user%d@example.com,r,%d\n", i % 1000, i), DCR_OK);
	run(&ds_email, (const char *)in.data, in.size, 4096, &res);
	assert_int_equal(res.err, DCR_OK);
	assert_int_equal(res.st.rows, 5000);
	/* HyperLogLog with 2^14 registers: linear counting is near exact here */
	assert_in_range(res.st.distinct_ids, 990, 1010);
	result_free(&res);
	dcr_buf_free(&in);
}

/* A sink that only counts and hashes: the output is never held. */
struct counter {
	uint64_t bytes;
	struct dcr_sha256_ctx h;
};

static enum dcr_err count_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct counter *c = ctx;

	c->bytes += size;
	dcr_sha256_update(&c->h, data, size);
	return DCR_OK;
}

/* Streams `rows` rows, generated on the fly, and returns the most memory
 * the rewriter held at any point. */
static size_t stream_rows(uint64_t rows, uint64_t *out_bytes)
{
	struct dcr_id_rewriter *r;
	struct dcr_msg msg = {{0}};
	struct counter c = {0};
	struct dcr_id_rewriter_stats st;
	char chunk[70000];
	size_t n = 0, peak = 0;
	uint8_t h[32];

	dcr_sha256_init(&c.h);
	assert_int_equal(dcr_id_rewriter_new(&ds_email, NULL, count_sink, &c, &r), DCR_OK);
	n = (size_t)snprintf(chunk, sizeof(chunk), "email,region,views\n");
	for (uint64_t i = 0; i < rows; i++) {
		n += (size_t)snprintf(chunk + n, sizeof(chunk) - n,
		                      "person%llu@example.com,\"region, %llu\",%llu\n",
		                      (unsigned long long)i, (unsigned long long)(i % 7),
		                      (unsigned long long)(i % 100));
		if (n > 65000 || i + 1 == rows) {
			assert_int_equal(dcr_id_rewriter_write(r, chunk, n, &msg), DCR_OK);
			n = 0;
			if (client_rewriter_memory(r) > peak)
				peak = client_rewriter_memory(r);
		}
	}
	assert_int_equal(dcr_id_rewriter_finish(r, &msg), DCR_OK);
	dcr_id_rewriter_stats(r, &st);
	assert_int_equal(st.rows, rows);
	assert_int_equal(st.bytes_out, c.bytes);
	dcr_sha256_final(&c.h, h);
	assert_memory_equal(h, st.content_hash, 32);
	*out_bytes = st.bytes_in;
	dcr_id_rewriter_free(r);
	return peak;
}

static void test_memory_flat(void **state)
{
	uint64_t small_bytes, big_bytes;
	size_t small, big;

	(void)state;
	small = stream_rows(1000, &small_bytes);
	big = stream_rows(250000, &big_bytes); /* ~10 MB of input */
	assert_true(big_bytes > 8u * 1024 * 1024);
	assert_true(big_bytes > 100 * small_bytes);
	/* a record's worth of buffers, whatever the file's size */
	assert_true(big <= 4096);
	assert_int_equal(big, small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_basic),
		cmocka_unit_test(test_quotes_kept_byte_identical),
		cmocka_unit_test(test_quoted_id_with_escapes),
		cmocka_unit_test(test_crlf_bom_no_final_newline),
		cmocka_unit_test(test_partial_bom_is_data),
		cmocka_unit_test(test_empty_lines_skipped),
		cmocka_unit_test(test_header_any_order_any_case),
		cmocka_unit_test(test_phone_id_last),
		cmocka_unit_test(test_none_and_given_hash),
		cmocka_unit_test(test_hashed_kind),
		cmocka_unit_test(test_empty_ids_skipped_and_counted),
		cmocka_unit_test(test_bad_id_names_line),
		cmocka_unit_test(test_header_mismatch),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_field_and_record_limits),
		cmocka_unit_test(test_sink_error),
		cmocka_unit_test(test_header_done),
		cmocka_unit_test(test_distinct_estimate),
		cmocka_unit_test(test_memory_flat),
	};

	if (dcr_crypto_init() != DCR_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
