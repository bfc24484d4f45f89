/* SPDX-License-Identifier: Apache-2.0 */
/* Running a query: build the hash tables, then push morsels of the driving
 * table through filters and probes into a sink — aggregation, or collecting
 * the selected values — on every worker; then compute what follows
 * aggregation, sort and cut to the LIMIT. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cap_int.h"

/* ---- growable columns of collected values ------------------------------- */

struct gcol {
	enum dcr_type type;
	uint8_t *data;              /* value_width values */
	uint8_t *nulls;
	size_t n, cap;
};

static enum dcr_err gcol_append(struct gcol *c, const struct vec *v, const uint32_t *sel,
                                uint32_t m)
{
	size_t w = value_width(c->type);

	if (c->n + m > c->cap) {
		size_t cap = c->cap ? c->cap : 1024;
		uint8_t *d, *nl;

		while (cap < c->n + m)
			cap *= 2;
		d = realloc(c->data, cap * w);
		if (!d)
			return DCR_ERR_NOMEM;
		c->data = d;
		nl = realloc(c->nulls, cap);
		if (!nl)
			return DCR_ERR_NOMEM;
		c->nulls = nl;
		c->cap = cap;
	}
	for (uint32_t j = 0; j < m; j++) {
		uint32_t i = sel ? sel[j] : j;

		memcpy(c->data + (c->n + j) * w, (const uint8_t *)v->v.data + (size_t)i * w, w);
		c->nulls[c->n + j] = v->nulls ? v->nulls[i] : 0;
	}
	c->n += m;
	return DCR_OK;
}

static void gcol_free(struct gcol *c)
{
	free(c->data);
	free(c->nulls);
	memset(c, 0, sizeof(*c));
}

enum dcr_err column_put(struct dcr_column *col, size_t at, const struct vec *v)
{
	size_t w = engine_type_width(col->type);
	enum dcr_err err;

	for (uint32_t i = 0; i < v->n; i++) {
		bool null = v->nulls && v->nulls[i];

		if (col->nulls)
			col->nulls[at + i] = null;
		if (null)
			continue;
		if (col->type == DCR_TYPE_STRING) {
			if (!col->dict && !(col->dict = dict_new()))
				return DCR_ERR_NOMEM;
			err = dict_intern(col->dict, v->v.s[i].ptr, v->v.s[i].len, &col->v.code[at + i]);
			if (err)
				return err;
		} else {
			memcpy((uint8_t *)col->v.data + (at + i) * w, (const uint8_t *)v->v.data + i * w,
			       w);
		}
	}
	return DCR_OK;
}

/* ---- the pipeline ----------------------------------------------------------- */

struct worker {
	struct eval_ctx *ctx;       /* per level */
	struct batch **bufs;        /* per level: the batch processed there */
	struct gcol *cols;          /* collect: select then order values */
	struct cap_tuples tuples;   /* with a row cap: the tuples, before the sink */
	struct dcr_msg msg;
	enum dcr_err err;
	uint64_t scanned, joined;
};

struct run {
	struct dcr_query *q;
	struct plan *p;
	struct agg *agg;            /* NULL: collect */
	struct worker *w;
	unsigned workers;
	size_t levels;              /* step_count + 1 */
	size_t ncols;               /* collected columns */
	atomic_bool stop;
	atomic_uint_least64_t collected;
	const struct dcr_exec_cap *cap; /* NULL: none */
	struct cap_tuples kept;     /* with a cap: the tuples that go on */
};

struct emit_ctx {
	struct run *r;
	unsigned worker;
	size_t level;
};

static enum dcr_err process(struct run *r, unsigned worker, size_t level, struct batch *b);

static enum dcr_err emit_next(void *ctx, struct batch *b)
{
	struct emit_ctx *e = ctx;

	return process(e->r, e->worker, e->level, b);
}

