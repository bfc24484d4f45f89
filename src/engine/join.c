/* SPDX-License-Identifier: Apache-2.0 */
/* Hash joins. The build side is scanned in parallel morsels into per-worker
 * entry lists, concatenated, then chained into a table of 2^bits heads by
 * workers that each own a range of heads (no atomics). Probing hashes a
 * batch of keys, prefetches heads and entries for the whole batch, then
 * walks the chains comparing the full key (all 32 bytes of an id). */
#include <stdlib.h>
#include <string.h>

#include "exec_int.h"

/* ---- hashing key values ---------------------------------------------------- */

uint64_t exec_hash_value(const struct vec *v, uint32_t i, uint64_t seed)
{
	switch (v->type) {
	case DCR_TYPE_BOOL: return engine_mix(seed ^ v->v.b[i]);
	case DCR_TYPE_INT: return engine_mix(seed ^ (uint64_t)v->v.i[i]);
	case DCR_TYPE_DATE: return engine_mix(seed ^ (uint64_t)(uint32_t)v->v.d[i]);
	case DCR_TYPE_FLOAT: {
		double f = v->v.f[i] == 0.0 ? 0.0 : v->v.f[i]; /* -0.0 equals 0.0 */
		uint64_t bits;

		memcpy(&bits, &f, sizeof(bits));
		return engine_mix(seed ^ bits);
	}
	case DCR_TYPE_STRING: return engine_hash_bytes(v->v.s[i].ptr, v->v.s[i].len, seed);
	case DCR_TYPE_ID: return engine_hash_id(v->v.id + (size_t)i * DCR_ID_SIZE, seed);
	case DCR_TYPE_NULL: break;
	}
	return seed;
}

/* Hashes of the key tuples; valid[i] is false when a key is NULL (such a
 * tuple never matches). */
static void hash_keys(struct vec **keys, size_t k, uint32_t n, uint64_t *h, uint8_t *valid)
{
	uint64_t seed = engine_seed();

	for (uint32_t i = 0; i < n; i++) {
		h[i] = seed;
		valid[i] = 1;
	}
	for (size_t j = 0; j < k; j++) {
		const struct vec *v = keys[j];

		if (v->type == DCR_TYPE_ID && !v->nulls) {
			for (uint32_t i = 0; i < n; i++)
				h[i] = engine_hash_id(v->v.id + (size_t)i * DCR_ID_SIZE, h[i]);
			continue;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (v->nulls && v->nulls[i])
				valid[i] = 0;
			else
				h[i] = exec_hash_value(v, i, h[i]);
		}
	}
}

size_t value_width(enum dcr_type t)
{
	return t == DCR_TYPE_STRING ? sizeof(struct dcr_str) : engine_type_width(t);
}

/* ---- build --------------------------------------------------------------- */

/* Each morsel of the build table writes its entries (and stored key values)
 * into its own region of the final arrays, at [morsel * MORSEL, ...): no
 * growing, no copying. Filters and NULL keys leave gaps, closed afterwards. */

struct build_local {
	struct eval_ctx ec;
	struct dcr_msg msg;
	enum dcr_err err;
	struct batch *batch;
};

struct build {
	struct dcr_query *q;
	struct join_step *s;
	const struct dcr_table *t;
	struct build_local *locals;
	bool *stored;               /* per key: values kept (not a plain column) */
	size_t *filled;             /* per morsel: entries written */
	atomic_bool stop;
	size_t ranges;              /* insertion: ranges of heads */
};

