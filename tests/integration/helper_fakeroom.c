/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: a small fake clean room (libmicrohttpd) that speaks the
 * client's side of docs/API.md — sim evidence, signed requests (streamed
 * uploads signed by a trailer), envelopes, receipts, an audit chain — with
 * switches that make it lie, so the client's checks can be seen to bite.
 * usage: helper_fakeroom --contract F --dir DIR --port-file F [options] */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/proto.h"

#define MAX_ENTRIES 256
#define BODY_MAX (1u << 20)

static struct {
	struct dcr_contract *c;
	struct dcr_seckey *room;
	struct dcr_pubkey room_pk;
	const char *dir;
	char attestation[(4u << 20)];
	const char *tamper;              /* receipt, receipt-sig, audit, answer-key */
	char *texts[MAX_ENTRIES];
	char sigs[MAX_ENTRIES][DCR_SIGNATURE_B64_SIZE];
	size_t count;
	uint8_t prev[32];
	unsigned queries;
	struct {
		char name[128];
		uint8_t hash[32];
		uint64_t rows;
	} stored[16];
	size_t stored_count;
} room;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Appends an audit entry: obj gets seq, time and prev, then is signed. */
static uint64_t audit_add(json_t *obj)
{
	char hex[65], when[21];
	char *text;

	if (room.count == MAX_ENTRIES)
		abort();
	dcr_hex_encode(hex, room.prev, 32);
	dcr_time_format((int64_t)time(NULL), when);
	json_object_set_new(obj, "seq", json_integer((json_int_t)room.count + 1));
	json_object_set_new(obj, "time", json_string(when));
	json_object_set_new(obj, "prev", json_string(hex));
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	dcr_audit_sign(room.room, text, strlen(text), room.sigs[room.count]);
	dcr_sha256(text, strlen(text), room.prev);
	room.texts[room.count++] = text;
	return room.count;
}

struct request {
	bool put;
	char path[256];
	const struct dcr_party *party;
	const char *error;               /* an error found while the body came */
	unsigned status;
	struct dcr_sha256_ctx body_hash;
	struct dcr_buf body;             /* POST bodies */
	struct dcr_envelope_reader *reader;
	struct dcr_sha256_ctx plain_hash;
	FILE *plain;                     /* PUT: the decrypted CSV, to a file */
	char plain_path[4200];
	uint64_t newlines, plain_bytes;    /* records: line ends outside quotes */
	bool in_quotes;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const void *data,
                             size_t size, const char *type)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(size, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
                                   const char *text)
{
	json_t *j = json_pack("{s:s}", "error", text);
	char *s = json_dumps(j, JSON_COMPACT);
	enum MHD_Result ret = reply(conn, status, s, strlen(s), "application/json");

	free(s);
	json_decref(j);
	return ret;
}

/* Seals obj to the party (or, with --tamper answer-key, to the room). */
static enum MHD_Result reply_sealed(struct MHD_Connection *conn, const struct dcr_party *p,
                                    json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	struct dcr_buf env;
	enum MHD_Result ret;
	const struct dcr_pubkey *to = &p->key;

	if (room.tamper && !strcmp(room.tamper, "answer-key"))
		to = &room.room_pk;
	if (dcr_envelope_seal(to, s, strlen(s), 1u << 30, &env))
		abort();
	ret = reply(conn, 200, env.data, env.size, DCR_ENVELOPE_MEDIA_TYPE);
	dcr_buf_free(&env);
	free(s);
	json_decref(obj);
	return ret;
}

static enum dcr_err plain_sink(void *ctx, const uint8_t *data, size_t size)
{
	struct request *rq = ctx;

	dcr_sha256_update(&rq->plain_hash, data, size);
	rq->plain_bytes += size;
	for (size_t i = 0; i < size; i++) {
		rq->in_quotes ^= data[i] == '"';
		rq->newlines += data[i] == '\n' && !rq->in_quotes;
	}
	return fwrite(data, 1, size, rq->plain) == size ? DCR_OK : DCR_ERR_IO;
}

