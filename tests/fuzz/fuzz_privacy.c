/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer harness for the privacy layer: bytes as a query, prepared over
 * two sets of tables with the contract's schemas, checked, and run when
 * allowed. The verdict must not depend on the data, a refusal must name a
 * rule, and where every table holds fewer than k distinct ids, whatever is
 * allowed to run must return no row at all. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcr/contract.h"
#include "dcr/noise.h"
#include "dcr/engine.h"
#include "dcr/privacy.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */
#define ROWS 24

static const char contract_fmt[] =
	"{\"dcr_contract\": 1, \"id\": \"fuzz\", \"expires\": \"2027-12-31T00:00:00Z\","
	" \"parties\": [{\"name\": \"acme\", \"public_key\": \"%s\","
	" \"roles\": [\"contributor\", \"analyst\"]}],"
	" \"datasets\": ["
	"  {\"name\": \"impressions\", \"owner\": \"acme\", \"columns\": ["
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},"
	"    {\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"},"
	"    {\"name\": \"views\", \"type\": \"int\", \"role\": \"metric\","
	"     \"bounds\": [0, 100]}]},"
	"  {\"name\": \"purchases\", \"owner\": \"acme\", \"columns\": ["
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},"
	"    {\"name\": \"category\", \"type\": \"string\", \"role\": \"dimension\"},"
	"    {\"name\": \"day\", \"type\": \"date\", \"role\": \"dimension\"},"
	"    {\"name\": \"amount\", \"type\": \"float\", \"role\": \"metric\","
	"     \"bounds\": [0, 1000]},"
	"    {\"name\": \"note\", \"type\": \"string\", \"role\": \"hidden\"}]},"
	"  {\"name\": \"visits\", \"owner\": \"acme\", \"columns\": ["
	"    {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},"
	"    {\"name\": \"site\", \"type\": \"string\", \"role\": \"dimension\"}]}],"
	" \"rules\": {\"min_distinct_ids\": 3,"
	"   \"joins\": [[\"impressions.email\", \"purchases.email\"],"
	"               [\"visits.email\", \"impressions.email\"]],"
	"   \"aggregates\": [\"count\", \"count_distinct\", \"sum\", \"avg\", \"min\", \"max\"]},"
	" \"tee\": {\"accept\": [\"sim\"]}}";

struct world {
	struct dcr_table *tables[3];
	const struct dcr_table *list[3];
	struct dcr_catalog cat;
};

static struct dcr_contract *contract, *dp_contract;
static struct world few, many; /* ids 1..2 (under k) and 1..12 */

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* A table of dataset ds with ROWS rows of made-up values, ids 1..ids. */
static struct dcr_table *make_table(const struct dcr_dataset *ds, unsigned ids, uint64_t seed)
{
	static const char *const words[] = {"north", "south", "east", "", "books", "toys"};
	struct dcr_csv_column cols[8];
	struct dcr_csv_options opts = {.columns = cols, .column_count = ds->column_count,
	                               .threads = 1};
	struct dcr_csv_reader *r = NULL;
	struct dcr_table *t = NULL;
	struct dcr_msg msg;
	struct dcr_buf b;

	dcr_buf_init(&b, 1 << 20);
	for (size_t c = 0; c < ds->column_count; c++) {
		static const enum dcr_type types[] = {
			[DCR_COL_ID] = DCR_TYPE_ID, [DCR_COL_STRING] = DCR_TYPE_STRING,
			[DCR_COL_INT] = DCR_TYPE_INT, [DCR_COL_FLOAT] = DCR_TYPE_FLOAT,
			[DCR_COL_DATE] = DCR_TYPE_DATE};

		cols[c] = (struct dcr_csv_column){ds->columns[c].name, types[ds->columns[c].type]};
		if (dcr_buf_printf(&b, "%s%s", c ? "," : "", ds->columns[c].name))
			abort();
	}
	for (size_t i = 0; i < ROWS; i++) {
		for (size_t c = 0; c < ds->column_count; c++) {
			uint64_t x = next(&seed);
			enum dcr_err err = DCR_OK;

			err = dcr_buf_printf(&b, "%s", c ? "," : "\n");
			if (err)
				abort();
			switch (ds->columns[c].type) {
			case DCR_COL_ID:
				err = dcr_buf_printf(&b, "%062x%02x", 0u, (unsigned)(x % ids) + 1);
				break;
			case DCR_COL_STRING:
				err = dcr_buf_printf(&b, "%s", words[x % 6]);
				break;
			case DCR_COL_INT:
				/* every seventh empty: NULL metrics */
				if (x % 7)
					err = dcr_buf_printf(&b, "%u", (unsigned)(x % 100));
				break;
			case DCR_COL_FLOAT:
				err = dcr_buf_printf(&b, "%u.5", (unsigned)(x % 1000));
				break;
			case DCR_COL_DATE:
				err = dcr_buf_printf(&b, "2026-01-%02u", (unsigned)(x % 28) + 1);
				break;
			}
			if (err)
				abort();
		}
	}
	if (dcr_csv_reader_new(ds->name, &opts, &r) ||
	    dcr_csv_reader_write(r, b.data, b.size, &msg) ||
	    dcr_csv_reader_finish(r, &t, &msg))
		abort();
	dcr_csv_reader_free(r);
	dcr_buf_free(&b);
	return t;
}

static void make_world(struct world *w, unsigned ids)
{
	for (size_t i = 0; i < 3; i++) {
		w->tables[i] = make_table(&contract->datasets[i], ids, 0x9e3779b97f4a7c15ULL + i);
		w->list[i] = w->tables[i];
	}
	w->cat = (struct dcr_catalog){w->list, 3};
}