/* Keeps the tuples idx[0..m) of b, in place. */
static void compact(struct batch *b, size_t rels, const uint32_t *idx, uint32_t m)
{
	for (size_t r = 0; r < rels; r++) {
		if (!b->rows[r])
			continue;
		for (uint32_t j = 0; j < m; j++)
			b->rows[r][j] = b->rows[r][idx[j]];
	}
	b->n = m;
}

static enum dcr_err collect(struct run *r, struct worker *w, struct eval_ctx *ctx,
                            const struct batch *b)
{
	const struct dcr_bquery *bq = &r->q->bq;
	const struct eval_src src = {.bq = bq, .batch = b};
	uint32_t m = b->n;
	enum dcr_err err;

	if (bq->limit >= 0 && !bq->order_count) {
		/* without ORDER BY any rows will do: stop once there are enough */
		uint64_t had = atomic_fetch_add(&r->collected, m);

		if (had >= (uint64_t)bq->limit) {
			atomic_store(&r->stop, true);
			return DCR_OK;
		}
		if (had + m > (uint64_t)bq->limit)
			m = (uint32_t)((uint64_t)bq->limit - had);
	}
	for (size_t c = 0; c < r->ncols; c++) {
		const struct dcr_bexpr *e =
			c < bq->select_count ? bq->select[c] : bq->order[c - bq->select_count].expr;
		struct vec *v = eval(ctx, e, &src);

		if (!v)
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
		if ((err = gcol_append(&w->cols[c], v, NULL, m)))
			return err;
	}
	return DCR_OK;
}

static enum dcr_err process(struct run *r, unsigned worker, size_t level, struct batch *b)
{
	struct worker *w = &r->w[worker];
	struct eval_ctx *ctx = &w->ctx[level];
	const struct plan *p = r->p;
	const struct dcr_bexpr *filter = level == 0 ? p->driver_filter : p->steps[level - 1].after;
	size_t rels = r->q->bq.rel_count;

	eval_ctx_reset(ctx);
	if (filter && b->n) {
		const struct eval_src src = {.bq = &r->q->bq, .batch = b};
		uint32_t m, *idx = eval_select(ctx, filter, &src, &m);

		if (!idx)
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
		compact(b, rels, idx, m);
	}
	if (b->n == 0)
		return DCR_OK;
	if (level < p->step_count) {
		struct emit_ctx next = {.r = r, .worker = worker, .level = level + 1};

		return join_probe(r->q, &p->steps[level], ctx, b, w->bufs[level + 1], emit_next,
		                  &next);
	}
	w->joined += b->n;
	if (r->cap) /* held back until every key's tuples are known */
		return cap_tuples_add(&w->tuples, rels, b);
	if (r->agg)
		return agg_add(r->agg, worker, ctx, b);
	return collect(r, w, ctx, b);
}

/* With a cap: the kept tuples [task * BATCH, ...) into the sink. */
static void kept_task(void *arg, unsigned worker, size_t task)
{
	struct run *r = arg;
	struct worker *w = &r->w[worker];
	struct eval_ctx *ctx = &w->ctx[r->levels];
	struct batch *b = w->bufs[r->levels];
	size_t from = task * BATCH, n = r->kept.n - from < BATCH ? r->kept.n - from : BATCH;

	if (w->err || atomic_load(&r->stop))
		return;
	eval_ctx_reset(ctx);
	for (size_t rel = 0; rel < r->q->bq.rel_count; rel++)
		if (b->rows[rel] && r->kept.rows[rel])
			memcpy(b->rows[rel], r->kept.rows[rel] + from, n * sizeof(uint32_t));
	b->n = (uint32_t)n;
	w->err = r->agg ? agg_add(r->agg, worker, ctx, b) : collect(r, w, ctx, b);
	if (w->err) {
		if (w->msg.text[0] == '\0')
			dcr_msg_set(&w->msg, "%s while running the query", dcr_strerror(w->err));
		atomic_store(&r->stop, true);
	}
}