/* The signed-request headers (the signature from a header or, for a
 * streamed PUT, from the trailer). NULL when they hold. */
static const char *check_auth(struct MHD_Connection *conn, const char *method,
                              struct request *rq, const uint8_t hash[32])
{
	const char *party = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, DCR_HEADER_PARTY);
	const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, DCR_HEADER_TIMESTAMP);
	const char *nonce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, DCR_HEADER_NONCE);
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, DCR_HEADER_SIGNATURE);
	const struct dcr_party *p;

	if (!sig)
		sig = MHD_lookup_connection_value(conn, MHD_FOOTER_KIND, DCR_HEADER_SIGNATURE);
	if (!party || !ts || !nonce || !sig)
		return "missing signature headers";
	p = dcr_contract_party(room.c, party);
	if (!p)
		return "unknown party";
	if (strlen(nonce) != 32)
		return "bad nonce";
	if (llabs(strtoll(ts, NULL, 10) - (long long)time(NULL)) > DCR_REQUEST_MAX_SKEW)
		return "stale timestamp";
	if (dcr_proto_verify_request(&p->key, method, rq->path, ts, nonce, hash, sig))
		return "the signature does not verify";
	rq->party = p;
	return NULL;
}

static enum MHD_Result finish_put(struct MHD_Connection *conn, struct request *rq)
{
	uint8_t hash[32], content[32];
	const char *why;
	const char *name = rq->path + strlen("/v1/datasets/");
	const struct dcr_dataset *ds = dcr_contract_dataset(room.c, name);
	struct dcr_msg msg = {{0}};
	char hex[65], final_path[4200];
	json_t *e;
	uint64_t seq;

	dcr_sha256_final(&rq->body_hash, hash);
	if ((why = check_auth(conn, "PUT", rq, hash)))
		return reply_error(conn, 401, why);
	if (!ds)
		return reply_error(conn, 404, "unknown dataset");
	if (&room.c->parties[ds->owner] != rq->party)
		return reply_error(conn, 403, "only the dataset's owner may upload it");
	if (rq->error)
		return reply_error(conn, 400, rq->error);
	if (dcr_envelope_reader_finish(rq->reader, &msg))
		return reply_error(conn, 400, msg.text);
	fclose(rq->plain);
	rq->plain = NULL;
	dcr_sha256_final(&rq->plain_hash, content);
	/* committed only now: a whole envelope, a valid signature */
	snprintf(final_path, sizeof(final_path), "%s/upload-%s.csv", room.dir, ds->name);
	if (rename(rq->plain_path, final_path))
		return reply_error(conn, 500, "cannot store");
	rq->plain_path[0] = '\0';
	dcr_hex_encode(hex, content, 32);
	e = json_pack("{s:s,s:s,s:s,s:I,s:s}", "party", rq->party->name, "action", "upload",
	              "dataset", ds->name, "rows", (json_int_t)(rq->newlines - 1), "content_hash",
	              hex);
	seq = audit_add(e);
	if (room.stored_count < 16) {
		snprintf(room.stored[room.stored_count].name, 128, "%s", ds->name);
		memcpy(room.stored[room.stored_count].hash, content, 32);
		room.stored[room.stored_count++].rows = rq->newlines - 1;
	}
	return reply_sealed(conn, rq->party,
	                    json_pack("{s:s,s:I,s:I,s:s,s:I}", "dataset", ds->name, "rows",
	                              (json_int_t)(rq->newlines - 1), "bytes",
	                              (json_int_t)rq->plain_bytes, "content_hash", hex, "audit_seq",
	                              (json_int_t)seq));
}

static enum MHD_Result answer_query(struct MHD_Connection *conn, struct request *rq)
{
	static const char csv[] = "region,n,avg\nnorth,52,1.5\n\"south, east\",,2.25\n";
	uint8_t hash[32];
	const char *why, *sql, *name;
	struct dcr_buf plain, text;
	struct dcr_msg msg = {{0}};
	struct dcr_receipt r = {0};
	struct dcr_receipt_dataset ds[16];
	char sig[DCR_SIGNATURE_B64_SIZE];
	char rhex[65];
	json_t *req, *e;
	enum MHD_Result ret;

