/* SPDX-License-Identifier: Apache-2.0 */
/* Query internals: the prepared query, vectors and batches, the expression
 * evaluator, the plan, hash joins and aggregation. */
#ifndef DCR_EXEC_INT_H
#define DCR_EXEC_INT_H

#include "engine_int.h"

#define BATCH 2048             /* tuples per vector */
#define MORSEL (64 * 1024)     /* driving-table rows per parallel task */
#define ROW_NONE UINT32_MAX    /* no row: the NULL side of a LEFT JOIN */

/* A prepared query: owns its arena (AST, bound tree, names). */
struct dcr_query {
	struct dcr_arena arena;
	char *sql;                 /* a NUL-terminated copy */
	size_t sql_len;
	const struct dcr_catalog *cat;
	struct dcr_bquery bq;
	bool **used;               /* used[rel][column] */
};

/* Binds an AST (sql_int.h) into q->bq. */
struct ast_select;
enum dcr_err bind_query(struct dcr_query *q, const struct ast_select *ast,
                        struct dcr_msg *msg) DCR_WUR;

/* ---- vectors ------------------------------------------------------------ */

/* n values of one type; memory belongs to the evaluator's scratch arena or
 * to a column. */
struct vec {
	enum dcr_type type;        /* NULL only for an all-NULL constant */
	uint32_t n;
	uint8_t *nulls;            /* n bytes, 1 = NULL; NULL when none are */
	union {
		void *data;
		uint8_t *b;
		int64_t *i;
		double *f;
		int32_t *d;
		struct dcr_str *s;
		uint8_t *id;       /* n * DCR_ID_SIZE */
	} v;
};

/* A batch of joined tuples: for each relation of the query, the row of its
 * table in each tuple (ROW_NONE for NULL padding). Relations not yet joined
 * in a pipeline have rows[rel] == NULL. */
struct batch {
	uint32_t n;
	uint32_t *rows[];          /* [rel_count], each BATCH entries */
};

/* Where an expression's leaves read from. Before aggregation: the base
 * tables through a batch. After: group keys and aggregate results, which are
 * materialised columns indexed directly by position in [first, first+n). */
struct eval_src {
	const struct dcr_bquery *bq;
	const struct batch *batch;          /* before aggregation */
	const struct dcr_column *groups;    /* after: group key columns */
	const struct dcr_column *aggs;      /* after: aggregate result columns */
	uint32_t first;                     /* after: the first group */
	uint32_t n;                         /* after: how many */
	const uint32_t *sel;                /* after: group numbers, or NULL */
};

/* Per-thread evaluation state. */
struct eval_ctx {
	struct dcr_arena scratch;  /* vectors of the current batch */
	enum dcr_err err;          /* first runtime error */
	struct dcr_msg *msg;
	const char *sql;           /* for naming the expression in errors */
};

/* Evaluates e for every tuple of src. NULL on a runtime error (ctx->err,
 * ctx->msg set) or out of memory. */
struct vec *eval(struct eval_ctx *ctx, const struct dcr_bexpr *e, const struct eval_src *src);
/* Evaluates a condition and returns the indexes (ascending) of the tuples
 * where it is TRUE; *out_count gets how many. */
uint32_t *eval_select(struct eval_ctx *ctx, const struct dcr_bexpr *cond,
                      const struct eval_src *src, uint32_t *out_count);
void eval_ctx_init(struct eval_ctx *ctx, const char *sql, struct dcr_msg *msg);
void eval_ctx_reset(struct eval_ctx *ctx);  /* frees the scratch vectors */
void eval_ctx_free(struct eval_ctx *ctx);
/* Sets ctx's error ("line L, column C: integer overflow in a + b"). */
void eval_fail(struct eval_ctx *ctx, const struct dcr_bexpr *e, const char *what);

/* Hash of value i of v (not NULL), chained from seed. */
uint64_t exec_hash_value(const struct vec *v, uint32_t i, uint64_t seed);
/* Bytes per value in a vector: strings are views (struct dcr_str). */
size_t value_width(enum dcr_type t);

/* Structural equality of bound expressions (for matching GROUP BY keys). */
bool bexpr_equal(const struct dcr_bexpr *a, const struct dcr_bexpr *b);
/* Bit set of the relations e reads (rel < 64; callers check rel_count). */
uint64_t bexpr_rels(const struct dcr_bexpr *e);
bool bexpr_has_agg(const struct dcr_bexpr *e);

