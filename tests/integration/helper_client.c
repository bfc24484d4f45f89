/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: a raw client for `dcr serve` that signs and sends arbitrary
 * requests (optionally tampered with) and checks receipts and audit logs.
 *
 *   helper_client request URL METHOD PATH [options]   prints the HTTP status
 *     --key FILE --party NAME   sign as this party (NAME may be any string)
 *     --room FILE               the room's public key line: --body is sealed to it
 *     --body FILE | --raw FILE  plaintext to seal, or bytes to send as they are
 *     --nonce HEX --timestamp N fixed values (replays, stale requests)
 *     --bad-signature           flip a bit of the signature
 *     --flip N | --flip-after N flip body byte N before / after signing
 *     --chunked                 chunked body, signature in an HTTP trailer
 *     --out FILE                the answer's body, opened when it is an envelope
 *     --raw-out FILE            the answer's body as it came
 *     --slow MS                 pause MS milliseconds between 50 kB pieces of the body
 *   helper_client receipt CONTRACT ROOMPUB ANSWER     checks a query answer's receipt
 *   helper_client audit CONTRACT ROOMPUB EXPORT       checks an audit log, prints entries
 *   helper_client report-data CONTRACT ROOMPUB        the report data evidence must bind
 *   helper_client sign CONTRACT KEY...                signs even an expired contract
 *   helper_client get FILE PATH...     JSON values on one line: PATH is keys and indexes
 *                                      joined by '.', "len" for a length; strings raw
 *   helper_client sql FILE SQL         writes {"sql": SQL}, a query's plaintext
 *   helper_client gen impressions|purchases FILE ROWS   test CSV with hashed ids
 *   helper_client b64 FILE KEY OUT     decodes the base64 string FILE.KEY into OUT
 *   helper_client flip FILE OFFSET     flips the low bit of a byte (OFFSET "mid": the middle)
 * (the last four spare the tests a python start-up per call)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/proto.h"

static int die(const char *what, const struct dcr_msg *msg)
{
	fprintf(stderr, "helper_client: %s%s%s\n", what, msg && msg->text[0] ? ": " : "",
	        msg ? msg->text : "");
	return 1;
}

static int load_pub(const char *path, struct dcr_pubkey *pk)
{
	struct dcr_msg msg = {{0}};

	if (dcr_pubkey_load(path, pk, &msg))
		return die("room public key", &msg);
	return 0;
}

static int load_contract(const char *path, struct dcr_contract **c)
{
	struct dcr_msg msg = {{0}};

	if (dcr_contract_load(path, (int64_t)time(NULL), DCR_CONTRACT_ALLOW_EXPIRED, c, &msg))
		return die("contract", &msg);
	return 0;
}

/* ---- request ------------------------------------------------------------ */

struct upload {
	const uint8_t *data;
	size_t size, at;
	const char *signature; /* for the trailer */
	long slow_ms;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t want = size * n, left = u->size - u->at;

