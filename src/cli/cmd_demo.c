/* SPDX-License-Identifier: Apache-2.0 */
/* PLACEHOLDER: being written. */
#include "cli.h"

const char cmd_demo_usage[] = "usage: dcr demo\n";

int cmd_demo(int argc, char **argv)
{
	return cmd_not_built(argc, argv);
}