static void build_task(void *ctx, unsigned worker, size_t task)
{
	struct build *bd = ctx;
	struct build_local *l = &bd->locals[worker];
	struct join_step *s = bd->s;
	struct hash_table *ht = &s->ht;
	size_t start = task * MORSEL, end = start + MORSEL, out = start;
	struct vec *keys[64];
	uint64_t *h;
	uint8_t *valid;

	if (end > bd->t->row_count)
		end = bd->t->row_count;
	for (size_t at = start; at < end && !l->err && !atomic_load(&bd->stop); at += BATCH) {
		uint32_t n = (uint32_t)(end - at < BATCH ? end - at : BATCH);
		struct batch *b = l->batch;
		struct eval_src src = {.bq = &bd->q->bq, .batch = b};

		eval_ctx_reset(&l->ec);
		/* on the heap: worker threads may have small stacks (Gramine: 256 KiB) */
		h = dcr_arena_alloc_raw(&l->ec.scratch, BATCH * sizeof(*h));
		valid = dcr_arena_alloc_raw(&l->ec.scratch, BATCH);
		if (!h || !valid)
			goto fail;
		b->n = n;
		for (uint32_t i = 0; i < n; i++)
			b->rows[s->rel][i] = (uint32_t)(at + i);
		if (s->build_filter) {
			uint32_t kept, *idx = eval_select(&l->ec, s->build_filter, &src, &kept);

			if (!idx)
				goto fail;
			for (uint32_t j = 0; j < kept; j++)
				b->rows[s->rel][j] = b->rows[s->rel][idx[j]];
			b->n = n = kept;
		}
		for (size_t k = 0; k < s->key_count; k++) {
			keys[k] = eval(&l->ec, s->build_keys[k], &src);
			if (!keys[k])
				goto fail;
		}
		hash_keys(keys, s->key_count, n, h, valid);
		for (uint32_t i = 0; i < n; i++) {
			if (!valid[i])
				continue;
			for (size_t k = 0; k < s->key_count; k++) {
				size_t w = value_width(keys[k]->type);

				if (bd->stored[k])
					memcpy((uint8_t *)ht->keys[k].data + out * w,
					       (uint8_t *)keys[k]->v.data + i * w, w);
			}
			ht->entries[out].hash = h[i];
			ht->entries[out].row = b->rows[s->rel][i];
			ht->entries[out].next = ROW_NONE;
			out++;
		}
	}
	bd->filled[task] = out - start;
	return;
fail:
	l->err = l->ec.err ? l->ec.err : DCR_ERR_NOMEM;
	atomic_store(&bd->stop, true);
}

static void insert_task(void *ctx, unsigned worker, size_t task)
{
	struct build *bd = ctx;
	struct hash_table *ht = &bd->s->ht;
	size_t heads = (size_t)1 << ht->bits;
	size_t lo = heads * task / bd->ranges, hi = heads * (task + 1) / bd->ranges;

	(void)worker;
	for (size_t i = 0; i < ht->count; i++) {
		size_t slot = ht->bits ? (size_t)(ht->entries[i].hash >> (64 - ht->bits)) : 0;

		if (slot < lo || slot >= hi)
			continue;
		ht->entries[i].next = ht->heads[slot];
		ht->heads[slot] = (uint32_t)i;
	}
}

