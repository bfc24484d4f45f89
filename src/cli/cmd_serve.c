/* SPDX-License-Identifier: Apache-2.0 */
/* dcr serve: runs the clean room for one contract inside a TEE until SIGINT
 * or SIGTERM (docs/API.md). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/server.h"

const char cmd_serve_usage[] =
	"usage: dcr serve --contract FILE --data-dir DIR [--listen 127.0.0.1:8080]\n"
	"                 [--tee auto|sim|sgx|tdx|snp|azure-vtpm] [limits...]\n"
	"\n"
	"Runs the clean room for the contract in FILE; run it inside the TEE. It refuses\n"
	"to start unless the contract is valid, unexpired and signed by every party and\n"
	"its tee.accept lists the TEE it runs in. On first start it makes the room's keys\n"
	"inside the TEE and keeps them sealed in DIR, which then belongs to this contract.\n"
	"When it is ready it prints one line:\n"
	"  dcr: serving contract ID (HASH PREFIX) on http://ADDR:PORT, tee KIND\n"
	"SIGINT or SIGTERM stops it: no new connections, requests under way finish.\n"
	"\n"
	"  --contract FILE       the signed contract (or $DCR_CONTRACT)\n"
	"  --data-dir DIR        sealed keys, datasets and audit log (created 0700)\n"
	"  --listen ADDR:PORT    where to answer HTTP; port 0 picks a free one\n"
	"                        (default 127.0.0.1:8080; [ADDR]:PORT for IPv6)\n"
	"  --tee KIND            the TEE this runs in; auto (default) finds the hardware\n"
	"                        TEE here (sgx, tdx, snp, azure-vtpm, in that order) and,\n"
	"                        when there is none, falls back to sim with a warning if\n"
	"                        the contract accepts sim. sim is a SIMULATED TEE that\n"
	"                        protects nothing: for tests and demos, and only when the\n"
	"                        contract accepts it\n"
	"limits:\n"
	"  --max-upload BYTES    largest upload body (default 8G; K, M, G, T suffixes)\n"
	"  --max-connections N   open connections at once (default 256)\n"
	"  --max-per-ip N        of those, from one address (default 64)\n"
	"  --threads N           HTTP worker threads (default: one per CPU)\n"
	"  --timeout SECONDS     idle connections are closed after this (default 60)\n"
	"\n"
	"Set DCR_LOG=info to log every request (method, path, status, party, time;\n"
	"never a body). DCR_ATTEST_ROOT=PATH looks for the TEE's devices under PATH\n"
	"(tests with a fake device tree). On tdx and azure-vtpm the sealing key is\n"
	"kept in DIR/tee-sealing.key: DIR must be on the confidential VM's encrypted disk.\n"
	"\n"
	"Exit codes: 0 stopped by a signal; 1 I/O or no TEE here; 2 bad usage; 3 the\n"
	"contract does not verify, has expired or does not accept this TEE, or the data\n"
	"directory belongs to another contract or was tampered with.\n";

/* Decimal digits with an optional binary suffix K, M, G or T. */
static bool parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!text[0] || text[0] == '-' || text[0] == '+')
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text)
		return false;
	if (*end) {
		const char *units = "KMGT", *u = strchr(units, end[0] & ~0x20);

		if (!u || !end[0])
			return false;
		shift = 10 * (unsigned)(u - units + 1);
		end++;
		if (*end && strcasecmp(end, "iB") && strcasecmp(end, "B"))
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static bool parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
	uint64_t v;

	if (!parse_size(text, &v) || strspn(text, "0123456789") != strlen(text) || v < min ||
	    v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

/* True when the contract at path can be read and its tee.accept lists sim
 * (the server checks the contract fully later). */
static bool contract_accepts_sim(const char *path)
{
	struct dcr_contract *c = NULL;
	struct dcr_msg msg = {{0}};
	bool yes;

	if (dcr_contract_load(path, (int64_t)time(NULL), DCR_CONTRACT_ALLOW_EXPIRED, &c, &msg))
		return false;
	yes = (c->tee_accept & DCR_TEE_BIT(DCR_TEE_SIM)) != 0;
	dcr_contract_free(c);
	return yes;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"contract", required_argument, NULL, 'c'},
		{"data-dir", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"tee", required_argument, NULL, 't'},
		{"max-upload", required_argument, NULL, 'U'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-per-ip", required_argument, NULL, 'P'},
		{"threads", required_argument, NULL, 'T'},
		{"timeout", required_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	struct dcr_server_options o;
	const char *contract = NULL, *tee = "auto";
	const struct dcr_attest_ops *ops;
	struct dcr_server *s = NULL;
	struct dcr_msg msg = {{0}};
	char hex[65];
	sigset_t sigs;
	enum dcr_err err;
	int c, sig;

	dcr_server_options_default(&o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			contract = optarg;
			break;
		case 'd':
			o.data_dir = optarg;
			break;
		case 'l':
			o.listen = optarg;
			break;
		case 't':
			tee = optarg;
			break;
		case 'U':
			if (!parse_size(optarg, &o.max_upload) || !o.max_upload)
				return cli_usage_error("serve", "--max-upload '%s': expected bytes, "
				                                "e.g. 8G",
				                       optarg);
			break;
		case 'C':
			if (!parse_uint(optarg, 1, 1000000, &o.max_connections))
				return cli_usage_error("serve", "--max-connections '%s': expected "
				                                "1 to 1000000",
				                       optarg);
			break;
		case 'P':
			if (!parse_uint(optarg, 1, 1000000, &o.max_per_ip))
				return cli_usage_error("serve", "--max-per-ip '%s': expected 1 to "
				                                "1000000",
				                       optarg);
			break;
		case 'T':
			if (!parse_uint(optarg, 1, 1024, &o.threads))
				return cli_usage_error("serve", "--threads '%s': expected 1 to 1024",
				                       optarg);
			break;
		case 'O':
			if (!parse_uint(optarg, 1, 86400, &o.timeout))
				return cli_usage_error("serve", "--timeout '%s': expected 1 to 86400 "
				                                "seconds",
				                       optarg);
			break;
		default:
			return cli_bad_option("serve", c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	o.contract_path = cli_or_env(contract, "DCR_CONTRACT");
	if (!o.contract_path)
		return cli_usage_error("serve", "which contract? (--contract FILE)");
	if (!o.data_dir || !*o.data_dir)
		return cli_usage_error("serve", "where to keep the clean room's files? "
		                                "(--data-dir DIR)");
	if (o.max_per_ip > o.max_connections)
		o.max_per_ip = o.max_connections;

	if (!strcmp(tee, "auto")) {
		ops = dcr_attest_detect();
		if (ops) {
			o.tee = ops->tee;
			dcr_log_info("--tee auto: found %s", ops->name);
		} else if (contract_accepts_sim(o.contract_path)) {
			dcr_log_warn("*** --tee auto: no hardware TEE found on this machine (sgx, tdx, "
			             "snp, azure-vtpm); the contract accepts sim, so this clean room "
			             "runs on the SIMULATED TEE ***");
			o.tee = DCR_TEE_SIM;
		} else {
			dcr_log_error("--tee auto: no hardware TEE found on this machine (sgx, tdx, "
			              "snp, azure-vtpm), and the contract does not accept sim; to try "
			              "dcr without a TEE, use a contract whose tee.accept lists sim, "
			              "which is NOT SECURE");
			return EXIT_ERROR;
		}
	} else if (dcr_tee_from_name(tee, &o.tee) != DCR_OK) {
		return cli_usage_error("serve", "--tee '%s': unknown TEE kind (auto, sim, sgx, "
		                                "tdx, snp or azure-vtpm)",
		                       tee);
	}

	/* the server's threads inherit this mask: the signals come to sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o.tee == DCR_TEE_SIM)
		dcr_log_warn("*** SIMULATED TEE: nothing protects this clean room; whoever runs "
		             "this machine can read its keys and every dataset. For tests and "
		             "demos only, NOT SECURE ***");
	err = dcr_server_start(&o, &s, &msg);
	if (err)
		return cli_fail(err, &msg);
	dcr_contract_hash_hex(dcr_server_contract(s), hex);
	printf("dcr: serving contract %s (%.16s) on %s, tee %s\n", dcr_server_contract(s)->id,
	       hex, dcr_server_url(s), dcr_tee_name(o.tee));
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	dcr_log_info("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	dcr_server_stop(s);
	fprintf(stderr, "dcr: stopped\n");
	return EXIT_OK;
}
