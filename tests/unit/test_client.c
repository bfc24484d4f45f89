/* SPDX-License-Identifier: Apache-2.0 */
/* The client's checks without a network: server URLs, signed request
 * headers, the attestation answer, query receipts, audit chains, result
 * formats and how the room's errors map to exit codes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "client/client_int.h"
#include "dcr/attest.h"

static struct dcr_seckey *news, *acme, *room, *other_room;
static struct dcr_pubkey room_pk;
static struct dcr_contract *contract, *other;
static char *dir;

static const char contract_fmt[] =
	"{\"dcr_contract\": 1, \"id\": \"%s\", \"expires\": \"2099-01-01T00:00:00Z\",\n"
	" \"parties\": [\n"
	"  {\"name\": \"news\", \"public_key\": \"%s\", \"roles\": [\"contributor\"]},\n"
	"  {\"name\": \"acme\", \"public_key\": \"%s\", \"roles\": [\"contributor\", \"analyst\"]}],\n"
	" \"datasets\": [{\"name\": \"impressions\", \"owner\": \"news\", \"columns\": [\n"
	"  {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"  {\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"}]}],\n"
	" \"rules\": {\"min_distinct_ids\": 2, \"aggregates\": [\"count\"],\n"
	"  \"queries\": [{\"name\": \"reach\", \"sql\": \"SELECT COUNT(*) FROM impressions\"}]},\n"
	" \"tee\": {\"accept\": [\"sim\"]}}\n";

static struct dcr_contract *make_contract(const char *id)
{
	char text[4096], np[DCR_PUBKEY_LINE_SIZE], ap[DCR_PUBKEY_LINE_SIZE];
	struct dcr_pubkey pk;
	struct dcr_contract *c;
	struct dcr_msg msg = {{0}};

	dcr_seckey_public(news, &pk);
	dcr_pubkey_format(&pk, np);
	dcr_seckey_public(acme, &pk);
	dcr_pubkey_format(&pk, ap);
	snprintf(text, sizeof(text), contract_fmt, id, np, ap);
	if (dcr_contract_parse(text, strlen(text), 0, 0, &c, &msg))
		fail_msg("contract: %s", msg.text);
	return c;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	assert_int_equal(dcr_seckey_generate(&news), DCR_OK);
	assert_int_equal(dcr_seckey_generate(&acme), DCR_OK);
	assert_int_equal(dcr_seckey_generate(&room), DCR_OK);
	assert_int_equal(dcr_seckey_generate(&other_room), DCR_OK);
	dcr_seckey_public(room, &room_pk);
	contract = make_contract("test");
	other = make_contract("other");
	dir = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_seckey_free(news);
	dcr_seckey_free(acme);
	dcr_seckey_free(room);
	dcr_seckey_free(other_room);
	dcr_contract_free(contract);
	dcr_contract_free(other);
	tu_rmdir(dir);
	return 0;
}

/* ---- server URLs and the party ------------------------------------------------ */

static void test_client_new(void **state)
{
	struct dcr_client *cl;
	struct dcr_msg msg = {{0}};

	(void)state;
	assert_int_equal(dcr_client_new("127.0.0.1:8080", contract, acme, NULL, &cl, &msg), DCR_OK);
	assert_string_equal(cl->base, "http://127.0.0.1:8080");
	assert_string_equal(dcr_client_party(cl)->name, "acme");
	dcr_client_free(cl);
	assert_int_equal(dcr_client_new("https://room.example:443/", contract, NULL, NULL, &cl,
	                                &msg), DCR_OK);
	assert_string_equal(cl->base, "https://room.example:443");
	assert_null(dcr_client_party(cl));
	dcr_client_free(cl);

	assert_int_equal(dcr_client_new("http://h:1/prefix", contract, acme, NULL, &cl, &msg),
	                 DCR_ERR_USAGE);
	tu_assert_msg(&msg, "without a path");
	assert_null(cl);
	assert_int_equal(dcr_client_new("ftp://h:1", contract, acme, NULL, &cl, &msg),
	                 DCR_ERR_USAGE);
	tu_assert_msg(&msg, "only http:// and https://");
	assert_int_equal(dcr_client_new("http://h:1/?x=1", contract, acme, NULL, &cl, &msg),
	                 DCR_ERR_USAGE);
	assert_int_equal(dcr_client_new("http://h:1", contract, room, NULL, &cl, &msg),
	                 DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "not the key of any party of contract test");
}

/* ---- signed request headers -------------------------------------------------- */

static const char *header(const struct curl_slist *h, const char *name)
{
	for (; h; h = h->next)
		if (!strncmp(h->data, name, strlen(name)) && h->data[strlen(name)] == ':')
			return h->data + strlen(name) + 2;
	return NULL;
}

