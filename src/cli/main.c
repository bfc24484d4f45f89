/* SPDX-License-Identifier: Apache-2.0 */
/* dcr: the one binary. Dispatches to a subcommand from a table. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dcr/crypto.h"

#define LATER "\nThis command is not built yet: it arrives with a later release.\n"

const struct cli_command cli_commands[] = {
	{"keygen", cmd_keygen, "make a party's signing and encryption key pair", cmd_keygen_usage},
	{"contract", cmd_contract, "sign, verify, hash or show a contract", cmd_contract_usage},
	{"serve", cmd_serve, "run the clean room (inside the TEE)", cmd_serve_usage},
	{"attest", cmd_attest, "verify a running clean room", cmd_attest_usage},
	{"upload", cmd_upload, "encrypt and upload a dataset", cmd_upload_usage},
	{"query", cmd_query, "run a privacy-checked query", cmd_query_usage},
	{"audit", cmd_audit, "fetch, verify and print the audit log", cmd_audit_usage},
	{"budget", cmd_budget, "show an analyst's remaining privacy budget", cmd_budget_usage},
	{"sql", cmd_sql, "run SQL on your own CSV files, locally", cmd_sql_usage},
	{"verify-evidence", cmd_verify_evidence, "verify attestation evidence from a file",
	 cmd_verify_evidence_usage},
	{"demo", cmd_demo, "run the whole flow on the simulated TEE", cmd_demo_usage},
};
const unsigned cli_command_count = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const struct cli_command *find_command(const char *name)
{
	for (unsigned i = 0; i < cli_command_count; i++)
		if (!strcmp(cli_commands[i].name, name))
			return &cli_commands[i];
	return NULL;
}

static void print_help(FILE *f)
{
	fprintf(f,
	        "dcr %s - a confidential data clean room\n\n"
	        "usage: dcr COMMAND [ARGS...]\n"
	        "       dcr COMMAND --help     details of one command\n"
	        "       dcr --version\n\n"
	        "commands:\n",
	        DCR_VERSION);
	for (unsigned i = 0; i < cli_command_count; i++)
		fprintf(f, "  %-16s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fprintf(f, "\nDCR_SERVER, DCR_CONTRACT and DCR_KEY stand in for --server, --contract\n"
	           "and --key. Exit codes: 0 success, 1 error, 2 usage, 3 verification\n"
	           "failed, 4 refused by the contract's rules. Documentation: docs/.\n");
}

int cmd_not_built(int argc, char **argv)
{
	(void)argc;
	dcr_log_error("'dcr %s' is not built yet; see 'dcr %s --help'", argv[0], argv[0]);
	return EXIT_ERROR;
}

int cli_exit_code(enum dcr_err err)
{
	switch (err) {
	case DCR_OK:
		return EXIT_OK;
	case DCR_ERR_USAGE:
		return EXIT_USAGE;
	case DCR_ERR_VERIFY:
	case DCR_ERR_TRUNCATED:
	case DCR_ERR_EXPIRED:
		return EXIT_VERIFY;
	case DCR_ERR_REFUSED:
	case DCR_ERR_SQL:
		return EXIT_REFUSED;
	default:
		return EXIT_ERROR;
	}
}

int cli_fail(enum dcr_err err, const struct dcr_msg *msg)
{
	if (msg && msg->text[0])
		dcr_log_error("%s", msg->text);
	else
		dcr_log_error("%s", dcr_strerror(err));
	return cli_exit_code(err);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dcr_log_error("%s", text);
	fprintf(stderr, "Try 'dcr %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%s'", arg);
}

const char *cli_or_env(const char *value, const char *env)
{
	const char *v;

	if (value)
		return value;
	v = getenv(env);
	return v && *v ? v : NULL;
}

int64_t cli_now(void)
{
	return (int64_t)time(NULL);
}

/* dcr VERSION, the commit, and the SHA-256 of this very binary: what a
 * reproducible build of that commit must give (docs/DEPLOY.md). */
static int print_version(void)
{
	struct dcr_sha256_ctx h;
	uint8_t buf[65536], sum[DCR_SHA256_SIZE];
	char hex[2 * DCR_SHA256_SIZE + 1];
	FILE *f = fopen("/proc/self/exe", "rb");
	size_t n;

	printf("dcr %s\ncommit %s\n", DCR_VERSION, DCR_COMMIT);
	if (!f) {
		printf("sha256 unknown (cannot read /proc/self/exe)\n");
		return EXIT_OK;
	}
	dcr_sha256_init(&h);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		dcr_sha256_update(&h, buf, n);
	fclose(f);
	dcr_sha256_final(&h, sum);
	dcr_hex_encode(hex, sum, sizeof(sum));
	printf("sha256 %s\n", hex);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	/* lines reach a pipe in order with the warnings on stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		print_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return print_version();
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		if (argc > 2 && argv[1][0] != '-') {
			cmd = find_command(argv[2]);
			if (!cmd)
				return cli_usage_error("help", "unknown command '%s'", argv[2]);
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
		print_help(stdout);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		dcr_log_error("unknown command '%s'", argv[1]);
		fprintf(stderr, "Run 'dcr help' for the list of commands.\n");
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	}
	if (dcr_crypto_init() != DCR_OK) {
		dcr_log_error("cannot initialise the crypto library");
		return EXIT_ERROR;
	}
	return cmd->run(argc - 1, argv + 1);
}
