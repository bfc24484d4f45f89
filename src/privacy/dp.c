/* SPDX-License-Identifier: Apache-2.0 */
/* Differential privacy, the planning half: which queries a contract with
 * rules.dp answers, how they are rewritten (metrics clamped to their
 * bounds, AVG split into a SUM and a COUNT, a hidden distinct-id count for
 * group selection), and each noisy value's L1 sensitivity over the whole
 * answer under the per-id row cap. docs/PRIVACY.md, "Differential privacy". */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "privacy_int.h"

#define DP_RULE "differential privacy"

static enum dcr_err nomem(struct privacy *p)
{
	return dcr_fail(p->msg, DCR_ERR_NOMEM, "out of memory while applying the privacy rules");
}

/* CASE WHEN x < lo THEN lo WHEN x > hi THEN hi ELSE x END, typed as x. */
static struct dcr_bexpr *clamp(struct privacy *p, struct dcr_bexpr *x, double lo, double hi)
{
	struct dcr_bexpr *c = dcr_query_new_expr(p->q, DCR_BE_CASE, x->type, 5);
	struct dcr_bexpr *bound[2];
	int ops[2] = {DCR_CMP_LT, DCR_CMP_GT};
	double v[2] = {lo, hi};

	if (!c)
		return NULL;
	for (int i = 0; i < 2; i++) {
		struct dcr_bexpr *k = dcr_query_new_expr(p->q, DCR_BE_CONST, x->type, 0);
		struct dcr_bexpr *cmp = dcr_query_new_expr(p->q, DCR_BE_COMPARE, DCR_TYPE_BOOL, 2);

		if (!k || !cmp)
			return NULL;
		k->value.type = x->type;
		if (x->type == DCR_TYPE_INT)
			/* the integers inside [lo, hi] */
			k->value.v.i = (int64_t)(i == 0 ? ceil(v[i]) : floor(v[i]));
		else
			k->value.v.f = v[i];
		cmp->op = ops[i];
		cmp->args[0] = x;
		cmp->args[1] = k;
		bound[i] = k;
		c->args[2 * i] = cmp;
		c->args[2 * i + 1] = bound[i];
	}
	c->args[4] = x;
	return c;
}

/* Appends a hidden output column reading aggregate index. */
static enum dcr_err add_hidden(struct privacy *p, size_t index, enum dcr_type type,
                               const char *name, size_t *out_column)
{
	struct dcr_bquery *bq = p->bq;
	struct dcr_bexpr **sel = dcr_query_alloc(p->q, (bq->select_count + 1) * sizeof(*sel));
	const char **names = dcr_query_alloc(p->q, (bq->select_count + 1) * sizeof(*names));
	struct dcr_bexpr *ref = dcr_query_new_expr(p->q, DCR_BE_AGGREF, type, 0);

	if (!sel || !names || !ref)
		return nomem(p);
	memcpy(sel, bq->select, bq->select_count * sizeof(*sel));
	memcpy(names, bq->names, bq->select_count * sizeof(*names));
	ref->index = index;
	sel[bq->select_count] = ref;
	names[bq->select_count] = name;
	*out_column = bq->select_count;
	bq->select = sel;
	bq->names = names;
	bq->select_count++;
	return DCR_OK;
}

/* Adds COUNT([DISTINCT] arg) (arg NULL: COUNT(*)) as a hidden column. */
static enum dcr_err add_count(struct privacy *p, struct dcr_bexpr *arg, bool distinct,
                              const char *name, size_t *out_column)
{
	struct dcr_bexpr *agg = dcr_query_new_expr(p->q, DCR_BE_AGG, DCR_TYPE_INT, arg ? 1 : 0);
	size_t index;
	enum dcr_err err;

	if (!agg)
		return nomem(p);
	agg->agg = arg ? DCR_AGG_FN_COUNT : DCR_AGG_FN_COUNT_STAR;
	agg->distinct = distinct;
	if (arg)
		agg->args[0] = arg;
	if ((err = dcr_query_add_aggregate(p->q, agg, &index)))
		return err == DCR_ERR_NOMEM ? nomem(p) : err;
	return add_hidden(p, index, DCR_TYPE_INT, name, out_column);
}

