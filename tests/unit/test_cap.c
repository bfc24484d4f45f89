/* SPDX-License-Identifier: Apache-2.0 */
/* The per-key row cap of the executor (struct dcr_exec_cap): after joins and
 * WHERE, each key keeps exactly min(rows, cap) of its rows, chosen uniformly
 * at random from the caller's bytes; NULL keys are dropped; ORDER BY and
 * LIMIT come after; INT, STRING and ID keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "engine/engine_int.h"
#include "testutil.h"

/* A deterministic random source (tests only): splitmix64. */
struct det {
	uint64_t x;
	unsigned calls;
};

static void det_fill(void *ctx, void *buf, size_t n)
{
	struct det *d = ctx;
	uint8_t *p = buf;

	__atomic_fetch_add(&d->calls, 1, __ATOMIC_RELAXED);
	for (size_t i = 0; i < n; i++) {
		uint64_t z = __atomic_add_fetch(&d->x, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		p[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static void zero_fill(void *ctx, void *buf, size_t n)
{
	__atomic_fetch_add((unsigned *)ctx, 1, __ATOMIC_RELAXED);
	memset(buf, 0, n);
}

/* Loads csv (a header, typed by the schema) as table name. */
static struct dcr_table *load(const char *name, const char *csv, const struct dcr_csv_column *cols,
                              size_t ncols)
{
	struct dcr_csv_options o = {.columns = cols, .column_count = ncols, .threads = 1};
	struct dcr_csv_reader *rd = NULL;
	struct dcr_table *t = NULL;
	struct dcr_msg msg = {{0}};

	assert_int_equal(dcr_csv_reader_new(name, &o, &rd), DCR_OK);
	assert_int_equal(dcr_csv_reader_write(rd, csv, strlen(csv), &msg), DCR_OK);
	if (dcr_csv_reader_finish(rd, &t, &msg) != DCR_OK)
		fail_msg("%s: %s", name, msg.text);
	dcr_csv_reader_free(rd);
	return t;
}

/* p(person, n): person k has 1 + k % 5 rows (k = 0..59, k = 60 has a NULL
 * key); b(person, v): persons 0..29 have two rows each. */
static struct {
	struct dcr_table *p, *b, *q;
	const struct dcr_table *list[3];
	struct dcr_catalog cat;
} fx;

static int setup(void **state)
{
	static const struct dcr_csv_column pc[] = {{"person", DCR_TYPE_INT}, {"name", DCR_TYPE_STRING},
	                                           {"n", DCR_TYPE_INT}};
	static const struct dcr_csv_column bc[] = {{"person", DCR_TYPE_INT}, {"v", DCR_TYPE_INT}};
	struct dcr_buf p, b;

	(void)state;
	dcr_buf_init(&p, 1 << 20);
	dcr_buf_init(&b, 1 << 20);
	assert_int_equal(dcr_buf_printf(&p, "person,name,n\n"), DCR_OK);
	for (int k = 0; k < 60; k++)
		for (int r = 0; r <= k % 5; r++)
			assert_int_equal(dcr_buf_printf(&p, "%d,k%d,%d\n", k, k, r), DCR_OK);
	assert_int_equal(dcr_buf_printf(&p, ",nobody,1\n,nobody,2\n"), DCR_OK);
	assert_int_equal(dcr_buf_printf(&b, "person,v\n"), DCR_OK);
	for (int k = 0; k < 30; k++)
		assert_int_equal(dcr_buf_printf(&b, "%d,1\n%d,2\n", k, k), DCR_OK);
	assert_int_equal(dcr_buf_append(&p, "", 1), DCR_OK);
	assert_int_equal(dcr_buf_append(&b, "", 1), DCR_OK);
	fx.p = load("p", (const char *)p.data, pc, 3);
	fx.b = load("b", (const char *)b.data, bc, 2);
	dcr_buf_free(&p);
	dcr_buf_free(&b);
	/* q(id, k): 40 ids (64 hex digits), id k with 1 + k % 4 rows */
	{
		static const struct dcr_csv_column qc[] = {{"id", DCR_TYPE_ID}, {"k", DCR_TYPE_INT}};
		struct dcr_buf q;

		dcr_buf_init(&q, 1 << 20);
		assert_int_equal(dcr_buf_printf(&q, "id,k\n"), DCR_OK);
		for (int k = 0; k < 40; k++)
			for (int r = 0; r <= k % 4; r++)
				assert_int_equal(dcr_buf_printf(&q, "%056x%08x,%d\n", 0xabcu, (unsigned)k, k),
				                 DCR_OK);
		assert_int_equal(dcr_buf_append(&q, "", 1), DCR_OK);
		fx.q = load("q", (const char *)q.data, qc, 2);
		dcr_buf_free(&q);
	}
	fx.list[0] = fx.p;
	fx.list[1] = fx.b;
	fx.list[2] = fx.q;
	fx.cat.tables = fx.list;
	fx.cat.count = 3;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_table_free(fx.p);
	dcr_table_free(fx.b);
	dcr_table_free(fx.q);
	return 0;
}

/* Runs sql with a cap of max_rows on rels[0].<column>; returns the result. */
static struct dcr_table *run_capped(const char *sql, const char *column, uint64_t max_rows,
                                    void (*fill)(void *, void *, size_t), void *ctx,
                                    unsigned threads, uint64_t *dropped)
{
	struct dcr_query *q = NULL;
	struct dcr_table *t = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_exec_cap cap = {.max_rows = max_rows, .random = fill, .random_ctx = ctx};
	struct dcr_exec_options eo = {.threads = threads, .cap = &cap};
	struct dcr_exec_stats st = {0};

	if (dcr_query_prepare(&fx.cat, sql, strlen(sql), &q, &msg) != DCR_OK)
		fail_msg("%s: %s", sql, msg.text);
	cap.rel = 0;
	cap.column = (size_t)dcr_table_column_index(dcr_query_bound(q)->rels[0].table, column);
	if (dcr_query_run(q, &eo, &t, &st, &msg) != DCR_OK)
		fail_msg("%s: %s", sql, msg.text);
	if (dropped)
		*dropped = st.rows_capped;
	dcr_query_free(q);
	return t;
}

static int64_t cell(const struct dcr_table *t, size_t row, size_t col)
{
	return t->columns[col].v.i64[row];
}

/* Exact per-key counts: min(rows, cap), with and without a join, grouped
 * and not, INT and STRING keys, on 1 and 4 threads. */
static void test_exact_counts(void **state)
{
	struct det d = {.x = 1};
	struct dcr_table *t;
	uint64_t dropped;

	(void)state;
	for (unsigned threads = 1; threads <= 4; threads += 3) {
		for (uint64_t cap = 1; cap <= 6; cap++) {
			t = run_capped("SELECT person, COUNT(*) FROM p GROUP BY person ORDER BY person",
			               "person", cap, det_fill, &d, threads, &dropped);
			/* the NULL key's two rows are gone, not a group */
			assert_int_equal(t->row_count, 60);
			for (size_t k = 0; k < 60; k++) {
				int64_t rows = 1 + (int64_t)k % 5;

				assert_int_equal(cell(t, k, 0), (int64_t)k);
				assert_int_equal(cell(t, k, 1), rows < (int64_t)cap ? rows : (int64_t)cap);
			}
			dcr_table_free(t);
			/* by the string column: the same people */
			t = run_capped("SELECT COUNT(*) FROM p", "name", cap, det_fill, &d, threads, NULL);
			{
				int64_t want = 0;

				for (int k = 0; k < 60; k++)
					want += 1 + k % 5 < (int)cap ? 1 + k % 5 : (int)cap;
				want += cap < 2 ? (int64_t)cap : 2; /* "nobody" is a key too */
				assert_int_equal(cell(t, 0, 0), want);
			}
			dcr_table_free(t);
		}
		/* through a join: person k's rows multiply by b's 2 rows */
		t = run_capped("SELECT p.person, COUNT(*), SUM(b.v) FROM p JOIN b ON p.person = b.person "
		               "GROUP BY p.person ORDER BY 1",
		               "person", 3, det_fill, &d, threads, &dropped);
		assert_int_equal(t->row_count, 30);
		for (size_t k = 0; k < 30; k++) {
			int64_t rows = 2 * (1 + (int64_t)k % 5);

			assert_int_equal(cell(t, k, 1), rows < 3 ? rows : 3);
		}
		dcr_table_free(t);
	}
	(void)dropped;
}

/* ID keys (32 bytes, the clean room's case), and a LEFT JOIN whose
 * unmatched rows keep their key. */
static void test_id_keys_left_join(void **state)
{
	struct det d = {.x = 5};
	struct dcr_table *t;

	(void)state;
	t = run_capped("SELECT k, COUNT(*) FROM q GROUP BY k ORDER BY k", "id", 2, det_fill, &d, 2,
	               NULL);
	assert_int_equal(t->row_count, 40);
	for (size_t k = 0; k < 40; k++) {
		int64_t rows = 1 + (int64_t)k % 4;

		assert_int_equal(cell(t, k, 1), rows < 2 ? rows : 2);
	}
	dcr_table_free(t);
	/* persons 30..59 have no row in b: one padded row per p row, capped */
	t = run_capped("SELECT p.person, COUNT(*) FROM p LEFT JOIN b ON p.person = b.person "
	               "GROUP BY p.person ORDER BY 1", "person", 3, det_fill, &d, 2, NULL);
	assert_int_equal(t->row_count, 60);
	for (size_t k = 0; k < 60; k++) {
		int64_t rows = (1 + (int64_t)k % 5) * (k < 30 ? 2 : 1);

		assert_int_equal(cell(t, k, 1), rows < 3 ? rows : 3);
	}
	dcr_table_free(t);
}

/* WHERE before the cap, ORDER BY and LIMIT after; not aggregated too. */
static void test_where_order_limit(void **state)
{
	struct det d = {.x = 2};
	struct dcr_table *t;
	uint64_t dropped = 0;

	(void)state;
	/* persons 4, 9, 14, ... have 5 rows; n >= 3 leaves 2 of each */
	t = run_capped("SELECT COUNT(*) FROM p WHERE n >= 3", "person", 1, det_fill, &d, 2, &dropped);
	assert_int_equal(cell(t, 0, 0), 12 * 1 + 12 * 1);  /* k%5==3: 1 row (n=3); k%5==4: 2 rows capped to 1 */
	dcr_table_free(t);
	t = run_capped("SELECT person FROM p ORDER BY person DESC LIMIT 4", "person", 2, det_fill, &d,
	               2, &dropped);
	assert_int_equal(t->row_count, 4);
	assert_int_equal(cell(t, 0, 0), 59);
	assert_int_equal(cell(t, 1, 0), 59);
	assert_int_equal(cell(t, 2, 0), 58);
	assert_int_equal(cell(t, 3, 0), 58);
	dcr_table_free(t);
	/* dropped: every row over the cap, and the NULL keys */
	t = run_capped("SELECT COUNT(*) FROM p", "person", 1, det_fill, &d, 1, &dropped);
	assert_int_equal(cell(t, 0, 0), 60);
	assert_int_equal(dropped, (12 * 0 + 12 * 1 + 12 * 2 + 12 * 3 + 12 * 4) + 2);
	dcr_table_free(t);
}

/* Which rows stay is uniform: of person 4's five rows (n = 0..4), with a
 * cap of 2, each stays with probability 2/5. And the random source is
 * what decides: all-zero bytes still give exact counts. */
static void test_uniform(void **state)
{
	struct det d = {.x = 3};
	unsigned kept[5] = {0}, calls = 0, runs = 4000;
	double chi = 0;
	struct dcr_table *t;

	(void)state;
	for (unsigned i = 0; i < runs; i++) {
		t = run_capped("SELECT n FROM p WHERE person = 4", "person", 2, det_fill, &d, 1, NULL);
		assert_int_equal(t->row_count, 2);
		kept[cell(t, 0, 0)]++;
		kept[cell(t, 1, 0)]++;
		dcr_table_free(t);
	}
	for (int v = 0; v < 5; v++) {
		double e = runs * 2.0 / 5.0;

		chi += (kept[v] - e) * (kept[v] - e) / e;
	}
	/* 4 degrees of freedom: p = 0.001 at 18.47 */
	if (chi > 18.47)
		fail_msg("rows kept unevenly: %u %u %u %u %u (chi^2 %.1f)", kept[0], kept[1], kept[2],
		         kept[3], kept[4], chi);
	assert_true(d.calls > 0);
	t = run_capped("SELECT COUNT(*) FROM p", "person", 2, zero_fill, &calls, 1, NULL);
	assert_int_equal(cell(t, 0, 0), 12 * 1 + 12 * 2 * 4);
	assert_true(calls > 0);
	dcr_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_counts),
		cmocka_unit_test(test_where_order_limit),
		cmocka_unit_test(test_id_keys_left_join),
		cmocka_unit_test(test_uniform),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
