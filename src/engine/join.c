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

struct build_local {
	struct ht_entry *e;
	size_t n, cap;
	uint8_t **keyvals;          /* per stored key: values, cap entries */
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
	size_t max_memory;
	atomic_size_t memory;
	atomic_bool stop;
	/* insertion */
	size_t ranges;
};

static enum dcr_err local_grow(struct build *bd, struct build_local *l, size_t need)
{
	size_t cap = l->cap ? l->cap : 4096;
	struct ht_entry *e;

	while (cap < need)
		cap *= 2;
	if (cap == l->cap)
		return DCR_OK;
	size_t add = (cap - l->cap) * sizeof(*e);

	for (size_t k = 0; k < bd->s->key_count; k++)
		if (bd->stored[k])
			add += (cap - l->cap) * value_width(bd->s->build_keys[k]->type);
	if (bd->max_memory && atomic_fetch_add(&bd->memory, add) + add > bd->max_memory)
		return DCR_ERR_TOO_BIG;
	e = realloc(l->e, cap * sizeof(*e));
	if (!e)
		return DCR_ERR_NOMEM;
	l->e = e;
	for (size_t k = 0; k < bd->s->key_count; k++) {
		uint8_t *kv;

		if (!bd->stored[k])
			continue;
		kv = realloc(l->keyvals[k], cap * value_width(bd->s->build_keys[k]->type));
		if (!kv)
			return DCR_ERR_NOMEM;
		l->keyvals[k] = kv;
	}
	l->cap = cap;
	return DCR_OK;
}

static void build_task(void *ctx, unsigned worker, size_t task)
{
	struct build *bd = ctx;
	struct build_local *l = &bd->locals[worker];
	struct join_step *s = bd->s;
	size_t start = task * MORSEL, end = start + MORSEL;
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
		h = dcr_arena_alloc(&l->ec.scratch, BATCH * sizeof(*h));
		valid = dcr_arena_alloc(&l->ec.scratch, BATCH);
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
		if ((l->err = local_grow(bd, l, l->n + n)))
			break;
		for (uint32_t i = 0; i < n; i++) {
			if (!valid[i])
				continue;
			for (size_t k = 0; k < s->key_count; k++) {
				size_t w = value_width(keys[k]->type);

				if (bd->stored[k])
					memcpy(l->keyvals[k] + l->n * w, (uint8_t *)keys[k]->v.data + i * w, w);
			}
			l->e[l->n].hash = h[i];
			l->e[l->n].row = b->rows[s->rel][i];
			l->e[l->n].next = ROW_NONE;
			l->n++;
		}
	}
	if (l->err == DCR_ERR_TOO_BIG)
		dcr_msg_set(&l->msg, "the hash table for %s would pass the memory limit",
		            bd->q->bq.rels[s->rel].alias);
	else if (l->err == DCR_ERR_NOMEM)
		dcr_msg_set(&l->msg, "out of memory building the hash table for %s",
		            bd->q->bq.rels[s->rel].alias);
	if (l->err)
		atomic_store(&bd->stop, true);
	return;
fail:
	l->err = l->ec.err ? l->ec.err : DCR_ERR_NOMEM;
	atomic_store(&bd->stop, true);
}

struct concat {
	struct build *bd;
	size_t *offset;
};

static void concat_task(void *ctx, unsigned worker, size_t task)
{
	struct concat *c = ctx;
	struct build_local *l = &c->bd->locals[task];
	struct hash_table *ht = &c->bd->s->ht;

	(void)worker;
	if (l->n)
		memcpy(ht->entries + c->offset[task], l->e, l->n * sizeof(*l->e));
	for (size_t k = 0; k < c->bd->s->key_count; k++) {
		size_t w = value_width(c->bd->s->build_keys[k]->type);

		if (c->bd->stored[k] && l->n)
			memcpy((uint8_t *)ht->keys[k].data + c->offset[task] * w, l->keyvals[k],
			       l->n * w);
	}
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
	struct build bd = {.q = q, .s = s, .t = t, .max_memory = max_memory};
	struct hash_table *ht = &s->ht;
	enum dcr_err err = DCR_OK;
	size_t total = 0, *offset = NULL;

	memset(ht, 0, sizeof(*ht));
	if (s->key_count > 64)
		return dcr_fail(msg, DCR_ERR_SQL, "a join has more than 64 key columns");
	bd.locals = calloc(workers, sizeof(*bd.locals));
	bd.stored = calloc(s->key_count, sizeof(*bd.stored));
	ht->cols = calloc(s->key_count, sizeof(*ht->cols));
	ht->keys = calloc(s->key_count, sizeof(*ht->keys));
	if (!bd.locals || !bd.stored || !ht->cols || !ht->keys) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < s->key_count; k++) {
		const struct dcr_bexpr *e = s->build_keys[k];

		ht->keys[k].type = e->type;
		if (e->kind == DCR_BE_COLUMN)
			ht->cols[k] = &t->columns[e->column];
		else
			bd.stored[k] = true;
	}
	for (unsigned w = 0; w < workers; w++) {
		struct build_local *l = &bd.locals[w];

		eval_ctx_init(&l->ec, q->sql, &l->msg);
		l->keyvals = calloc(s->key_count, sizeof(*l->keyvals));
		l->batch = calloc(1, sizeof(*l->batch) + q->bq.rel_count * sizeof(l->batch->rows[0]));
		if (!l->keyvals || !l->batch) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
		l->batch->rows[s->rel] = malloc(BATCH * sizeof(uint32_t));
		if (!l->batch->rows[s->rel]) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
	}
	pool_run(pool, (t->row_count + MORSEL - 1) / MORSEL, build_task, &bd);
	for (unsigned w = 0; w < workers; w++) {
		if (bd.locals[w].err) {
			err = bd.locals[w].err;
			memcpy(msg, &bd.locals[w].msg, sizeof(*msg));
			goto out;
		}
	}

	/* one array of entries (and of stored key values) */
	offset = calloc(workers, sizeof(*offset));
	if (!offset) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	for (unsigned w = 0; w < workers; w++) {
		offset[w] = total;
		total += bd.locals[w].n;
	}
	if (total >= ROW_NONE) {
		err = dcr_fail(msg, DCR_ERR_TOO_BIG, "a join's build side has too many rows");
		goto out;
	}
	ht->count = total;
	ht->entries = malloc((total ? total : 1) * sizeof(*ht->entries));
	if (!ht->entries) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < s->key_count; k++) {
		if (!bd.stored[k])
			continue;
		ht->keys[k].data = malloc((total ? total : 1) * value_width(ht->keys[k].type));
		if (!ht->keys[k].data) {
			err = DCR_ERR_NOMEM;
			goto out;
		}
	}
	{
		struct concat c = {.bd = &bd, .offset = offset};

		pool_run(pool, workers, concat_task, &c);
	}

	/* heads: a power of two at least 1.5 times the entries */
	while (((size_t)1 << ht->bits) < total + total / 2)
		ht->bits++;
	ht->heads = malloc(((size_t)1 << ht->bits) * sizeof(*ht->heads));
	if (!ht->heads) {
		err = DCR_ERR_NOMEM;
		goto out;
	}
	memset(ht->heads, 0xff, ((size_t)1 << ht->bits) * sizeof(*ht->heads));
	bd.ranges = workers;
	pool_run(pool, bd.ranges, insert_task, &bd);
