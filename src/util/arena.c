/* SPDX-License-Identifier: Apache-2.0 */
/* Arena allocation: the engine allocates per query from one and frees it in
 * one go (parse trees, plans, intermediate strings). */
#include <stdlib.h>
#include <string.h>

#include "dcr/util.h"

#define BLOCK_MIN (64u * 1024)
#define ALIGN 16u

struct dcr_arena_block {
	struct dcr_arena_block *next;
	size_t size; /* usable bytes in data */
	size_t used;
	_Alignas(16) unsigned char data[];
};

void dcr_arena_init(struct dcr_arena *a, size_t max)
{
	a->head = NULL;
	a->total = 0;
	a->max = max;
}

void *dcr_arena_alloc(struct dcr_arena *a, size_t size)
{
	void *p = dcr_arena_alloc_raw(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *dcr_arena_alloc_raw(struct dcr_arena *a, size_t size)
{
	struct dcr_arena_block *b = a->head;
	size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	void *p;

	if (size == 0)
		need = ALIGN;
	if (need < size) /* overflow */
		return NULL;
	if (!b || b->size - b->used < need) {
		size_t bsize = need > BLOCK_MIN ? need : BLOCK_MIN;

		/* grow blocks with the arena so that large queries make few mallocs */
		if (a->total / 4 > bsize)
			bsize = a->total / 4 > need ? a->total / 4 : need;
		if (bsize > SIZE_MAX - sizeof(*b) || a->total + bsize > a->max ||
		    a->total + bsize < a->total)
			return NULL;
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		a->total += bsize;
	}
	p = b->data + b->used;
	b->used += need;
	return p;
}

char *dcr_arena_strndup(struct dcr_arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = dcr_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void dcr_arena_free(struct dcr_arena *a)
{
	struct dcr_arena_block *b = a->head;

	while (b) {
		struct dcr_arena_block *next = b->next;

		free(b);
		b = next;
	}
	a->head = NULL;
	a->total = 0;
}

void dcr_arena_reset(struct dcr_arena *a)
{
	struct dcr_arena_block *keep = a->head;

	if (!keep)
		return;
	a->head = keep->next;
	dcr_arena_free(a);
	keep->next = NULL;
	keep->used = 0;
	a->head = keep;
	a->total = keep->size;
}
