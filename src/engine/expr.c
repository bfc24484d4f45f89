/* SPDX-License-Identifier: Apache-2.0 */
/* The vectorised expression evaluator: a bound expression over a batch of
 * tuples (or of groups, after aggregation) to a vector of values, with SQL's
 * NULL rules. Branches of CASE and COALESCE run only on the tuples that take
 * them, so an overflow in a branch not taken is no error. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exec_int.h"
#include "sql_int.h"

#define SCRATCH_MAX ((size_t)1 << 34)

void eval_ctx_init(struct eval_ctx *ctx, const char *sql, struct dcr_msg *msg)
{
	dcr_arena_init(&ctx->scratch, SCRATCH_MAX);
	ctx->err = DCR_OK;
	ctx->msg = msg;
	ctx->sql = sql;
}

void eval_ctx_reset(struct eval_ctx *ctx)
{
	dcr_arena_reset(&ctx->scratch);
}

void eval_ctx_free(struct eval_ctx *ctx)
{
	dcr_arena_free(&ctx->scratch);
}

void eval_fail(struct eval_ctx *ctx, const struct dcr_bexpr *e, const char *what)
{
	unsigned line = 0, col = 0;

	if (ctx->err)
		return;
	ctx->err = DCR_ERR_INVALID;
	if (ctx->sql)
		sql_position(ctx->sql, strlen(ctx->sql), e->pos, &line, &col);
	dcr_msg_set(ctx->msg, "line %u, column %u: %s", line, col, what);
}

static void *scratch(struct eval_ctx *ctx, size_t size)
{
	void *p = dcr_arena_alloc(&ctx->scratch, size);

	if (!p && !ctx->err) {
		ctx->err = DCR_ERR_NOMEM;
		dcr_msg_set(ctx->msg, "out of memory while running the query");
	}
	return p;
}

static struct vec *vec_new(struct eval_ctx *ctx, enum dcr_type type, uint32_t n, bool nulls)
{
	struct vec *v = scratch(ctx, sizeof(*v));

	if (!v)
		return NULL;
	v->type = type;
	v->n = n;
	/* every operator writes all n values (or marks them NULL): no zeroing */
	v->v.data = dcr_arena_alloc_raw(&ctx->scratch, (size_t)(n ? n : 1) * value_width(type));
	if (!v->v.data) {
		if (!ctx->err) {
			ctx->err = DCR_ERR_NOMEM;
			dcr_msg_set(ctx->msg, "out of memory while running the query");
		}
		return NULL;
	}
	if (nulls) {
		v->nulls = scratch(ctx, n ? n : 1);
		if (!v->nulls)
			return NULL;
	}
	return v;
}

/* Makes sure v has a NULL map (all zero when new). */
static bool need_nulls(struct eval_ctx *ctx, struct vec *v)
{
	if (!v->nulls)
		v->nulls = scratch(ctx, v->n ? v->n : 1);
	return v->nulls != NULL;
}

static inline bool is_null(const struct vec *v, uint32_t i)
{
	return v->nulls && v->nulls[i];
}

static uint32_t src_count(const struct eval_src *src)
{
	return src->batch ? src->batch->n : src->n;
}

/* ---- leaves -------------------------------------------------------------- */

static struct vec *eval_const(struct eval_ctx *ctx, const struct dcr_bexpr *e, uint32_t n)
{
	enum dcr_type t = e->type == DCR_TYPE_NULL ? DCR_TYPE_INT : e->type;
	struct vec *v = vec_new(ctx, t, n, e->value.type == DCR_TYPE_NULL);

