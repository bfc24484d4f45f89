/* SPDX-License-Identifier: Apache-2.0 */
/* privacy: what check.c, roles.c, joins.c, aggregates.c and threshold.c
 * share — the state of one check, column roles, and the walk over every
 * place of the bound query an expression can sit. Rules: docs/PRIVACY.md. */
#ifndef DCR_PRIVACY_INT_H
#define DCR_PRIVACY_INT_H

#include "dcr/privacy.h"

/* The binder refuses more tables than this in FROM. */
#define PRIVACY_MAX_RELS 64

/* A column's role as a bit, for looking for several at once; UNKNOWN is a
 * column of the table that the contract does not declare. */
#define PRIVACY_ID (1u << DCR_ROLE_ID)
#define PRIVACY_DIMENSION (1u << DCR_ROLE_DIMENSION)
#define PRIVACY_METRIC (1u << DCR_ROLE_METRIC)
#define PRIVACY_HIDDEN (1u << DCR_ROLE_HIDDEN)
#define PRIVACY_UNKNOWN (1u << 4)

/* One check of one query. */
struct privacy {
	const struct dcr_contract *c;
	struct dcr_query *q;
	struct dcr_bquery *bq;
	const struct dcr_dataset *ds[PRIVACY_MAX_RELS]; /* each relation's dataset */
	struct dcr_msg *msg;
};

/* Where an expression sits, in the order the rules look (docs/PRIVACY.md). */
enum privacy_clause {
	PRIVACY_ON,        /* rels[rel].on */
	PRIVACY_WHERE,
	PRIVACY_GROUP,     /* group[index] */
	PRIVACY_AGG,       /* the argument of aggs[index] (NULL for COUNT(*)) */
	PRIVACY_SELECT,    /* select[index], after aggregation when aggregated */
	PRIVACY_HAVING,
	PRIVACY_ORDER,     /* order[index].expr */
};

struct privacy_site {
	enum privacy_clause clause;
	size_t index;                 /* rel for ON, else the element */
	const struct dcr_bexpr *expr; /* may be NULL (COUNT(*)) */
	const struct dcr_bexpr *agg;  /* AGG: the aggregate itself */
};

typedef enum dcr_err (*privacy_visit_fn)(struct privacy *p, const struct privacy_site *s);

/* Sets msg to "rule '<rule>': <text>" and returns DCR_ERR_REFUSED. */
enum dcr_err privacy_refuse(struct dcr_msg *msg, const char *rule, const char *fmt, ...)
	DCR_PRINTF(3, 4);

/* Calls fn for every site of the query in clause order; stops at (and
 * returns) the first error. */
enum dcr_err privacy_each_site(struct privacy *p, privacy_visit_fn fn) DCR_WUR;

/* The contract column a DCR_BE_COLUMN refers to; NULL when the table's
 * column is not in the dataset. The relation must have been mapped. */
const struct dcr_contract_column *privacy_column(const struct privacy *p,
                                                 const struct dcr_bexpr *col);
/* PRIVACY_ID ... PRIVACY_UNKNOWN for a DCR_BE_COLUMN. */
unsigned privacy_role(const struct privacy *p, const struct dcr_bexpr *col);
/* The first column (depth first, left to right) in e whose role is in
 * roles, or NULL. */
const struct dcr_bexpr *privacy_find(const struct privacy *p, const struct dcr_bexpr *e,
                                     unsigned roles);
/* "dataset.column" of a DCR_BE_COLUMN, for messages; out holds size bytes. */
void privacy_column_name(const struct privacy *p, const struct dcr_bexpr *col, char *out,
                         size_t size);
/* "WHERE", "GROUP BY", "SUM(...)", ...: where a site is, for messages. */
const char *privacy_site_name(const struct privacy_site *s);
/* "COUNT(*)", "SUM", ...: an aggregate's name. */
const char *privacy_agg_name(const struct dcr_bexpr *agg);

/* The rules, each over the whole query (docs/PRIVACY.md, in this order
 * after the party checks). DCR_ERR_REFUSED with msg naming the rule. */
enum dcr_err privacy_check_datasets(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_joins(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_hidden(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_ids(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_metrics(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_aggregation(struct privacy *p) DCR_WUR;
enum dcr_err privacy_check_aggregates(struct privacy *p) DCR_WUR;

/* DP: checks the shape a DP query needs, rewrites it and plans its noise. */
enum dcr_err privacy_dp_plan(struct privacy *p, double epsilon, struct dcr_dp_plan **out)
	DCR_WUR;

/* Adds COUNT(DISTINCT <id of rels[0]>) >= k to HAVING. */
enum dcr_err privacy_threshold(struct privacy *p) DCR_WUR;

#endif
