/* SPDX-License-Identifier: Apache-2.0 */
/* Hash aggregation. Each worker keeps its own groups and aggregate states;
 * they are merged at the end. When every GROUP BY key is a dictionary
 * column with a small product of dictionary sizes, the group number is
 * computed directly from the codes ("perfect hashing") and nothing is
 * hashed. COUNT(DISTINCT x) keeps (group, value) entries per worker, then
 * partitions them by the value's hash so that each partition is deduplicated
 * by one worker, in parallel, without any fall-back to row-at-a-time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"
#include "sql_int.h"

#define PERFECT_MAX 65536   /* largest direct group domain */
#define DISTINCT_PARTS 256  /* partitions for COUNT(DISTINCT) */

struct state {
	union {
		int64_t i;
		double f;
		__int128 wide;      /* AVG of ints: exact sum */
		int32_t d;
		struct dcr_str s;
		uint8_t id[DCR_ID_SIZE];
	} v;
	int64_t count;              /* COUNT; values seen for SUM/AVG/MIN/MAX */
};

/* One distinct entry: group, row (for id columns), hash, then the value. */
struct dentry_head {
	uint32_t gid;
	uint32_t row;
	uint64_t hash;
};

struct dbuf {
	uint8_t *data;
	size_t n, cap;
};

/* A worker's groups. */
struct local {
	size_t count, cap;          /* groups */
	uint64_t *hashes;
	uint32_t *slots;            /* open addressing: gid + 1 */
	size_t mask;
	uint8_t **kvals;            /* per key: values (value_width), cap of them */
	uint8_t **knulls;           /* per key: NULL flags */
	struct state **states;      /* per aggregate: cap states */
	uint8_t *seen;              /* perfect: which group numbers occurred */
	struct dbuf *distinct;      /* per aggregate (DISTINCT ones only) */
	uint32_t *gids;             /* BATCH group numbers of the current batch */
	uint32_t *remap;            /* merge: local gid -> global gid */
	enum dcr_err err;
};

struct agg {
	struct dcr_query *q;
	const struct dcr_bquery *bq;
	unsigned workers;
	size_t keys, aggs;
	bool perfect;               /* group numbers from dictionary codes */
	const struct dcr_column **pcols; /* perfect: the key columns */
	size_t *prel;               /* perfect: their relations */
	size_t *stride;             /* perfect: multiplier per key */
	size_t domain;              /* perfect: number of possible groups */
	size_t *dwidth;             /* per aggregate: bytes of a distinct value */
	bool *drow;                 /* per aggregate: distinct value kept as a row */
	struct local *locals;
	size_t max_memory;
	atomic_size_t memory;
	/* results */
	struct dcr_column *gcols, *acols;
	size_t groups;
	uint64_t **dcounts;         /* finish: per worker, per group, distinct counts */
};

static size_t entry_size(const struct agg *g, size_t a)
{
	return sizeof(struct dentry_head) + g->dwidth[a];
}

/* ---- set-up ------------------------------------------------------------ */

static bool charge(struct agg *g, size_t bytes)
{
	if (!g->max_memory)
		return true;
	return atomic_fetch_add(&g->memory, bytes) + bytes <= g->max_memory;
}

static enum dcr_err local_grow(struct agg *g, struct local *l, size_t need)
{
	size_t cap = l->cap ? l->cap : 64;

	while (cap < need)
		cap *= 2;
	if (cap == l->cap)
		return DCR_OK;
	if (!charge(g, (cap - l->cap) * (g->aggs * sizeof(struct state) + 16)))
		return DCR_ERR_TOO_BIG;
	uint64_t *h = realloc(l->hashes, cap * sizeof(*h));

	if (!h)
		return DCR_ERR_NOMEM;
	l->hashes = h;
	for (size_t k = 0; k < g->keys; k++) {
		size_t w = value_width(g->bq->group[k]->type);
		uint8_t *v = realloc(l->kvals[k], cap * w), *nl;

		if (!v)
			return DCR_ERR_NOMEM;
		l->kvals[k] = v;
		nl = realloc(l->knulls[k], cap);
		if (!nl)
			return DCR_ERR_NOMEM;
		l->knulls[k] = nl;
	}
	for (size_t a = 0; a < g->aggs; a++) {
		struct state *s = realloc(l->states[a], cap * sizeof(*s));

		if (!s)
			return DCR_ERR_NOMEM;
		memset(s + l->cap, 0, (cap - l->cap) * sizeof(*s));
		l->states[a] = s;
	}
	l->cap = cap;
	return DCR_OK;
}

