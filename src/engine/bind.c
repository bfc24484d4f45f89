/* SPDX-License-Identifier: Apache-2.0 */
/* The binder: resolves the names of a parsed query against the catalog,
 * checks and settles types (inserting the implicit conversions of
 * docs/SQL.md), collects aggregates and rewrites what follows aggregation to
 * refer to group keys and aggregate results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec_int.h"
#include "sql_int.h"

enum clause { IN_ON, IN_WHERE, IN_GROUP, IN_SELECT, IN_HAVING, IN_ORDER };

static const char *const clause_names[] = {
	[IN_ON] = "JOIN ... ON", [IN_WHERE] = "WHERE", [IN_GROUP] = "GROUP BY",
	[IN_SELECT] = "SELECT", [IN_HAVING] = "HAVING", [IN_ORDER] = "ORDER BY",
};

struct binder {
	struct dcr_query *q;
	struct dcr_arena *a;
	struct dcr_msg *msg;
	size_t visible;            /* relations column names may refer to */
	enum clause clause;
	bool in_agg;               /* inside an aggregate's argument */
	struct dcr_bexpr **aggs;   /* collected aggregates */
	size_t agg_count, agg_cap;
};

static enum dcr_err fail(struct binder *b, uint32_t pos, const char *fmt, ...)
	DCR_PRINTF(3, 4);
static enum dcr_err fail(struct binder *b, uint32_t pos, const char *fmt, ...)
{
	char text[DCR_MSG_SIZE];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sql_position(b->q->sql, b->q->sql_len, pos, &line, &col);
	dcr_msg_set(b->msg, "line %u, column %u: %s", line, col, text);
	return DCR_ERR_SQL;
}

static enum dcr_err nomem(struct binder *b)
{
	dcr_msg_set(b->msg, "out of memory while binding the query");
	return DCR_ERR_NOMEM;
}

static struct dcr_bexpr *node(struct binder *b, enum dcr_bexpr_kind kind, enum dcr_type type,
                              uint32_t pos, size_t arg_count)
{
	struct dcr_bexpr *e = dcr_arena_alloc(b->a, sizeof(*e));

	if (!e)
		return NULL;
	e->kind = kind;
	e->type = type;
	e->pos = pos;
	if (arg_count) {
		e->args = dcr_arena_alloc(b->a, arg_count * sizeof(*e->args));
		if (!e->args)
			return NULL;
		e->arg_count = arg_count;
	}
	return e;
}

/* The text of an AST node, for output names and messages. */
static const char *text_of(struct binder *b, const struct ast_expr *e)
{
	size_t end = e->end > e->pos ? e->end : e->pos;

	if (end > b->q->sql_len)
		end = b->q->sql_len;
	return dcr_arena_strndup(b->a, b->q->sql + e->pos, end - e->pos);
}

static bool is_numeric(enum dcr_type t)
{
	return t == DCR_TYPE_INT || t == DCR_TYPE_FLOAT;
}

/* ---- structural helpers (also used by the planner) ----------------------- */

bool bexpr_equal(const struct dcr_bexpr *x, const struct dcr_bexpr *y)
{
	if (x == y)
		return true;
	if (!x || !y || x->kind != y->kind || x->type != y->type || x->op != y->op ||
	    x->negated != y->negated || x->distinct != y->distinct || x->arg_count != y->arg_count)
		return false;
	switch (x->kind) {
	case DCR_BE_COLUMN:
		if (x->rel != y->rel || x->column != y->column)
			return false;
		break;
	case DCR_BE_AGG:
		if (x->agg != y->agg)
			return false;
		break;
	case DCR_BE_GROUP:
	case DCR_BE_AGGREF:
		if (x->index != y->index)
			return false;
		break;
	case DCR_BE_CONST:
		if (x->value.type != y->value.type)
			return false;
		switch (x->value.type) {
		case DCR_TYPE_NULL: break;
		case DCR_TYPE_BOOL: if (x->value.v.b != y->value.v.b) return false; break;
		case DCR_TYPE_INT: if (x->value.v.i != y->value.v.i) return false; break;
		case DCR_TYPE_FLOAT:
			if (memcmp(&x->value.v.f, &y->value.v.f, sizeof(double)))
				return false;
			break;
		case DCR_TYPE_DATE: if (x->value.v.date != y->value.v.date) return false; break;
		case DCR_TYPE_STRING:
			if (x->value.v.s.len != y->value.v.s.len ||
			    memcmp(x->value.v.s.ptr, y->value.v.s.ptr, x->value.v.s.len))
				return false;
			break;
		case DCR_TYPE_ID:
			if (memcmp(x->value.v.id, y->value.v.id, DCR_ID_SIZE))
				return false;
			break;
		}
		break;
	default:
		break;
	}
	for (size_t i = 0; i < x->arg_count; i++)
		if (!bexpr_equal(x->args[i], y->args[i]))
			return false;
	return true;
}

uint64_t bexpr_rels(const struct dcr_bexpr *e)
{
	uint64_t r = 0;

	if (!e)
		return 0;
	if (e->kind == DCR_BE_COLUMN)
		r |= e->rel < 64 ? 1ULL << e->rel : 0;
	for (size_t i = 0; i < e->arg_count; i++)
		r |= bexpr_rels(e->args[i]);
	return r;
}

