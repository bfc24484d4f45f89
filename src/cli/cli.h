/* SPDX-License-Identifier: Apache-2.0 */
/* The dcr command line: the dispatch table's entries and shared helpers. */
#ifndef DCR_CLI_H
#define DCR_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dcr/util.h"

/* Exit codes (../shared/DESIGN.md). */
#define EXIT_OK 0
#define EXIT_ERROR 1   /* I/O, network, anything else */
#define EXIT_USAGE 2   /* unknown command, bad flags */
#define EXIT_VERIFY 3  /* signature, attestation, contract mismatch, tampering */
#define EXIT_REFUSED 4 /* refused by the rules */

/* One subcommand: wireguard-tools' {name, fn, help} table. */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;               /* one line for `dcr help` */
	const char *usage;                 /* the whole text for `dcr CMD --help` */
};

extern const struct cli_command cli_commands[];
extern const unsigned cli_command_count;

/* The exit code for an error (DESIGN.md's table). */
int cli_exit_code(enum dcr_err err);
/* Prints "dcr: error: <msg or strerror>" and returns cli_exit_code(err). */
int cli_fail(enum dcr_err err, const struct dcr_msg *msg);
/* Prints "dcr: error: <text>" and "Try 'dcr CMD --help'.", returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) DCR_PRINTF(2, 3);
/* For getopt_long's '?' and ':' (call with opterr = 0 and an optstring that
 * starts with ':'): prints what was wrong with which option, returns 2. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* value when set, else the environment variable env, else NULL. */
const char *cli_or_env(const char *value, const char *env);
/* The current time in Unix seconds. */
int64_t cli_now(void);

int cmd_keygen(int argc, char **argv);
int cmd_contract(int argc, char **argv);
int cmd_verify_evidence(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_not_built(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_budget(int argc, char **argv);

extern const char cmd_keygen_usage[];
extern const char cmd_contract_usage[];
extern const char cmd_verify_evidence_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_sql_usage[];
extern const char cmd_serve_usage[];
extern const char cmd_attest_usage[];
extern const char cmd_upload_usage[];
extern const char cmd_query_usage[];
extern const char cmd_audit_usage[];
extern const char cmd_budget_usage[];

/* ---- shared by the client commands (cli_client.c) ---- */

struct dcr_contract;
struct dcr_seckey;
struct dcr_client;

/* What a client command holds: the verified contract, the party's key,
 * and a client whose clean room has been attested. */
struct cli_client {
	const char *cmd;                   /* the command's name, for messages */
	const char *server;                /* from --server or DCR_SERVER */
	const char *contract_path;
	const char *key_path;
	const char *vcek_path;             /* --vcek or DCR_VCEK */
	const char *collateral_path;       /* --collateral or DCR_COLLATERAL */
	struct dcr_contract *contract;
	struct dcr_seckey *key;
	struct dcr_client *client;
};

/* Resolves --server, --contract and --key against DCR_SERVER, DCR_CONTRACT
 * and DCR_KEY; a missing one is a usage error (exit 2). need_key: whether
 * --key is required. Returns an exit code (0 to go on). */
int cli_client_args(const char *cmd, bool need_key, struct cli_client *cc);
/* Loads the contract (exit 1 when it cannot be read, 3 when it is invalid,
 * expired or not signed by every party) and the key (exit 1; 3 when it is
 * no party's). Returns an exit code. */
int cli_client_load(struct cli_client *cc);
/* Connects and verifies the clean room's evidence (exit 1 network, 2 bad
 * URL, 3 verification). On success *out (optional) gets what it proved. */
struct dcr_room;
int cli_client_attest(struct cli_client *cc, struct dcr_room *out);
void cli_client_close(struct cli_client *cc);
/* Prints text to f with control characters (but tabs) shown as '?'. */
void cli_print_clean(FILE *f, const char *text, size_t len);

#endif