	dcr_sha256(rq->body.data ? (const char *)rq->body.data : "", rq->body.size, hash);
	if ((why = check_auth(conn, "POST", rq, hash)))
		return reply_error(conn, 401, why);
	if (!(rq->party->roles & DCR_PARTY_ANALYST))
		return reply_error(conn, 403, "not an analyst");
	if (dcr_envelope_open(room.room, rq->body.data, rq->body.size, BODY_MAX, &plain, &msg))
		return reply_error(conn, 400, msg.text);
	req = json_loadb((const char *)plain.data, plain.size, 0, NULL);
	dcr_buf_free(&plain);
	sql = json_string_value(json_object_get(req, "sql"));
	name = json_string_value(json_object_get(req, "name"));
	if (name) {
		sql = NULL;
		for (size_t i = 0; i < room.c->query_count; i++)
			if (!strcmp(room.c->queries[i].name, name))
				sql = room.c->queries[i].sql;
	}
	if (!sql) {
		json_decref(req);
		return reply_error(conn, 400, "no sql");
	}
	if (strstr(sql, "SYNTAX")) {
		json_decref(req);
		return reply_error(conn, 400, "line 1, column 8: syntax error near SYNTAX");
	}
	if (strstr(sql, "REFUSE")) {
		audit_add(json_pack("{s:s,s:s,s:s,s:s}", "party", rq->party->name, "action", "query",
		                    "query", sql, "refused", "min_distinct_ids"));
		json_decref(req);
		return reply_error(conn, 422, "rule min_distinct_ids: a group has fewer than 25 "
		                   "distinct ids\n\033[31m");
	}
	room.queries++;
	memcpy(r.contract_hash, room.c->hash, 32);
	r.tee = "sim";
	r.measurement_size = 48;
	r.analyst = rq->party->name;
	r.time = (int64_t)time(NULL);
	dcr_sha256(sql, strlen(sql), r.query_hash);
	for (size_t i = 0; i < room.stored_count; i++) {
		ds[i].name = room.stored[i].name;
		memcpy(ds[i].content_hash, room.stored[i].hash, 32);
		ds[i].rows = room.stored[i].rows;
	}
	r.datasets = ds;
	r.dataset_count = room.stored_count;
	if (room.c->has_dp) {
		/* as a DP room says it: the epsilon spent and each column's noise */
		json_t *eps = json_object_get(req, "epsilon");

		r.epsilon = json_is_number(eps) ? json_number_value(eps)
		                                : room.c->dp.epsilon_per_query;
		r.noise_lines = "noise: column=1 mechanism=discrete-laplace scale=20 ci95=59.5\n"
		                "noise: column=2 mechanism=discrete-laplace sum_scale=40 "
		                "count_scale=20\n"
		                "selection: mechanism=discrete-laplace scale=20 threshold=300\n";
	}
	dcr_sha256(csv, strlen(csv), r.result_hash);
	dcr_hex_encode(rhex, r.result_hash, 32);
	e = json_pack("{s:s,s:s,s:s,s:i,s:s}", "party", rq->party->name, "action", "query",
	              "query", sql, "rows", 2, "result_hash", rhex);
	r.audit_seq = audit_add(e);
	dcr_buf_init(&text, 1 << 20);
	if (dcr_receipt_format(&r, &text))
		abort();
	if (room.tamper && !strcmp(room.tamper, "receipt-sig")) {
		struct dcr_seckey *other;

		if (dcr_seckey_generate(&other))
			abort();
		dcr_receipt_sign(other, (const char *)text.data, text.size, sig);
		dcr_seckey_free(other);
	} else {
		dcr_receipt_sign(room.room, (const char *)text.data, text.size, sig);
	}
	ret = reply_sealed(conn, rq->party,
	                   json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}],s:s,s:s,s:s}", "columns",
	                             "name", "region", "type", "string", "name", "n", "type",
	                             "int", "name", "avg", "type", "float", "csv",
	                             room.tamper && !strcmp(room.tamper, "receipt")
	                                     ? "region,n,avg\nnorth,520,1.5\n" : csv,
	                             "receipt", (const char *)text.data, "signature", sig));
	dcr_buf_free(&text);
	json_decref(req);
	return ret;
}