	if (!v)
		return NULL;
	if (e->value.type == DCR_TYPE_NULL) {
		memset(v->nulls, 1, n);
		if (t == DCR_TYPE_STRING)
			for (uint32_t i = 0; i < n; i++)
				v->v.s[i] = (struct dcr_str){"", 0};
		return v;
	}
	for (uint32_t i = 0; i < n; i++) {
		switch (t) {
		case DCR_TYPE_BOOL: v->v.b[i] = e->value.v.b; break;
		case DCR_TYPE_INT: v->v.i[i] = e->value.v.i; break;
		case DCR_TYPE_FLOAT: v->v.f[i] = e->value.v.f; break;
		case DCR_TYPE_DATE: v->v.d[i] = e->value.v.date; break;
		case DCR_TYPE_STRING: v->v.s[i] = e->value.v.s; break;
		case DCR_TYPE_ID: memcpy(v->v.id + (size_t)i * DCR_ID_SIZE, e->value.v.id, DCR_ID_SIZE);
			break;
		case DCR_TYPE_NULL: break;
		}
	}
	return v;
}

/* Reads n values of col at the given rows (ROW_NONE: NULL). */
static struct vec *gather(struct eval_ctx *ctx, const struct dcr_column *col,
                          const uint32_t *rows, uint32_t n)
{
	bool padded = false, run = n > 0 && col->type != DCR_TYPE_STRING;
	struct vec *v;

	/* consecutive rows (a scan): the vector is the column itself */
	for (uint32_t i = 1; run && i < n; i++)
		run = rows[i] == rows[0] + i;
	if (run && rows[0] != ROW_NONE) {
		size_t w = engine_type_width(col->type);

		v = scratch(ctx, sizeof(*v));
		if (!v)
			return NULL;
		v->type = col->type;
		v->n = n;
		v->v.data = (uint8_t *)col->v.data + (size_t)rows[0] * w;
		v->nulls = col->nulls ? col->nulls + rows[0] : NULL;
		return v;
	}

	for (uint32_t i = 0; i < n && !padded; i++)
		padded = rows[i] == ROW_NONE;
	v = vec_new(ctx, col->type, n, padded || col->nulls);
	if (!v)
		return NULL;
	if (v->nulls) {
		for (uint32_t i = 0; i < n; i++)
			v->nulls[i] = rows[i] == ROW_NONE || (col->nulls && col->nulls[rows[i]]);
	}
	/* padded rows read row 0 of a non-empty column, or are skipped */
	switch (col->type) {
	case DCR_TYPE_BOOL:
		for (uint32_t i = 0; i < n; i++)
			v->v.b[i] = rows[i] == ROW_NONE ? 0 : col->v.b[rows[i]];
		break;
	case DCR_TYPE_INT:
		for (uint32_t i = 0; i < n; i++)
			v->v.i[i] = rows[i] == ROW_NONE ? 0 : col->v.i64[rows[i]];
		break;
	case DCR_TYPE_FLOAT:
		for (uint32_t i = 0; i < n; i++)
			v->v.f[i] = rows[i] == ROW_NONE ? 0 : col->v.f64[rows[i]];
		break;
	case DCR_TYPE_DATE:
		for (uint32_t i = 0; i < n; i++)
			v->v.d[i] = rows[i] == ROW_NONE ? 0 : col->v.date[rows[i]];
		break;
	case DCR_TYPE_STRING:
		for (uint32_t i = 0; i < n; i++) {
			if (rows[i] == ROW_NONE || (col->nulls && col->nulls[rows[i]]))
				v->v.s[i] = (struct dcr_str){"", 0};
			else
				v->v.s[i] = col->dict->strs[col->v.code[rows[i]]];
		}
		break;
	case DCR_TYPE_ID:
		for (uint32_t i = 0; i < n; i++) {
			uint8_t *dst = v->v.id + (size_t)i * DCR_ID_SIZE;

			if (rows[i] == ROW_NONE)
				memset(dst, 0, DCR_ID_SIZE);
			else
				memcpy(dst, col->v.id + (size_t)rows[i] * DCR_ID_SIZE, DCR_ID_SIZE);
		}
		break;
	case DCR_TYPE_NULL:
		break;
	}
	return v;
}

/* Reads n values of a materialised column (after aggregation). */
static struct vec *read_post(struct eval_ctx *ctx, const struct dcr_column *col,
                             const struct eval_src *src)
{
	uint32_t n = src->n, *rows = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*rows));

	if (!rows)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		rows[i] = src->sel ? src->sel[i] : src->first + i;
	return gather(ctx, col, rows, n);
}

