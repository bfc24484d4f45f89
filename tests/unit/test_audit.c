/* SPDX-License-Identifier: Apache-2.0 */
/* The audit log: entry texts, the chain and export (checked with
 * dcr_audit_verify_chain, as a client does), every kind of damage to the
 * file, torn last records, concurrent appends, and an appender killed
 * (SIGKILL) at random moments. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "dcr/proto.h"
#include "store/store_int.h"

#define NO_LIMIT ((size_t)1 << 40)
#define T0 INT64_C(1795600800) /* 2026-11-25T10:00:00Z */
#define MAX_RECORDS 4096

static uint8_t key[DCR_SEAL_KEY_SIZE], key2[DCR_SEAL_KEY_SIZE];
static struct dcr_seckey *room, *impostor;
static struct dcr_pubkey room_pk;
static uint8_t contract_hash[32];

/* ---- helpers ------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	if (dcr_crypto_init() != DCR_OK || dcr_seckey_generate(&room) ||
	    dcr_seckey_generate(&impostor))
		return -1;
	dcr_seckey_public(room, &room_pk);
	dcr_random(key, sizeof(key));
	dcr_random(key2, sizeof(key2));
	dcr_random(contract_hash, sizeof(contract_hash));
	/* the torn-tail tests would fill the output with warnings */
	dcr_log_set_level(DCR_LOG_ERROR);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_seckey_free(room);
	dcr_seckey_free(impostor);
	return 0;
}

static struct dcr_audit *open_log(const char *path)
{
	struct dcr_audit *a = NULL;
	struct dcr_msg msg;

	if (dcr_audit_open(path, key, room, &a, &msg) != DCR_OK)
		fail_msg("open %s: %s", path, msg.text);
	return a;
}

static uint64_t append(struct dcr_audit *a, const char *fields, int64_t time)
{
	uint64_t seq;
	struct dcr_msg msg;

	if (dcr_audit_append(a, fields, time, &seq, &msg) != DCR_OK)
		fail_msg("append: %s", msg.text);
	return seq;
}

/* Appends until the log has n entries: a start, then uploads and queries. */
static void fill(struct dcr_audit *a, uint64_t n)
{
	char fields[512], hex[65];

	dcr_hex_encode(hex, contract_hash, 32);
	while (dcr_audit_count(a) < n) {
		uint64_t seq = dcr_audit_count(a) + 1;

		if (seq == 1)
			snprintf(fields, sizeof(fields),
			         "{\"action\":\"start\",\"contract\":\"%s\"}", hex);
		else if (seq % 2)
			snprintf(fields, sizeof(fields),
			         "{\"party\":\"news\",\"action\":\"upload\","
			         "\"dataset\":\"impressions\",\"rows\":%llu,"
			         "\"content_hash\":\"%s\"}",
			         (unsigned long long)seq * 1000, hex);
		else
			snprintf(fields, sizeof(fields),
			         "{\"party\":\"acme\",\"action\":\"query\","
			         "\"query\":\"SELECT region, COUNT(*) FROM impressions"
			         " GROUP BY region -- %llu\",\"rows\":4,"
			         "\"result_hash\":\"%s\"}", (unsigned long long)seq, hex);
		assert_int_equal(append(a, fields, T0 + (int64_t)seq), seq);
	}
}

static void make_log(const char *path, uint64_t n)
{
	struct dcr_audit *a = open_log(path);

	fill(a, n);
	dcr_audit_close(a);
}