static enum dcr_err slots_grow(struct local *l)
{
	size_t n = (l->mask + 1) * 2;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return DCR_ERR_NOMEM;
	for (size_t gid = 0; gid < l->count; gid++) {
		size_t i = l->hashes[gid] & (n - 1);

		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = (uint32_t)gid + 1;
	}
	free(l->slots);
	l->slots = slots;
	l->mask = n - 1;
	return DCR_OK;
}

/* Can the groups be numbered straight from dictionary codes? */
static void try_perfect(struct agg *g)
{
	size_t domain = 1;

	if (g->keys == 0 || g->keys > 8)
		return;
	for (size_t k = 0; k < g->keys; k++) {
		const struct dcr_bexpr *e = g->bq->group[k];
		const struct dcr_column *c;

		if (e->kind != DCR_BE_COLUMN || e->type != DCR_TYPE_STRING)
			return;
		c = &g->bq->rels[e->rel].table->columns[e->column];
		/* one more value for NULL */
		domain *= dcr_dict_count(c->dict) + 1;
		if (domain > PERFECT_MAX)
			return;
	}
	g->pcols = calloc(g->keys, sizeof(*g->pcols));
	g->prel = calloc(g->keys, sizeof(*g->prel));
	g->stride = calloc(g->keys, sizeof(*g->stride));
	if (!g->pcols || !g->prel || !g->stride)
		return;
	size_t stride = 1;

	for (size_t k = 0; k < g->keys; k++) {
		const struct dcr_bexpr *e = g->bq->group[k];

		g->pcols[k] = &g->bq->rels[e->rel].table->columns[e->column];
		g->prel[k] = e->rel;
		g->stride[k] = stride;
		stride *= dcr_dict_count(g->pcols[k]->dict) + 1;
	}
	g->domain = stride;
	g->perfect = true;
}

void agg_free(struct agg *g)
{
	if (!g)
		return;
	for (unsigned w = 0; g->locals && w < g->workers; w++) {
		struct local *l = &g->locals[w];

		free(l->hashes);
		free(l->slots);
		for (size_t k = 0; l->kvals && k < g->keys; k++) {
			free(l->kvals[k]);
			free(l->knulls[k]);
		}
		free(l->kvals);
		free(l->knulls);
		for (size_t a = 0; l->states && a < g->aggs; a++)
			free(l->states[a]);
		free(l->states);
		for (size_t a = 0; l->distinct && a < g->aggs; a++)
			free(l->distinct[a].data);
		free(l->distinct);
		free(l->seen);
		free(l->gids);
		free(l->remap);
	}
	free(g->locals);
	if (g->dcounts)
		for (unsigned w = 0; w < g->workers; w++)
			free(g->dcounts[w]);
	free(g->dcounts);
	for (size_t k = 0; g->gcols && k < g->keys; k++)
		column_free(&g->gcols[k]);
	for (size_t a = 0; g->acols && a < g->aggs; a++)
		column_free(&g->acols[a]);
	free(g->gcols);
	free(g->acols);
	free(g->pcols);
	free(g->prel);
	free(g->stride);
	free(g->dwidth);
	free(g->drow);
	free(g);
}

enum dcr_err agg_new(struct dcr_query *q, unsigned workers, size_t max_memory, struct agg **out)
{
	struct agg *g = calloc(1, sizeof(*g));
	enum dcr_err err = DCR_ERR_NOMEM;

	*out = NULL;
	if (!g)
		return DCR_ERR_NOMEM;
	g->q = q;
	g->bq = &q->bq;
	g->workers = workers;
	g->keys = q->bq.group_count;
	g->aggs = q->bq.agg_count;
	g->max_memory = max_memory;
	g->locals = calloc(workers, sizeof(*g->locals));
	g->dwidth = calloc(g->aggs + 1, sizeof(*g->dwidth));
	g->drow = calloc(g->aggs + 1, sizeof(*g->drow));
	if (!g->locals || !g->dwidth || !g->drow)
		goto fail;
	for (size_t a = 0; a < g->aggs; a++) {
		const struct dcr_bexpr *e = g->bq->aggs[a];

		if (!e->distinct)
			continue;
		/* an id column is compared through its row: 16 bytes an entry */
		if (e->args[0]->kind == DCR_BE_COLUMN && e->args[0]->type == DCR_TYPE_ID)
			g->drow[a] = true;
		else
			g->dwidth[a] = value_width(e->args[0]->type);
	}
	try_perfect(g);
	for (unsigned w = 0; w < workers; w++) {
		struct local *l = &g->locals[w];

		l->kvals = calloc(g->keys + 1, sizeof(*l->kvals));
		l->knulls = calloc(g->keys + 1, sizeof(*l->knulls));
		l->states = calloc(g->aggs + 1, sizeof(*l->states));
		l->distinct = calloc(g->aggs + 1, sizeof(*l->distinct));
		l->gids = calloc(BATCH, sizeof(*l->gids));
		if (!l->kvals || !l->knulls || !l->states || !l->distinct || !l->gids)
			goto fail;
		if (g->perfect) {
			l->seen = calloc(g->domain, 1);
			if (!l->seen)
				goto fail;
			if ((err = local_grow(g, l, g->domain)))
				goto fail;
			l->count = g->domain;
		} else {
			l->mask = 63;
			l->slots = calloc(64, sizeof(*l->slots));
			if (!l->slots)
				goto fail;
			if (g->keys == 0) {
				/* no GROUP BY: one group, even over no rows */
				if ((err = local_grow(g, l, 1)))
					goto fail;
				l->count = 1;
			}
		}
	}
	*out = g;
	return DCR_OK;
fail:
	agg_free(g);
	return err == DCR_OK ? DCR_ERR_NOMEM : err;
}

