/* SPDX-License-Identifier: Apache-2.0 */
/* client: what a party's own machine does with a clean room — verify the
 * room's evidence against the contract every party signed, then upload,
 * query and audit over the HTTP API of docs/API.md (libcurl). */
#ifndef DCR_CLIENT_H
#define DCR_CLIENT_H

#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/engine.h"
#include "dcr/proto.h"

/* The attestation policy a contract sets: its accepted TEE kinds and pinned
 * measurements, and report_data (64 bytes, or NULL for unchecked). The
 * policy points into c and report_data; it lives no longer than they do. */
void dcr_client_policy(const struct dcr_contract *c, const uint8_t *report_data,
                       struct dcr_attest_policy *out);

/* Verifies evidence of kind tee from a clean room that claims the public
 * keys room, against contract c: the kind is accepted, the evidence verifies
 * (opts may be NULL), its measurements match the contract's pins, and its
 * report data binds c's hash and room's keys (dcr_attest_report_data).
 * DCR_ERR_VERIFY with msg naming the failed step; DCR_ERR_UNSUPPORTED when
 * this build has no verifier for tee. On success *out (optional) gets the
 * claims. */
enum dcr_err dcr_client_check_evidence(const struct dcr_contract *c, enum dcr_tee tee,
                                       const uint8_t *evidence, size_t size,
                                       const struct dcr_pubkey *room,
                                       const struct dcr_attest_verify_opts *opts,
                                       struct dcr_attest_claims *out,
                                       struct dcr_msg *msg) DCR_WUR;

/* ---- the id rewriter: a party's CSV made ready for upload --------------- */

/* Streams a dataset's CSV file (RFC 4180, docs/SQL.md "CSV input") and
 * writes it back with each id field replaced by the lowercase hex SHA-256 of
 * its normalised value (dcr_id_normalize with the contract's kind). Every
 * other field is copied byte for byte, records end in LF, a BOM is dropped,
 * empty lines are skipped, and a row whose id is empty (or only spaces) is
 * left out and counted. The header must name exactly the dataset's columns
 * (any order, case-insensitively). Memory is bounded by the options, not by
 * the file's size. */
struct dcr_id_rewriter;

struct dcr_id_rewriter_options {
	size_t max_field_size;    /* bytes of one field; 0: 1 MiB (the clean room's limit) */
	size_t max_record_size;   /* bytes of one rewritten record; 0: 16 MiB */
};

struct dcr_id_rewriter_stats {
	uint64_t rows;             /* data rows written, each with an id */
	uint64_t skipped_empty;    /* rows left out because their id is empty */
	uint64_t ids_hashed;       /* ids normalised and hashed here */
	uint64_t ids_given_hashed; /* ids that arrived as 64 hex digits */
	uint64_t distinct_ids;     /* estimated distinct ids written (HyperLogLog, ~1%) */
	uint64_t bytes_in;         /* bytes of input taken */
	uint64_t bytes_out;        /* bytes handed to the sink */
	uint8_t content_hash[32];  /* SHA-256 of every byte written; after finish */
};

/* Starts a rewriter for dataset ds (which must outlive it); opts may be
 * NULL. sink gets the output, in pieces of whole records. */
enum dcr_err dcr_id_rewriter_new(const struct dcr_dataset *ds,
                                 const struct dcr_id_rewriter_options *opts, dcr_sink_fn sink,
                                 void *sink_ctx, struct dcr_id_rewriter **out) DCR_WUR;
/* Feeds the next size bytes of the file, in pieces of any size: the output
 * is the same however the file is cut. DCR_ERR_INVALID with msg naming the
 * line (and column) for a malformed file, a header that does not match, an
 * id that cannot be normalised; DCR_ERR_TOO_BIG for a field or record over
 * the limits; a sink's error as it is. Errors are final. */
enum dcr_err dcr_id_rewriter_write(struct dcr_id_rewriter *r, const void *data, size_t size,
                                   struct dcr_msg *msg) DCR_WUR;
/* True once the header row has been read and checked. */
bool dcr_id_rewriter_header_done(const struct dcr_id_rewriter *r);
/* Ends the file: the last record (a final line break is optional), then
 * the content hash. DCR_ERR_INVALID for an unclosed quote or a file with
 * no header row. */
