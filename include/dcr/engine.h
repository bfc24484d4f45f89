/* SPDX-License-Identifier: Apache-2.0 */
/* engine: columnar in-memory tables, CSV ingest, and SQL (docs/SQL.md) from
 * text to result. Knows nothing of crypto, HTTP or privacy: the privacy layer
 * walks the bound query (struct dcr_bquery) and decides what may run. */
#ifndef DCR_ENGINE_H
#define DCR_ENGINE_H

#include "dcr/util.h"

/* ---- values and types --------------------------------------------------- */

enum dcr_type {
	DCR_TYPE_NULL,   /* the type of the literal NULL only */
	DCR_TYPE_BOOL,   /* results of conditions */
	DCR_TYPE_INT,    /* int64 */
	DCR_TYPE_FLOAT,  /* double */
	DCR_TYPE_STRING, /* UTF-8 bytes; dictionary-encoded in columns */
	DCR_TYPE_DATE,   /* int32 days since 1970-01-01 */
	DCR_TYPE_ID,     /* 32 bytes: a person (SHA-256) */
};

#define DCR_ID_SIZE 32

/* "bool", "int", ... */
const char *dcr_type_name(enum dcr_type t);

/* A string's bytes (not NUL-terminated unless said so). */
struct dcr_str {
	const char *ptr;
	uint32_t len;
};

/* Distinct strings with dense codes 0..count-1. Owned by its column. */
struct dcr_dict;

size_t dcr_dict_count(const struct dcr_dict *d);
/* The string with this code (code < count); valid while the dict lives. */
struct dcr_str dcr_dict_get(const struct dcr_dict *d, uint32_t code);

/* ---- tables ------------------------------------------------------------ */

/* One column of a table or a result, stored contiguously. */
struct dcr_column {
	char *name;
	enum dcr_type type;     /* never DCR_TYPE_NULL */
	size_t count;           /* values (= the table's rows) */
	uint8_t *nulls;         /* count bytes, 1 = NULL; NULL when none are */
	union {
		void *data;
		uint8_t *b;     /* BOOL: 0 or 1 */
		int64_t *i64;   /* INT */
		double *f64;    /* FLOAT */
		int32_t *date;  /* DATE */
		uint32_t *code; /* STRING: codes into dict */
		uint8_t *id;    /* ID: count * DCR_ID_SIZE bytes */
	} v;
	struct dcr_dict *dict;  /* STRING only */
};

struct dcr_table {
	char *name;
	size_t row_count;
	struct dcr_column *columns;
	size_t column_count;
};

void dcr_table_free(struct dcr_table *t);
/* Removes column index (its memory freed); the others keep their order. */
void dcr_table_drop_column(struct dcr_table *t, size_t index);
/* Keeps the rows r with keep[r] != 0 (keep has row_count entries), in
 * order; string codes stay valid (dictionaries are kept whole). */
void dcr_table_keep_rows(struct dcr_table *t, const uint8_t *keep);
/* Bytes of memory the table holds (values, NULL maps, dictionaries). */
size_t dcr_table_bytes(const struct dcr_table *t);
/* The column named name (case-insensitive), or NULL. */
const struct dcr_column *dcr_table_column(const struct dcr_table *t, const char *name);
/* Index of that column, or -1. */
int dcr_table_column_index(const struct dcr_table *t, const char *name);

/* ---- CSV ingest (docs/SQL.md, "CSV input") ----------------------------- */

/* A column the file must have (from a contract dataset). */
struct dcr_csv_column {
	const char *name;
	enum dcr_type type;     /* INT, FLOAT, STRING, DATE or ID */
};

/* Turns an id field that is not 64 hex digits into its 32-byte id (e.g.
 * normalise an e-mail address and hash it). DCR_ERR_INVALID (msg saying
 * why) when it cannot. text is NUL-terminated. Called from the parser
 * threads, several at once: it must be thread-safe. */
typedef enum dcr_err (*dcr_id_fn)(void *ctx, const char *text, size_t len,
                                  uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg);

struct dcr_csv_options {
	const struct dcr_csv_column *columns; /* the schema; NULL: infer types */
	size_t column_count;
	const char *const *only;  /* load only these columns (names); NULL: all */
	size_t only_count;
	dcr_id_fn id_fn;          /* NULL: an id must be 64 hex digits */
	void *id_ctx;
	size_t max_field_size;    /* bytes; 0: 1 MiB */
	size_t max_columns;       /* 0: 4096 */
	uint64_t max_rows;        /* 0: 2^32 - 2 */
	size_t max_memory;        /* bytes the table may hold; 0: no cap */
	unsigned threads;         /* parser threads; 0: online CPUs */
	bool hide_values;         /* errors name line and column, never the value */
};

struct dcr_csv_reader;

/* Starts reading a CSV file into a table called name. opts may be NULL.
 * opts and what it points to must outlive the reader. */
enum dcr_err dcr_csv_reader_new(const char *name, const struct dcr_csv_options *opts,
                                struct dcr_csv_reader **out) DCR_WUR;
