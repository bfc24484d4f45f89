/* SPDX-License-Identifier: Apache-2.0 */
/* Rules 'aggregation required' (every output is an aggregate or a GROUP BY
 * key) and 'allowed aggregates' (the functions rules.aggregates lists, and
 * SUM/AVG/MIN/MAX only over metrics). */
#include "privacy_int.h"

/* The first node after aggregation that still reads input rows. */
static const struct dcr_bexpr *raw_input(const struct dcr_bexpr *e)
{
	if (!e)
		return NULL;
	if (e->kind == DCR_BE_COLUMN || e->kind == DCR_BE_AGG)
		return e;
	for (size_t i = 0; i < e->arg_count; i++) {
		const struct dcr_bexpr *found = raw_input(e->args[i]);

		if (found)
			return found;
	}
	return NULL;
}

enum dcr_err privacy_check_aggregation(struct privacy *p)
{
	const struct dcr_bquery *bq = p->bq;
	const char *first = bq->select_count && bq->names && bq->names[0] ? bq->names[0] : "?";

	if (!bq->aggregated)
		return privacy_refuse(p->msg, "aggregation required",
		                      "output column %.64s is neither an aggregate nor a GROUP BY "
		                      "key; queries must aggregate", first);
	/* the binder has rewritten these to read only group keys and aggregate
	 * results; anything else would show input rows */
	for (size_t i = 0; i < bq->select_count; i++)
		if (raw_input(bq->select[i]))
			return privacy_refuse(p->msg, "aggregation required",
			                      "output column %.64s is neither an aggregate nor a "
			                      "GROUP BY key",
			                      bq->names && bq->names[i] ? bq->names[i] : "?");
	if (raw_input(bq->having))
		return privacy_refuse(p->msg, "aggregation required",
		                      "HAVING may only use aggregates and GROUP BY keys");
	for (size_t i = 0; i < bq->order_count; i++)
		if (raw_input(bq->order[i].expr))
			return privacy_refuse(p->msg, "aggregation required",
			                      "ORDER BY may only use aggregates and GROUP BY keys");
	return DCR_OK;
}

static unsigned needed_bit(const struct dcr_bexpr *agg)
{
	switch (agg->agg) {
	case DCR_AGG_FN_COUNT_STAR: return DCR_AGG_COUNT;
	case DCR_AGG_FN_COUNT: return agg->distinct ? DCR_AGG_COUNT_DISTINCT : DCR_AGG_COUNT;
	case DCR_AGG_FN_SUM: return DCR_AGG_SUM;
	case DCR_AGG_FN_AVG: return DCR_AGG_AVG;
	case DCR_AGG_FN_MIN: return DCR_AGG_MIN;
	case DCR_AGG_FN_MAX: return DCR_AGG_MAX;
	}
	return 0;
}

enum dcr_err privacy_check_aggregates(struct privacy *p)
{
	const struct dcr_bquery *bq = p->bq;

	for (size_t i = 0; i < bq->agg_count; i++) {
		const struct dcr_bexpr *agg = bq->aggs[i];
		unsigned bit = needed_bit(agg);

		if (agg->kind != DCR_BE_AGG || !bit ||
		    (agg->distinct && agg->agg != DCR_AGG_FN_COUNT))
			return privacy_refuse(p->msg, "allowed aggregates",
			                      "an aggregate of an unknown kind");
		if (!(p->c->aggregates & bit))
			return privacy_refuse(p->msg, "allowed aggregates",
			                      "%s is not allowed by this contract",
			                      privacy_agg_name(agg));
		switch (agg->agg) {
		case DCR_AGG_FN_SUM:
		case DCR_AGG_FN_AVG:
		case DCR_AGG_FN_MIN:
		case DCR_AGG_FN_MAX:
			/* over dimensions alone, MIN and MAX would pick out one row's value */
			if (agg->arg_count != 1 || !privacy_find(p, agg->args[0], PRIVACY_METRIC))
				return privacy_refuse(p->msg, "allowed aggregates",
				                      "%s must be over a metric column (an "
				                      "expression with at least one metric)",
				                      privacy_agg_name(agg));
			break;
		default:
			break;
		}
	}
	return DCR_OK;
}
