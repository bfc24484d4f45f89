/* SPDX-License-Identifier: Apache-2.0 */
/* dcr demo: the clean room flow on one machine with the simulated TEE —
 * two parties, a contract both sign, a clean room whose evidence they verify. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dcr/attest.h"
#include "dcr/client.h"
#include "dcr/contract.h"

const char cmd_demo_usage[] =
	"usage: dcr demo [--dir DIR]\n"
	"\n"
	"Runs the clean room flow on this machine with the built-in SIMULATED TEE,\n"
	"which protects nothing and proves nothing about hardware: it is for trying\n"
	"dcr out, never for real data.\n"
	"\n"
	"  1. makes two parties' keys (news: contributor; acme: contributor, analyst)\n"
	"  2. writes a contract between them and has both sign it\n"
	"  3. verifies the contract, and shows that one changed character breaks it\n"
	"  4. starts a clean room identity inside the simulated TEE (fresh keys,\n"
	"     evidence bound to the contract hash and those keys)\n"
	"  5. verifies that evidence against the contract as a party would, and\n"
	"     shows that evidence for other keys is refused\n"
	"\n"
	"  --dir DIR   where to put the files (created; must not hold a previous demo)\n"
	"              default: a new directory under $TMPDIR or /tmp\n"
	"\n"
	"The files stay there for you to inspect, e.g. dcr contract show DIR/contract.json\n";

static const char contract_template[] =
	"{\n"
	"  \"dcr_contract\": 1,\n"
	"  \"id\": \"demo-news-x-acme\",\n"
	"  \"expires\": \"%s\",\n"
	"  \"parties\": [\n"
	"    {\"name\": \"news\", \"public_key\": \"%s\", \"roles\": [\"contributor\"]},\n"
	"    {\"name\": \"acme\", \"public_key\": \"%s\",\n"
	"     \"roles\": [\"contributor\", \"analyst\"]}\n"
	"  ],\n"
	"  \"datasets\": [\n"
	"    {\"name\": \"impressions\", \"owner\": \"news\", \"columns\": [\n"
	"      {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"      {\"name\": \"region\", \"type\": \"string\", \"role\": \"dimension\"},\n"
	"      {\"name\": \"views\", \"type\": \"int\", \"role\": \"metric\", \"bounds\": [0, 100]}\n"
	"    ]},\n"
	"    {\"name\": \"purchases\", \"owner\": \"acme\", \"columns\": [\n"
	"      {\"name\": \"email\", \"type\": \"id\", \"normalize\": \"email\"},\n"
	"      {\"name\": \"category\", \"type\": \"string\", \"role\": \"dimension\"},\n"
	"      {\"name\": \"day\", \"type\": \"date\", \"role\": \"dimension\"},\n"
	"      {\"name\": \"amount\", \"type\": \"float\", \"role\": \"metric\",\n"
	"       \"bounds\": [0, 1000]},\n"
	"      {\"name\": \"note\", \"type\": \"string\", \"role\": \"hidden\"}\n"
	"    ]}\n"
	"  ],\n"
	"  \"rules\": {\n"
	"    \"min_distinct_ids\": 25,\n"
	"    \"joins\": [[\"impressions.email\", \"purchases.email\"]],\n"
	"    \"aggregates\": [\"count\", \"count_distinct\", \"sum\", \"avg\"],\n"
	"    \"dp\": {\"epsilon_per_analyst\": 3.0, \"epsilon_per_query\": 0.5,\n"
	"           \"delta\": 1e-7, \"max_rows_per_id\": 10}\n"
	"  },\n"
	"  \"tee\": {\"accept\": [\"sim\"],\n"
	"          \"measurements\": {\"sim\": {\"measurement\": \"%s\"}}}\n"
	"}\n";

struct demo {
	char dir[4096];
	char path[4200];          /* scratch for file names */
	struct dcr_seckey *news, *acme, *room;
	struct dcr_contract *contract;
	struct dcr_buf evidence;
	struct dcr_msg msg;
};

static const char *in_dir(struct demo *d, const char *name)
{
	snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, name);
	return d->path;
}

static void step(int n, const char *what)
{
	printf("\n%d. %s\n", n, what);
}

static enum dcr_err make_dir(struct demo *d, const char *want)
{
	const char *base = getenv("TMPDIR");

	if (want) {
		snprintf(d->dir, sizeof(d->dir), "%s", want);
		if (mkdir(d->dir, 0700) < 0 && errno != EEXIST)
			return dcr_fail(&d->msg, DCR_ERR_IO, "%s: %s", d->dir, strerror(errno));
		return DCR_OK;
	}
	snprintf(d->dir, sizeof(d->dir), "%s/dcr-demo-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(d->dir))
		return dcr_fail(&d->msg, DCR_ERR_IO, "%s: %s", d->dir, strerror(errno));
	return DCR_OK;
}

static enum dcr_err make_party(struct demo *d, const char *name, struct dcr_seckey **out)
{
	struct dcr_pubkey pub;
	char line[DCR_PUBKEY_LINE_SIZE];
	enum dcr_err err;

