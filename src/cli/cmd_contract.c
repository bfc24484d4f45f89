/* SPDX-License-Identifier: Apache-2.0 */
/* dcr contract sign|verify|hash|show: what a party does with the contract
 * before the clean room starts. Format and rules: docs/CONTRACT.md. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dcr/contract.h"

const char cmd_contract_usage[] =
	"usage: dcr contract sign FILE --key KEY\n"
	"       dcr contract verify FILE\n"
	"       dcr contract hash FILE\n"
	"       dcr contract show FILE\n"
	"\n"
	"Every party signs the same contract (docs/CONTRACT.md); the clean room\n"
	"starts only when all of them have.\n"
	"\n"
	"  sign FILE --key KEY  add (or replace) the signature of the party whose key\n"
	"                       KEY is, and rewrite FILE in place (atomically, same\n"
	"                       mode). Refuses a key that is no party's, an invalid\n"
	"                       or expired contract.\n"
	"  verify FILE          check that FILE is valid, not expired and signed by\n"
	"                       every party.\n"
	"  hash FILE            print the contract's SHA-256 (hex) over its canonical\n"
	"                       form, which leaves out the signatures. Works on an\n"
	"                       expired contract.\n"
	"  show FILE            print a summary: parties and their signatures,\n"
	"                       datasets, rules, accepted TEEs.\n"
	"\n"
	"  -k, --key KEY        a secret key file from 'dcr keygen' (PREFIX.key)\n"
	"\n"
	"Environment: DCR_CONTRACT stands in for FILE, DCR_KEY for --key KEY.\n"
	"\n"
	"Exit codes: 0 success; 1 I/O error (e.g. no such file); 2 usage;\n"
	"3 the contract is malformed, invalid or expired, a signature is missing\n"
	"or bad, or the key belongs to no party.\n";

/* A bad contract is a failed verification, whatever the step: only trouble
 * reading files or keys is an "other" error. */
static int contract_exit(enum dcr_err err)
{
	switch (err) {
	case DCR_OK:
		return EXIT_OK;
	case DCR_ERR_USAGE:
		return EXIT_USAGE;
	case DCR_ERR_INVALID:
	case DCR_ERR_TOO_BIG:
	case DCR_ERR_UNSUPPORTED:
	case DCR_ERR_VERIFY:
	case DCR_ERR_EXPIRED:
	case DCR_ERR_TRUNCATED:
		return EXIT_VERIFY;
	default:
		return EXIT_ERROR;
	}
}

static int fail(enum dcr_err err, const struct dcr_msg *msg)
{
	cli_fail(err, msg);
	return contract_exit(err);
}

/* Parses the options of one subcommand; *out_file gets its one FILE
 * argument (or $DCR_CONTRACT). Returns -1 to go on, else an exit code. */
static int parse_args(const char *cmd, int argc, char **argv, bool with_key, const char **out_file,
                      const char **out_key)
{
	static const struct option opts[] = {
		{"key", required_argument, NULL, 'k'},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *key = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:", opts, NULL)) != -1) {
		if (c == 'k' && with_key)
			key = optarg;
		else if (c == 'k')
			return cli_usage_error(cmd, "'%s' takes no --key", argv[0]);
		else
			return cli_bad_option(cmd, c, argv);
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	file = cli_or_env(file, "DCR_CONTRACT");
	if (!file)
		return cli_usage_error(cmd, "which contract? Give FILE (or set DCR_CONTRACT)");
	*out_file = file;
	if (with_key) {
		key = cli_or_env(key, "DCR_KEY");
		if (!key)
			return cli_usage_error(cmd, "--key KEY is required (or set DCR_KEY)");
		*out_key = key;
	}
	return -1;
}

static void warn_sim(const struct dcr_contract *c)
{
	if (c->tee_accept & DCR_TEE_BIT(DCR_TEE_SIM))
		dcr_log_warn("this contract accepts the \"sim\" TEE: a simulated TEE that protects "
		             "nothing; use it only for tests and demos");
}

static size_t valid_signatures(const struct dcr_contract *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->party_count; i++)
		n += dcr_contract_verify_party(c, &c->parties[i], NULL) == DCR_OK;
	return n;
}