/* What may not be in a DP query, beyond the rules every query obeys. */
static enum dcr_err check_shape(struct privacy *p)
{
	const struct dcr_bquery *bq = p->bq;

	if (bq->having)
		return privacy_refuse(p->msg, DP_RULE,
		                      "HAVING is not supported with differential privacy: it "
		                      "would filter on exact values");
	if (bq->limit >= 0)
		return privacy_refuse(p->msg, DP_RULE,
		                      "LIMIT is not supported with differential privacy: which "
		                      "rows it keeps would depend on exact values");
	for (size_t i = 0; i < bq->order_count; i++)
		if (bq->order[i].expr->kind != DCR_BE_GROUP)
			return privacy_refuse(p->msg, DP_RULE,
			                      "ORDER BY may only name GROUP BY keys with "
			                      "differential privacy (ordering by exact values "
			                      "would show them)");
	for (size_t i = 0; i < bq->select_count; i++) {
		const struct dcr_bexpr *e = bq->select[i];

		if (e->kind != DCR_BE_GROUP && e->kind != DCR_BE_AGGREF)
			return privacy_refuse(p->msg, DP_RULE,
			                      "output column %.64s must be a GROUP BY key or one "
			                      "aggregate with differential privacy (compute with "
			                      "the noisy answers afterwards)",
			                      bq->names && bq->names[i] ? bq->names[i] : "?");
	}
	for (size_t i = 0; i < bq->agg_count; i++) {
		const struct dcr_bexpr *agg = bq->aggs[i];

		switch (agg->agg) {
		case DCR_AGG_FN_MIN:
		case DCR_AGG_FN_MAX:
			return privacy_refuse(p->msg, DP_RULE,
			                      "%s is not supported with differential privacy",
			                      privacy_agg_name(agg));
		case DCR_AGG_FN_SUM:
		case DCR_AGG_FN_AVG:
			if (agg->arg_count != 1 || agg->args[0]->kind != DCR_BE_COLUMN ||
			    privacy_role(p, agg->args[0]) != PRIVACY_METRIC)
				return privacy_refuse(p->msg, DP_RULE,
				                      "with differential privacy %s takes one metric "
				                      "column (its bounds clamp each value)",
				                      privacy_agg_name(agg));
			break;
		default:
			break;
		}
	}
	return DCR_OK;
}

void dcr_dp_plan_free(struct dcr_dp_plan *plan)
{
	if (!plan)
		return;
	free(plan->cols);
	free(plan);
}

enum dcr_err privacy_dp_plan(struct privacy *p, double epsilon, struct dcr_dp_plan **out)
{
	struct dcr_bquery *bq = p->bq;
	const struct dcr_dp *dp = &p->c->dp;
	const struct dcr_dataset *ds0 = p->ds[0];
	const struct dcr_table *t0 = bq->rels[0].table;
	int id0 = dcr_table_column_index(t0, ds0->columns[ds0->id_column].name);
	size_t visible = bq->select_count;
	double cap = (double)dp->max_rows_per_id;
	struct dcr_dp_plan *plan;
	enum dcr_err err;

	assert(id0 >= 0);
	*out = NULL;
	if (!(epsilon > 0) || !isfinite(epsilon))
		return privacy_refuse(p->msg, DP_RULE, "epsilon must be greater than 0");
	if (epsilon > dp->epsilon_per_analyst)
		return privacy_refuse(p->msg, DP_RULE,
		                      "epsilon %g is more than the whole budget of %g", epsilon,
		                      dp->epsilon_per_analyst);
	if ((err = check_shape(p)))
		return err;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return nomem(p);
	plan->cols = calloc(visible ? visible : 1, sizeof(*plan->cols));
	if (!plan->cols) {
		free(plan);
		return nomem(p);
	}
	plan->col_count = visible;
	plan->epsilon = epsilon;
	plan->delta = dp->delta;
	plan->gaussian = dp->gaussian;
	plan->cap = (uint64_t)dp->max_rows_per_id;
	plan->cap_rel = 0;
	plan->cap_column = (size_t)id0;
	plan->min_ids = p->c->min_distinct_ids;
	plan->grouped = bq->group_count > 0;

