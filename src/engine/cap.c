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
#define PART_BITS 8                 /* 256 partitions of the tuples by key hash */
#define PARTS (1u << PART_BITS)
#define NULL_PART 0xffffu
#define CHUNK (64 * 1024)           /* tuples per task when hashing and scattering */

/* The key bytes of row k (NULL for a NULL key or a padded row). */
static const uint8_t *key_of(const struct dcr_column *col, size_t width, uint32_t k)
{
	if (k == ROW_NONE || (col->nulls && col->nulls[k]))
		return NULL;
	return (const uint8_t *)col->v.data + (size_t)k * width;
}

/* The work of one cap_select, shared by its parallel tasks. */
struct sel {
	const struct dcr_exec_cap *cap;
	const struct dcr_column *col;
	size_t width;
	const uint32_t *keyrows;    /* the cap relation's row of each tuple */
	size_t n;
	uint64_t seed;
	uint64_t *hash;             /* per tuple */
	uint16_t *part;             /* per tuple: partition, or NULL_PART */
	uint32_t (*hist)[PARTS];    /* per chunk: tuples of each partition */
	uint32_t *start;            /* per partition: first index in perm */
	uint32_t (*at)[PARTS];      /* per chunk: where its tuples of a partition go */
	uint32_t *perm;             /* tuple indexes, partition by partition */
	uint8_t *keep;              /* per tuple */
	uint64_t *dropped;          /* per partition */
	_Atomic int failed;
};

static uint64_t key_hash(const struct sel *s, const uint8_t *key)
{
	return s->col->type == DCR_TYPE_ID ? engine_hash_id(key, s->seed)
	                                   : engine_hash_bytes(key, s->width, s->seed);
}

/* Hash each tuple's key; count tuples per partition in this chunk. */
static void hash_task(void *ctx, unsigned worker, size_t task)
{
	struct sel *s = ctx;
	size_t from = task * CHUNK, to = from + CHUNK < s->n ? from + CHUNK : s->n;

	(void)worker;
	memset(s->hist[task], 0, sizeof(s->hist[task]));
	for (size_t i = from; i < to; i++) {
		const uint8_t *key = key_of(s->col, s->width, s->keyrows[i]);

		if (!key) {
			s->part[i] = NULL_PART;
			continue;
		}
		s->hash[i] = key_hash(s, key);
		s->part[i] = (uint16_t)(s->hash[i] >> (64 - PART_BITS));
		s->hist[task][s->part[i]]++;
	}
}

static void scatter_task(void *ctx, unsigned worker, size_t task)
{
	struct sel *s = ctx;
	size_t from = task * CHUNK, to = from + CHUNK < s->n ? from + CHUNK : s->n;

	(void)worker;
	for (size_t i = from; i < to; i++)
		if (s->part[i] != NULL_PART)
			s->perm[s->at[task][s->part[i]]++] = (uint32_t)i;
}

/* One partition: group its tuples by key (an open-addressing table of its
 * own), keep groups within the cap whole, and a random max_rows of the
 * others (a partial Fisher-Yates shuffle). */
