/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "cli.h"

const char cmd_verify_evidence_usage[] = "usage: dcr verify_evidence\n";

int cmd_verify_evidence(int argc, char **argv)
{
	return cmd_not_built(argc, argv);
}
