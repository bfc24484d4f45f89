/* SPDX-License-Identifier: Apache-2.0 */
/* The privacy layer: for each rule, queries it lets through and queries it
 * refuses (with the rule's name in the message); and the k rewrite, run on
 * real tables: groups under k distinct ids vanish, the rest are exact. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include "dcr/contract.h"
#include "dcr/engine.h"
#include "dcr/noise.h"
#include "dcr/privacy.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

/* %s: news's and acme's public keys, the aggregates, more rules. */
static const char contract_fmt[] =
	"{\"dcr_contract\": 1, \"id\": \"privacy-test\", \"expires\": \"2027-12-31T00:00:00Z\",\n"
	" \"parties\": [\n"
	"  {\"name\": \"news\", \"public_key\": \"%s\", \"roles\": [\"contributor\"]},\n"
	"  {\"name\": \"acme\", \"public_key\": \"%s\",\n"
	"   \"roles\": [\"contributor\", \"analyst\"]}],\n"
	" \"datasets\": [\n"
	"  {\"name\": \"impressions\", \"owner\": \"news\", \"columns\": [\n"
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"    {\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"},\n"
	"    {\"name\": \"views\", \"type\": \"int\", \"role\": \"metric\",\n"
	"     \"bounds\": [0, 100]}]},\n"
	"  {\"name\": \"purchases\", \"owner\": \"acme\", \"columns\": [\n"
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"    {\"name\": \"category\", \"type\": \"string\", \"role\": \"dimension\"},\n"
	"    {\"name\": \"day\", \"type\": \"date\", \"role\": \"dimension\"},\n"
	"    {\"name\": \"amount\", \"type\": \"float\", \"role\": \"metric\", "
	"\"bounds\": [0, 1000]},\n"
	"    {\"name\": \"note\", \"type\": \"string\", \"role\": \"hidden\"}]},\n"
	"  {\"name\": \"visits\", \"owner\": \"news\", \"columns\": [\n"
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"    {\"name\": \"site\", \"type\": \"string\", \"role\": \"dimension\"}]}],\n"
	" \"rules\": {\"min_distinct_ids\": 3,\n"
	"   \"joins\": [[\"impressions.email\", \"purchases.email\"]],\n"
	"   \"aggregates\": [%s]%s},\n"
	" \"tee\": {\"accept\": [\"sim\"]}}\n";

#define BASE_AGGS "\"count\", \"count_distinct\", \"sum\", \"avg\""

/* The tables, as CSV; #n is the id with n in its last byte. 11 distinct
 * impression ids: north has 4 (5 rows), south 2 (3 rows), east 3 (3 rows),
 * west 1, and one row with no region. */
static const char impressions_csv[] =
	"email,region,views\n"
	"#1,north,10\n#1,north,5\n#2,north,7\n#3,north,1\n#4,north,2\n"
	"#5,south,3\n#5,south,4\n#6,south,9\n"
	"#7,east,1\n#8,east,2\n#9,east,3\n"
	"#10,west,50\n"
	"#11,,4\n";
static const char purchases_csv[] =
	"email,category,day,amount,note\n"
	"#1,books,2026-01-05,10.5,n1\n#2,books,2026-01-05,20,n2\n#3,books,2026-01-06,5,n3\n"
	"#3,toys,2026-01-06,1,n4\n#5,toys,2026-01-07,7,n5\n#7,toys,2026-01-07,3,n6\n"
	"#12,games,2026-01-08,99,n7\n";
static const char visits_csv[] = "email,site\n#1,a\n#2,a\n#3,a\n";
static const char secrets_csv[] = "email,region,views\n#1,north,1\n#2,north,2\n#3,north,3\n";
/* impressions with a column the contract does not have */
static const char extra_csv[] = "email,region,views,extra\n#1,north,1,x\n#2,north,2,y\n"
                                "#3,north,3,z\n";

static struct {
	char news_pub[DCR_PUBKEY_LINE_SIZE], acme_pub[DCR_PUBKEY_LINE_SIZE];
	struct dcr_contract *c;     /* the base contract */
	struct dcr_table *impressions, *purchases, *visits, *secrets, *extra;
	const struct dcr_table *list[4], *extra_list[1];
	struct dcr_catalog cat, extra_cat;
} fx;

static void make_key(uint8_t n, char pub_line[DCR_PUBKEY_LINE_SIZE])
{
	uint8_t sign_seed[32], box_seed[32];
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey pub;

	memset(sign_seed, n, sizeof(sign_seed));
	memset(box_seed, n + 100, sizeof(box_seed));
	assert_int_equal(dcr_seckey_from_seeds(sign_seed, box_seed, &key), DCR_OK);
	dcr_seckey_public(key, &pub);
	dcr_pubkey_format(&pub, pub_line);
	dcr_seckey_free(key);
}

static struct dcr_contract *contract(const char *aggs, const char *more_rules)
{
	char text[8192];
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	int n = snprintf(text, sizeof(text), contract_fmt, fx.news_pub, fx.acme_pub, aggs,
	                 more_rules);

	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (dcr_contract_parse(text, (size_t)n, NOW, 0, &c, &msg) != DCR_OK)
		fail_msg("test contract refused: %s", msg.text);
	return c;
}

/* csv with each #n replaced by 64 hex digits ending in n's byte. */
static char *expand_ids(const char *csv)
{
	struct dcr_buf b;

	dcr_buf_init(&b, 1 << 20);
	for (const char *s = csv; *s; s++) {
		if (*s == '#') {
			char *end;
			unsigned long n = strtoul(s + 1, &end, 10);

			assert_int_equal(dcr_buf_printf(&b, "%062x%02lx", 0u, n), DCR_OK);
			s = end - 1;
		} else {
			assert_int_equal(dcr_buf_append(&b, s, 1), DCR_OK);
		}
	}
	return (char *)b.data;
}

/* A table from CSV, typed by the schema of the contract's dataset ds (the
 * server builds its tables the same way); extra columns are strings. */
