/* SPDX-License-Identifier: Apache-2.0 */
/* ORDER BY: sorts the result's rows by key columns (NULL sorts as the
 * largest value, so last ascending and first descending), then LIMIT. */
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"

struct sort_ctx {
	const struct dcr_column *keys;
	const uint32_t **ranks;     /* per key: string ranks, or NULL */
	const bool *desc;
	size_t count;
};

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *s = arg;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	for (size_t k = 0; k < s->count; k++) {
		const struct dcr_column *c = &s->keys[k];
		bool an = c->nulls && c->nulls[a], bn = c->nulls && c->nulls[b];
		int r = 0;

		if (an || bn) {
			r = an - bn; /* NULL is the largest */
		} else {
			switch (c->type) {
			case DCR_TYPE_BOOL: r = (c->v.b[a] > c->v.b[b]) - (c->v.b[a] < c->v.b[b]); break;
			case DCR_TYPE_INT:
				r = (c->v.i64[a] > c->v.i64[b]) - (c->v.i64[a] < c->v.i64[b]);
				break;
			case DCR_TYPE_FLOAT:
				r = (c->v.f64[a] > c->v.f64[b]) - (c->v.f64[a] < c->v.f64[b]);
				break;
			case DCR_TYPE_DATE:
				r = (c->v.date[a] > c->v.date[b]) - (c->v.date[a] < c->v.date[b]);
				break;
			case DCR_TYPE_STRING: {
				uint32_t x = s->ranks[k][c->v.code[a]], y = s->ranks[k][c->v.code[b]];

				r = (x > y) - (x < y);
				break;
			}
			case DCR_TYPE_ID:
				r = memcmp(c->v.id + (size_t)a * DCR_ID_SIZE,
				           c->v.id + (size_t)b * DCR_ID_SIZE, DCR_ID_SIZE);
				break;
			case DCR_TYPE_NULL:
				break;
			}
		}
		if (r)
			return s->desc[k] ? -r : r;
	}
	/* ties: keep the order rows arrived in, so the output is repeatable */
	return (a > b) - (a < b);
}

/* Rebuilds col with rows perm[0..n). */
static enum dcr_err permute(struct dcr_column *col, const uint32_t *perm, size_t n)
{
	size_t w = engine_type_width(col->type);
	uint8_t *data = malloc((n ? n : 1) * w), *nulls = NULL;

	if (!data)
		return DCR_ERR_NOMEM;
	if (col->nulls) {
		nulls = malloc(n ? n : 1);
		if (!nulls) {
			free(data);
			return DCR_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(data + i * w, (uint8_t *)col->v.data + (size_t)perm[i] * w, w);
		if (nulls)
			nulls[i] = col->nulls[perm[i]];
	}
	free(col->v.data);
	free(col->nulls);
	col->v.data = data;
	col->nulls = nulls;
	col->count = n;
	return DCR_OK;
}

enum dcr_err sort_result(struct dcr_table *t, const struct dcr_column *keys, const bool *desc,
                         size_t key_count, int64_t limit)
{
	size_t n = t->row_count;
	uint32_t *perm = malloc((n ? n : 1) * sizeof(*perm));
	const uint32_t **ranks = calloc(key_count + 1, sizeof(*ranks));
	struct sort_ctx s = {.keys = keys, .ranks = ranks, .desc = desc, .count = key_count};
	enum dcr_err err = DCR_OK;

	if (!perm || !ranks) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < key_count; k++) {
		if (keys[k].type != DCR_TYPE_STRING)
			continue;
		ranks[k] = dict_ranks(keys[k].dict);
		if (!ranks[k]) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++)
		perm[i] = (uint32_t)i;
	qsort_r(perm, n, sizeof(*perm), cmp_rows, &s);
	if (limit >= 0 && (uint64_t)limit < n)
		n = (size_t)limit;
	for (size_t c = 0; c < t->column_count; c++)
		if ((err = permute(&t->columns[c], perm, n)))
			goto out;
	t->row_count = n;
out:
	free(perm);
	free(ranks);
	return err;
}