static enum MHD_Result answer_get(struct MHD_Connection *conn, struct request *rq)
{
	uint8_t hash[32];
	const char *why;

	if (!strcmp(rq->path, "/v1/attestation"))
		return reply(conn, 200, room.attestation, strlen(room.attestation),
		             "application/json");
	dcr_sha256("", 0, hash);
	if ((why = check_auth(conn, "GET", rq, hash)))
		return reply_error(conn, 401, why);
	if (!strcmp(rq->path, "/v1/audit")) {
		json_t *entries = json_array();

		for (size_t i = 0; i < room.count; i++) {
			const char *t = room.texts[i];
			char *altered = NULL;

			if (room.tamper && !strcmp(room.tamper, "audit") && i == 1) {
				/* one changed byte in entry 2, after it was signed */
				altered = strdup(t);
				altered[strlen(altered) - 2] ^= 1;
				t = altered;
			}
			json_array_append_new(entries, json_pack("{s:s,s:s}", "text", t, "signature",
			                                         room.sigs[i]));
			free(altered);
		}
		return reply_sealed(conn, rq->party, json_pack("{s:o}", "entries", entries));
	}
	if (!strcmp(rq->path, "/v1/budget")) {
		if (!(rq->party->roles & DCR_PARTY_ANALYST))
			return reply_error(conn, 403, "not an analyst");
		if (!room.c->has_dp)
			return reply_sealed(conn, rq->party, json_pack("{s:s,s:b}", "analyst",
			                                               rq->party->name, "dp", 0));
		return reply_sealed(conn, rq->party,
		                    json_pack("{s:s,s:f,s:f,s:f}", "analyst", rq->party->name,
		                              "epsilon_total", room.c->dp.epsilon_per_analyst,
		                              "epsilon_spent",
		                              room.queries * room.c->dp.epsilon_per_query,
		                              "epsilon_remaining",
		                              room.c->dp.epsilon_per_analyst -
		                                      room.queries * room.c->dp.epsilon_per_query));
	}
	return reply_error(conn, 404, "no such path");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **ctx)
{
	struct request *rq = *ctx;

	(void)cls;
	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		snprintf(rq->path, sizeof(rq->path), "%s", url);
		rq->put = !strcmp(method, "PUT");
		dcr_sha256_init(&rq->body_hash);
		dcr_buf_init(&rq->body, BODY_MAX);
		if (rq->put) {
			snprintf(rq->plain_path, sizeof(rq->plain_path), "%s/partial-XXXXXX", room.dir);
			int fd = mkstemp(rq->plain_path);

			rq->plain = fdopen(fd, "wb");
			dcr_sha256_init(&rq->plain_hash);
			if (dcr_envelope_reader_new(room.room, plain_sink, rq, &rq->reader))
				abort();
		}
		*ctx = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		struct dcr_msg msg = {{0}};

		dcr_sha256_update(&rq->body_hash, upload_data, *upload_data_size);
		if (rq->put && !rq->error &&
		    dcr_envelope_reader_write(rq->reader, upload_data, *upload_data_size, &msg))
			rq->error = "bad envelope";
		if (!rq->put && dcr_buf_append(&rq->body, upload_data, *upload_data_size))
			rq->error = "too big";
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->put && !strncmp(url, "/v1/datasets/", 13))
		return finish_put(conn, rq);
	if (!strcmp(method, "POST") && !strcmp(url, "/v1/queries"))
		return answer_query(conn, rq);
	if (!strcmp(method, "GET"))
		return answer_get(conn, rq);
	return reply_error(conn, 405, "method");
}

