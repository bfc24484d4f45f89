/* SPDX-License-Identifier: Apache-2.0 */
/* dcr sql: the engine on a party's own CSV files, locally, with no privacy
 * rules: for trying queries before running them in the clean room. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dcr/contract.h"
#include "dcr/crypto.h"
#include "dcr/engine.h"

const char cmd_sql_usage[] =
	"usage: dcr sql [--contract FILE] --table NAME=FILE.csv ... [--format csv|json|table]\n"
	"               [--all-columns] [--stats] [--threads N] SQL\n"
	"\n"
	"Runs one SELECT (docs/SQL.md) over your own CSV files, on this machine, with no\n"
	"privacy rules: to try a query before it runs in the clean room.\n"
	"\n"
	"  --table NAME=FILE  load FILE (CSV with a header row) as table NAME; repeatable\n"
	"  --contract FILE    take each table's columns and types from the contract's\n"
	"                     dataset of that name (ids are normalised and hashed as it\n"
	"                     says); without it, types are inferred from the data\n"
	"  --format F         csv (default), json or table\n"
	"  --all-columns      load and check every column of every table, not only\n"
	"                     those the query reads (e.g. to check files before upload)\n"
	"  --stats            print rows, memory and time per phase to standard error\n"
	"  --threads N        threads to use (default: one per CPU)\n"
	"\n"
	"Unless --all-columns is given, only the columns the query reads are loaded,\n"
	"and only they are checked against their types.\n"
	"\n"
	"Exit codes: 0 success; 1 a file cannot be read or is not valid CSV for its\n"
	"schema, or the query fails while running (integer overflow); 2 usage; 3 the\n"
	"contract is not valid; 4 the SQL is not valid or not in the dialect.\n";

struct table_arg {
	const char *name;
	const char *path;
	const struct dcr_dataset *ds;  /* with --contract */
	struct dcr_csv_column *schema;
	size_t schema_count;
	struct dcr_table *table;
	double load_seconds;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum dcr_type type_of(enum dcr_col_type t)
{
	switch (t) {
	case DCR_COL_ID: return DCR_TYPE_ID;
	case DCR_COL_INT: return DCR_TYPE_INT;
	case DCR_COL_FLOAT: return DCR_TYPE_FLOAT;
	case DCR_COL_DATE: return DCR_TYPE_DATE;
	case DCR_COL_STRING: return DCR_TYPE_STRING;
	}
	return DCR_TYPE_STRING;
}

/* The engine calls this for an id field that is not 64 hex digits. */
static enum dcr_err normalize_id(void *ctx, const char *text, size_t len,
                                 uint8_t out[static DCR_ID_SIZE], struct dcr_msg *msg)
{
	const struct dcr_dataset *ds = ctx;

	return dcr_id_normalize(ds->columns[ds->id_column].normalize, text, len, out, msg);
}

/* An empty table with the columns of FILE's header (and the contract's
 * types), to find out which columns the query reads before loading. */
static enum dcr_err placeholder(struct table_arg *ta, struct dcr_table **out,
                                struct dcr_msg *msg)
{
	struct dcr_table *t = calloc(1, sizeof(*t));
	char **names = NULL;
	size_t count = 0;
	enum dcr_err err;

	*out = NULL;
	if (!t)
		return DCR_ERR_NOMEM;
	err = dcr_csv_read_header(ta->path, &names, &count, msg);
	if (err) {
		free(t);
		return err;
	}
	t->name = strdup(ta->name);
	t->columns = calloc(count + 1, sizeof(*t->columns));
	if (!t->name || !t->columns)
		err = DCR_ERR_NOMEM;
	for (size_t i = 0; i < count; i++) {
		struct dcr_column *c = &t->columns[i];

		if (!err) {
			c->name = names[i];
			c->type = DCR_TYPE_STRING;
			for (size_t j = 0; j < ta->schema_count; j++)
				if (!strcasecmp(ta->schema[j].name, names[i]))
					c->type = ta->schema[j].type;
			t->column_count++;
		} else {
			free(names[i]);
		}
	}
	free(names);
	if (err) {
		dcr_table_free(t);
		return dcr_fail(msg, err, "out of memory");
	}
	*out = t;
	return DCR_OK;
}

/* Prepares sql against header-only tables: which columns does it need?
 * NULL when that cannot be told (then every column is loaded). */
