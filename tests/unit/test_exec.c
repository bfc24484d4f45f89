/* SPDX-License-Identifier: Apache-2.0 */
/* The query engine from SQL to result, on tables built in memory: binder,
 * planner, joins, aggregation (both the direct and the hashed group paths,
 * COUNT(DISTINCT)), ordering, and the same answers on 1 and 4 threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include "engine/engine_int.h"
#include "testutil.h"

#define NUL_I INT64_MIN /* marks a NULL in the int arrays below */

static struct dcr_table *table_new(const char *name, size_t rows)
{
	struct dcr_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->name = strdup(name);
	t->row_count = rows;
	t->columns = calloc(16, sizeof(*t->columns));
	assert_non_null(t->columns);
	return t;
}

static struct dcr_column *add_col(struct dcr_table *t, const char *name, enum dcr_type type)
{
	struct dcr_column *c = &t->columns[t->column_count++];

	c->name = strdup(name);
	c->type = type;
	assert_int_equal(column_alloc(c, t->row_count, true), DCR_OK);
	if (type == DCR_TYPE_STRING) {
		c->dict = dict_new();
		assert_non_null(c->dict);
	}
	return c;
}

static void add_ints(struct dcr_table *t, const char *name, const int64_t *v)
{
	struct dcr_column *c = add_col(t, name, DCR_TYPE_INT);

	for (size_t i = 0; i < t->row_count; i++) {
		c->nulls[i] = v[i] == NUL_I;
		c->v.i64[i] = v[i] == NUL_I ? 0 : v[i];
	}
}

static void add_floats(struct dcr_table *t, const char *name, const double *v)
{
	struct dcr_column *c = add_col(t, name, DCR_TYPE_FLOAT);

	for (size_t i = 0; i < t->row_count; i++) {
		c->nulls[i] = isnan(v[i]);
		c->v.f64[i] = isnan(v[i]) ? 0 : v[i];
	}
}

static void add_strs(struct dcr_table *t, const char *name, const char *const *v)
{
	struct dcr_column *c = add_col(t, name, DCR_TYPE_STRING);

	for (size_t i = 0; i < t->row_count; i++) {
		c->nulls[i] = v[i] == NULL;
		if (v[i])
			assert_int_equal(dict_intern(c->dict, v[i], (uint32_t)strlen(v[i]),
			                             &c->v.code[i]), DCR_OK);
	}
	assert_non_null(dict_ranks(c->dict));
}

/* ids from small numbers: byte 31 = n, the rest a fixed pattern */
static void add_ids(struct dcr_table *t, const char *name, const int *v)
{
	struct dcr_column *c = add_col(t, name, DCR_TYPE_ID);

	for (size_t i = 0; i < t->row_count; i++) {
		c->nulls[i] = v[i] < 0;
		memset(c->v.id + i * 32, 0xab, 32);
		c->v.id[i * 32 + 31] = (uint8_t)(v[i] < 0 ? 0 : v[i]);
	}
}

/* The result as text: a header line, then rows; NULL as NULL, floats %.6g. */
static char *result_text(const struct dcr_table *r)
{
	struct dcr_buf b;

	dcr_buf_init(&b, 1 << 20);
	for (size_t c = 0; c < r->column_count; c++)
		assert_int_equal(dcr_buf_printf(&b, "%s%s", c ? "," : "", r->columns[c].name), DCR_OK);
	assert_int_equal(dcr_buf_append(&b, "\n", 1), DCR_OK);
	for (size_t i = 0; i < r->row_count; i++) {
		for (size_t c = 0; c < r->column_count; c++) {
			const struct dcr_column *col = &r->columns[c];

			if (c)
				assert_int_equal(dcr_buf_append(&b, ",", 1), DCR_OK);
			if (col->nulls && col->nulls[i]) {
				assert_int_equal(dcr_buf_append(&b, "NULL", 4), DCR_OK);
				continue;
			}
			switch (col->type) {
			case DCR_TYPE_BOOL:
				assert_int_equal(dcr_buf_printf(&b, "%s", col->v.b[i] ? "true" : "false"),
				                 DCR_OK);
				break;
			case DCR_TYPE_INT:
				assert_int_equal(dcr_buf_printf(&b, "%lld", (long long)col->v.i64[i]), DCR_OK);
				break;
			case DCR_TYPE_FLOAT:
				assert_int_equal(dcr_buf_printf(&b, "%.6g", col->v.f64[i]), DCR_OK);
				break;
			case DCR_TYPE_DATE: {
				char d[11];

				dcr_date_format(col->v.date[i], d);
				assert_int_equal(dcr_buf_printf(&b, "%s", d), DCR_OK);
				break;
			}
			case DCR_TYPE_STRING: {
				struct dcr_str s = dcr_dict_get(col->dict, col->v.code[i]);

				assert_int_equal(dcr_buf_printf(&b, "%.*s", (int)s.len, s.ptr), DCR_OK);
				break;
			}
			case DCR_TYPE_ID:
				assert_int_equal(dcr_buf_printf(&b, "id%d", col->v.id[i * 32 + 31]), DCR_OK);
				break;
			case DCR_TYPE_NULL:
				break;
			}
		}
		assert_int_equal(dcr_buf_append(&b, "\n", 1), DCR_OK);
	}
	return (char *)b.data;
}

