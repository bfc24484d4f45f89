/* SPDX-License-Identifier: Apache-2.0 */
/* contract: the JSON document every party signs — parse, validate, canonical
 * hash, sign, verify. Format: ../shared/DESIGN.md and docs/CONTRACT.md. */
#ifndef DCR_CONTRACT_H
#define DCR_CONTRACT_H

#include "dcr/crypto.h"
#include "dcr/util.h"

#define DCR_CONTRACT_MAX_SIZE (1u << 20) /* bytes of JSON */
#define DCR_CONTRACT_HASH_SIZE 32        /* SHA-256 of the canonical form */

/* Limits a contract must stay within (docs/CONTRACT.md). */
#define DCR_CONTRACT_MAX_PARTIES 64
#define DCR_CONTRACT_MAX_DATASETS 256
#define DCR_CONTRACT_MAX_COLUMNS 1024 /* per dataset */
#define DCR_CONTRACT_MAX_JOINS 1024
#define DCR_CONTRACT_MAX_QUERIES 1024
#define DCR_CONTRACT_MAX_STRING 4096  /* bytes of any string but a query's SQL */
#define DCR_CONTRACT_MAX_SQL 65536    /* bytes of a named query's SQL */

enum dcr_col_type { DCR_COL_ID, DCR_COL_STRING, DCR_COL_INT, DCR_COL_FLOAT, DCR_COL_DATE };

enum dcr_col_role { DCR_ROLE_ID, DCR_ROLE_DIMENSION, DCR_ROLE_METRIC, DCR_ROLE_HIDDEN };


/* Party roles (bit set). */
#define DCR_PARTY_CONTRIBUTOR 1u
#define DCR_PARTY_ANALYST 2u
#define DCR_PARTY_RESULT_RECIPIENT 4u

/* Aggregates the rules allow (bit set). */
#define DCR_AGG_COUNT 1u
#define DCR_AGG_COUNT_DISTINCT 2u
#define DCR_AGG_SUM 4u
#define DCR_AGG_AVG 8u
#define DCR_AGG_MIN 16u
#define DCR_AGG_MAX 32u

struct dcr_party {
	char *name;                               /* unique (case-insensitively) */
	struct dcr_pubkey key;                    /* from "public_key" */
	unsigned roles;                           /* DCR_PARTY_* */
	bool has_signature;                       /* "signatures" has an entry */
	uint8_t signature[DCR_SIGNATURE_SIZE];    /* that entry, decoded */
};

struct dcr_contract_column {
	char *name;                 /* SQL identifier, unique in its dataset */
	enum dcr_col_type type;
	enum dcr_col_role role;     /* DCR_ROLE_ID exactly when type is DCR_COL_ID */
	enum dcr_normalize normalize; /* id columns only */
	bool has_bounds;            /* metrics always have bounds */
	double lo, hi;              /* clamping bounds, lo <= hi */
};

struct dcr_dataset {
	char *name;                 /* SQL identifier, unique */
	size_t owner;               /* index into parties; a contributor */
	struct dcr_contract_column *columns;
	size_t column_count;
	size_t id_column;           /* index of the one id column */
};

/* An allowed join: two id columns of different datasets. */
struct dcr_contract_join {
	size_t left_dataset, left_column;
	size_t right_dataset, right_column;
};

struct dcr_dp {
	double epsilon_per_analyst; /* total budget per analyst */
	double epsilon_per_query;   /* default spent per query */
	double delta;
	int64_t max_rows_per_id;
	bool gaussian;              /* "mechanism": "gaussian"; default discrete Laplace */
};

struct dcr_named_query {
	char *name;
	char *sql;
};

struct dcr_contract {
	char *id;
	int64_t expires;            /* Unix seconds */
	struct dcr_party *parties;
	size_t party_count;
	struct dcr_dataset *datasets;
	size_t dataset_count;
	int64_t min_distinct_ids;   /* k */
	struct dcr_contract_join *joins;
	size_t join_count;
	unsigned aggregates;        /* DCR_AGG_* */
	bool has_dp;
	struct dcr_dp dp;
	struct dcr_named_query *queries; /* when query_count > 0 only these run */
	size_t query_count;
	unsigned tee_accept;        /* DCR_TEE_BIT(kind) for each accepted kind */
	struct dcr_tee_pin *pins;   /* tee.measurements */
	size_t pin_count;
	uint8_t hash[DCR_CONTRACT_HASH_SIZE]; /* SHA-256 of the canonical form */
	void *json;                 /* the parsed document (json_t *), owned */
};

