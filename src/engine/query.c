/* SPDX-License-Identifier: Apache-2.0 */
/* The query API: prepare (parse + bind), inspect, run, free. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec_int.h"
#include "sql_int.h"

#define QUERY_ARENA_MAX ((size_t)256 << 20)

enum dcr_err dcr_query_prepare(const struct dcr_catalog *cat, const char *sql, size_t len,
                               struct dcr_query **out, struct dcr_msg *msg)
{
	struct dcr_query *q;
	struct ast_select *ast;
	enum dcr_err err;

	*out = NULL;
	if (len > SQL_MAX_LENGTH)
		return dcr_fail(msg, DCR_ERR_SQL, "the query is longer than %u bytes", SQL_MAX_LENGTH);
	if (memchr(sql, '\0', len))
		return dcr_fail(msg, DCR_ERR_SQL, "the query contains a NUL byte");
	q = calloc(1, sizeof(*q));
	if (!q)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	dcr_arena_init(&q->arena, QUERY_ARENA_MAX);
	q->cat = cat;
	q->sql_len = len;
	q->sql = dcr_arena_strndup(&q->arena, sql, len);
	if (!q->sql) {
		dcr_query_free(q);
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	}
	err = sql_parse(q->sql, len, &q->arena, &ast, msg);
	if (!err)
		err = bind_query(q, ast, msg);
	if (err) {
		if (err == DCR_ERR_NOMEM && !msg->text[0])
			dcr_msg_set(msg, "out of memory preparing the query");
		dcr_query_free(q);
		return err;
	}
	*out = q;
	return DCR_OK;
}

struct dcr_bquery *dcr_query_bound(struct dcr_query *q)
{
	return &q->bq;
}

bool dcr_query_uses_column(const struct dcr_query *q, const char *table, const char *column)
{
	for (size_t r = 0; r < q->bq.rel_count; r++) {
		const struct dcr_table *t = q->bq.rels[r].table;
		int c;

		if (strcasecmp(t->name, table))
			continue;
		c = dcr_table_column_index(t, column);
		if (c >= 0 && q->used[r][c])
			return true;
	}
	return false;
}

enum dcr_err dcr_query_run(struct dcr_query *q, const struct dcr_exec_options *opts,
                           struct dcr_table **out, struct dcr_exec_stats *stats,
                           struct dcr_msg *msg)
{
	if (stats)
		memset(stats, 0, sizeof(*stats));
	return exec_query(q, opts, out, stats, msg);
}

void dcr_query_free(struct dcr_query *q)
{
	if (!q)
		return;
	dcr_arena_free(&q->arena);
	free(q);
}

struct dcr_bexpr *dcr_query_new_expr(struct dcr_query *q, enum dcr_bexpr_kind kind,
                                     enum dcr_type type, size_t arg_count)
{
	struct dcr_bexpr *e = dcr_arena_alloc(&q->arena, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	e->type = type;
	if (arg_count) {
		e->args = dcr_arena_alloc(&q->arena, arg_count * sizeof(*e->args));
		if (!e->args)
			return NULL;
		e->arg_count = arg_count;
	}
	return e;
}

void *dcr_query_alloc(struct dcr_query *q, size_t size)
{
	return dcr_arena_alloc(&q->arena, size ? size : 1);
}

static void mark_used(struct dcr_query *q, const struct dcr_bexpr *e)
{
	if (e->kind == DCR_BE_COLUMN && e->rel < q->bq.rel_count)
		q->used[e->rel][e->column] = true;
	for (size_t i = 0; i < e->arg_count; i++)
		mark_used(q, e->args[i]);
}

enum dcr_err dcr_query_add_aggregate(struct dcr_query *q, struct dcr_bexpr *agg,
                                     size_t *out_index)
{
	struct dcr_bquery *bq = &q->bq;
	struct dcr_bexpr **aggs = dcr_arena_alloc(&q->arena, (bq->agg_count + 1) * sizeof(*aggs));

	if (!aggs)
		return DCR_ERR_NOMEM;
	if (bq->agg_count)
		memcpy(aggs, bq->aggs, bq->agg_count * sizeof(*aggs));
	aggs[bq->agg_count] = agg;
	bq->aggs = aggs;
	*out_index = bq->agg_count++;
	bq->aggregated = true;
	mark_used(q, agg);
	return DCR_OK;
}
