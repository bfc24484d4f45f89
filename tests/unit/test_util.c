/* SPDX-License-Identifier: Apache-2.0 */
/* util: errors, messages, capped buffers, hex/base64, files, time, TEE names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "testutil.h"

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(dcr_strerror(DCR_OK), "success");
	assert_string_equal(dcr_strerror(DCR_ERR_VERIFY), "verification failed");
	assert_string_equal(dcr_strerror(DCR_ERR_TOO_BIG), "input too large");
	/* every code has its own text */
	for (int a = DCR_ERR_SQL; a <= 0; a++)
		for (int b = a + 1; b <= 0; b++)
			assert_string_not_equal(dcr_strerror(a), dcr_strerror(b));
	assert_string_equal(dcr_strerror((enum dcr_err)-999), "unknown error");
}

static void test_msg(void **state)
{
	struct dcr_msg msg = {{0}};
	char big[2000];

	(void)state;
	assert_int_equal(dcr_fail(&msg, DCR_ERR_INVALID, "field %s: bad", "x"), DCR_ERR_INVALID);
	assert_string_equal(msg.text, "field x: bad");
	dcr_msg_prefix(&msg, "%s: ", "contract.json");
	assert_string_equal(msg.text, "contract.json: field x: bad");
	/* NULL is accepted everywhere */
	dcr_msg_set(NULL, "x");
	dcr_msg_prefix(NULL, "x");
	assert_int_equal(dcr_fail(NULL, DCR_ERR_IO, "x"), DCR_ERR_IO);
	/* overlong text is truncated, never overflows */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dcr_msg_set(&msg, "%s", big);
	assert_int_equal(strlen(msg.text), DCR_MSG_SIZE - 1);
	dcr_msg_prefix(&msg, "%s", big);
	assert_int_equal(strlen(msg.text), DCR_MSG_SIZE - 1);
}

static void test_buf_cap(void **state)
{
	struct dcr_buf b;

	(void)state;
	dcr_buf_init(&b, 10);
	assert_int_equal(dcr_buf_append(&b, "hello", 5), DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "%d", 12345), DCR_OK);
	assert_int_equal(b.size, 10);
	assert_string_equal((char *)b.data, "hello12345");
	/* one byte over the cap fails and leaves the contents alone */
	assert_int_equal(dcr_buf_append(&b, "!", 1), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_buf_printf(&b, "!"), DCR_ERR_TOO_BIG);
	assert_int_equal(b.size, 10);
	assert_string_equal((char *)b.data, "hello12345");
	/* a size near SIZE_MAX must not wrap around */
	assert_int_equal(dcr_buf_append(&b, "", SIZE_MAX), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_buf_reserve(&b, SIZE_MAX - 3), DCR_ERR_TOO_BIG);
	dcr_buf_reset(&b);
	assert_int_equal(b.size, 0);
	assert_string_equal((char *)b.data, "");
	dcr_buf_free(&b);
	assert_null(b.data);
	dcr_buf_free(&b); /* twice is fine */
}

static void test_buf_grow(void **state)
{
	struct dcr_buf b;
	uint8_t chunk[1000];

	(void)state;
	dcr_buf_init(&b, 1 << 20);
	b.secret = true; /* exercises the wipe-on-move path */
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)i;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(dcr_buf_append(&b, chunk, sizeof(chunk)), DCR_OK);
	assert_int_equal(b.size, 1000000);
	for (int i = 0; i < 1000; i++)
		assert_memory_equal(b.data + i * 1000, chunk, sizeof(chunk));
	assert_int_equal(b.data[b.size], 0);
	dcr_buf_free(&b);
}