struct fixture {
	struct dcr_table *people, *orders, *big_a, *big_b, *dup, *ext;
	const struct dcr_table *list[6];
	struct dcr_catalog cat;
};

static struct fixture fx;

static int setup(void **state)
{
	/* people: 6 rows */
	static const int pid[] = {1, 2, 3, 4, 5, -1};
	static const char *const region[] = {"north", "south", "north", NULL, "east", "south"};
	static const int64_t age[] = {30, 40, NUL_I, 25, 52, 33};
	static const char *const email[] = {"a@x.org", "B@x.org", "c@y.org", "d@y.org", NULL,
	                                    "f@x.org"};
	/* orders: 7 rows, pid 2 twice, pid 9 unknown, one NULL */
	static const int oid[] = {1, 2, 2, 3, 9, -1, 5};
	static const double amount[] = {10.5, 20.0, 5.25, NAN, 7.0, 1.0, 100.0};
	static const int64_t qty[] = {1, 2, 3, 4, 5, 6, NUL_I};
	static const char *const item[] = {"pen", "ink", "pen", "pad", "pen", "ink", "pad"};

	(void)state;
	fx.people = table_new("people", 6);
	add_ids(fx.people, "pid", pid);
	add_strs(fx.people, "region", region);
	add_ints(fx.people, "age", age);
	add_strs(fx.people, "email", email);
	fx.orders = table_new("orders", 7);
	add_ids(fx.orders, "pid", oid);
	add_floats(fx.orders, "amount", amount);
	add_ints(fx.orders, "qty", qty);
	add_strs(fx.orders, "item", item);

	/* two bigger tables for the threading checks: 200k and 150k rows */
	{
		const size_t na = 200000, nb = 150000;
		int64_t *ka = malloc(na * sizeof(*ka)), *kb = malloc(nb * sizeof(*kb));
		int64_t *va = malloc(na * sizeof(*va)), *vb = malloc(nb * sizeof(*vb));
		const char **ga = malloc(na * sizeof(*ga)), **gb = malloc(nb * sizeof(*gb));
		static const char *const g1[] = {"g0", "g1", "g2", "g3", "g4", "g5", "g6"};
		static const char *const g2[] = {"h0", "h1", "h2", NULL};
		uint64_t x = 88172645463325252ULL;

		assert_true(ka && kb && va && vb && ga && gb);
		for (size_t i = 0; i < na; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			ka[i] = (int64_t)(x % 100000);
			va[i] = (int64_t)(x >> 40) % 1000;
			ga[i] = g1[x % 7];
		}
		for (size_t i = 0; i < nb; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			kb[i] = (int64_t)(x % 120000);
			vb[i] = i % 17 == 0 ? NUL_I : (int64_t)(x >> 40) % 1000;
			gb[i] = g2[x % 4];
		}
		fx.big_a = table_new("a", na);
		add_ints(fx.big_a, "k", ka);
		add_ints(fx.big_a, "v", va);
		add_strs(fx.big_a, "g", ga);
		fx.big_b = table_new("b", nb);
		add_ints(fx.big_b, "k", kb);
		add_ints(fx.big_b, "v", vb);
		add_strs(fx.big_b, "g", gb);
		free(ka);
		free(kb);
		free(va);
		free(vb);
		free(ga);
		free(gb);
	}
	/* dup: 10,000 rows with one key, more than a probe batch holds */
	{
		int64_t *k = malloc(10000 * sizeof(*k));

		assert_non_null(k);
		for (size_t i = 0; i < 10000; i++)
			k[i] = i < 9990 ? 30 : (int64_t)i;
		fx.dup = table_new("dup", 10000);
		add_ints(fx.dup, "k", k);
		free(k);
	}
	fx.list[4] = fx.dup;
	{
		static const int64_t k[] = {INT64_MAX, 1, -1, -5};

		fx.ext = table_new("ext", 4);
		add_ints(fx.ext, "k", k);
	}
	fx.list[5] = fx.ext;
	fx.list[0] = fx.people;
	fx.list[1] = fx.orders;
	fx.list[2] = fx.big_a;
	fx.list[3] = fx.big_b;
	fx.cat.tables = fx.list;
	fx.cat.count = 6;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dcr_table_free(fx.people);
	dcr_table_free(fx.orders);
	dcr_table_free(fx.big_a);
	dcr_table_free(fx.big_b);
	dcr_table_free(fx.dup);
	dcr_table_free(fx.ext);
	return 0;
}