/* ---- adding rows ---------------------------------------------------------- */

static bool key_equal(const struct agg *g, const struct local *l, size_t gid,
                      struct vec **keys, uint32_t i)
{
	for (size_t k = 0; k < g->keys; k++) {
		const struct vec *v = keys[k];
		bool vn = v->nulls && v->nulls[i];
		size_t w = value_width(v->type);
		const uint8_t *stored = l->kvals[k] + gid * w;

		if (vn != (bool)l->knulls[k][gid])
			return false;
		if (vn)
			continue;
		if (v->type == DCR_TYPE_STRING) {
			const struct dcr_str *a = &v->v.s[i], *b = (const struct dcr_str *)stored;

			if (a->len != b->len || (a->len && memcmp(a->ptr, b->ptr, a->len)))
				return false;
		} else if (v->type == DCR_TYPE_FLOAT) {
			double a = v->v.f[i], b;

			memcpy(&b, stored, sizeof(b));
			/* -0.0 and 0.0 are one group; NaN is one group */
			if (!(a == b || (isnan(a) && isnan(b))))
				return false;
		} else if (memcmp((const uint8_t *)v->v.data + (size_t)i * w, stored, w)) {
			return false;
		}
	}
	return true;
}

static uint64_t hash_group(const struct agg *g, struct vec **keys, uint32_t i)
{
	uint64_t h = engine_seed();

	for (size_t k = 0; k < g->keys; k++) {
		const struct vec *v = keys[k];

		if (v->nulls && v->nulls[i])
			h = engine_mix(h ^ 0x5bd1e995u);
		else if (v->type == DCR_TYPE_FLOAT && isnan(v->v.f[i]))
			h = engine_mix(h ^ 0x7ff8u);
		else
			h = exec_hash_value(v, i, h);
	}
	return h;
}

/* Group numbers for the batch in l->gids. */
static enum dcr_err find_groups(struct agg *g, struct local *l, struct eval_ctx *ctx,
                                const struct batch *b)
{
	const struct eval_src src = {.bq = g->bq, .batch = b};
	struct vec *keys[64];
	enum dcr_err err;

	if (g->keys == 0) {
		memset(l->gids, 0, b->n * sizeof(*l->gids));
		return DCR_OK;
	}
	if (g->perfect) {
		for (uint32_t i = 0; i < b->n; i++)
			l->gids[i] = 0;
		for (size_t k = 0; k < g->keys; k++) {
			const struct dcr_column *c = g->pcols[k];
			const uint32_t *rows = b->rows[g->prel[k]];
			uint32_t null_code = (uint32_t)dcr_dict_count(c->dict), st = (uint32_t)g->stride[k];

			for (uint32_t i = 0; i < b->n; i++) {
				uint32_t r = rows[i];
				uint32_t code = r == ROW_NONE || (c->nulls && c->nulls[r]) ? null_code
				                                                           : c->v.code[r];

				l->gids[i] += code * st;
			}
		}
		for (uint32_t i = 0; i < b->n; i++)
			l->seen[l->gids[i]] = 1;
		return DCR_OK;
	}
	if (g->keys > 64)
		return DCR_ERR_SQL;
	for (size_t k = 0; k < g->keys; k++) {
		keys[k] = eval(ctx, g->bq->group[k], &src);
		if (!keys[k])
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
	}
	for (uint32_t i = 0; i < b->n; i++) {
		uint64_t h = hash_group(g, keys, i);
		size_t s = h & l->mask;
		uint32_t gid;

		for (;;) {
			gid = l->slots[s];
			if (!gid)
				break;
			gid--;
			if (l->hashes[gid] == h && key_equal(g, l, gid, keys, i))
				break;
			s = (s + 1) & l->mask;
		}
		if (!l->slots[s]) {
			/* a new group */
			gid = (uint32_t)l->count;
			if (l->count >= UINT32_MAX - 1)
				return DCR_ERR_TOO_BIG;
			if ((err = local_grow(g, l, l->count + 1)))
				return err;
			l->hashes[gid] = h;
			for (size_t k = 0; k < g->keys; k++) {
				size_t w = value_width(keys[k]->type);
				bool null = keys[k]->nulls && keys[k]->nulls[i];

				l->knulls[k][gid] = null;
				memcpy(l->kvals[k] + (size_t)gid * w,
				       (const uint8_t *)keys[k]->v.data + (size_t)i * w, w);
			}
			l->slots[s] = gid + 1;
			l->count++;
			if (l->count * 2 > l->mask + 1 && (err = slots_grow(l)))
				return err;
		}
		l->gids[i] = gid;
	}
	return DCR_OK;
}