static void morsel_task(void *ctx, unsigned worker, size_t task)
{
	struct run *r = ctx;
	struct worker *w = &r->w[worker];
	const struct dcr_table *t = r->q->bq.rels[r->p->driver].table;
	size_t start = task * MORSEL, end = start + MORSEL;

	if (end > t->row_count)
		end = t->row_count;
	for (size_t at = start; at < end && !w->err; at += BATCH) {
		struct batch *b = w->bufs[0];
		uint32_t n = (uint32_t)(end - at < BATCH ? end - at : BATCH);

		if (atomic_load(&r->stop))
			return;
		b->n = n;
		for (uint32_t i = 0; i < n; i++)
			b->rows[r->p->driver][i] = (uint32_t)(at + i);
		w->scanned += n;
		w->err = process(r, worker, 0, b);
	}
	if (w->err) {
		/* evaluation errors wrote w->msg already; others say what they are */
		if (w->msg.text[0] == '\0')
			dcr_msg_set(&w->msg, "%s while running the query", dcr_strerror(w->err));
		atomic_store(&r->stop, true);
	}
}

static enum dcr_err workers_new(struct run *r)
{
	const struct dcr_bquery *bq = &r->q->bq;

	r->w = calloc(r->workers, sizeof(*r->w));
	if (!r->w)
		return DCR_ERR_NOMEM;
	for (unsigned i = 0; i < r->workers; i++) {
		struct worker *w = &r->w[i];

		w->ctx = calloc(r->levels + 1, sizeof(*w->ctx));
		w->bufs = calloc(r->levels + 1, sizeof(*w->bufs));
		w->cols = calloc(r->ncols + 1, sizeof(*w->cols));
		if (!w->ctx || !w->bufs || !w->cols)
			return DCR_ERR_NOMEM;
		for (size_t l = 0; l <= r->levels; l++) {
			eval_ctx_init(&w->ctx[l], r->q->sql, &w->msg);
			w->bufs[l] = calloc(1, sizeof(struct batch) + bq->rel_count * sizeof(uint32_t *));
			if (!w->bufs[l])
				return DCR_ERR_NOMEM;
			for (size_t rel = 0; rel < bq->rel_count; rel++) {
				w->bufs[l]->rows[rel] = malloc(BATCH * sizeof(uint32_t));
				if (!w->bufs[l]->rows[rel])
					return DCR_ERR_NOMEM;
			}
		}
		for (size_t c = 0; c < r->ncols; c++) {
			const struct dcr_bexpr *e = c < bq->select_count ? bq->select[c]
			                                                 : bq->order[c - bq->select_count].expr;

			w->cols[c].type = e->type;
		}
	}
	return DCR_OK;
}

/* Which relations a level's batches carry: the driver and the steps so far. */
static void mark_joined(struct run *r)
{
	for (unsigned i = 0; i < r->workers; i++) {
		for (size_t l = 0; l <= r->levels; l++) {
			struct batch *b = r->w[i].bufs[l];
			bool in[64] = {false};

			in[r->p->driver] = true;
			for (size_t s = 0; s < l && s < r->p->step_count; s++)
				in[r->p->steps[s].rel] = true;
			for (size_t rel = 0; rel < r->q->bq.rel_count; rel++) {
				if (!in[rel]) {
					free(b->rows[rel]);
					b->rows[rel] = NULL;
				}
			}
		}
	}
}

static void workers_free(struct run *r)
{
	for (unsigned i = 0; r->w && i < r->workers; i++) {
		struct worker *w = &r->w[i];

		for (size_t l = 0; w->ctx && l <= r->levels; l++)
			eval_ctx_free(&w->ctx[l]);
		for (size_t l = 0; w->bufs && l <= r->levels; l++) {
			for (size_t rel = 0; w->bufs[l] && rel < r->q->bq.rel_count; rel++)
				free(w->bufs[l]->rows[rel]);
			free(w->bufs[l]);
		}
		for (size_t c = 0; w->cols && c < r->ncols; c++)
			gcol_free(&w->cols[c]);
		cap_tuples_free(&w->tuples);
		free(w->ctx);
		free(w->bufs);
		free(w->cols);
	}
	free(r->w);
	r->w = NULL;
}

