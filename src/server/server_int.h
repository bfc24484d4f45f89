/* SPDX-License-Identifier: Apache-2.0 */
/* server module internals: the clean room's state, one request's state, and
 * the pieces that server.c wires to libmicrohttpd. */
#ifndef DCR_SERVER_INT_H
#define DCR_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>
#include <microhttpd.h>

#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/crypto.h"
#include "dcr/engine.h"
#include "dcr/proto.h"
#include "dcr/server.h"
#include "dcr/store.h"

/* The endpoints, for routing, roles and metrics labels. */
enum server_endpoint {
	EP_HEALTH,
	EP_ATTESTATION,
	EP_CONTRACT,
	EP_METRICS,
	EP_DATASETS,
	EP_QUERIES,
	EP_AUDIT,
	EP_BUDGET,
	EP_OTHER,      /* unknown paths and methods */
	EP_COUNT
};

/* ---- metrics (metrics.c) ------------------------------------------------ */

#define METRICS_CODES 12       /* status codes counted one by one (+ "other") */
#define METRICS_BUCKETS 10     /* query latency histogram buckets (+Inf apart) */

enum query_outcome { QUERY_ANSWERED, QUERY_REFUSED, QUERY_FAILED, QUERY_OUTCOMES };

struct server_metrics {
	_Atomic uint64_t requests[EP_COUNT][METRICS_CODES + 1];
	_Atomic uint64_t uploads, upload_rows, upload_bytes;
	_Atomic uint64_t queries[QUERY_OUTCOMES];
	_Atomic uint64_t query_buckets[METRICS_BUCKETS + 1]; /* last: +Inf */
	_Atomic uint64_t query_micros;                       /* the histogram's sum */
};

void server_metrics_request(struct server_metrics *m, enum server_endpoint ep, int status);
void server_metrics_query(struct server_metrics *m, enum query_outcome o, double seconds);
/* The Prometheus text of GET /metrics, appended to out. */
enum dcr_err server_metrics_format(struct server_metrics *m, struct dcr_buf *out) DCR_WUR;
const char *server_endpoint_name(enum server_endpoint ep);

/* ---- nonces (auth.c) ---------------------------------------------------- */

/* Nonces seen in the last DCR_NONCE_WINDOW seconds, per party; bounded,
 * thread-safe. */
struct nonce_cache;

enum dcr_err nonce_cache_new(size_t max_entries, struct nonce_cache **out) DCR_WUR;
void nonce_cache_free(struct nonce_cache *nc);
/* DCR_OK and remembers it when (party, nonce) is new; DCR_ERR_EXISTS when
 * it was seen within the window; DCR_ERR_TOO_BIG when the cache is full. */
enum dcr_err nonce_cache_reserve(struct nonce_cache *nc, size_t party,
                                 const uint8_t nonce[static 16], double now) DCR_WUR;
/* Forgets a reservation (its request's signature did not verify). */
void nonce_cache_release(struct nonce_cache *nc, size_t party, const uint8_t nonce[static 16]);

/* ---- the clean room ---------------------------------------------------- */

/* One dataset of the contract: its schema and, once uploaded, its table. */
struct server_dataset {
	const struct dcr_dataset *def;      /* the contract's */
	struct dcr_csv_column *schema;      /* def's columns for the CSV reader */
	struct dcr_csv_options csv;         /* points at schema */
	char *path;                         /* DIR/datasets/<name>.sealed */
	char *label;                        /* "dataset <name>" */
	/* under catalog_lock: */
	struct dcr_table *table;            /* NULL until uploaded */
	uint8_t content_hash[DCR_SHA256_SIZE]; /* SHA-256 of the CSV plaintext */
	uint64_t rows;
	uint64_t bytes;                     /* of the CSV plaintext */
};

struct dcr_server {
	struct dcr_server_options opts;
	char *data_dir;
	int dir_fd;                         /* open and flock()ed while serving */
	struct dcr_buf contract_text;       /* the file as loaded (GET /v1/contract) */
	struct dcr_contract *contract;
	char contract_hex[65];
	const struct dcr_attest_ops *tee;
	uint8_t seal_key[DCR_SEAL_KEY_SIZE];
	struct dcr_seckey *room;
	struct dcr_pubkey room_pub;
	uint8_t measurement[DCR_TEE_VALUE_MAX]; /* primary measurement of the evidence */
	size_t measurement_size;
	char *health_json;                  /* precomputed clear answers */
	char *attestation_json;
	struct dcr_audit *audit;
	struct server_dataset *datasets;    /* one per contract dataset, same order */
	size_t dataset_count;
	pthread_rwlock_t catalog_lock;      /* tables: queries read, uploads swap */
	pthread_mutex_t commit_lock;        /* one upload commits at a time */
	struct nonce_cache *nonces;
	pthread_mutex_t ledger_lock;        /* DP: spends are checked and made under it */
	uint64_t *spent;                    /* DP: per party, in 1e-9 epsilon (ledger.c) */
	bool ledger_ready;
	bool fault_after_debit;             /* DCR_FAULT=after-debit (tests) */
	struct server_metrics metrics;
	struct MHD_Daemon *mhd;
	_Atomic long in_flight;             /* requests begun and not completed */
	char url[96];
};

/* ---- one request ------------------------------------------------------- */

struct server_upload;