static void test_signed_headers_verify(void **state)
{
	struct dcr_client *cl;
	struct dcr_msg msg = {{0}};
	struct client_answer ans = {0};
	struct curl_slist *h = NULL;
	struct dcr_pubkey acme_pk;
	uint8_t body[32], other_body[32];
	int64_t ts;
	char nonce[DCR_NONCE_HEX_SIZE];
	const char *sig;

	(void)state;
	dcr_seckey_public(acme, &acme_pk);
	dcr_sha256("body", 4, body);
	dcr_sha256("bodz", 4, other_body);
	assert_int_equal(dcr_client_new("127.0.0.1:1", contract, acme, NULL, &cl, &msg), DCR_OK);
	dcr_buf_init(&ans.body, 100);
	assert_int_equal(client_http_setup(cl, "POST", "/v1/queries", true, body, &ts, nonce, &ans,
	                                   &h, &msg), DCR_OK);
	assert_string_equal(header(h, DCR_HEADER_PARTY), "acme");
	assert_string_equal(header(h, DCR_HEADER_NONCE), nonce);
	assert_int_equal(strlen(nonce), 32);
	assert_true(ts > 1700000000);
	sig = header(h, DCR_HEADER_SIGNATURE);
	assert_non_null(sig);
	assert_int_equal(dcr_proto_verify_request(&acme_pk, "POST", "/v1/queries",
	                                          header(h, DCR_HEADER_TIMESTAMP), nonce, body, sig),
	                 DCR_OK);
	/* any other method, path, body or nonce: refused */
	assert_int_equal(dcr_proto_verify_request(&acme_pk, "PUT", "/v1/queries",
	                                          header(h, DCR_HEADER_TIMESTAMP), nonce, body, sig),
	                 DCR_ERR_VERIFY);
	assert_int_equal(dcr_proto_verify_request(&acme_pk, "POST", "/v1/audit",
	                                          header(h, DCR_HEADER_TIMESTAMP), nonce, body, sig),
	                 DCR_ERR_VERIFY);
	assert_int_equal(dcr_proto_verify_request(&acme_pk, "POST", "/v1/queries",
	                                          header(h, DCR_HEADER_TIMESTAMP), nonce,
	                                          other_body, sig),
	                 DCR_ERR_VERIFY);
	assert_int_equal(dcr_proto_verify_request(&acme_pk, "POST", "/v1/queries",
	                                          header(h, DCR_HEADER_TIMESTAMP),
	                                          "00000000000000000000000000000000", body, sig),
	                 DCR_ERR_VERIFY);
	curl_slist_free_all(h);
	h = NULL;

	/* a streamed upload: no signature header yet (it goes in the trailer) */
	assert_int_equal(client_http_setup(cl, "PUT", "/v1/datasets/impressions", true, NULL, &ts,
	                                   nonce, &ans, &h, &msg), DCR_OK);
	assert_null(header(h, DCR_HEADER_SIGNATURE));
	assert_non_null(header(h, DCR_HEADER_TIMESTAMP));
	curl_slist_free_all(h);
	h = NULL;
	/* unsigned (attestation): no party headers at all */
	assert_int_equal(client_http_setup(cl, "GET", "/v1/attestation", false, NULL, &ts, nonce,
	                                   &ans, &h, &msg), DCR_OK);
	assert_null(h);
	dcr_client_free(cl);
}

/* ---- the attestation answer ---------------------------------------------------- */

/* The JSON a room with key rk, bound to contract bound, serves. */
static char *attestation_json(const struct dcr_seckey *rk, const struct dcr_contract *bound,
                              const char *served_hash)
{
	struct dcr_attest_env env = {.data_dir = dir};
	struct dcr_pubkey pk;
	uint8_t rd[DCR_REPORT_DATA_SIZE];
	struct dcr_buf ev;
	struct dcr_msg msg = {{0}};
	char line[DCR_PUBKEY_LINE_SIZE], hex[65], *b64, *out;
	json_t *j;

	dcr_seckey_public(rk, &pk);
	dcr_attest_report_data(bound->hash, &pk, rd);
	dcr_buf_init(&ev, DCR_EVIDENCE_MAX_SIZE);
	if (dcr_attest_find_name("sim")->evidence(&env, rd, &ev, &msg))
		fail_msg("evidence: %s", msg.text);
	b64 = malloc(DCR_B64_SIZE(ev.size));
	assert_non_null(b64);
	dcr_b64_encode(b64, ev.data, ev.size);
	dcr_pubkey_format(&pk, line);
	dcr_contract_hash_hex(contract, hex);
	j = json_pack("{s:s,s:s,s:s,s:s}", "tee", "sim", "evidence", b64, "public_key", line,
	              "contract_hash", served_hash ? served_hash : hex);
	out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(b64);
	dcr_buf_free(&ev);
	return out;
}