static struct dcr_table *load(const char *name, const char *ds_name, const char *csv)
{
	const struct dcr_dataset *ds = dcr_contract_dataset(fx.c, ds_name);
	static const enum dcr_type types[] = {
		[DCR_COL_ID] = DCR_TYPE_ID, [DCR_COL_STRING] = DCR_TYPE_STRING,
		[DCR_COL_INT] = DCR_TYPE_INT, [DCR_COL_FLOAT] = DCR_TYPE_FLOAT,
		[DCR_COL_DATE] = DCR_TYPE_DATE};
	struct dcr_csv_column cols[8];
	struct dcr_csv_options opts = {.columns = cols, .threads = 1};
	struct dcr_csv_reader *r = NULL;
	struct dcr_table *t = NULL;
	struct dcr_msg msg = {{0}};
	char *text = expand_ids(csv);

	assert_non_null(ds);
	for (size_t i = 0; i < ds->column_count; i++)
		cols[i] = (struct dcr_csv_column){ds->columns[i].name, types[ds->columns[i].type]};
	opts.column_count = ds->column_count;
	if (strstr(csv, ",extra\n"))
		cols[opts.column_count++] = (struct dcr_csv_column){"extra", DCR_TYPE_STRING};
	assert_int_equal(dcr_csv_reader_new(name, &opts, &r), DCR_OK);
	if (dcr_csv_reader_write(r, text, strlen(text), &msg) != DCR_OK ||
	    dcr_csv_reader_finish(r, &t, &msg) != DCR_OK)
		fail_msg("test table %s: %s", name, msg.text);
	dcr_csv_reader_free(r);
	free(text);
	return t;
}

