/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "cli.h"

const char cmd_contract_usage[] = "usage: dcr contract\n";

int cmd_contract(int argc, char **argv)
{
	return cmd_not_built(argc, argv);
}