/* ---- results -------------------------------------------------------------- */

/* Columns [from, to) of the collected values, all workers in turn, into
 * dst (allocated here). */
static enum dcr_err assemble(struct gcol *const *parts, size_t nparts, size_t from, size_t to,
                             struct dcr_column *dst, size_t *out_rows)
{
	size_t rows = 0;
	enum dcr_err err;

	for (size_t p = 0; p < nparts; p++)
		rows += to > from ? parts[p][from].n : 0;
	for (size_t c = from; c < to; c++) {
		struct dcr_column *col = &dst[c - from];
		size_t at = 0;
		bool any_null = false;

		col->type = parts[0][c].type;
		if ((err = column_alloc(col, rows, true)))
			return err;
		for (size_t p = 0; p < nparts; p++) {
			const struct gcol *g = &parts[p][c];
			struct vec v = {.type = g->type, .n = (uint32_t)0, .nulls = g->nulls,
			                .v.data = g->data};

			/* column_put takes a vec; feed it in pieces of at most 2^31 */
			for (size_t done = 0; done < g->n;) {
				size_t k = g->n - done > (1u << 30) ? (1u << 30) : g->n - done;
				size_t w = value_width(g->type);

				v.n = (uint32_t)k;
				v.nulls = g->nulls + done;
				v.v.data = g->data + done * w;
				if ((err = column_put(col, at, &v)))
					return err;
				at += k;
				done += k;
			}
		}
		for (size_t i = 0; i < rows && !any_null; i++)
			any_null = col->nulls[i];
		if (!any_null) {
			free(col->nulls);
			col->nulls = NULL;
		}
		if (col->type == DCR_TYPE_STRING && !col->dict && !(col->dict = dict_new()))
			return DCR_ERR_NOMEM;
	}
	*out_rows = rows;
	return DCR_OK;
}

/* After aggregation: HAVING, then the select list and the ORDER BY keys
 * over the groups, into one set of collected columns. */
static enum dcr_err post_aggregate(struct run *r, const struct dcr_column *gcols,
                                   const struct dcr_column *acols, size_t groups,
                                   struct gcol *out, struct dcr_msg *msg)
{
	const struct dcr_bquery *bq = &r->q->bq;
	struct eval_ctx ctx;
	enum dcr_err err = DCR_OK;

	eval_ctx_init(&ctx, r->q->sql, msg);
	for (size_t first = 0; first < groups; first += BATCH) {
		uint32_t n = (uint32_t)(groups - first < BATCH ? groups - first : BATCH);
		struct eval_src src = {.bq = bq, .groups = gcols, .aggs = acols,
		                       .first = (uint32_t)first, .n = n};
		uint32_t *sel = NULL, m = n;

		eval_ctx_reset(&ctx);
		if (bq->having) {
			uint32_t *idx = eval_select(&ctx, bq->having, &src, &m);

			if (!idx) {
				err = ctx.err ? ctx.err : DCR_ERR_NOMEM;
				break;
			}
			sel = dcr_arena_alloc(&ctx.scratch, (m ? m : 1) * sizeof(*sel));
			if (!sel) {
				err = DCR_ERR_NOMEM;
				break;
			}
			for (uint32_t j = 0; j < m; j++)
				sel[j] = (uint32_t)first + idx[j];
			src.sel = sel;
			src.n = m;
		}
		for (size_t c = 0; c < r->ncols && !err; c++) {
			const struct dcr_bexpr *e =
				c < bq->select_count ? bq->select[c] : bq->order[c - bq->select_count].expr;
			struct vec *v = eval(&ctx, e, &src);

			if (!v)
				err = ctx.err ? ctx.err : DCR_ERR_NOMEM;
			else
				err = gcol_append(&out[c], v, NULL, v->n);
		}
		if (err)
			break;
	}
	eval_ctx_free(&ctx);
	if (err == DCR_ERR_NOMEM && !msg->text[0])
		dcr_msg_set(msg, "out of memory computing the result");
	return err;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum dcr_err exec_query(struct dcr_query *q, const struct dcr_exec_options *opts,
                        struct dcr_table **out, struct dcr_exec_stats *stats,
                        struct dcr_msg *msg)
{
	static const struct dcr_exec_options defaults;
	struct dcr_bquery *bq = &q->bq;
	struct run r = {.q = q};
	struct plan plan;
	struct pool *pool = NULL;
	struct dcr_table *t = NULL;
	struct gcol **parts = NULL, *post = NULL;
	struct dcr_column *keys = NULL;
	size_t nparts = 0, rows = 0;
	double t0 = seconds(), t1;
	enum dcr_err err;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->cap && (opts->cap->rel >= bq->rel_count || !opts->cap->max_rows ||
	                  !opts->cap->random ||
	                  opts->cap->column >= bq->rels[opts->cap->rel].table->column_count))
		return dcr_fail(msg, DCR_ERR_INVALID, "a row cap on no column of the query");
	r.cap = opts->cap;
	if ((err = plan_query(q, &plan, msg)))
		return err == DCR_ERR_NOMEM ? dcr_fail(msg, err, "out of memory planning") : err;
	t1 = seconds();
	r.p = &plan;
	r.levels = plan.step_count;
	r.ncols = bq->select_count + bq->order_count;
	pool = pool_new(opts->threads);
	if (!pool)
		return dcr_fail(msg, DCR_ERR_NOMEM, "cannot start the query's threads");
	r.workers = pool_size(pool);