static int group_setup(void **state)
{
	(void)state;
	if (dcr_crypto_init() != DCR_OK)
		return -1;
	make_key(1, fx.news_pub);
	make_key(2, fx.acme_pub);
	fx.c = contract(BASE_AGGS, "");
	fx.impressions = load("impressions", "impressions", impressions_csv);
	fx.purchases = load("purchases", "purchases", purchases_csv);
	fx.visits = load("visits", "visits", visits_csv);
	fx.secrets = load("secrets", "impressions", secrets_csv);
	fx.extra = load("impressions", "impressions", extra_csv);
	fx.list[0] = fx.impressions;
	fx.list[1] = fx.purchases;
	fx.list[2] = fx.visits;
	fx.list[3] = fx.secrets;
	fx.cat = (struct dcr_catalog){fx.list, 4};
	fx.extra_list[0] = fx.extra;
	fx.extra_cat = (struct dcr_catalog){fx.extra_list, 1};
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	dcr_contract_free(fx.c);
	dcr_table_free(fx.impressions);
	dcr_table_free(fx.purchases);
	dcr_table_free(fx.visits);
	dcr_table_free(fx.secrets);
	dcr_table_free(fx.extra);
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static const struct dcr_party *party(const struct dcr_contract *c, const char *name)
{
	const struct dcr_party *p = dcr_contract_party(c, name);

	assert_non_null(p);
	return p;
}

static struct dcr_query *prepare(const struct dcr_catalog *cat, const char *sql)
{
	struct dcr_query *q = NULL;
	struct dcr_msg msg = {{0}};

	if (dcr_query_prepare(cat, sql, strlen(sql), &q, &msg) != DCR_OK)
		fail_msg("test query does not prepare: %s: %s", sql, msg.text);
	return q;
}

/* Checks sql as acme (an analyst) against c; refusal must name rule. */
static void refused_as(const struct dcr_contract *c, const struct dcr_catalog *cat,
                       const struct dcr_party *who, const char *named, const char *sql,
                       const char *rule, const char *detail)
{
	struct dcr_query *q = prepare(cat, sql);
	struct dcr_bquery *bq = dcr_query_bound(q);
	size_t aggs = bq->agg_count;
	struct dcr_bexpr *having = bq->having;
	struct dcr_msg msg = {{0}};
	char want[128];

	if (dcr_privacy_check(c, who, named, q, &msg) != DCR_ERR_REFUSED)
		fail_msg("not refused: %s", sql);
	snprintf(want, sizeof(want), "rule '%s': ", rule);
	if (strncmp(msg.text, want, strlen(want)))
		fail_msg("refusal of \"%s\" does not start with \"%s\": %s", sql, want, msg.text);
	if (detail)
		tu_assert_msg(&msg, detail);
	/* a refused query is left as it was */
	assert_int_equal(bq->agg_count, aggs);
	assert_ptr_equal(bq->having, having);
	dcr_query_free(q);
}

static void refused(const char *sql, const char *rule, const char *detail)
{
	refused_as(fx.c, &fx.cat, party(fx.c, "acme"), NULL, sql, rule, detail);
}

/* Checks and runs sql as acme; returns the result as CSV (caller frees). */
static char *run_as(const struct dcr_contract *c, const struct dcr_catalog *cat,
                    const char *named, const char *sql)
{
	struct dcr_query *q = prepare(cat, sql);
	struct dcr_exec_options opts = {.threads = 2};
	struct dcr_table *result = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	enum dcr_err err = dcr_privacy_check(c, party(c, "acme"), named, q, &msg);

	if (err != DCR_OK)
		fail_msg("refused (%s): %s: %s", dcr_strerror(err), sql, msg.text);
	if (dcr_query_run(q, &opts, &result, NULL, &msg) != DCR_OK)
		fail_msg("does not run: %s: %s", sql, msg.text);
	dcr_buf_init(&out, 1 << 20);
	assert_int_equal(dcr_result_format(result, DCR_FORMAT_CSV, &out), DCR_OK);
	dcr_table_free(result);
	dcr_query_free(q);
	return out.data ? (char *)out.data : strdup("");
}

/* Asserts sql is allowed and gives exactly want. */
static void answers(const char *sql, const char *want)
{
	char *got = run_as(fx.c, &fx.cat, NULL, sql);

	if (strcmp(got, want))
		fail_msg("%s\ngave:\n%s\nwanted:\n%s", sql, got, want);
	free(got);
}

/* ---- who may ask ----------------------------------------------------------- */

static void test_analysts_only(void **state)
{
	const char *sql = "SELECT region, COUNT(*) FROM impressions GROUP BY region";
	struct dcr_party stranger = *party(fx.c, "acme");
	struct dcr_party copy = *party(fx.c, "acme");

	(void)state;
	answers("SELECT COUNT(*) AS n FROM impressions", "n\n13\n");
	refused_as(fx.c, &fx.cat, party(fx.c, "news"), NULL, sql, "analysts only",
	           "party news is not an analyst");
	refused_as(fx.c, &fx.cat, NULL, NULL, sql, "analysts only", "not come from a party");
	/* acme's name with someone else's key is not acme */
	stranger.key.sign[0] ^= 1;
	refused_as(fx.c, &fx.cat, &stranger, NULL, sql, "analysts only", "not come from a party");
	stranger = copy;
	stranger.name = "mallory";
	refused_as(fx.c, &fx.cat, &stranger, NULL, sql, "analysts only", "not come from a party");
	/* a copy of acme's record (same name and keys) is acme */
	{
		struct dcr_query *q = prepare(&fx.cat, sql);
		struct dcr_msg msg = {{0}};

		assert_int_equal(dcr_privacy_check(fx.c, &copy, NULL, q, &msg), DCR_OK);
		dcr_query_free(q);
	}
}

#define DP_RULES ", \"dp\": {\"epsilon_per_analyst\": 3.0, \"epsilon_per_query\": 0.5, " \
                 "\"delta\": 1e-7, \"max_rows_per_id\": 10}"

static void test_differential_privacy(void **state)
{
	struct dcr_contract *dp = contract(BASE_AGGS, DP_RULES);
	struct dcr_dp_plan *plan = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_query *q;

	(void)state;
	/* an exact answer is never given for a DP contract */
	refused_as(dp, &fx.cat, party(dp, "acme"), NULL, "SELECT COUNT(*) FROM impressions",
	           "differential privacy", "must be noisy");
	/* and a contract without rules.dp has no noisy answers */
	q = prepare(&fx.cat, "SELECT COUNT(*) FROM impressions");
	assert_int_equal(dcr_privacy_check_dp(fx.c, party(fx.c, "acme"), NULL, 0.5, q, &plan, &msg),
	                 DCR_ERR_REFUSED);
	assert_null(plan);
	tu_assert_msg(&msg, "rule 'differential privacy': this contract has no rules.dp");
	dcr_query_free(q);
	dcr_contract_free(dp);
}

/* Refused by dcr_privacy_check_dp with the rule named. */
static void dp_refused(const struct dcr_contract *c, const char *sql, double eps, const char *rule,
                       const char *detail)
{
	struct dcr_query *q = prepare(&fx.cat, sql);
	struct dcr_dp_plan *plan = NULL;
	struct dcr_msg msg = {{0}};
	char want[128];

	if (dcr_privacy_check_dp(c, party(c, "acme"), NULL, eps, q, &plan, &msg) != DCR_ERR_REFUSED)
		fail_msg("not refused: %s", sql);
	assert_null(plan);
	snprintf(want, sizeof(want), "rule '%s': ", rule);
	if (strncmp(msg.text, want, strlen(want)))
		fail_msg("refusal of \"%s\" does not start with \"%s\": %s", sql, want, msg.text);
	tu_assert_msg(&msg, detail);
	dcr_query_free(q);
}

static void test_dp_refusals(void **state)
{
	struct dcr_contract *dp = contract(BASE_AGGS ", \"min\", \"max\"", DP_RULES);

	(void)state;
	/* every rule of an exact query still holds */
	dp_refused(dp, "SELECT email, COUNT(*) FROM impressions GROUP BY email", 0.5, "id columns",
	           "GROUP BY");
	dp_refused(dp, "SELECT COUNT(note) FROM purchases", 0.5, "hidden columns", "note");
	/* and what only DP forbids */
	dp_refused(dp, "SELECT region, COUNT(*) FROM impressions GROUP BY region HAVING COUNT(*) > 2",
	           0.5, "differential privacy", "HAVING");
	dp_refused(dp, "SELECT region, COUNT(*) FROM impressions GROUP BY region LIMIT 2", 0.5,
	           "differential privacy", "LIMIT");
	dp_refused(dp, "SELECT region, COUNT(*) AS n FROM impressions GROUP BY region ORDER BY n", 0.5,
	           "differential privacy", "ORDER BY may only name GROUP BY keys");
	dp_refused(dp, "SELECT COUNT(*) * 2 FROM impressions", 0.5, "differential privacy",
	           "one aggregate");
	dp_refused(dp, "SELECT MAX(views) FROM impressions", 0.5, "differential privacy",
	           "MAX is not supported");
	dp_refused(dp, "SELECT SUM(views * 2) FROM impressions", 0.5, "differential privacy",
	           "SUM takes one metric column");
	dp_refused(dp, "SELECT COUNT(*) FROM impressions", 0, "differential privacy",
	           "greater than 0");
	dp_refused(dp, "SELECT COUNT(*) FROM impressions", 3.5, "differential privacy",
	           "more than the whole budget of 3");
	dcr_contract_free(dp);
}

/* Runs a DP-planned query exactly (no cap, no noise: what the engine
 * computes before the noise) and returns the plan and the result. */
static struct dcr_table *dp_run(const struct dcr_contract *c, const char *sql,
                                struct dcr_dp_plan **plan)
{
	struct dcr_query *q = prepare(&fx.cat, sql);
	struct dcr_exec_options eo = {0};
	struct dcr_table *t = NULL;
	struct dcr_msg msg = {{0}};

	if (dcr_privacy_check_dp(c, party(c, "acme"), NULL, 0.6, q, plan, &msg) != DCR_OK)
		fail_msg("refused: %s: %s", sql, msg.text);
	if (dcr_query_run(q, &eo, &t, NULL, &msg) != DCR_OK)
		fail_msg("run: %s: %s", sql, msg.text);
	dcr_query_free(q);
	return t;
}

static void test_dp_plan(void **state)
{
	struct dcr_contract *dp = contract(BASE_AGGS, DP_RULES);
	struct dcr_dp_plan *plan = NULL;
	struct dcr_table *t;

	(void)state;
	/* ungrouped: one row, no selection; COUNT(DISTINCT first id) moves by 1 */
	t = dp_run(dp, "SELECT COUNT(DISTINCT email) AS people, COUNT(*) AS n, SUM(views) AS v "
	               "FROM impressions", &plan);
	assert_false(plan->grouped);
	assert_int_equal(plan->col_count, 3);
	assert_int_equal(plan->measurements, 3);
	assert_int_equal(plan->cap, 10);
	assert_true(plan->epsilon == 0.6);
	assert_int_equal(plan->cols[0].kind, DCR_DP_COUNT);
	assert_true(plan->cols[0].sensitivity == 1);
	assert_true(plan->cols[1].sensitivity == 10);
	assert_int_equal(plan->cols[2].kind, DCR_DP_SUM);
	assert_true(plan->cols[2].sensitivity == 10 * 100);
	assert_int_equal(t->column_count, 3);
	assert_int_equal(t->row_count, 1);
	assert_int_equal(t->columns[0].v.i64[0], 11);
	/* views are within [0, 100] except west's 50... all are: 101 */
	assert_int_equal(t->columns[2].v.i64[0], 10 + 5 + 7 + 1 + 2 + 3 + 4 + 9 + 1 + 2 + 3 + 50 + 4);
	dcr_table_free(t);
	dcr_dp_plan_free(plan);

	/* grouped: a hidden distinct-id count for selection; AVG as SUM and COUNT */
	t = dp_run(dp, "SELECT region, AVG(views) AS a, COUNT(DISTINCT email) AS people "
	               "FROM impressions GROUP BY region ORDER BY region", &plan);
	assert_true(plan->grouped);
	assert_int_equal(plan->col_count, 3);
	assert_int_equal(plan->measurements, 4); /* sum, count, people, selection */
	assert_int_equal(plan->cols[0].kind, DCR_DP_KEY);
	assert_int_equal(plan->cols[1].kind, DCR_DP_AVG);
	assert_true(plan->cols[1].sensitivity == 1000);
	assert_true(plan->cols[1].count_sensitivity == 10);
	assert_true(plan->cols[2].sensitivity == 10); /* grouped: an id's rows span groups */
	assert_true(plan->select_sensitivity == 10);
	/* region, sum, people, then the hidden count and distinct ids; no k HAVING */
	assert_int_equal(t->column_count, 5);
	assert_int_equal(plan->cols[1].count_column, 3);
	assert_int_equal(plan->select_column, 4);
	assert_int_equal(t->row_count, 5); /* east, north, south, west, NULL: nothing dropped */
	assert_int_equal(t->columns[1].type, DCR_TYPE_INT);
	/* north: views 10 5 7 1 2 over 5 rows, 4 ids */
	assert_int_equal(t->columns[1].v.i64[1], 25);
	assert_int_equal(t->columns[3].v.i64[1], 5);
	assert_int_equal(t->columns[4].v.i64[1], 4);
	dcr_table_free(t);
	dcr_dp_plan_free(plan);
	dcr_contract_free(dp);
}

/* Values outside a metric's bounds are clamped before they are summed. */
static void test_dp_clamps(void **state)
{
	char text[8192], *at;
	struct dcr_contract *dp = NULL;
	struct dcr_dp_plan *plan = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_table *t;
	int n;

	(void)state;
	/* views bounded to [2, 6] instead of [0, 100] */
	n = snprintf(text, sizeof(text), contract_fmt, fx.news_pub, fx.acme_pub, BASE_AGGS,
	             DP_RULES);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	at = strstr(text, "[0, 100]");
	assert_non_null(at);
	memcpy(at, "[2,   6]", 8);
	if (dcr_contract_parse(text, (size_t)n, NOW, 0, &dp, &msg) != DCR_OK)
		fail_msg("test contract refused: %s", msg.text);
	/* views 10 5 7 1 2 | 3 4 9 | 1 2 3 | 50 | 4 clamped to 6 5 6 2 2 | 3 4 6 | 2 2 3 | 6 | 4 */
	t = dp_run(dp, "SELECT region, SUM(views) AS s, AVG(views) AS a FROM impressions "
	               "GROUP BY region ORDER BY region", &plan);
	assert_true(plan->cols[1].sensitivity == 10 * 6);
	assert_true(plan->cols[1].lo == 2 && plan->cols[1].hi == 6);
	assert_int_equal(t->columns[1].v.i64[0], 2 + 2 + 3);     /* east */
	assert_int_equal(t->columns[1].v.i64[1], 6 + 5 + 6 + 2 + 2); /* north */
	assert_int_equal(t->columns[1].v.i64[2], 3 + 4 + 6);     /* south */
	assert_int_equal(t->columns[1].v.i64[3], 6);             /* west */
	assert_int_equal(t->columns[2].v.i64[3], 6);             /* AVG's sum, clamped too */
	dcr_table_free(t);
	dcr_dp_plan_free(plan);
	dcr_contract_free(dp);
}

/* Asserts that the text in b contains needle. */
static void buf_has(struct dcr_buf *b, const char *needle)
{
	assert_int_equal(dcr_buf_append(b, "", 1), DCR_OK);
	if (!strstr((const char *)b->data, needle))
		fail_msg("\"%s\" lacks \"%s\"", (const char *)b->data, needle);
}

/* A DP contract with the given budget, delta and cap. */
static struct dcr_contract *dp_contract(double total, double delta, int cap, const char *mech)
{
	char rules[256];

	snprintf(rules, sizeof(rules),
	         ", \"dp\": {\"epsilon_per_analyst\": %g, \"epsilon_per_query\": %g, "
	         "\"delta\": %g, \"max_rows_per_id\": %d%s%s%s}",
	         total, total, delta, cap, mech ? ", \"mechanism\": \"" : "", mech ? mech : "",
	         mech ? "\"" : "");
	return contract(BASE_AGGS, rules);
}

/* Plans sql with epsilon (the rewrite runs once), returns the plan; *q is
 * kept for the caller to free. */
static struct dcr_dp_plan *dp_plan(const struct dcr_contract *c, const char *sql, double eps,
                                   struct dcr_query **q)
{
	struct dcr_dp_plan *plan = NULL;
	struct dcr_msg msg = {{0}};

	*q = prepare(&fx.cat, sql);
	if (dcr_privacy_check_dp(c, party(c, "acme"), NULL, eps, *q, &plan, &msg) != DCR_OK)
		fail_msg("refused: %s: %s", sql, msg.text);
	return plan;
}

/* A result table as the engine would give for the plan: int columns. */
static struct dcr_table *int_table(size_t cols, size_t rows, const int64_t *values)
{
	struct dcr_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->row_count = rows;
	t->column_count = cols;
	t->columns = calloc(cols, sizeof(*t->columns));
	assert_non_null(t->columns);
	for (size_t c = 0; c < cols; c++) {
		t->columns[c].name = strdup("c");
		t->columns[c].type = DCR_TYPE_INT;
		t->columns[c].count = rows;
		t->columns[c].v.i64 = calloc(rows ? rows : 1, sizeof(int64_t));
		assert_non_null(t->columns[c].v.i64);
		for (size_t r = 0; r < rows; r++)
			t->columns[c].v.i64[r] = values[r * cols + c];
	}
	return t;
}

/* The noise of one released COUNT(*): Laplace scale cap / epsilon, an
 * answer near the truth, the receipt lines. */
static void test_dp_noise_count(void **state)
{
	struct dcr_contract *dp = dp_contract(2.0, 1e-6, 10, NULL);
	struct dcr_rng_seeded seeded;
	struct dcr_rng rng;
	struct dcr_query *q;
	struct dcr_dp_plan *plan = dp_plan(dp, "SELECT COUNT(*) AS n FROM impressions", 2.0, &q);
	struct dcr_buf lines;
	struct dcr_msg msg = {{0}};
	const int64_t truth[] = {100000};
	double sum = 0, sq = 0;
	int n = 4000;

	(void)state;
	dcr_rng_seeded_init(&seeded, 7, &rng);
	for (int i = 0; i < n; i++) {
		struct dcr_table *t = int_table(1, 1, truth);

		dcr_buf_init(&lines, 4096);
		assert_int_equal(dcr_privacy_add_noise(plan, t, &rng, &lines, &msg), DCR_OK);
		assert_int_equal(t->row_count, 1);
		assert_int_equal(t->column_count, 1);
		sum += (double)(t->columns[0].v.i64[0] - truth[0]);
		sq += pow((double)(t->columns[0].v.i64[0] - truth[0]), 2);
		if (i == 0)
			buf_has(&lines, "noise: column=0 mechanism=discrete-laplace scale=5 ");
		dcr_buf_free(&lines);
		dcr_table_free(t);
	}
	/* scale b = 10 / 2 = 5: mean 0, variance about 2 b^2 = 50 */
	assert_true(fabs(sum / n) < 0.5);
	assert_true(sq / n > 40 && sq / n < 60);
	assert_true(plan->cols[0].scale >= 5 && plan->cols[0].scale < 5.0001);
	assert_true(plan->cols[0].ci95 >= 14 && plan->cols[0].ci95 <= 16);
	dcr_dp_plan_free(plan);
	dcr_query_free(q);
	dcr_contract_free(dp);
}

/* Differencing: the answers for data with and without one person (who adds
 * at most cap = 10 rows) are distributed within a factor e^epsilon of each
 * other, bucket by bucket. A mechanism calibrated to the wrong sensitivity
 * (e.g. 1 instead of the cap) fails this by far. */
static void test_dp_differencing(void **state)
{
	struct dcr_contract *dp = dp_contract(1.0, 1e-6, 10, NULL);
	struct dcr_rng_seeded seeded;
	struct dcr_rng rng;
	struct dcr_query *q;
	struct dcr_dp_plan *plan = dp_plan(dp, "SELECT COUNT(*) AS n FROM impressions", 1.0, &q);
	enum { N = 200000, W = 120 };
	static unsigned hist[2][2 * W + 1];
	struct dcr_buf lines;
	struct dcr_msg msg = {{0}};
	double worst = 0;

	(void)state;
	memset(hist, 0, sizeof(hist));
	dcr_rng_seeded_init(&seeded, 11, &rng);
	for (int world = 0; world < 2; world++) {
		/* 1000 rows, or 1010 with the person's 10 */
		const int64_t truth[] = {1000 + 10 * world};

		for (int i = 0; i < N; i++) {
			struct dcr_table *t = int_table(1, 1, truth);
			int64_t v;

			dcr_buf_init(&lines, 4096);
			assert_int_equal(dcr_privacy_add_noise(plan, t, &rng, &lines, &msg), DCR_OK);
			v = t->columns[0].v.i64[0] - 1005;
			if (v >= -W && v <= W)
				hist[world][v + W]++;
			dcr_buf_free(&lines);
			dcr_table_free(t);
		}
	}
	for (int b = 0; b <= 2 * W; b++) {
		double p0 = hist[0][b], p1 = hist[1][b], r;

		if (p0 < 2000 || p1 < 2000)
			continue; /* too few to estimate a ratio */
		r = p0 > p1 ? p0 / p1 : p1 / p0;
		if (r > worst)
			worst = r;
	}
	/* e^1 = 2.718; a sensitivity-1 calibration would give ratios near e^10 */
	assert_true(worst > 2.0);
	if (!(worst < exp(1.0) * 1.1))
		fail_msg("a one-person difference shows a likelihood ratio of %.3f > e^epsilon", worst);
	dcr_dp_plan_free(plan);
	dcr_query_free(q);
	dcr_contract_free(dp);
}

/* Group selection: a group of one id is released with probability at most
 * delta / cap; large groups always; the hidden columns are gone and the
 * values noised. */
static void test_dp_selection(void **state)
{
	struct dcr_contract *dp = dp_contract(1.0, 0.02, 2, NULL);
	struct dcr_rng_seeded seeded;
	struct dcr_rng rng;
	struct dcr_query *q;
	struct dcr_dp_plan *plan = dp_plan(dp, "SELECT region, COUNT(*) AS n FROM impressions "
	                                   "GROUP BY region", 1.0, &q);
	/* region code, n, hidden distinct ids: a group of one id, a big group */
	const int64_t truth[] = {0, 1, 1, 1, 5000, 4000};
	struct dcr_buf lines;
	struct dcr_msg msg = {{0}};
	int n = 20000, small = 0, big = 0;

	(void)state;
	assert_true(plan->grouped);
	assert_int_equal(plan->select_column, 2);
	dcr_rng_seeded_init(&seeded, 13, &rng);
	for (int i = 0; i < n; i++) {
		struct dcr_table *t = int_table(3, 2, truth);

		dcr_buf_init(&lines, 4096);
		assert_int_equal(dcr_privacy_add_noise(plan, t, &rng, &lines, &msg), DCR_OK);
		assert_int_equal(t->column_count, 2);
		for (size_t r = 0; r < t->row_count; r++) {
			small += t->columns[0].v.i64[r] == 0;
			big += t->columns[0].v.i64[r] == 1;
		}
		if (i == 0)
			buf_has(&lines, "selection: mechanism=discrete-laplace");
		dcr_buf_free(&lines);
		dcr_table_free(t);
	}
	assert_int_equal(big, n);
	/* at most delta / cap = 1 %: with 20000 trials, well under 1.5 % */
	if (small > n * 0.015)
		fail_msg("a one-id group was released %d times in %d", small, n);
	assert_true(plan->threshold >= plan->min_ids);
	dcr_dp_plan_free(plan);
	dcr_query_free(q);
	dcr_contract_free(dp);
}

/* AVG from noisy sum and count; the Gaussian mechanism names itself. */
static void test_dp_avg_gaussian(void **state)
{
	struct dcr_contract *dp = dp_contract(3.0, 1e-6, 1, "gaussian");
	struct dcr_rng_seeded seeded;
	struct dcr_rng rng;
	struct dcr_query *q;
	struct dcr_dp_plan *plan = dp_plan(dp, "SELECT AVG(views) AS a FROM impressions", 3.0, &q);
	/* the engine's columns: the clamped sum, then the hidden count */
	const int64_t truth[] = {5000000, 100000};
	struct dcr_buf lines;
	struct dcr_msg msg = {{0}};
	struct dcr_table *t = int_table(2, 1, truth);

	(void)state;
	assert_true(plan->gaussian);
	dcr_rng_seeded_init(&seeded, 17, &rng);
	dcr_buf_init(&lines, 4096);
	assert_int_equal(dcr_privacy_add_noise(plan, t, &rng, &lines, &msg), DCR_OK);
	assert_int_equal(t->column_count, 1);
	assert_int_equal(t->columns[0].type, DCR_TYPE_FLOAT);
	assert_true(fabs(t->columns[0].v.f64[0] - 50.0) < 1.0);
	buf_has(&lines, "mechanism=discrete-gaussian sum_scale=");
	dcr_buf_free(&lines);
	dcr_table_free(t);
	dcr_dp_plan_free(plan);
	dcr_query_free(q);
	dcr_contract_free(dp);
}

static void test_named_queries(void **state)
{
	struct dcr_contract *nq = contract(
		BASE_AGGS, ", \"queries\": ["
		"{\"name\": \"reach_by_region\", \"sql\": \"SELECT region, COUNT(*) AS n "
		"FROM impressions GROUP BY region ORDER BY region\"},"
		"{\"name\": \"leak\", \"sql\": \"SELECT email, COUNT(*) FROM impressions "
		"GROUP BY email\"}]");
	char *got;

	(void)state;
	/* the server prepares the named query's own SQL */
	assert_string_equal(nq->queries[0].name, "reach_by_region");
	got = run_as(nq, &fx.cat, "reach_by_region", nq->queries[0].sql);
	assert_string_equal(got, "region,n\neast,3\nnorth,5\n");
	free(got);
	got = run_as(nq, &fx.cat, "Reach_By_Region", nq->queries[0].sql);
	free(got);
	refused_as(nq, &fx.cat, party(nq, "acme"), NULL, nq->queries[0].sql, "named queries only",
	           "runs only its named queries (reach_by_region, leak)");
	refused_as(nq, &fx.cat, party(nq, "acme"), "other", nq->queries[0].sql,
	           "named queries only", "no query named other");
	/* a named query is held to every other rule too */
	refused_as(nq, &fx.cat, party(nq, "acme"), "leak", nq->queries[1].sql, "id columns",
	           "impressions.email");
	/* without named queries there is nothing to name */
	refused_as(fx.c, &fx.cat, party(fx.c, "acme"), "reach_by_region",
	           "SELECT COUNT(*) FROM impressions", "named queries only", "no named queries");
	dcr_contract_free(nq);
}

/* ---- the rules on the query ----------------------------------------------- */

static void test_contract_datasets(void **state)
{
	char *got;

	(void)state;
	refused("SELECT region, COUNT(*) FROM secrets GROUP BY region", "contract datasets",
	        "table secrets is not a dataset of this contract");
	refused("SELECT i.region, COUNT(*) FROM impressions i JOIN secrets s ON i.email = s.email "
	        "GROUP BY 1",
	        "contract datasets", "secrets");
	/* a column the contract does not declare has no role: never used */
	refused_as(fx.c, &fx.extra_cat, party(fx.c, "acme"), NULL,
	           "SELECT extra, COUNT(*) FROM impressions GROUP BY extra", "contract datasets",
	           "impressions.extra is not declared");
	got = run_as(fx.c, &fx.extra_cat, NULL,
	             "SELECT region, COUNT(*) AS n FROM IMPRESSIONS GROUP BY region");
	assert_string_equal(got, "region,n\nnorth,3\n");
	free(got);
}

static void test_allowed_joins(void **state)
{
	(void)state;
	/* either order of the pair, INNER or LEFT */
	answers("SELECT p.category, COUNT(*) AS n FROM purchases p JOIN impressions i "
	        "ON p.email = i.email GROUP BY p.category ORDER BY 1",
	        "category,n\nbooks,4\ntoys,4\n");
	answers("SELECT COUNT(*) AS n FROM impressions i INNER JOIN purchases p "
	        "ON p.email = i.email AND i.email = p.email",
	        "n\n8\n");
	refused("SELECT COUNT(*) FROM impressions i JOIN impressions j ON i.email = j.email",
	        "allowed joins", "impressions appears twice in FROM");
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.region = p.category",
	        "allowed joins", "impressions.region is not an id column");
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = p.email "
	        "AND i.region = p.category",
	        "allowed joins", "impressions.region is not an id column");
	refused("SELECT COUNT(*) FROM impressions i LEFT JOIN purchases p ON i.email = p.email "
	        "AND p.category = 'toys'",
	        "allowed joins", "JOIN purchases may only be ON equalities of id columns");
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = p.email "
	        "OR i.email = p.email",
	        "allowed joins", "JOIN purchases");
	refused("SELECT COUNT(*) FROM impressions i JOIN visits v ON i.email = v.email",
	        "allowed joins", "impressions.email = visits.email is not a join pair");
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = i.email",
	        "allowed joins", "must pair a column of purchases with one of a table before it");
	/* a third table must pair with one joined before it, too */
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = p.email "
	        "JOIN visits v ON v.email = p.email",
	        "allowed joins", "purchases.email = visits.email is not a join pair");
}