/* Exports the log and checks it as a client would; returns the entry count. */
static size_t export_check(struct dcr_audit *a)
{
	struct dcr_buf out;
	struct dcr_msg msg;
	json_error_t je;
	json_t *doc, *entries;
	const char **texts, **sigs;
	size_t *lens, n;

	dcr_buf_init(&out, NO_LIMIT);
	assert_int_equal(dcr_audit_export(a, &out), DCR_OK);
	doc = json_loadb((const char *)out.data, out.size, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		fail_msg("export is not JSON: %s", je.text);
	assert_int_equal(json_object_size(doc), 1);
	entries = json_object_get(doc, "entries");
	assert_true(json_is_array(entries));
	n = json_array_size(entries);
	texts = calloc(n + 1, sizeof(*texts));
	sigs = calloc(n + 1, sizeof(*sigs));
	lens = calloc(n + 1, sizeof(*lens));
	assert_true(texts && sigs && lens);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);

		assert_int_equal(json_object_size(e), 2);
		texts[i] = json_string_value(json_object_get(e, "text"));
		lens[i] = json_string_length(json_object_get(e, "text"));
		sigs[i] = json_string_value(json_object_get(e, "signature"));
		assert_true(texts[i] && sigs[i]);
	}
	if (dcr_audit_verify_chain(texts, lens, sigs, n, &room_pk, n ? contract_hash : NULL, &msg))
		fail_msg("exported log does not verify: %s", msg.text);
	free(texts);
	free(sigs);
	free(lens);
	json_decref(doc);
	dcr_buf_free(&out);
	assert_int_equal(n, dcr_audit_count(a));
	return n;
}

