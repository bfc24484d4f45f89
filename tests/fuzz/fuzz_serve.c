/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzzes a running clean room over loopback: the first byte picks raw HTTP
 * bytes, or a properly signed and sealed query or upload whose plaintext is
 * the rest (so the fuzzer reaches CSV ingest, SQL, privacy and the answer).
 * Checks: every answer is HTTP with a status, a signed request that got past
 * authentication never gets a 5xx, an error is {"error": ...}. */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dcr/contract.h"
#include "dcr/proto.h"
#include "dcr/server.h"

static struct dcr_server *server;
static struct dcr_seckey *keys[2];   /* news (contributor), acme (analyst) */
static struct dcr_pubkey room;
static uint16_t port;
static char dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	dcr_server_stop(server);
	for (int i = 0; i < 2; i++)
		dcr_seckey_free(keys[i]);
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what, const struct dcr_msg *msg)
{
	fprintf(stderr, "fuzz_serve: %s: %s\n", what, msg ? msg->text : "");
	abort();
}

static int exchange(const void *req, size_t size, bool half_close, struct dcr_buf *body);
static void room_key(void);

static void start(void)
{
	static const char tmpl[] =
		"{\"dcr_contract\": 1, \"id\": \"fuzz\", \"expires\": \"2099-01-01T00:00:00Z\",\n"
		" \"parties\": [\n"
		"  {\"name\": \"news\", \"public_key\": \"%s\", \"roles\": [\"contributor\"]},\n"
		"  {\"name\": \"acme\", \"public_key\": \"%s\", \"roles\": [\"contributor\", "
		"\"analyst\"]}],\n"
		" \"datasets\": [\n"
		"  {\"name\": \"impressions\", \"owner\": \"news\", \"columns\": [\n"
		"   {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
		"   {\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"},\n"
		"   {\"name\": \"views\", \"type\": \"int\", \"role\": \"metric\", "
		"\"bounds\": [0, 100]}]},\n"
		"  {\"name\": \"purchases\", \"owner\": \"acme\", \"columns\": [\n"
		"   {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
		"   {\"name\": \"day\", \"type\": \"date\", \"role\": \"dimension\"},\n"
		"   {\"name\": \"amount\", \"type\": \"float\", \"role\": \"metric\", "
		"\"bounds\": [0, 1000]}]}],\n"
		" \"rules\": {\"min_distinct_ids\": 2,\n"
		"  \"joins\": [[\"impressions.email\", \"purchases.email\"]],\n"
		"  \"aggregates\": [\"count\", \"count_distinct\", \"sum\", \"avg\", \"min\", "
		"\"max\"]},\n"
		" \"tee\": {\"accept\": [\"sim\"]}}\n";
	struct dcr_server_options o;
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf text;
	char line[2][DCR_PUBKEY_LINE_SIZE], path[300], room_dir[300], json[4096];
	const char *tmp = getenv("TMPDIR"), *url;
	uint8_t seed[32];

	if (dcr_crypto_init())
		die("crypto", NULL);
	signal(SIGPIPE, SIG_IGN);
	dcr_log_set_level(DCR_LOG_ERROR);
	snprintf(dir, sizeof(dir), "%s/dcr-fuzz-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	atexit(cleanup);
	for (int i = 0; i < 2; i++) {
		struct dcr_pubkey pk;

		memset(seed, i + 1, sizeof(seed));
		if (dcr_seckey_from_seeds(seed, seed, &keys[i]))
			die("keys", NULL);
		dcr_seckey_public(keys[i], &pk);
		dcr_pubkey_format(&pk, line[i]);
	}
	snprintf(json, sizeof(json), tmpl, line[0], line[1]);
	if (dcr_contract_parse(json, strlen(json), (int64_t)time(NULL), 0, &c, &msg) ||
	    dcr_contract_sign(c, keys[0], NULL, &msg) || dcr_contract_sign(c, keys[1], NULL, &msg) ||
	    dcr_contract_serialize(c, &text))
		die("contract", &msg);
	snprintf(path, sizeof(path), "%s/contract.json", dir);
	if (dcr_file_write_atomic(path, text.data, text.size, 0644, 0, &msg))
		die("contract file", &msg);
	dcr_buf_free(&text);
	dcr_contract_free(c);

	dcr_server_options_default(&o);
	o.contract_path = path;
	snprintf(room_dir, sizeof(room_dir), "%s/room", dir);
	o.data_dir = room_dir;
	o.listen = "127.0.0.1:0";
	o.tee = DCR_TEE_SIM;
	o.threads = 2;
	o.timeout = 5;
	o.max_upload = 1 << 20;
	o.max_result_rows = 1000;
	if (dcr_server_start(&o, &server, &msg))
		die("start", &msg);
	url = dcr_server_url(server);
	port = (uint16_t)atoi(strrchr(url, ':') + 1);
	room_key();
}

/* Sends req and reads the answer (until the server closes); the status, or
 * 0 when there is no HTTP answer. body gets the answer's body. A raw request
 * (half_close) may be incomplete: the server then waits for the rest until
 * its timeout, so it is given 300 ms and no more. */