struct server_request {
	struct dcr_server *s;
	char *target;                 /* request target as sent (path and query) */
	const char *method;           /* MHD's, valid until the request completes */
	enum server_endpoint ep;
	double started;               /* monotonic seconds */
	int status;                   /* of the answer, for the log and metrics */
	bool routed;                  /* the first handler call has happened */
	bool cut;                     /* the body went past its cap unannounced */
	/* signed requests */
	const struct dcr_party *party;
	size_t party_index;
	char timestamp[24];
	uint8_t nonce[16];
	char nonce_hex[DCR_NONCE_HEX_SIZE];
	bool nonce_reserved;
	struct dcr_sha256_ctx body_sha;
	uint64_t body_size;
	uint64_t body_max;
	/* the first error met while the body streamed: answered at its end */
	int fail_status;
	struct dcr_msg fail_msg;
	/* per endpoint */
	struct dcr_buf body;          /* queries: the body, capped */
	struct server_dataset *dataset; /* PUT /v1/datasets/{name} */
	struct server_upload *upload;
};

/* Monotonic seconds. */
double server_now(void);

/* Answers: each queues the response and returns MHD's verdict; status is
 * recorded in r. */
enum MHD_Result server_answer(struct MHD_Connection *c, struct server_request *r, int status,
                              const char *content_type, void *data, size_t size, bool owned);
enum MHD_Result server_answer_error(struct MHD_Connection *c, struct server_request *r,
                                    int status, const char *fmt, ...) DCR_PRINTF(4, 5);
/* Seals text (JSON) to the requesting party and answers 200 with it. */
enum MHD_Result server_answer_sealed(struct MHD_Connection *c, struct server_request *r,
                                     const char *text, size_t size);

/* ---- auth.c ------------------------------------------------------------ */

/* Checks a signed request's headers before its body is read: a party of the
 * contract, a fresh timestamp, a well-formed nonce. 0 when they hold, else
 * the status (401) with msg. The nonce is not reserved yet. */
int server_auth_headers(struct dcr_server *s, struct MHD_Connection *c, struct server_request *r,
                        struct dcr_msg *msg);
/* Reserves the nonce (401 when reused, 503 when the cache is full). */
int server_auth_reserve(struct dcr_server *s, struct server_request *r, struct dcr_msg *msg);
/* Once the body has arrived: the signature (header, or trailer for a
 * chunked body) over the request and the body's hash. 0 or 401 with msg;
 * a failure releases the nonce. */
int server_auth_finish(struct dcr_server *s, struct MHD_Connection *c, struct server_request *r,
                       struct dcr_msg *msg);

/* ---- datasets.c -------------------------------------------------------- */

/* Builds s->datasets from the contract (paths under DIR/datasets). */
enum dcr_err server_datasets_init(struct dcr_server *s, struct dcr_msg *msg) DCR_WUR;
/* Loads every stored dataset; one that cannot be read is logged and left
 * absent. */
void server_datasets_load(struct dcr_server *s);
/* Checks that the audit log starts as this contract's clean room
 * (DCR_ERR_VERIFY), and records recovered uploads: a stored dataset that is
 * not the version the log last names (a crash between its commit and its
 * audit entry, or an older file put back). */
enum dcr_err server_datasets_reconcile(struct dcr_server *s, struct dcr_msg *msg) DCR_WUR;
void server_datasets_free(struct dcr_server *s);
struct server_dataset *server_dataset_find(struct dcr_server *s, const char *name);

/* PUT /v1/datasets/{name}: after the headers checked out. 0 or a status. */
int server_upload_begin(struct dcr_server *s, struct server_request *r, struct dcr_msg *msg);
/* A piece of the body (already hashed for the signature). */
void server_upload_data(struct server_request *r, const uint8_t *data, size_t size);
/* The body has arrived and its signature verified: finish, commit, answer. */
enum MHD_Result server_upload_end(struct MHD_Connection *c, struct server_request *r);
void server_upload_free(struct server_upload *u);

/* ---- query.c ----------------------------------------------------------- */

enum MHD_Result server_query_end(struct MHD_Connection *c, struct server_request *r);
enum MHD_Result server_audit_answer(struct MHD_Connection *c, struct server_request *r);
enum MHD_Result server_budget_answer(struct MHD_Connection *c, struct server_request *r);

/* ---- ledger.c: the epsilon ledger (DP contracts) ------------------------ */

enum dcr_err server_ledger_init(struct dcr_server *s) DCR_WUR;
void server_ledger_free(struct dcr_server *s);
/* Counts entry (a parsed audit entry) if it is a debit. */
void server_ledger_replay(struct dcr_server *s, json_t *entry);
/* What r's party has spent and has left. */
void server_ledger_get(struct dcr_server *s, size_t party, double *out_spent,
                       double *out_remaining);
/* Spends eps for r's party, as an audit entry that names the query: 0, 422
 * (msg: the rule and the remainder) when it would overspend, 500. */
int server_ledger_debit(struct dcr_server *s, struct server_request *r, double eps,
                        const char *sql, size_t len, uint64_t *out_seq, struct dcr_msg *msg);

/* Appends an audit entry made of fields (a JSON object, stolen); 0 or 500
 * with msg. */
int server_audit_append(struct dcr_server *s, json_t *fields, uint64_t *out_seq,
                        struct dcr_msg *msg);

#endif