static void test_hidden_columns(void **state)
{
	(void)state;
	answers("SELECT category, COUNT(*) AS n FROM purchases GROUP BY category ORDER BY 1",
	        "category,n\nbooks,3\ntoys,3\n");
	refused("SELECT category, COUNT(*) FROM purchases WHERE note = 'n1' GROUP BY category",
	        "hidden columns", "purchases.note is hidden");
	refused("SELECT COUNT(note) FROM purchases", "hidden columns", "purchases.note");
	refused("SELECT * FROM purchases", "hidden columns", "purchases.note");
	refused("SELECT note, COUNT(*) FROM purchases GROUP BY note", "hidden columns",
	        "found in GROUP BY");
}

static void test_id_columns(void **state)
{
	(void)state;
	answers("SELECT region, COUNT(DISTINCT email) AS people FROM impressions GROUP BY region "
	        "ORDER BY people DESC",
	        "region,people\nnorth,4\neast,3\n");
	refused("SELECT email FROM impressions", "id columns",
	        "impressions.email may only appear in a JOIN ON pair or in COUNT(DISTINCT ...), "
	        "not in the select list");
	refused("SELECT email, COUNT(*) FROM impressions GROUP BY email", "id columns",
	        "not in GROUP BY");
	refused("SELECT COUNT(*) FROM impressions WHERE email = "
	        "'0000000000000000000000000000000000000000000000000000000000000001'",
	        "id columns", "not in WHERE");
	refused("SELECT COUNT(email) FROM impressions", "id columns", "not in COUNT(...)");
	refused("SELECT MIN(email) FROM impressions", "id columns", "not in MIN(...)");
	refused("SELECT COUNT(DISTINCT CASE WHEN region = 'north' THEN email END) "
	        "FROM impressions",
	        "id columns", "not in an expression inside COUNT(DISTINCT ...)");
	refused("SELECT SUM(CASE WHEN email = "
	        "'0000000000000000000000000000000000000000000000000000000000000001' "
	        "THEN views ELSE 0 END) FROM impressions",
	        "id columns", "not in SUM(...)");
	refused("SELECT COUNT(*) FROM impressions i JOIN purchases p ON i.email = p.email "
	        "WHERE p.email IS NOT NULL",
	        "id columns", "purchases.email");
	refused("SELECT COUNT(*) FROM impressions WHERE CASE email WHEN "
	        "'0000000000000000000000000000000000000000000000000000000000000001' "
	        "THEN TRUE ELSE FALSE END",
	        "id columns", "not in WHERE");
}

