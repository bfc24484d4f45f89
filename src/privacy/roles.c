/* SPDX-License-Identifier: Apache-2.0 */
/* Column roles: which dataset each table is, which contract column each
 * column reference is, and the rules on where id, metric and hidden columns
 * may appear ('contract datasets', 'hidden columns', 'id columns',
 * 'metric columns'). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "privacy_int.h"

/* ---- the walk ------------------------------------------------------------- */

enum dcr_err privacy_each_site(struct privacy *p, privacy_visit_fn fn)
{
	const struct dcr_bquery *bq = p->bq;
	struct privacy_site s;
	enum dcr_err err;

#define VISIT(cl, i, e, a)                                                             \
	do {                                                                           \
		s = (struct privacy_site){.clause = (cl), .index = (i), .expr = (e),   \
		                          .agg = (a)};                                 \
		if ((err = fn(p, &s)))                                                 \
			return err;                                                    \
	} while (0)

	for (size_t r = 1; r < bq->rel_count; r++)
		VISIT(PRIVACY_ON, r, bq->rels[r].on, NULL);
	if (bq->where)
		VISIT(PRIVACY_WHERE, 0, bq->where, NULL);
	for (size_t i = 0; i < bq->group_count; i++)
		VISIT(PRIVACY_GROUP, i, bq->group[i], NULL);
	for (size_t i = 0; i < bq->agg_count; i++)
		VISIT(PRIVACY_AGG, i, bq->aggs[i]->arg_count ? bq->aggs[i]->args[0] : NULL,
		      bq->aggs[i]);
	for (size_t i = 0; i < bq->select_count; i++)
		VISIT(PRIVACY_SELECT, i, bq->select[i], NULL);
	if (bq->having)
		VISIT(PRIVACY_HAVING, 0, bq->having, NULL);
	for (size_t i = 0; i < bq->order_count; i++)
		VISIT(PRIVACY_ORDER, i, bq->order[i].expr, NULL);
#undef VISIT
	return DCR_OK;
}

const char *privacy_agg_name(const struct dcr_bexpr *agg)
{
	switch (agg->agg) {
	case DCR_AGG_FN_COUNT_STAR: return "COUNT(*)";
	case DCR_AGG_FN_COUNT: return agg->distinct ? "COUNT(DISTINCT)" : "COUNT";
	case DCR_AGG_FN_SUM: return "SUM";
	case DCR_AGG_FN_AVG: return "AVG";
	case DCR_AGG_FN_MIN: return "MIN";
	case DCR_AGG_FN_MAX: return "MAX";
	}
	return "an aggregate";
}

const char *privacy_site_name(const struct privacy_site *s)
{
	switch (s->clause) {
	case PRIVACY_ON: return "JOIN ... ON";
	case PRIVACY_WHERE: return "WHERE";
	case PRIVACY_GROUP: return "GROUP BY";
	case PRIVACY_SELECT: return "the select list";
	case PRIVACY_HAVING: return "HAVING";
	case PRIVACY_ORDER: return "ORDER BY";
	case PRIVACY_AGG:
		switch (s->agg->agg) {
		case DCR_AGG_FN_COUNT_STAR: return "COUNT(*)";
		case DCR_AGG_FN_COUNT:
			return s->agg->distinct ? "COUNT(DISTINCT ...)" : "COUNT(...)";
		case DCR_AGG_FN_SUM: return "SUM(...)";
		case DCR_AGG_FN_AVG: return "AVG(...)";
		case DCR_AGG_FN_MIN: return "MIN(...)";
		case DCR_AGG_FN_MAX: return "MAX(...)";
		}
		break;
	}
	return "the query";
}

/* ---- columns and roles ---------------------------------------------------- */

/* The table column a reference names, or NULL for a malformed reference. */
static const struct dcr_column *table_column(const struct privacy *p,
                                             const struct dcr_bexpr *col)
{
	const struct dcr_table *t;

	if (col->rel >= p->bq->rel_count)
		return NULL;
	t = p->bq->rels[col->rel].table;
	return col->column < t->column_count ? &t->columns[col->column] : NULL;
}

const struct dcr_contract_column *privacy_column(const struct privacy *p,
                                                 const struct dcr_bexpr *col)
{
	const struct dcr_column *tc = table_column(p, col);
	const struct dcr_dataset *ds;

	if (!tc || !tc->name)
		return NULL;
	ds = p->ds[col->rel];
	for (size_t i = 0; i < ds->column_count; i++)
		if (!strcasecmp(ds->columns[i].name, tc->name))
			return &ds->columns[i];
	return NULL;
}

unsigned privacy_role(const struct privacy *p, const struct dcr_bexpr *col)
{
	const struct dcr_contract_column *cc = privacy_column(p, col);

	return cc ? 1u << cc->role : PRIVACY_UNKNOWN;
}

const struct dcr_bexpr *privacy_find(const struct privacy *p, const struct dcr_bexpr *e,
                                     unsigned roles)
{
	if (!e)
		return NULL;
	if (e->kind == DCR_BE_COLUMN && (privacy_role(p, e) & roles))
		return e;
	for (size_t i = 0; i < e->arg_count; i++) {
		const struct dcr_bexpr *found = privacy_find(p, e->args[i], roles);

		if (found)
			return found;
	}
	return NULL;
}

void privacy_column_name(const struct privacy *p, const struct dcr_bexpr *col, char *out,
                         size_t size)
{
	const struct dcr_contract_column *cc = privacy_column(p, col);
	const struct dcr_column *tc = table_column(p, col);

	if (!tc) {
		snprintf(out, size, "?");
		return;
	}
	/* the contract's spelling, so messages match what the parties signed */
	snprintf(out, size, "%s.%.64s", p->ds[col->rel]->name,
	         cc ? cc->name : tc->name ? tc->name : "?");
}