/* Feeds the next size bytes of the file, in pieces of any size. Errors are
 * final: the reader then refuses everything. */
enum dcr_err dcr_csv_reader_write(struct dcr_csv_reader *r, const void *data, size_t size,
                                  struct dcr_msg *msg) DCR_WUR;
/* Ends the file; on success *out is the whole table (caller frees it). On
 * any error nothing is returned: a file is loaded whole or not at all.
 * Errors name the line and the column ("line 12, column amount: ..."). */
enum dcr_err dcr_csv_reader_finish(struct dcr_csv_reader *r, struct dcr_table **out,
                                   struct dcr_msg *msg) DCR_WUR;
void dcr_csv_reader_free(struct dcr_csv_reader *r);
/* Reads the file at path through a reader. Messages do not repeat the
 * path: the caller knows it ("cannot open: ...", "line 12, ..."). */
enum dcr_err dcr_csv_load_file(const char *path, const char *name,
                               const struct dcr_csv_options *opts, struct dcr_table **out,
                               struct dcr_msg *msg) DCR_WUR;
/* The header row of the file at path: its field names, in order (caller
 * frees each and the array). For deciding which columns a query needs.
 * The header must be valid (as dcr_csv_load_file without a schema would
 * require); messages as dcr_csv_load_file's. */
enum dcr_err dcr_csv_read_header(const char *path, char ***out_names, size_t *out_count,
                                 struct dcr_msg *msg) DCR_WUR;

/* ---- the bound query: what the privacy layer inspects ------------------ */

enum dcr_bexpr_kind {
	DCR_BE_CONST,    /* value */
	DCR_BE_COLUMN,   /* table[rel].columns[column] */
	DCR_BE_NEG,      /* -args[0] */
	DCR_BE_NOT,      /* NOT args[0] */
	DCR_BE_ARITH,    /* args[0] op args[1]; op '+', '-', '*', '/' */
	DCR_BE_COMPARE,  /* args[0] op args[1]; op DCR_CMP_* */
	DCR_BE_AND,      /* args[0] AND args[1] AND ... */
	DCR_BE_OR,
	DCR_BE_IS_NULL,  /* args[0] IS [NOT] NULL (negated) */
	DCR_BE_IN,       /* args[0] [NOT] IN (args[1..]) */
	DCR_BE_LIKE,     /* args[0] [NOT] LIKE args[1] */
	DCR_BE_CASE,     /* WHEN args[2i] THEN args[2i+1] ... [ELSE args[n-1]] */
	DCR_BE_COALESCE, /* first non-NULL of args */
	DCR_BE_CAST,     /* args[0] converted to type (INT->FLOAT, STRING->DATE) */
	DCR_BE_AGG,      /* an aggregate over args[0] (none for COUNT(*)) */
	DCR_BE_GROUP,    /* after aggregation: the value of group key [index] */
	DCR_BE_AGGREF,   /* after aggregation: the value of aggregate [index] */
};

enum dcr_cmp { DCR_CMP_EQ, DCR_CMP_NE, DCR_CMP_LT, DCR_CMP_LE, DCR_CMP_GT, DCR_CMP_GE };

enum dcr_agg_fn { DCR_AGG_FN_COUNT_STAR, DCR_AGG_FN_COUNT, DCR_AGG_FN_SUM, DCR_AGG_FN_AVG,
                  DCR_AGG_FN_MIN, DCR_AGG_FN_MAX };

/* A constant. Strings point into the query's arena. */
struct dcr_value {
	enum dcr_type type;     /* DCR_TYPE_NULL for NULL */
	union {
		bool b;
		int64_t i;
		double f;
		int32_t date;
		struct dcr_str s;
		uint8_t id[DCR_ID_SIZE];
	} v;
};

struct dcr_bexpr {
	enum dcr_bexpr_kind kind;
	enum dcr_type type;      /* result type (DCR_TYPE_NULL only for NULL) */
	int op;                  /* ARITH: '+' '-' '*' '/'; COMPARE: enum dcr_cmp */
	bool negated;            /* IS NOT NULL, NOT IN, NOT LIKE */
	bool distinct;           /* AGG: COUNT(DISTINCT ...) */
	enum dcr_agg_fn agg;     /* AGG */
	size_t rel;              /* COLUMN: index into dcr_bquery.rels */
	size_t column;           /* COLUMN: index into that table's columns */
	size_t index;            /* GROUP, AGGREF */
	struct dcr_value value;  /* CONST */
	struct dcr_bexpr **args;
	size_t arg_count;
	uint32_t pos;            /* byte offset of the expression in the SQL */
};

enum dcr_join_kind { DCR_JOIN_NONE, DCR_JOIN_INNER, DCR_JOIN_LEFT };

/* A table in FROM: the first has DCR_JOIN_NONE, each JOIN adds one. */
struct dcr_brel {
	const struct dcr_table *table;
	const char *alias;         /* as written, or the table name */
	enum dcr_join_kind join;
	struct dcr_bexpr *on;      /* JOIN's condition (AND of equalities) */
};

