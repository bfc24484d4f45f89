/* SPDX-License-Identifier: Apache-2.0 */
/* dcr budget: an analyst's differential-privacy budget, as the verified
 * clean room counts it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dcr/client.h"

const char cmd_budget_usage[] =
	"usage: dcr budget --server URL --contract FILE --key KEY\n"
	"\n"
	"Shows how much of your privacy budget (epsilon, rules.dp of the contract) your\n"
	"queries have spent and how much is left. The clean room is verified first (as\n"
	"dcr attest does); the request is signed with KEY, an analyst's key.\n"
	"\n"
	"  --server URL      the clean room (or DCR_SERVER)\n"
	"  --contract FILE   the signed contract (or DCR_CONTRACT)\n"
	"  --key KEY         your secret key file (or DCR_KEY)\n"
	"\n"
	"Exit codes: 0 success; 1 network or file error; 2 usage; 3 verification\n"
	"failed; 4 refused (KEY is not an analyst's).\n";

int cmd_budget(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"contract", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	struct cli_client cc = {0};
	struct dcr_budget b;
	struct dcr_msg msg = {{0}};
	const struct dcr_party *me;
	enum dcr_err err;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': cc.server = optarg; break;
		case 'c': cc.contract_path = optarg; break;
		case 'k': cc.key_path = optarg; break;
		default: return cli_bad_option("budget", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("budget", "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_client_args("budget", true, &cc)))
		return rc;
	if ((rc = cli_client_load(&cc)) || (rc = cli_client_attest(&cc, NULL)))
		goto out;
	me = dcr_client_party(cc.client);
	if (!(me->roles & DCR_PARTY_ANALYST)) {
		dcr_msg_set(&msg, "%s is not an analyst in the contract: only analysts have a "
		            "budget", me->name);
		rc = cli_fail(DCR_ERR_REFUSED, &msg);
		goto out;
	}
	err = dcr_client_budget(cc.client, &b, &msg);
	if (err) {
		rc = cli_fail(err, &msg);
		goto out;
	}
	printf("%-19s %s\n", "analyst:", me->name);
	if (!b.dp) {
		printf("%-19s none: the contract has no differential privacy (answers are exact,\n"
		       "%-19s protected by the minimum of distinct ids only)\n", "budget:", "");
	} else {
		printf("%-19s %g\n", "epsilon total:", b.epsilon_total);
		printf("%-19s %g\n", "epsilon spent:", b.epsilon_spent);
		printf("%-19s %g\n", "epsilon remaining:", b.epsilon_remaining);
	}
out:
	cli_client_close(&cc);
	return rc;
}