static void expect_attest(const char *json, enum dcr_err want, const char *needle)
{
	struct dcr_room r;
	struct dcr_msg msg = {{0}};

	assert_int_equal(client_attestation_check(contract, json, strlen(json), NULL, false, &r, &msg), want);
	if (needle)
		tu_assert_msg(&msg, needle);
	if (want) {
		struct dcr_pubkey zero = {0};

		assert_true(dcr_pubkey_equal(&r.key, &zero));
	}
}

static void test_attestation(void **state)
{
	char *good = attestation_json(room, contract, NULL);
	char *bound_other = attestation_json(room, other, NULL);
	char hex[65];
	char *served_other;
	struct dcr_room r;
	struct dcr_msg msg = {{0}};

	(void)state;
	dcr_log_set_level(DCR_LOG_ERROR); /* the sim warnings are expected */
	assert_int_equal(client_attestation_check(contract, good, strlen(good), NULL, false, &r, &msg), DCR_OK);
	assert_true(dcr_pubkey_equal(&r.key, &room_pk));
	assert_int_equal(r.tee, DCR_TEE_SIM);
	assert_true(r.claims.measurement_count > 0);

	/* evidence made for another contract's hash */
	expect_attest(bound_other, DCR_ERR_VERIFY, "report data");
	/* the room says it runs another contract */
	dcr_contract_hash_hex(other, hex);
	served_other = attestation_json(room, contract, hex);
	expect_attest(served_other, DCR_ERR_VERIFY, "the clean room runs contract");
	/* evidence for one key, another key served */
	{
		json_t *j = json_loads(good, 0, NULL);
		struct dcr_pubkey pk;
		char line[DCR_PUBKEY_LINE_SIZE], *s;

		dcr_seckey_public(other_room, &pk);
		dcr_pubkey_format(&pk, line);
		json_object_set_new(j, "public_key", json_string(line));
		s = json_dumps(j, JSON_COMPACT);
		expect_attest(s, DCR_ERR_VERIFY, "report data");
		json_object_set_new(j, "public_key", json_string("dcr-pub-1:nope"));
		free(s);
		s = json_dumps(j, JSON_COMPACT);
		expect_attest(s, DCR_ERR_VERIFY, "public_key");
		json_object_set_new(j, "tee", json_string("quantum"));
		free(s);
		s = json_dumps(j, JSON_COMPACT);
		expect_attest(s, DCR_ERR_VERIFY, "unknown TEE kind");
		json_object_set_new(j, "tee", json_string("sim"));
		json_object_set_new(j, "evidence", json_string("!!"));
		dcr_pubkey_format(&room_pk, line);
		json_object_set_new(j, "public_key", json_string(line));
		free(s);
		s = json_dumps(j, JSON_COMPACT);
		expect_attest(s, DCR_ERR_VERIFY, "not base64");
		json_object_del(j, "evidence");
		free(s);
		s = json_dumps(j, JSON_COMPACT);
		expect_attest(s, DCR_ERR_VERIFY, "lacks \"evidence\"");
		free(s);
		json_decref(j);
	}
	expect_attest("[1,2]", DCR_ERR_VERIFY, "not a JSON object");
	expect_attest("not json", DCR_ERR_VERIFY, "not a JSON object");
	dcr_log_set_level(DCR_LOG_WARN);
	free(good);
	free(bound_other);
	free(served_other);
}

/* ---- query answers and receipts ---------------------------------------------------- */

static const char result_csv[] = "region,n,n,ok\nnorth,52,3,true\n\"south, east\",,4,false\n";

struct receipt_opts {
	const struct dcr_contract *c;
	const char *analyst, *sql, *tee, *csv_signed;
	const struct dcr_seckey *signer;
	double epsilon;
	const char *noise_lines;
};