struct dcr_border {
	struct dcr_bexpr *expr;    /* over the output: GROUP/AGGREF/COLUMN... */
	bool desc;
};

struct dcr_bquery {
	struct dcr_brel *rels;
	size_t rel_count;
	struct dcr_bexpr *where;   /* NULL when absent */
	/* Aggregation (when aggregated): the group keys and the aggregates.
	 * Expressions after it (select, having, order) use DCR_BE_GROUP and
	 * DCR_BE_AGGREF to refer to them. */
	bool aggregated;
	struct dcr_bexpr **group;  /* over the rows of FROM */
	size_t group_count;
	struct dcr_bexpr **aggs;   /* each a DCR_BE_AGG over the rows of FROM */
	size_t agg_count;
	struct dcr_bexpr *having;
	struct dcr_bexpr **select; /* output columns */
	const char **names;        /* their output names */
	size_t select_count;
	struct dcr_border *order;
	size_t order_count;
	int64_t limit;             /* -1: none */
};

/* ---- queries --------------------------------------------------------- */

/* The tables a query may name. Not owned: the tables must outlive it and
 * every query prepared against it. */
struct dcr_catalog {
	const struct dcr_table *const *tables;
	size_t count;
};

struct dcr_query;

/* Parses and binds sql (len bytes) against cat. DCR_ERR_SQL with msg
 * "line L, column C: ..." for any syntax error, construct outside the
 * dialect, unknown name or type error. */
enum dcr_err dcr_query_prepare(const struct dcr_catalog *cat, const char *sql, size_t len,
                               struct dcr_query **out, struct dcr_msg *msg) DCR_WUR;
/* The bound form, for inspection (and, by the privacy layer, rewriting). */
struct dcr_bquery *dcr_query_bound(struct dcr_query *q);
/* For rewriting the bound query (the privacy layer): a new node in q's
 * arena, zeroed but for kind, type and room for arg_count arguments; NULL
 * when out of memory. */
struct dcr_bexpr *dcr_query_new_expr(struct dcr_query *q, enum dcr_bexpr_kind kind,
                                     enum dcr_type type, size_t arg_count);
/* For rewriting: size bytes (zeroed) in q's arena, freed with q; NULL when
 * out of memory. E.g. a longer select list. */
void *dcr_query_alloc(struct dcr_query *q, size_t size);
/* Adds agg (a DCR_BE_AGG over the rows of FROM) to the query's aggregates
 * and marks the query aggregated; *out_index gets the index a DCR_BE_AGGREF
 * uses. */
enum dcr_err dcr_query_add_aggregate(struct dcr_query *q, struct dcr_bexpr *agg,
                                     size_t *out_index) DCR_WUR;
/* The columns of each table the query reads: used[rel][column] is true.
 * For loading only what a query needs; valid while q lives. */
bool dcr_query_uses_column(const struct dcr_query *q, const char *table, const char *column);

/* At most max_rows of the rows that reach aggregation (after joins and WHERE)
 * per distinct value of rels[rel].columns[column]; which rows stay is chosen
 * uniformly at random with random(). Rows whose key is NULL are dropped. */
struct dcr_exec_cap {
	size_t rel;
	size_t column;
	uint64_t max_rows;                         /* >= 1 */
	void (*random)(void *ctx, void *buf, size_t n);  /* uniform random bytes;
	                                            * called from several threads */
	void *random_ctx;
};

struct dcr_exec_options {
	unsigned threads;          /* 0: online CPUs */
	size_t max_memory;         /* bytes of intermediate state; 0: no cap */
	uint64_t max_rows;         /* rows in the result; 0: no cap */
	const struct dcr_exec_cap *cap; /* NULL: none */
};

/* Statistics of a run, for --stats. */
struct dcr_exec_stats {
	double plan_seconds;
	double exec_seconds;
	uint64_t rows_scanned;
	uint64_t rows_joined;
	uint64_t groups;
	uint64_t rows_capped;      /* dropped by the row cap (dcr_exec_cap) */
};

/* Runs q. On success *out is the result (caller frees it with
 * dcr_table_free). Runtime errors (integer overflow, a result over the
 * cap) are DCR_ERR_INVALID / DCR_ERR_TOO_BIG with msg. stats may be NULL. */
enum dcr_err dcr_query_run(struct dcr_query *q, const struct dcr_exec_options *opts,
                           struct dcr_table **out, struct dcr_exec_stats *stats,
                           struct dcr_msg *msg) DCR_WUR;
void dcr_query_free(struct dcr_query *q);

/* ---- output --------------------------------------------------------- */

enum dcr_format { DCR_FORMAT_CSV, DCR_FORMAT_JSON, DCR_FORMAT_TABLE };

/* Appends result to out in format (docs/SQL.md, "Output"). */
enum dcr_err dcr_result_format(const struct dcr_table *result, enum dcr_format format,
                               struct dcr_buf *out) DCR_WUR;
/* Shortest text that reads back as d, as Python's repr; out holds 32. */
void dcr_format_double(double d, char out[static 32]);

#endif