	err = dcr_seckey_generate(out);
	if (!err) {
		snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, name);
		err = dcr_seckey_save(*out, d->path, &d->msg);
	}
	if (err)
		return err;
	dcr_seckey_public(*out, &pub);
	dcr_pubkey_format(&pub, line);
	printf("   %-5s %s/%s.key (secret, 0600), %s.pub\n", name, d->dir, name, name);
	return DCR_OK;
}

/* Writes contract.json for the two parties, pinning this binary's measurement. */
static enum dcr_err write_contract(struct demo *d)
{
	struct dcr_pubkey pn, pa;
	char news[DCR_PUBKEY_LINE_SIZE], acme[DCR_PUBKEY_LINE_SIZE], expires[21];
	uint8_t measurement[48];
	char mhex[97];
	struct dcr_buf text;
	enum dcr_err err;

	err = dcr_attest_self_measurement(measurement, &d->msg);
	if (err)
		return err;
	dcr_hex_encode(mhex, measurement, sizeof(measurement));
	dcr_seckey_public(d->news, &pn);
	dcr_seckey_public(d->acme, &pa);
	dcr_pubkey_format(&pn, news);
	dcr_pubkey_format(&pa, acme);
	dcr_time_format(cli_now() + 365 * 86400, expires);
	dcr_buf_init(&text, DCR_CONTRACT_MAX_SIZE);
	err = dcr_buf_printf(&text, contract_template, expires, news, acme, mhex);
	if (!err)
		err = dcr_file_write_atomic(in_dir(d, "contract.json"), text.data, text.size, 0644, 0,
		                            &d->msg);
	dcr_buf_free(&text);
	if (err)
		return err;
	printf("   %s: parties news and acme, datasets impressions and purchases,\n"
	       "   at least 25 distinct people per result row, TEE: sim only, pinned to\n"
	       "   this dcr binary (SHA-384 %.16s...)\n",
	       d->path, mhex);
	return DCR_OK;
}

/* Each party loads the file, signs it and writes it back, as `dcr contract
 * sign` does. */
static enum dcr_err sign_as(struct demo *d, struct dcr_seckey *key)
{
	const struct dcr_party *party = NULL;
	struct dcr_contract *c = NULL;
	struct dcr_buf out;
	enum dcr_err err;

	dcr_buf_init(&out, 0);
	err = dcr_contract_load(in_dir(d, "contract.json"), cli_now(), 0, &c, &d->msg);
	if (!err)
		err = dcr_contract_sign(c, key, &party, &d->msg);
	if (!err)
		err = dcr_contract_serialize(c, &out);
	if (!err)
		err = dcr_file_write_atomic(d->path, out.data, out.size, 0644, DCR_WRITE_REPLACE,
		                            &d->msg);
	if (!err)
		printf("   signed by %s\n", party->name);
	dcr_buf_free(&out);
	dcr_contract_free(c);
	return err;
}

static enum dcr_err verify_contract(struct demo *d)
{
	char hex[65];
	enum dcr_err err;

	err = dcr_contract_load(in_dir(d, "contract.json"), cli_now(), 0, &d->contract, &d->msg);
	if (!err)
		err = dcr_contract_verify(d->contract, &d->msg);
	if (err)
		return err;
	dcr_contract_hash_hex(d->contract, hex);
	printf("   valid, signed by all %zu parties; contract hash %s\n", d->contract->party_count,
	       hex);
	return DCR_OK;
}

/* Changes one character of the signed contract in memory: it must fail. */
static enum dcr_err show_contract_tamper(struct demo *d)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg why = {{0}};
	struct dcr_buf text;
	enum dcr_err err;
	char *p;

	err = dcr_file_read(in_dir(d, "contract.json"), DCR_CONTRACT_MAX_SIZE, &text, &d->msg);
	if (err)
		return err;
	p = strstr((char *)text.data, "\"min_distinct_ids\": 25");
	if (!p) {
		dcr_buf_free(&text);
		return dcr_fail(&d->msg, DCR_ERR_INTERNAL, "demo: contract layout unexpected");
	}
	p[strlen("\"min_distinct_ids\": 2")] = '1'; /* 25 -> 21 */
	err = dcr_contract_parse((char *)text.data, text.size, cli_now(), 0, &c, &why);
	if (!err)
		err = dcr_contract_verify(c, &why);
	dcr_contract_free(c);
	dcr_buf_free(&text);
	if (err != DCR_ERR_VERIFY)
		return dcr_fail(&d->msg, DCR_ERR_INTERNAL,
		                "demo: a tampered contract was not refused as it must be");
	printf("   min_distinct_ids 25 -> 21: refused (%s)\n", why.text);
	return DCR_OK;
}

static enum dcr_err start_room(struct demo *d)
{
	const struct dcr_attest_ops *sim = dcr_attest_find(DCR_TEE_SIM);
	struct dcr_attest_env env = {.data_dir = d->path};
	uint8_t report_data[DCR_REPORT_DATA_SIZE];
	struct dcr_pubkey room;
	char line[DCR_PUBKEY_LINE_SIZE];
	enum dcr_err err;

