/* SPDX-License-Identifier: Apache-2.0 */
/* client: what stays inside the module — the HTTP layer under the public
 * calls, and the parsers of the clean room's answers (apart, for tests). */
#ifndef DCR_CLIENT_INT_H
#define DCR_CLIENT_INT_H

#include <curl/curl.h>

#include "dcr/client.h"

#define CLIENT_URL_SIZE 512

struct dcr_client {
	CURL *curl;                        /* one handle: connections are reused */
	char base[CLIENT_URL_SIZE];        /* "scheme://host[:port]", no slash */
	const struct dcr_contract *contract;
	const struct dcr_seckey *key;      /* NULL: attestation only */
	const struct dcr_party *party;     /* key's party in contract */
	long connect_timeout, idle_timeout;
	bool attested;                     /* room is trusted */
	double epsilon;                    /* DP: asked for per query; 0: the default */
	struct dcr_buf vcek;               /* SNP: the VCEK to verify with (empty: none) */
	struct dcr_buf collateral;         /* SGX/TDX: DCAP collateral JSON (empty: none) */
	bool fetch;                        /* SNP: ask AMD KDS when the evidence lacks a VCEK */
	struct dcr_room room;
	char errbuf[CURL_ERROR_SIZE];
};

/* One request to the clean room. */
struct client_request {
	const char *method;                /* "GET" or "POST" */
	const char *path;                  /* "/v1/..." as sent and signed */
	const void *body;                  /* POST: the bytes sent */
	size_t body_size;
	bool sign;                         /* add the party's signature headers */
	size_t max_answer;                 /* bytes of answer accepted */
	const char *what;                  /* "the query", for messages */
	bool sql;                          /* a 400 is an SQL error */
};

/* Its answer, when HTTP itself worked. */
struct client_answer {
	long status;
	struct dcr_buf body;
	bool too_big;                      /* over max_answer: cut off */
};

/* Sets the options every request shares on cl->curl, for url path; *headers
 * gets the signed headers (timestamp and nonce; the signature itself when
 * body_hash is not NULL) when cl has a key and sign is true. */
enum dcr_err client_http_setup(struct dcr_client *cl, const char *method, const char *path,
                               bool sign, const uint8_t *body_hash, int64_t *out_timestamp,
                               char out_nonce[static DCR_NONCE_HEX_SIZE],
                               struct client_answer *ans, struct curl_slist **headers,
                               struct dcr_msg *msg) DCR_WUR;
/* curl_easy_perform with the answer collected; maps curl's failures to
 * DCR_ERR_IO (or DCR_ERR_TOO_BIG) with a message naming the server. */
enum dcr_err client_http_perform(struct dcr_client *cl, const char *what,
                                 struct client_answer *ans, struct dcr_msg *msg) DCR_WUR;
/* Does rq and collects the answer (any status). ans is initialised here
 * and freed by the caller with dcr_buf_free(&ans->body). */
enum dcr_err client_http(struct dcr_client *cl, const struct client_request *rq,
                         struct client_answer *ans, struct dcr_msg *msg) DCR_WUR;
/* The error for a non-2xx answer: its status mapped (dcr/client.h) and
 * the room's {"error"} quoted, control characters removed. */
enum dcr_err client_answer_error(const struct client_answer *ans, const char *what, bool sql,
                                 struct dcr_msg *msg);
/* Opens a 2xx answer to a signed request: an envelope to cl's key, holding
 * JSON. *out (a json_t *) is the parsed object; DCR_ERR_VERIFY otherwise. */
enum dcr_err client_open_answer(struct dcr_client *cl, const struct client_answer *ans,
                                const char *what, void **out, struct dcr_msg *msg) DCR_WUR;

/* Parsers of the room's answers, apart from HTTP for the tests. */
/* One GET of url on curl (reset first): the body appended to body, *status
 * the HTTP status, and (when header_value is not NULL) the URL-decoded value
 * of header, malloc'd, or NULL. DCR_ERR_IO with libcurl's reason in msg. */
enum dcr_err client_get(CURL *curl, const char *url, const char *header, char **header_value,
                        struct dcr_buf *body, long *status, struct dcr_msg *msg) DCR_WUR;
/* $XDG_CACHE_HOME/dcr/name (or ~/.cache/dcr/name) into out, the directory
 * created (0700); false when there is no such place. */
bool client_cache_path(const char *name, char *out, size_t size);

/* SNP: the VCEK for report (from the cache, else AMD KDS at $DCR_KDS_URL),
 * into out. DCR_ERR_IO (network), DCR_ERR_NOT_FOUND (no VCEK there). */
enum dcr_err client_vcek_fetch(const uint8_t *report, size_t size, struct dcr_buf *out,
                               struct dcr_msg *msg) DCR_WUR;
/* SGX/TDX: DCAP collateral for fmspc (12 hex digits) and the PCK CA
 * ("processor" or "platform") from the cache while Intel's nextUpdate has
 * not passed, else Intel PCS ($DCR_PCS_URL, the root CA CRL from
 * $DCR_INTEL_ROOT_CRL_URL), into out, in the collateral file's layout. */
enum dcr_err client_collateral_fetch(enum dcr_tee tee, const char *fmspc, const char *pck_ca,
                                     struct dcr_buf *out, struct dcr_msg *msg) DCR_WUR;

/* opts (may be NULL): VCEK and collateral for the verifier; fetch: an SNP
 * report without a VCEK gets one from client_vcek_fetch. */
enum dcr_err client_attestation_check(const struct dcr_contract *c, const char *json,
                                      size_t len, const struct dcr_attest_verify_opts *opts,
                                      bool fetch, struct dcr_room *out,
                                      struct dcr_msg *msg) DCR_WUR;
/* sql_run: the SQL text the receipt must name (the named query's). */
enum dcr_err client_query_answer_parse(const struct dcr_contract *c, const struct dcr_room *room,
                                       const char *analyst, const char *sql_run,
                                       double want_epsilon,
                                       const void *json, struct dcr_query_answer *out,
                                       struct dcr_msg *msg) DCR_WUR;
enum dcr_err client_audit_parse(const struct dcr_contract *c, const struct dcr_room *room,
                                const void *json, struct dcr_audit_log *out,
                                struct dcr_msg *msg) DCR_WUR;

/* Bytes the rewriter's buffers hold now (for the flat-memory test). */
size_t client_rewriter_memory(const struct dcr_id_rewriter *r);

#endif