static void read_file(const char *path, struct dcr_buf *out)
{
	struct dcr_msg msg;

	assert_int_equal(dcr_file_read(path, NO_LIMIT, out, &msg), DCR_OK);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* Where each record starts; returns the count. offs[count] is the end. */
static size_t records(const struct dcr_buf *raw, size_t offs[MAX_RECORDS + 1])
{
	size_t off = AUDIT_HEADER_SIZE, n = 0;

	while (off + 8 <= raw->size) {
		const uint8_t *p = raw->data + off;
		uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
		               p[3];

		assert_true(n < MAX_RECORDS);
		offs[n++] = off;
		off += AUDIT_REC_OVERHEAD + len;
	}
	assert_int_equal(off, raw->size);
	offs[n] = off;
	return n;
}

/* Asserts that the log at path does not open (DCR_ERR_VERIFY naming the
 * file and needle) and that the failed open left the file as it was. */
static void expect_refused(const char *path, const uint8_t *k, const struct dcr_seckey *r,
                           const char *needle)
{
	struct dcr_audit *a = (struct dcr_audit *)1;
	struct dcr_msg msg;
	struct dcr_buf before, after;

	read_file(path, &before);
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(dcr_audit_open(path, k, r, &a, &msg), DCR_ERR_VERIFY);
	assert_null(a);
	tu_assert_msg(&msg, path);
	tu_assert_msg(&msg, needle);
	/* the entries' contents never show in a message */
	assert_null(strstr(msg.text, "SELECT"));
	assert_null(strstr(msg.text, "impressions"));
	read_file(path, &after);
	assert_int_equal(after.size, before.size);
	assert_memory_equal(after.data, before.data, before.size);
	dcr_buf_free(&before);
	dcr_buf_free(&after);
}

/* Asserts that the log at path opens with n entries after dropping a torn
 * tail (the file is cut to end), takes a new entry, and verifies. */
static void expect_torn(const char *path, uint64_t n, uint64_t end)
{
	struct dcr_audit *a = open_log(path);

	assert_int_equal(dcr_audit_count(a), n);
	assert_int_equal(file_size(path), end);
	fill(a, n + 1);
	assert_int_equal(export_check(a), n + 1);
	dcr_audit_close(a);
	a = open_log(path);
	assert_int_equal(dcr_audit_count(a), n + 1);
	dcr_audit_close(a);
}

/* ---- entries, chain, export -------------------------------------------------- */

static void test_entries(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200], want[512], hex[65], prev[65];
	struct dcr_audit *a;
	struct dcr_buf out1, out2, raw;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	a = open_log(path);
	assert_int_equal(dcr_audit_count(a), 0);
	assert_int_equal(export_check(a), 0);
	assert_int_equal(file_size(path), AUDIT_HEADER_SIZE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fill(a, 10);
	assert_int_equal(export_check(a), 10);

	/* the texts are exactly as docs/API.md has them */
	dcr_buf_init(&out1, NO_LIMIT);
	assert_int_equal(dcr_audit_export(a, &out1), DCR_OK);
	dcr_hex_encode(hex, contract_hash, 32);
	snprintf(want, sizeof(want),
	         "{\"entries\":[{\"text\":\"{\\\"seq\\\":1,"
	         "\\\"time\\\":\\\"2026-11-25T10:00:01Z\\\","
	         "\\\"action\\\":\\\"start\\\",\\\"contract\\\":\\\"%s\\\",\\\"prev\\\":\\\"%064d"
	         "\\\"}\",\"signature\":\"", hex, 0);
	assert_memory_equal(out1.data, want, strlen(want));
	dcr_audit_close(a);

	/* nothing in the file is readable */
	read_file(path, &raw);
	assert_null(memmem(raw.data, raw.size, "impressions", 11));
	assert_null(memmem(raw.data, raw.size, "SELECT", 6));
	assert_null(memmem(raw.data, raw.size, "acme", 4));
	dcr_buf_free(&raw);

	/* reopened: the same log, byte for byte, and it goes on */
	a = open_log(path);
	assert_int_equal(dcr_audit_count(a), 10);
	dcr_buf_init(&out2, NO_LIMIT);
	assert_int_equal(dcr_audit_export(a, &out2), DCR_OK);
	assert_int_equal(out1.size, out2.size);
	assert_memory_equal(out1.data, out2.data, out1.size);
	assert_int_equal(append(a, "{\"party\":\"news\",\"action\":\"upload\"}", T0 + 100), 11);
	assert_int_equal(export_check(a), 11);

	/* the new entry chains to entry 10 */
	dcr_buf_free(&out2);
	dcr_buf_init(&out2, NO_LIMIT);
	assert_int_equal(dcr_audit_export(a, &out2), DCR_OK);
	{
		json_t *doc = json_loads((const char *)out2.data, 0, NULL);
		json_t *e = json_array_get(json_object_get(doc, "entries"), 9);
		const char *t10 = json_string_value(json_object_get(e, "text"));
		uint8_t h[32];

		assert_non_null(t10);
		dcr_sha256(t10, strlen(t10), h);
		dcr_hex_encode(prev, h, 32);
		snprintf(want, sizeof(want),
		         "{\\\"seq\\\":11,\\\"time\\\":\\\"2026-11-25T10:01:40Z\\\",\\\"party\\\":"
		         "\\\"news\\\",\\\"action\\\":\\\"upload\\\",\\\"prev\\\":\\\"%s\\\"}",
		         prev);
		assert_non_null(strstr((const char *)out2.data, want));
		json_decref(doc);
	}
	dcr_buf_free(&out1);
	dcr_buf_free(&out2);
	dcr_audit_close(a);
	dcr_audit_close(NULL);
	tu_rmdir(dir);
}

static void test_fields(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_audit *a;
	struct dcr_msg msg;
	struct dcr_buf out;
	uint64_t seq = 99;
	char *big;
	const struct {
		const char *fields;
		int64_t time;
		const char *needle;
	} bad[] = {
		{"", T0, "not valid JSON"},
		{"{\"a\":", T0, "not valid JSON"},
		{"[1,2]", T0, "not a JSON object"},
		{"\"text\"", T0, "not valid JSON"},
		{"{\"a\":1} {}", T0, "not valid JSON"},
		{"{\"a\":1,\"a\":2}", T0, "not valid JSON"},
		{"{\"seq\":5}", T0, "\"seq\" is added by the log"},
		{"{\"party\":\"x\",\"time\":\"now\"}", T0, "\"time\" is added by the log"},
		{"{\"prev\":\"00\"}", T0, "\"prev\" is added by the log"},
		{"{}", -1, "out of range"},
		{"{}", INT64_C(253402300800), "out of range"},
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	a = open_log(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&msg, 0, sizeof(msg));
		assert_int_equal(dcr_audit_append(a, bad[i].fields, bad[i].time, &seq, &msg),
		                 DCR_ERR_INVALID);
		assert_int_equal(seq, 0);
		tu_assert_msg(&msg, bad[i].needle);
	}
	/* the value never shows in the message */
	assert_int_equal(dcr_audit_append(a, "{\"query\":\"SELECT secret\" oops}", T0, &seq, &msg),
	                 DCR_ERR_INVALID);
	assert_null(strstr(msg.text, "secret"));

	big = malloc(DCR_AUDIT_TEXT_MAX + 100);
	assert_non_null(big);
	memset(big, 'x', DCR_AUDIT_TEXT_MAX + 99);
	memcpy(big, "{\"q\":\"", 6);
	memcpy(big + DCR_AUDIT_TEXT_MAX + 97, "\"}", 2);
	big[DCR_AUDIT_TEXT_MAX + 99] = '\0';
	assert_int_equal(dcr_audit_append(a, big, T0, &seq, &msg), DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, "longer than");
	free(big);
	assert_int_equal(dcr_audit_count(a), 0);

	/* order kept, whitespace gone, escapes JSON's own; {} adds nothing */
	fill(a, 1);
	assert_int_equal(append(a, "{ \"b\" : 1 ,\n \"a\" : \"x\\\"y\\\\z\\nw\\u00e9\" }", T0), 2);
	assert_int_equal(append(a, "{}", T0), 3);
	assert_int_equal(append(a, "{\"big\":123456789012,\"neg\":-1.5,\"n\":null,\"t\":true,"
	                           "\"arr\":[1,{\"k\":\"v\"}]}", T0), 4);
	assert_int_equal(export_check(a), 4);
	dcr_buf_init(&out, NO_LIMIT);
	assert_int_equal(dcr_audit_export(a, &out), DCR_OK);
	/* in the export the text is itself a JSON string: escaped once more */
	assert_non_null(strstr((const char *)out.data,
	                       "\\\"b\\\":1,\\\"a\\\":\\\"x\\\\\\\"y\\\\\\\\z\\\\nw\xc3\xa9\\\","
	                       "\\\"prev\\\""));
	assert_non_null(strstr((const char *)out.data,
	                       "{\\\"seq\\\":3,\\\"time\\\":"
	                       "\\\"2026-11-25T10:00:00Z\\\",\\\"prev"));
	assert_non_null(strstr((const char *)out.data,
	                       "\\\"big\\\":123456789012,\\\"neg\\\":-1.5,\\\"n\\\":null,\\\"t\\\":"
	                       "true,\\\"arr\\\":[1,{\\\"k\\\":\\\"v\\\"}]"));
	dcr_buf_free(&out);
	/* an export that does not fit says so */
	dcr_buf_init(&out, 100);
	assert_int_equal(dcr_audit_export(a, &out), DCR_ERR_TOO_BIG);
	dcr_buf_free(&out);
	dcr_audit_close(a);
	tu_rmdir(dir);
}

/* ---- damage ---------------------------------------------------------------- */

/* Any byte flipped anywhere in a cleanly closed log: refused, file kept. */
static void test_flipped_bytes(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;
	uint8_t *copy;
	size_t offs[MAX_RECORDS + 1], n, tested = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 12);
	read_file(path, &raw);
	n = records(&raw, offs);
	assert_int_equal(n, 12);
	copy = malloc(raw.size);
	assert_non_null(copy);
	for (size_t pos = 0; pos < raw.size; pos++) {
		/* the header, each record's head and end, and a sample between */
		bool near_edge = pos < AUDIT_HEADER_SIZE + 40 || pos + 60 > raw.size;

		for (size_t r = 0; r <= n && !near_edge; r++)
			near_edge = pos >= offs[r] - 20 && pos < offs[r] + 40;
		if (!near_edge && pos % 13)
			continue;
		memcpy(copy, raw.data, raw.size);
		copy[pos] ^= (uint8_t)(pos % 3 == 0 ? 0xff : 1u << (pos % 8));
		tu_write(path, copy, raw.size);
		expect_refused(path, key, room, pos < AUDIT_HEADER_SIZE ? "" : "record");
		tested++;
	}
	assert_true(tested > 1000);
	/* and the original still opens */
	tu_write(path, raw.data, raw.size);
	expect_torn(path, 12, raw.size);
	free(copy);
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* The log is not kept in memory: export reads the records back, so a record
 * changed on disk while the log is open is noticed, not served from memory. */
static void test_export_reads_disk(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw, out;
	struct dcr_audit *a;
	size_t offs[MAX_RECORDS + 1];
	int fd;
	uint8_t byte;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	a = open_log(path);
	fill(a, 5);
	assert_int_equal(export_check(a), 5);
	read_file(path, &raw);
	assert_int_equal(records(&raw, offs), 5);
	/* flip one byte inside record 3's sealed text, behind the log's back */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	byte = raw.data[offs[2] + 30] ^ 0x40;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)(offs[2] + 30)), 1);
	close(fd);
	dcr_buf_init(&out, SIZE_MAX);
	assert_int_equal(dcr_audit_export(a, &out), DCR_ERR_VERIFY);
	dcr_buf_free(&out);
	/* put back, it reads again, and appends continue the chain */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &raw.data[offs[2] + 30], 1, (off_t)(offs[2] + 30)), 1);
	close(fd);
	fill(a, 6);
	assert_int_equal(export_check(a), 6);
	dcr_audit_close(a);
	expect_torn(path, 6, file_size(path));
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