static void test_metric_columns(void **state)
{
	(void)state;
	answers("SELECT region, SUM(views) AS v, AVG(views) AS a, COUNT(views) AS c "
	        "FROM impressions GROUP BY region ORDER BY region",
	        "region,v,a,c\neast,6,2.0,3\nnorth,25,5.0,5\n");
	refused("SELECT COUNT(*) FROM impressions WHERE views > 5", "metric columns",
	        "impressions.views may only be used inside COUNT, SUM or AVG (allowed aggregates), "
	        "not in WHERE");
	refused("SELECT views, COUNT(*) FROM impressions GROUP BY views", "metric columns",
	        "not in GROUP BY");
	refused("SELECT amount FROM purchases", "metric columns", "purchases.amount");
	refused("SELECT COUNT(DISTINCT views) FROM impressions", "metric columns",
	        "not in COUNT(DISTINCT ...)");
	refused("SELECT region, COUNT(*) FROM impressions WHERE views BETWEEN 1 AND 3 "
	        "GROUP BY region",
	        "metric columns", "not in WHERE");
	/* the message names columns, never a value of the query or the data */
	{
		struct dcr_query *q = prepare(&fx.cat, "SELECT COUNT(*) FROM impressions "
		                                       "WHERE region = 'north' AND views > 7777");
		struct dcr_msg msg = {{0}};

		assert_int_equal(dcr_privacy_check(fx.c, party(fx.c, "acme"), NULL, q, &msg),
		                 DCR_ERR_REFUSED);
		assert_null(strstr(msg.text, "north"));
		assert_null(strstr(msg.text, "7777"));
		dcr_query_free(q);
	}
}