static void setup(void)
{
	uint8_t sign_seed[32], box_seed[32];
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey pub;
	char line[DCR_PUBKEY_LINE_SIZE], text[sizeof(contract_fmt) + DCR_PUBKEY_LINE_SIZE];
	struct dcr_msg msg;

	memset(sign_seed, 1, sizeof(sign_seed));
	memset(box_seed, 101, sizeof(box_seed));
	if (dcr_crypto_init() != DCR_OK ||
	    dcr_seckey_from_seeds(sign_seed, box_seed, &key) != DCR_OK)
		abort();
	dcr_seckey_public(key, &pub);
	dcr_pubkey_format(&pub, line);
	dcr_seckey_free(key);
	snprintf(text, sizeof(text), contract_fmt, line);
	if (dcr_contract_parse(text, strlen(text), NOW, 0, &contract, &msg) != DCR_OK)
		abort();
	/* the same contract with differential privacy */
	{
		char dp_text[sizeof(text) + 256];
		const char *at = strstr(text, "\"min_distinct_ids\"");
		int n;

		if (!at)
			abort();
		n = snprintf(dp_text, sizeof(dp_text),
		             "%.*s\"dp\": {\"epsilon_per_analyst\": 10, \"epsilon_per_query\": 1, "
		             "\"delta\": 1e-6, \"max_rows_per_id\": 2}, %s",
		             (int)(at - text), text, at);
		if (n <= 0 || (size_t)n >= sizeof(dp_text) ||
		    dcr_contract_parse(dp_text, (size_t)n, NOW, 0, &dp_contract, &msg) != DCR_OK)
			abort();
	}
	make_world(&few, 2);
	make_world(&many, 12);
}

/* Checks (and when allowed runs) sql over w; returns the check's verdict
 * and, through out_rows, the rows of the answer (0 when it did not run). */
static enum dcr_err check_and_run(const struct world *w, const char *sql, size_t len,
                                  uint64_t *out_rows)
{
	struct dcr_exec_options opts = {.threads = 1, .max_rows = 100000,
	                                .max_memory = (size_t)64 << 20};
	struct dcr_query *q = NULL;
	struct dcr_table *result = NULL;
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	*out_rows = 0;
	if (dcr_query_prepare(&w->cat, sql, len, &q, &msg) != DCR_OK)
		return DCR_ERR_SQL;
	err = dcr_privacy_check(contract, &contract->parties[0], NULL, q, &msg);
	if (err == DCR_ERR_REFUSED && strncmp(msg.text, "rule '", 6))
		abort(); /* a refusal that does not name its rule */
	if (err == DCR_OK && dcr_query_run(q, &opts, &result, NULL, &msg) == DCR_OK) {
		*out_rows = result->row_count;
		dcr_table_free(result);
	}
	dcr_query_free(q);
	return err;
}

static void zero_bytes(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	memset(buf, 0x5a, n);
}

/* The DP path: planned, run with the cap, noised (a fixed test source of
 * randomness: only the invariants matter here). Whatever is released has
 * only the analyst's output columns. */
static enum dcr_err check_dp(const struct world *w, const char *sql, size_t len)
{
	struct dcr_exec_options opts = {.threads = 1, .max_memory = (size_t)64 << 20};
	struct dcr_rng_seeded seeded;
	struct dcr_rng rng;
	struct dcr_query *q = NULL;
	struct dcr_dp_plan *plan = NULL;
	struct dcr_table *result = NULL;
	struct dcr_msg msg = {{0}};
	struct dcr_buf lines;
	enum dcr_err err;

	if (dcr_query_prepare(&w->cat, sql, len, &q, &msg) != DCR_OK)
		return DCR_ERR_SQL;
	err = dcr_privacy_check_dp(dp_contract, &dp_contract->parties[0], NULL, 1.0, q, &plan,
	                           &msg);
	if (err == DCR_ERR_REFUSED && strncmp(msg.text, "rule '", 6))
		abort();
	if (err == DCR_OK) {
		struct dcr_exec_cap cap = {.rel = plan->cap_rel, .column = plan->cap_column,
		                           .max_rows = plan->cap, .random = zero_bytes};

		opts.cap = &cap;
		dcr_buf_init(&lines, 1 << 16);
		dcr_rng_seeded_init(&seeded, 1, &rng);
		if (dcr_query_run(q, &opts, &result, NULL, &msg) == DCR_OK &&
		    dcr_privacy_add_noise(plan, result, &rng, &lines, &msg) == DCR_OK &&
		    result->column_count != plan->col_count)
			abort(); /* a hidden column left */
		dcr_table_free(result);
		dcr_buf_free(&lines);
	}
	dcr_dp_plan_free(plan);
	dcr_query_free(q);
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rows_few, rows_many;
	enum dcr_err a, b;

	if (!contract)
		setup();
	if (size > 4096)
		return 0; /* long queries only slow the search; the parser has its own harness */
	a = check_and_run(&few, (const char *)data, size, &rows_few);
	b = check_and_run(&many, (const char *)data, size, &rows_many);
	if (a != b)
		abort(); /* the rules looked at the data */
	if (rows_few != 0)
		abort(); /* a row from fewer than k people left the clean room */
	if (check_dp(&few, (const char *)data, size) != check_dp(&many, (const char *)data, size))
		abort(); /* the DP rules looked at the data */
	return 0;
}
