/* SPDX-License-Identifier: Apache-2.0 */
/* Columnar tables: allocation, lookup, memory accounting; the type names and
 * the hash seed. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "engine_int.h"

const char *dcr_type_name(enum dcr_type t)
{
	switch (t) {
	case DCR_TYPE_NULL: return "null";
	case DCR_TYPE_BOOL: return "bool";
	case DCR_TYPE_INT: return "int";
	case DCR_TYPE_FLOAT: return "float";
	case DCR_TYPE_STRING: return "string";
	case DCR_TYPE_DATE: return "date";
	case DCR_TYPE_ID: return "id";
	}
	return "unknown";
}

static _Atomic uint64_t seed;

uint64_t engine_seed(void)
{
	uint64_t s = atomic_load_explicit(&seed, memory_order_relaxed);

	if (s == 0) {
		uint64_t fresh = 0;

		/* any value will do when the kernel has no entropy yet: this only
		 * spreads hash tables, it protects no secret */
		if (getrandom(&fresh, sizeof(fresh), GRND_NONBLOCK) != sizeof(fresh))
			fresh = (uint64_t)(uintptr_t)&fresh ^ 0x2545f4914f6cdd1dULL;
		fresh |= 1;
		/* the first thread to get here wins; all agree afterwards */
		uint64_t expected = 0;

		atomic_compare_exchange_strong(&seed, &expected, fresh);
		s = atomic_load(&seed);
	}
	return s;
}

uint64_t engine_hash_bytes(const void *p, size_t n, uint64_t s)
{
	const unsigned char *b = p;
	uint64_t h = s ^ (n * 0x9e3779b97f4a7c15ULL);

	while (n >= 8) {
		uint64_t w;

		memcpy(&w, b, 8);
		h = engine_mix(h ^ w) + 0x165667b19e3779f9ULL;
		b += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;

		memcpy(&w, b, n);
		h = engine_mix(h ^ w ^ ((uint64_t)n << 56));
	}
	return engine_mix(h);
}

size_t engine_type_width(enum dcr_type t)
{
	switch (t) {
	case DCR_TYPE_BOOL: return 1;
	case DCR_TYPE_INT: return 8;
	case DCR_TYPE_FLOAT: return 8;
	case DCR_TYPE_STRING: return 4;
	case DCR_TYPE_DATE: return 4;
	case DCR_TYPE_ID: return DCR_ID_SIZE;
	case DCR_TYPE_NULL: return 1;
	}
	return 1;
}

enum dcr_err column_alloc(struct dcr_column *col, size_t count, bool with_nulls)
{
	size_t w = engine_type_width(col->type);

	if (count > SIZE_MAX / w - 1)
		return DCR_ERR_TOO_BIG;
	/* at least one value, so that data is never NULL */
	col->v.data = calloc(count ? count : 1, w);
	if (!col->v.data)
		return DCR_ERR_NOMEM;
	if (with_nulls) {
		col->nulls = calloc(count ? count : 1, 1);
		if (!col->nulls) {
			free(col->v.data);
			col->v.data = NULL;
			return DCR_ERR_NOMEM;
		}
	}
	col->count = count;
	return DCR_OK;
}

void column_free(struct dcr_column *col)
{
	free(col->name);
	free(col->v.data);
	free(col->nulls);
	dict_free(col->dict);
	memset(col, 0, sizeof(*col));
}

size_t column_bytes(const struct dcr_column *col)
{
	return col->count * engine_type_width(col->type) + (col->nulls ? col->count : 0) +
	       dict_bytes(col->dict);
}

void dcr_table_free(struct dcr_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->column_count; i++)
		column_free(&t->columns[i]);
	free(t->columns);
	free(t->name);
	free(t);
}

void dcr_table_drop_column(struct dcr_table *t, size_t index)
{
	assert(index < t->column_count);
	column_free(&t->columns[index]);
	memmove(&t->columns[index], &t->columns[index + 1],
	        (t->column_count - index - 1) * sizeof(*t->columns));
	t->column_count--;
}

void dcr_table_keep_rows(struct dcr_table *t, const uint8_t *keep)
{
	size_t m = 0;

	for (size_t c = 0; c < t->column_count; c++) {
		struct dcr_column *col = &t->columns[c];
		size_t w = engine_type_width(col->type);
		uint8_t *data = col->v.data;

		m = 0;
		for (size_t r = 0; r < t->row_count; r++) {
			if (!keep[r])
				continue;
			if (m != r) {
				memcpy(data + m * w, data + r * w, w);
				if (col->nulls)
					col->nulls[m] = col->nulls[r];
			}
			m++;
		}
		col->count = m;
	}
	if (!t->column_count)
		for (size_t r = 0; r < t->row_count; r++)
			m += keep[r] != 0;
	t->row_count = m;
}

size_t dcr_table_bytes(const struct dcr_table *t)
{
	size_t n = sizeof(*t);

	for (size_t i = 0; i < t->column_count; i++)
		n += column_bytes(&t->columns[i]);
	return n;
}

int dcr_table_column_index(const struct dcr_table *t, const char *name)
{
	for (size_t i = 0; i < t->column_count; i++)
		if (!strcasecmp(t->columns[i].name, name))
			return (int)i;
	return -1;
}

const struct dcr_column *dcr_table_column(const struct dcr_table *t, const char *name)
{
	int i = dcr_table_column_index(t, name);

	return i < 0 ? NULL : &t->columns[i];
}

void engine_advise_huge(void *p, size_t size)
{
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t e = ((uintptr_t)p + size) & ~(huge - 1);

	/* only whole 2 MiB pages inside the array can be huge */
	if (e > a)
		(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
}