bool bexpr_has_agg(const struct dcr_bexpr *e)
{
	if (!e)
		return false;
	if (e->kind == DCR_BE_AGG || e->kind == DCR_BE_AGGREF)
		return true;
	for (size_t i = 0; i < e->arg_count; i++)
		if (bexpr_has_agg(e->args[i]))
			return true;
	return false;
}

/* ---- conversions ------------------------------------------------------ */

/* e converted to type to (INT -> FLOAT, string literal -> DATE or ID, NULL
 * literal -> anything). DCR_ERR_SQL when it cannot be. */
static enum dcr_err coerce(struct binder *b, struct dcr_bexpr **pe, enum dcr_type to)
{
	struct dcr_bexpr *e = *pe, *c;

	if (e->type == to)
		return DCR_OK;
	if (e->type == DCR_TYPE_NULL) {
		/* a NULL literal takes the type it is used as */
		e->type = to;
		return DCR_OK;
	}
	if (e->type == DCR_TYPE_INT && to == DCR_TYPE_FLOAT) {
		if (e->kind == DCR_BE_CONST && e->value.type == DCR_TYPE_INT) {
			e->value.type = DCR_TYPE_FLOAT;
			e->value.v.f = (double)e->value.v.i;
			e->type = DCR_TYPE_FLOAT;
			return DCR_OK;
		}
		c = node(b, DCR_BE_CAST, DCR_TYPE_FLOAT, e->pos, 1);
		if (!c)
			return nomem(b);
		c->args[0] = e;
		*pe = c;
		return DCR_OK;
	}
	if (e->type == DCR_TYPE_STRING && e->kind == DCR_BE_CONST &&
	    e->value.type == DCR_TYPE_STRING) {
		struct dcr_str s = e->value.v.s;

		if (to == DCR_TYPE_DATE) {
			int32_t d;

			if (dcr_date_parse(s.ptr, s.len, &d) != DCR_OK)
				return fail(b, e->pos, "'%.*s' is not a date (YYYY-MM-DD)",
				            (int)(s.len > 40 ? 40 : s.len), s.ptr);
			e->value.type = DCR_TYPE_DATE;
			e->value.v.date = d;
			e->type = DCR_TYPE_DATE;
			return DCR_OK;
		}
		if (to == DCR_TYPE_ID) {
			uint8_t id[DCR_ID_SIZE];

			if (dcr_hex_decode(id, DCR_ID_SIZE, s.ptr, s.len) != DCR_OK)
				return fail(b, e->pos, "'%.*s' is not an id (64 hex digits)",
				            (int)(s.len > 40 ? 40 : s.len), s.ptr);
			e->value.type = DCR_TYPE_ID;
			memcpy(e->value.v.id, id, DCR_ID_SIZE);
			e->type = DCR_TYPE_ID;
			return DCR_OK;
		}
	}
	return fail(b, e->pos, "expected %s, found %s", dcr_type_name(to), dcr_type_name(e->type));
}

/* The type two operands meet at, for comparison and for CASE/COALESCE/IN:
 * NULL meets anything, INT meets FLOAT at FLOAT, a string literal meets a
 * date or id as that. DCR_TYPE_NULL when they do not meet. */
static enum dcr_type meet(const struct dcr_bexpr *x, const struct dcr_bexpr *y)
{
	enum dcr_type a = x->type, t = y->type;
	bool x_strlit = x->kind == DCR_BE_CONST && x->value.type == DCR_TYPE_STRING;
	bool y_strlit = y->kind == DCR_BE_CONST && y->value.type == DCR_TYPE_STRING;

	if (a == t)
		return a;
	if (a == DCR_TYPE_NULL)
		return t;
	if (t == DCR_TYPE_NULL)
		return a;
	if (is_numeric(a) && is_numeric(t))
		return DCR_TYPE_FLOAT;
	if ((t == DCR_TYPE_DATE || t == DCR_TYPE_ID) && x_strlit)
		return t;
	if ((a == DCR_TYPE_DATE || a == DCR_TYPE_ID) && y_strlit)
		return a;
	return DCR_TYPE_NULL;
}

/* Coerces args[from..to) to one type; pos/what for the message. */
static enum dcr_err unify(struct binder *b, struct dcr_bexpr **args, size_t n, uint32_t pos,
                          const char *what, enum dcr_type *out)
{
	enum dcr_type t = DCR_TYPE_NULL;
	enum dcr_err err;

	for (size_t i = 0; i < n; i++) {
		struct dcr_bexpr probe = {.kind = DCR_BE_CAST, .type = t};
		enum dcr_type m;

		if (args[i]->type == DCR_TYPE_NULL)
			continue;
		if (t == DCR_TYPE_NULL) {
			t = args[i]->type;
			continue;
		}
		m = meet(&probe, args[i]);
		/* a string literal seen first may still become a date or id */
		if (m == DCR_TYPE_NULL && t == DCR_TYPE_STRING &&
		    (args[i]->type == DCR_TYPE_DATE || args[i]->type == DCR_TYPE_ID))
			m = args[i]->type;
		if (m == DCR_TYPE_NULL)
			return fail(b, args[i]->pos, "%s mixes %s and %s", what, dcr_type_name(t),
			            dcr_type_name(args[i]->type));
		t = m;
	}
	for (size_t i = 0; i < n; i++) {
		err = coerce(b, &args[i], t);
		if (err)
			return err;
	}
	(void)pos;
	*out = t;
	return DCR_OK;
}