static void write_parts(const char *path, const struct dcr_buf *raw, const size_t *cuts,
                        size_t ncuts)
{
	/* cuts: pairs of [from, to) ranges of raw, concatenated */
	struct dcr_buf b;

	dcr_buf_init(&b, NO_LIMIT);
	for (size_t i = 0; i + 1 < ncuts; i += 2)
		assert_int_equal(dcr_buf_append(&b, raw->data + cuts[i], cuts[i + 1] - cuts[i]),
		                 DCR_OK);
	tu_write(path, b.data ? b.data : (uint8_t *)"", b.size);
	dcr_buf_free(&b);
}

static void test_records_moved(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;
	size_t o[MAX_RECORDS + 1];

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 8);
	read_file(path, &raw);
	assert_int_equal(records(&raw, o), 8);
	{
		/* record 5 (index 4) deleted */
		size_t c[] = {0, o[4], o[5], o[8]};

		write_parts(path, &raw, c, 4);
		expect_refused(path, key, room, "record 5");
	}
	{
		/* record 3 twice */
		size_t c[] = {0, o[3], o[2], o[8]};

		write_parts(path, &raw, c, 4);
		expect_refused(path, key, room, "record 4");
	}
	{
		/* records 2 and 3 swapped */
		size_t c[] = {0, o[1], o[2], o[3], o[1], o[2], o[3], o[8]};

		write_parts(path, &raw, c, 8);
		expect_refused(path, key, room, "record 2");
	}
	{
		/* the first record deleted */
		size_t c[] = {0, o[0], o[1], o[8]};

		write_parts(path, &raw, c, 4);
		expect_refused(path, key, room, "record 1");
	}
	{
		/* a copy of the last record appended */
		size_t c[] = {0, o[8], o[7], o[8]};

		write_parts(path, &raw, c, 4);
		expect_refused(path, key, room, "record 9");
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* A record of another log under the same key, put in this one's place. */
static void test_record_from_another_log(void **state)
{
	char *dir = tu_tmpdir();
	char a_path[4200], b_path[4200];
	struct dcr_buf a, b, mix;
	size_t oa[MAX_RECORDS + 1], ob[MAX_RECORDS + 1];

	(void)state;
	snprintf(a_path, sizeof(a_path), "%s/a", dir);
	snprintf(b_path, sizeof(b_path), "%s/b", dir);
	make_log(a_path, 3);
	make_log(b_path, 3);
	read_file(a_path, &a);
	read_file(b_path, &b);
	records(&a, oa);
	records(&b, ob);
	dcr_buf_init(&mix, NO_LIMIT);
	assert_int_equal(dcr_buf_append(&mix, a.data, oa[2]), DCR_OK);
	assert_int_equal(dcr_buf_append(&mix, b.data + ob[2], ob[3] - ob[2]), DCR_OK);
	tu_write(a_path, mix.data, mix.size);
	expect_refused(a_path, key, room, "record 3 (at byte");
	/* b's header on a's records */
	memcpy(mix.data, b.data, AUDIT_HEADER_SIZE);
	memcpy(mix.data + AUDIT_HEADER_SIZE, a.data + AUDIT_HEADER_SIZE,
	       a.size - AUDIT_HEADER_SIZE);
	mix.size = a.size;
	tu_write(a_path, mix.data, mix.size);
	expect_refused(a_path, key, room, "record 1 (at byte 64) failed authentication");
	dcr_buf_free(&mix);
	dcr_buf_free(&a);
	dcr_buf_free(&b);
	tu_rmdir(dir);
}

static void test_wrong_keys_and_files(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200], sealed[4200];
	struct dcr_msg msg;
	uint8_t junk[200];

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 3);
	expect_refused(path, key2, room, "the header does not authenticate");
	expect_refused(path, key, impostor, "audit entry 1: the signature is not the clean room's");
	/* an empty log opened with the wrong key is refused too */
	make_log(tu_path(dir, "empty"), 0);
	snprintf(path, sizeof(path), "%s/empty", dir);
	expect_refused(path, key2, room, "the header does not authenticate");

	snprintf(path, sizeof(path), "%s/junk", dir);
	dcr_random(junk, sizeof(junk));
	tu_write(path, junk, sizeof(junk));
	expect_refused(path, key, room, "not a dcr audit log");
	tu_write(path, "", 0);
	expect_refused(path, key, room, "truncated: the header is 0 of 64 bytes");
	tu_write(path, "DCRALOG\x01", 8);
	expect_refused(path, key, room, "truncated: the header is 8 of 64 bytes");
	snprintf(sealed, sizeof(sealed), "%s/sealed", dir);
	assert_int_equal(dcr_seal_write_all(key, sealed, "audit", "{}", 2, &msg), DCR_OK);
	expect_refused(sealed, key, room, "not a dcr audit log");
	tu_rmdir(dir);
}