/* Shortest digits that read back as d, for people to read. */
static const char *number(double d, char out[static 32])
{
	if (d == (double)(long long)d && d < 1e15 && d > -1e15) {
		snprintf(out, 32, "%lld", (long long)d);
		return out;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(out, 32, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return out;
}

static int do_sign(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_seckey *key = NULL;
	const struct dcr_party *party;
	const char *file, *key_path;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out = {0};
	char *target = NULL;
	enum dcr_err err;
	struct stat st;
	int rc;

	rc = parse_args("contract", argc, argv, true, &file, &key_path);
	if (rc >= 0)
		return rc;
	err = dcr_contract_load(file, cli_now(), 0, &c, &msg);
	if (err)
		return fail(err, &msg);
	err = dcr_seckey_load(key_path, &key, &msg);
	if (err) {
		rc = cli_fail(err, &msg); /* a key problem is no contract's fault */
		goto out;
	}
	warn_sim(c);
	err = dcr_contract_sign(c, key, &party, &msg);
	if (!err)
		err = dcr_contract_serialize(c, &out);
	if (err == DCR_ERR_TOO_BIG) { /* the indented form outgrew the limit */
		dcr_msg_set(&msg, "%s: the signed contract would exceed the size limit of %u "
		                  "bytes",
		            file, DCR_CONTRACT_MAX_SIZE);
		rc = cli_fail(DCR_ERR_IO, &msg);
		goto out;
	}
	if (err) {
		rc = fail(err, &msg);
		goto out;
	}
	/* write through a symlink to the file it names, keeping its mode */
	target = realpath(file, NULL);
	if (!target || stat(target, &st) < 0) {
		dcr_msg_set(&msg, "%s: cannot find the file to rewrite", file);
		rc = fail(DCR_ERR_IO, &msg);
		goto out;
	}
	err = dcr_file_write_atomic(target, out.data, out.size, st.st_mode & 07777,
	                            DCR_WRITE_REPLACE, &msg);
	if (err) {
		rc = fail(err, &msg);
		goto out;
	}
	printf("signed contract %s as %s (%zu of %zu parties have signed)\n", c->id, party->name,
	       valid_signatures(c), c->party_count);
	for (size_t i = 0; i < c->party_count; i++) {
		const char *name = c->parties[i].name;

		if (c->parties[i].has_signature &&
		    dcr_contract_verify_party(c, &c->parties[i], NULL) != DCR_OK)
			dcr_log_warn("the signature of %s does not verify (the contract changed "
			             "after %s signed it): %s must sign again",
			             name, name, name);
	}
	rc = EXIT_OK;
out:
	free(target);
	dcr_buf_free(&out);
	dcr_seckey_free(key);
	dcr_contract_free(c);
	return rc;
}

static int do_verify(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	char hex[65];
	const char *file;
	enum dcr_err err;
	int rc;

	rc = parse_args("contract", argc, argv, false, &file, NULL);
	if (rc >= 0)
		return rc;
	err = dcr_contract_load(file, cli_now(), 0, &c, &msg);
	if (!err)
		err = dcr_contract_verify(c, &msg);
	if (err) {
		dcr_contract_free(c);
		return fail(err, &msg);
	}
	warn_sim(c);
	dcr_contract_hash_hex(c, hex);
	if (c->party_count == 1)
		printf("contract %s (hash %s): valid, signed by its one party\n", c->id, hex);
	else
		printf("contract %s (hash %s): valid, signed by all %zu parties\n", c->id, hex,
		       c->party_count);
	dcr_contract_free(c);
	return EXIT_OK;
}

static int do_hash(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	const char *file;
	enum dcr_err err;
	char hex[65];
	int rc;

	rc = parse_args("contract", argc, argv, false, &file, NULL);
	if (rc >= 0)
		return rc;
	err = dcr_contract_load(file, cli_now(), DCR_CONTRACT_ALLOW_EXPIRED, &c, &msg);
	if (err)
		return fail(err, &msg);
	dcr_contract_hash_hex(c, hex);
	printf("%s\n", hex);
	dcr_contract_free(c);
	return EXIT_OK;
}

/* Query text as typed, minus what could drive a terminal: C0 controls but
 * tab and newline, DEL, and C1 controls (U+0080..U+009F, UTF-8 c2 80..9f). */
static void print_sql(const char *sql)
{
	fputs("      ", stdout);
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
		if (*p == '\n') {
			fputs("\n      ", stdout);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			putchar('?');
			p++;
		} else if (*p == '\t' || (*p >= 0x20 && *p != 0x7f)) {
			putchar(*p);
		} else {
			putchar('?');
		}
	}
	putchar('\n');
}

static void show_parties(const struct dcr_contract *c)
{
	printf("\nparties (%zu)\n", c->party_count);
	for (size_t i = 0; i < c->party_count; i++) {
		const struct dcr_party *p = &c->parties[i];
		char key[DCR_PUBKEY_LINE_SIZE], roles[64] = "";
		const char *state = "NOT SIGNED";

		if (p->has_signature)
			state = dcr_contract_verify_party(c, p, NULL) == DCR_OK
				? "signed, signature valid"
				: "signed, SIGNATURE DOES NOT VERIFY";
		if (p->roles & DCR_PARTY_CONTRIBUTOR)
			strcat(roles, "contributor");
		if (p->roles & DCR_PARTY_ANALYST)
			strcat(strcat(roles, roles[0] ? ", " : ""), "analyst");
		if (p->roles & DCR_PARTY_RESULT_RECIPIENT)
			strcat(strcat(roles, roles[0] ? ", " : ""), "result-recipient");
		dcr_pubkey_format(&p->key, key);
		printf("  %-20s %-40s %s\n", p->name, roles, state);
		printf("  %-20s key %s\n", "", key);
	}
}

static void show_datasets(const struct dcr_contract *c)
{
	printf("\ndatasets (%zu)\n", c->dataset_count);
	for (size_t i = 0; i < c->dataset_count; i++) {
		const struct dcr_dataset *ds = &c->datasets[i];

		printf("  %s (owner %s, %zu columns)\n", ds->name, c->parties[ds->owner].name,
		       ds->column_count);
		for (size_t j = 0; j < ds->column_count; j++) {
			const struct dcr_contract_column *col = &ds->columns[j];
			char lo[32], hi[32];

			printf("    %-24s %-7s %s", col->name, dcr_col_type_name(col->type),
			       dcr_col_role_name(col->role));
			if (col->type == DCR_COL_ID)
				printf(", normalize %s", dcr_normalize_name(col->normalize));
			if (col->has_bounds)
				printf(", bounds [%s, %s]", number(col->lo, lo),
				       number(col->hi, hi));
			putchar('\n');
		}
	}
}

static void show_rules(const struct dcr_contract *c)
{
	static const char *const aggs[] = {"count", "count_distinct", "sum", "avg", "min", "max"};
	char a[32], b[32], d[32];

	printf("\nrules\n");
	printf("  at least %lld distinct ids behind every output row (k)\n",
	       (long long)c->min_distinct_ids);
	printf("  joins allowed:%s\n", c->join_count ? "" : " none");
	for (size_t i = 0; i < c->join_count; i++) {
		const struct dcr_contract_join *j = &c->joins[i];

		printf("    %s.%s = %s.%s\n", c->datasets[j->left_dataset].name,
		       c->datasets[j->left_dataset].columns[j->left_column].name,
		       c->datasets[j->right_dataset].name,
		       c->datasets[j->right_dataset].columns[j->right_column].name);
	}
	printf("  aggregates allowed:");
	for (unsigned i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (c->aggregates & (1u << i))
			printf(" %s", aggs[i]);
	putchar('\n');
	if (c->has_dp)
		printf("  differential privacy: epsilon %s per analyst in all, %s per query by "
		       "default, delta %s, at most %lld rows per id\n",
		       number(c->dp.epsilon_per_analyst, a), number(c->dp.epsilon_per_query, b),
		       number(c->dp.delta, d), (long long)c->dp.max_rows_per_id);
	else
		printf("  differential privacy: none (answers are exact, protected by k only)\n");
	if (!c->query_count) {
		printf("  queries: any query the rules allow\n");
		return;
	}
	printf("  queries: only these named queries run (%zu)\n", c->query_count);
	for (size_t i = 0; i < c->query_count; i++) {
		printf("    %s:\n", c->queries[i].name);
		print_sql(c->queries[i].sql);
	}
}

static void show_tee(const struct dcr_contract *c)
{
	printf("\ntee\n  accepted:");
	for (unsigned t = 0; t < DCR_TEE_COUNT; t++)
		if (c->tee_accept & DCR_TEE_BIT(t))
			printf(" %s", dcr_tee_name((enum dcr_tee)t));
	putchar('\n');
	if (c->tee_accept & DCR_TEE_BIT(DCR_TEE_SIM))
		printf("  WARNING: \"sim\" is accepted: a simulated TEE that protects NOTHING.\n"
		       "  Anyone running the clean room can read every party's data. Sign this\n"
		       "  only for tests and demos.\n");
	if (!c->pin_count) {
		printf("  pinned measurements: none (any code the TEE runs is accepted)\n");
		return;
	}
	printf("  pinned measurements:\n");
	for (size_t i = 0; i < c->pin_count; i++) {
		char hex[2 * DCR_TEE_VALUE_MAX + 1];

		dcr_hex_encode(hex, c->pins[i].value, c->pins[i].size);
		printf("    %-10s %-11s %s\n", dcr_tee_name(c->pins[i].tee), c->pins[i].name, hex);
	}
}

static int do_show(int argc, char **argv)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	char hex[65], when[21];
	const char *file;
	enum dcr_err err;
	size_t valid;
	int rc;

	rc = parse_args("contract", argc, argv, false, &file, NULL);
	if (rc >= 0)
		return rc;
	err = dcr_contract_load(file, cli_now(), DCR_CONTRACT_ALLOW_EXPIRED, &c, &msg);
	if (err)
		return fail(err, &msg);
	dcr_contract_hash_hex(c, hex);
	dcr_time_format(c->expires, when);
	valid = valid_signatures(c);
	printf("contract %s\n", c->id);
	printf("  hash     %s\n", hex);
	printf("  expires  %s%s\n", when, cli_now() >= c->expires ? "  EXPIRED" : "");
	printf("  signed   %zu of %zu parties%s\n", valid, c->party_count,
	       valid == c->party_count ? " (complete)" : " (incomplete: the clean room will not "
	                                                 "start)");
	show_parties(c);
	show_datasets(c);
	show_rules(c);
	show_tee(c);
	dcr_contract_free(c);
	return EXIT_OK;
}

int cmd_contract(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} subs[] = {
		{"sign", do_sign},
		{"verify", do_verify},
		{"hash", do_hash},
		{"show", do_show},
	};

	if (argc < 2)
		return cli_usage_error("contract", "a subcommand is needed: sign, verify, hash or "
		                                   "show");
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage_error("contract", "unknown subcommand '%s' (sign, verify, hash or show)",
	                       argv[1]);
}