static void test_hex(void **state)
{
	const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff};
	uint8_t out[8];
	char hex[17];

	(void)state;
	dcr_hex_encode(hex, bytes, sizeof(bytes));
	assert_string_equal(hex, "00017f80abcdefff");
	assert_int_equal(dcr_hex_decode(out, 8, "00017F80ABCDEFFF", 16), DCR_OK);
	assert_memory_equal(out, bytes, 8);
	assert_int_equal(dcr_hex_decode(out, 8, hex, 16), DCR_OK);
	assert_memory_equal(out, bytes, 8);
	/* wrong length, and every kind of non-hex character */
	assert_int_equal(dcr_hex_decode(out, 8, hex, 15), DCR_ERR_INVALID);
	assert_int_equal(dcr_hex_decode(out, 4, hex, 16), DCR_ERR_INVALID);
	for (int c = 0; c < 256; c++) {
		char s[3] = {'0', (char)c, 0};
		bool valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

		assert_int_equal(dcr_hex_decode(out, 1, s, 2), valid ? DCR_OK : DCR_ERR_INVALID);
		if (valid)
			assert_int_equal(out[0], c <= '9' ? c - '0' : (c | 32) - 'a' + 10);
	}
	dcr_hex_encode(hex, bytes, 0);
	assert_string_equal(hex, "");
}

static void test_b64_vectors(void **state)
{
	/* RFC 4648 section 10 */
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                  "Zm9vYmFy"};
	char out[16];
	uint8_t dec[16];
	size_t n;

	(void)state;
	for (int i = 0; i < 7; i++) {
		dcr_b64_encode(out, (const uint8_t *)plain[i], strlen(plain[i]));
		assert_string_equal(out, enc[i]);
		assert_int_equal(dcr_b64_decode(dec, sizeof(dec), enc[i], strlen(enc[i]), &n),
		                 DCR_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], n);
	}
}

static void test_b64_all_bytes(void **state)
{
	uint8_t in[256], dec[256];
	char enc[DCR_B64_SIZE(256)];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)(255 - i);
	for (size_t len = 0; len <= 256; len += 1) {
		dcr_b64_encode(enc, in, len);
		assert_int_equal(strlen(enc), DCR_B64_SIZE(len) - 1);
		assert_int_equal(dcr_b64_decode(dec, sizeof(dec), enc, strlen(enc), &n), DCR_OK);
		assert_int_equal(n, len);
		assert_memory_equal(dec, in, len);
	}
	/* both alphabets' special characters */
	dcr_b64_encode(enc, (const uint8_t *)"\xfb\xff\xbf", 3);
	assert_string_equal(enc, "+/+/");
}

static void test_b64_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=",      /* not a multiple of 4 */
		"Zg",       /* missing padding */
		"Zh==",     /* non-zero trailing bits (canonical is Zg==) */
		"Zm9=",     /* non-zero trailing bits (canonical is Zm8=) */
		"Z===",     /* too much padding */
		"====",     /* padding only */
		"Zm 9v",    /* whitespace */
		"Zm9v\n",   /* newline */
		"Zm=v",     /* padding in the middle */
		"Zm9-",     /* URL-safe alphabet */
		"Zm9_",
		"Zm9v====", /* a whole block of padding */
	};
	uint8_t dec[16];
	size_t n = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dcr_b64_decode(dec, sizeof(dec), bad[i], strlen(bad[i]), &n),
		                 DCR_ERR_INVALID);
		assert_int_equal(n, 0);
	}
	/* capacity is checked before writing */
	assert_int_equal(dcr_b64_decode(dec, 2, "Zm9v", 4, &n), DCR_ERR_TOO_BIG);
	assert_int_equal(dcr_b64_decode(dec, 3, "Zm9v", 4, &n), DCR_OK);
	/* an embedded NUL is not base64 */
	assert_int_equal(dcr_b64_decode(dec, sizeof(dec), "Zm\0v", 4, &n), DCR_ERR_INVALID);
}

