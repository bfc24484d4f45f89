/* SPDX-License-Identifier: Apache-2.0 */
/* The contract's canonical form: RFC 8785 numbers (the known answers of its
 * Appendix B), string escaping, key order, and a whole contract byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "contract/contract_int.h"
#include "dcr/contract.h"

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static void check_number(double d, const char *want)
{
	char got[CONTRACT_NUMBER_SIZE];

	contract_number_format(d, got);
	if (strcmp(got, want))
		fail_msg("%.17g: got \"%s\", want \"%s\"", d, got, want);
}

static void test_numbers_rfc8785_appendix_b(void **state)
{
	static const struct {
		uint64_t bits;
		const char *want;
	} v[] = {
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"}, /* round to even */
		{0x4363c0c7485b9a7e, "44479893619921900"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check_number(from_bits(v[i].bits), v[i].want);
}

static void test_numbers_layout(void **state)
{
	(void)state;
	check_number(1e-7, "1e-7");
	check_number(3.0, "3");
	check_number(0.5, "0.5");
	check_number(1e21, "1e+21");
	check_number(1e20, "100000000000000000000");
	check_number(123456789012345680000.0, "123456789012345680000");
	check_number(5e-324, "5e-324");
	check_number(1.7976931348623157e308, "1.7976931348623157e+308");
	check_number(0.000001, "0.000001");
	check_number(0.0000012, "0.0000012");
	check_number(1.5e-7, "1.5e-7");
	check_number(0.1, "0.1");
	check_number(100, "100");
	check_number(-25, "-25");
	check_number(1e100, "1e+100");
	check_number(123.456, "123.456");
	check_number(2.5, "2.5");
	check_number(9007199254740991.0, "9007199254740991");
	check_number(-0.0, "0");
	/* powers of two where the nearest decimal of the shortest length does
	 * not read back but its neighbour on the other side does (the expected
	 * texts are Python's repr, laid out as ECMAScript does) */
	check_number(__builtin_ldexp(1.0, -1017), "7.120236347223045e-307");
	check_number(__builtin_ldexp(1.0, -957), "8.209073602596753e-289");
	check_number(__builtin_ldexp(1.0, -921), "5.641232424577593e-278");
}

/* Every double that is a power of two has a lopsided rounding interval: the
 * nearest k-digit decimal may miss it while the one on the other side hits
 * it. Whatever we print must read back, and no shorter text may. */
static void test_numbers_round_trip(void **state)
{
	char got[CONTRACT_NUMBER_SIZE];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int e = -1074; e <= 1023; e++) {
		double d = __builtin_ldexp(1.0, e);

		contract_number_format(d, got);
		assert_true(strtod(got, NULL) == d);
	}
	for (int i = 0; i < 20000; i++) {
		double d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		d = from_bits(x & 0x7fefffffffffffffull);
		contract_number_format(d, got);
		assert_true(strtod(got, NULL) == d);
	}
}

static char *canon_of(const char *json, const char *skip)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	struct dcr_buf out;
	char *s;

	if (!v)
		fail_msg("bad test JSON: %s", jerr.text);
	dcr_buf_init(&out, 1 << 20);
	assert_int_equal(contract_canon_json(v, skip, &out), DCR_OK);
	s = strdup((const char *)out.data);
	dcr_buf_free(&out);
	json_decref(v);
	return s;
}

static void test_canon_generic(void **state)
{
	char *s;

	(void)state;
	/* RFC 8785 section 3.2.2.2 / 3.2.3: key order, minimal escapes, literal
	 * non-ASCII and '/', numbers as doubles */
	s = canon_of("{ \"b\" : [ 1E2 , 2.50, -0.0, 1e-7, true, false, null ],\n"
	             "  \"a\" : { \"z\": \"\\u00e9\\/\\\"\\\\\\b\\f\\n\\r\\t\\u001f\\u007f\", "
	             "\"y\": {} , \"x\": [] },\n"
	             "  \"signatures\": {\"p\": \"x\"}, \"A\": 1 }",
	             "signatures");
	assert_string_equal(s, "{\"A\":1,\"a\":{\"x\":[],\"y\":{},\"z\":\"\xc3\xa9/\\\"\\\\\\b\\f"
	                       "\\n\\r\\t\\u001f\x7f\"},\"b\":[100,2.5,0,1e-7,true,false,null]}");
	free(s);

	/* skip applies to the top level only */
	s = canon_of("{\"signatures\": 1, \"k\": {\"signatures\": 2}}", "signatures");
	assert_string_equal(s, "{\"k\":{\"signatures\":2}}");
	free(s);
}