/* ---- names ------------------------------------------------------------- */

static size_t edit_distance(const char *s, const char *t)
{
	size_t n = strlen(s), m = strlen(t), prev[65], cur[65];

	if (n > 64 || m > 64)
		return 99;
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t sub = prev[j - 1] + ((s[i - 1] | 32) != (t[j - 1] | 32));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(prev));
	}
	return prev[m];
}

/* A close column name among the visible relations, for "did you mean". */
static const char *suggest_column(struct binder *b, const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t r = 0; r < b->visible; r++) {
		const struct dcr_table *t = b->q->bq.rels[r].table;

		for (size_t c = 0; c < t->column_count; c++) {
			size_t d = edit_distance(name, t->columns[c].name);

			if (d < best_d) {
				best_d = d;
				best = t->columns[c].name;
			}
		}
	}
	return best;
}

static int find_rel(struct binder *b, const char *alias)
{
	for (size_t r = 0; r < b->visible; r++)
		if (!strcasecmp(b->q->bq.rels[r].alias, alias))
			return (int)r;
	return -1;
}

static enum dcr_err bind_column(struct binder *b, const struct ast_expr *ast,
                                struct dcr_bexpr **out)
{
	struct dcr_bquery *bq = &b->q->bq;
	int rel = -1, col = -1;
	struct dcr_bexpr *e;

	if (ast->qualifier) {
		rel = find_rel(b, ast->qualifier);
		if (rel < 0) {
			/* a later table of FROM is not visible in an earlier ON */
			for (size_t r = b->visible; r < bq->rel_count; r++)
				if (!strcasecmp(bq->rels[r].alias, ast->qualifier))
					return fail(b, ast->pos,
					            "table %s is joined after this JOIN and cannot "
					            "be used in its ON condition",
					            ast->qualifier);
			return fail(b, ast->pos, "unknown table '%s'", ast->qualifier);
		}
		col = dcr_table_column_index(bq->rels[rel].table, ast->name);
		if (col < 0) {
			const char *hint = suggest_column(b, ast->name);

			return fail(b, ast->pos, "table %s has no column '%s'%s%s%s",
			            bq->rels[rel].alias, ast->name, hint ? " (did you mean '" : "",
			            hint ? hint : "", hint ? "'?)" : "");
		}
	} else {
		for (size_t r = 0; r < b->visible; r++) {
			int c = dcr_table_column_index(bq->rels[r].table, ast->name);

			if (c < 0)
				continue;
			if (rel >= 0)
				return fail(b, ast->pos,
				            "column '%s' is ambiguous: both %s and %s have it; "
				            "write %s.%s or %s.%s",
				            ast->name, bq->rels[rel].alias, bq->rels[r].alias,
				            bq->rels[rel].alias, ast->name, bq->rels[r].alias, ast->name);
			rel = (int)r;
			col = c;
		}
		if (rel < 0) {
			const char *hint = suggest_column(b, ast->name);

			return fail(b, ast->pos, "unknown column '%s'%s%s%s", ast->name,
			            hint ? " (did you mean '" : "", hint ? hint : "",
			            hint ? "'?)" : "");
		}
	}
	e = node(b, DCR_BE_COLUMN, bq->rels[rel].table->columns[col].type, ast->pos, 0);
	if (!e)
		return nomem(b);
	e->rel = (size_t)rel;
	e->column = (size_t)col;
	b->q->used[rel][col] = true;
	*out = e;
	return DCR_OK;
}

/* ---- expressions --------------------------------------------------------- */

static enum dcr_err bind_expr(struct binder *b, const struct ast_expr *ast,
                              struct dcr_bexpr **out);

static enum dcr_err bind_args(struct binder *b, const struct ast_expr *ast,
                              struct dcr_bexpr *e, size_t first)
{
	for (size_t i = 0; i < ast->arg_count; i++) {
		enum dcr_err err = bind_expr(b, ast->args[i], &e->args[first + i]);

		if (err)
			return err;
	}
	return DCR_OK;
}

static enum dcr_err need_bool(struct binder *b, struct dcr_bexpr **pe, const char *what)
{
	if ((*pe)->type == DCR_TYPE_BOOL)
		return DCR_OK;
	if ((*pe)->type == DCR_TYPE_NULL) {
		(*pe)->type = DCR_TYPE_BOOL;
		return DCR_OK;
	}
	return fail(b, (*pe)->pos, "%s needs a condition (true/false), found %s", what,
	            dcr_type_name((*pe)->type));
}

static enum dcr_err bind_compare(struct binder *b, struct dcr_bexpr *e, const char *what)
{
	enum dcr_type t = meet(e->args[0], e->args[1]);
	enum dcr_err err;

	if (t == DCR_TYPE_NULL && e->args[0]->type != DCR_TYPE_NULL)
		return fail(b, e->pos, "cannot compare %s with %s", dcr_type_name(e->args[0]->type),
		            dcr_type_name(e->args[1]->type));
	if (t == DCR_TYPE_NULL)
		t = DCR_TYPE_INT; /* NULL = NULL: any type will do, the answer is NULL */
	if ((t == DCR_TYPE_ID || t == DCR_TYPE_BOOL) && e->op != DCR_CMP_EQ &&
	    e->op != DCR_CMP_NE)
		return fail(b, e->pos, "%s values can only be compared with = and <>",
		            dcr_type_name(t));
	(void)what;
	err = coerce(b, &e->args[0], t);
	if (!err)
		err = coerce(b, &e->args[1], t);
	return err;
}