/* ---- subsets: evaluating a branch on some tuples only -------------------- */

/* src restricted to the tuples idx[0..m). */
static bool subset(struct eval_ctx *ctx, const struct eval_src *src, const uint32_t *idx,
                   uint32_t m, struct eval_src *out)
{
	*out = *src;
	if (src->batch) {
		size_t rels = src->bq->rel_count;
		struct batch *b = scratch(ctx, sizeof(*b) + rels * sizeof(b->rows[0]));

		if (!b)
			return false;
		b->n = m;
		for (size_t r = 0; r < rels; r++) {
			if (!src->batch->rows[r])
				continue;
			b->rows[r] = scratch(ctx, (size_t)(m ? m : 1) * sizeof(uint32_t));
			if (!b->rows[r])
				return false;
			for (uint32_t j = 0; j < m; j++)
				b->rows[r][j] = src->batch->rows[r][idx[j]];
		}
		out->batch = b;
		return true;
	}
	uint32_t *sel = scratch(ctx, (size_t)(m ? m : 1) * sizeof(*sel));

	if (!sel)
		return false;
	for (uint32_t j = 0; j < m; j++)
		sel[j] = src->sel ? src->sel[idx[j]] : src->first + idx[j];
	out->sel = sel;
	out->n = m;
	return true;
}

/* out[idx[j]] = part[j] for every j (same type). */
static void scatter(struct vec *out, const struct vec *part, const uint32_t *idx)
{
	size_t w = value_width(out->type);

	for (uint32_t j = 0; j < part->n; j++) {
		uint32_t i = idx[j];

		memcpy((uint8_t *)out->v.data + (size_t)i * w,
		       (const uint8_t *)part->v.data + (size_t)j * w, w);
		out->nulls[i] = is_null(part, j);
	}
}

/* ---- operators ----------------------------------------------------------- */

static struct vec *eval_neg(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a)
{
	struct vec *v = vec_new(ctx, a->type, a->n, false);

	if (!v)
		return NULL;
	v->nulls = a->nulls;
	if (a->type == DCR_TYPE_FLOAT) {
		for (uint32_t i = 0; i < a->n; i++)
			v->v.f[i] = -a->v.f[i];
		return v;
	}
	for (uint32_t i = 0; i < a->n; i++) {
		if (a->v.i[i] == INT64_MIN && !is_null(a, i)) {
			eval_fail(ctx, e, "integer overflow in unary minus");
			return NULL;
		}
		v->v.i[i] = a->v.i[i] == INT64_MIN ? 0 : -a->v.i[i];
	}
	return v;
}

/* NULL where either input is NULL (a new map, or NULL when neither has one). */
static uint8_t *merge_nulls(struct eval_ctx *ctx, const struct vec *a, const struct vec *b,
                            bool *ok)
{
	uint8_t *n;

	*ok = true;
	if (!a->nulls && !b->nulls)
		return NULL;
	n = scratch(ctx, a->n ? a->n : 1);
	if (!n) {
		*ok = false;
		return NULL;
	}
	for (uint32_t i = 0; i < a->n; i++)
		n[i] = is_null(a, i) || is_null(b, i);
	return n;
}

static struct vec *eval_arith(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a,
                              struct vec *b)
{
	struct vec *v = vec_new(ctx, e->type, a->n, false);
	uint32_t n = a->n;
	bool ok;

	if (!v)
		return NULL;
	v->nulls = merge_nulls(ctx, a, b, &ok);
	if (!ok)
		return NULL;
	if (e->type == DCR_TYPE_FLOAT) {
		const double *x = a->v.f, *y = b->v.f;
		double *r = v->v.f;

		switch (e->op) {
		case '+': for (uint32_t i = 0; i < n; i++) r[i] = x[i] + y[i]; break;
		case '-': for (uint32_t i = 0; i < n; i++) r[i] = x[i] - y[i]; break;
		case '*': for (uint32_t i = 0; i < n; i++) r[i] = x[i] * y[i]; break;
		default:
			/* division by zero is NULL (DuckDB, SQLite) */
			for (uint32_t i = 0; i < n; i++) {
				if (y[i] == 0.0) {
					if (!need_nulls(ctx, v))
						return NULL;
					v->nulls[i] = 1;
					r[i] = 0;
				} else {
					r[i] = x[i] / y[i];
				}
			}
			break;
		}
		return v;
	}
	const int64_t *x = a->v.i, *y = b->v.i;
	int64_t *r = v->v.i;
	bool over = false;

