/* SPDX-License-Identifier: Apache-2.0 */
/* dcr attest: verifies a running clean room against the contract and says
 * what was verified — the first thing every other client command does. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dcr/client.h"

const char cmd_attest_usage[] =
	"usage: dcr attest --server URL --contract FILE [--vcek F] [--collateral F]\n"
	"\n"
	"Verifies the clean room at URL before you trust it with anything: fetches its\n"
	"attestation evidence (GET /v1/attestation) and checks, against your own copy\n"
	"of the contract (which every party must have signed):\n"
	"  - the clean room runs this very contract (same hash);\n"
	"  - its TEE kind is one the contract accepts, and the evidence verifies;\n"
	"  - its measurements are the ones the contract pins, if it pins any;\n"
	"  - the evidence binds the contract's hash and the clean room's public keys,\n"
	"    so those keys exist only inside that TEE.\n"
	"Then prints what was verified. dcr upload, query, audit and budget do the same\n"
	"checks first and send nothing to a clean room that fails them.\n"
	"\n"
	"  --server URL      the clean room, e.g. http://127.0.0.1:8080 (or DCR_SERVER)\n"
	"  --contract FILE   the signed contract (or DCR_CONTRACT)\n"
	"  --vcek F          SNP: the chip's VCEK (DER) when the evidence has none (or\n"
	"                    DCR_VCEK); without it dcr asks AMD KDS and caches the answer\n"
	"                    (DCR_OFFLINE=1: never)\n"
	"  --collateral F    SGX/TDX: DCAP collateral JSON for the TCB status (or\n"
	"                    DCR_COLLATERAL); without it dcr asks Intel PCS and caches\n"
	"                    the answer (DCR_OFFLINE=1: never)\n"
	"\n"
	"A clean room on the simulated TEE (sim) is reported as SIMULATED: it protects\n"
	"nothing, and is accepted only when the contract's tee.accept lists sim.\n"
	"\n"
	"Exit codes: 0 verified; 1 the clean room cannot be reached, or a file cannot be\n"
	"read; 2 usage; 3 verification failed (the message names the step).\n";

static bool pinned(const struct dcr_contract *c, enum dcr_tee tee, const char *name)
{
	for (size_t i = 0; i < c->pin_count; i++)
		if (c->pins[i].tee == tee && !strcmp(c->pins[i].name, name))
			return true;
	return false;
}

static void print_room(const struct cli_client *cc, const struct dcr_room *room)
{
	const struct dcr_attest_claims *cl = &room->claims;
	char hex[2 * DCR_TEE_VALUE_MAX + 1], line[DCR_PUBKEY_LINE_SIZE], when[21];

	printf("%-15s %s\n", "clean room:", room->url);
	printf("%-15s %s\n", "contract:", cc->contract->id);
	dcr_contract_hash_hex(cc->contract, hex);
	printf("%-15s %s (the clean room runs exactly this contract)\n", "contract hash:", hex);
	printf("%-15s %s\n", "tee:", dcr_tee_name(room->tee));
	if (room->tee == DCR_TEE_SIM)
		printf("%-15s SIMULATED, NOT SECURE: any host can make this evidence and read the\n"
		       "%-15s clean room's memory; accepted only because the contract lists sim\n",
		       "", "");
	if (room->tee != DCR_TEE_SIM)
		printf("%-15s %s\n", "debug:", cl->debug ? "yes" : "no");
	if (cl->timestamp) {
		dcr_time_format(cl->timestamp, when);
		printf("%-15s %s\n", "evidence time:", when);
	}
	for (size_t i = 0; i < cl->measurement_count; i++) {
		char label[40];

		dcr_hex_encode(hex, cl->measurements[i].value, cl->measurements[i].size);
		snprintf(label, sizeof(label), "%s:", cl->measurements[i].name);
		printf("%-15s %s (%s)\n", label, hex,
		       pinned(cc->contract, room->tee, cl->measurements[i].name)
		               ? "pinned by the contract: matches"
		               : "not pinned by the contract");
	}
	dcr_pubkey_format(&room->key, line);
	printf("%-15s %s\n", "room key:", line);
	printf("%-15s the evidence binds this contract's hash and the room key\n", "verified:");
}

int cmd_attest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"contract", required_argument, NULL, 'c'},
		{"vcek", required_argument, NULL, 'v'},
		{"collateral", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	struct cli_client cc = {0};
	struct dcr_room room;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': cc.server = optarg; break;
		case 'c': cc.contract_path = optarg; break;
		case 'v': cc.vcek_path = optarg; break;
		case 'l': cc.collateral_path = optarg; break;
		default: return cli_bad_option("attest", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("attest", "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_client_args("attest", false, &cc)))
		return rc;
	if (!(rc = cli_client_load(&cc)) && !(rc = cli_client_attest(&cc, &room)))
		print_room(&cc, &room);
	cli_client_close(&cc);
	return rc;
}