static void test_aggregation_required(void **state)
{
	(void)state;
	answers("SELECT region, 1 AS one, COUNT(*) * 2 AS twice FROM impressions "
	        "WHERE region <> 'west' GROUP BY region ORDER BY region",
	        "region,one,twice\neast,1,6\nnorth,1,10\n");
	refused("SELECT region FROM impressions", "aggregation required",
	        "output column region is neither an aggregate nor a GROUP BY key");
	refused("SELECT region FROM impressions ORDER BY region LIMIT 3", "aggregation required",
	        "region");
	refused("SELECT 1 AS x FROM impressions", "aggregation required", "output column x");
}

static void test_allowed_aggregates(void **state)
{
	struct dcr_contract *mm = contract("\"count_distinct\", \"min\", \"max\"", "");
	char *got;

	(void)state;
	answers("SELECT category, SUM(CASE WHEN day = '2026-01-05' THEN amount ELSE 0 END) AS s "
	        "FROM purchases GROUP BY category ORDER BY 1",
	        "category,s\nbooks,30.5\ntoys,0.0\n");
	refused("SELECT MIN(views) FROM impressions", "allowed aggregates",
	        "MIN is not allowed by this contract");
	refused("SELECT SUM(1) FROM impressions", "allowed aggregates",
	        "SUM must be over a metric column");
	refused("SELECT AVG(CASE WHEN region = 'north' THEN 1 ELSE 0 END) FROM impressions",
	        "allowed aggregates", "AVG must be over a metric column");
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL, "SELECT COUNT(*) FROM impressions",
	           "allowed aggregates", "COUNT(*) is not allowed");
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL, "SELECT COUNT(region) FROM impressions",
	           "allowed aggregates", "COUNT is not allowed");
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL, "SELECT SUM(views) FROM impressions",
	           "allowed aggregates", "SUM is not allowed");
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL, "SELECT MIN(region) FROM impressions",
	           "allowed aggregates", "MIN must be over a metric column");
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL, "SELECT MAX(day) FROM purchases",
	           "allowed aggregates", "MAX must be over a metric column");
	/* a metric outside the allowed aggregates: the message lists those there are */
	refused_as(mm, &fx.cat, party(mm, "acme"), NULL,
	           "SELECT COUNT(DISTINCT region) FROM impressions WHERE views > 1",
	           "metric columns", "only be used inside MIN or MAX (allowed aggregates)");
	answers("SELECT COUNT(DISTINCT region) AS r FROM impressions", "r\n4\n");
	got = run_as(mm, &fx.cat, NULL,
	             "SELECT region, MIN(views) AS lo, MAX(views) AS hi, "
	             "COUNT(DISTINCT email) AS n "
	             "FROM impressions GROUP BY region ORDER BY region");
	assert_string_equal(got, "region,lo,hi,n\neast,1,3,3\nnorth,1,10,4\n");
	free(got);
	dcr_contract_free(mm);
}