	for (size_t i = 0; i < visible && !err; i++) {
		struct dcr_dp_column *col = &plan->cols[i];
		struct dcr_bexpr *e = bq->select[i];
		struct dcr_bexpr *agg;

		col->name = bq->names && bq->names[i] ? bq->names[i] : "?";
		col->column = i;
		if (e->kind == DCR_BE_GROUP) {
			col->kind = DCR_DP_KEY;
			continue;
		}
		agg = bq->aggs[e->index];
		switch (agg->agg) {
		case DCR_AGG_FN_COUNT_STAR:
		case DCR_AGG_FN_COUNT:
			col->kind = DCR_DP_COUNT;
			/* each id's rows (at most cap) reach at most cap groups and
			 * change a count by one each; the distinct ids of the first
			 * table change by one, in one group when there are none */
			col->sensitivity = col->l2 = cap;
			if (agg->distinct && agg->args[0]->kind == DCR_BE_COLUMN &&
			    agg->args[0]->rel == 0 && agg->args[0]->column == (size_t)id0) {
				/* one person is one id: 1 in at most cap groups */
				col->sensitivity = plan->grouped ? cap : 1;
				col->l2 = plan->grouped ? sqrt(cap) : 1;
			}
			plan->measurements++;
			break;
		case DCR_AGG_FN_SUM:
		case DCR_AGG_FN_AVG: {
			const struct dcr_contract_column *cc = privacy_column(p, agg->args[0]);
			struct dcr_bexpr *x;

			assert(cc && cc->has_bounds);
			x = clamp(p, agg->args[0], cc->lo, cc->hi);
			if (!x) {
				err = nomem(p);
				break;
			}
			col->lo = cc->lo;
			col->hi = cc->hi;
			col->sensitivity = cap * fmax(fabs(cc->lo), fabs(cc->hi));
			col->is_float = x->type == DCR_TYPE_FLOAT;
			if (agg->agg == DCR_AGG_FN_SUM) {
				col->kind = DCR_DP_SUM;
				agg->args[0] = x;
				plan->measurements++;
				break;
			}
			/* AVG = noisy SUM / noisy COUNT, both over the clamped values */
			col->kind = DCR_DP_AVG;
			agg->agg = DCR_AGG_FN_SUM;
			agg->type = x->type;
			agg->args[0] = x;
			e->type = x->type;
			col->count_sensitivity = cap;
			err = add_count(p, x, false, "dp_avg_count", &col->count_column);
			plan->measurements += 2;
			break;
		}
		default:
			err = privacy_refuse(p->msg, DP_RULE, "%s is not supported",
			                     privacy_agg_name(agg));
			break;
		}
	}
	if (!err && plan->grouped) {
		struct dcr_bexpr *id = dcr_query_new_expr(p->q, DCR_BE_COLUMN, t0->columns[id0].type, 0);
		size_t same = bq->agg_count;

		/* the analyst's own COUNT(DISTINCT <that id>), when there is one,
		 * is the same exact count: shown again, not computed again (the
		 * selection still draws its own noise) */
		for (size_t a = 0; a < bq->agg_count && same == bq->agg_count; a++) {
			const struct dcr_bexpr *g = bq->aggs[a];

			if (g->agg == DCR_AGG_FN_COUNT && g->distinct && g->arg_count == 1 &&
			    g->args[0]->kind == DCR_BE_COLUMN && g->args[0]->rel == 0 &&
			    g->args[0]->column == (size_t)id0)
				same = a;
		}
		if (same < bq->agg_count) {
			plan->select_sensitivity = cap;
			plan->select_l2 = sqrt(cap);
			err = add_hidden(p, same, DCR_TYPE_INT, "dp_ids", &plan->select_column);
			plan->measurements++;
		} else if (!id) {
			err = nomem(p);
		} else {
			id->rel = 0;
			id->column = (size_t)id0;
			/* a group's distinct ids of the first table: which groups
			 * are released depends on it, noisily */
			plan->select_sensitivity = cap;
			plan->select_l2 = sqrt(cap);
			err = add_count(p, id, true, "dp_ids", &plan->select_column);
			plan->measurements++;
		}
	}
	if (!err && !plan->measurements)
		err = privacy_refuse(p->msg, DP_RULE, "the query asks for no aggregate");
	if (err) {
		dcr_dp_plan_free(plan);
		return err;
	}
	*out = plan;
	return DCR_OK;
}
