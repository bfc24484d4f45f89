/* SPDX-License-Identifier: Apache-2.0 */
/* The clean room's life: start-up checks and state (contract, sealed keys,
 * evidence, audit log, datasets), the libmicrohttpd daemon, routing, and a
 * clean stop. Endpoint bodies live in datasets.c and query.c. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server_int.h"

#define ROOM_KEYS_LABEL "room keys"
#define CONTRACT_LABEL "contract"
#define NONCE_CACHE_MAX (1u << 20)

void dcr_server_options_default(struct dcr_server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->listen = "127.0.0.1:8080";
	o->tee = DCR_TEE_SIM;
	o->max_upload = 8ull << 30;
	o->max_body = 1u << 20;
	o->max_connections = 256;
	o->max_per_ip = 64;
	o->threads = 0;
	o->timeout = 60;
	o->max_result_rows = 1000000;
}

double server_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dir + "/" + name, malloc'd; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static bool exists(const char *dir, const char *name)
{
	char *p = join(dir, name);
	struct stat st;
	bool yes = p && lstat(p, &st) == 0;

	free(p);
	return yes;
}

/* ---- answers ------------------------------------------------------------ */

enum MHD_Result server_answer(struct MHD_Connection *c, struct server_request *r, int status,
                              const char *content_type, void *data, size_t size, bool owned)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(size, data,
	                                       owned ? MHD_RESPMEM_MUST_FREE
	                                             : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (owned)
			free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		const char *allow = r->ep == EP_DATASETS ? "PUT" : r->ep == EP_QUERIES ? "POST"
		                                                                      : "GET";

		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return ret;
}

/* {"error": text}; text made printable ASCII if it is not valid UTF-8. */
static char *error_json(const char *text)
{
	json_t *o = json_object(), *v = json_string(text);
	char *out;

	if (!v) {
		char clean[DCR_MSG_SIZE];
		size_t i;

		for (i = 0; text[i] && i + 1 < sizeof(clean); i++)
			clean[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
		clean[i] = '\0';
		v = json_string(clean);
	}
	json_object_set_new(o, "error", v);
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

enum MHD_Result server_answer_error(struct MHD_Connection *c, struct server_request *r,
                                    int status, const char *fmt, ...)
{
	char text[DCR_MSG_SIZE], *body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (status >= 500)
		dcr_log_error("%s %.200s: %s", r->method ? r->method : "?", r->target, text);
	body = error_json(text);
	if (!body)
		return MHD_NO;
	return server_answer(c, r, status, "application/json", body, strlen(body), true);
}

enum MHD_Result server_answer_sealed(struct MHD_Connection *c, struct server_request *r,
                                     const char *text, size_t size)
{
	struct dcr_buf out;
	enum dcr_err err;

	err = dcr_envelope_seal(&r->party->key, text, size, SIZE_MAX, &out);
	if (err) {
		dcr_buf_free(&out);
		return server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
		                           "cannot seal the answer: %s", dcr_strerror(err));
	}
	/* ownership of out.data passes to libmicrohttpd, which free()s it */
	return server_answer(c, r, MHD_HTTP_OK, DCR_ENVELOPE_MEDIA_TYPE, out.data, out.size, true);
}

static enum MHD_Result answer_text(struct MHD_Connection *c, struct server_request *r,
                                   const char *type, const char *text, size_t size)
{
	return server_answer(c, r, MHD_HTTP_OK, type, (void *)text, size, false);
}

/* ---- routing ------------------------------------------------------------ */

static enum server_endpoint route(const char *url, const char **out_name)
{
	static const char datasets[] = "/v1/datasets/";
	static const struct {
		const char *path;
		enum server_endpoint ep;
	} fixed[] = {
		{"/v1/health", EP_HEALTH},   {"/v1/attestation", EP_ATTESTATION},
		{"/v1/contract", EP_CONTRACT}, {"/metrics", EP_METRICS},
		{"/v1/queries", EP_QUERIES}, {"/v1/audit", EP_AUDIT},
		{"/v1/budget", EP_BUDGET},
	};

	*out_name = NULL;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(url, fixed[i].path))
			return fixed[i].ep;
	if (!strncmp(url, datasets, sizeof(datasets) - 1) && url[sizeof(datasets) - 1] &&
	    !strchr(url + sizeof(datasets) - 1, '/')) {
		*out_name = url + sizeof(datasets) - 1;
		return EP_DATASETS;
	}
	return EP_OTHER;
}