/* Runs sql on `threads` threads and returns the result as text (caller frees). */
static char *run_sql(const char *sql, unsigned threads, enum dcr_err want, const char *msg_part)
{
	struct dcr_query *q = NULL;
	struct dcr_table *r = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_exec_options o = {.threads = threads};
	enum dcr_err err;
	char *text = NULL;

	err = dcr_query_prepare(&fx.cat, sql, strlen(sql), &q, &msg);
	if (!err)
		err = dcr_query_run(q, &o, &r, NULL, &msg);
	if (err != want)
		fail_msg("%s: got %s (%s), want %s", sql, dcr_strerror(err), msg.text,
		         dcr_strerror(want));
	if (msg_part)
		tu_assert_msg(&msg, msg_part);
	if (r)
		text = result_text(r);
	dcr_table_free(r);
	dcr_query_free(q);
	return text;
}

static void check(const char *sql, const char *want)
{
	for (unsigned threads = 1; threads <= 3; threads += 2) {
		char *got = run_sql(sql, threads, DCR_OK, NULL);

		if (strcmp(got, want))
			fail_msg("%s (%u threads)\n--- got:\n%s--- want:\n%s", sql, threads, got, want);
		free(got);
	}
}

static void check_fails(const char *sql, enum dcr_err err, const char *msg_part)
{
	free(run_sql(sql, 2, err, msg_part));
}

static void test_scan_filter_project(void **state)
{
	(void)state;
	check("SELECT region, age FROM people WHERE age > 30 ORDER BY age",
	      "region,age\nsouth,33\nsouth,40\neast,52\n");
	check("SELECT age + 1 AS a, age * 2, age / 4 FROM people WHERE region = 'north' ORDER BY 1",
	      "a,age * 2,age / 4\n31,60,7.5\nNULL,NULL,NULL\n");
	check("SELECT region FROM people WHERE region IS NULL", "region\nNULL\n");
	check("SELECT COUNT(*) FROM people WHERE age BETWEEN 30 AND 40", "COUNT(*)\n3\n");
	check("SELECT COUNT(*) FROM people WHERE region IN ('north', 'east')", "COUNT(*)\n3\n");
	check("SELECT COUNT(*) FROM people WHERE email LIKE '%@x.org'", "COUNT(*)\n3\n");
	check("SELECT COUNT(*) FROM people WHERE email LIKE 'b%'", "COUNT(*)\n0\n"); /* case */
	check("SELECT COUNT(*) FROM people WHERE email LIKE '_@y.org'", "COUNT(*)\n2\n");
	check("SELECT age FROM people ORDER BY age DESC LIMIT 2", "age\nNULL\n52\n");
	check("SELECT age FROM people ORDER BY age LIMIT 0", "age\n");
}

static void test_null_logic(void **state)
{
	(void)state;
	/* NULL AND FALSE is FALSE, NULL OR TRUE is TRUE */
	check("SELECT COUNT(*) FROM people WHERE NOT (age > 100 AND region = 'zz')", "COUNT(*)\n6\n");
	check("SELECT COUNT(*) FROM people WHERE age > 100 OR region IS NULL OR region = 'east'",
	      "COUNT(*)\n2\n");
	/* NOT IN with a NULL in the list is never TRUE */
	check("SELECT COUNT(*) FROM people WHERE age NOT IN (30, NULL)", "COUNT(*)\n0\n");
	check("SELECT COUNT(*) FROM people WHERE age IN (30, NULL)", "COUNT(*)\n1\n");
	check("SELECT COALESCE(region, 'none') AS r, CASE WHEN age >= 40 THEN 'old' WHEN age < 40 "
	      "THEN 'young' END AS band FROM people ORDER BY r, band",
	      "r,band\neast,old\nnone,young\nnorth,young\nnorth,NULL\nsouth,old\nsouth,young\n");
	check("SELECT 1 / 0, 7 / 2, -age FROM people WHERE age = 25", "1 / 0,7 / 2,-age\nNULL,3.5,-25\n");
}