enum dcr_err dcr_id_rewriter_finish(struct dcr_id_rewriter *r, struct dcr_msg *msg) DCR_WUR;
void dcr_id_rewriter_stats(const struct dcr_id_rewriter *r, struct dcr_id_rewriter_stats *out);
void dcr_id_rewriter_free(struct dcr_id_rewriter *r);

/* ---- talking to a clean room (docs/API.md) ---------------------------- */

struct dcr_client;

struct dcr_client_options {
	long connect_timeout;      /* seconds to connect; 0: 10 */
	long idle_timeout;         /* seconds with no byte moving before giving up; 0: 300 */
};

/* Starts a client of the clean room at url ("http://host:port", https
 * too; a bare "host:port" means http; no path) under contract c, which the
 * caller has verified (dcr_contract_verify) and which outlives the client.
 * key (NULL for attestation only) signs requests and opens answers: it must
 * be a party's of c (DCR_ERR_VERIFY otherwise); it must outlive the client.
 * DCR_ERR_USAGE for a url that is not one. opts may be NULL. */
enum dcr_err dcr_client_new(const char *url, const struct dcr_contract *c,
                            const struct dcr_seckey *key, const struct dcr_client_options *opts,
                            struct dcr_client **out, struct dcr_msg *msg) DCR_WUR;
void dcr_client_free(struct dcr_client *cl);
/* The party whose key the client holds, or NULL. */
const struct dcr_party *dcr_client_party(const struct dcr_client *cl);

/* What attestation established about the clean room. */
struct dcr_room {
	enum dcr_tee tee;
	struct dcr_pubkey key;             /* the room's keys: trusted from now on */
	struct dcr_attest_claims claims;   /* the verified evidence's claims */
	char url[512];                     /* whom we talked to */
};

/* GET /v1/attestation, then: the served contract hash is c's, the served
 * key parses, and the evidence verifies against c for that key
 * (dcr_client_check_evidence). Only then does the client trust the key;
 * every other call below needs this first. DCR_ERR_IO (network),
 * DCR_ERR_VERIFY with msg naming the failed step, DCR_ERR_UNSUPPORTED. */
enum dcr_err dcr_client_attest(struct dcr_client *cl, struct dcr_room *out,
                               struct dcr_msg *msg) DCR_WUR;

/* Errors from the clean room's answers map to: 400 DCR_ERR_INVALID (for a
 * query, DCR_ERR_SQL), 401 DCR_ERR_VERIFY, 403 and 422 DCR_ERR_REFUSED, 404
 * DCR_ERR_NOT_FOUND, 413 DCR_ERR_TOO_BIG, others DCR_ERR_IO; msg quotes the
 * room's {"error"}. An answer that does not open or parse is DCR_ERR_VERIFY. */