/* The limit of what a log file can prove: an operator who drops its newest
 * records (or restores an older copy) is not detected by the file alone.
 * docs/STORAGE.md says so; this test pins the behaviour. */
static void test_rollback_is_not_detected(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;
	size_t o[MAX_RECORDS + 1];
	size_t c[2] = {0, 0};

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 5);
	read_file(path, &raw);
	records(&raw, o);
	c[1] = o[4];
	write_parts(path, &raw, c, 2);
	expect_torn(path, 4, o[4]);
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* ---- torn tails -------------------------------------------------------------- */

static void test_torn_tail(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw;
	size_t o[MAX_RECORDS + 1];

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 6);
	read_file(path, &raw);
	assert_int_equal(records(&raw, o), 6);
	/* cut anywhere inside the last record: its head, body, tag, end mark */
	for (size_t cut = o[5] + 1; cut < o[6];
	     cut += (cut < o[5] + 40 || cut + 20 > o[6]) ? 1 : 7) {
		size_t c[2] = {0, cut};

		write_parts(path, &raw, c, 2);
		expect_torn(path, 5, o[5]);
	}
	/* cut inside the first record */
	{
		size_t c[2] = {0, o[0] + 30};

		write_parts(path, &raw, c, 2);
		expect_torn(path, 0, AUDIT_HEADER_SIZE);
	}
	/* a few bytes of anything after a clean end: an unfinished length */
	for (size_t k = 1; k < 8; k++) {
		struct dcr_buf b;

		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		assert_int_equal(dcr_buf_append(&b, "\xff\x01\x02\x03\x04\x05\x06", k), DCR_OK);
		tu_write(path, b.data, b.size);
		expect_torn(path, 6, raw.size);
		dcr_buf_free(&b);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* What a power loss can leave on ext4 or XFS: the file longer, the new
 * part zeros. */
static void test_zero_filled_tail(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw, b;
	size_t o[MAX_RECORDS + 1];

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 6);
	read_file(path, &raw);
	records(&raw, o);
	/* the last record zeroed from some point on */
	for (size_t from = o[5]; from < o[6];
	     from += (from < o[5] + 40 || from + 20 > o[6]) ? 1 : 11) {
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		memset(b.data + from, 0, o[6] - from);
		tu_write(path, b.data, b.size);
		expect_torn(path, 5, o[5]);
		dcr_buf_free(&b);
	}
	/* zeros past the end: a whole unwritten block, and a few bytes */
	for (size_t zeros = 1; zeros <= 8192; zeros *= 4) {
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		assert_int_equal(dcr_buf_reserve(&b, zeros), DCR_OK);
		memset(b.data + b.size, 0, zeros);
		b.size += zeros;
		tu_write(path, b.data, b.size);
		expect_torn(path, 6, raw.size);
		dcr_buf_free(&b);
	}
	/* the last record torn, then zeros */
	{
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, o[5] + 50), DCR_OK);
		assert_int_equal(dcr_buf_reserve(&b, 5000), DCR_OK);
		memset(b.data + b.size, 0, 5000);
		b.size += 5000;
		tu_write(path, b.data, b.size);
		expect_torn(path, 5, o[5]);
		dcr_buf_free(&b);
	}
	/* zeros, but something after them: not what a crash leaves */
	{
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		memset(b.data + o[5] + 40, 0, o[6] - o[5] - 41);
		tu_write(path, b.data, b.size);
		expect_refused(path, key, room, "record 6 (at byte");
		dcr_buf_free(&b);

		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		assert_int_equal(dcr_buf_append(&b, "\0\0\0\0\0\0\0\0\0\0\x01", 11), DCR_OK);
		tu_write(path, b.data, b.size);
		expect_refused(path, key, room, "record 7 (at byte");
		dcr_buf_free(&b);

		/* a zeroed record in the middle */
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		memset(b.data + o[2], 0, o[3] - o[2]);
		tu_write(path, b.data, b.size);
		expect_refused(path, key, room, "record 3 (at byte");
		dcr_buf_free(&b);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

/* Garbage after a clean end is refused, not dropped: only what an
 * interrupted append leaves is dropped. */
static void test_garbage_appended(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_buf raw, b;
	uint8_t junk[300];

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	make_log(path, 4);
	read_file(path, &raw);
	for (size_t n = 8; n <= sizeof(junk); n += 73) {
		dcr_random(junk, sizeof(junk));
		junk[7] |= 1; /* a length whose complement does not match */
		dcr_buf_init(&b, NO_LIMIT);
		assert_int_equal(dcr_buf_append(&b, raw.data, raw.size), DCR_OK);
		assert_int_equal(dcr_buf_append(&b, junk, n), DCR_OK);
		tu_write(path, b.data, b.size);
		expect_refused(path, key, room, "record 5 (at byte");
		dcr_buf_free(&b);
	}
	dcr_buf_free(&raw);
	tu_rmdir(dir);
}

static void test_locked(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct dcr_audit *a, *b = (struct dcr_audit *)1;
	struct dcr_msg msg;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	a = open_log(path);
	assert_int_equal(dcr_audit_open(path, key, room, &b, &msg), DCR_ERR_IO);
	assert_null(b);
	tu_assert_msg(&msg, "in use by another process");
	dcr_audit_close(a);
	b = open_log(path);
	dcr_audit_close(b);
	/* a FIFO in the log's place neither hangs nor passes */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(dcr_audit_open(path, key, room, &b, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "not a regular file");
	/* a log in a directory that does not exist */
	snprintf(path, sizeof(path), "%s/no/audit", dir);
	assert_int_equal(dcr_audit_open(path, key, room, &b, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, path);
	tu_rmdir(dir);
}

/* ---- concurrency and crashes -------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 40

struct worker {
	struct dcr_audit *a;
	int id;
	uint64_t seqs[PER_THREAD];
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char fields[128];
	struct dcr_msg msg;

	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(fields, sizeof(fields),
		         "{\"party\":\"t%d\",\"action\":\"query\",\"i\":%d}", w->id, i);
		if (dcr_audit_append(w->a, fields, T0 + i, &w->seqs[i], &msg) != DCR_OK)
			w->failed++;
		(void)dcr_audit_count(w->a);
	}
	return NULL;
}

static void test_threads(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	struct worker w[THREADS];
	pthread_t t[THREADS];
	bool seen[THREADS * PER_THREAD + 2] = {false};
	struct dcr_audit *a;

	(void)state;
	snprintf(path, sizeof(path), "%s/audit", dir);
	a = open_log(path);
	fill(a, 1);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.a = a, .id = i};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].failed, 0);
		for (int j = 0; j < PER_THREAD; j++) {
			uint64_t s = w[i].seqs[j];

			assert_true(s >= 2 && s <= THREADS * PER_THREAD + 1);
			assert_false(seen[s]);
			seen[s] = true;
			/* each thread's own entries in its order */
			if (j)
				assert_true(s > w[i].seqs[j - 1]);
		}
	}
	assert_int_equal(export_check(a), THREADS * PER_THREAD + 1);
	dcr_audit_close(a);
	a = open_log(path);
	assert_int_equal(export_check(a), THREADS * PER_THREAD + 1);
	dcr_audit_close(a);
	tu_rmdir(dir);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void drain(int fd, uint64_t *last)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		*last = v;
}