enum dcr_err join_build(struct dcr_query *q, struct join_step *s, struct pool *pool,
                        size_t max_memory, struct dcr_msg *msg)
{
	const struct dcr_table *t = q->bq.rels[s->rel].table;
	unsigned workers = pool_size(pool);
	struct build bd = {.q = q, .s = s, .t = t};
	struct hash_table *ht = &s->ht;
	size_t rows = t->row_count, morsels = (rows + MORSEL - 1) / MORSEL, bytes;
	enum dcr_err err = DCR_OK;

	memset(ht, 0, sizeof(*ht));
	if (s->key_count > 64)
		return dcr_fail(msg, DCR_ERR_SQL, "a join has more than 64 key columns");
	if (rows >= ROW_NONE)
		return dcr_fail(msg, DCR_ERR_TOO_BIG, "a join's build side has too many rows");
	bd.locals = calloc(workers, sizeof(*bd.locals));
	bd.stored = calloc(s->key_count + 1, sizeof(*bd.stored));
	bd.filled = calloc(morsels + 1, sizeof(*bd.filled));
	ht->cols = calloc(s->key_count + 1, sizeof(*ht->cols));
	ht->keys = calloc(s->key_count + 1, sizeof(*ht->keys));
	if (!bd.locals || !bd.stored || !bd.filled || !ht->cols || !ht->keys) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	/* heads: a power of two at least 1.5 times the rows */
	while (((size_t)1 << ht->bits) < rows + rows / 2)
		ht->bits++;
	bytes = (rows ? rows : 1) * sizeof(*ht->entries) + ((size_t)1 << ht->bits) * 4;
	for (size_t k = 0; k < s->key_count; k++) {
		const struct dcr_bexpr *e = s->build_keys[k];

		ht->keys[k].type = e->type;
		if (e->kind == DCR_BE_COLUMN) {
			ht->cols[k] = &t->columns[e->column];
		} else {
			bd.stored[k] = true;
			bytes += (rows ? rows : 1) * value_width(e->type);
		}
	}
	if (max_memory && bytes > max_memory) {
		err = dcr_fail(msg, DCR_ERR_TOO_BIG,
		               "the hash table for %s would pass the memory limit",
		               q->bq.rels[s->rel].alias);
		goto out;
	}
	ht->entries = malloc((rows ? rows : 1) * sizeof(*ht->entries));
	ht->heads = malloc(((size_t)1 << ht->bits) * sizeof(*ht->heads));
	if (!ht->entries || !ht->heads) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	engine_advise_huge(ht->entries, (rows ? rows : 1) * sizeof(*ht->entries));
	engine_advise_huge(ht->heads, ((size_t)1 << ht->bits) * sizeof(*ht->heads));
	for (size_t k = 0; k < s->key_count; k++) {
		if (!bd.stored[k])
			continue;
		ht->keys[k].data = malloc((rows ? rows : 1) * value_width(ht->keys[k].type));
		if (!ht->keys[k].data) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
	}
	for (unsigned w = 0; w < workers; w++) {
		struct build_local *l = &bd.locals[w];

		eval_ctx_init(&l->ec, q->sql, &l->msg);
		l->batch = calloc(1, sizeof(*l->batch) + q->bq.rel_count * sizeof(l->batch->rows[0]));
		if (!l->batch || !(l->batch->rows[s->rel] = malloc(BATCH * sizeof(uint32_t)))) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
	}
	pool_run(pool, morsels, build_task, &bd);
	for (unsigned w = 0; w < workers; w++) {
		if (bd.locals[w].err) {
			err = bd.locals[w].err;
			memcpy(msg, &bd.locals[w].msg, sizeof(*msg));
			goto out;
		}
	}
	/* close the gaps left by filters and NULL keys (regions only move down) */
	for (size_t m = 0; m < morsels; m++) {
		size_t from = m * MORSEL, n = bd.filled[m];

		if (from != ht->count && n) {
			memmove(ht->entries + ht->count, ht->entries + from, n * sizeof(*ht->entries));
			for (size_t k = 0; k < s->key_count; k++) {
				size_t w = value_width(ht->keys[k].type);

				if (bd.stored[k])
					memmove((uint8_t *)ht->keys[k].data + ht->count * w,
					        (uint8_t *)ht->keys[k].data + from * w, n * w);
			}
		}
		ht->count += n;
	}
	memset(ht->heads, 0xff, ((size_t)1 << ht->bits) * sizeof(*ht->heads));
	bd.ranges = workers;
	pool_run(pool, bd.ranges, insert_task, &bd);
out:
	if (err == DCR_ERR_NOMEM && !msg->text[0])
		dcr_msg_set(msg, "out of memory building a hash table");
	for (unsigned w = 0; bd.locals && w < workers; w++) {
		struct build_local *l = &bd.locals[w];

		if (l->batch)
			free(l->batch->rows[s->rel]);
		free(l->batch);
		eval_ctx_free(&l->ec);
	}
	free(bd.locals);
	free(bd.stored);
	free(bd.filled);
	return err;
}