/* Flags for dcr_contract_parse. */
#define DCR_CONTRACT_ALLOW_EXPIRED 1u /* for show/hash of an old contract */

/* Parses and validates a contract of size bytes. now (Unix seconds) is
 * compared with "expires" (DCR_ERR_EXPIRED unless ALLOW_EXPIRED; checked
 * only once the rest is valid). Signatures are decoded but not checked (see
 * dcr_contract_verify). DCR_ERR_INVALID with msg naming the field
 * ("parties[1].name: ..."), DCR_ERR_UNSUPPORTED for a "dcr_contract" version
 * other than 1, DCR_ERR_TOO_BIG past DCR_CONTRACT_MAX_SIZE.
 * *out is owned by the caller (dcr_contract_free); NULL on error. */
enum dcr_err dcr_contract_parse(const char *text, size_t size, int64_t now, unsigned flags,
                                struct dcr_contract **out, struct dcr_msg *msg) DCR_WUR;
/* Reads path (at most DCR_CONTRACT_MAX_SIZE bytes) and parses it. */
enum dcr_err dcr_contract_load(const char *path, int64_t now, unsigned flags,
                               struct dcr_contract **out, struct dcr_msg *msg) DCR_WUR;
void dcr_contract_free(struct dcr_contract *c);

/* The canonical form the hash is taken over (docs/CONTRACT.md): the document
 * without "signatures", RFC 8785 style. out is initialised here. */
enum dcr_err dcr_contract_canonical(const struct dcr_contract *c, struct dcr_buf *out) DCR_WUR;

/* Lowercase hex of c->hash; out holds 65 bytes. */
void dcr_contract_hash_hex(const struct dcr_contract *c, char out[static 65]);

/* Checks every party's signature over the hash. DCR_OK only when each party
 * has signed and each signature is valid; DCR_ERR_VERIFY with msg naming the
 * first party that has not signed or whose signature is bad. */
enum dcr_err dcr_contract_verify(const struct dcr_contract *c, struct dcr_msg *msg) DCR_WUR;
/* Checks the signature of one party p (an element of c->parties): DCR_OK when
 * it has signed and the signature is valid, else DCR_ERR_VERIFY with msg. */
enum dcr_err dcr_contract_verify_party(const struct dcr_contract *c, const struct dcr_party *p,
                                       struct dcr_msg *msg) DCR_WUR;

/* Adds or replaces the signature of the party whose public key is key's,
 * in the struct and in c->json's "signatures". The signed message is
 * "dcr contract v1\n" || c->hash (docs/CONTRACT.md). DCR_ERR_VERIFY when key
 * belongs to no party. *out_party (optional) gets that party. */
enum dcr_err dcr_contract_sign(struct dcr_contract *c, const struct dcr_seckey *key,
                               const struct dcr_party **out_party, struct dcr_msg *msg) DCR_WUR;

/* The document (with signatures) as `contract sign` writes it back: the
 * author's member order, indented by two, short containers on one line,
 * numbers in their shortest form. Reads back with the same hash.
 * DCR_ERR_TOO_BIG when it would exceed DCR_CONTRACT_MAX_SIZE. out is
 * initialised here (empty on error). */
enum dcr_err dcr_contract_serialize(const struct dcr_contract *c, struct dcr_buf *out) DCR_WUR;

/* Lookups by name (case-insensitive, as SQL identifiers are); NULL if none. */
const struct dcr_party *dcr_contract_party(const struct dcr_contract *c, const char *name);
const struct dcr_dataset *dcr_contract_dataset(const struct dcr_contract *c, const char *name);

/* Names for printing. */
const char *dcr_col_type_name(enum dcr_col_type t);
const char *dcr_col_role_name(enum dcr_col_role r);
const char *dcr_normalize_name(enum dcr_normalize n);

#endif