static enum dcr_err distinct_add(struct agg *g, struct local *l, size_t a, const struct vec *v,
                                 const struct batch *b)
{
	const struct dcr_bexpr *arg = g->bq->aggs[a]->args[0];
	struct dbuf *d = &l->distinct[a];
	size_t es = entry_size(g, a), w = g->dwidth[a];
	uint64_t seed = engine_seed();

	if (d->n + v->n > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;

		while (cap < d->n + v->n)
			cap *= 2;
		if (!charge(g, (cap - d->cap) * es))
			return DCR_ERR_TOO_BIG;
		uint8_t *p = realloc(d->data, cap * es);

		if (!p)
			return DCR_ERR_NOMEM;
		d->data = p;
		d->cap = cap;
	}
	for (uint32_t i = 0; i < v->n; i++) {
		struct dentry_head hd;
		uint8_t *e;

		if (v->nulls && v->nulls[i])
			continue;
		hd.gid = l->gids[i];
		hd.row = g->drow[a] ? b->rows[arg->rel][i] : 0;
		hd.hash = v->type == DCR_TYPE_FLOAT && v->v.f[i] == 0.0
		                  ? engine_mix(seed) /* -0.0 is 0.0 */
		                  : exec_hash_value(v, i, seed);
		e = d->data + d->n * es;
		memcpy(e, &hd, sizeof(hd));
		if (w) {
			if (v->type == DCR_TYPE_FLOAT && v->v.f[i] == 0.0)
				memset(e + sizeof(hd), 0, w);
			else
				memcpy(e + sizeof(hd), (const uint8_t *)v->v.data + (size_t)i * w, w);
		}
		d->n++;
	}
	return DCR_OK;
}

static int cmp_strs(struct dcr_str a, struct dcr_str b)
{
	uint32_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.ptr, b.ptr, n) : 0;

	return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Folds value i of v into state s for aggregate e (v not NULL at i). */
static bool update(const struct dcr_bexpr *e, struct state *s, const struct vec *v, uint32_t i)
{
	bool first = s->count == 0;

	switch (e->agg) {
	case DCR_AGG_FN_SUM:
		/* exact: only the final total must fit in an int64 */
		if (v->type == DCR_TYPE_INT)
			s->v.wide += v->v.i[i];
		else
			s->v.f += v->v.f[i];
		break;
	case DCR_AGG_FN_AVG:
		if (v->type == DCR_TYPE_INT)
			s->v.wide += v->v.i[i];
		else
			s->v.f += v->v.f[i];
		break;
	case DCR_AGG_FN_MIN:
	case DCR_AGG_FN_MAX: {
		bool min = e->agg == DCR_AGG_FN_MIN;
		int c = 0;

		switch (v->type) {
		case DCR_TYPE_INT: c = first ? 0 : (v->v.i[i] > s->v.i) - (v->v.i[i] < s->v.i); break;
		case DCR_TYPE_FLOAT: c = first ? 0 : (v->v.f[i] > s->v.f) - (v->v.f[i] < s->v.f); break;
		case DCR_TYPE_DATE: c = first ? 0 : (v->v.d[i] > s->v.d) - (v->v.d[i] < s->v.d); break;
		case DCR_TYPE_STRING: c = first ? 0 : cmp_strs(v->v.s[i], s->v.s); break;
		case DCR_TYPE_ID:
			c = first ? 0 : memcmp(v->v.id + (size_t)i * DCR_ID_SIZE, s->v.id, DCR_ID_SIZE);
			break;
		default: break;
		}
		if (first || (min ? c < 0 : c > 0))
			memcpy(&s->v, (const uint8_t *)v->v.data + (size_t)i * value_width(v->type),
			       value_width(v->type));
		break;
	}
	default:
		break;
	}
	s->count++;
	return true;
}

enum dcr_err agg_add(struct agg *g, unsigned worker, struct eval_ctx *ctx, const struct batch *b)
{
	struct local *l = &g->locals[worker];
	const struct eval_src src = {.bq = g->bq, .batch = b};
	enum dcr_err err;