static void completed(void *cls, struct MHD_Connection *conn, void **ctx,
                      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *ctx;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	if (rq->plain)
		fclose(rq->plain);
	if (rq->plain_path[0])
		unlink(rq->plain_path); /* an upload that did not complete leaves nothing */
	dcr_envelope_reader_free(rq->reader);
	dcr_buf_free(&rq->body);
	free(rq);
	*ctx = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"contract", required_argument, NULL, 'c'},
		{"dir", required_argument, NULL, 'd'},
		{"port-file", required_argument, NULL, 'p'},
		{"evidence-contract", required_argument, NULL, 'e'},
		{"served-hash", required_argument, NULL, 'h'},
		{"tamper", required_argument, NULL, 't'},
		{"max-seconds", required_argument, NULL, 'm'},
		{NULL, 0, NULL, 0},
	};
	const char *contract = NULL, *port_file = NULL, *ev_contract = NULL, *served = NULL;
	struct dcr_contract *other = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_attest_env env;
	struct dcr_buf ev;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	uint8_t rd[DCR_REPORT_DATA_SIZE];
	char hex[65], pk[DCR_PUBKEY_LINE_SIZE], *b64, *att;
	long max_seconds = 120;
	json_t *j;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': contract = optarg; break;
		case 'd': room.dir = optarg; break;
		case 'p': port_file = optarg; break;
		case 'e': ev_contract = optarg; break;
		case 'h': served = optarg; break;
		case 't': room.tamper = optarg; break;
		case 'm': max_seconds = atol(optarg); break;
		default: return 2;
		}
	}
	if (!contract || !room.dir || !port_file || dcr_crypto_init())
		return 2;
	if (dcr_contract_load(contract, (int64_t)time(NULL), 0, &room.c, &msg) ||
	    (ev_contract &&
	     dcr_contract_load(ev_contract, (int64_t)time(NULL), 0, &other, &msg)) ||
	    dcr_seckey_generate(&room.room)) {
		fprintf(stderr, "helper_fakeroom: %s\n", msg.text);
		return 1;
	}
	dcr_seckey_public(room.room, &room.room_pk);
	dcr_attest_report_data(other ? other->hash : room.c->hash, &room.room_pk, rd);
	env.data_dir = room.dir;
	dcr_buf_init(&ev, DCR_EVIDENCE_MAX_SIZE);
	if (dcr_attest_find_name("sim")->evidence(&env, rd, &ev, &msg)) {
		fprintf(stderr, "helper_fakeroom: %s\n", msg.text);
		return 1;
	}
	b64 = malloc(DCR_B64_SIZE(ev.size));
	dcr_b64_encode(b64, ev.data, ev.size);
	dcr_contract_hash_hex(room.c, hex);
	dcr_pubkey_format(&room.room_pk, pk);
	j = json_pack("{s:s,s:s,s:s,s:s}", "tee", "sim", "evidence", b64, "public_key", pk,
	              "contract_hash", served ? served : hex);
	att = json_dumps(j, JSON_COMPACT);
	snprintf(room.attestation, sizeof(room.attestation), "%s", att);
	free(att);
	free(b64);
	json_decref(j);
	dcr_buf_free(&ev);
	audit_add(json_pack("{s:s,s:s}", "action", "start", "contract", hex));

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                     handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "helper_fakeroom: cannot start the daemon\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	f = fopen(port_file, "w");
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	/* bounded: a test that forgets to stop it does not leave it running */
	for (long i = 0; i < max_seconds * 10 && !stop; i++)
		usleep(100000);
	MHD_stop_daemon(d);
	for (size_t i = 0; i < room.count; i++)
		free(room.texts[i]);
	dcr_contract_free(room.c);
	dcr_contract_free(other);
	dcr_seckey_free(room.room);
	return 0;
}