static void test_canon_refuses_big_integers(void **state)
{
	json_t *v = json_pack("[I]", (json_int_t)CONTRACT_INT_MAX + 1);
	struct dcr_buf out;

	(void)state;
	dcr_buf_init(&out, 1024);
	assert_int_equal(contract_canon_json(v, NULL, &out), DCR_ERR_INVALID);
	dcr_buf_free(&out);
	json_decref(v);
}

static void test_canon_contract_bytes(void **state)
{
	static const char *const input =
		"{\"signatures\": {},\n"
		" \"rules\": {\"min_distinct_ids\": 10, \"aggregates\": [\"count\"],\n"
		"   \"dp\": {\"delta\": 1e-7, \"epsilon_per_query\": 0.5,\n"
		"          \"epsilon_per_analyst\": 3.0, \"max_rows_per_id\": 1},\n"
		"   \"queries\": [{\"sql\": \"SELECT \\u00e9 \\/ \\\"q\\\"\\t\\u001f\", "
		"\"name\": \"q1\"}]},\n"
		" \"id\": \"t\", \"dcr_contract\": 1, \"expires\": \"2030-01-01T00:00:00Z\",\n"
		" \"parties\": [{\"roles\": [\"contributor\"], \"name\": \"p\", "
		"\"public_key\": \"%s\"}],\n"
		" \"datasets\": [{\"owner\": \"p\", \"name\": \"d\", \"columns\": [\n"
		"   {\"type\": \"id\", \"normalize\": \"none\", \"name\": \"u\"},\n"
		"   {\"name\": \"m\", \"type\": \"float\", \"role\": \"metric\", "
		"\"bounds\": [-1E2, 2.50]}]}],\n"
		" \"tee\": {\"accept\": [\"sim\"]}}\n";
	static const char *const want =
		"{\"datasets\":[{\"columns\":[{\"name\":\"u\",\"normalize\":\"none\","
		"\"type\":\"id\"},"
		"{\"bounds\":[-100,2.5],\"name\":\"m\",\"role\":\"metric\",\"type\":\"float\"}],"
		"\"name\":\"d\",\"owner\":\"p\"}],\"dcr_contract\":1,"
		"\"expires\":\"2030-01-01T00:00:00Z\",\"id\":\"t\","
		"\"parties\":[{\"name\":\"p\",\"public_key\":\"%s\",\"roles\":[\"contributor\"]}],"
		"\"rules\":{\"aggregates\":[\"count\"],\"dp\":{\"delta\":1e-7,"
		"\"epsilon_per_analyst\":3,\"epsilon_per_query\":0.5,\"max_rows_per_id\":1},"
		"\"min_distinct_ids\":10,\"queries\":[{\"name\":\"q1\","
		"\"sql\":\"SELECT \xc3\xa9 / \\\"q\\\"\\t\\u001f\"}]},"
		"\"tee\":{\"accept\":[\"sim\"]}}";
	uint8_t seed[32] = {7}, hash[32];
	char line[DCR_PUBKEY_LINE_SIZE], text[4096], expect[4096];
	struct dcr_contract *c = NULL;
	struct dcr_seckey *key = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_pubkey pub;
	struct dcr_buf canon;

	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	assert_int_equal(dcr_seckey_from_seeds(seed, seed, &key), DCR_OK);
	dcr_seckey_public(key, &pub);
	dcr_pubkey_format(&pub, line);
	snprintf(text, sizeof(text), input, line);
	snprintf(expect, sizeof(expect), want, line);
	if (dcr_contract_parse(text, strlen(text), 0, 0, &c, &msg))
		fail_msg("parse: %s", msg.text);
	assert_int_equal(dcr_contract_canonical(c, &canon), DCR_OK);
	assert_string_equal((const char *)canon.data, expect);
	assert_int_equal(canon.size, strlen(expect));
	dcr_sha256(expect, strlen(expect), hash);
	assert_memory_equal(c->hash, hash, sizeof(hash));
	dcr_buf_free(&canon);
	dcr_contract_free(c);
	dcr_seckey_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_rfc8785_appendix_b),
		cmocka_unit_test(test_numbers_layout),
		cmocka_unit_test(test_numbers_round_trip),
		cmocka_unit_test(test_canon_generic),
		cmocka_unit_test(test_canon_refuses_big_integers),
		cmocka_unit_test(test_canon_contract_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