static void test_overflow(void **state)
{
	(void)state;
	check_fails("SELECT age * 9223372036854775807 FROM people", DCR_ERR_INVALID, "overflow");
	/* a branch not taken cannot overflow */
	check("SELECT CASE WHEN age > 1000 THEN age * 9223372036854775807 ELSE 0 END AS x FROM people"
	      " WHERE age = 25",
	      "x\n0\n");
	check_fails("SELECT SUM(age * 1000000000000000000) FROM people", DCR_ERR_INVALID, "overflow");
	/* only the total must fit: MAX + 1 - 1 - 5 */
	check("SELECT SUM(k) AS s FROM ext", "s\n9223372036854775802\n");
	check_fails("SELECT SUM(k) + 0 AS s FROM ext WHERE k > 0", DCR_ERR_INVALID, "SUM");
}

static void test_joins(void **state)
{
	(void)state;
	check("SELECT p.region, o.item, o.qty FROM people p JOIN orders o ON p.pid = o.pid "
	      "ORDER BY o.qty",
	      "region,item,qty\nnorth,pen,1\nsouth,ink,2\nsouth,pen,3\nnorth,pad,4\neast,pad,NULL\n");
	/* LEFT keeps the unmatched people, NULL pid matches nothing */
	check("SELECT p.age, o.qty FROM people p LEFT JOIN orders o ON p.pid = o.pid ORDER BY 1, 2",
	      "age,qty\n25,NULL\n30,1\n33,NULL\n40,2\n40,3\n52,NULL\nNULL,4\n");
	/* a WHERE on the NULL-padded side is applied after the join */
	check("SELECT COUNT(*) FROM people p LEFT JOIN orders o ON p.pid = o.pid WHERE o.qty IS NULL",
	      "COUNT(*)\n3\n");
}

static void test_joins_fixed(void **state)
{
	(void)state;
	/* a one-side ON condition of a LEFT JOIN restricts what matches, not the left rows */
	check("SELECT COUNT(*) AS n, COUNT(o.qty) AS q FROM people p LEFT JOIN orders o ON "
	      "p.pid = o.pid AND o.item = 'pen'",
	      "n,q\n6,2\n");
	/* the same join written from the other side gives the same rows */
	check("SELECT COUNT(*) FROM orders o JOIN people p ON o.pid = p.pid", "COUNT(*)\n5\n");
	check("SELECT COUNT(*) FROM people p JOIN orders o ON p.pid = o.pid JOIN people q ON "
	      "q.pid = o.pid AND q.region = p.region",
	      "COUNT(*)\n5\n");
}

static void test_heavy_key(void **state)
{
	(void)state;
	/* the build side (dup, under a LEFT JOIN) has a key with 9,990 rows */
	check("SELECT COUNT(*) AS n, COUNT(d.k) AS m FROM people p LEFT JOIN dup d ON p.age = d.k",
	      "n,m\n9995,9990\n");
	check("SELECT p.age, COUNT(*) AS n FROM people p JOIN dup d ON d.k = p.age GROUP BY 1",
	      "age,n\n30,9990\n");
}

static void test_aggregates(void **state)
{
	(void)state;
	check("SELECT region, COUNT(*), COUNT(age), SUM(age), AVG(age), MIN(age), MAX(email) "
	      "FROM people GROUP BY region ORDER BY region",
	      "region,COUNT(*),COUNT(age),SUM(age),AVG(age),MIN(age),MAX(email)\n"
	      "east,1,1,52,52,52,NULL\nnorth,2,1,30,30,30,c@y.org\nsouth,2,2,73,36.5,33,f@x.org\n"
	      "NULL,1,1,25,25,25,d@y.org\n");
	/* no rows: one row with COUNT 0 and NULLs; with GROUP BY no rows at all */
	check("SELECT COUNT(*), SUM(age), MAX(region) FROM people WHERE age > 1000",
	      "COUNT(*),SUM(age),MAX(region)\n0,NULL,NULL\n");
	check("SELECT region, COUNT(*) FROM people WHERE age > 1000 GROUP BY region",
	      "region,COUNT(*)\n");
	check("SELECT region, COUNT(*) AS n FROM people GROUP BY 1 HAVING COUNT(*) > 1 ORDER BY n, 1",
	      "region,n\nnorth,2\nsouth,2\n");
}