static const char *endpoint_method(enum server_endpoint ep)
{
	return ep == EP_DATASETS ? MHD_HTTP_METHOD_PUT
	       : ep == EP_QUERIES ? MHD_HTTP_METHOD_POST
	                          : MHD_HTTP_METHOD_GET;
}

static enum MHD_Result answer_clear(struct dcr_server *s, struct MHD_Connection *c,
                                    struct server_request *r)
{
	struct dcr_buf m;

	switch (r->ep) {
	case EP_HEALTH:
		return answer_text(c, r, "application/json", s->health_json,
		                   strlen(s->health_json));
	case EP_ATTESTATION:
		return answer_text(c, r, "application/json", s->attestation_json,
		                   strlen(s->attestation_json));
	case EP_CONTRACT:
		return answer_text(c, r, "application/json", (const char *)s->contract_text.data,
		                   s->contract_text.size);
	default:
		dcr_buf_init(&m, 1u << 20);
		if (server_metrics_format(&s->metrics, &m)) {
			dcr_buf_free(&m);
			return server_answer_error(c, r, MHD_HTTP_INTERNAL_SERVER_ERROR,
			                           "cannot format the metrics");
		}
		return server_answer(c, r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		                     m.data, m.size, true);
	}
}

/* The role a signed endpoint needs; 0 or 403 with msg. */
static int check_role(struct dcr_server *s, struct server_request *r, struct dcr_msg *msg)
{
	switch (r->ep) {
	case EP_DATASETS:
		if (r->dataset->def->owner != r->party_index) {
			dcr_msg_set(msg, "only the owner of dataset %s (party %s) may upload it",
			            r->dataset->def->name,
			            s->contract->parties[r->dataset->def->owner].name);
			return MHD_HTTP_FORBIDDEN;
		}
		return 0;
	case EP_QUERIES:
	case EP_BUDGET:
		if (!(r->party->roles & DCR_PARTY_ANALYST)) {
			dcr_msg_set(msg, "party %s is not an analyst of this contract", r->party->name);
			return MHD_HTTP_FORBIDDEN;
		}
		return 0;
	default:
		return 0; /* the audit log is every party's to read */
	}
}

/* The first call for a request: its headers are in, its body is not. */
static enum MHD_Result begin(struct dcr_server *s, struct MHD_Connection *c,
                             struct server_request *r, const char *url, const char *method)
{
	const char *name, *len;
	struct dcr_msg msg = {{0}};
	int status;

	r->ep = route(url, &name);
	if (r->ep == EP_OTHER)
		return server_answer_error(c, r, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, endpoint_method(r->ep)))
		return server_answer_error(c, r, MHD_HTTP_METHOD_NOT_ALLOWED,
		                           "%s takes %s only", url, endpoint_method(r->ep));
	if (r->ep <= EP_METRICS)
		return answer_clear(s, c, r);

	status = server_auth_headers(s, c, r, &msg);
	if (!status && r->ep == EP_DATASETS) {
		r->dataset = server_dataset_find(s, name);
		if (!r->dataset) {
			dcr_msg_set(&msg, "the contract has no dataset of that name");
			status = MHD_HTTP_NOT_FOUND;
		}
	}
	if (!status)
		status = check_role(s, r, &msg);
	r->body_max = r->ep == EP_DATASETS ? s->opts.max_upload : s->opts.max_body;
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!status && len && strtoull(len, NULL, 10) > r->body_max) {
		dcr_msg_set(&msg, "the body is larger than this clean room takes (%llu bytes)",
		            (unsigned long long)r->body_max);
		status = MHD_HTTP_CONTENT_TOO_LARGE;
	}
	if (!status)
		status = server_auth_reserve(s, r, &msg);
	if (!status && r->ep == EP_DATASETS)
		status = server_upload_begin(s, r, &msg);
	if (!status && r->ep == EP_QUERIES)
		dcr_buf_init(&r->body, r->body_max);
	if (status)
		return server_answer_error(c, r, status, "%s", msg.text);
	return MHD_YES;
}