	switch (e->op) {
	case '+': for (uint32_t i = 0; i < n; i++) over |= __builtin_add_overflow(x[i], y[i], &r[i]);
		break;
	case '-': for (uint32_t i = 0; i < n; i++) over |= __builtin_sub_overflow(x[i], y[i], &r[i]);
		break;
	default: for (uint32_t i = 0; i < n; i++) over |= __builtin_mul_overflow(x[i], y[i], &r[i]);
		break;
	}
	if (over) {
		/* only an overflow on a row that is not NULL counts */
		for (uint32_t i = 0; i < n; i++) {
			int64_t t;
			bool o = e->op == '+' ? __builtin_add_overflow(x[i], y[i], &t)
			       : e->op == '-' ? __builtin_sub_overflow(x[i], y[i], &t)
			                      : __builtin_mul_overflow(x[i], y[i], &t);

			if (o && !(v->nulls && v->nulls[i])) {
				char what[64];

				snprintf(what, sizeof(what), "integer overflow in %c", e->op);
				eval_fail(ctx, e, what);
				return NULL;
			}
		}
	}
	return v;
}

static int cmp_str(struct dcr_str a, struct dcr_str b)
{
	uint32_t n = a.len < b.len ? a.len : b.len;
	/* a NULL's string is {NULL, 0}: never hand memcmp a NULL pointer */
	int c = n ? memcmp(a.ptr, b.ptr, n) : 0;

	if (c)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

static bool cmp_result(int c, int op)
{
	switch (op) {
	case DCR_CMP_EQ: return c == 0;
	case DCR_CMP_NE: return c != 0;
	case DCR_CMP_LT: return c < 0;
	case DCR_CMP_LE: return c <= 0;
	case DCR_CMP_GT: return c > 0;
	default: return c >= 0;
	}
}

#define CMP_LOOP(X, Y)                                                      \
	do {                                                                 \
		switch (op) {                                                \
		case DCR_CMP_EQ: for (i = 0; i < n; i++) r[i] = X == Y; break; \
		case DCR_CMP_NE: for (i = 0; i < n; i++) r[i] = X != Y; break; \
		case DCR_CMP_LT: for (i = 0; i < n; i++) r[i] = X < Y; break;  \
		case DCR_CMP_LE: for (i = 0; i < n; i++) r[i] = X <= Y; break; \
		case DCR_CMP_GT: for (i = 0; i < n; i++) r[i] = X > Y; break;  \
		default: for (i = 0; i < n; i++) r[i] = X >= Y; break;         \
		}                                                            \
	} while (0)

/* r[i] = a[i] op b[i] (both of type t); NULLs are handled by the caller. */
static void compare_values(const struct vec *a, const struct vec *b, int op, uint8_t *r)
{
	uint32_t i, n = a->n;

	switch (a->type) {
	case DCR_TYPE_INT: CMP_LOOP(a->v.i[i], b->v.i[i]); break;
	case DCR_TYPE_FLOAT: CMP_LOOP(a->v.f[i], b->v.f[i]); break;
	case DCR_TYPE_DATE: CMP_LOOP(a->v.d[i], b->v.d[i]); break;
	case DCR_TYPE_BOOL: CMP_LOOP(a->v.b[i], b->v.b[i]); break;
	case DCR_TYPE_STRING:
		for (i = 0; i < n; i++)
			r[i] = cmp_result(cmp_str(a->v.s[i], b->v.s[i]), op);
		break;
	case DCR_TYPE_ID:
		for (i = 0; i < n; i++)
			r[i] = cmp_result(memcmp(a->v.id + (size_t)i * DCR_ID_SIZE,
			                         b->v.id + (size_t)i * DCR_ID_SIZE, DCR_ID_SIZE), op);
		break;
	case DCR_TYPE_NULL:
		break;
	}
}

static struct vec *eval_compare(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a,
                                struct vec *b)
{
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, a->n, false);
	bool ok;

	if (!v)
		return NULL;
	v->nulls = merge_nulls(ctx, a, b, &ok);
	if (!ok)
		return NULL;
	compare_values(a, b, e->op, v->v.b);
	return v;
}