static enum dcr_err bind_call(struct binder *b, const struct ast_expr *ast,
                              struct dcr_bexpr **out)
{
	struct dcr_bexpr *e;
	enum dcr_err err;
	enum dcr_agg_fn fn;

	if (!strcmp(ast->name, "coalesce")) {
		if (ast->arg_count == 0)
			return fail(b, ast->pos, "COALESCE needs at least one argument");
		e = node(b, DCR_BE_COALESCE, DCR_TYPE_NULL, ast->pos, ast->arg_count);
		if (!e)
			return nomem(b);
		err = bind_args(b, ast, e, 0);
		if (!err)
			err = unify(b, e->args, e->arg_count, ast->pos, "COALESCE", &e->type);
		*out = e;
		return err;
	}
	if (!strcmp(ast->name, "count"))
		fn = ast->arg_count == 1 && ast->args[0]->kind == AST_STAR ? DCR_AGG_FN_COUNT_STAR
		                                                           : DCR_AGG_FN_COUNT;
	else if (!strcmp(ast->name, "sum"))
		fn = DCR_AGG_FN_SUM;
	else if (!strcmp(ast->name, "avg"))
		fn = DCR_AGG_FN_AVG;
	else if (!strcmp(ast->name, "min"))
		fn = DCR_AGG_FN_MIN;
	else if (!strcmp(ast->name, "max"))
		fn = DCR_AGG_FN_MAX;
	else
		return fail(b, ast->pos, "function %s is not supported", ast->name);

	if (b->in_agg)
		return fail(b, ast->pos, "aggregate functions cannot be nested");
	if (b->clause == IN_WHERE || b->clause == IN_ON || b->clause == IN_GROUP)
		return fail(b, ast->pos, "aggregate functions are not allowed in %s",
		            clause_names[b->clause]);
	if (fn != DCR_AGG_FN_COUNT_STAR && ast->arg_count != 1)
		return fail(b, ast->pos, "%s takes one argument", ast->name);
	if (ast->distinct && fn != DCR_AGG_FN_COUNT)
		return fail(b, ast->pos, "%s(DISTINCT ...) is not supported", ast->name);

	e = node(b, DCR_BE_AGG, DCR_TYPE_INT, ast->pos, fn == DCR_AGG_FN_COUNT_STAR ? 0 : 1);
	if (!e)
		return nomem(b);
	e->agg = fn;
	e->distinct = ast->distinct;
	if (fn != DCR_AGG_FN_COUNT_STAR) {
		b->in_agg = true;
		err = bind_expr(b, ast->args[0], &e->args[0]);
		b->in_agg = false;
		if (err)
			return err;
		enum dcr_type t = e->args[0]->type;

		switch (fn) {
		case DCR_AGG_FN_SUM:
		case DCR_AGG_FN_AVG:
			if (t == DCR_TYPE_NULL)
				t = e->args[0]->type = DCR_TYPE_INT;
			if (!is_numeric(t))
				return fail(b, ast->pos, "%s needs numbers, found %s",
				            fn == DCR_AGG_FN_SUM ? "SUM" : "AVG", dcr_type_name(t));
			e->type = fn == DCR_AGG_FN_AVG ? DCR_TYPE_FLOAT : t;
			break;
		case DCR_AGG_FN_MIN:
		case DCR_AGG_FN_MAX:
			if (t == DCR_TYPE_NULL)
				t = e->args[0]->type = DCR_TYPE_INT;
			if (t == DCR_TYPE_BOOL)
				return fail(b, ast->pos, "%s of a condition is not supported",
				            fn == DCR_AGG_FN_MIN ? "MIN" : "MAX");
			e->type = t;
			break;
		default:
			if (t == DCR_TYPE_NULL)
				e->args[0]->type = DCR_TYPE_INT;
			e->type = DCR_TYPE_INT;
			break;
		}
	}

	/* the same aggregate twice is computed once */
	for (size_t i = 0; i < b->agg_count; i++) {
		if (bexpr_equal(b->aggs[i], e)) {
			struct dcr_bexpr *r = node(b, DCR_BE_AGGREF, e->type, ast->pos, 0);

			if (!r)
				return nomem(b);
			r->index = i;
			*out = r;
			return DCR_OK;
		}
	}
	if (b->agg_count == b->agg_cap) {
		size_t cap = b->agg_cap ? b->agg_cap * 2 : 8;
		struct dcr_bexpr **aggs = dcr_arena_alloc(b->a, cap * sizeof(*aggs));

		if (!aggs)
			return nomem(b);
		if (b->agg_count)
			memcpy(aggs, b->aggs, b->agg_count * sizeof(*aggs));
		b->aggs = aggs;
		b->agg_cap = cap;
	}
	b->aggs[b->agg_count] = e;
	struct dcr_bexpr *r = node(b, DCR_BE_AGGREF, e->type, ast->pos, 0);

	if (!r)
		return nomem(b);
	r->index = b->agg_count++;
	*out = r;
	return DCR_OK;
}