static json_t *answer(const struct receipt_opts *o)
{
	struct dcr_receipt r = {0};
	struct dcr_buf text;
	char sig[DCR_SIGNATURE_B64_SIZE];
	json_t *j;

	memcpy(r.contract_hash, o->c ? o->c->hash : contract->hash, 32);
	r.tee = o->tee ? o->tee : "sim";
	r.measurement_size = 48;
	r.analyst = o->analyst ? o->analyst : "acme";
	r.time = 1800000000;
	dcr_sha256(o->sql ? o->sql : "SELECT 1", strlen(o->sql ? o->sql : "SELECT 1"),
	           r.query_hash);
	dcr_sha256(o->csv_signed ? o->csv_signed : result_csv,
	           strlen(o->csv_signed ? o->csv_signed : result_csv), r.result_hash);
	r.audit_seq = 7;
	r.epsilon = o->epsilon;
	r.noise_lines = o->noise_lines;
	dcr_buf_init(&text, 1 << 16);
	assert_int_equal(dcr_receipt_format(&r, &text), DCR_OK);
	dcr_receipt_sign(o->signer ? o->signer : room, (const char *)text.data, text.size, sig);
	j = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:s,s:s,s:s}", "columns",
	              "name", "region", "type", "string", "name", "n", "type", "int", "name", "n",
	              "type", "int", "name", "ok", "type", "bool", "csv", result_csv, "receipt",
	              (const char *)text.data, "signature", sig);
	dcr_buf_free(&text);
	return j;
}

static struct dcr_room attested(void)
{
	struct dcr_room r = {0};

	r.tee = DCR_TEE_SIM;
	r.key = room_pk;
	return r;
}

static void expect_answer(const struct receipt_opts *o, enum dcr_err want, const char *needle)
{
	struct dcr_room r = attested();
	struct dcr_query_answer a;
	struct dcr_msg msg = {{0}};
	json_t *j = answer(o);

	assert_int_equal(client_query_answer_parse(contract, &r, "acme", "SELECT 1", 0, j, &a, &msg),
	                 want);
	if (needle)
		tu_assert_msg(&msg, needle);
	if (want) {
		assert_null(a.csv.data);
		assert_null(a.columns);
	}
	dcr_query_answer_free(&a);
	json_decref(j);
}

static void test_receipt_paths(void **state)
{
	struct receipt_opts o = {0};

	(void)state;
	expect_answer(&o, DCR_OK, NULL);
	/* an exact contract's answer must not claim noise (nor a DP one's lack it) */
	o.epsilon = 0.5;
	o.noise_lines = "noise: column=1 mechanism=discrete-laplace scale=20 ci95=60\n";
	expect_answer(&o, DCR_ERR_VERIFY, "a noisy answer for a contract without rules.dp");
	o.epsilon = 0;
	o.noise_lines = NULL;
	o.csv_signed = "region,n\nnorth,999\n";
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: the result does not match it");
	o.csv_signed = NULL;
	o.signer = other_room;
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: the signature is not the attested clean room's");
	o.signer = NULL;
	o.c = other;
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: made under another contract");
	o.c = NULL;
	o.analyst = "news";
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: made for another analyst than acme");
	o.analyst = NULL;
	o.sql = "SELECT 2";
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: made for another query");
	o.sql = NULL;
	o.tee = "tdx";
	expect_answer(&o, DCR_ERR_VERIFY, "receipt: names another TEE kind than the attested sim");
}

static void test_answer_missing_fields(void **state)
{
	static const char *fields[] = {"columns", "csv", "receipt", "signature"};
	struct receipt_opts o = {0};
	struct dcr_room r = attested();

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct dcr_query_answer a;
		struct dcr_msg msg = {{0}};
		json_t *j = answer(&o);
		char needle[64];

		json_object_del(j, fields[i]);
		assert_int_equal(client_query_answer_parse(contract, &r, "acme", "SELECT 1", 0, j, &a,
		                                           &msg), DCR_ERR_VERIFY);
		snprintf(needle, sizeof(needle), "lacks \"%s\"", fields[i]);
		tu_assert_msg(&msg, needle);
		json_decref(j);
	}
}