static void body(struct server_request *r, const char *data, size_t size)
{
	if (r->status || r->cut)
		return;
	if (size > r->body_max - r->body_size) {
		/* a chunked body past its cap: nothing can be answered mid-body */
		dcr_log_warn("%s %.200s: the body went past %llu bytes; connection closed",
		             r->method, r->target, (unsigned long long)r->body_max);
		r->cut = true;
		return;
	}
	dcr_sha256_update(&r->body_sha, data, size);
	r->body_size += size;
	if (r->ep == EP_DATASETS)
		server_upload_data(r, (const uint8_t *)data, size);
	else if (r->ep == EP_QUERIES && !r->fail_status &&
	         dcr_buf_append(&r->body, data, size) != DCR_OK) {
		r->fail_status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		dcr_msg_set(&r->fail_msg, "out of memory");
	}
}

/* The body has arrived. */
static enum MHD_Result end(struct dcr_server *s, struct MHD_Connection *c,
                           struct server_request *r)
{
	struct dcr_msg msg = {{0}};
	int status = server_auth_finish(s, c, r, &msg);

	if (status)
		return server_answer_error(c, r, status, "%s", msg.text);
	switch (r->ep) {
	case EP_DATASETS:
		return server_upload_end(c, r);
	case EP_QUERIES:
		return server_query_end(c, r);
	case EP_AUDIT:
		return server_audit_answer(c, r);
	default:
		return server_budget_answer(c, r);
	}
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	struct dcr_server *s = cls;
	struct server_request *r = *con_cls;

	(void)version;
	if (!r)
		return MHD_NO; /* out of memory when it began */
	if (!r->routed) {
		r->routed = true;
		r->method = method;
		return begin(s, c, r, url, method);
	}
	if (*size) {
		body(r, data, *size);
		*size = 0;
		return r->cut ? MHD_NO : MHD_YES;
	}
	if (r->status)
		return MHD_YES; /* answered already */
	return end(s, c, r);
}

/* Called before the headers are parsed: the request target as sent, which
 * the signature covers (MHD's url argument is decoded and cut at '?'). */
static void *request_start(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct dcr_server *s = cls;
	struct server_request *r = calloc(1, sizeof(*r));

	(void)c;
	if (!r)
		return NULL;
	r->target = strdup(uri ? uri : "");
	if (!r->target) {
		free(r);
		return NULL;
	}
	r->s = s;
	r->ep = EP_OTHER;
	r->started = server_now();
	atomic_fetch_add(&s->in_flight, 1);
	return r;
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct dcr_server *s = cls;
	struct server_request *r = *con_cls;

	(void)c;
	if (!r)
		return;
	if (r->status) {
		server_metrics_request(&s->metrics, r->ep, r->status);
		dcr_log_info("%s %.200s %d party=%s %.3fs", r->method ? r->method : "?", r->target,
		             r->status, r->party ? r->party->name : "-",
		             server_now() - r->started);
	} else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		dcr_log_info("%s %.200s: connection ended before an answer (%s) party=%s",
		             r->method ? r->method : "?", r->target,
		             r->cut ? "body too large" : "client gone or timed out",
		             r->party ? r->party->name : "-");
	}
	server_upload_free(r->upload);
	dcr_buf_free(&r->body);
	dcr_sha256_discard(&r->body_sha); /* a request cut before its end */
	free(r->target);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