static enum dcr_err bind_case(struct binder *b, const struct ast_expr *ast,
                              struct dcr_bexpr **out)
{
	size_t pairs = ast->arg_count / 2;
	size_t n = ast->arg_count + 1; /* always an ELSE (NULL when absent) */
	struct dcr_bexpr *e = node(b, DCR_BE_CASE, DCR_TYPE_NULL, ast->pos, n), *operand = NULL;
	struct dcr_bexpr **results;
	enum dcr_err err;

	if (!e)
		return nomem(b);
	if (ast->arg_count == 0 || ast->arg_count % 2)
		return fail(b, ast->pos, "CASE needs WHEN ... THEN ...");
	if (ast->operand) {
		err = bind_expr(b, ast->operand, &operand);
		if (err)
			return err;
	}
	for (size_t i = 0; i < pairs; i++) {
		struct dcr_bexpr *when;

		err = bind_expr(b, ast->args[2 * i], &when);
		if (err)
			return err;
		if (operand) {
			/* CASE x WHEN v is CASE WHEN x = v */
			struct dcr_bexpr *eq = node(b, DCR_BE_COMPARE, DCR_TYPE_BOOL, when->pos, 2);

			if (!eq)
				return nomem(b);
			eq->op = DCR_CMP_EQ;
			eq->args[0] = operand;
			eq->args[1] = when;
			err = bind_compare(b, eq, "CASE");
			if (err)
				return err;
			when = eq;
		}
		err = need_bool(b, &when, "WHEN");
		if (err)
			return err;
		e->args[2 * i] = when;
		err = bind_expr(b, ast->args[2 * i + 1], &e->args[2 * i + 1]);
		if (err)
			return err;
	}
	if (ast->else_expr) {
		err = bind_expr(b, ast->else_expr, &e->args[n - 1]);
		if (err)
			return err;
	} else {
		e->args[n - 1] = node(b, DCR_BE_CONST, DCR_TYPE_NULL, ast->end ? ast->end - 1 : 0, 0);
		if (!e->args[n - 1])
			return nomem(b);
	}
	/* unify the THENs and the ELSE */
	results = dcr_arena_alloc(b->a, (pairs + 1) * sizeof(*results));
	if (!results)
		return nomem(b);
	for (size_t i = 0; i < pairs; i++)
		results[i] = e->args[2 * i + 1];
	results[pairs] = e->args[n - 1];
	err = unify(b, results, pairs + 1, ast->pos, "CASE", &e->type);
	if (err)
		return err;
	for (size_t i = 0; i < pairs; i++)
		e->args[2 * i + 1] = results[i];
	e->args[n - 1] = results[pairs];
	*out = e;
	return DCR_OK;
}

static enum dcr_err bind_expr(struct binder *b, const struct ast_expr *ast,
                              struct dcr_bexpr **out)
{
	struct dcr_bexpr *e = NULL;
	enum dcr_err err = DCR_OK;