	/* small pieces, so the server sees the body stream in */
	if (want > 50000)
		want = 50000;
	if (want > left)
		want = left;
	if (u->slow_ms && u->at) {
		struct timespec ts = {u->slow_ms / 1000, (u->slow_ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	memcpy(buf, u->data + u->at, want);
	u->at += want;
	return want;
}

static int trailer_cb(struct curl_slist **list, void *ctx)
{
	struct upload *u = ctx;
	char line[200];

	snprintf(line, sizeof(line), "%s: %s", DCR_HEADER_SIGNATURE, u->signature);
	*list = curl_slist_append(*list, line);
	return CURL_TRAILERFUNC_OK;
}

static size_t write_cb(char *data, size_t size, size_t n, void *ctx)
{
	return dcr_buf_append(ctx, data, size * n) ? 0 : size * n;
}

static size_t header_cb(char *data, size_t size, size_t n, void *ctx)
{
	bool *env = ctx;

	if (!strncasecmp(data, "Content-Type:", 13) && strstr(data, DCR_ENVELOPE_MEDIA_TYPE))
		*env = true;
	return size * n;
}

static int request(int argc, char **argv)
{
	const char *url, *method, *path, *key_path = NULL, *party = NULL, *room_path = NULL;
	const char *body_path = NULL, *raw_path = NULL, *nonce_arg = NULL, *out_path = NULL;
	const char *raw_out = NULL;
	long flip = -1, flip_after = -1, slow_ms = 0;
	int64_t ts = (int64_t)time(NULL);
	bool bad_sig = false, chunked = false, is_env = false;
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey room;
	struct dcr_buf body, answer, plain;
	struct dcr_msg msg = {{0}};
	char nonce[DCR_NONCE_HEX_SIZE], sig[DCR_SIGNATURE_B64_SIZE], full[4096], h[256];
	uint8_t hash[32];
	struct curl_slist *hdrs = NULL;
	struct upload up = {0};
	long status = 0;
	CURL *curl;
	int rc = 1;

	if (argc < 5)
		return die("request URL METHOD PATH [options]", NULL);
	url = argv[2];
	method = argv[3];
	path = argv[4];
	for (int i = 5; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--bad-signature"))
			bad_sig = true;
		else if (!strcmp(a, "--chunked"))
			chunked = true;
		else if (!v)
			return die(a, NULL);
		else if (!strcmp(a, "--key"))
			key_path = v, i++;
		else if (!strcmp(a, "--party"))
			party = v, i++;
		else if (!strcmp(a, "--room"))
			room_path = v, i++;
		else if (!strcmp(a, "--body"))
			body_path = v, i++;
		else if (!strcmp(a, "--raw"))
			raw_path = v, i++;
		else if (!strcmp(a, "--nonce"))
			nonce_arg = v, i++;
		else if (!strcmp(a, "--timestamp"))
			ts = strtoll(v, NULL, 10), i++;
		else if (!strcmp(a, "--flip"))
			flip = strtol(v, NULL, 10), i++;
		else if (!strcmp(a, "--flip-after"))
			flip_after = strtol(v, NULL, 10), i++;
		else if (!strcmp(a, "--out"))
			out_path = v, i++;
		else if (!strcmp(a, "--raw-out"))
			raw_out = v, i++;
		else if (!strcmp(a, "--slow"))
			slow_ms = strtol(v, NULL, 10), i++;
		else
			return die(a, NULL);
	}
	dcr_buf_init(&body, SIZE_MAX);
	dcr_buf_init(&answer, SIZE_MAX);
	dcr_buf_init(&plain, 0);
	if (key_path && dcr_seckey_load(key_path, &key, &msg))
		return die("key", &msg);
	if (body_path) {
		struct dcr_buf p;

		if (!room_path || load_pub(room_path, &room))
			return die("--body needs --room", NULL);
		if (dcr_file_read(body_path, SIZE_MAX, &p, &msg))
			return die("body", &msg);
		if (dcr_envelope_seal(&room, p.data, p.size, SIZE_MAX, &body))
			return die("seal", NULL);
		dcr_buf_free(&p);
	} else if (raw_path && dcr_file_read(raw_path, SIZE_MAX, &body, &msg)) {
		return die("raw body", &msg);
	}
	if (flip >= 0 && (size_t)flip < body.size)
		body.data[flip] ^= 0x01;

	curl = curl_easy_init();
	snprintf(full, sizeof(full), "%s%s", url, path);
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (party) {
		if (nonce_arg)
			snprintf(nonce, sizeof(nonce), "%s", nonce_arg);
		else
			dcr_proto_nonce(nonce);
		dcr_sha256(body.data ? body.data : (const uint8_t *)"", body.size, hash);
		if (!key || dcr_proto_sign_request(key, method, path, ts, nonce, hash, sig))
			return die("signing needs --key", NULL);
		if (bad_sig)
			sig[10] = sig[10] == 'A' ? 'B' : 'A';
		snprintf(h, sizeof(h), "%s: %s", DCR_HEADER_PARTY, party);
		hdrs = curl_slist_append(hdrs, h);
		snprintf(h, sizeof(h), "%s: %" PRId64, DCR_HEADER_TIMESTAMP, ts);
		hdrs = curl_slist_append(hdrs, h);
		snprintf(h, sizeof(h), "%s: %s", DCR_HEADER_NONCE, nonce);
		hdrs = curl_slist_append(hdrs, h);
		if (!chunked) {
			snprintf(h, sizeof(h), "%s: %s", DCR_HEADER_SIGNATURE, sig);
			hdrs = curl_slist_append(hdrs, h);
		}
	}
	if (flip_after >= 0 && (size_t)flip_after < body.size)
		body.data[flip_after] ^= 0x01;
	if (body.size || chunked || !strcmp(method, "PUT") || !strcmp(method, "POST")) {
		up.data = body.data;
		up.size = body.size;
		up.signature = sig;
		up.slow_ms = slow_ms;
		curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(curl, CURLOPT_READDATA, &up);
		hdrs = curl_slist_append(hdrs, "Content-Type: " DCR_ENVELOPE_MEDIA_TYPE);
		if (chunked) {
			hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
			hdrs = curl_slist_append(hdrs, "Trailer: " DCR_HEADER_SIGNATURE);
			curl_easy_setopt(curl, CURLOPT_TRAILERFUNCTION, trailer_cb);
			curl_easy_setopt(curl, CURLOPT_TRAILERDATA, &up);
		} else {
			curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body.size);
		}
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &is_env);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(curl) != CURLE_OK) {
		fprintf(stderr, "helper_client: no answer from %s\n", full);
		printf("000\n");
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	printf("%ld\n", status);
	rc = 0;
	if (raw_out && dcr_file_write_atomic(raw_out, answer.data ? (const void *)answer.data : "",
	                                     answer.size, 0644, DCR_WRITE_REPLACE, &msg))
		rc = die("--raw-out", &msg);
	if (is_env) {
		if (!key || dcr_envelope_open(key, answer.data, answer.size, SIZE_MAX, &plain, &msg)) {
			rc = die("cannot open the sealed answer", &msg);
			goto out;
		}
	}
	if (out_path) {
		const struct dcr_buf *w = is_env ? &plain : &answer;

		if (dcr_file_write_atomic(out_path, w->data ? (const void *)w->data : "", w->size,
		                          0644, DCR_WRITE_REPLACE, &msg))
			rc = die("--out", &msg);
	}
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	dcr_seckey_free(key);
	dcr_buf_free(&body);
	dcr_buf_free(&answer);
	dcr_buf_free(&plain);
	return rc;
}

/* ---- checks ------------------------------------------------------------- */

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);

