/* SPDX-License-Identifier: Apache-2.0 */
/* Rule 'allowed joins': every JOIN is INNER or LEFT, ON an AND of id = id
 * equalities, each a pair of rules.joins between the joined table and one
 * joined before it; no dataset twice in FROM. */
#include "privacy_int.h"

static enum dcr_err refuse_shape(struct privacy *p, size_t r)
{
	return privacy_refuse(p->msg, "allowed joins",
	                      "JOIN %s may only be ON equalities of id columns joined by AND "
	                      "(a.id = b.id AND ...)", p->ds[r]->name);
}

static bool allowed_pair(const struct privacy *p, const struct dcr_bexpr *a,
                         const struct dcr_bexpr *b)
{
	const struct dcr_contract *c = p->c;
	const struct dcr_dataset *da = p->ds[a->rel], *db = p->ds[b->rel];
	size_t ia = (size_t)(da - c->datasets), ib = (size_t)(db - c->datasets);
	size_t ca = (size_t)(privacy_column(p, a) - da->columns);
	size_t cb = (size_t)(privacy_column(p, b) - db->columns);

	for (size_t j = 0; j < c->join_count; j++) {
		const struct dcr_contract_join *jp = &c->joins[j];

		if (jp->left_dataset == ia && jp->left_column == ca && jp->right_dataset == ib &&
		    jp->right_column == cb)
			return true;
		if (jp->left_dataset == ib && jp->left_column == cb && jp->right_dataset == ia &&
		    jp->right_column == ca)
			return true;
	}
	return false;
}

static enum dcr_err check_equality(struct privacy *p, size_t r, const struct dcr_bexpr *e)
{
	const struct dcr_bexpr *a, *b;
	char na[160], nb[160];

	if (e->kind != DCR_BE_COMPARE || e->op != DCR_CMP_EQ || e->arg_count != 2)
		return refuse_shape(p, r);
	a = e->args[0];
	b = e->args[1];
	if (!a || !b || a->kind != DCR_BE_COLUMN || b->kind != DCR_BE_COLUMN)
		return refuse_shape(p, r);
	if (a->rel == r) {
		const struct dcr_bexpr *t = a;

		a = b;
		b = t;
	}
	if (b->rel != r || a->rel >= r)
		return privacy_refuse(p->msg, "allowed joins",
		                      "each equality in the ON of JOIN %s must pair a column of "
		                      "%s with one of a table before it", p->ds[r]->name,
		                      p->ds[r]->name);
	privacy_column_name(p, a, na, sizeof(na));
	privacy_column_name(p, b, nb, sizeof(nb));
	if (privacy_role(p, a) != PRIVACY_ID || privacy_role(p, b) != PRIVACY_ID)
		return privacy_refuse(p->msg, "allowed joins",
		                      "%s is not an id column; tables join only on the contract's "
		                      "pairs of id columns",
		                      privacy_role(p, a) != PRIVACY_ID ? na : nb);
	if (!allowed_pair(p, a, b))
		return privacy_refuse(p->msg, "allowed joins",
		                      "%s = %s is not a join pair of this contract", na, nb);
	return DCR_OK;
}

static enum dcr_err check_on(struct privacy *p, size_t r, const struct dcr_bexpr *e)
{
	enum dcr_err err;

	if (!e)
		return refuse_shape(p, r);
	if (e->kind != DCR_BE_AND)
		return check_equality(p, r, e);
	if (e->arg_count == 0)
		return refuse_shape(p, r);
	for (size_t i = 0; i < e->arg_count; i++)
		if ((err = check_on(p, r, e->args[i])))
			return err;
	return DCR_OK;
}

enum dcr_err privacy_check_joins(struct privacy *p)
{
	const struct dcr_bquery *bq = p->bq;
	enum dcr_err err;

	for (size_t r = 1; r < bq->rel_count; r++) {
		/* contract pairs are of two datasets: a self-join is never one */
		for (size_t j = 0; j < r; j++)
			if (p->ds[j] == p->ds[r])
				return privacy_refuse(p->msg, "allowed joins",
				                      "%s appears twice in FROM; a dataset may "
				                      "not be joined with itself", p->ds[r]->name);
		if (bq->rels[r].join != DCR_JOIN_INNER && bq->rels[r].join != DCR_JOIN_LEFT)
			return privacy_refuse(p->msg, "allowed joins",
			                      "JOIN %s must be INNER or LEFT", p->ds[r]->name);
		if ((err = check_on(p, r, bq->rels[r].on)))
			return err;
	}
	return DCR_OK;
}