void join_free(struct join_step *s)
{
	struct hash_table *ht = &s->ht;

	free(ht->entries);
	free(ht->heads);
	if (ht->keys)
		for (size_t k = 0; k < s->key_count; k++)
			free(ht->keys[k].data);
	free(ht->keys);
	free(ht->cols);
	memset(ht, 0, sizeof(*ht));
}

/* ---- probe ----------------------------------------------------------------- */

/* Whether probe key values at i equal the build side's entry e. */
static bool keys_equal(const struct hash_table *ht, struct vec **keys, size_t k, uint32_t i,
                       uint32_t e)
{
	uint32_t row = ht->entries[e].row;

	for (size_t j = 0; j < k; j++) {
		const struct vec *v = keys[j];
		const struct dcr_column *c = ht->cols[j];
		const uint8_t *stored = ht->keys[j].data;

		switch (v->type) {
		case DCR_TYPE_ID: {
			const uint8_t *b = c ? c->v.id + (size_t)row * DCR_ID_SIZE
			                     : stored + (size_t)e * DCR_ID_SIZE;

			if (memcmp(v->v.id + (size_t)i * DCR_ID_SIZE, b, DCR_ID_SIZE))
				return false;
			break;
		}
		case DCR_TYPE_STRING: {
			struct dcr_str b = c ? c->dict->strs[c->v.code[row]]
			                     : ((const struct dcr_str *)stored)[e];

			if (v->v.s[i].len != b.len || (b.len && memcmp(v->v.s[i].ptr, b.ptr, b.len)))
				return false;
			break;
		}
		case DCR_TYPE_INT:
			if (v->v.i[i] != (c ? c->v.i64[row] : ((const int64_t *)stored)[e]))
				return false;
			break;
		case DCR_TYPE_FLOAT:
			if (v->v.f[i] != (c ? c->v.f64[row] : ((const double *)stored)[e]))
				return false;
			break;
		case DCR_TYPE_DATE:
			if (v->v.d[i] != (c ? c->v.date[row] : ((const int32_t *)stored)[e]))
				return false;
			break;
		case DCR_TYPE_BOOL:
			if (v->v.b[i] != (c ? c->v.b[row] : stored[e]))
				return false;
			break;
		case DCR_TYPE_NULL:
			return false;
		}
	}
	return true;
}

/* Emits the tuple of in at i joined with build row row (ROW_NONE: padding). */
static inline enum dcr_err put(const struct batch *in, uint32_t i, size_t rels, size_t rel,
                               uint32_t row, struct batch *out, uint32_t *o, emit_fn emit,
                               void *emit_ctx)
{
	for (size_t r = 0; r < rels; r++)
		if (in->rows[r])
			out->rows[r][*o] = in->rows[r][i];
	out->rows[rel][*o] = row;
	if (++*o == BATCH) {
		out->n = *o;
		*o = 0;
		return emit(emit_ctx, out);
	}
	return DCR_OK;
}