/* ---- the k rewrite ----------------------------------------------------- */

static void test_threshold(void **state)
{
	(void)state;
	/* south (2 ids), west (1) and the NULL region (1) vanish; the rest exact */
	answers("SELECT region, COUNT(*) AS n, SUM(views) AS v FROM impressions GROUP BY region "
	        "ORDER BY region",
	        "region,n,v\neast,3,6\nnorth,5,25\n");
	/* no GROUP BY: the one row goes when it covers fewer than k ids */
	answers("SELECT COUNT(*) AS n FROM impressions WHERE region = 'south'", "n\n");
	answers("SELECT COUNT(*) AS n, SUM(views) AS v FROM impressions WHERE region = 'east'",
	        "n,v\n3,6\n");
	answers("SELECT COUNT(*) AS n FROM impressions WHERE region IN ('north', 'south')",
	        "n\n8\n");
	/* k counts ids, not rows: south has 3 rows but 2 people */
	answers("SELECT region, COUNT(*) AS n FROM impressions WHERE region = 'south' "
	        "GROUP BY region",
	        "region,n\n");
	/* ids of the first table after filters: BETWEEN leaves books 3 ids, toys 1 */
	answers("SELECT category, COUNT(*) AS n FROM purchases "
	        "WHERE day BETWEEN '2026-01-05' AND '2026-01-06' GROUP BY category",
	        "category,n\nbooks,3\n");
}