	if ((err = find_groups(g, l, ctx, b)))
		return err;
	for (size_t a = 0; a < g->aggs; a++) {
		const struct dcr_bexpr *e = g->bq->aggs[a];
		struct state *st = l->states[a];
		struct vec *v;

		if (e->agg == DCR_AGG_FN_COUNT_STAR) {
			for (uint32_t i = 0; i < b->n; i++)
				st[l->gids[i]].count++;
			continue;
		}
		v = eval(ctx, e->args[0], &src);
		if (!v)
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
		if (e->distinct) {
			if ((err = distinct_add(g, l, a, v, b)))
				return err;
			continue;
		}
		if (e->agg == DCR_AGG_FN_COUNT) {
			for (uint32_t i = 0; i < b->n; i++)
				st[l->gids[i]].count += !(v->nulls && v->nulls[i]);
			continue;
		}
		if (e->agg == DCR_AGG_FN_SUM && v->type == DCR_TYPE_FLOAT && !v->nulls) {
			for (uint32_t i = 0; i < b->n; i++) {
				st[l->gids[i]].v.f += v->v.f[i];
				st[l->gids[i]].count++;
			}
			continue;
		}
		for (uint32_t i = 0; i < b->n; i++) {
			if (v->nulls && v->nulls[i])
				continue;
			update(e, &st[l->gids[i]], v, i);
		}
	}
	return DCR_OK;
}

/* ---- merging ---------------------------------------------------------------- */

/* Folds state src into dst for aggregate e. */
static bool combine(const struct dcr_bexpr *e, struct state *dst, const struct state *src)
{
	if (src->count == 0)
		return true;
	switch (e->agg) {
	case DCR_AGG_FN_COUNT_STAR:
	case DCR_AGG_FN_COUNT:
		break;
	case DCR_AGG_FN_SUM:
	case DCR_AGG_FN_AVG:
		if (e->args[0]->type == DCR_TYPE_INT)
			dst->v.wide += src->v.wide;
		else
			dst->v.f += src->v.f;
		break;
	case DCR_AGG_FN_MIN:
	case DCR_AGG_FN_MAX: {
		struct vec one = {.type = e->type, .n = 1, .v.data = (void *)&src->v};
		struct state tmp = *dst;

		/* reuse update() with a one-value vector; count is fixed below */
		if (dst->count == 0) {
			*dst = *src;
			return true;
		}
		update(e, &tmp, &one, 0);
		dst->v = tmp.v;
		break;
	}
	}
	dst->count += src->count;
	return true;
}

/* Moves worker w's groups into worker 0's (general mode). */
static enum dcr_err merge_general(struct agg *g, unsigned w, struct dcr_msg *msg)
{
	struct local *dst = &g->locals[0], *src = &g->locals[w];
	enum dcr_err err;

	src->remap = malloc((src->count ? src->count : 1) * sizeof(*src->remap));
	if (!src->remap)
		return DCR_ERR_NOMEM;
	for (size_t gid = 0; gid < src->count; gid++) {
		uint64_t h = src->hashes[gid];
		size_t s = h & dst->mask;
		uint32_t found = 0;

		if (g->keys == 0) {
			found = 1; /* the one group */
		} else {
			for (; dst->slots[s]; s = (s + 1) & dst->mask) {
				uint32_t d = dst->slots[s] - 1;
				bool same = dst->hashes[d] == h;

				for (size_t k = 0; same && k < g->keys; k++) {
					size_t wd = value_width(g->bq->group[k]->type);
					const uint8_t *x = src->kvals[k] + gid * wd, *y = dst->kvals[k] + d * wd;

					if (src->knulls[k][gid] != dst->knulls[k][d]) {
						same = false;
					} else if (src->knulls[k][gid]) {
						continue;
					} else if (g->bq->group[k]->type == DCR_TYPE_STRING) {
						same = cmp_strs(*(const struct dcr_str *)x,
						                *(const struct dcr_str *)y) == 0;
					} else if (g->bq->group[k]->type == DCR_TYPE_FLOAT) {
						double a, b;

						memcpy(&a, x, 8);
						memcpy(&b, y, 8);
						same = a == b || (isnan(a) && isnan(b));
					} else {
						same = memcmp(x, y, wd) == 0;
					}
				}
				if (same) {
					found = d + 1;
					break;
				}
			}
		}
		if (!found) {
			uint32_t d = (uint32_t)dst->count;

			if ((err = local_grow(g, dst, dst->count + 1)))
				return err;
			dst->hashes[d] = h;
			for (size_t k = 0; k < g->keys; k++) {
				size_t wd = value_width(g->bq->group[k]->type);

				memcpy(dst->kvals[k] + d * wd, src->kvals[k] + gid * wd, wd);
				dst->knulls[k][d] = src->knulls[k][gid];
			}
			dst->slots[s] = d + 1;
			dst->count++;
			if (dst->count * 2 > dst->mask + 1 && (err = slots_grow(dst)))
				return err;
			found = d + 1;
		}
		src->remap[gid] = found - 1;
		for (size_t a = 0; a < g->aggs; a++) {
			if (!combine(g->bq->aggs[a], &dst->states[a][found - 1], &src->states[a][gid]))
				return dcr_fail(msg, DCR_ERR_INVALID, "integer overflow in SUM");
		}
	}
	return DCR_OK;
}