static void part_task(void *ctx, unsigned worker, size_t task)
{
	struct sel *s = ctx;
	uint32_t *tup = s->perm + s->start[task];
	size_t n = s->start[task + 1] - s->start[task], mask, groups = 0;
	uint32_t *slot, *gid, *rep, *count, *first, *order;
	struct rnd rnd = {.cap = s->cap};
	uint64_t max = s->cap->max_rows, dropped = 0;

	(void)worker;
	if (!n)
		return;
	for (mask = 1; mask < 2 * n; mask <<= 1)
		;
	slot = malloc(mask * sizeof(*slot));
	gid = malloc(n * sizeof(*gid));
	rep = malloc(n * sizeof(*rep));
	count = calloc(n, sizeof(*count));
	first = malloc((n + 1) * sizeof(*first));
	order = malloc(n * sizeof(*order));
	if (!slot || !gid || !rep || !count || !first || !order) {
		s->failed = 1;
		goto out;
	}
	memset(slot, 0xff, mask * sizeof(*slot));
	mask--;
	for (size_t j = 0; j < n; j++) {
		uint32_t i = tup[j], k = s->keyrows[i];
		const uint8_t *key = key_of(s->col, s->width, k);

		for (size_t h = (size_t)s->hash[i] & mask;; h = (h + 1) & mask) {
			uint32_t g = slot[h];

			if (g == NO_GROUP) {
				slot[h] = g = (uint32_t)groups++;
				rep[g] = k;
			} else if (rep[g] != k && memcmp(key_of(s->col, s->width, rep[g]), key, s->width)) {
				continue;
			}
			gid[j] = g;
			count[g]++;
			break;
		}
	}
	/* the tuples of groups over the cap, side by side */
	first[0] = 0;
	for (size_t g = 0; g < groups; g++)
		first[g + 1] = first[g] + (count[g] > max ? count[g] : 0);
	for (size_t j = 0; j < n; j++) {
		uint32_t g = gid[j];

		if (count[g] <= max)
			s->keep[tup[j]] = 1;
		else
			order[first[g]++] = tup[j];
	}
	/* first[g] is now the end of group g */
	for (size_t g = 0; g < groups; g++) {
		uint32_t c = count[g], begin;

		if (c <= max)
			continue;
		begin = first[g] - c;
		for (uint32_t j = 0; j < max; j++) {
			uint32_t pick = begin + j + (uint32_t)rnd_below(&rnd, c - j), x = order[pick];

			order[pick] = order[begin + j];
			order[begin + j] = x;
			s->keep[x] = 1;
		}
		dropped += c - max;
	}
	s->dropped[task] = dropped;
out:
	free(slot);
	free(gid);
	free(rep);
	free(count);
	free(first);
	free(order);
}

enum dcr_err cap_select(const struct dcr_exec_cap *cap, const struct dcr_table *table,
                        struct pool *pool, struct cap_tuples *parts, size_t nparts,
                        struct cap_tuples *out, uint64_t *out_dropped)
{
	struct sel s = {.cap = cap, .col = &table->columns[cap->column], .seed = engine_seed()};
	size_t n = 0, rels = 0, chunks, at;
	uint64_t dropped = 0;
	enum dcr_err err = DCR_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	*out_dropped = 0;
	s.width = engine_type_width(s.col->type);
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
	if (!n)
		return DCR_OK;
	if (!out->rows[cap->rel]) {
		err = DCR_ERR_INTERNAL;
		goto fail;
	}

	/* partition the tuples by key hash, in parallel, then each partition
	 * on its own */
	s.keyrows = out->rows[cap->rel];
	s.n = n;
	chunks = (n + CHUNK - 1) / CHUNK;
	s.hash = malloc(n * sizeof(*s.hash));
	s.part = malloc(n * sizeof(*s.part));
	s.hist = malloc(chunks * sizeof(*s.hist));
	s.at = malloc(chunks * sizeof(*s.at));
	s.start = calloc(PARTS + 1, sizeof(*s.start));
	s.perm = malloc(n * sizeof(*s.perm));
	s.keep = calloc(n, 1);
	s.dropped = calloc(PARTS, sizeof(*s.dropped));
	if (!s.hash || !s.part || !s.hist || !s.at || !s.start || !s.perm || !s.keep ||
	    !s.dropped)
		goto fail;
	pool_run(pool, chunks, hash_task, &s);
	at = 0;
	for (size_t p = 0; p < PARTS; p++) {
		s.start[p] = (uint32_t)at;
		for (size_t c = 0; c < chunks; c++) {
			s.at[c][p] = (uint32_t)at;
			at += s.hist[c][p];
		}
	}
	s.start[PARTS] = (uint32_t)at;
	dropped = n - at; /* NULL keys */
	pool_run(pool, chunks, scatter_task, &s);
	pool_run(pool, PARTS, part_task, &s);
	if (s.failed)
		goto fail;
	for (size_t p = 0; p < PARTS; p++)
		dropped += s.dropped[p];

	/* compact the kept tuples, in their order */
	at = 0;
	for (size_t i = 0; i < n; i++) {
		if (!s.keep[i])
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
	free(s.hash);
	free(s.part);
	free(s.hist);
	free(s.at);
	free(s.start);
	free(s.perm);
	free(s.keep);
	free(s.dropped);
	return err;
}
