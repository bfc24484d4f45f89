/* SPDX-License-Identifier: Apache-2.0 */
/* The planner: which relation drives the pipeline, the order of the hash
 * joins (with only inner joins, the largest table is scanned and every
 * other one is built into a hash table: builds go on the smaller side),
 * their keys, and where each condition is applied (pushed down to a table's
 * scan when that keeps the meaning). */
#include <stdio.h>
#include <string.h>

#include "exec_int.h"
#include "sql_int.h"

struct conds {
	struct dcr_bexpr **v;
	size_t n, cap;
};

static enum dcr_err conds_add(struct dcr_arena *a, struct conds *c, struct dcr_bexpr *e)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct dcr_bexpr **v = dcr_arena_alloc(a, cap * sizeof(*v));

		if (!v)
			return DCR_ERR_NOMEM;
		if (c->n)
			memcpy(v, c->v, c->n * sizeof(*v));
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = e;
	return DCR_OK;
}

/* Splits an AND tree into its conjuncts. */
static enum dcr_err flatten(struct dcr_arena *a, struct dcr_bexpr *e, struct conds *out)
{
	enum dcr_err err;

	if (!e)
		return DCR_OK;
	if (e->kind == DCR_BE_AND) {
		for (size_t i = 0; i < e->arg_count; i++)
			if ((err = flatten(a, e->args[i], out)))
				return err;
		return DCR_OK;
	}
	return conds_add(a, out, e);
}

struct dcr_bexpr *plan_and(struct dcr_arena *a, struct dcr_bexpr **conds, size_t n)
{
	struct dcr_bexpr *e;

	if (n == 0)
		return NULL;
	if (n == 1)
		return conds[0];
	e = dcr_arena_alloc(a, sizeof(*e));
	if (!e)
		return NULL;
	e->kind = DCR_BE_AND;
	e->type = DCR_TYPE_BOOL;
	e->args = dcr_arena_alloc(a, n * sizeof(*e->args));
	if (!e->args)
		return NULL;
	memcpy(e->args, conds, n * sizeof(*e->args));
	e->arg_count = n;
	e->pos = conds[0]->pos;
	return e;
}

static enum dcr_err fail_at(struct dcr_query *q, uint32_t pos, struct dcr_msg *msg,
                            const char *text)
{
	unsigned line, col;

	sql_position(q->sql, q->sql_len, pos, &line, &col);
	dcr_msg_set(msg, "line %u, column %u: %s", line, col, text);
	return DCR_ERR_SQL;
}

/* Per step, the conditions collected for it. */
struct step_conds {
	struct conds keys_build, keys_probe, build, probe_match, after;
};

/* Classifies a JOIN ... ON conjunct (or, with inner joins only, any
 * conjunct) for the step that joins rel, given the relations placed before. */
static enum dcr_err place_on(struct dcr_query *q, struct dcr_bexpr *c, size_t rel,
                             uint64_t before, enum dcr_join_kind kind, struct step_conds *sc,
                             struct dcr_msg *msg)
{
	struct dcr_arena *a = &q->arena;
	uint64_t me = 1ULL << rel, refs = bexpr_rels(c);

	if (c->kind == DCR_BE_COMPARE && c->op == DCR_CMP_EQ) {
		uint64_t l = bexpr_rels(c->args[0]), r = bexpr_rels(c->args[1]);

		if (l == me && r && !(r & ~before)) {
			if (conds_add(a, &sc->keys_build, c->args[0]) ||
			    conds_add(a, &sc->keys_probe, c->args[1]))
				return DCR_ERR_NOMEM;
			return DCR_OK;
		}
		if (r == me && l && !(l & ~before)) {
			if (conds_add(a, &sc->keys_build, c->args[1]) ||
			    conds_add(a, &sc->keys_probe, c->args[0]))
				return DCR_ERR_NOMEM;
			return DCR_OK;
		}
	}
	if (refs == me)
		return conds_add(a, &sc->build, c) ? DCR_ERR_NOMEM : DCR_OK;
	if (kind == DCR_JOIN_INNER)
		return conds_add(a, &sc->after, c) ? DCR_ERR_NOMEM : DCR_OK;
	if (!(refs & me))
		return conds_add(a, &sc->probe_match, c) ? DCR_ERR_NOMEM : DCR_OK;
	return fail_at(q, c->pos, msg,
	               "a LEFT JOIN's ON condition must be an equality between the joined "
	               "table and the tables before it, or a condition on one side");
}

static enum dcr_err finish_step(struct dcr_query *q, struct join_step *s, struct step_conds *sc,
                                struct dcr_msg *msg)
{
	struct dcr_arena *a = &q->arena;
	const struct dcr_brel *r = &q->bq.rels[s->rel];

	if (sc->keys_build.n == 0) {
		char text[256];

		snprintf(text, sizeof(text),
		         "JOIN %s needs an equality between one of its columns and a column of "
		         "the tables joined before it",
		         r->alias);
		return fail_at(q, r->on ? r->on->pos : 0, msg, text);
	}
	s->build_keys = sc->keys_build.v;
	s->probe_keys = sc->keys_probe.v;
	s->key_count = sc->keys_build.n;
	s->build_filter = plan_and(a, sc->build.v, sc->build.n);
	s->probe_match = plan_and(a, sc->probe_match.v, sc->probe_match.n);
	s->after = plan_and(a, sc->after.v, sc->after.n);
	if ((sc->build.n && !s->build_filter) || (sc->probe_match.n && !s->probe_match) ||
	    (sc->after.n && !s->after))
		return DCR_ERR_NOMEM;
	return DCR_OK;
}

