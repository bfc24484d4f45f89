/* SPDX-License-Identifier: Apache-2.0 */
/* The dcr command line: the dispatch table's entries and shared helpers. */
#ifndef DCR_CLI_H
#define DCR_CLI_H

#include <stdint.h>

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

extern const char cmd_keygen_usage[];
extern const char cmd_contract_usage[];
extern const char cmd_verify_evidence_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_sql_usage[];
extern const char cmd_serve_usage[];

#endif