static void test_answer_formats_and_receipt(void **state)
{
	struct receipt_opts o = {0};
	struct dcr_room r = attested();
	struct dcr_query_answer a;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	json_t *j = answer(&o);

	(void)state;
	assert_int_equal(client_query_answer_parse(contract, &r, "acme", "SELECT 1", 0, j, &a, &msg),
	                 DCR_OK);
	assert_int_equal(a.audit_seq, 7);
	assert_int_equal(a.column_count, 4);
	dcr_buf_init(&out, 1 << 20);
	assert_int_equal(dcr_query_answer_format(&a, DCR_FORMAT_CSV, &out, &msg), DCR_OK);
	assert_string_equal((const char *)out.data, result_csv);
	dcr_buf_reset(&out);
	/* a repeated column name survives; NULL stays null; bools show as text */
	assert_int_equal(dcr_query_answer_format(&a, DCR_FORMAT_JSON, &out, &msg), DCR_OK);
	assert_non_null(strstr((const char *)out.data,
	                       "{\"region\":\"north\",\"n\":52,\"n\":3,\"ok\":\"true\"}"));
	assert_non_null(strstr((const char *)out.data,
	                       "{\"region\":\"south, east\",\"n\":null,\"n\":4,\"ok\":\"false\"}"));
	dcr_buf_reset(&out);
	assert_int_equal(dcr_query_answer_format(&a, DCR_FORMAT_TABLE, &out, &msg), DCR_OK);
	assert_non_null(strstr((const char *)out.data, "south, east"));
	assert_non_null(strstr((const char *)out.data, "NULL"));
	dcr_buf_reset(&out);
	assert_int_equal(dcr_query_answer_receipt(&a, &out), DCR_OK);
	assert_int_equal(memcmp(out.data, "dcr receipt v1\n", 15), 0);
	assert_non_null(strstr((const char *)out.data, "\naudit: 7\nsignature: "));
	/* the saved receipt still checks with the room's key */
	{
		char *sig = strstr((char *)out.data, "signature: ");
		uint8_t h[32];

		sig[strlen(sig) - 1] = '\0';
		dcr_sha256(result_csv, strlen(result_csv), h);
		assert_int_equal(dcr_receipt_check((const char *)out.data,
		                                   (size_t)(sig - (char *)out.data),
		                                   sig + strlen("signature: "), &room_pk,
		                                   contract->hash, h, &msg), DCR_OK);
	}
	dcr_buf_free(&out);
	dcr_query_answer_free(&a);
	json_decref(j);
}

static void test_answer_unreadable_result(void **state)
{
	struct dcr_query_answer a = {0};
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	struct dcr_csv_column col = {.name = "n", .type = DCR_TYPE_INT};

	(void)state;
	dcr_buf_init(&a.csv, 1 << 10);
	assert_int_equal(dcr_buf_append(&a.csv, "n\nabc\n", 6), DCR_OK);
	a.columns = &col;
	a.column_count = 1;
	dcr_buf_init(&out, 1 << 10);
	assert_int_equal(dcr_query_answer_format(&a, DCR_FORMAT_JSON, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "use --format csv");
	dcr_buf_free(&out);
	dcr_buf_free(&a.csv);
}

/* ---- audit chains --------------------------------------------------------------- */

static json_t *audit_log(const struct dcr_contract *c, int tamper)
{
	json_t *entries = json_array();
	uint8_t prev[32] = {0};
	char hex[65], ch[65];

	dcr_contract_hash_hex(c, ch);
	for (int i = 1; i <= 3; i++) {
		char text[512], sig[DCR_SIGNATURE_B64_SIZE];

		dcr_hex_encode(hex, prev, 32);
		if (i == 1)
			snprintf(text, sizeof(text),
			         "{\"seq\":1,\"time\":\"2026-01-01T00:00:00Z\",\"action\":\"start\","
			         "\"contract\":\"%s\",\"prev\":\"%s\"}", ch, hex);
		else
			snprintf(text, sizeof(text),
			         "{\"seq\":%d,\"time\":\"2026-01-01T00:00:0%dZ\",\"party\":\"news\","
			         "\"action\":\"upload\",\"dataset\":\"impressions\",\"rows\":%d,"
			         "\"prev\":\"%s\"}", i, i, i * 10, hex);
		dcr_audit_sign(room, text, strlen(text), sig);
		dcr_sha256(text, strlen(text), prev);
		if (tamper == i)
			text[strlen(text) - 3] ^= 1;
		json_array_append_new(entries, json_pack("{s:s,s:s}", "text", text, "signature", sig));
	}
	if (tamper == 9)
		json_array_remove(entries, 1);
	return json_pack("{s:o}", "entries", entries);
}

static void test_audit_chain(void **state)
{
	struct dcr_room r = attested();
	struct dcr_audit_log log;
	struct dcr_msg msg = {{0}};
	json_t *j;

	(void)state;
	j = audit_log(contract, 0);
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_OK);
	assert_int_equal(log.count, 3);
	assert_non_null(strstr(log.entries[2].text, "\"rows\":30"));
	dcr_audit_log_free(&log);
	json_decref(j);

	j = audit_log(contract, 2);
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "audit entry 2");
	dcr_audit_log_free(&log);
	json_decref(j);

	j = audit_log(contract, 9); /* entry 2 left out */
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "audit entry 2");
	dcr_audit_log_free(&log);
	json_decref(j);

	j = audit_log(other, 0); /* a log of another contract's room */
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "audit entry 1: not the start of a clean room for this contract");
	dcr_audit_log_free(&log);
	json_decref(j);

	r.key = (struct dcr_pubkey){0};
	dcr_seckey_public(other_room, &r.key);
	j = audit_log(contract, 0);
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "audit entry 1: the signature is not the clean room's");
	dcr_audit_log_free(&log);
	json_decref(j);

	r = attested();
	j = json_pack("{s:[]}", "entries");
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "the log is empty");
	json_decref(j);
	j = json_pack("{s:[{s:s}]}", "entries", "text", "{}");
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "audit entry 1: lacks \"signature\"");
	dcr_audit_log_free(&log);
	json_decref(j);
	j = json_object();
	assert_int_equal(client_audit_parse(contract, &r, j, &log, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "lacks \"entries\"");
	json_decref(j);
}