/* ---- COUNT(DISTINCT) ---------------------------------------------------------- */

struct dpart {
	uint8_t *data;              /* entries grouped by partition */
	size_t *start;              /* DISTINCT_PARTS + 1 offsets (entries) */
};

struct dwork {
	struct agg *g;
	size_t a;
	struct dpart *p;
	size_t **pos;               /* per worker: write offset per partition */
	enum dcr_err *err;
};

static unsigned part_of(uint64_t hash)
{
	return (unsigned)(hash >> 56) % DISTINCT_PARTS;
}

static void scatter_task(void *ctx, unsigned worker, size_t task)
{
	struct dwork *dw = ctx;
	struct agg *g = dw->g;
	struct local *l = &g->locals[task];
	struct dbuf *d = &l->distinct[dw->a];
	size_t es = entry_size(g, dw->a);

	(void)worker;
	for (size_t i = 0; i < d->n; i++) {
		uint8_t *e = d->data + i * es;
		struct dentry_head hd;
		size_t at;

		memcpy(&hd, e, sizeof(hd));
		if (l->remap)
			hd.gid = l->remap[hd.gid];
		at = dw->pos[task][part_of(hd.hash)]++;
		memcpy(dw->p->data + at * es, &hd, sizeof(hd));
		memcpy(dw->p->data + at * es + sizeof(hd), e + sizeof(hd), es - sizeof(hd));
	}
}

static bool dvalue_equal(const struct agg *g, size_t a, const uint8_t *x, const uint8_t *y)
{
	const struct dcr_bexpr *arg = g->bq->aggs[a]->args[0];
	struct dentry_head hx, hy;

	memcpy(&hx, x, sizeof(hx));
	memcpy(&hy, y, sizeof(hy));
	if (hx.gid != hy.gid || hx.hash != hy.hash)
		return false;
	if (g->drow[a]) {
		const struct dcr_column *c = &g->bq->rels[arg->rel].table->columns[arg->column];

		return memcmp(c->v.id + (size_t)hx.row * DCR_ID_SIZE,
		              c->v.id + (size_t)hy.row * DCR_ID_SIZE, DCR_ID_SIZE) == 0;
	}
	x += sizeof(hx);
	y += sizeof(hy);
	if (arg->type == DCR_TYPE_STRING)
		return cmp_strs(*(const struct dcr_str *)x, *(const struct dcr_str *)y) == 0;
	if (arg->type == DCR_TYPE_FLOAT) {
		double p, q;

		memcpy(&p, x, 8);
		memcpy(&q, y, 8);
		return p == q || (isnan(p) && isnan(q));
	}
	return memcmp(x, y, g->dwidth[a]) == 0;
}

static void dedupe_task(void *ctx, unsigned worker, size_t part)
{
	struct dwork *dw = ctx;
	struct agg *g = dw->g;
	size_t es = entry_size(g, dw->a), lo = dw->p->start[part], hi = dw->p->start[part + 1];
	size_t n = hi - lo, cap = 16;
	uint32_t *slots;
	uint64_t *counts = g->dcounts[worker];

	if (n == 0)
		return;
	while (cap < n * 2)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots) {
		dw->err[worker] = DCR_ERR_NOMEM;
		return;
	}
	for (size_t i = lo; i < hi; i++) {
		const uint8_t *e = dw->p->data + i * es;
		struct dentry_head hd;
		size_t s;

		memcpy(&hd, e, sizeof(hd));
		s = engine_mix(hd.hash ^ hd.gid) & (cap - 1);
		for (; slots[s]; s = (s + 1) & (cap - 1))
			if (dvalue_equal(g, dw->a, dw->p->data + (slots[s] - 1 + lo) * es, e))
				break;
		if (!slots[s]) {
			slots[s] = (uint32_t)(i - lo) + 1;
			counts[hd.gid]++;
		}
	}
	free(slots);
}

/* Counts distinct values per group for aggregate a into states[a][gid].count
 * of worker 0. */
static enum dcr_err count_distinct(struct agg *g, struct pool *pool, size_t a,
                                   struct dcr_msg *msg)
{
	struct dpart p = {0};
	struct dwork dw = {.g = g, .a = a, .p = &p};
	size_t total = 0, es = entry_size(g, a), groups = g->locals[0].count;
	enum dcr_err err = DCR_OK;

