/* SPDX-License-Identifier: Apache-2.0 */
/* What every client command does first: resolve the flags and environment,
 * load the contract every party signed and the party's key, then verify
 * the clean room's evidence against that contract before anything else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dcr/client.h"
#include "dcr/contract.h"
#include "dcr/crypto.h"

int cli_client_args(const char *cmd, bool need_key, struct cli_client *cc)
{
	cc->cmd = cmd;
	cc->server = cli_or_env(cc->server, "DCR_SERVER");
	cc->contract_path = cli_or_env(cc->contract_path, "DCR_CONTRACT");
	cc->key_path = cli_or_env(cc->key_path, "DCR_KEY");
	cc->vcek_path = cli_or_env(cc->vcek_path, "DCR_VCEK");
	cc->collateral_path = cli_or_env(cc->collateral_path, "DCR_COLLATERAL");
	if (!cc->server)
		return cli_usage_error(cmd, "--server URL is required (or set DCR_SERVER)");
	if (!cc->contract_path)
		return cli_usage_error(cmd, "--contract FILE is required (or set DCR_CONTRACT)");
	if (need_key && !cc->key_path)
		return cli_usage_error(cmd, "--key KEY is required (or set DCR_KEY)");
	return EXIT_OK;
}

int cli_client_load(struct cli_client *cc)
{
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	err = dcr_contract_load(cc->contract_path, cli_now(), 0, &cc->contract, &msg);
	if (err) {
		dcr_msg_prefix(&msg, "%s: ", cc->contract_path);
		cli_fail(err, &msg);
		/* a contract that is there but not valid is a verification failure */
		return err == DCR_ERR_NOT_FOUND || err == DCR_ERR_IO || err == DCR_ERR_NOMEM
		               ? EXIT_ERROR : EXIT_VERIFY;
	}
	err = dcr_contract_verify(cc->contract, &msg);
	if (err) {
		dcr_msg_prefix(&msg, "%s: ", cc->contract_path);
		cli_fail(err, &msg);
		fprintf(stderr, "A client trusts only a contract every party has signed "
		        "(dcr contract verify %s).\n", cc->contract_path);
		return EXIT_VERIFY;
	}
	if (cc->key_path) {
		err = dcr_seckey_load(cc->key_path, &cc->key, &msg);
		if (err) {
			if (!strstr(msg.text, cc->key_path))
				dcr_msg_prefix(&msg, "%s: ", cc->key_path);
			return cli_fail(err == DCR_ERR_VERIFY ? DCR_ERR_IO : err, &msg);
		}
		{
			struct dcr_pubkey pk;
			bool found = false;

			dcr_seckey_public(cc->key, &pk);
			for (size_t i = 0; i < cc->contract->party_count; i++)
				found = found || dcr_pubkey_equal(&pk, &cc->contract->parties[i].key);
			if (!found) {
				dcr_msg_set(&msg, "%s: the key is not the key of any party of contract "
				            "%s", cc->key_path, cc->contract->id);
				return cli_fail(DCR_ERR_VERIFY, &msg);
			}
		}
	}
	return EXIT_OK;
}

int cli_client_attest(struct cli_client *cc, struct dcr_room *out)
{
	struct dcr_room room;
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	err = dcr_client_new(cc->server, cc->contract, cc->key, NULL, &cc->client, &msg);
	if (err == DCR_ERR_USAGE)
		return cli_usage_error(cc->cmd, "%s", msg.text);
	if (err) {
		if (err == DCR_ERR_VERIFY)
			dcr_msg_prefix(&msg, "%s: ", cc->key_path);
		return cli_fail(err, &msg);
	}
	{
		const char *off = getenv("DCR_OFFLINE");

		err = dcr_client_set_evidence_inputs(cc->client, cc->vcek_path, cc->collateral_path,
		                                     !(off && *off && strcmp(off, "0")), &msg);
		if (err)
			return cli_fail(err, &msg);
	}
	err = dcr_client_attest(cc->client, &room, &msg);
	if (err) {
		int rc = cli_fail(err, &msg);

		if (err != DCR_ERR_IO)
			fprintf(stderr, "The clean room at %s is not verified: nothing was sent to it.\n",
			        cc->server);
		return rc;
	}
	if (out)
		*out = room;
	return EXIT_OK;
}

void cli_client_close(struct cli_client *cc)
{
	dcr_client_free(cc->client);
	dcr_seckey_free(cc->key);
	dcr_contract_free(cc->contract);
	cc->client = NULL;
	cc->key = NULL;
	cc->contract = NULL;
}

void cli_print_clean(FILE *f, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, f);
	}
}
