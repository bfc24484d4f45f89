/* SPDX-License-Identifier: Apache-2.0 */
/* proto: the wire formats the server and the clients share (docs/API.md):
 * request signatures, receipts, audit entry signatures and chains. */
#ifndef DCR_PROTO_H
#define DCR_PROTO_H

#include "dcr/crypto.h"
#include "dcr/util.h"

#define DCR_HEADER_PARTY "X-Dcr-Party"
#define DCR_HEADER_TIMESTAMP "X-Dcr-Timestamp"
#define DCR_HEADER_NONCE "X-Dcr-Nonce"
#define DCR_HEADER_SIGNATURE "X-Dcr-Signature"
#define DCR_ENVELOPE_MEDIA_TYPE "application/vnd.dcr.envelope"

#define DCR_REQUEST_MAX_SKEW 300   /* seconds a timestamp may be off */
#define DCR_NONCE_WINDOW 600       /* seconds a nonce is remembered */
#define DCR_NONCE_HEX_SIZE 33      /* 32 hex digits and a NUL */
#define DCR_SIGNATURE_B64_SIZE DCR_B64_SIZE(DCR_SIGNATURE_SIZE) /* 88 + NUL */

/* ---- request signatures ------------------------------------------------ */

/* A fresh random nonce as 32 lowercase hex digits. */
void dcr_proto_nonce(char out[static DCR_NONCE_HEX_SIZE]);

/* Signs a request: out gets the base64 signature for the headers. path is
 * the request target as sent; body_sha256 the SHA-256 of the body bytes. */
enum dcr_err dcr_proto_sign_request(const struct dcr_seckey *key, const char *method,
                                    const char *path, int64_t timestamp, const char *nonce,
                                    const uint8_t body_sha256[static 32],
                                    char out[static DCR_SIGNATURE_B64_SIZE]) DCR_WUR;

/* Checks a request's signature by pk over the same fields (timestamp as the
 * header text). DCR_ERR_VERIFY when it does not verify or is malformed.
 * Freshness and nonce reuse are the server's to check. */
enum dcr_err dcr_proto_verify_request(const struct dcr_pubkey *pk, const char *method,
                                      const char *path, const char *timestamp,
                                      const char *nonce, const uint8_t body_sha256[static 32],
                                      const char *signature_b64) DCR_WUR;

/* ---- receipts ------------------------------------------------------------ */

struct dcr_receipt_dataset {
	const char *name;
	uint8_t content_hash[32];
	uint64_t rows;
};

/* What a signed answer says about how it was made. */
struct dcr_receipt {
	uint8_t contract_hash[32];
	const char *tee;                  /* "sim", "sgx", ... */
	uint8_t measurement[64];
	size_t measurement_size;
	const char *analyst;
	int64_t time;
	uint8_t query_hash[32];           /* SHA-256 of the SQL text run */
	const struct dcr_receipt_dataset *datasets;
	size_t dataset_count;
	uint8_t result_hash[32];          /* SHA-256 of the result's CSV bytes */
	uint64_t audit_seq;
	/* differential privacy: epsilon > 0 adds "epsilon: E" and noise_lines
	 * (each "noise: <column> <mechanism> ...\n", from the privacy layer)
	 * before the result line */
	double epsilon;
	const char *noise_lines;
};

/* The receipt text of docs/API.md, appended to out. */
enum dcr_err dcr_receipt_format(const struct dcr_receipt *r, struct dcr_buf *out) DCR_WUR;
/* The clean room's signature of a receipt text. */
void dcr_receipt_sign(const struct dcr_seckey *room, const char *text, size_t len,
                      char out[static DCR_SIGNATURE_B64_SIZE]);
/* Verifies a receipt: its signature by room, that it names contract_hash,
 * and that its result line is result_hash. DCR_ERR_VERIFY naming what is
 * wrong. */
enum dcr_err dcr_receipt_check(const char *text, size_t len, const char *signature_b64,
                               const struct dcr_pubkey *room,
                               const uint8_t contract_hash[static 32],
                               const uint8_t result_hash[static 32],
                               struct dcr_msg *msg) DCR_WUR;

/* ---- audit entries --------------------------------------------------------- */

/* The clean room's signature of an audit entry text: over "dcr audit v1\n"
 * followed by the SHA-256 of the text. */
void dcr_audit_sign(const struct dcr_seckey *room, const char *text, size_t len,
                    char out[static DCR_SIGNATURE_B64_SIZE]);

/* Verifies a whole log: every signature by room, seq counting up from 1,
 * each entry's "prev" the hex SHA-256 of the previous text (64 zeros for
 * the first), and the first entry a "start" naming contract_hash (NULL: not
 * checked). DCR_ERR_VERIFY naming the first bad entry. */
enum dcr_err dcr_audit_verify_chain(const char *const *texts, const size_t *lens,
                                    const char *const *signatures, size_t count,
                                    const struct dcr_pubkey *room,
                                    const uint8_t *contract_hash, struct dcr_msg *msg) DCR_WUR;

#endif