	*out = NULL;
	switch (ast->kind) {
	case AST_INT:
	case AST_FLOAT:
	case AST_STRING:
	case AST_DATE:
	case AST_NULL:
	case AST_BOOL:
		e = node(b, DCR_BE_CONST, DCR_TYPE_NULL, ast->pos, 0);
		if (!e)
			return nomem(b);
		switch (ast->kind) {
		case AST_INT: e->value.type = DCR_TYPE_INT; e->value.v.i = ast->i; break;
		case AST_FLOAT: e->value.type = DCR_TYPE_FLOAT; e->value.v.f = ast->f; break;
		case AST_STRING: e->value.type = DCR_TYPE_STRING; e->value.v.s = ast->s; break;
		case AST_DATE: e->value.type = DCR_TYPE_DATE; e->value.v.date = ast->date; break;
		case AST_BOOL: e->value.type = DCR_TYPE_BOOL; e->value.v.b = ast->b; break;
		default: e->value.type = DCR_TYPE_NULL; break;
		}
		e->type = e->value.type;
		break;
	case AST_COLUMN:
		return bind_column(b, ast, out);
	case AST_STAR:
		return fail(b, ast->pos, "'*' is only allowed in COUNT(*) and SELECT *");
	case AST_NEG:
		e = node(b, DCR_BE_NEG, DCR_TYPE_NULL, ast->pos, 1);
		if (!e)
			return nomem(b);
		err = bind_args(b, ast, e, 0);
		if (err)
			return err;
		if (e->args[0]->type == DCR_TYPE_NULL)
			e->args[0]->type = DCR_TYPE_INT;
		if (!is_numeric(e->args[0]->type))
			return fail(b, ast->pos, "cannot negate %s", dcr_type_name(e->args[0]->type));
		e->type = e->args[0]->type;
		break;
	case AST_NOT:
		e = node(b, DCR_BE_NOT, DCR_TYPE_BOOL, ast->pos, 1);
		if (!e)
			return nomem(b);
		err = bind_args(b, ast, e, 0);
		if (!err)
			err = need_bool(b, &e->args[0], "NOT");
		break;
	case AST_ARITH: {
		static const char ops[] = "+-*/";
		enum dcr_type l, r;

		e = node(b, DCR_BE_ARITH, DCR_TYPE_NULL, ast->pos, 2);
		if (!e)
			return nomem(b);
		e->op = ast->op;
		err = bind_args(b, ast, e, 0);
		if (err)
			return err;
		l = e->args[0]->type;
		r = e->args[1]->type;
		if ((l != DCR_TYPE_NULL && !is_numeric(l)) || (r != DCR_TYPE_NULL && !is_numeric(r)))
			return fail(b, ast->pos, "cannot use %c on %s and %s",
			            strchr(ops, ast->op) ? ast->op : '?', dcr_type_name(l),
			            dcr_type_name(r));
		if (ast->op == '/' || l == DCR_TYPE_FLOAT || r == DCR_TYPE_FLOAT)
			e->type = DCR_TYPE_FLOAT;
		else
			e->type = DCR_TYPE_INT;
		err = coerce(b, &e->args[0], e->type);
		if (!err)
			err = coerce(b, &e->args[1], e->type);
		break;
	}
	case AST_COMPARE:
		e = node(b, DCR_BE_COMPARE, DCR_TYPE_BOOL, ast->pos, 2);
		if (!e)
			return nomem(b);
		e->op = ast->op;
		err = bind_args(b, ast, e, 0);
		if (!err)
			err = bind_compare(b, e, "comparison");
		break;
	case AST_AND:
	case AST_OR:
		e = node(b, ast->kind == AST_AND ? DCR_BE_AND : DCR_BE_OR, DCR_TYPE_BOOL, ast->pos, 2);
		if (!e)
			return nomem(b);
		err = bind_args(b, ast, e, 0);
		if (!err)
			err = need_bool(b, &e->args[0], ast->kind == AST_AND ? "AND" : "OR");
		if (!err)
			err = need_bool(b, &e->args[1], ast->kind == AST_AND ? "AND" : "OR");
		break;
	case AST_IS_NULL:
		e = node(b, DCR_BE_IS_NULL, DCR_TYPE_BOOL, ast->pos, 1);
		if (!e)
			return nomem(b);
		e->negated = ast->negated;
		err = bind_args(b, ast, e, 0);
		if (!err && e->args[0]->type == DCR_TYPE_NULL)
			e->args[0]->type = DCR_TYPE_INT;
		break;
	case AST_IN:
		e = node(b, DCR_BE_IN, DCR_TYPE_BOOL, ast->pos, ast->arg_count);
		if (!e)
			return nomem(b);
		e->negated = ast->negated;
		err = bind_args(b, ast, e, 0);
		if (!err)
			err = unify(b, e->args, e->arg_count, ast->pos, "IN", &e->args[0]->type);
		if (!err && e->args[0]->type == DCR_TYPE_NULL)
			for (size_t i = 0; i < e->arg_count; i++)
				e->args[i]->type = DCR_TYPE_INT;
		break;
	case AST_BETWEEN: {
		/* x BETWEEN lo AND hi is x >= lo AND x <= hi; NOT BETWEEN negates it */
		struct dcr_bexpr *x, *lo, *hi, *ge, *le, *both;

		err = bind_expr(b, ast->args[0], &x);
		if (!err)
			err = bind_expr(b, ast->args[1], &lo);
		if (!err)
			err = bind_expr(b, ast->args[2], &hi);
		if (err)
			return err;
		ge = node(b, DCR_BE_COMPARE, DCR_TYPE_BOOL, ast->pos, 2);
		le = node(b, DCR_BE_COMPARE, DCR_TYPE_BOOL, ast->pos, 2);
		both = node(b, DCR_BE_AND, DCR_TYPE_BOOL, ast->pos, 2);
		if (!ge || !le || !both)
			return nomem(b);
		ge->op = DCR_CMP_GE;
		ge->args[0] = x;
		ge->args[1] = lo;
		le->op = DCR_CMP_LE;
		le->args[0] = x;
		le->args[1] = hi;
		err = bind_compare(b, ge, "BETWEEN");
		if (!err)
			err = bind_compare(b, le, "BETWEEN");
		if (err)
			return err;
		both->args[0] = ge;
		both->args[1] = le;
		e = both;
		if (ast->negated) {
			e = node(b, DCR_BE_NOT, DCR_TYPE_BOOL, ast->pos, 1);
			if (!e)
				return nomem(b);
			e->args[0] = both;
		}
		break;
	}
	case AST_LIKE:
		e = node(b, DCR_BE_LIKE, DCR_TYPE_BOOL, ast->pos, 2);
		if (!e)
			return nomem(b);
		e->negated = ast->negated;
		err = bind_args(b, ast, e, 0);
		for (int i = 0; !err && i < 2; i++) {
			if (e->args[i]->type == DCR_TYPE_NULL)
				e->args[i]->type = DCR_TYPE_STRING;
			if (e->args[i]->type != DCR_TYPE_STRING)
				err = fail(b, e->args[i]->pos, "LIKE needs strings, found %s",
				           dcr_type_name(e->args[i]->type));
		}
		break;
	case AST_CASE:
		return bind_case(b, ast, out);
	case AST_CALL:
		return bind_call(b, ast, out);
	}
	if (err)
		return err;
	*out = e;
	return DCR_OK;
}

/* ---- aggregation --------------------------------------------------------- */

/* Rewrites e (bound over the input rows) to read group keys and aggregate
 * results: a sub-expression equal to a GROUP BY key becomes DCR_BE_GROUP; a
 * column left over is an error. */
static enum dcr_err to_post(struct binder *b, struct dcr_bexpr **pe)
{
	struct dcr_bquery *bq = &b->q->bq;
	struct dcr_bexpr *e = *pe;