/* ---- the room's errors ---------------------------------------------------------- */

static void expect_status(long status, bool sql, enum dcr_err want, const char *needle)
{
	struct client_answer ans = {.status = status};
	struct dcr_msg msg = {{0}};
	const char *body = "{\"error\": \"rule k:\\u001b[31m too few\\nids\"}";

	dcr_buf_init(&ans.body, 1 << 10);
	assert_int_equal(dcr_buf_append(&ans.body, body, strlen(body)), DCR_OK);
	assert_int_equal(client_answer_error(&ans, "query", sql, &msg), want);
	tu_assert_msg(&msg, needle);
	/* the room's text reaches a terminal without its control characters */
	assert_null(strchr(msg.text, '\033'));
	assert_null(strchr(msg.text, '\n'));
	tu_assert_msg(&msg, "rule k: [31m too few ids");
	dcr_buf_free(&ans.body);
}

static void test_answer_errors(void **state)
{
	struct client_answer ans = {.status = 502};
	struct dcr_msg msg = {{0}};

	(void)state;
	expect_status(400, true, DCR_ERR_SQL, "query refused by the clean room (HTTP 400)");
	expect_status(400, false, DCR_ERR_INVALID, "(HTTP 400)");
	expect_status(401, false, DCR_ERR_VERIFY, "did not accept this party's signature");
	expect_status(403, false, DCR_ERR_REFUSED, "(HTTP 403)");
	expect_status(422, true, DCR_ERR_REFUSED, "query refused by the clean room (HTTP 422)");
	expect_status(404, false, DCR_ERR_NOT_FOUND, "(HTTP 404)");
	expect_status(413, false, DCR_ERR_TOO_BIG, "(HTTP 413)");
	expect_status(503, false, DCR_ERR_IO, "query failed in the clean room (HTTP 503)");
	/* not JSON at all */
	dcr_buf_init(&ans.body, 1 << 10);
	assert_int_equal(dcr_buf_append(&ans.body, "<html>", 6), DCR_OK);
	assert_int_equal(client_answer_error(&ans, "audit", false, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "audit failed in the clean room (HTTP 502): (no message)");
	dcr_buf_free(&ans.body);
}

/* ---- the VCEK from AMD KDS (a local stand-in), and the cache ------------------ */

static bool read_testdata(const char *name, struct dcr_buf *out)
{
	const char *td = getenv("DCR_TESTDATA");
	struct dcr_msg msg = {{0}};

	dcr_buf_init(out, 1u << 20);
	return td && dcr_file_read(tu_path(td, name), 1u << 20, out, &msg) == DCR_OK;
}

/* python3 -m http.server on a free loopback port, serving dir. */
static pid_t serve_dir(const char *root, int *out_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;
	char port_text[16];
	pid_t pid;

	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(s);
	snprintf(port_text, sizeof(port_text), "%d", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
		       "--directory", root, port_text, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(c, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(c);
		if (ok)
			break;
		usleep(25000);
	}
	*out_port = port;
	return pid;
}

static void test_vcek_fetch(void **state)
{
	struct dcr_buf report, vcek, got;
	char *tmp = tu_tmpdir(), path[4400], url[64], hwid[129];
	struct dcr_msg msg = {{0}};
	int port, status;
	pid_t pid;

	(void)state;
	assert_true(read_testdata("snp_report_milan.bin", &report));
	assert_true(read_testdata("snp_vcek_milan.der", &vcek));
	/* the KDS layout: /vcek/v1/<product>/<hwid hex> */
	dcr_hex_encode(hwid, report.data + 0x1A0, 64);
	snprintf(path, sizeof(path), "%s/kds/vcek/v1/Milan", tmp);
	{
		char cmd[4500];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(path, sizeof(path), "%s/kds/vcek/v1/Milan/%s", tmp, hwid);
	tu_write(path, vcek.data, vcek.size);
	snprintf(path, sizeof(path), "%s/kds", tmp);
	pid = serve_dir(path, &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("DCR_KDS_URL", url, 1);
	snprintf(path, sizeof(path), "%s/cache", tmp);
	setenv("XDG_CACHE_HOME", path, 1);

	dcr_buf_init(&got, 64u * 1024);
	assert_int_equal(client_vcek_fetch(report.data, report.size, &got, &msg), DCR_OK);
	assert_int_equal(got.size, vcek.size);
	assert_memory_equal(got.data, vcek.data, vcek.size);
	/* another chip: KDS has nothing for it */
	report.data[0x1A0] ^= 1;
	dcr_buf_reset(&got);
	assert_int_equal(client_vcek_fetch(report.data, report.size, &got, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "AMD KDS has no VCEK for this chip and TCB (HTTP 404");
	report.data[0x1A0] ^= 1;
	/* an Azure container without a VCEK: the client asks KDS for the VCEK of
	 * the SNP report inside its HCL report (a chip this stand-in does not
	 * know: the 404 shows the question was asked) */
	{
		struct dcr_buf hcl, c;
		struct dcr_pubkey pk;
		struct dcr_room r;
		char line[DCR_PUBKEY_LINE_SIZE], hexh[65], *b64, *json;
		uint8_t len[4];
		json_t *j;

		assert_true(read_testdata("azure_hcl_report_snp.bin", &hcl));
		dcr_buf_init(&c, 1u << 20);
		assert_int_equal(dcr_buf_append(&c, "DCRVTPM1", 8), DCR_OK);
		for (int sec = 0; sec < 5; sec++) {
			size_t n = sec == 0 ? hcl.size : 0;

			for (int b = 0; b < 4; b++)
				len[b] = (uint8_t)(n >> (8 * b));
			assert_int_equal(dcr_buf_append(&c, len, 4), DCR_OK);
			if (n)
				assert_int_equal(dcr_buf_append(&c, hcl.data, n), DCR_OK);
		}
		b64 = malloc(DCR_B64_SIZE(c.size));
		assert_non_null(b64);
		dcr_b64_encode(b64, c.data, c.size);
		dcr_seckey_public(room, &pk);
		dcr_pubkey_format(&pk, line);
		dcr_contract_hash_hex(contract, hexh);
		j = json_pack("{s:s,s:s,s:s,s:s}", "tee", "azure-vtpm", "evidence", b64, "public_key",
		              line, "contract_hash", hexh);
		json = json_dumps(j, JSON_COMPACT);
		assert_int_equal(client_attestation_check(contract, json, strlen(json), NULL, true, &r,
		                                          &msg), DCR_ERR_NOT_FOUND);
		tu_assert_msg(&msg, "AMD KDS has no VCEK for this chip");
		/* with fetching off no question is asked: refused as it is */
		assert_int_equal(client_attestation_check(contract, json, strlen(json), NULL, false, &r,
		                                          &msg), DCR_ERR_VERIFY);
		free(json);
		json_decref(j);
		free(b64);
		dcr_buf_free(&c);
		dcr_buf_free(&hcl);
	}
	/* the cache answers once the service is gone */
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	dcr_buf_reset(&got);
	assert_int_equal(client_vcek_fetch(report.data, report.size, &got, &msg), DCR_OK);
	assert_memory_equal(got.data, vcek.data, vcek.size);
	/* no cache, no service: a network error */
	snprintf(path, sizeof(path), "%s/cache2", tmp);
	setenv("XDG_CACHE_HOME", path, 1);
	dcr_buf_reset(&got);
	assert_int_equal(client_vcek_fetch(report.data, report.size, &got, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "cannot fetch the VCEK from http://127.0.0.1:");
	unsetenv("DCR_KDS_URL");
	unsetenv("XDG_CACHE_HOME");
	dcr_buf_free(&got);
	dcr_buf_free(&report);
	dcr_buf_free(&vcek);
	tu_rmdir(tmp);
}

/* A stand-in for Intel PCS serving the sample collateral's pieces as PCS
 * v4 does: signed JSON with the issuer chain in a URL-encoded header, the
 * PCK CRL as DER. */
static const char pcs_py[] =
	"import json, sys, urllib.parse, http.server\n"
	"c = json.load(open(sys.argv[1]))\n"
	"q = urllib.parse.quote\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    def log_message(self, *a): pass\n"
	"    def do_GET(self):\n"
	"        u = urllib.parse.urlparse(self.path); a = urllib.parse.parse_qs(u.query)\n"
	"        h = None\n"
	"        if u.path == '/sgx/certification/v4/tcb' and a.get('fmspc') == ['00a067110000']:\n"
	"            b = ('{\"tcbInfo\":' + c['tcb_info'] + ',\"signature\":\"' + c['tcb_info_signature'] + '\"}').encode()\n"
	"            h = ('TCB-Info-Issuer-Chain', q(c['tcb_info_issuer_chain']))\n"
	"        elif u.path == '/sgx/certification/v4/qe/identity':\n"
	"            b = ('{\"enclaveIdentity\":' + c['qe_identity'] + ',\"signature\":\"' + c['qe_identity_signature'] + '\"}').encode()\n"
	"            h = ('SGX-Enclave-Identity-Issuer-Chain', q(c['qe_identity_issuer_chain']))\n"
	"        elif u.path == '/sgx/certification/v4/pckcrl' and a.get('ca') == ['processor']:\n"
	"            b = bytes.fromhex(c['pck_crl']); h = ('SGX-PCK-CRL-Issuer-Chain', q(c['pck_crl_issuer_chain']))\n"
	"        elif u.path == '/root.der':\n"
	"            b = bytes.fromhex(c['root_ca_crl'])\n"
	"        else:\n"
	"            self.send_response(404); self.end_headers(); return\n"
	"        self.send_response(200)\n"
	"        if h: self.send_header(*h)\n"
	"        self.send_header('Content-Length', str(len(b))); self.end_headers(); self.wfile.write(b)\n"
	"http.server.HTTPServer(('127.0.0.1', int(sys.argv[2])), H).serve_forever()\n";

static void test_collateral_fetch(void **state)
{
	struct dcr_buf quote, coll, got;
	char *tmp = tu_tmpdir(), script[4400], url[128], port_text[16], sample[4400];
	struct dcr_attest_verify_opts o = {.at = 1751328000}; /* 2025-07-01 */
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int sock, port, status;
	json_t *want, *have;
	pid_t pid;

	(void)state;
	assert_true(read_testdata("sgx_quote_v3_dcapqvl.dat", &quote));
	assert_true(read_testdata("sgx_quote_v3_dcapqvl.collateral.json", &coll));
	snprintf(script, sizeof(script), "%s/pcs.py", tmp);
	tu_write(script, pcs_py, strlen(pcs_py));
	snprintf(sample, sizeof(sample), "%s/%s", getenv("DCR_TESTDATA"),
	         "sgx_quote_v3_dcapqvl.collateral.json");
	sock = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(sock, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(sock);
	snprintf(port_text, sizeof(port_text), "%d", port);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("python3", "python3", script, sample, port_text, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		int ok = connect(c, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(c);
		if (ok)
			break;
		usleep(25000);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	setenv("DCR_PCS_URL", url, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/root.der", port);
	setenv("DCR_INTEL_ROOT_CRL_URL", url, 1);
	snprintf(script, sizeof(script), "%s/cache", tmp);
	setenv("XDG_CACHE_HOME", script, 1);

	dcr_buf_init(&got, 4u << 20);
	assert_int_equal(client_collateral_fetch(DCR_TEE_SGX, "00a067110000", "processor", &got, &msg),
	                 DCR_OK);
	/* the same pieces as the sample file, the signed texts byte for byte */
	want = json_loadb((const char *)coll.data, coll.size, 0, NULL);
	have = json_loadb((const char *)got.data, got.size, 0, NULL);
	assert_non_null(have);
	assert_true(json_equal(want, have));
	json_decref(want);
	json_decref(have);
	/* and the verifier takes it: the sample's TCB status */
	o.collateral = got.data;
	o.collateral_size = got.size;
	assert_int_equal(dcr_attest_find(DCR_TEE_SGX)->verify(quote.data, quote.size, &o, &claims,
	                                                      &msg), DCR_OK);
	assert_string_equal(claims.tcb_status, "ConfigurationAndSWHardeningNeeded");
	/* an FMSPC PCS does not know */
	assert_int_equal(client_collateral_fetch(DCR_TEE_SGX, "00a067110001", "processor", &got, &msg),
	                 DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "HTTP 404");
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	unsetenv("DCR_PCS_URL");
	unsetenv("DCR_INTEL_ROOT_CRL_URL");
	unsetenv("XDG_CACHE_HOME");
	dcr_buf_free(&got);
	dcr_buf_free(&quote);
	dcr_buf_free(&coll);
	tu_rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_new),
		cmocka_unit_test(test_signed_headers_verify),
		cmocka_unit_test(test_attestation),
		cmocka_unit_test(test_receipt_paths),
		cmocka_unit_test(test_answer_missing_fields),
		cmocka_unit_test(test_answer_formats_and_receipt),
		cmocka_unit_test(test_answer_unreadable_result),
		cmocka_unit_test(test_audit_chain),
		cmocka_unit_test(test_answer_errors),
		cmocka_unit_test(test_vcek_fetch),
		cmocka_unit_test(test_collateral_fetch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