DCR_PRINTF(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	size_t n;

	(void)cls;
	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	dcr_log_info("http: %s", text);
}

/* ---- start-up ------------------------------------------------------------ */

static enum dcr_err load_contract(struct dcr_server *s, const char *path, struct dcr_msg *msg)
{
	enum dcr_err err;

	err = dcr_file_read(path, DCR_CONTRACT_MAX_SIZE, &s->contract_text, msg);
	if (err)
		return err;
	err = dcr_contract_parse((const char *)s->contract_text.data, s->contract_text.size,
	                         (int64_t)time(NULL), 0, &s->contract, msg);
	if (err == DCR_ERR_EXPIRED) {
		dcr_msg_prefix(msg, "contract %s: ", path);
		return err;
	}
	if (err) {
		dcr_msg_prefix(msg, "contract %s: ", path);
		return DCR_ERR_VERIFY;
	}
	err = dcr_contract_verify(s->contract, msg);
	if (err) {
		dcr_msg_prefix(msg, "contract %s: ", path);
		return DCR_ERR_VERIFY;
	}
	dcr_contract_hash_hex(s->contract, s->contract_hex);
	if (!(s->contract->tee_accept & DCR_TEE_BIT(s->opts.tee))) {
		char accepted[128] = "";

		for (int t = 0; t < DCR_TEE_COUNT; t++) {
			if (!(s->contract->tee_accept & DCR_TEE_BIT(t)))
				continue;
			if (accepted[0])
				strncat(accepted, ", ", sizeof(accepted) - strlen(accepted) - 1);
			strncat(accepted, dcr_tee_name((enum dcr_tee)t),
			        sizeof(accepted) - strlen(accepted) - 1);
		}
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "contract %s: its parties do not accept a %s TEE (tee.accept: %s)",
		                path, dcr_tee_name(s->opts.tee), accepted);
	}
	return DCR_OK;
}

/* Temporary files of writes a crash interrupted: never read, only space.
 * Safe only while nothing writes there: the directory is locked first. */
static void sweep(const char *dir)
{
	struct dcr_msg msg = {{0}};
	size_t n = 0;

	if (dcr_seal_sweep(dir, &n, &msg))
		dcr_log_warn("%s: %s", dir, msg.text);
	else if (n)
		dcr_log_info("%s: removed %zu unfinished temporary file(s)", dir, n);
}

/* One clean room per data directory: a second one would sweep away the
 * first one's uploads in progress. The lock lasts as long as the fd. */
static enum dcr_err lock_dir(struct dcr_server *s, struct dcr_msg *msg)
{
	s->dir_fd = open(s->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return dcr_fail(msg, DCR_ERR_IO, "%s: %s", s->data_dir, strerror(errno));
	if (flock(s->dir_fd, LOCK_EX | LOCK_NB) != 0)
		return dcr_fail(msg, DCR_ERR_IO,
		                "%s is in use by another dcr serve (one clean room per data "
		                "directory)",
		                s->data_dir);
	return DCR_OK;
}

static enum dcr_err make_dir(const char *path, struct dcr_msg *msg)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return DCR_OK;
	if (errno != EEXIST)
		return dcr_fail(msg, DCR_ERR_IO, "cannot create %s: %s", path, strerror(errno));
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return dcr_fail(msg, DCR_ERR_IO, "%s: not a directory", path);
	if (st.st_mode & 077)
		dcr_log_warn("%s is open to group or others (mode %04o); the clean room's files "
		             "are sealed, but chmod 700 it",
		             path, (unsigned)(st.st_mode & 07777));
	return DCR_OK;
}