/* AND / OR with three-valued logic. */
static struct vec *eval_logic(struct eval_ctx *ctx, bool is_and, struct vec *a, struct vec *b)
{
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, a->n, a->nulls || b->nulls);

	if (!v)
		return NULL;
	for (uint32_t i = 0; i < a->n; i++) {
		bool an = is_null(a, i), bn = is_null(b, i);
		bool av = a->v.b[i], bv = b->v.b[i];

		if (is_and) {
			/* FALSE wins over NULL */
			if ((!an && !av) || (!bn && !bv))
				v->v.b[i] = 0;
			else if (an || bn)
				v->nulls[i] = 1;
			else
				v->v.b[i] = 1;
		} else {
			/* TRUE wins over NULL */
			if ((!an && av) || (!bn && bv))
				v->v.b[i] = 1;
			else if (an || bn)
				v->nulls[i] = 1;
			else
				v->v.b[i] = 0;
		}
	}
	return v;
}

static struct vec *eval_not(struct eval_ctx *ctx, struct vec *a)
{
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, a->n, false);

	if (!v)
		return NULL;
	v->nulls = a->nulls;
	for (uint32_t i = 0; i < a->n; i++)
		v->v.b[i] = !a->v.b[i];
	return v;
}

/* One UTF-8 character's length at s (at least 1, at most the bytes left). */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t k = 1;

	while (k < left && (s[k] & 0xc0) == 0x80)
		k++;
	return k;
}

/* SQL LIKE: '%' any run of characters, '_' one character; no escapes.
 * Backtracks only to the last '%', so it is O(len(s) * len(p)). */
static bool like(const char *s, size_t n, const char *p, size_t m)
{
	const unsigned char *us = (const unsigned char *)s;
	size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;

	while (si < n) {
		if (pi < m && p[pi] == '%') {
			star_p = pi++;
			star_s = si;
		} else if (pi < m && p[pi] == '_') {
			si += utf8_len(us + si, n - si);
			pi++;
		} else if (pi < m && p[pi] == s[si]) {
			si++;
			pi++;
		} else if (star_p != SIZE_MAX) {
			pi = star_p + 1;
			star_s += utf8_len(us + star_s, n - star_s);
			si = star_s;
		} else {
			return false;
		}
	}
	while (pi < m && p[pi] == '%')
		pi++;
	return pi == m;
}

static struct vec *eval_like(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a,
                             struct vec *b)
{
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, a->n, false);
	bool ok;

	if (!v)
		return NULL;
	v->nulls = merge_nulls(ctx, a, b, &ok);
	if (!ok)
		return NULL;
	for (uint32_t i = 0; i < a->n; i++) {
		if (v->nulls && v->nulls[i])
			continue;
		v->v.b[i] = like(a->v.s[i].ptr, a->v.s[i].len, b->v.s[i].ptr, b->v.s[i].len) !=
		            e->negated;
	}
	return v;
}

static struct vec *eval_is_null(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a)
{
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, a->n, false);

	if (!v)
		return NULL;
	for (uint32_t i = 0; i < a->n; i++)
		v->v.b[i] = is_null(a, i) != e->negated;
	return v;
}