static int exchange(const void *req, size_t size, bool half_close, struct dcr_buf *body)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct dcr_buf in;
	char buf[65536];
	int fd, status = 0;
	size_t off = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect", NULL);
	while (off < size) {
		ssize_t n = send(fd, (const char *)req + off, size - off, MSG_NOSIGNAL);

		if (n <= 0)
			break; /* the server answered early and closed */
		off += (size_t)n;
	}
	if (half_close)
		shutdown(fd, SHUT_WR);
	dcr_buf_init(&in, 64u << 20);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		int ready = poll(&p, 1, half_close ? 300 : 10000);

		if (ready <= 0 && half_close)
			break;
		if (ready <= 0)
			die("no answer within 10 s", NULL);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0 || dcr_buf_append(&in, buf, (size_t)n))
			break;
	}
	close(fd);
	if (in.size >= 12 && !memcmp(in.data, "HTTP/1.", 7))
		status = atoi((const char *)in.data + 9);
	if (body) {
		const char *sep = in.data ? strstr((const char *)in.data, "\r\n\r\n") : NULL;

		dcr_buf_init(body, 64u << 20);
		if (sep && dcr_buf_append(body, sep + 4, in.size - (size_t)(sep + 4 - (char *)in.data)))
			die("memory", NULL);
	}
	dcr_buf_free(&in);
	return status;
}

/* The room's public key, as a client takes it from GET /v1/attestation. */
static void room_key(void)
{
	static const char get[] = "GET /v1/attestation HTTP/1.1\r\nHost: x\r\n"
	                          "Connection: close\r\n\r\n";
	struct dcr_msg msg = {{0}};
	struct dcr_buf body;
	const char *line;
	json_t *o;

	if (exchange(get, sizeof(get) - 1, false, &body) != 200)
		die("GET /v1/attestation", NULL);
	o = json_loadb((const char *)body.data, body.size, 0, NULL);
	line = json_string_value(json_object_get(o, "public_key"));
	if (!line || dcr_pubkey_parse(line, strlen(line), &room, &msg))
		die("public_key", &msg);
	json_decref(o);
	dcr_buf_free(&body);
}

/* A signed request by keys[who] with plaintext sealed to the room. */
static void signed_request(int who, const char *method, const char *path, const uint8_t *plain,
                           size_t size)
{
	static const char *const names[2] = {"news", "acme"};
	struct dcr_buf env, req, body;
	char nonce[DCR_NONCE_HEX_SIZE], sig[DCR_SIGNATURE_B64_SIZE];
	uint8_t hash[32];
	int64_t now = (int64_t)time(NULL);
	int status;

	if (dcr_envelope_seal(&room, plain, size, SIZE_MAX, &env))
		die("seal", NULL);
	dcr_proto_nonce(nonce);
	dcr_sha256(env.data, env.size, hash);
	if (dcr_proto_sign_request(keys[who], method, path, now, nonce, hash, sig))
		die("sign", NULL);
	dcr_buf_init(&req, SIZE_MAX);
	if (dcr_buf_printf(&req,
	                   "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                   "Content-Type: " DCR_ENVELOPE_MEDIA_TYPE "\r\nContent-Length: %zu\r\n"
	                   DCR_HEADER_PARTY ": %s\r\n" DCR_HEADER_TIMESTAMP ": %" PRId64 "\r\n"
	                   DCR_HEADER_NONCE ": %s\r\n" DCR_HEADER_SIGNATURE ": %s\r\n\r\n",
	                   method, path, env.size, names[who], now, nonce, sig) ||
	    dcr_buf_append(&req, env.data, env.size))
		die("request", NULL);
	status = exchange(req.data, req.size, false, &body);
	if (getenv("FUZZ_SERVE_VERBOSE"))
		fprintf(stderr, "%s %s: %d %.*s\n", method, path, status,
		        status == 200 ? 0 : (int)body.size, body.data ? (char *)body.data : "");
	if (status < 200 || status >= 500) {
		fprintf(stderr, "fuzz_serve: %s %s answered %d: %.*s\n", method, path, status,
		        (int)body.size, body.data ? (const char *)body.data : "");
		abort();
	}
	if (status != 200 && (body.size < 10 || memcmp(body.data, "{\"error\":", 9))) {
		fprintf(stderr, "fuzz_serve: error %d without {\"error\": ...}\n", status);
		abort();
	}
	dcr_buf_free(&body);
	dcr_buf_free(&req);
	dcr_buf_free(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server)
		start();
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		int status = exchange(data + 1, size - 1, true, NULL);

		/* no answer is fine (an incomplete request); a malformed one is not */
		if (status && (status < 100 || status > 599))
			abort();
		break;
	}
	case 1:
		signed_request(1, "POST", "/v1/queries", data + 1, size - 1);
		break;
	case 2:
		signed_request(0, "PUT", "/v1/datasets/impressions", data + 1, size - 1);
		break;
	default:
		signed_request(1, "PUT", "/v1/datasets/purchases", data + 1, size - 1);
		break;
	}
	return 0;
}