/* The data directory belongs to one contract: DIR/contract.sealed says
 * which. A directory with state but no binding is refused, not adopted. */
static enum dcr_err bind_contract(struct dcr_server *s, struct dcr_msg *msg)
{
	char *path = join(s->data_dir, "contract.sealed");
	struct dcr_buf b;
	enum dcr_err err;

	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	err = dcr_seal_read_all(s->seal_key, path, CONTRACT_LABEL, 64, &b, msg);
	if (err == DCR_ERR_NOT_FOUND) {
		if (exists(s->data_dir, "room.sealed") || exists(s->data_dir, "audit.log")) {
			err = dcr_fail(msg, DCR_ERR_VERIFY,
			               "%s holds a clean room's keys or audit log but no "
			               "contract.sealed: refusing to guess which contract it serves",
			               s->data_dir);
			goto out;
		}
		err = dcr_seal_write_all(s->seal_key, path, CONTRACT_LABEL, s->contract->hash,
		                         DCR_CONTRACT_HASH_SIZE, msg);
		if (!err)
			dcr_log_info("new clean room in %s for contract %s", s->data_dir,
			             s->contract_hex);
	} else if (err == DCR_ERR_VERIFY) {
		dcr_msg_prefix(msg, "%s cannot be unsealed (altered, or sealed by another build "
		                    "of dcr or on another TEE): ",
		               path);
	} else if (!err && (b.size != DCR_CONTRACT_HASH_SIZE ||
	                    !dcr_ct_equal(b.data, s->contract->hash, DCR_CONTRACT_HASH_SIZE))) {
		char other[65] = "?";

		if (b.size == DCR_CONTRACT_HASH_SIZE)
			dcr_hex_encode(other, b.data, DCR_CONTRACT_HASH_SIZE);
		err = dcr_fail(msg, DCR_ERR_VERIFY,
		               "%s is the clean room of another contract (%.16s...), not of %s "
		               "(%.16s...): give this contract its own --data-dir",
		               s->data_dir, other, s->contract->id, s->contract_hex);
	}
	dcr_buf_free(&b);
out:
	free(path);
	return err;
}

/* The room's keys are made inside the TEE on first start and only ever
 * leave it sealed. */
static enum dcr_err room_keys(struct dcr_server *s, struct dcr_msg *msg)
{
	char *path = join(s->data_dir, "room.sealed");
	struct dcr_buf b;
	enum dcr_err err;

	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	err = dcr_seal_read_all(s->seal_key, path, ROOM_KEYS_LABEL, DCR_SECKEY_EXPORT_SIZE, &b,
	                        msg);
	if (!err) {
		if (dcr_seckey_import(b.data, b.size, &s->room))
			err = dcr_fail(msg, DCR_ERR_VERIFY, "%s: not a key pair", path);
	} else if (err == DCR_ERR_NOT_FOUND) {
		dcr_buf_free(&b);
		dcr_buf_init(&b, DCR_SECKEY_EXPORT_SIZE);
		err = dcr_seckey_generate(&s->room);
		if (!err)
			err = dcr_seckey_export(s->room, &b);
		if (err)
			dcr_msg_set(msg, "cannot make the room's keys: %s", dcr_strerror(err));
		else
			err = dcr_seal_write_all(s->seal_key, path, ROOM_KEYS_LABEL, b.data, b.size,
			                         msg);
	} else if (err == DCR_ERR_VERIFY) {
		dcr_msg_prefix(msg, "%s cannot be unsealed (altered, or sealed by another build "
		                    "of dcr or on another TEE): ",
		               path);
	}
	dcr_buf_free(&b);
	free(path);
	if (!err)
		dcr_seckey_public(s->room, &s->room_pub);
	return err;
}

/* Evidence binding the contract and the room's public keys, the JSON of
 * GET /v1/attestation, and the measurement receipts name. */