static struct vec *eval_in(struct eval_ctx *ctx, const struct dcr_bexpr *e,
                           const struct eval_src *src, struct vec *x)
{
	uint32_t n = x->n;
	struct vec *v = vec_new(ctx, DCR_TYPE_BOOL, n, true);
	uint8_t *eq = scratch(ctx, n ? n : 1), *unknown = scratch(ctx, n ? n : 1);

	if (!v || !eq || !unknown)
		return NULL;
	memset(v->v.b, 0, n);
	for (size_t k = 1; k < e->arg_count; k++) {
		struct vec *y = eval(ctx, e->args[k], src);

		if (!y)
			return NULL;
		compare_values(x, y, DCR_CMP_EQ, eq);
		for (uint32_t i = 0; i < n; i++) {
			if (is_null(x, i) || is_null(y, i))
				unknown[i] = 1;
			else if (eq[i])
				v->v.b[i] = 1;
		}
	}
	/* TRUE if some item matched; else NULL if x or an item was NULL */
	for (uint32_t i = 0; i < n; i++) {
		if (v->v.b[i])
			v->nulls[i] = 0;
		else
			v->nulls[i] = unknown[i];
		if (e->negated)
			v->v.b[i] = !v->v.b[i];
	}
	return v;
}

static struct vec *eval_case(struct eval_ctx *ctx, const struct dcr_bexpr *e,
                             const struct eval_src *src)
{
	uint32_t n = src_count(src), left = n, *idx, *take, *rest;
	struct vec *out = vec_new(ctx, e->type, n, true);
	size_t pairs = (e->arg_count - 1) / 2;
	struct eval_src cur = *src;

	idx = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*idx));
	take = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*take));
	rest = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*rest));
	if (!out || !idx || !take || !rest)
		return NULL;
	memset(out->nulls, 1, n);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	/* idx[0..left) are the tuples no WHEN has taken yet; cur is src on them */
	for (size_t p = 0; p <= pairs && left; p++) {
		uint32_t t = 0, r = 0;
		struct vec *val;

		if (p < pairs) {
			struct vec *c = eval(ctx, e->args[2 * p], &cur);

			if (!c)
				return NULL;
			for (uint32_t j = 0; j < left; j++) {
				if (!is_null(c, j) && c->v.b[j])
					take[t++] = j;
				else
					rest[r++] = j;
			}
		} else {
			for (uint32_t j = 0; j < left; j++)
				take[t++] = j;
		}
		if (t) {
			struct eval_src part;
			uint32_t *where = scratch(ctx, (size_t)t * sizeof(*where));

			if (!where || !subset(ctx, &cur, take, t, &part))
				return NULL;
			val = eval(ctx, e->args[p < pairs ? 2 * p + 1 : e->arg_count - 1], &part);
			if (!val)
				return NULL;
			for (uint32_t j = 0; j < t; j++)
				where[j] = idx[take[j]];
			scatter(out, val, where);
		}
		if (p == pairs || r == 0)
			break;
		/* carry on with the rest */
		struct eval_src next;

		if (!subset(ctx, &cur, rest, r, &next))
			return NULL;
		for (uint32_t j = 0; j < r; j++)
			rest[j] = idx[rest[j]];
		memcpy(idx, rest, (size_t)r * sizeof(*idx));
		left = r;
		cur = next;
	}
	return out;
}

static struct vec *eval_coalesce(struct eval_ctx *ctx, const struct dcr_bexpr *e,
                                 const struct eval_src *src)
{
	uint32_t n = src_count(src), left = n, *idx, *still;
	struct vec *out = vec_new(ctx, e->type, n, true);
	struct eval_src cur = *src;

	idx = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*idx));
	still = scratch(ctx, (size_t)(n ? n : 1) * sizeof(*still));
	if (!out || !idx || !still)
		return NULL;
	memset(out->nulls, 1, n);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t k = 0; k < e->arg_count && left; k++) {
		struct vec *v = eval(ctx, e->args[k], &cur);
		uint32_t r = 0;

		if (!v)
			return NULL;
		for (uint32_t j = 0; j < left; j++) {
			if (is_null(v, j)) {
				still[r++] = j;
				continue;
			}
			uint32_t i = idx[j];
			size_t w = value_width(out->type);

			memcpy((uint8_t *)out->v.data + (size_t)i * w,
			       (const uint8_t *)v->v.data + (size_t)j * w, w);
			out->nulls[i] = 0;
		}
		if (r == 0 || k + 1 == e->arg_count)
			break;
		struct eval_src next;

		if (!subset(ctx, &cur, still, r, &next))
			return NULL;
		for (uint32_t j = 0; j < r; j++)
			still[j] = idx[still[j]];
		memcpy(idx, still, (size_t)r * sizeof(*idx));
		left = r;
		cur = next;
	}
	return out;
}

