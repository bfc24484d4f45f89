/* SPDX-License-Identifier: Apache-2.0 */
/* The per-key row cap (struct dcr_exec_cap): the tuples that pass joins and
 * WHERE are collected, grouped by the key (a column of one relation), and
 * each key keeps at most max_rows of its tuples, chosen uniformly at random
 * with the caller's random bytes; tuples whose key is NULL are dropped.
 * Then the kept tuples go on to aggregation or collection as usual. */
#include <stdlib.h>
#include <string.h>

#include "cap_int.h"

/* ---- collecting ----------------------------------------------------------- */

enum dcr_err cap_tuples_add(struct cap_tuples *t, size_t rels, const struct batch *b)
{
	if (!t->rows) {
		t->rows = calloc(rels, sizeof(*t->rows));
		if (!t->rows)
			return DCR_ERR_NOMEM;
		t->rels = rels;
	}
	if (t->n + b->n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;

		while (cap < t->n + b->n)
			cap *= 2;
		if (cap > UINT32_MAX)
			return DCR_ERR_TOO_BIG;
		for (size_t r = 0; r < rels; r++) {
			uint32_t *p;

			if (!b->rows[r])
				continue;
			p = realloc(t->rows[r], cap * sizeof(uint32_t));
			if (!p)
				return DCR_ERR_NOMEM;
			t->rows[r] = p;
		}
		t->cap = cap;
	}
	for (size_t r = 0; r < rels; r++)
		if (b->rows[r])
			memcpy(t->rows[r] + t->n, b->rows[r], b->n * sizeof(uint32_t));
	t->n += b->n;
	return DCR_OK;
}