	for (size_t i = 0; i < bq->group_count; i++) {
		if (bexpr_equal(e, bq->group[i])) {
			struct dcr_bexpr *g = node(b, DCR_BE_GROUP, e->type, e->pos, 0);

			if (!g)
				return nomem(b);
			g->index = i;
			*pe = g;
			return DCR_OK;
		}
	}
	switch (e->kind) {
	case DCR_BE_AGGREF:
	case DCR_BE_CONST:
	case DCR_BE_GROUP:
		return DCR_OK;
	case DCR_BE_COLUMN: {
		const struct dcr_brel *r = &bq->rels[e->rel];

		return fail(b, e->pos,
		            "column %s.%s must appear in GROUP BY or be used in an aggregate",
		            r->alias, r->table->columns[e->column].name);
	}
	default:
		break;
	}
	/* rebuilding keeps shared sub-trees (BETWEEN's x) intact elsewhere */
	struct dcr_bexpr *c = node(b, e->kind, e->type, e->pos, 0);

	if (!c)
		return nomem(b);
	*c = *e;
	if (e->arg_count) {
		c->args = dcr_arena_alloc(b->a, e->arg_count * sizeof(*c->args));
		if (!c->args)
			return nomem(b);
		for (size_t i = 0; i < e->arg_count; i++) {
			enum dcr_err err;

			c->args[i] = e->args[i];
			err = to_post(b, &c->args[i]);
			if (err)
				return err;
		}
	}
	*pe = c;
	return DCR_OK;
}

/* ---- the query ----------------------------------------------------------- */

static enum dcr_err bind_from(struct binder *b, const struct ast_select *ast)
{
	struct dcr_bquery *bq = &b->q->bq;
	const struct dcr_catalog *cat = b->q->cat;

	bq->rel_count = ast->table_count;
	bq->rels = dcr_arena_alloc(b->a, ast->table_count * sizeof(*bq->rels));
	b->q->used = dcr_arena_alloc(b->a, ast->table_count * sizeof(*b->q->used));
	if (!bq->rels || !b->q->used)
		return nomem(b);
	if (ast->table_count > 64)
		return fail(b, ast->tables[64].pos, "more than 64 tables in FROM");
	for (size_t r = 0; r < ast->table_count; r++) {
		const struct ast_table *t = &ast->tables[r];
		const struct dcr_table *found = NULL;

		for (size_t i = 0; i < cat->count; i++)
			if (!strcasecmp(cat->tables[i]->name, t->name))
				found = cat->tables[i];
		if (!found)
			return fail(b, t->pos, "unknown table '%s'", t->name);
		bq->rels[r].table = found;
		bq->rels[r].alias = t->alias ? t->alias : found->name;
		bq->rels[r].join = t->join;
		for (size_t i = 0; i < r; i++)
			if (!strcasecmp(bq->rels[i].alias, bq->rels[r].alias))
				return fail(b, t->pos,
				            "%s appears twice in FROM; give each a different alias",
				            bq->rels[r].alias);
		b->q->used[r] = dcr_arena_alloc(b->a, found->column_count + 1);
		if (!b->q->used[r])
			return nomem(b);
	}
	for (size_t r = 1; r < ast->table_count; r++) {
		const struct ast_table *t = &ast->tables[r];
		enum dcr_err err;

		b->visible = r + 1;
		b->clause = IN_ON;
		err = bind_expr(b, t->on, &bq->rels[r].on);
		if (!err)
			err = need_bool(b, &bq->rels[r].on, "ON");
		if (err)
			return err;
	}
	b->visible = ast->table_count;
	return DCR_OK;
}

/* An output alias that key names, or -1 (an unqualified name only). */
static int find_alias(const struct ast_select *ast, const struct ast_expr *key)
{
	if (key->kind != AST_COLUMN || key->qualifier)
		return -1;
	for (size_t i = 0; i < ast->item_count; i++)
		if (ast->items[i].alias && !strcasecmp(ast->items[i].alias, key->name))
			return (int)i;
	return -1;
}

/* The select item a GROUP/ORDER BY key means by position, or -1; an
 * out-of-range position is an error. item_of maps AST items to outputs. */
static enum dcr_err key_position(struct binder *b, const struct ast_expr *key, size_t count,
                                 int *out)
{
	*out = -1;
	if (key->kind != AST_INT)
		return DCR_OK;
	if (key->i < 1 || (uint64_t)key->i > count)
		return fail(b, key->pos, "position %lld is not in the select list (1 to %zu)",
		            (long long)key->i, count);
	*out = (int)(key->i - 1);
	return DCR_OK;
}

enum dcr_err bind_query(struct dcr_query *q, const struct ast_select *ast, struct dcr_msg *msg)
{
	struct dcr_bquery *bq = &q->bq;
	struct binder b = {.q = q, .a = &q->arena, .msg = msg};
	struct dcr_bexpr **items;   /* bound select list, input space */
	int *item_of;               /* AST item -> first output column */
	size_t n = 0;
	enum dcr_err err;

	memset(bq, 0, sizeof(*bq));
	bq->limit = ast->limit;
	err = bind_from(&b, ast);
	if (err)
		return err;

	if (ast->where) {
		b.clause = IN_WHERE;
		err = bind_expr(&b, ast->where, &bq->where);
		if (!err)
			err = need_bool(&b, &bq->where, "WHERE");
		if (err)
			return err;
	}