static void test_file_read(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	tu_write(path, "0123456789", 10);
	assert_int_equal(dcr_file_read(path, 10, &b, &msg), DCR_OK);
	assert_int_equal(b.size, 10);
	assert_string_equal((char *)b.data, "0123456789");
	dcr_buf_free(&b);
	/* one byte over the limit is refused, with the path and the limit */
	assert_int_equal(dcr_file_read(path, 9, &b, &msg), DCR_ERR_TOO_BIG);
	tu_assert_msg(&msg, path);
	tu_assert_msg(&msg, "9 bytes");
	assert_null(b.data);
	/* empty file reads as "" */
	tu_write(path, "", 0);
	assert_int_equal(dcr_file_read(path, 10, &b, &msg), DCR_OK);
	assert_int_equal(b.size, 0);
	assert_non_null(b.data);
	dcr_buf_free(&b);
	/* missing file and directory */
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(dcr_file_read(path, 10, &b, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "missing");
	assert_int_equal(dcr_file_read(dir, 10, &b, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "is a directory");
	tu_rmdir(dir);
}

static void test_file_write_atomic(void **state)
{
	char *dir = tu_tmpdir();
	struct dcr_msg msg = {{0}};
	struct dcr_buf b;
	struct stat st;
	char path[4096];

	(void)state;
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(dcr_file_write_atomic(path, "one", 3, 0600, 0, &msg), DCR_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* without REPLACE an existing file is kept */
	assert_int_equal(dcr_file_write_atomic(path, "two", 3, 0600, 0, &msg), DCR_ERR_EXISTS);
	tu_assert_msg(&msg, "already exists");
	assert_int_equal(dcr_file_read(path, 100, &b, &msg), DCR_OK);
	assert_string_equal((char *)b.data, "one");
	dcr_buf_free(&b);
	/* with REPLACE it is replaced, with the mode asked for */
	assert_int_equal(dcr_file_write_atomic(path, "three", 5, 0644, DCR_WRITE_REPLACE, &msg),
	                 DCR_OK);
	assert_int_equal(dcr_file_read(path, 100, &b, &msg), DCR_OK);
	assert_string_equal((char *)b.data, "three");
	dcr_buf_free(&b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* no temporary files are left behind */
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
		assert_int_equal(system(cmd), 0);
	}
	/* a directory that does not exist */
	snprintf(path, sizeof(path), "%s/no/such/dir/f", dir);
	assert_int_not_equal(dcr_file_write_atomic(path, "x", 1, 0600, 0, &msg), DCR_OK);
	tu_assert_msg(&msg, "cannot create");
	tu_rmdir(dir);
}

static void test_time(void **state)
{
	int64_t t;
	char s[21];

	(void)state;
	assert_int_equal(dcr_time_parse("1970-01-01T00:00:00Z", &t), DCR_OK);
	assert_int_equal(t, 0);
	assert_int_equal(dcr_time_parse("2027-12-31T00:00:00Z", &t), DCR_OK);
	assert_int_equal(t, 1830211200);
	assert_int_equal(dcr_time_parse("2024-02-29T23:59:59Z", &t), DCR_OK);
	assert_int_equal(t, 1709251199);
	dcr_time_format(1830211200, s);
	assert_string_equal(s, "2027-12-31T00:00:00Z");
	dcr_time_format(1709251199, s);
	assert_string_equal(s, "2024-02-29T23:59:59Z");
	static const char *const bad[] = {
		"2023-02-29T00:00:00Z", /* not a leap year */
		"1900-02-29T00:00:00Z", /* century, not a leap year */
		"2027-13-01T00:00:00Z", "2027-00-01T00:00:00Z", "2027-04-31T00:00:00Z",
		"2027-12-31T24:00:00Z", "2027-12-31T00:60:00Z", "2027-12-31T00:00:60Z",
		"2027-12-31 00:00:00Z", "2027-12-31T00:00:00", "2027-12-31T00:00:00+00:00",
		"2027-12-31T00:00:00Zx", "2027-12-31", "", "2027-1a-31T00:00:00Z",
		"2027-12-31T00:00:00.5Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dcr_time_parse(bad[i], &t), DCR_ERR_INVALID);
		assert_int_equal(t, 0);
	}
	assert_int_equal(dcr_time_parse("2000-02-29T00:00:00Z", &t), DCR_OK);
	assert_int_equal(dcr_days_from_civil(2026, 1, 31), 20484);
}

static void test_dates(void **state)
{
	int32_t d;
	char s[11];

	(void)state;
	assert_int_equal(dcr_date_parse("1970-01-01", 10, &d), DCR_OK);
	assert_int_equal(d, 0);
	assert_int_equal(dcr_date_parse("2026-01-31", 10, &d), DCR_OK);
	assert_int_equal(d, 20484);
	assert_int_equal(dcr_date_parse("1969-12-31", 10, &d), DCR_OK);
	assert_int_equal(d, -1);
	assert_int_equal(dcr_date_parse("2000-02-29", 10, &d), DCR_OK);
	assert_int_equal(dcr_date_parse("0000-01-01", 10, &d), DCR_OK);
	assert_int_equal(d, -719528);
	assert_int_equal(dcr_date_parse("9999-12-31", 10, &d), DCR_OK);
	assert_int_equal(d, 2932896);
	static const char *const bad[] = {"2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10",
	                                  "2026-04-31", "2026-1-31",  "2026/01/31", "20260131",
	                                  "2026-01-3x", "2026-01-00", "+026-01-01", " 2026-01-01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dcr_date_parse(bad[i], strlen(bad[i]), &d), DCR_ERR_INVALID);
	assert_int_equal(dcr_date_parse("2026-01-31x", 10, &d), DCR_OK); /* len bounds it */
	/* every day from 1600 to 2400 formats back to itself */
	for (int32_t day = -135140; day < 157000; day++) {
		int32_t back;

		dcr_date_format(day, s);
		assert_int_equal(dcr_date_parse(s, 10, &back), DCR_OK);
		assert_int_equal(back, day);
	}
	dcr_date_format(20484, s);
	assert_string_equal(s, "2026-01-31");
	dcr_date_format(INT32_MIN, s);
	assert_string_equal(s, "0000-01-01");
	dcr_date_format(INT32_MAX, s);
	assert_string_equal(s, "9999-12-31");
}

static void test_arena(void **state)
{
	struct dcr_arena a;
	char *p[1000];

	(void)state;
	dcr_arena_init(&a, 1 << 20);
	for (int i = 0; i < 1000; i++) {
		p[i] = dcr_arena_alloc(&a, (size_t)i + 1);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		for (int j = 0; j <= i; j++)
			assert_int_equal(p[i][j], 0); /* zeroed */
		memset(p[i], i & 0xff, (size_t)i + 1);
	}
	for (int i = 0; i < 1000; i++)
		for (int j = 0; j <= i; j++)
			assert_int_equal((unsigned char)p[i][j], i & 0xff); /* no overlap */
	assert_string_equal(dcr_arena_strndup(&a, "hello world", 5), "hello");
	/* the cap holds */
	assert_null(dcr_arena_alloc(&a, 2 << 20));
	assert_null(dcr_arena_alloc(&a, SIZE_MAX - 4));
	dcr_arena_free(&a);
	assert_int_equal(a.total, 0);
	assert_non_null(dcr_arena_alloc(&a, 10)); /* usable again */
	dcr_arena_free(&a);
}

static void test_tee_names(void **state)
{
	enum dcr_tee t;
	const char *name;

	(void)state;
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		assert_int_equal(dcr_tee_from_name(dcr_tee_name((enum dcr_tee)i), &t), DCR_OK);
		assert_int_equal(t, i);
	}
	assert_string_equal(dcr_tee_name(DCR_TEE_AZURE_VTPM), "azure-vtpm");
	assert_int_equal(dcr_tee_from_name("SGX", &t), DCR_ERR_NOT_FOUND);
	assert_int_equal(dcr_tee_from_name("", &t), DCR_ERR_NOT_FOUND);
	assert_int_equal(dcr_tee_field(DCR_TEE_TDX, "mrtd", &name), 48);
	assert_string_equal(name, "mrtd");
	assert_int_equal(dcr_tee_field(DCR_TEE_SGX, "mrenclave", &name), 32);
	assert_int_equal(dcr_tee_field(DCR_TEE_SGX, "mrtd", &name), 0);
	assert_null(name);
	assert_int_equal(dcr_tee_field(DCR_TEE_AZURE_VTPM, "pcr23", &name), 32);
	assert_int_equal(dcr_tee_field(DCR_TEE_AZURE_VTPM, "pcr24", &name), 0);
	assert_int_equal(dcr_tee_field(DCR_TEE_SIM, "measurement", &name), 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),      cmocka_unit_test(test_msg),
		cmocka_unit_test(test_buf_cap),       cmocka_unit_test(test_buf_grow),
		cmocka_unit_test(test_hex),           cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_all_bytes), cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_file_read),     cmocka_unit_test(test_file_write_atomic),
		cmocka_unit_test(test_time),          cmocka_unit_test(test_tee_names),
		cmocka_unit_test(test_dates),         cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