void cap_tuples_free(struct cap_tuples *t)
{
	for (size_t r = 0; t->rows && r < t->rels; r++)
		free(t->rows[r]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* ---- randomness ------------------------------------------------------------ */

struct rnd {
	const struct dcr_exec_cap *cap;
	uint64_t buf[512];
	size_t left;
};

static uint64_t rnd_u64(struct rnd *r)
{
	if (!r->left) {
		r->cap->random(r->cap->random_ctx, r->buf, sizeof(r->buf));
		r->left = sizeof(r->buf) / sizeof(r->buf[0]);
	}
	return r->buf[--r->left];
}

/* Uniform in [0, n), n >= 1, by rejection (no modulo bias). */
static uint64_t rnd_below(struct rnd *r, uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rnd_u64(r);
	while (x >= limit);
	return x % n;
}

/* ---- grouping by key -------------------------------------------------------- */

#define NO_GROUP UINT32_MAX

/* The key bytes of row k (NULL for a NULL key or a padded row). */
static const uint8_t *key_of(const struct dcr_column *col, size_t width, uint32_t k)
{
	if (k == ROW_NONE || (col->nulls && col->nulls[k]))
		return NULL;
	return (const uint8_t *)col->v.data + (size_t)k * width;
}

enum dcr_err cap_select(const struct dcr_exec_cap *cap, const struct dcr_table *table,
                        struct cap_tuples *parts, size_t nparts, struct cap_tuples *out,
                        uint64_t *out_dropped)
{
	const struct dcr_column *col = &table->columns[cap->column];
	size_t width = engine_type_width(col->type), n = 0, groups = 0, mask, at, rels = 0;
	uint32_t *slot = NULL, *gid = NULL, *rep = NULL, *count = NULL, *start = NULL, *order = NULL;
	uint8_t *keep = NULL;
	uint64_t seed = engine_seed(), dropped = 0;
	struct rnd rnd = {.cap = cap};
	enum dcr_err err = DCR_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	*out_dropped = 0;
	for (size_t p = 0; p < nparts; p++) {
		n += parts[p].n;
		if (parts[p].rels)
			rels = parts[p].rels;
	}
	if (n > UINT32_MAX / 2)
		return DCR_ERR_TOO_BIG;
	/* one list of tuples */
	out->rels = rels;
	out->rows = calloc(rels ? rels : 1, sizeof(*out->rows));
	if (!out->rows)
		goto fail;
	for (size_t r = 0; r < rels; r++) {
		bool present = false;

		for (size_t p = 0; p < nparts; p++)
			present = present || (parts[p].rows && parts[p].rows[r]);
		if (!present)
			continue;
		out->rows[r] = malloc((n ? n : 1) * sizeof(uint32_t));
		if (!out->rows[r])
			goto fail;
		at = 0;
		for (size_t p = 0; p < nparts; p++) {
			if (parts[p].n)
				memcpy(out->rows[r] + at, parts[p].rows[r], parts[p].n * sizeof(uint32_t));
			at += parts[p].n;
		}
	}
	out->n = out->cap = n;
	for (size_t p = 0; p < nparts; p++)
		cap_tuples_free(&parts[p]);
	if (!n || !out->rows[cap->rel]) {
		err = n ? DCR_ERR_INTERNAL : DCR_OK;
		goto done;
	}

	/* each tuple's group: open addressing over the key values */
	for (mask = 1; mask < 2 * n; mask <<= 1)
		;
	slot = malloc(mask * sizeof(*slot));
	gid = malloc(n * sizeof(*gid));
	rep = malloc(n * sizeof(*rep));
	count = calloc(n, sizeof(*count));
	if (!slot || !gid || !rep || !count)
		goto fail;
	memset(slot, 0xff, mask * sizeof(*slot));
	mask--;
	for (size_t i = 0; i < n; i++) {
		uint32_t k = out->rows[cap->rel][i];
		const uint8_t *key = key_of(col, width, k);
		size_t h;

		if (!key) {
			gid[i] = NO_GROUP;
			continue;
		}
		h = (size_t)(col->type == DCR_TYPE_ID ? engine_hash_id(key, seed)
		                                      : engine_hash_bytes(key, width, seed)) & mask;
		for (;; h = (h + 1) & mask) {
			uint32_t g = slot[h];

			if (g == NO_GROUP) {
				slot[h] = g = (uint32_t)groups++;
				rep[g] = k;
			} else if (rep[g] != k && memcmp(key_of(col, width, rep[g]), key, width)) {
				continue;
			}
			gid[i] = g;
			count[g]++;
			break;
		}
	}
	free(slot);
	slot = NULL;

	/* groups over the cap: their tuples side by side, then a random
	 * max_rows of each (a partial Fisher-Yates shuffle) */
	keep = malloc(n);
	start = calloc(groups + 1, sizeof(*start));
	if (!keep || !start)
		goto fail;
	for (size_t g = 0; g < groups; g++)
		start[g + 1] = start[g] + (count[g] > cap->max_rows ? count[g] : 0);
	order = malloc((start[groups] ? start[groups] : 1) * sizeof(*order));
	if (!order)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint32_t g = gid[i];

		keep[i] = g != NO_GROUP && count[g] <= cap->max_rows;
		if (g == NO_GROUP)
			dropped++;
		else if (count[g] > cap->max_rows)
			order[start[g]++] = (uint32_t)i;
	}
	/* start[g] is now the end of group g; its beginning is start[g - 1] */
	for (size_t g = 0; g < groups; g++) {
		uint32_t c = count[g], end = start[g], begin;

		if (c <= cap->max_rows)
			continue;
		begin = end - c;
		for (uint32_t j = 0; j < cap->max_rows; j++) {
			uint32_t pick = begin + j + (uint32_t)rnd_below(&rnd, c - j), x = order[pick];

			order[pick] = order[begin + j];
			order[begin + j] = x;
			keep[x] = 1;
		}
		dropped += c - cap->max_rows;
	}

	/* compact the kept tuples, in their order */
	at = 0;
	for (size_t i = 0; i < n; i++) {
		if (!keep[i])
			continue;
		for (size_t r = 0; r < rels; r++)
			if (out->rows[r])
				out->rows[r][at] = out->rows[r][i];
		at++;
	}
	out->n = at;
	*out_dropped = dropped;
	err = DCR_OK;
	goto done;
fail:
	cap_tuples_free(out);
done:
	free(slot);
	free(gid);
	free(rep);
	free(count);
	free(start);
	free(order);
	free(keep);
	return err;
}