static enum dcr_err attest(struct dcr_server *s, struct dcr_msg *msg)
{
	struct dcr_attest_env env = {.data_dir = s->data_dir};
	uint8_t rd[DCR_REPORT_DATA_SIZE];
	struct dcr_attest_claims claims;
	char line[DCR_PUBKEY_LINE_SIZE], *b64 = NULL;
	struct dcr_buf ev;
	enum dcr_err err;
	json_t *o;

	dcr_attest_report_data(s->contract->hash, &s->room_pub, rd);
	dcr_buf_init(&ev, DCR_EVIDENCE_MAX_SIZE);
	err = s->tee->evidence(&env, rd, &ev, msg);
	if (err) {
		dcr_msg_prefix(msg, "evidence: ");
		goto out;
	}
	/* the primary measurement is what the evidence itself says */
	if (s->tee->verify && s->opts.tee != DCR_TEE_SIM) {
		/* Hardware evidence may need what the room lacks to verify it
		 * (collateral, the VCEK, network): the parties verify it, this
		 * check only names the measurement in receipts. */
		struct dcr_msg vmsg = {{0}};

		if (s->tee->verify(ev.data, ev.size, NULL, &claims, &vmsg) == DCR_OK) {
			if (claims.measurement_count) {
				s->measurement_size = claims.measurements[0].size;
				memcpy(s->measurement, claims.measurements[0].value,
				       s->measurement_size);
			}
		} else {
			dcr_log_warn("%s: this clean room cannot verify its own evidence here (%s); "
			             "the parties verify it, and receipts name no measurement",
			             s->tee->name, vmsg.text);
		}
	} else if (s->tee->verify) {
		err = s->tee->verify(ev.data, ev.size, NULL, &claims, msg);
		if (err) {
			dcr_msg_prefix(msg, "this TEE's own evidence does not verify: ");
			goto out;
		}
		if (claims.measurement_count) {
			s->measurement_size = claims.measurements[0].size;
			memcpy(s->measurement, claims.measurements[0].value, s->measurement_size);
		}
	} else if (s->opts.tee == DCR_TEE_SIM) {
		err = dcr_attest_self_measurement(s->measurement, msg);
		if (err)
			goto out;
		s->measurement_size = 48;
	}
	b64 = malloc(DCR_B64_SIZE(ev.size));
	if (!b64) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	dcr_b64_encode(b64, ev.data, ev.size);
	dcr_pubkey_format(&s->room_pub, line);
	o = json_pack("{s:s, s:s, s:s, s:s}", "tee", s->tee->name, "evidence", b64, "public_key",
	              line, "contract_hash", s->contract_hex);
	s->attestation_json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	o = json_pack("{s:s, s:s, s:s}", "status", "ok", "contract", s->contract->id, "tee",
	              s->tee->name);
	s->health_json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s->attestation_json || !s->health_json)
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
out:
	free(b64);
	dcr_buf_free(&ev);
	return err;
}

int server_audit_append(struct dcr_server *s, json_t *fields, uint64_t *out_seq,
                        struct dcr_msg *msg)
{
	char *text = fields ? json_dumps(fields, JSON_COMPACT) : NULL;
	enum dcr_err err;