#define PAD 100000

/* A child appends entries, some large (so that a kill can land inside a
 * write), and reports each seq as soon as dcr_audit_append returns; it is
 * killed at a random moment. The log must then open, verify, and hold every
 * acknowledged entry (and at most one more). */
static void test_killed_appender(void **state)
{
	char *dir = tu_tmpdir();
	char path[4200];
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	uint64_t acked = 0, held = 0;
	int rounds_acked = 0;
	char *pad = malloc(PAD + 1);

	(void)state;
	assert_non_null(pad);
	memset(pad, 'p', PAD);
	pad[PAD] = '\0';
	snprintf(path, sizeof(path), "%s/audit", dir);
	print_message("killed appender: seed %u\n", seed);
	for (int iter = 0; iter < 25; iter++) {
		uint64_t last = 0;
		int fds[2];
		pid_t pid;
		struct dcr_audit *a;

		/* a fresh log now and then keeps each open (which verifies it
		 * all) quick */
		if (iter % 5 == 0) {
			unlink(path);
			make_log(path, 1);
			held = acked = 1;
		}

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct dcr_audit *ca = NULL;
			char *fields = malloc(PAD + 100);

			close(fds[0]);
			uint64_t seq = 0;

			if (!fields || dcr_audit_open(path, key, room, &ca, NULL) != DCR_OK)
				_exit(2);
			/* 0: opened; the parent's clock starts now */
			if (write(fds[1], &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
				_exit(4);
			for (unsigned i = 0;; i++) {
				snprintf(fields, PAD + 100,
				         "{\"party\":\"news\",\"action\":\"upload\","
				         "\"pad\":\"%s\"}", pad + (i % 4 ? PAD - 10 : 0));
				if (dcr_audit_append(ca, fields, T0, &seq, NULL) != DCR_OK)
					_exit(3);
				if (write(fds[1], &seq, sizeof(seq)) != (ssize_t)sizeof(seq))
					_exit(4);
			}
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &last, sizeof(last)), (ssize_t)sizeof(last));
		assert_int_equal(last, 0);
		assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
		for (long t = 0, stop = rand_r(&seed) % 100; t < stop; t += 2) {
			drain(fds[0], &last);
			sleep_ms(2);
		}
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, NULL, 0), pid);
		assert_int_equal(fcntl(fds[0], F_SETFL, 0), 0);
		drain(fds[0], &last);
		close(fds[0]);

		a = open_log(path);
		if (last) {
			acked = last;
			rounds_acked++;
		}
		/* every acknowledged entry, and at most one unacknowledged */
		if (dcr_audit_count(a) < acked || dcr_audit_count(a) > (last ? last : held) + 1)
			fail_msg("round %d: %llu entries; acknowledged %llu, held %llu", iter,
			         (unsigned long long)dcr_audit_count(a), (unsigned long long)acked,
			         (unsigned long long)held);
		held = dcr_audit_count(a);
		assert_int_equal(export_check(a), held);
		dcr_audit_close(a);
	}
	print_message("killed appender: %d of 25 rounds acknowledged entries\n", rounds_acked);
	assert_true(rounds_acked >= 5);
	free(pad);
	tu_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_export_reads_disk),
		cmocka_unit_test(test_records_moved),
		cmocka_unit_test(test_record_from_another_log),
		cmocka_unit_test(test_wrong_keys_and_files),
		cmocka_unit_test(test_rollback_is_not_detected),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_zero_filled_tail),
		cmocka_unit_test(test_garbage_appended),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_killed_appender),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