static struct vec *eval_cast(struct eval_ctx *ctx, const struct dcr_bexpr *e, struct vec *a)
{
	struct vec *v;

	if (a->type == e->type)
		return a;
	v = vec_new(ctx, e->type, a->n, false);
	if (!v)
		return NULL;
	v->nulls = a->nulls;
	if (a->type == DCR_TYPE_INT && e->type == DCR_TYPE_FLOAT) {
		for (uint32_t i = 0; i < a->n; i++)
			v->v.f[i] = (double)a->v.i[i];
		return v;
	}
	eval_fail(ctx, e, "unsupported conversion");
	return NULL;
}

struct vec *eval(struct eval_ctx *ctx, const struct dcr_bexpr *e, const struct eval_src *src)
{
	uint32_t n = src_count(src);
	struct vec *a, *b;

	if (ctx->err)
		return NULL;
	switch (e->kind) {
	case DCR_BE_CONST:
		return eval_const(ctx, e, n);
	case DCR_BE_COLUMN:
		return gather(ctx, &src->bq->rels[e->rel].table->columns[e->column],
		              src->batch->rows[e->rel], n);
	case DCR_BE_GROUP:
		return read_post(ctx, &src->groups[e->index], src);
	case DCR_BE_AGGREF:
		return read_post(ctx, &src->aggs[e->index], src);
	case DCR_BE_NEG:
		a = eval(ctx, e->args[0], src);
		return a ? eval_neg(ctx, e, a) : NULL;
	case DCR_BE_NOT:
		a = eval(ctx, e->args[0], src);
		return a ? eval_not(ctx, a) : NULL;
	case DCR_BE_CAST:
		a = eval(ctx, e->args[0], src);
		return a ? eval_cast(ctx, e, a) : NULL;
	case DCR_BE_IS_NULL:
		a = eval(ctx, e->args[0], src);
		return a ? eval_is_null(ctx, e, a) : NULL;
	case DCR_BE_ARITH:
	case DCR_BE_COMPARE:
	case DCR_BE_LIKE:
		a = eval(ctx, e->args[0], src);
		b = a ? eval(ctx, e->args[1], src) : NULL;
		if (!b)
			return NULL;
		if (e->kind == DCR_BE_ARITH)
			return eval_arith(ctx, e, a, b);
		if (e->kind == DCR_BE_COMPARE)
			return eval_compare(ctx, e, a, b);
		return eval_like(ctx, e, a, b);
	case DCR_BE_AND:
	case DCR_BE_OR:
		a = eval(ctx, e->args[0], src);
		for (size_t k = 1; a && k < e->arg_count; k++) {
			b = eval(ctx, e->args[k], src);
			a = b ? eval_logic(ctx, e->kind == DCR_BE_AND, a, b) : NULL;
		}
		return a;
	case DCR_BE_IN:
		a = eval(ctx, e->args[0], src);
		return a ? eval_in(ctx, e, src, a) : NULL;
	case DCR_BE_CASE:
		return eval_case(ctx, e, src);
	case DCR_BE_COALESCE:
		return eval_coalesce(ctx, e, src);
	case DCR_BE_AGG:
		break;
	}
	eval_fail(ctx, e, "an aggregate cannot be evaluated here");
	return NULL;
}

uint32_t *eval_select(struct eval_ctx *ctx, const struct dcr_bexpr *cond,
                      const struct eval_src *src, uint32_t *out_count)
{
	struct vec *c = eval(ctx, cond, src);
	uint32_t *idx, k = 0;

	*out_count = 0;
	if (!c)
		return NULL;
	idx = scratch(ctx, (size_t)(c->n ? c->n : 1) * sizeof(*idx));
	if (!idx)
		return NULL;
	for (uint32_t i = 0; i < c->n; i++)
		if (c->v.b[i] && !is_null(c, i))
			idx[k++] = i;
	*out_count = k;
	return idx;
}