	if (!sim || !sim->evidence)
		return dcr_fail(&d->msg, DCR_ERR_UNSUPPORTED, "demo: no sim backend in this build");
	in_dir(d, "room");
	if (mkdir(d->path, 0700) < 0 && errno != EEXIST)
		return dcr_fail(&d->msg, DCR_ERR_IO, "%s: %s", d->path, strerror(errno));
	/* In `dcr serve` these keys are made inside the TEE and never leave it. */
	err = dcr_seckey_generate(&d->room);
	if (err)
		return err;
	dcr_seckey_public(d->room, &room);
	dcr_pubkey_format(&room, line);
	dcr_attest_report_data(d->contract->hash, &room, report_data);
	dcr_buf_init(&d->evidence, DCR_EVIDENCE_MAX_SIZE);
	err = sim->evidence(&env, report_data, &d->evidence, &d->msg);
	if (err)
		return err;
	printf("   clean room keys, made inside the TEE: %s\n"
	       "   evidence: %zu bytes of sim evidence whose report data is\n"
	       "   SHA-512(contract hash, the room's two public keys)\n",
	       line, d->evidence.size);
	return DCR_OK;
}

static enum dcr_err verify_room(struct demo *d)
{
	struct dcr_attest_claims claims;
	struct dcr_pubkey room, other;
	struct dcr_seckey *impostor = NULL;
	struct dcr_msg why = {{0}};
	char hex[97];
	enum dcr_err err;

	dcr_seckey_public(d->room, &room);
	err = dcr_client_check_evidence(d->contract, DCR_TEE_SIM, d->evidence.data,
	                                d->evidence.size, &room, NULL, &claims, &d->msg);
	if (err)
		return err;
	dcr_hex_encode(hex, claims.measurements[0].value, claims.measurements[0].size);
	printf("   verified: TEE kind sim is accepted by the contract; measurement\n"
	       "   %.16s... matches its pin; the report data binds this contract and\n"
	       "   these keys, so data sealed to them reaches only this clean room\n",
	       hex);

	/* The same evidence presented with other keys must be refused. */
	err = dcr_seckey_generate(&impostor);
	if (err)
		return err;
	dcr_seckey_public(impostor, &other);
	dcr_seckey_free(impostor);
	err = dcr_client_check_evidence(d->contract, DCR_TEE_SIM, d->evidence.data,
	                                d->evidence.size, &other, NULL, NULL, &why);
	if (err != DCR_ERR_VERIFY)
		return dcr_fail(&d->msg, DCR_ERR_INTERNAL,
		                "demo: evidence for other keys was not refused as it must be");
	printf("   the same evidence offered with other keys: refused (%s)\n", why.text);
	return DCR_OK;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct demo d;
	const char *want_dir = NULL;
	enum dcr_err err;
	int c;

	memset(&d, 0, sizeof(d));
	dcr_buf_init(&d.evidence, 0);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", opts, NULL)) != -1) {
		if (c != 'd')
			return cli_bad_option("demo", c, argv);
		want_dir = optarg;
	}
	if (optind != argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);

	printf("dcr demo: the clean room flow on a SIMULATED TEE\n"
	       "!! The simulated TEE is NOT SECURE: it protects nothing and proves nothing !!\n"
	       "!! about hardware. Use it to try dcr out, never for real data.            !!\n");
	err = make_dir(&d, want_dir);
	if (err)
		goto out;
	printf("files: %s\n", d.dir);

	step(1, "two parties make their keys (dcr keygen)");
	err = make_party(&d, "news", &d.news);
	if (!err)
		err = make_party(&d, "acme", &d.acme);
	if (err)
		goto out;
	step(2, "they write a contract and both sign it (dcr contract sign)");
	err = write_contract(&d);
	if (!err)
		err = sign_as(&d, d.news);
	if (!err)
		err = sign_as(&d, d.acme);
	if (err)
		goto out;
	step(3, "the contract is verified (dcr contract verify)");
	err = verify_contract(&d);
	if (!err)
		err = show_contract_tamper(&d);
	if (err)
		goto out;
	step(4, "the clean room starts inside the (simulated) TEE");
	err = start_room(&d);
	if (err)
		goto out;
	step(5, "each party verifies the clean room against the contract (dcr attest)");
	err = verify_room(&d);
	if (err)
		goto out;
	printf("\ndone. Not built yet: the server itself (dcr serve), encrypted uploads,\n"
	       "privacy-checked queries and the audit log; they arrive in later releases.\n"
	       "Look around: dcr contract show %s/contract.json\n", d.dir);
out:
	dcr_buf_free(&d.evidence);
	dcr_contract_free(d.contract);
	dcr_seckey_free(d.news);
	dcr_seckey_free(d.acme);
	dcr_seckey_free(d.room);
	if (err) {
		dcr_msg_prefix(&d.msg, "demo failed: ");
		return cli_fail(err, &d.msg);
	}
	return EXIT_OK;
}