enum dcr_err join_probe(struct dcr_query *q, const struct join_step *s, struct eval_ctx *ctx,
                        const struct batch *in, struct batch *out, emit_fn emit, void *emit_ctx)
{
	const struct hash_table *ht = &s->ht;
	const struct eval_src src = {.bq = &q->bq, .batch = in};
	const struct dcr_table *bt = q->bq.rels[s->rel].table;
	const bool *used = q->used[s->rel];
	size_t rels = q->bq.rel_count;
	struct vec *keys[64];
	uint32_t n = in->n, o = 0, m = 0;
	uint64_t *h = dcr_arena_alloc_raw(&ctx->scratch, BATCH * sizeof(*h));
	uint32_t *cand = dcr_arena_alloc_raw(&ctx->scratch, BATCH * sizeof(*cand));
	uint8_t *valid = dcr_arena_alloc_raw(&ctx->scratch, BATCH);
	/* hash-equal pairs: tuple mi[j] and entry me[j] */
	size_t mcap = 2 * BATCH;
	uint32_t *mi = dcr_arena_alloc_raw(&ctx->scratch, mcap * sizeof(*mi));
	uint32_t *me = dcr_arena_alloc_raw(&ctx->scratch, mcap * sizeof(*me));
	enum dcr_err err;

	if (!h || !cand || !valid || !mi || !me)
		return DCR_ERR_NOMEM;
	for (size_t k = 0; k < s->key_count; k++) {
		keys[k] = eval(ctx, s->probe_keys[k], &src);
		if (!keys[k])
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
	}
	hash_keys(keys, s->key_count, n, h, valid);
	if (s->probe_match) {
		struct vec *pm = eval(ctx, s->probe_match, &src);

		if (!pm)
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
		for (uint32_t i = 0; i < n; i++)
			if (!pm->v.b[i] || (pm->nulls && pm->nulls[i]))
				valid[i] = 0;
	}
	/* Rounds over the whole batch, each issuing the next loads for every
	 * tuple before any is waited for: heads, then entries, then the build
	 * rows' values (the key and every column the query reads later). */
	for (uint32_t i = 0; i < n; i++) {
		size_t slot = ht->bits ? (size_t)(h[i] >> (64 - ht->bits)) : 0;

		__builtin_prefetch(&ht->heads[slot]);
	}
	for (uint32_t i = 0; i < n; i++) {
		size_t slot = ht->bits ? (size_t)(h[i] >> (64 - ht->bits)) : 0;

		cand[i] = valid[i] ? ht->heads[slot] : ROW_NONE;
		if (cand[i] != ROW_NONE)
			__builtin_prefetch(&ht->entries[cand[i]]);
	}
	for (uint32_t i = 0, next = 0; i < n; i = next) {
		bool heavy = false; /* tuple `next` has more candidates than room */

		/* collect hash-equal pairs for tuples [i, next) */
		m = 0;
		for (next = i; next < n && !heavy; next++) {
			uint32_t first = m;

			for (uint32_t e = cand[next]; e != ROW_NONE; e = ht->entries[e].next) {
				if (ht->entries[e].hash != h[next])
					continue;
				if (m == mcap) {
					m = first;
					heavy = true;
					break;
				}
				mi[m] = next;
				me[m] = e;
				m++;
				uint32_t row = ht->entries[e].row;

				for (size_t c = 0; c < bt->column_count; c++) {
					const struct dcr_column *col = &bt->columns[c];

					if (used[c])
						__builtin_prefetch((const uint8_t *)col->v.data +
						                   (size_t)row * engine_type_width(col->type));
				}
			}
			if (heavy)
				break;
		}
		/* confirm the full keys and emit, in tuple order */
		uint32_t j = 0;

		for (uint32_t t = i; t < next; t++) {
			bool matched = false;

			for (; j < m && mi[j] == t; j++) {
				if (!keys_equal(ht, keys, s->key_count, t, me[j]))
					continue;
				matched = true;
				err = put(in, t, rels, s->rel, ht->entries[me[j]].row, out, &o, emit,
				          emit_ctx);
				if (err)
					return err;
			}
			if (!matched && s->kind == DCR_JOIN_LEFT) {
				err = put(in, t, rels, s->rel, ROW_NONE, out, &o, emit, emit_ctx);
				if (err)
					return err;
			}
		}
		if (heavy) {
			/* a key with very many rows: walk its chain directly */
			bool matched = false;

			for (uint32_t e = cand[next]; e != ROW_NONE; e = ht->entries[e].next) {
				if (ht->entries[e].hash != h[next] ||
				    !keys_equal(ht, keys, s->key_count, next, e))
					continue;
				matched = true;
				err = put(in, next, rels, s->rel, ht->entries[e].row, out, &o, emit,
				          emit_ctx);
				if (err)
					return err;
			}
			if (!matched && s->kind == DCR_JOIN_LEFT) {
				err = put(in, next, rels, s->rel, ROW_NONE, out, &o, emit, emit_ctx);
				if (err)
					return err;
			}
			next++;
		}
	}
	if (o) {
		out->n = o;
		return emit(emit_ctx, out);
	}
	return DCR_OK;
}