	if (!o)
		fprintf(stderr, "helper_client: %s: %s\n", path, je.text);
	return o;
}

static int receipt(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_pubkey room;
	struct dcr_msg msg = {{0}};
	const char *text, *sig, *csv;
	uint8_t result_hash[32];
	json_t *o;
	int rc = 3;

	if (argc != 5 || load_contract(argv[2], &c) || load_pub(argv[3], &room))
		return 1;
	o = load_json(argv[4]);
	text = json_string_value(json_object_get(o, "receipt"));
	sig = json_string_value(json_object_get(o, "signature"));
	csv = json_string_value(json_object_get(o, "csv"));
	if (!text || !sig || !csv) {
		fprintf(stderr, "helper_client: the answer lacks receipt, signature or csv\n");
		goto out;
	}
	dcr_sha256(csv, strlen(csv), result_hash);
	if (dcr_receipt_check(text, strlen(text), sig, &room, c->hash, result_hash, &msg)) {
		fprintf(stderr, "helper_client: receipt: %s\n", msg.text);
		goto out;
	}
	fputs(text, stdout);
	printf("receipt verified\n");
	rc = 0;
out:
	json_decref(o);
	dcr_contract_free(c);
	return rc;
}

static int audit(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_pubkey room;
	struct dcr_msg msg = {{0}};
	json_t *o, *entries;
	const char **texts, **sigs;
	size_t *lens, n;
	int rc = 3;

	if (argc != 5 || load_contract(argv[2], &c) || load_pub(argv[3], &room))
		return 1;
	o = load_json(argv[4]);
	entries = json_object_get(o, "entries");
	n = json_array_size(entries);
	texts = calloc(n + 1, sizeof(*texts));
	sigs = calloc(n + 1, sizeof(*sigs));
	lens = calloc(n + 1, sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);

		texts[i] = json_string_value(json_object_get(e, "text"));
		sigs[i] = json_string_value(json_object_get(e, "signature"));
		lens[i] = texts[i] ? strlen(texts[i]) : 0;
		if (!texts[i] || !sigs[i]) {
			fprintf(stderr, "helper_client: entry %zu lacks text or signature\n", i + 1);
			goto out;
		}
	}
	if (!n || dcr_audit_verify_chain(texts, lens, sigs, n, &room, c->hash, &msg)) {
		fprintf(stderr, "helper_client: audit: %s\n", n ? msg.text : "no entries");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", texts[i]);
	printf("audit verified: %zu entries\n", n);
	rc = 0;
out:
	free(texts);
	free(sigs);
	free(lens);
	json_decref(o);
	dcr_contract_free(c);
	return rc;
}

