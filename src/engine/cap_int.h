/* SPDX-License-Identifier: Apache-2.0 */
/* The per-key row cap (cap.c), used by the executor (exec.c). */
#ifndef DCR_CAP_INT_H
#define DCR_CAP_INT_H

#include "exec_int.h"

/* Joined tuples, as rows per relation (rows[r] NULL for a relation the
 * tuples do not carry). */
struct cap_tuples {
	uint32_t **rows;
	size_t rels;
	size_t n, cap;
};

/* Appends b's tuples. */
enum dcr_err cap_tuples_add(struct cap_tuples *t, size_t rels, const struct batch *b) DCR_WUR;
void cap_tuples_free(struct cap_tuples *t);

/* Joins the parts (freeing them) into *out and keeps, per distinct value of
 * table's column cap->column at the tuples' rows of relation cap->rel, at
 * most cap->max_rows tuples chosen uniformly at random; tuples whose key is
 * NULL go too, in parallel on pool (cap->random is called from several
 * threads). *out_dropped counts what went. On error *out is empty. */
enum dcr_err cap_select(const struct dcr_exec_cap *cap, const struct dcr_table *table,
                        struct pool *pool, struct cap_tuples *parts, size_t nparts,
                        struct cap_tuples *out, uint64_t *out_dropped) DCR_WUR;

#endif