static struct dcr_query *probe_columns(struct table_arg *tables, size_t n, const char *sql,
                                       struct dcr_table **holders)
{
	const struct dcr_table **list = calloc(n + 1, sizeof(*list));
	struct dcr_catalog cat = {.tables = list, .count = n};
	struct dcr_query *q = NULL;
	struct dcr_msg ignored = {{0}};

	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (placeholder(&tables[i], &holders[i], &ignored) != DCR_OK)
			goto out;
		list[i] = holders[i];
	}
	/* a type error against the placeholders' guessed types is no error yet:
	 * the real types come with the data */
	if (dcr_query_prepare(&cat, sql, strlen(sql), &q, &ignored) != DCR_OK)
		q = NULL;
out:
	free(list);
	return q;
}

static void print_stats(const struct table_arg *tables, size_t n,
                        const struct dcr_exec_stats *st, double prepare_s, double format_s)
{
	struct rusage ru;

	for (size_t i = 0; i < n; i++) {
		const struct dcr_table *t = tables[i].table;

		fprintf(stderr, "stats: table %s: %zu rows, %zu columns loaded, %.1f MiB, loaded in %.3f s\n",
		        t->name, t->row_count, t->column_count,
		        (double)dcr_table_bytes(t) / (1024.0 * 1024.0), tables[i].load_seconds);
	}
	fprintf(stderr, "stats: prepare %.3f s, plan %.3f s, execute %.3f s, output %.3f s\n",
	        prepare_s, st->plan_seconds, st->exec_seconds, format_s);
	fprintf(stderr, "stats: rows scanned %llu, joined %llu, groups %llu\n",
	        (unsigned long long)st->rows_scanned, (unsigned long long)st->rows_joined,
	        (unsigned long long)st->groups);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, "stats: peak memory %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{"contract", required_argument, NULL, 'c'},
		{"table", required_argument, NULL, 't'},
		{"format", required_argument, NULL, 'f'},
		{"stats", no_argument, NULL, 's'},
		{"threads", required_argument, NULL, 'j'},
		{"all-columns", no_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	struct table_arg *tables = NULL;
	struct dcr_table **holders = NULL;
	const struct dcr_table **list = NULL;
	struct dcr_contract *contract = NULL;
	struct dcr_query *probe = NULL, *q = NULL;
	struct dcr_table *result = NULL;
	struct dcr_exec_stats st = {0};
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	const char *contract_path = NULL, *sql;
	enum dcr_format format = DCR_FORMAT_CSV;
	unsigned threads = 0;
	bool stats = false, all_columns = false;
	size_t n = 0;
	double t1, t2;
	enum dcr_err err = DCR_OK;
	int c, rc = EXIT_OK;

	dcr_buf_init(&out, (size_t)1 << 34);
	tables = calloc((size_t)argc + 1, sizeof(*tables));
	if (!tables)
		return cli_fail(DCR_ERR_NOMEM, NULL);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:t:f:sj:a", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			contract_path = optarg;
			break;
		case 't': {
			char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || !eq[1]) {
				rc = cli_usage_error("sql", "--table needs NAME=FILE.csv, not '%s'", optarg);
				goto out;
			}
			*eq = '\0';
			for (size_t i = 0; i < n; i++) {
				if (!strcasecmp(tables[i].name, optarg)) {
					rc = cli_usage_error("sql", "table %s is given twice", optarg);
					goto out;
				}
			}
			tables[n].name = optarg;
			tables[n].path = eq + 1;
			n++;
			break;
		}
		case 'f':
			if (!strcmp(optarg, "csv")) {
				format = DCR_FORMAT_CSV;
			} else if (!strcmp(optarg, "json")) {
				format = DCR_FORMAT_JSON;
			} else if (!strcmp(optarg, "table")) {
				format = DCR_FORMAT_TABLE;
			} else {
				rc = cli_usage_error("sql", "--format is csv, json or table, not '%s'", optarg);
				goto out;
			}
			break;
		case 's':
			stats = true;
			break;
		case 'a':
			all_columns = true;
			break;
		case 'j': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 1024) {
				rc = cli_usage_error("sql", "--threads takes a number from 1 to 1024");
				goto out;
			}
			threads = (unsigned)v;
			break;
		}
		default:
			rc = cli_bad_option("sql", c, argv);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = optind == argc ? cli_usage_error("sql", "the SQL query is missing")
		                    : cli_usage_error("sql", "one SQL query, as one argument (quote it)");
		goto out;
	}
	sql = argv[optind];
	if (n == 0) {
		rc = cli_usage_error("sql", "no tables: give at least one --table NAME=FILE.csv");
		goto out;
	}

	if (contract_path) {
		/* only the schemas matter here: an unsigned or expired contract will do */
		err = dcr_contract_load(contract_path, cli_now(), DCR_CONTRACT_ALLOW_EXPIRED, &contract,
		                        &msg);
		if (err) {
			rc = err == DCR_ERR_NOT_FOUND || err == DCR_ERR_IO ? cli_fail(err, &msg)
			                                                  : (cli_fail(err, &msg), EXIT_VERIFY);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			const struct dcr_dataset *ds = dcr_contract_dataset(contract, tables[i].name);

			if (!ds) {
				rc = cli_usage_error("sql", "the contract has no dataset '%s'", tables[i].name);
				goto out;
			}
			tables[i].ds = ds;
			tables[i].schema = calloc(ds->column_count, sizeof(*tables[i].schema));
			if (!tables[i].schema) {
				rc = cli_fail(DCR_ERR_NOMEM, NULL);
				goto out;
			}
			for (size_t j = 0; j < ds->column_count; j++) {
				tables[i].schema[j].name = ds->columns[j].name;
				tables[i].schema[j].type = type_of(ds->columns[j].type);
			}
			tables[i].schema_count = ds->column_count;
		}
	}

	holders = calloc(n + 1, sizeof(*holders));
	list = calloc(n + 1, sizeof(*list));
	if (!holders || !list) {
		rc = cli_fail(DCR_ERR_NOMEM, NULL);
		goto out;
	}
	if (!all_columns)
		probe = probe_columns(tables, n, sql, holders);
	for (size_t i = 0; i < n; i++) {
		struct dcr_csv_options o = {
			.columns = tables[i].schema,
			.column_count = tables[i].schema_count,
			.id_fn = tables[i].ds ? normalize_id : NULL,
			.id_ctx = (void *)tables[i].ds,
			.threads = threads,
		};
		const char **only = NULL;
		double ts = now_seconds();

		if (probe && holders[i]) {
			/* load only the columns the query reads */
			only = calloc(holders[i]->column_count + 1, sizeof(*only));
			if (!only) {
				rc = cli_fail(DCR_ERR_NOMEM, NULL);
				goto out;
			}
			for (size_t j = 0; j < holders[i]->column_count; j++)
				if (dcr_query_uses_column(probe, tables[i].name, holders[i]->columns[j].name))
					only[o.only_count++] = holders[i]->columns[j].name;
			o.only = only;
		}
		err = dcr_csv_load_file(tables[i].path, tables[i].name, &o, &tables[i].table, &msg);
		free(only);
		if (err) {
			dcr_msg_prefix(&msg, "%s: ", tables[i].path);
			rc = cli_fail(err, &msg);
			goto out;
		}
		tables[i].load_seconds = now_seconds() - ts;
		list[i] = tables[i].table;
	}

	{
		struct dcr_catalog cat = {.tables = list, .count = n};
		struct dcr_exec_options eo = {.threads = threads};

		t1 = now_seconds();
		err = dcr_query_prepare(&cat, sql, strlen(sql), &q, &msg);
		if (err) {
			rc = cli_fail(err, &msg);
			goto out;
		}
		t1 = now_seconds() - t1;
		err = dcr_query_run(q, &eo, &result, &st, &msg);
		if (err) {
			rc = cli_fail(err, &msg);
			goto out;
		}
	}
	t2 = now_seconds();
	err = dcr_result_format(result, format, &out);
	if (err) {
		rc = cli_fail(err, NULL);
		goto out;
	}
	if (fwrite(out.data, 1, out.size, stdout) != out.size || fflush(stdout) != 0) {
		dcr_log_error("cannot write the result: %s", "standard output failed");
		rc = EXIT_ERROR;
		goto out;
	}
	if (stats)
		print_stats(tables, n, &st, t1, now_seconds() - t2);
out:
	dcr_buf_free(&out);
	dcr_table_free(result);
	dcr_query_free(q);
	dcr_query_free(probe);
	for (size_t i = 0; i < n; i++) {
		dcr_table_free(tables[i].table);
		free(tables[i].schema);
		if (holders)
			dcr_table_free(holders[i]);
	}
	free(holders);
	free(list);
	free(tables);
	dcr_contract_free(contract);
	return rc;
}