static void test_threshold_left_join(void **state)
{
	(void)state;
	/* LEFT JOIN keeps every impression: north 4 ids, east 3 (one buyer), south 2 */
	answers("SELECT i.region, COUNT(DISTINCT p.email) AS buyers, SUM(p.amount) AS spent "
	        "FROM impressions i LEFT JOIN purchases p ON i.email = p.email "
	        "GROUP BY i.region ORDER BY i.region",
	        "region,buyers,spent\neast,1,3.0\nnorth,3,47.0\n");
	/* with purchases first, the ids counted are the buyers' */
	answers("SELECT i.region, COUNT(*) AS n FROM purchases p LEFT JOIN impressions i "
	        "ON p.email = i.email GROUP BY i.region ORDER BY i.region",
	        "region,n\nnorth,5\n");
}

static void test_threshold_having_order_limit(void **state)
{
	struct dcr_query *q;
	struct dcr_bquery *bq;
	struct dcr_msg msg = {{0}};

	(void)state;
	/* HAVING and k both apply: south (16) passes HAVING but not k */
	answers("SELECT region, SUM(views) AS v FROM impressions GROUP BY region "
	        "HAVING SUM(views) < 20 ORDER BY region",
	        "region,v\neast,6\n");
	answers("SELECT region, COUNT(*) AS n FROM impressions GROUP BY region "
	        "HAVING COUNT(*) > 100",
	        "region,n\n");
	/* small groups are dropped before ORDER BY and LIMIT: the smallest group
	 * that may be shown is east, not west or the NULL region */
	answers("SELECT region, COUNT(*) AS n FROM impressions GROUP BY region "
	        "ORDER BY n, region LIMIT 1",
	        "region,n\neast,3\n");
	answers("SELECT region, COUNT(*) AS n FROM impressions GROUP BY region "
	        "ORDER BY n DESC LIMIT 5",
	        "region,n\nnorth,5\neast,3\n");

	/* the rewrite: one more aggregate and a HAVING, nothing more in the output */
	q = prepare(&fx.cat, "SELECT region, COUNT(*) FROM impressions GROUP BY region");
	bq = dcr_query_bound(q);
	assert_int_equal(bq->agg_count, 1);
	assert_null(bq->having);
	assert_int_equal(dcr_privacy_check(fx.c, party(fx.c, "acme"), NULL, q, &msg), DCR_OK);
	assert_int_equal(bq->agg_count, 2);
	assert_int_equal(bq->select_count, 2);
	assert_non_null(bq->having);
	assert_int_equal(bq->having->kind, DCR_BE_COMPARE);
	assert_int_equal(bq->having->op, DCR_CMP_GE);
	assert_int_equal(bq->having->args[1]->value.v.i, 3);
	assert_true(bq->aggs[1]->distinct);
	assert_true(dcr_query_uses_column(q, "impressions", "email"));
	dcr_query_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analysts_only),
		cmocka_unit_test(test_differential_privacy),
		cmocka_unit_test(test_dp_refusals),
		cmocka_unit_test(test_dp_plan),
		cmocka_unit_test(test_dp_clamps),
		cmocka_unit_test(test_dp_noise_count),
		cmocka_unit_test(test_dp_differencing),
		cmocka_unit_test(test_dp_selection),
		cmocka_unit_test(test_dp_avg_gaussian),
		cmocka_unit_test(test_named_queries),
		cmocka_unit_test(test_contract_datasets),
		cmocka_unit_test(test_allowed_joins),
		cmocka_unit_test(test_hidden_columns),
		cmocka_unit_test(test_id_columns),
		cmocka_unit_test(test_metric_columns),
		cmocka_unit_test(test_aggregation_required),
		cmocka_unit_test(test_allowed_aggregates),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_threshold_left_join),
		cmocka_unit_test(test_threshold_having_order_limit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
