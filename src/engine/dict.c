/* SPDX-License-Identifier: Apache-2.0 */
/* String dictionaries: each distinct string once, with a dense code, found
 * by an open-addressing hash table. */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"

#define DICT_ARENA_MAX ((size_t)1 << 40)

struct dcr_dict *dict_new(void)
{
	struct dcr_dict *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	dcr_arena_init(&d->bytes, DICT_ARENA_MAX);
	d->slot_mask = 15;
	d->slots = calloc(16, sizeof(*d->slots));
	if (!d->slots) {
		free(d);
		return NULL;
	}
	return d;
}

void dict_free(struct dcr_dict *d)
{
	if (!d)
		return;
	free(d->strs);
	free(d->hashes);
	free(d->slots);
	free(d->ranks);
	dcr_arena_free(&d->bytes);
	free(d);
}

size_t dcr_dict_count(const struct dcr_dict *d)
{
	return d ? d->count : 0;
}

struct dcr_str dcr_dict_get(const struct dcr_dict *d, uint32_t code)
{
	return d->strs[code];
}

size_t dict_bytes(const struct dcr_dict *d)
{
	if (!d)
		return 0;
	return sizeof(*d) + d->bytes.total +
	       (size_t)d->cap * (sizeof(*d->strs) + sizeof(*d->hashes)) +
	       ((size_t)d->slot_mask + 1) * sizeof(*d->slots) +
	       (d->ranks ? (size_t)d->count * sizeof(*d->ranks) : 0);
}

static bool find_slot(const struct dcr_dict *d, const char *s, uint32_t len, uint64_t h,
                      uint32_t *out_slot)
{
	uint32_t i = (uint32_t)h & d->slot_mask;

	for (;;) {
		uint32_t c = d->slots[i];

		if (c == 0) {
			*out_slot = i;
			return false;
		}
		c--;
		if (d->hashes[c] == h && d->strs[c].len == len &&
		    (len == 0 || memcmp(d->strs[c].ptr, s, len) == 0)) {
			*out_slot = c;
			return true;
		}
		i = (i + 1) & d->slot_mask;
	}
}

bool dict_find(const struct dcr_dict *d, const char *s, uint32_t len, uint32_t *out_code)
{
	uint64_t h = engine_hash_bytes(s, len, engine_seed());

	return find_slot(d, s, len, h, out_code);
}

static enum dcr_err grow_slots(struct dcr_dict *d)
{
	uint32_t n = (d->slot_mask + 1) * 2, mask = n - 1;
	uint32_t *slots;

	if (n == 0)
		return DCR_ERR_TOO_BIG;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return DCR_ERR_NOMEM;
	for (uint32_t c = 0; c < d->count; c++) {
		uint32_t i = (uint32_t)d->hashes[c] & mask;

		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = c + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->slot_mask = mask;
	return DCR_OK;
}

enum dcr_err dict_intern(struct dcr_dict *d, const char *s, uint32_t len, uint32_t *out_code)
{
	uint64_t h = engine_hash_bytes(s, len, engine_seed());
	uint32_t slot;
	char *copy;

	if (find_slot(d, s, len, h, &slot)) {
		*out_code = slot;
		return DCR_OK;
	}
	if (d->count == UINT32_MAX - 1)
		return DCR_ERR_TOO_BIG;
	if (d->count == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		struct dcr_str *strs;
		uint64_t *hashes;

		if (cap < d->cap)
			cap = UINT32_MAX;
		strs = realloc(d->strs, (size_t)cap * sizeof(*strs));
		if (!strs)
			return DCR_ERR_NOMEM;
		d->strs = strs;
		hashes = realloc(d->hashes, (size_t)cap * sizeof(*hashes));
		if (!hashes)
			return DCR_ERR_NOMEM;
		d->hashes = hashes;
		d->cap = cap;
	}
	copy = dcr_arena_alloc_raw(&d->bytes, (size_t)len + 1);
	if (!copy)
		return DCR_ERR_NOMEM;
	if (len)
		memcpy(copy, s, len);
	copy[len] = '\0';
	d->strs[d->count] = (struct dcr_str){copy, len};
	d->hashes[d->count] = h;
	d->slots[slot] = d->count + 1;
	*out_code = d->count++;
	free(d->ranks); /* stale */
	d->ranks = NULL;
	/* keep the load factor at or under 1/2 */
	if ((uint64_t)d->count * 2 > (uint64_t)d->slot_mask + 1)
		return grow_slots(d);
	return DCR_OK;
}

struct prefixed {
	uint64_t prefix;            /* the first 8 bytes, big-endian, zero-padded */
	uint32_t code;
};

static int cmp_prefixed(const void *a, const void *b, void *ctx)
{
	const struct prefixed *x = a, *y = b;
	const struct dcr_dict *d = ctx;
	struct dcr_str p, q;
	uint32_t n;
	int c;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	p = d->strs[x->code];
	q = d->strs[y->code];
	n = p.len < q.len ? p.len : q.len;
	c = n ? memcmp(p.ptr, q.ptr, n) : 0;
	return c ? c : (p.len > q.len) - (p.len < q.len);
}

const uint32_t *dict_ranks(struct dcr_dict *d)
{
	struct prefixed *order;

	if (d->ranks || d->count == 0)
		return d->ranks ? d->ranks : (const uint32_t *)d; /* no codes: any non-NULL */
	order = malloc((size_t)d->count * sizeof(*order));
	d->ranks = malloc((size_t)d->count * sizeof(*d->ranks));
	if (!order || !d->ranks) {
		free(order);
		free(d->ranks);
		d->ranks = NULL;
		return NULL;
	}
	/* most comparisons are decided by an integer compare of the prefixes */
	for (uint32_t c = 0; c < d->count; c++) {
		struct dcr_str s = d->strs[c];
		uint64_t p = 0;

		for (uint32_t i = 0; i < 8; i++)
			p = p << 8 | (i < s.len ? (unsigned char)s.ptr[i] : 0);
		order[c].prefix = p;
		order[c].code = c;
	}
	qsort_r(order, d->count, sizeof(*order), cmp_prefixed, d);
	for (uint32_t r = 0; r < d->count; r++)
		d->ranks[order[r].code] = r;
	free(order);
	return d->ranks;
}