/* ---- the plan ----------------------------------------------------------- */

/* Key values kept per hash table entry when a key is not a plain column. */
struct keycol {
	enum dcr_type type;
	void *data;                 /* vec-width values, indexed by entry */
};

struct ht_entry {
	uint64_t hash;
	uint32_t row;               /* row of the build table */
	uint32_t next;              /* next entry in the chain, or ROW_NONE */
};

/* A join's hash table over one relation (the build side). */
struct hash_table {
	struct ht_entry *entries;
	size_t count;
	uint32_t *heads;            /* 2^bits chain heads */
	unsigned bits;
	const struct dcr_column **cols; /* per key: the column when the key is one */
	struct keycol *keys;        /* per key: stored values otherwise */
};

/* One join of the pipeline: probe a hash table built on rel. */
struct join_step {
	size_t rel;
	enum dcr_join_kind kind;    /* INNER or LEFT */
	struct dcr_bexpr **build_keys; /* over rel */
	struct dcr_bexpr **probe_keys; /* over the relations joined before */
	size_t key_count;
	struct dcr_bexpr *build_filter; /* over rel alone: rows that may match */
	struct dcr_bexpr *probe_match;  /* LEFT: rows that may look for a match */
	struct dcr_bexpr *after;        /* applied to the joined tuples */
	struct hash_table ht;
};

struct plan {
	size_t driver;              /* the relation scanned in morsels */
	struct dcr_bexpr *driver_filter;
	struct join_step *steps;
	size_t step_count;
};

/* Builds the plan for q (join order, pushed-down filters, hash keys). */
enum dcr_err plan_query(struct dcr_query *q, struct plan *out, struct dcr_msg *msg) DCR_WUR;

/* AND of conds (NULL when none). */
struct dcr_bexpr *plan_and(struct dcr_arena *a, struct dcr_bexpr **conds, size_t n);

/* Builds step->ht on the pool. */
enum dcr_err join_build(struct dcr_query *q, struct join_step *step, struct pool *pool,
                        size_t max_memory, struct dcr_msg *msg) DCR_WUR;
/* Probes: for each tuple of in, its matches go to out (flushing full output
 * batches through emit). */
typedef enum dcr_err (*emit_fn)(void *ctx, struct batch *b);
enum dcr_err join_probe(struct dcr_query *q, const struct join_step *step,
                        struct eval_ctx *ctx, const struct batch *in, struct batch *out,
                        emit_fn emit, void *emit_ctx) DCR_WUR;
void join_free(struct join_step *step);

/* ---- aggregation --------------------------------------------------------- */

struct agg;

/* A sink for q's aggregation, with one local state per worker. */
enum dcr_err agg_new(struct dcr_query *q, unsigned workers, size_t max_memory,
                     struct agg **out) DCR_WUR;
/* Adds a batch of tuples (worker's own state). */
enum dcr_err agg_add(struct agg *g, unsigned worker, struct eval_ctx *ctx,
                     const struct batch *b) DCR_WUR;
/* Merges the workers' states; *out_groups and *out_aggs get materialised group
 * key and aggregate columns (owned by g), *out_count the groups. */
enum dcr_err agg_finish(struct agg *g, struct pool *pool, const struct dcr_column **out_groups,
                        const struct dcr_column **out_aggs, size_t *out_count,
                        struct dcr_msg *msg) DCR_WUR;
void agg_free(struct agg *g);

/* ---- running ----------------------------------------------------------- */

/* Runs q->bq; the result's columns are the select list. */
enum dcr_err exec_query(struct dcr_query *q, const struct dcr_exec_options *opts,
                        struct dcr_table **out, struct dcr_exec_stats *stats,
                        struct dcr_msg *msg) DCR_WUR;

/* Appends vec's n values to col at offset at (col has room): used to
 * materialise results. Strings are interned into col->dict. */
enum dcr_err column_put(struct dcr_column *col, size_t at, const struct vec *v) DCR_WUR;

/* Sorts rows [0, n) of the result table by the order keys (columns of keys,
 * ascending unless desc[i]; NULL sorts last ascending, first descending) and
 * keeps at most limit (-1: all). Rebuilds t's columns in place. */
enum dcr_err sort_result(struct dcr_table *t, const struct dcr_column *keys, const bool *desc,
                         size_t key_count, int64_t limit) DCR_WUR;

#endif