/* The relation that joins next in an inner-only query: the first in FROM
 * order with an equality to the placed relations; -1 when none connects. */
static int next_inner(const struct dcr_query *q, const struct conds *all, uint64_t placed)
{
	int best = -1;

	for (size_t r = 0; r < q->bq.rel_count; r++) {
		uint64_t me = 1ULL << r;
		bool linked = false;

		if (placed & me)
			continue;
		for (size_t i = 0; i < all->n && !linked; i++) {
			const struct dcr_bexpr *c = all->v[i];

			if (c->kind != DCR_BE_COMPARE || c->op != DCR_CMP_EQ)
				continue;
			uint64_t l = bexpr_rels(c->args[0]), rr = bexpr_rels(c->args[1]);

			linked = (l == me && rr && !(rr & ~placed)) || (rr == me && l && !(l & ~placed));
		}
		if (!linked)
			continue;
		if (best < 0)
			best = (int)r;
	}
	return best;
}

enum dcr_err plan_query(struct dcr_query *q, struct plan *p, struct dcr_msg *msg)
{
	struct dcr_bquery *bq = &q->bq;
	struct dcr_arena *a = &q->arena;
	struct conds where = {0}, driver = {0};
	struct step_conds *sc;
	size_t *order, n = bq->rel_count;
	bool inner_only = true;
	enum dcr_err err;

	memset(p, 0, sizeof(*p));
	if ((err = flatten(a, bq->where, &where)))
		return err;
	for (size_t r = 1; r < n; r++)
		inner_only &= bq->rels[r].join == DCR_JOIN_INNER;
	order = dcr_arena_alloc(a, n * sizeof(*order));
	sc = dcr_arena_alloc(a, (n + 1) * sizeof(*sc));
	p->steps = dcr_arena_alloc(a, (n + 1) * sizeof(*p->steps));
	if (!order || !sc || !p->steps)
		return DCR_ERR_NOMEM;

	if (inner_only) {
		/* every ON and WHERE conjunct is one pool: drive from the largest
		 * table and join the others in an order the equalities allow */
		struct conds all = where;
		uint64_t placed;
		size_t big = 0, k = 1;

		for (size_t r = 1; r < n; r++)
			if ((err = flatten(a, bq->rels[r].on, &all)))
				return err;
		for (size_t r = 1; r < n; r++)
			if (bq->rels[r].table->row_count > bq->rels[big].table->row_count)
				big = r;
		order[0] = big;
		placed = 1ULL << big;
		while (k < n) {
			int next = next_inner(q, &all, placed);

			if (next < 0)
				break;
			order[k++] = (size_t)next;
			placed |= 1ULL << next;
		}
		if (k < n) {
			/* not connected from the largest table: keep FROM's order */
			for (size_t r = 0; r < n; r++)
				order[r] = r;
		}
		/* each conjunct goes to the first step where its relations are all
		 * there (keys and build filters as place_on decides) */
		placed = 1ULL << order[0];
		for (size_t i = 0; i < all.n; i++) {
			struct dcr_bexpr *c = all.v[i];
			uint64_t refs = bexpr_rels(c), have = 1ULL << order[0];
			size_t s = 0;

			if (!(refs & ~have)) {
				if ((err = conds_add(a, &driver, c)))
					return err;
				continue;
			}
			for (s = 1; s < n; s++) {
				have |= 1ULL << order[s];
				if (!(refs & ~have))
					break;
			}
			uint64_t before = have & ~(1ULL << order[s]);

			err = place_on(q, c, order[s], before, DCR_JOIN_INNER, &sc[s], msg);
			if (err)
				return err;
		}
	} else {
		/* LEFT joins fix the order: FROM's */
		for (size_t r = 0; r < n; r++)
			order[r] = r;
		for (size_t r = 1; r < n; r++) {
			struct conds on = {0};
			uint64_t before = (1ULL << r) - 1;

			if ((err = flatten(a, bq->rels[r].on, &on)))
				return err;
			for (size_t i = 0; i < on.n; i++)
				if ((err = place_on(q, on.v[i], r, before, bq->rels[r].join, &sc[r], msg)))
					return err;
		}
		/* WHERE: down to a table's scan unless that table is NULL-padded by
		 * a LEFT JOIN, else right after the last of its tables is joined */
		for (size_t i = 0; i < where.n; i++) {
			struct dcr_bexpr *c = where.v[i];
			uint64_t refs = bexpr_rels(c);
			size_t last = 0;

			for (size_t r = 0; r < n; r++)
				if (refs & (1ULL << r))
					last = r;
			if (last == 0)
				err = conds_add(a, &driver, c);
			else if (refs == 1ULL << last && bq->rels[last].join == DCR_JOIN_INNER)
				err = conds_add(a, &sc[last].build, c);
			else
				err = conds_add(a, &sc[last].after, c);
			if (err)
				return err;
		}
	}

	p->driver = order[0];
	p->driver_filter = plan_and(a, driver.v, driver.n);
	if (driver.n && !p->driver_filter)
		return DCR_ERR_NOMEM;
	for (size_t s = 1; s < n; s++) {
		struct join_step *st = &p->steps[s - 1];

		st->rel = order[s];
		st->kind = inner_only ? DCR_JOIN_INNER : bq->rels[order[s]].join;
		if ((err = finish_step(q, st, &sc[s], msg)))
			return err;
	}
	p->step_count = n - 1;
	return DCR_OK;
}