static int report_data(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_pubkey room;
	uint8_t rd[DCR_REPORT_DATA_SIZE];
	char hex[2 * DCR_REPORT_DATA_SIZE + 1];

	if (argc != 4 || load_contract(argv[2], &c) || load_pub(argv[3], &room))
		return 1;
	dcr_attest_report_data(c->hash, &room, rd);
	dcr_hex_encode(hex, rd, sizeof(rd));
	printf("%s\n", hex);
	dcr_contract_free(c);
	return 0;
}

static int sign(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	int rc = 1;

	if (argc < 4 || load_contract(argv[2], &c))
		return 1;
	for (int i = 3; i < argc; i++) {
		struct dcr_seckey *k = NULL;
		enum dcr_err err = dcr_seckey_load(argv[i], &k, &msg);

		if (!err)
			err = dcr_contract_sign(c, k, NULL, &msg);
		dcr_seckey_free(k);
		if (err) {
			dcr_contract_free(c);
			return die(argv[i], &msg);
		}
	}
	if (dcr_contract_serialize(c, &out) ||
	    dcr_file_write_atomic(argv[2], out.data, out.size, 0644, DCR_WRITE_REPLACE, &msg))
		die("write", &msg);
	else
		rc = 0;
	dcr_buf_free(&out);
	dcr_contract_free(c);
	return rc;
}

/* One value of o at path ("a.0.b", "len" for a length) printed; false when
 * there is none. */