	/* the select list, with * expanded */
	for (size_t i = 0; i < ast->item_count; i++) {
		const struct ast_item *it = &ast->items[i];

		if (!it->star) {
			n++;
			continue;
		}
		if (it->star_qualifier) {
			int r = find_rel(&b, it->star_qualifier);

			if (r < 0)
				return fail(&b, it->pos, "unknown table '%s'", it->star_qualifier);
			n += bq->rels[r].table->column_count;
		} else {
			for (size_t r = 0; r < bq->rel_count; r++)
				n += bq->rels[r].table->column_count;
		}
	}
	items = dcr_arena_alloc(b.a, (n + 1) * sizeof(*items));
	bq->names = dcr_arena_alloc(b.a, (n + 1) * sizeof(*bq->names));
	item_of = dcr_arena_alloc(b.a, (ast->item_count + 1) * sizeof(*item_of));
	if (!items || !bq->names || !item_of)
		return nomem(&b);
	b.clause = IN_SELECT;
	n = 0;
	for (size_t i = 0; i < ast->item_count; i++) {
		const struct ast_item *it = &ast->items[i];

		item_of[i] = (int)n;
		if (it->star) {
			int only = it->star_qualifier ? find_rel(&b, it->star_qualifier) : -1;

			for (size_t r = 0; r < bq->rel_count; r++) {
				const struct dcr_table *t = bq->rels[r].table;

				if (only >= 0 && (size_t)only != r)
					continue;
				for (size_t c = 0; c < t->column_count; c++) {
					struct dcr_bexpr *e = node(&b, DCR_BE_COLUMN, t->columns[c].type,
					                           it->pos, 0);

					if (!e)
						return nomem(&b);
					e->rel = r;
					e->column = c;
					q->used[r][c] = true;
					bq->names[n] = t->columns[c].name;
					items[n++] = e;
				}
			}
			continue;
		}
		err = bind_expr(&b, it->expr, &items[n]);
		if (err)
			return err;
		if (it->alias)
			bq->names[n] = it->alias;
		else if (it->expr->kind == AST_COLUMN)
			bq->names[n] = it->expr->name;
		else
			bq->names[n] = text_of(&b, it->expr);
		if (!bq->names[n])
			return nomem(&b);
		if (items[n]->type == DCR_TYPE_NULL)
			items[n]->type = DCR_TYPE_INT; /* SELECT NULL: a column has a type */
		n++;
	}
	bq->select_count = n;

	/* GROUP BY: an input column first, then an output alias, or a position */
	if (ast->group_count) {
		bq->group = dcr_arena_alloc(b.a, ast->group_count * sizeof(*bq->group));
		if (!bq->group)
			return nomem(&b);
		b.clause = IN_GROUP;
		for (size_t i = 0; i < ast->group_count; i++) {
			const struct ast_expr *key = ast->group[i];
			int pos;

			err = key_position(&b, key, n, &pos);
			if (err)
				return err;
			if (pos < 0 && key->kind == AST_COLUMN) {
				struct dcr_msg ignored;
				struct dcr_msg *keep = b.msg;

				/* a name that is not an input column may be an alias */
				b.msg = &ignored;
				err = bind_expr(&b, key, &bq->group[i]);
				b.msg = keep;
				if (err) {
					int a = find_alias(ast, key);

					if (a < 0)
						return bind_expr(&b, key, &bq->group[i]);
					pos = item_of[a];
				}
			} else if (pos < 0) {
				err = bind_expr(&b, key, &bq->group[i]);
				if (err)
					return err;
			}
			if (pos >= 0) {
				if (bexpr_has_agg(items[pos]))
					return fail(&b, key->pos,
					            "GROUP BY %s refers to an aggregate", bq->names[pos]);
				bq->group[i] = items[pos];
			}
		}
		bq->group_count = ast->group_count;
	}

	if (ast->having) {
		b.clause = IN_HAVING;
		err = bind_expr(&b, ast->having, &bq->having);
		if (!err)
			err = need_bool(&b, &bq->having, "HAVING");
		if (err)
			return err;
	}

	/* ORDER BY: a position, an output alias, or an expression */
	bq->order = dcr_arena_alloc(b.a, (ast->order_count + 1) * sizeof(*bq->order));
	if (!bq->order)
		return nomem(&b);
	b.clause = IN_ORDER;
	for (size_t i = 0; i < ast->order_count; i++) {
		const struct ast_expr *key = ast->order[i].expr;
		int pos, a;

		err = key_position(&b, key, n, &pos);
		if (err)
			return err;
		a = pos < 0 ? find_alias(ast, key) : -1;
		if (pos >= 0)
			bq->order[i].expr = items[pos];
		else if (a >= 0)
			bq->order[i].expr = items[item_of[a]];
		else if ((err = bind_expr(&b, key, &bq->order[i].expr)))
			return err;
		bq->order[i].desc = ast->order[i].desc;
	}
	bq->order_count = ast->order_count;

	bq->aggregated = ast->group_count > 0 || b.agg_count > 0 || ast->having;
	bq->aggs = b.aggs;
	bq->agg_count = b.agg_count;
	if (bq->aggregated) {
		for (size_t i = 0; i < n; i++)
			if ((err = to_post(&b, &items[i])))
				return err;
		if (bq->having && (err = to_post(&b, &bq->having)))
			return err;
		for (size_t i = 0; i < bq->order_count; i++)
			if ((err = to_post(&b, &bq->order[i].expr)))
				return err;
	}
	bq->select = items;
	return DCR_OK;
}
