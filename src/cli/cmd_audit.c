/* SPDX-License-Identifier: Apache-2.0 */
/* dcr audit: fetches the clean room's audit log, verifies every signature
 * and link of its hash chain, and prints it one entry a line. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "dcr/client.h"

const char cmd_audit_usage[] =
	"usage: dcr audit --server URL --contract FILE [--key KEY]\n"
	"\n"
	"Fetches the clean room's audit log (GET /v1/audit, a signed request: KEY, or\n"
	"DCR_KEY, is required; any party's key will do) and verifies it: every entry\n"
	"signed by the clean room's attested key, each linked to the one before by its\n"
	"hash, numbered from 1 with none missing, and the first the start of a clean\n"
	"room for this contract. Then prints one line per entry: sequence number, time,\n"
	"party, action and its details (dataset, rows and content hash of an upload;\n"
	"the SQL of a query, or the rule that refused it).\n"
	"\n"
	"  --server URL      the clean room (or DCR_SERVER)\n"
	"  --contract FILE   the signed contract (or DCR_CONTRACT)\n"
	"  --key KEY         your secret key file (or DCR_KEY)\n"
	"\n"
	"Exit codes: 0 the whole log verified; 1 network or file error; 2 usage; 3\n"
	"verification failed: the clean room, or an entry of the log (named), whose\n"
	"signature or link does not hold.\n";

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void print_entry(const struct dcr_audit_entry *e)
{
	json_t *j = json_loadb(e->text, e->len, 0, NULL);
	const char *action = str(j, "action"), *ch;
	json_int_t rows = json_integer_value(json_object_get(j, "rows"));
	char line[1200];
	int n;

	n = snprintf(line, sizeof(line), "%4lld  %s  %-10s %-7s",
	             (long long)json_integer_value(json_object_get(j, "seq")), str(j, "time"),
	             str(j, "party"), action);
	if (!strcmp(action, "start")) {
		ch = str(j, "contract");
		snprintf(line + n, sizeof(line) - (size_t)n, " contract %.16s", ch);
	} else if (!strcmp(action, "upload")) {
		ch = str(j, "content_hash");
		snprintf(line + n, sizeof(line) - (size_t)n, " %s: %lld rows, content %.16s",
		         str(j, "dataset"), (long long)rows, ch);
	} else if (!strcmp(action, "query")) {
		const json_t *refused = json_object_get(j, "refused");

		if (refused && !json_is_false(refused) && !json_is_null(refused))
			snprintf(line + n, sizeof(line) - (size_t)n, " REFUSED (%s): %.300s",
			         json_is_string(refused) ? json_string_value(refused) : str(j, "rule"),
			         str(j, "query"));
		else
			snprintf(line + n, sizeof(line) - (size_t)n, " %lld rows, result %.16s: %.300s",
			         (long long)rows, str(j, "result_hash"), str(j, "query"));
	}
	/* the log quotes other parties' text: no control characters reach the
	 * terminal */
	cli_print_clean(stdout, line, strlen(line));
	fputc('\n', stdout);
	json_decref(j);
}

int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"contract", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	struct cli_client cc = {0};
	struct dcr_audit_log log = {0};
	struct dcr_msg msg = {{0}};
	enum dcr_err err;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': cc.server = optarg; break;
		case 'c': cc.contract_path = optarg; break;
		case 'k': cc.key_path = optarg; break;
		default: return cli_bad_option("audit", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("audit", "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_client_args("audit", false, &cc)))
		return rc;
	if (!cc.key_path) {
		rc = cli_usage_error("audit", "--key KEY is required (or set DCR_KEY): the audit "
		                     "log is fetched with a signed request");
		return rc;
	}
	if ((rc = cli_client_load(&cc)) || (rc = cli_client_attest(&cc, NULL)))
		goto out;
	err = dcr_client_audit(cc.client, &log, &msg);
	if (err) {
		rc = cli_fail(err, &msg);
		if (err == DCR_ERR_VERIFY)
			fprintf(stderr, "The audit log does not verify: do not trust it.\n");
		goto out;
	}
	for (size_t i = 0; i < log.count; i++)
		print_entry(&log.entries[i]);
	printf("verified: %zu entries, each signed by the attested clean room and chained to "
	       "the one before\n", log.count);
out:
	dcr_audit_log_free(&log);
	cli_client_close(&cc);
	return rc;
}