	for (size_t s = 0; s < plan.step_count; s++) {
		double tb = seconds();

		if ((err = join_build(q, &plan.steps[s], pool, opts->max_memory, msg)))
			goto out;
		dcr_log_debug("hash table on %s: %zu entries, 2^%u heads, %.3f s",
		              bq->rels[plan.steps[s].rel].alias, plan.steps[s].ht.count,
		              plan.steps[s].ht.bits, seconds() - tb);
	}
	if (bq->aggregated && (err = agg_new(q, r.workers, opts->max_memory, &r.agg))) {
		dcr_msg_set(msg, "out of memory starting the aggregation");
		goto out;
	}
	if ((err = workers_new(&r))) {
		dcr_msg_set(msg, "out of memory starting the query");
		goto out;
	}
	mark_joined(&r);
	{
		double tp = seconds();

		pool_run(pool, (bq->rels[plan.driver].table->row_count + MORSEL - 1) / MORSEL,
		         morsel_task, &r);
		dcr_log_debug("pipeline over %s: %.3f s", bq->rels[plan.driver].alias, seconds() - tp);
	}
	for (unsigned i = 0; i < r.workers; i++) {
		if (r.w[i].err) {
			err = r.w[i].err;
			memcpy(msg, &r.w[i].msg, sizeof(*msg));
			goto out;
		}
	}
	if (r.cap) {
		struct cap_tuples *parts_t = calloc(r.workers, sizeof(*parts_t));
		uint64_t dropped = 0;
		double tc = seconds();

		if (!parts_t) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (unsigned i = 0; i < r.workers; i++) {
			parts_t[i] = r.w[i].tuples;
			memset(&r.w[i].tuples, 0, sizeof(r.w[i].tuples));
		}
		err = cap_select(r.cap, bq->rels[r.cap->rel].table, pool, parts_t, r.workers,
		                 &r.kept, &dropped);
		for (unsigned i = 0; i < r.workers; i++)
			cap_tuples_free(&parts_t[i]);
		free(parts_t);
		if (err) {
			dcr_msg_set(msg, "%s while capping rows per key", dcr_strerror(err));
			goto out;
		}
		if (stats)
			stats->rows_capped = dropped;
		dcr_log_debug("row cap: %zu tuples kept, %llu dropped, %.3f s", r.kept.n,
		              (unsigned long long)dropped, seconds() - tc);
		pool_run(pool, (r.kept.n + BATCH - 1) / BATCH, kept_task, &r);
		for (unsigned i = 0; i < r.workers; i++) {
			if (r.w[i].err) {
				err = r.w[i].err;
				memcpy(msg, &r.w[i].msg, sizeof(*msg));
				goto out;
			}
		}
	}