static bool print_path(json_t *o, const char *path_arg)
{
	char *path = strdup(path_arg), *save = NULL, *tok;
	json_t *v = o;
	bool ok = true;

	for (tok = strtok_r(path, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
		if (!strcmp(tok, "len")) {
			printf("%zu", json_is_array(v) ? json_array_size(v) : json_object_size(v));
			goto out;
		}
		v = json_is_array(v) ? json_array_get(v, strtoul(tok, NULL, 10))
		                     : json_object_get(v, tok);
	}
	if (!v) {
		ok = false;
	} else if (json_is_string(v)) {
		fwrite(json_string_value(v), 1, json_string_length(v), stdout);
	} else {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		fputs(t, stdout);
		free(t);
	}
out:
	free(path);
	return ok;
}

/* get FILE PATH...: the values, separated by spaces, on one line */
static int get(int argc, char **argv)
{
	json_t *o;
	int rc = 0;

	if (argc < 4 || !(o = load_json(argv[2])))
		return 1;
	for (int i = 3; i < argc; i++) {
		if (i > 3)
			putchar(' ');
		if (!print_path(o, argv[i])) {
			fprintf(stderr, "helper_client: %s has no %s\n", argv[2], argv[i]);
			rc = 1;
		}
	}
	putchar('\n');
	json_decref(o);
	return rc;
}

static int sql(int argc, char **argv)
{
	json_t *o;
	int rc;

	if (argc != 4)
		return 1;
	o = json_pack("{s:s}", "sql", argv[3]);
	rc = json_dump_file(o, argv[2], JSON_COMPACT) ? 1 : 0;
	json_decref(o);
	return rc;
}

static void hex_id(unsigned long person, char out[65])
{
	char email[64];
	uint8_t h[32];

	snprintf(email, sizeof(email), "person%lu@example.com", person);
	dcr_sha256(email, strlen(email), h);
	dcr_hex_encode(out, h, 32);
}

/* impressions: person i in region i%4, views i%7; purchases: person 2i buys
 * books or games (i%2) for i.5 */
static int gen(int argc, char **argv)
{
	static const char *const regions[] = {"north", "south", "east", "west"};
	static const char *const categories[] = {"books", "games"};
	unsigned long rows;
	char id[65];
	FILE *f;

	if (argc != 5 || !(f = fopen(argv[3], "w")))
		return 1;
	rows = strtoul(argv[4], NULL, 10);
	if (!strcmp(argv[2], "impressions")) {
		fputs("email,region,views\n", f);
		for (unsigned long i = 1; i <= rows; i++) {
			hex_id(i, id);
			fprintf(f, "%s,%s,%lu\n", id, regions[i % 4], i % 7);
		}
	} else {
		fputs("email,category,amount\n", f);
		for (unsigned long i = 1; i <= rows; i++) {
			hex_id(2 * i, id);
			fprintf(f, "%s,%s,%lu.5\n", id, categories[i % 2], i);
		}
	}
	return fclose(f) ? 1 : 0;
}

static int b64(int argc, char **argv)
{
	json_t *o;
	const char *v;
	uint8_t *out;
	size_t n = 0;
	struct dcr_msg msg = {{0}};
	int rc = 1;

	if (argc != 5 || !(o = load_json(argv[2])))
		return 1;
	v = json_string_value(json_object_get(o, argv[3]));
	out = malloc(v ? strlen(v) + 1 : 1);
	if (v && !dcr_b64_decode(out, strlen(v), v, strlen(v), &n) &&
	    !dcr_file_write_atomic(argv[4], out, n, 0644, DCR_WRITE_REPLACE, &msg))
		rc = 0;
	free(out);
	json_decref(o);
	return rc;
}

static int flip(int argc, char **argv)
{
	FILE *f;
	long size, at;
	int c;

	if (argc != 4 || !(f = fopen(argv[2], "r+b")))
		return 1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	at = !strcmp(argv[3], "mid") ? size / 2 : strtol(argv[3], NULL, 10);
	if (at < 0 || at >= size || fseek(f, at, SEEK_SET) || (c = fgetc(f)) == EOF ||
	    fseek(f, at, SEEK_SET) || fputc(c ^ 1, f) == EOF) {
		fclose(f);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || dcr_crypto_init())
		return die("usage: helper_client request|receipt|audit|report-data ...", NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(argv[1], "request"))
		rc = request(argc, argv);
	else if (!strcmp(argv[1], "receipt"))
		rc = receipt(argc, argv);
	else if (!strcmp(argv[1], "audit"))
		rc = audit(argc, argv);
	else if (!strcmp(argv[1], "report-data"))
		rc = report_data(argc, argv);
	else if (!strcmp(argv[1], "sign"))
		rc = sign(argc, argv);
	else if (!strcmp(argv[1], "get"))
		rc = get(argc, argv);
	else if (!strcmp(argv[1], "sql"))
		rc = sql(argc, argv);
	else if (!strcmp(argv[1], "gen"))
		rc = gen(argc, argv);
	else if (!strcmp(argv[1], "b64"))
		rc = b64(argc, argv);
	else if (!strcmp(argv[1], "flip"))
		rc = flip(argc, argv);
	else
		rc = die("unknown subcommand", NULL);
	curl_global_cleanup();
	return rc;
}
