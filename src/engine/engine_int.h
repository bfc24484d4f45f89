/* SPDX-License-Identifier: Apache-2.0 */
/* engine internals shared by its parts: dictionaries, hashing, the thread
 * pool, column allocation. Other modules use include/dcr/engine.h only. */
#ifndef DCR_ENGINE_INT_H
#define DCR_ENGINE_INT_H

#include <stdatomic.h>

#include "dcr/engine.h"

/* ---- hashing (not cryptographic; seeded per process against flooding) -- */

/* The process's random hash seed (set once, before any hashing). */
uint64_t engine_seed(void);

static inline uint64_t engine_mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x;
}

/* 64-bit hash of n bytes. */
uint64_t engine_hash_bytes(const void *p, size_t n, uint64_t seed);

/* 64-bit hash of a 32-byte id (all of it). */
static inline uint64_t engine_hash_id(const uint8_t *id, uint64_t seed)
{
	uint64_t w[4];

	__builtin_memcpy(w, id, 32);
	return engine_mix(seed ^ w[0] ^ engine_mix(w[1] + 0x9e3779b97f4a7c15ULL) ^
	                  engine_mix(w[2] ^ 0xc2b2ae3d27d4eb4fULL) ^
	                  engine_mix(w[3] + 0x165667b19e3779f9ULL));
}

/* ---- dictionaries ------------------------------------------------------ */

struct dcr_dict {
	struct dcr_str *strs;     /* code -> bytes (in arena) */
	uint64_t *hashes;         /* code -> hash of the bytes */
	uint32_t count, cap;
	uint32_t *slots;          /* open addressing: code + 1; 0 = empty */
	uint32_t slot_mask;       /* slots has slot_mask + 1 entries */
	struct dcr_arena bytes;   /* the strings themselves */
	uint32_t *ranks;          /* code -> rank in byte order; dict_ranks() */
};

struct dcr_dict *dict_new(void);
void dict_free(struct dcr_dict *d);
/* The code of s, adding it when new. DCR_ERR_NOMEM, DCR_ERR_TOO_BIG (2^32-1
 * strings). */
enum dcr_err dict_intern(struct dcr_dict *d, const char *s, uint32_t len,
                         uint32_t *out_code) DCR_WUR;
/* The code of s if present. */
bool dict_find(const struct dcr_dict *d, const char *s, uint32_t len, uint32_t *out_code);
/* code -> rank (0 = smallest, bytewise). Computed on first use and kept,
 * so call it only on a dict no other thread uses (a query's own result
 * columns; tables are shared). NULL when out of memory. */
const uint32_t *dict_ranks(struct dcr_dict *d);
size_t dict_bytes(const struct dcr_dict *d);

/* ---- thread pool: fork-join over numbered tasks ------------------------ */

struct pool;

/* fn(ctx, worker, task) for task in [0, tasks); worker < pool_size. */
typedef void (*pool_fn)(void *ctx, unsigned worker, size_t task);

/* The number of online CPUs (at least 1). */
unsigned engine_cpus(void);
/* A pool of threads workers (0: online CPUs), the calling thread being one
 * of them. NULL when threads cannot be started. */
struct pool *pool_new(unsigned threads);
unsigned pool_size(const struct pool *p);
/* Runs every task, spread over the workers (each takes the next task when
 * it is done with one), and returns when all have finished. */
void pool_run(struct pool *p, size_t tasks, pool_fn fn, void *ctx);
void pool_free(struct pool *p);

/* Hints that [p, p + size) (a large array about to be filled) be backed by
 * huge pages: far fewer page faults and TLB misses. Harmless elsewhere. */
void engine_advise_huge(void *p, size_t size);

/* ---- columns ----------------------------------------------------------- */

/* Bytes per value of a stored type. */
size_t engine_type_width(enum dcr_type t);
/* Allocates count values (and a NULL map when with_nulls) for col, whose
 * name and type are set. Zeroed. */
enum dcr_err column_alloc(struct dcr_column *col, size_t count, bool with_nulls) DCR_WUR;
void column_free(struct dcr_column *col);
size_t column_bytes(const struct dcr_column *col);

#endif