	json_decref(fields);
	if (!text) {
		dcr_msg_set(msg, "out of memory");
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	err = dcr_audit_append(s->audit, text, (int64_t)time(NULL), out_seq, msg);
	free(text);
	if (err) {
		dcr_msg_prefix(msg, "audit log: ");
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	return 0;
}

static enum dcr_err open_audit(struct dcr_server *s, struct dcr_msg *msg)
{
	char *path = join(s->data_dir, "audit.log");
	enum dcr_err err;
	uint64_t seq;

	if (!path)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	err = dcr_audit_open(path, s->seal_key, s->room, &s->audit, msg);
	free(path);
	if (err)
		return err;
	if (server_audit_append(s, json_pack("{s:s, s:s, s:s}", "action", "start", "contract",
	                                     s->contract_hex, "tee", s->tee->name),
	                        &seq, msg))
		return DCR_ERR_IO;
	return DCR_OK;
}

/* "ADDR:PORT" or "[V6]:PORT" into a socket address; host gets ADDR. */
static enum dcr_err parse_listen(const char *text, struct addrinfo **out, char *host,
                                 size_t host_size, struct dcr_msg *msg)
{
	const char *colon = strrchr(text, ':'), *h = text;
	size_t hl;
	char port[8];
	struct addrinfo hints = {0};
	int rc;

	*out = NULL;
	if (!colon || colon == text || !colon[1] || strlen(colon + 1) > 5 ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
		return dcr_fail(msg, DCR_ERR_USAGE, "--listen '%s': expected ADDR:PORT", text);
	hl = (size_t)(colon - text);
	if (text[0] == '[') {
		if (hl < 3 || colon[-1] != ']')
			return dcr_fail(msg, DCR_ERR_USAGE, "--listen '%s': expected [ADDR]:PORT",
			                text);
		h++;
		hl -= 2;
	}
	if (hl + 1 > host_size)
		return dcr_fail(msg, DCR_ERR_USAGE, "--listen '%s': address too long", text);
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, out);
	if (rc)
		return dcr_fail(msg, DCR_ERR_USAGE, "--listen '%s': %s", text, gai_strerror(rc));
	return DCR_OK;
}

static enum dcr_err listen_http(struct dcr_server *s, const char *listen_text,
                               const struct addrinfo *ai, const char *host, struct dcr_msg *msg)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_AUTO |
	                 MHD_USE_ERROR_LOG;
	unsigned threads = s->opts.threads;
	const union MHD_DaemonInfo *info;
	long cpus;

	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (!threads) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	s->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, handler, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
		MHD_OPTION_CONNECTION_LIMIT, s->opts.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->opts.max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, s->opts.timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256u << 10),
		MHD_OPTION_URI_LOG_CALLBACK, request_start, s,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, s,
		MHD_OPTION_END);
	if (!s->mhd)
		return dcr_fail(msg, DCR_ERR_IO,
		                "cannot listen on %s (address in use, or not an address of this "
		                "machine?)",
		                listen_text);
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->url, sizeof(s->url), strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u",
	         host, info ? (unsigned)info->port : 0u);
	return DCR_OK;
}

static void server_free(struct dcr_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	server_datasets_free(s);
	dcr_audit_close(s->audit);
	nonce_cache_free(s->nonces);
	dcr_seckey_free(s->room);
	dcr_contract_free(s->contract);
	dcr_buf_free(&s->contract_text);
	free(s->health_json);
	free(s->attestation_json);
	free(s->data_dir);
	if (s->dir_fd >= 0)
		close(s->dir_fd); /* and the lock goes with it */
	dcr_wipe(s->seal_key, sizeof(s->seal_key));
	pthread_rwlock_destroy(&s->catalog_lock);
	pthread_mutex_destroy(&s->commit_lock);
	server_ledger_free(s);
	free(s);
}

enum dcr_err dcr_server_start(const struct dcr_server_options *o, struct dcr_server **out,
                              struct dcr_msg *msg)
{
	struct dcr_server *s;
	pthread_rwlockattr_t ra;
	struct dcr_attest_env env;
	struct addrinfo *ai = NULL;
	char host[256];
	enum dcr_err err;
	char *dir;

