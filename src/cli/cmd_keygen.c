/* SPDX-License-Identifier: Apache-2.0 */
/* dcr keygen: a party's Ed25519 signing and X25519 encryption key pair. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "dcr/crypto.h"

const char cmd_keygen_usage[] =
	"usage: dcr keygen --out PREFIX\n"
	"\n"
	"Makes a party's key pair: an Ed25519 key that signs contracts and requests,\n"
	"and an X25519 key that results are encrypted to.\n"
	"\n"
	"  PREFIX.key  the secret key, mode 0600; keep it secret, never share it\n"
	"  PREFIX.pub  one line, dcr-pub-1:<ed25519>:<x25519>; put it in the contract\n"
	"\n"
	"Refuses to overwrite an existing key.\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct dcr_seckey *key = NULL;
	struct dcr_pubkey pub;
	char line[DCR_PUBKEY_LINE_SIZE];
	struct dcr_msg msg = {{0}};
	const char *prefix = NULL;
	enum dcr_err err;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		default:
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (!prefix || !*prefix)
		return cli_usage_error("keygen", "--out PREFIX is required");

	err = dcr_seckey_generate(&key);
	if (!err)
		err = dcr_seckey_save(key, prefix, &msg);
	if (err) {
		dcr_seckey_free(key);
		return cli_fail(err, &msg);
	}
	dcr_seckey_public(key, &pub);
	dcr_pubkey_format(&pub, line);
	dcr_seckey_free(key);
	printf("wrote %s.key (secret, mode 0600) and %s.pub\n%s\n", prefix, prefix, line);
	return EXIT_OK;
}