	if (r.agg) {
		const struct dcr_column *gcols, *acols;
		size_t groups;

		double tf = seconds();

		if ((err = agg_finish(r.agg, pool, &gcols, &acols, &groups, msg)))
			goto out;
		dcr_log_debug("aggregation finished: %zu groups, %.3f s", groups, seconds() - tf);
		if (stats)
			stats->groups = groups;
		post = calloc(r.ncols + 1, sizeof(*post));
		parts = calloc(1, sizeof(*parts));
		if (!post || !parts) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t c = 0; c < r.ncols; c++)
			post[c].type = r.w[0].cols[c].type;
		if ((err = post_aggregate(&r, gcols, acols, groups, post, msg)))
			goto out;
		parts[0] = post;
		nparts = 1;
	} else {
		parts = calloc(r.workers, sizeof(*parts));
		if (!parts) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (unsigned i = 0; i < r.workers; i++)
			parts[i] = r.w[i].cols;
		nparts = r.workers;
	}

	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup("result")) ||
	    !(t->columns = calloc(bq->select_count + 1, sizeof(*t->columns)))) {
		err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
		goto out;
	}
	t->column_count = bq->select_count;
	for (size_t c = 0; c < bq->select_count; c++)
		if (!(t->columns[c].name = strdup(bq->names[c]))) {
			err = dcr_fail(msg, DCR_ERR_NOMEM, "out of memory");
			goto out;
		}
	if ((err = assemble(parts, nparts, 0, bq->select_count, t->columns, &rows)))
		goto out_nomem;
	t->row_count = rows;
	if (bq->order_count) {
		bool *desc = calloc(bq->order_count, sizeof(*desc));
		size_t krows;

		keys = calloc(bq->order_count, sizeof(*keys));
		if (!desc || !keys) {
			free(desc);
			err = DCR_ERR_NOMEM;
			goto out_nomem;
		}
		for (size_t i = 0; i < bq->order_count; i++)
			desc[i] = bq->order[i].desc;
		err = assemble(parts, nparts, bq->select_count, r.ncols, keys, &krows);
		if (!err)
			err = sort_result(t, keys, desc, bq->order_count, bq->limit);
		free(desc);
		if (err)
			goto out_nomem;
	} else if (bq->limit >= 0 && t->row_count > (uint64_t)bq->limit) {
		/* the columns keep their capacity; only the count shrinks */
		t->row_count = (size_t)bq->limit;
		for (size_t c = 0; c < t->column_count; c++)
			t->columns[c].count = t->row_count;
	}
	if (opts->max_rows && t->row_count > opts->max_rows) {
		err = dcr_fail(msg, DCR_ERR_TOO_BIG, "the result has %zu rows, more than the limit of %llu",
		               t->row_count, (unsigned long long)opts->max_rows);
		goto out;
	}
	if (stats) {
		stats->plan_seconds = t1 - t0;
		stats->exec_seconds = seconds() - t1;
		for (unsigned i = 0; i < r.workers; i++) {
			stats->rows_scanned += r.w[i].scanned;
			stats->rows_joined += r.w[i].joined;
		}
	}
	*out = t;
	t = NULL;
	goto out;
out_nomem:
	if (err == DCR_ERR_NOMEM)
		dcr_msg_set(msg, "out of memory building the result");
out:
	if (keys) {
		for (size_t i = 0; i < bq->order_count; i++)
			column_free(&keys[i]);
		free(keys);
	}
	if (post) {
		for (size_t c = 0; c < r.ncols; c++)
			gcol_free(&post[c]);
		free(post);
	}
	free(parts);
	dcr_table_free(t);
	cap_tuples_free(&r.kept);
	workers_free(&r);
	agg_free(r.agg);
	for (size_t s = 0; s < plan.step_count; s++)
		join_free(&plan.steps[s]);
	pool_free(pool);
	return err;
}