/* Called as input is read: bytes so far and in total (0: unknown). */
typedef void (*dcr_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* The clean room's answer to an upload. */
struct dcr_upload_answer {
	uint64_t rows;                     /* rows it stored */
	uint64_t bytes;                    /* bytes of CSV it stored */
	uint64_t audit_seq;                /* its audit entry */
	uint8_t content_hash[32];          /* SHA-256 of the CSV it stored */
	uint64_t bytes_sent;               /* envelope bytes this side sent */
};

/* PUT /v1/datasets/NAME: reads the CSV from fd to its end, rewrites its ids
 * (dcr_id_rewriter), seals it to the room and streams it, signed by a
 * trailer, with memory independent of the file's size. The header row is
 * checked before anything is sent; a later error aborts the transfer before
 * the envelope's final chunk, so the room stores nothing. Checks that the
 * room's rows and content hash are what was sent (DCR_ERR_VERIFY). total is
 * the file's size for progress (0: unknown); progress may be NULL.
 * out_stats (optional) gets the rewriter's counts, also after a failure. */
enum dcr_err dcr_client_upload(struct dcr_client *cl, const char *dataset, int fd,
                               uint64_t total, dcr_progress_fn progress, void *progress_ctx,
                               struct dcr_id_rewriter_stats *out_stats,
                               struct dcr_upload_answer *out, struct dcr_msg *msg) DCR_WUR;

/* The noise on one column of a differentially private answer, from its
 * signed receipt. */
struct dcr_answer_noise {
	size_t column;
	char mechanism[24];                /* "discrete-laplace", "discrete-gaussian" */
	double scale;                      /* of the value; AVG: of its sum */
	double ci95;                       /* half-width of a 95 % interval; 0: none given */
};

/* A verified query answer. */
struct dcr_query_answer {
	struct dcr_buf csv;                /* the result as the room sent it */
	struct dcr_buf receipt;            /* the receipt text, signed */
	char signature[DCR_SIGNATURE_B64_SIZE];
	struct dcr_csv_column *columns;    /* names owned here */
	size_t column_count;
	uint64_t audit_seq;                /* from the receipt */
	double epsilon;                    /* DP: spent on this answer (receipt); 0: exact */
	struct dcr_answer_noise *noise;    /* DP: the noisy columns */
	size_t noise_count;
	bool with_ci;                      /* set before formatting: add <col>_ci95 columns */
};

/* Inputs for verifying the room's evidence (each may be NULL): the SNP
 * chip's VCEK (DER) and DCAP collateral JSON (docs/ATTESTATION.md); fetch:
 * an SNP report that carries no VCEK gets one from AMD KDS ($DCR_KDS_URL),
 * cached under $XDG_CACHE_HOME/dcr. Call before dcr_client_attest. */
enum dcr_err dcr_client_set_evidence_inputs(struct dcr_client *cl, const char *vcek_path,
                                            const char *collateral_path, bool fetch,
                                            struct dcr_msg *msg) DCR_WUR;

/* Differential privacy: the epsilon the next queries ask to spend (0: the
 * contract's epsilon_per_query). */
void dcr_client_set_epsilon(struct dcr_client *cl, double epsilon);

/* POST /v1/queries with sql or the named query name (exactly one non-NULL),
 * then checks the receipt (dcr_receipt_check: the room's signature, this
 * contract, the result's hash; and that it names this analyst, this query
 * and the attested TEE kind) before returning anything. *out is empty on
 * error; free it with dcr_query_answer_free. */
enum dcr_err dcr_client_query(struct dcr_client *cl, const char *sql, const char *name,
                              struct dcr_query_answer *out, struct dcr_msg *msg) DCR_WUR;
void dcr_query_answer_free(struct dcr_query_answer *a);
/* The answer's result in format (csv: the csv field as is), appended to out. */
enum dcr_err dcr_query_answer_format(const struct dcr_query_answer *a, enum dcr_format format,
                                     struct dcr_buf *out, struct dcr_msg *msg) DCR_WUR;
/* What --receipt saves: the receipt text and a line "signature: <b64>". */
enum dcr_err dcr_query_answer_receipt(const struct dcr_query_answer *a,
                                      struct dcr_buf *out) DCR_WUR;

/* A verified audit log. */
struct dcr_audit_entry {
	char *text;                        /* the entry's JSON, as signed */
	size_t len;
	char signature[DCR_SIGNATURE_B64_SIZE];
};
struct dcr_audit_log {
	struct dcr_audit_entry *entries;
	size_t count;
};

/* GET /v1/audit, then dcr_audit_verify_chain with the room's key and c's
 * hash: DCR_ERR_VERIFY naming the first bad entry. Free with
 * dcr_audit_log_free (also after an error). */
enum dcr_err dcr_client_audit(struct dcr_client *cl, struct dcr_audit_log *out,
                              struct dcr_msg *msg) DCR_WUR;
void dcr_audit_log_free(struct dcr_audit_log *log);

/* An analyst's privacy budget. */
struct dcr_budget {
	bool dp;                           /* false: the contract has no rules.dp */
	double epsilon_total, epsilon_spent, epsilon_remaining;
};

/* GET /v1/budget. */
enum dcr_err dcr_client_budget(struct dcr_client *cl, struct dcr_budget *out,
                               struct dcr_msg *msg) DCR_WUR;

#endif
