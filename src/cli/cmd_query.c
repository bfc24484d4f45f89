/* SPDX-License-Identifier: Apache-2.0 */
/* dcr query: one privacy-checked query in the verified clean room; the
 * answer's receipt is checked before a byte of it is shown. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dcr/client.h"

#define SQL_MAX (1u << 20)

const char cmd_query_usage[] =
	"usage: dcr query --server URL --contract FILE --key KEY [--format csv|json|table]\n"
	"                 [--name NAME] [--receipt FILE] [--epsilon E] [--ci] [SQL]\n"
	"\n"
	"Runs SQL (docs/SQL.md; - reads it from standard input), or the contract's\n"
	"named query NAME, in the clean room at URL, as the analyst whose key is KEY.\n"
	"The clean room is verified first (as dcr attest does). The privacy rules of\n"
	"the contract decide whether the query may run (docs/PRIVACY.md); the answer\n"
	"comes encrypted to KEY with a receipt signed by the clean room's attested key.\n"
	"The receipt is checked before anything is printed: the signature, this\n"
	"contract, this analyst, this query, and the result's hash.\n"
	"\n"
	"  --server URL      the clean room (or DCR_SERVER)\n"
	"  --contract FILE   the signed contract (or DCR_CONTRACT)\n"
	"  --key KEY         your secret key file (or DCR_KEY)\n"
	"  --format F        csv (default), json or table\n"
	"  --name NAME       run the contract's named query NAME instead of SQL (a\n"
	"                    contract with rules.queries runs only those)\n"
	"  --receipt FILE    also save the receipt: its text, then a line\n"
	"                    \"signature: <base64>\" (anyone with the room's public key\n"
	"                    can check it later)\n"
	"differential privacy (a contract with rules.dp; docs/PRIVACY.md):\n"
	"  --epsilon E       spend E of your budget on this query (default: the\n"
	"                    contract's epsilon_per_query); more epsilon, less noise.\n"
	"                    dcr budget shows what is left\n"
	"  --ci              after each noisy column, a column <name>_ci95: the\n"
	"                    half-width of a 95 %% interval of its noise (AVG has none)\n"
	"\n"
	"Exit codes: 0 success; 1 network or file error; 2 usage; 3 verification\n"
	"failed (the clean room, or the answer's receipt); 4 refused: the SQL is not\n"
	"valid, a rule of the contract forbids the query, the budget is spent, or KEY\n"
	"is not an analyst's. The clean room's message says which.\n";

static int read_stdin_sql(struct dcr_buf *out)
{
	char chunk[4096];
	size_t n;

	dcr_buf_init(out, SQL_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (dcr_buf_append(out, chunk, n)) {
			dcr_log_error("the SQL on standard input is over %u bytes", SQL_MAX);
			return EXIT_ERROR;
		}
	if (ferror(stdin)) {
		dcr_log_error("cannot read standard input");
		return EXIT_ERROR;
	}
	return dcr_buf_append(out, "", 0) ? EXIT_ERROR : EXIT_OK;
}

static void list_queries(const struct dcr_contract *c, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < c->query_count && strlen(out) + 100 < size; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? ", " : "",
		         c->queries[i].name);
}

int cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"contract", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"format", required_argument, NULL, 'f'},
		{"name", required_argument, NULL, 'n'},
		{"receipt", required_argument, NULL, 'r'},
		{"epsilon", required_argument, NULL, 'e'},
		{"ci", no_argument, NULL, 'i'},
		{NULL, 0, NULL, 0},
	};
	struct cli_client cc = {0};
	struct dcr_query_answer ans = {0};
	struct dcr_buf sql_in = {0}, out = {0}, receipt = {0};
	struct dcr_msg msg = {{0}};
	const struct dcr_party *me;
	const char *name = NULL, *sql = NULL, *receipt_path = NULL;
	enum dcr_format format = DCR_FORMAT_CSV;
	double epsilon = 0;
	bool ci = false;
	char *end;
	enum dcr_err err;
	char list[512];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': cc.server = optarg; break;
		case 'c': cc.contract_path = optarg; break;
		case 'k': cc.key_path = optarg; break;
		case 'n': name = optarg; break;
		case 'r': receipt_path = optarg; break;
		case 'i': ci = true; break;
		case 'e':
			epsilon = strtod(optarg, &end);
			if (end == optarg || *end || !(epsilon > 0) || epsilon > 1e6)
				return cli_usage_error("query", "--epsilon '%s': expected a number "
				                       "greater than 0", optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "csv"))
				format = DCR_FORMAT_CSV;
			else if (!strcmp(optarg, "json"))
				format = DCR_FORMAT_JSON;
			else if (!strcmp(optarg, "table"))
				format = DCR_FORMAT_TABLE;
			else
				return cli_usage_error("query", "--format must be csv, json or table, "
				                       "not '%s'", optarg);
			break;
		default: return cli_bad_option("query", c, argv);
		}
	}
	if (optind < argc)
		sql = argv[optind++];
	if (optind < argc)
		return cli_usage_error("query", "unexpected argument '%s' (quote the SQL as one "
		                       "argument)", argv[optind]);
	if (sql && name)
		return cli_usage_error("query", "give SQL or --name NAME, not both");
	if (!sql && !name)
		return cli_usage_error("query", "SQL (or --name NAME) is required");
	if ((rc = cli_client_args("query", true, &cc)))
		return rc;
	if ((rc = cli_client_load(&cc)))
		goto out;
	if ((epsilon > 0 || ci) && !cc.contract->has_dp) {
		rc = cli_usage_error("query", "%s: this contract has no rules.dp (its answers "
		                     "are exact)", epsilon > 0 ? "--epsilon" : "--ci");
		goto out;
	}
	if (name) {
		bool found = false;

		for (size_t i = 0; i < cc.contract->query_count; i++)
			found = found || !strcmp(cc.contract->queries[i].name, name);
		if (!found) {
			list_queries(cc.contract, list, sizeof(list));
			rc = cli_usage_error("query", "--name %s: the contract has no such query%s%s%s",
			                     name, list[0] ? " (its queries: " : "", list,
			                     list[0] ? ")" : "");
			goto out;
		}
	} else if (cc.contract->query_count) {
		list_queries(cc.contract, list, sizeof(list));
		dcr_msg_set(&msg, "this contract runs only its named queries: use --name NAME "
		            "(%s)", list);
		rc = cli_fail(DCR_ERR_REFUSED, &msg);
		goto out;
	}
	if (sql && !strcmp(sql, "-")) {
		if ((rc = read_stdin_sql(&sql_in)))
			goto out;
		sql = (const char *)sql_in.data;
	}
	if ((rc = cli_client_attest(&cc, NULL)))
		goto out;
	me = dcr_client_party(cc.client);
	if (!(me->roles & DCR_PARTY_ANALYST)) {
		dcr_msg_set(&msg, "%s is not an analyst in the contract: only analysts may query",
		            me->name);
		rc = cli_fail(DCR_ERR_REFUSED, &msg);
		goto out;
	}
	dcr_client_set_epsilon(cc.client, epsilon);
	err = dcr_client_query(cc.client, sql, name, &ans, &msg);
	if (err) {
		rc = cli_fail(err, &msg);
		goto out;
	}
	/* verified: now it may be shown */
	ans.with_ci = ci;
	dcr_buf_init(&out, (size_t)1 << 32);
	if ((err = dcr_query_answer_format(&ans, format, &out, &msg))) {
		rc = cli_fail(err, &msg);
		goto out;
	}
	rc = EXIT_OK;
	if (receipt_path) {
		dcr_buf_init(&receipt, 1u << 20);
		err = dcr_query_answer_receipt(&ans, &receipt);
		if (!err)
			err = dcr_file_write_atomic(receipt_path, receipt.data, receipt.size, 0644,
			                            DCR_WRITE_REPLACE, &msg);
		if (err) {
			/* the result is still shown: it is verified, and may have cost budget */
			dcr_msg_prefix(&msg, "--receipt: ");
			rc = cli_fail(err, &msg);
		}
	}
	if (out.size && fwrite(out.data, 1, out.size, stdout) != out.size) {
		dcr_log_error("cannot write the result to standard output");
		rc = EXIT_ERROR;
	}
	dcr_log_info("receipt verified: signed by the attested clean room, audit entry %llu",
	             (unsigned long long)ans.audit_seq);
out:
	dcr_buf_free(&sql_in);
	dcr_buf_free(&out);
	dcr_buf_free(&receipt);
	dcr_query_answer_free(&ans);
	cli_client_close(&cc);
	return rc;
}