	dw.pos = calloc(g->workers, sizeof(*dw.pos));
	dw.err = calloc(g->workers, sizeof(*dw.err));
	p.start = calloc(DISTINCT_PARTS + 1, sizeof(*p.start));
	g->dcounts = calloc(g->workers, sizeof(*g->dcounts));
	if (!dw.pos || !dw.err || !p.start || !g->dcounts) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	/* count per partition, then each worker's write offsets */
	for (unsigned w = 0; w < g->workers; w++) {
		struct dbuf *d = &g->locals[w].distinct[a];

		dw.pos[w] = calloc(DISTINCT_PARTS, sizeof(size_t));
		g->dcounts[w] = calloc(groups ? groups : 1, sizeof(uint64_t));
		if (!dw.pos[w] || !g->dcounts[w]) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
		for (size_t i = 0; i < d->n; i++) {
			struct dentry_head hd;

			memcpy(&hd, d->data + i * es, sizeof(hd));
			dw.pos[w][part_of(hd.hash)]++;
		}
		total += d->n;
	}
	for (size_t part = 0, at = 0; part < DISTINCT_PARTS; part++) {
		p.start[part] = at;
		for (unsigned w = 0; w < g->workers; w++) {
			size_t c = dw.pos[w][part];

			dw.pos[w][part] = at;
			at += c;
		}
	}
	p.start[DISTINCT_PARTS] = total;
	if (!charge(g, total * es)) {
		err = DCR_ERR_TOO_BIG;
		goto out;
	}
	p.data = malloc((total ? total : 1) * es);
	if (!p.data) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	pool_run(pool, g->workers, scatter_task, &dw);
	/* the workers' own buffers are no longer needed */
	for (unsigned w = 0; w < g->workers; w++) {
		free(g->locals[w].distinct[a].data);
		memset(&g->locals[w].distinct[a], 0, sizeof(struct dbuf));
	}
	pool_run(pool, DISTINCT_PARTS, dedupe_task, &dw);
	for (unsigned w = 0; w < g->workers; w++)
		if (dw.err[w])
			err = dw.err[w];
	if (err)
		goto out;
	for (size_t gid = 0; gid < groups; gid++) {
		uint64_t c = 0;

		for (unsigned w = 0; w < g->workers; w++)
			c += g->dcounts[w][gid];
		g->locals[0].states[a][gid].count = (int64_t)c;
	}
out:
	if (err == DCR_ERR_NOMEM)
		dcr_msg_set(msg, "out of memory counting distinct values");
	else if (err == DCR_ERR_TOO_BIG)
		dcr_msg_set(msg, "COUNT(DISTINCT ...) would pass the memory limit");
	for (unsigned w = 0; dw.pos && w < g->workers; w++)
		free(dw.pos[w]);
	free(dw.pos);
	free(dw.err);
	if (g->dcounts)
		for (unsigned w = 0; w < g->workers; w++)
			free(g->dcounts[w]);
	free(g->dcounts);
	g->dcounts = NULL;
	free(p.start);
	free(p.data);
	return err;
}

/* ---- results ------------------------------------------------------------- */

/* Puts state s's final value of aggregate e into column c at row r; false
 * when an integer SUM does not fit in an int64. */
static bool finalize(const struct dcr_bexpr *e, const struct state *s, struct dcr_column *c,
                     size_t r)
{
	switch (e->agg) {
	case DCR_AGG_FN_COUNT_STAR:
	case DCR_AGG_FN_COUNT:
		c->v.i64[r] = s->count;
		return true;
	default:
		break;
	}
	if (s->count == 0) {
		c->nulls[r] = 1;
		return true;
	}
	switch (e->agg) {
	case DCR_AGG_FN_SUM:
		if (c->type == DCR_TYPE_INT) {
			if (s->v.wide > INT64_MAX || s->v.wide < INT64_MIN)
				return false;
			c->v.i64[r] = (int64_t)s->v.wide;
		} else {
			c->v.f64[r] = s->v.f;
		}
		break;
	case DCR_AGG_FN_AVG:
		if (e->args[0]->type == DCR_TYPE_INT)
			c->v.f64[r] = (double)s->v.wide / (double)s->count;
		else
			c->v.f64[r] = s->v.f / (double)s->count;
		break;
	default: /* MIN, MAX */
		switch (c->type) {
		case DCR_TYPE_INT: c->v.i64[r] = s->v.i; break;
		case DCR_TYPE_FLOAT: c->v.f64[r] = s->v.f; break;
		case DCR_TYPE_DATE: c->v.date[r] = s->v.d; break;
		case DCR_TYPE_ID: memcpy(c->v.id + r * DCR_ID_SIZE, s->v.id, DCR_ID_SIZE); break;
		default: break; /* strings are interned by the caller */
		}
		break;
	}
	return true;
}