static void test_aggregates_distinct(void **state)
{
	(void)state;
	check("SELECT COUNT(DISTINCT region) AS r, COUNT(DISTINCT o.item) AS i, "
	      "COUNT(DISTINCT o.pid) AS p FROM people p JOIN orders o ON p.pid = o.pid",
	      "r,i,p\n3,3,4\n");
	check("SELECT o.item, COUNT(DISTINCT o.pid) AS people, SUM(o.amount) AS s FROM orders o "
	      "GROUP BY o.item ORDER BY 1",
	      "item,people,s\nink,1,21\npad,2,100\npen,3,22.75\n");
	/* grouping on an expression (the hashed path) */
	check("SELECT age > 30 AS old, COUNT(*) AS n FROM people GROUP BY 1 ORDER BY 1",
	      "old,n\nfalse,2\ntrue,3\nNULL,1\n");
}

static void test_errors(void **state)
{
	(void)state;
	check_fails("SELECT nosuch FROM people", DCR_ERR_SQL, "unknown column 'nosuch'");
	check_fails("SELECT regoin FROM people", DCR_ERR_SQL, "did you mean 'region'");
	check_fails("SELECT pid FROM people p JOIN orders o ON p.pid = o.pid", DCR_ERR_SQL,
	            "ambiguous");
	check_fails("SELECT region, age FROM people GROUP BY region", DCR_ERR_SQL,
	            "must appear in GROUP BY");
	check_fails("SELECT * FROM people WHERE COUNT(*) > 1", DCR_ERR_SQL, "not allowed in WHERE");
	check_fails("SELECT region + 1 FROM people", DCR_ERR_SQL, "cannot use +");
	check_fails("SELECT * FROM people WHERE pid = 3", DCR_ERR_SQL, "cannot compare id with int");
	check_fails("SELECT * FROM people WHERE pid < pid", DCR_ERR_SQL, "only be compared with =");
	check_fails("SELECT SUM(region) FROM people", DCR_ERR_SQL, "needs numbers");
	check_fails("SELECT COUNT(SUM(age)) FROM people", DCR_ERR_SQL, "cannot be nested");
	check_fails("SELECT * FROM nowhere", DCR_ERR_SQL, "unknown table 'nowhere'");
	check_fails("SELECT * FROM people p JOIN orders o ON p.age > o.qty", DCR_ERR_SQL,
	            "needs an equality");
	check_fails("SELECT * FROM people ORDER BY 9", DCR_ERR_SQL, "not in the select list");
}

/* The bigger tables: answers agree across thread counts and grouping paths. */
static void test_threads_agree(void **state)
{
	static const char *const queries[] = {
		"SELECT a.g, b.g, COUNT(*), COUNT(DISTINCT a.k), SUM(b.v), MIN(a.v), MAX(b.v) "
		"FROM a JOIN b ON a.k = b.k GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT a.g, COUNT(*), SUM(a.v) FROM a LEFT JOIN b ON a.k = b.k GROUP BY a.g ORDER BY 1",
		"SELECT a.k + 0 AS k2, COUNT(*) AS n FROM a GROUP BY 1 HAVING COUNT(*) > 6 ORDER BY 2 DESC, 1 "
		"LIMIT 5",
		"SELECT COUNT(*), COUNT(DISTINCT b.v), AVG(b.v) FROM b WHERE b.g IS NOT NULL",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		char *one = run_sql(queries[i], 1, DCR_OK, NULL);
		char *four = run_sql(queries[i], 4, DCR_OK, NULL);

		if (strcmp(one, four))
			fail_msg("%s: 1 thread and 4 disagree\n%s\n---\n%s", queries[i], one, four);
		/* a plausible size: the join query has up to 7 x 4 groups */
		assert_true(strlen(one) > 10);
		free(one);
		free(four);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_filter_project), cmocka_unit_test(test_null_logic),
		cmocka_unit_test(test_overflow),            cmocka_unit_test(test_joins),
		cmocka_unit_test(test_joins_fixed),         cmocka_unit_test(test_aggregates),
		cmocka_unit_test(test_aggregates_distinct), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_threads_agree),       cmocka_unit_test(test_heavy_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
