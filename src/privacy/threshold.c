/* SPDX-License-Identifier: Apache-2.0 */
/* The k rewrite: HAVING gains COUNT(DISTINCT <id of the first table>) >= k,
 * so every output row covers at least min_distinct_ids people, and rows that
 * do not vanish before ORDER BY and LIMIT, leaving no trace. */
#include <assert.h>

#include "privacy_int.h"

static enum dcr_err nomem(struct privacy *p)
{
	return dcr_fail(p->msg, DCR_ERR_NOMEM, "out of memory while applying the privacy rules");
}

enum dcr_err privacy_threshold(struct privacy *p)
{
	struct dcr_bquery *bq = p->bq;
	const struct dcr_dataset *ds = p->ds[0];
	const struct dcr_table *t = bq->rels[0].table;
	int id = dcr_table_column_index(t, ds->columns[ds->id_column].name);
	struct dcr_bexpr *col, *agg, *ref, *k, *ge, *both;
	size_t index;
	enum dcr_err err;

	assert(id >= 0); /* privacy_check_datasets made sure */
	col = dcr_query_new_expr(p->q, DCR_BE_COLUMN, t->columns[id].type, 0);
	agg = dcr_query_new_expr(p->q, DCR_BE_AGG, DCR_TYPE_INT, 1);
	ref = dcr_query_new_expr(p->q, DCR_BE_AGGREF, DCR_TYPE_INT, 0);
	k = dcr_query_new_expr(p->q, DCR_BE_CONST, DCR_TYPE_INT, 0);
	ge = dcr_query_new_expr(p->q, DCR_BE_COMPARE, DCR_TYPE_BOOL, 2);
	if (!col || !agg || !ref || !k || !ge)
		return nomem(p);
	col->rel = 0;
	col->column = (size_t)id;
	/* COUNT(DISTINCT) over the joined, filtered rows of the first table is
	 * exactly "distinct ids of the first table after joins and filters";
	 * NULL ids (a LEFT JOIN's padding cannot reach rel 0) are not counted */
	agg->agg = DCR_AGG_FN_COUNT;
	agg->distinct = true;
	agg->args[0] = col;
	if ((err = dcr_query_add_aggregate(p->q, agg, &index)))
		return err == DCR_ERR_NOMEM ? nomem(p) : err;
	ref->index = index;
	k->value.type = DCR_TYPE_INT;
	k->value.v.i = p->c->min_distinct_ids;
	ge->op = DCR_CMP_GE;
	ge->args[0] = ref;
	ge->args[1] = k;
	if (!bq->having) {
		bq->having = ge;
		return DCR_OK;
	}
	both = dcr_query_new_expr(p->q, DCR_BE_AND, DCR_TYPE_BOOL, 2);
	if (!both)
		return nomem(p);
	both->args[0] = bq->having;
	both->args[1] = ge;
	bq->having = both;
	return DCR_OK;
}