enum dcr_err agg_finish(struct agg *g, struct pool *pool, const struct dcr_column **out_groups,
                        const struct dcr_column **out_aggs, size_t *out_count,
                        struct dcr_msg *msg)
{
	struct local *l0 = &g->locals[0];
	uint32_t *order = NULL;     /* result row -> group number */
	size_t groups = 0;
	enum dcr_err err = DCR_OK;

	/* merge every worker into worker 0 */
	if (g->perfect) {
		for (unsigned w = 1; w < g->workers; w++) {
			struct local *l = &g->locals[w];

			for (size_t gid = 0; gid < g->domain; gid++) {
				if (!l->seen[gid])
					continue;
				l0->seen[gid] = 1;
				for (size_t a = 0; a < g->aggs; a++)
					if (!combine(g->bq->aggs[a], &l0->states[a][gid], &l->states[a][gid]))
						return dcr_fail(msg, DCR_ERR_INVALID, "integer overflow in SUM");
			}
		}
	} else {
		for (unsigned w = 1; w < g->workers; w++)
			if ((err = merge_general(g, w, msg)))
				return err == DCR_ERR_NOMEM ? dcr_fail(msg, err, "out of memory merging groups")
				                            : err;
	}
	for (size_t a = 0; a < g->aggs; a++)
		if (g->bq->aggs[a]->distinct && (err = count_distinct(g, pool, a, msg)))
			return err;

	/* which groups, in which order */
	order = malloc((l0->count ? l0->count : 1) * sizeof(*order));
	if (!order)
		return dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
	for (size_t gid = 0; gid < l0->count; gid++)
		if (!g->perfect || l0->seen[gid])
			order[groups++] = (uint32_t)gid;

	g->gcols = calloc(g->keys + 1, sizeof(*g->gcols));
	g->acols = calloc(g->aggs + 1, sizeof(*g->acols));
	if (!g->gcols || !g->acols) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < g->keys; k++) {
		struct dcr_column *c = &g->gcols[k];
		enum dcr_type t = g->bq->group[k]->type;

		c->type = t;
		if ((err = column_alloc(c, groups, true)))
			goto out;
		if (t == DCR_TYPE_STRING && !(c->dict = dict_new())) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
		for (size_t r = 0; r < groups; r++) {
			uint32_t gid = order[r];
			size_t w = value_width(t);
			const uint8_t *val;
			struct dcr_str s;

			if (g->perfect) {
				/* decode this key's code from the group number */
				const struct dcr_column *src = g->pcols[k];
				uint32_t code = (uint32_t)(gid / g->stride[k] %
				                           (dcr_dict_count(src->dict) + 1));

				if (code == dcr_dict_count(src->dict)) {
					c->nulls[r] = 1;
					continue;
				}
				s = src->dict->strs[code];
				val = (const uint8_t *)&s;
			} else {
				if (l0->knulls[k][gid]) {
					c->nulls[r] = 1;
					continue;
				}
				val = l0->kvals[k] + (size_t)gid * w;
			}
			if (t == DCR_TYPE_STRING) {
				memcpy(&s, val, sizeof(s));
				if ((err = dict_intern(c->dict, s.ptr, s.len, &c->v.code[r])))
					goto out;
			} else {
				memcpy((uint8_t *)c->v.data + r * engine_type_width(t), val,
				       engine_type_width(t));
			}
		}
	}
	for (size_t a = 0; a < g->aggs; a++) {
		const struct dcr_bexpr *e = g->bq->aggs[a];
		struct dcr_column *c = &g->acols[a];

		c->type = e->type;
		if ((err = column_alloc(c, groups, true)))
			goto out;
		if (e->type == DCR_TYPE_STRING && !(c->dict = dict_new())) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
		for (size_t r = 0; r < groups; r++) {
			const struct state *s = &l0->states[a][order[r]];

			if (!finalize(e, s, c, r)) {
				unsigned line, col;

				sql_position(g->q->sql, g->q->sql_len, e->pos, &line, &col);
				err = dcr_fail(msg, DCR_ERR_INVALID,
				               "line %u, column %u: integer overflow in SUM: the total "
				               "does not fit in 64 bits", line, col);
				goto out;
			}
			if (e->type == DCR_TYPE_STRING && s->count &&
			    (err = dict_intern(c->dict, s->v.s.ptr, s->v.s.len, &c->v.code[r])))
				goto out;
		}
	}
	g->groups = groups;
	*out_groups = g->gcols;
	*out_aggs = g->acols;
	*out_count = groups;
out:
	free(order);
	if (err == DCR_ERR_NOMEM)
		dcr_msg_set(msg, "out of memory finishing the aggregation");
	return err;
}