out:
	if (err == DCR_ERR_NOMEM && !msg->text[0])
		dcr_msg_set(msg, "out of memory building a hash table");
	if (bd.locals) {
		for (unsigned w = 0; w < workers; w++) {
			struct build_local *l = &bd.locals[w];

			free(l->e);
			if (l->keyvals)
				for (size_t k = 0; k < s->key_count; k++)
					free(l->keyvals[k]);
			free(l->keyvals);
			if (l->batch)
				free(l->batch->rows[s->rel]);
			free(l->batch);
			eval_ctx_free(&l->ec);
		}
	}
	free(bd.locals);
	free(bd.stored);
	free(offset);
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

enum dcr_err join_probe(struct dcr_query *q, const struct join_step *s, struct eval_ctx *ctx,
                        const struct batch *in, struct batch *out, emit_fn emit, void *emit_ctx)
{
	const struct hash_table *ht = &s->ht;
	const struct eval_src src = {.bq = &q->bq, .batch = in};
	size_t rels = q->bq.rel_count;
	struct vec *keys[64];
	uint64_t *h = dcr_arena_alloc(&ctx->scratch, BATCH * sizeof(*h));
	uint32_t *cand = dcr_arena_alloc(&ctx->scratch, BATCH * sizeof(*cand));
	uint8_t *valid = dcr_arena_alloc(&ctx->scratch, BATCH);
	uint32_t o = 0, n = in->n;
	enum dcr_err err;

	if (!h || !cand || !valid)
		return DCR_ERR_NOMEM;
	for (size_t k = 0; k < s->key_count; k++) {
		keys[k] = eval(ctx, s->probe_keys[k], &src);
		if (!keys[k])
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
	}
	hash_keys(keys, s->key_count, n, h, valid);
	if (s->probe_match) {
		struct vec *m = eval(ctx, s->probe_match, &src);

		if (!m)
			return ctx->err ? ctx->err : DCR_ERR_NOMEM;
		for (uint32_t i = 0; i < n; i++)
			if (!m->v.b[i] || (m->nulls && m->nulls[i]))
				valid[i] = 0;
	}
	/* two rounds of prefetching hide most of the cache misses */
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
	for (uint32_t i = 0; i < n; i++) {
		bool matched = false;

		for (uint32_t e = cand[i]; e != ROW_NONE; e = ht->entries[e].next) {
			if (ht->entries[e].hash != h[i] || !keys_equal(ht, keys, s->key_count, i, e))
				continue;
			matched = true;
			for (size_t r = 0; r < rels; r++)
				if (in->rows[r])
					out->rows[r][o] = in->rows[r][i];
			out->rows[s->rel][o] = ht->entries[e].row;
			if (++o == BATCH) {
				out->n = o;
				if ((err = emit(emit_ctx, out)))
					return err;
				o = 0;
			}
		}
		if (!matched && s->kind == DCR_JOIN_LEFT) {
			for (size_t r = 0; r < rels; r++)
				if (in->rows[r])
					out->rows[r][o] = in->rows[r][i];
			out->rows[s->rel][o] = ROW_NONE;
			if (++o == BATCH) {
				out->n = o;
				if ((err = emit(emit_ctx, out)))
					return err;
				o = 0;
			}
		}
	}
	if (o) {
		out->n = o;
		return emit(emit_ctx, out);
	}
	return DCR_OK;
}