/* ---- rule 'contract datasets' ------------------------------------------- */

static enum dcr_err undeclared_column(struct privacy *p, const struct privacy_site *s)
{
	const struct dcr_bexpr *col = privacy_find(p, s->expr, PRIVACY_UNKNOWN);
	char name[160];

	if (!col)
		return DCR_OK;
	privacy_column_name(p, col, name, sizeof(name));
	return privacy_refuse(p->msg, "contract datasets",
	                      "column %s is not declared by the contract", name);
}

enum dcr_err privacy_check_datasets(struct privacy *p)
{
	const struct dcr_bquery *bq = p->bq;
	const struct dcr_dataset *ds;

	if (bq->rel_count == 0 || bq->rel_count > PRIVACY_MAX_RELS)
		return privacy_refuse(p->msg, "contract datasets",
		                      "a query reads 1 to %d tables", PRIVACY_MAX_RELS);
	for (size_t r = 0; r < bq->rel_count; r++) {
		const char *name = bq->rels[r].table->name;

		p->ds[r] = name ? dcr_contract_dataset(p->c, name) : NULL;
		if (!p->ds[r])
			return privacy_refuse(p->msg, "contract datasets",
			                      "table %.64s is not a dataset of this contract",
			                      name ? name : "?");
	}
	/* the k rule counts the first table's ids: they must be there */
	ds = p->ds[0];
	if (dcr_table_column_index(bq->rels[0].table, ds->columns[ds->id_column].name) < 0)
		return privacy_refuse(p->msg, "contract datasets",
		                      "table %s lacks its id column %s", ds->name,
		                      ds->columns[ds->id_column].name);
	return privacy_each_site(p, undeclared_column);
}

/* ---- rule 'hidden columns' -------------------------------------------- */

static enum dcr_err hidden_column(struct privacy *p, const struct privacy_site *s)
{
	const struct dcr_bexpr *col = privacy_find(p, s->expr, PRIVACY_HIDDEN);
	char name[160];

	if (!col)
		return DCR_OK;
	privacy_column_name(p, col, name, sizeof(name));
	return privacy_refuse(p->msg, "hidden columns",
	                      "%s is hidden and may not be used anywhere (found in %s)", name,
	                      privacy_site_name(s));
}

enum dcr_err privacy_check_hidden(struct privacy *p)
{
	return privacy_each_site(p, hidden_column);
}

/* ---- rule 'id columns' ------------------------------------------------ */

static enum dcr_err id_column(struct privacy *p, const struct privacy_site *s)
{
	const struct dcr_bexpr *col;
	const char *where = privacy_site_name(s);
	char name[160];

	if (s->clause == PRIVACY_ON)
		return DCR_OK; /* rule 'allowed joins' has checked every ON */
	if (s->clause == PRIVACY_AGG && s->agg->agg == DCR_AGG_FN_COUNT && s->agg->distinct) {
		/* COUNT(DISTINCT id) is the one place an id may be counted */
		if (s->expr && s->expr->kind == DCR_BE_COLUMN)
			return DCR_OK;
		where = "an expression inside COUNT(DISTINCT ...)";
	}
	col = privacy_find(p, s->expr, PRIVACY_ID);
	if (!col)
		return DCR_OK;
	privacy_column_name(p, col, name, sizeof(name));
	return privacy_refuse(p->msg, "id columns",
	                      "%s may only appear in a JOIN ON pair or in COUNT(DISTINCT ...), "
	                      "not in %s", name, where);
}

enum dcr_err privacy_check_ids(struct privacy *p)
{
	return privacy_each_site(p, id_column);
}

/* ---- rule 'metric columns' -------------------------------------------- */

/* "COUNT, SUM or AVG": the allowed aggregates a metric may be inside. */
static void metric_aggregates(unsigned allowed, char *out, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} fns[] = {{DCR_AGG_COUNT, "COUNT"}, {DCR_AGG_SUM, "SUM"}, {DCR_AGG_AVG, "AVG"},
	           {DCR_AGG_MIN, "MIN"}, {DCR_AGG_MAX, "MAX"}};
	size_t n = 0, k = 0, len = 0;

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		n += (allowed & fns[i].bit) != 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (!(allowed & fns[i].bit))
			continue;
		k++;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		                        k == 1 ? "" : k == n ? " or " : ", ", fns[i].name);
		if (len >= size)
			return;
	}
}

static enum dcr_err metric_column(struct privacy *p, const struct privacy_site *s)
{
	const struct dcr_bexpr *col;
	char name[160], fns[64];

	if (s->clause == PRIVACY_ON)
		return DCR_OK;
	/* inside an aggregate a metric is what it is for; COUNT(DISTINCT) is for
	 * ids and dimensions (it would list how many distinct values there are) */
	if (s->clause == PRIVACY_AGG && !(s->agg->agg == DCR_AGG_FN_COUNT && s->agg->distinct))
		return DCR_OK;
	col = privacy_find(p, s->expr, PRIVACY_METRIC);
	if (!col)
		return DCR_OK;
	privacy_column_name(p, col, name, sizeof(name));
	metric_aggregates(p->c->aggregates, fns, sizeof(fns));
	if (!fns[0])
		return privacy_refuse(p->msg, "metric columns",
		                      "%s is a metric, and this contract allows no aggregate over "
		                      "metrics (found in %s)", name, privacy_site_name(s));
	return privacy_refuse(p->msg, "metric columns",
	                      "%s may only be used inside %s (allowed aggregates), not in %s", name,
	                      fns, privacy_site_name(s));
}

enum dcr_err privacy_check_metrics(struct privacy *p)
{
	return privacy_each_site(p, metric_column);
}