	*out = NULL;
	err = parse_listen(o->listen, &ai, host, sizeof(host), msg);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s) {
		freeaddrinfo(ai);
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	}
	s->dir_fd = -1;
	s->opts = *o;
	/* the caller's strings are not kept */
	s->opts.listen = s->opts.contract_path = s->opts.data_dir = NULL;
	pthread_rwlockattr_init(&ra);
	/* uploads must get their turn while queries keep coming */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->catalog_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&s->commit_lock, NULL);
	dcr_buf_init(&s->contract_text, DCR_CONTRACT_MAX_SIZE);
	s->data_dir = strdup(o->data_dir);
	if (!s->data_dir) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}

	s->tee = dcr_attest_find(o->tee);
	if (!s->tee || !s->tee->evidence || !s->tee->sealing_key) {
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		               "this build of dcr cannot run inside a %s TEE yet (no %s producer)",
		               dcr_tee_name(o->tee), dcr_tee_name(o->tee));
		goto out;
	}
	/* a hardware TEE named on the command line must be here */
	if (o->tee != DCR_TEE_SIM && s->tee->detect && !s->tee->detect()) {
		err = dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		               "no %s TEE found on this machine (docs/ATTESTATION.md says which "
		               "devices each TEE needs)",
		               dcr_tee_name(o->tee));
		goto out;
	}
	err = load_contract(s, o->contract_path, msg);
	if (err)
		goto out;

	err = make_dir(s->data_dir, msg);
	if (!err)
		err = lock_dir(s, msg);
	dir = join(s->data_dir, "datasets");
	if (!err && !dir)
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	if (!err)
		err = make_dir(dir, msg);
	if (!err) {
		sweep(s->data_dir);
		sweep(dir);
	}
	free(dir);
	if (err)
		goto out;

	env.data_dir = s->data_dir;
	err = s->tee->sealing_key(&env, s->seal_key, msg);
	if (err) {
		dcr_msg_prefix(msg, "sealing key: ");
		goto out;
	}
	if (o->tee == DCR_TEE_SIM)
		dcr_log_warn("*** sim: the sealing key is derived from %s/sim-platform.key: anyone "
		             "who can read that file can unseal every dataset and key here. "
		             "INSECURE: for tests and demos only ***",
		             s->data_dir);
	if (o->tee == DCR_TEE_TDX || o->tee == DCR_TEE_AZURE_VTPM)
		dcr_log_warn("*** %s has no hardware sealing key: the sealing key is kept in "
		             "%s/tee-sealing.key, which protects the sealed datasets and keys only "
		             "as long as %s is on the confidential VM's encrypted disk ***",
		             dcr_tee_name(o->tee), s->data_dir, s->data_dir);

	if ((err = bind_contract(s, msg)) || (err = room_keys(s, msg)) ||
	    (err = attest(s, msg)) || (err = open_audit(s, msg)))
		goto out;
	err = server_datasets_init(s, msg);
	if (!err && (err = server_ledger_init(s)))
		dcr_msg_set(msg, "out of memory");
	if (err)
		goto out;
	server_datasets_load(s);
	err = server_datasets_reconcile(s, msg);
	if (err)
		goto out;
	err = nonce_cache_new(NONCE_CACHE_MAX, &s->nonces);
	if (err) {
		dcr_msg_set(msg, "out of memory");
		goto out;
	}
	err = listen_http(s, o->listen, ai, host, msg);
out:
	freeaddrinfo(ai);
	if (err) {
		server_free(s);
		return err;
	}
	*out = s;
	return DCR_OK;
}

const char *dcr_server_url(const struct dcr_server *s)
{
	return s->url;
}

const struct dcr_contract *dcr_server_contract(const struct dcr_server *s)
{
	return s->contract;
}

void dcr_server_stop(struct dcr_server *s)
{
	double deadline;
	MHD_socket fd;

	if (!s)
		return;
	/* no new connections; requests under way may finish */
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	deadline = server_now() + (s->opts.timeout ? s->opts.timeout : 60);
	while (atomic_load(&s->in_flight) > 0 && server_now() < deadline) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		nanosleep(&ts, NULL);
	}
	if (atomic_load(&s->in_flight) > 0)
		dcr_log_warn("stopping with %ld request(s) unfinished", atomic_load(&s->in_flight));
	server_free(s);
}
