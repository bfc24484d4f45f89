/* SPDX-License-Identifier: Apache-2.0 */
/* dcr upload: a party's dataset into the verified clean room — ids
 * normalised and hashed here, the file streamed encrypted to the room's
 * key, with a progress bar on a terminal and a summary at the end. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dcr/client.h"

const char cmd_upload_usage[] =
	"usage: dcr upload --server URL --contract FILE --key KEY --dataset NAME FILE.csv\n"
	"\n"
	"Uploads FILE.csv (or - for standard input) as dataset NAME of the contract,\n"
	"which KEY's party must own. The clean room is verified first (as dcr attest\n"
	"does); nothing is sent to one that fails.\n"
	"\n"
	"On this machine, before anything leaves it, each value of the dataset's id\n"
	"column is normalised as the contract says (email: trimmed and lowercased;\n"
	"phone: E.164, '+' and digits; none: as it is) and replaced by its SHA-256 in\n"
	"hex; a value that already is 64 hex digits is taken as that hash. Rows whose\n"
	"id is empty are left out (and counted). Every other field is sent as it is.\n"
	"The file is then encrypted to the clean room's attested key and streamed:\n"
	"memory stays flat whatever its size.\n"
	"\n"
	"  --server URL      the clean room (or DCR_SERVER)\n"
	"  --contract FILE   the signed contract (or DCR_CONTRACT)\n"
	"  --key KEY         your secret key file (or DCR_KEY)\n"
	"  --dataset NAME    the contract's dataset this file is\n"
	"\n"
	"The file is CSV (RFC 4180) with a header row naming exactly the dataset's\n"
	"columns, in any order. It is checked as it streams: a malformed line or an id\n"
	"that cannot be normalised stops the upload with its line number, and the\n"
	"clean room keeps the previous version of the dataset. A terminal shows\n"
	"progress (bytes, rate, time left); then a summary: rows uploaded, rows\n"
	"skipped for an empty id, match-ready ids, and the clean room's content hash\n"
	"and audit entry.\n"
	"\n"
	"Exit codes: 0 uploaded; 1 a file or network error, or a line of the file is\n"
	"not valid; 2 usage (including a NAME the contract lacks); 3 verification\n"
	"failed; 4 refused (KEY's party does not own NAME, or the clean room's rules).\n";

struct progress {
	bool tty;
	double start, last;
	bool drawn;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "12.3 MiB" */
static const char *human(double bytes, char *buf, size_t size)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
	return buf;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double t = now_s(), rate;
	char a[32], b[32], r[32], eta[32] = "";

	/* a terminal only, and at most ten redraws a second */
	if (!p->tty || (p->drawn && t - p->last < 0.1 && done != total))
		return;
	p->last = t;
	p->drawn = true;
	rate = t > p->start ? (double)done / (t - p->start) : 0;
	if (total && rate > 0 && done <= total) {
		long s = (long)((double)(total - done) / rate + 0.5);

		snprintf(eta, sizeof(eta), "  ETA %ld:%02ld", s / 60, s % 60);
	}
	if (total)
		fprintf(stderr, "\r\033[K  %s of %s (%.0f%%)  %s/s%s", human((double)done, a, sizeof(a)),
		        human((double)total, b, sizeof(b)), 100.0 * (double)done / (double)total,
		        human(rate, r, sizeof(r)), eta);
	else
		fprintf(stderr, "\r\033[K  %s  %s/s", human((double)done, a, sizeof(a)),
		        human(rate, r, sizeof(r)));
	fflush(stderr);
}

static void progress_clear(struct progress *p)
{
	if (p->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

static int dataset_usage(const struct dcr_contract *c, const char *name)
{
	char list[512] = "";

	for (size_t i = 0; i < c->dataset_count && strlen(list) < 400; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         c->datasets[i].name);
	return cli_usage_error("upload", "--dataset %s: the contract has no such dataset (its "
	                       "datasets: %s)", name, list);
}

int cmd_upload(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"contract", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"dataset", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct cli_client cc = {0};
	struct dcr_upload_answer ans;
	struct dcr_id_rewriter_stats st;
	struct progress prog = {0};
	struct dcr_msg msg = {{0}};
	const struct dcr_dataset *ds;
	const struct dcr_party *me;
	const char *dataset = NULL, *file;
	struct stat sb;
	uint64_t total = 0;
	int c, rc, fd = -1;
	enum dcr_err err;
	char hex[65], a[32], b[32], r[32];
	double secs;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': cc.server = optarg; break;
		case 'c': cc.contract_path = optarg; break;
		case 'k': cc.key_path = optarg; break;
		case 'd': dataset = optarg; break;
		default: return cli_bad_option("upload", c, argv);
		}
	}
	if (!dataset)
		return cli_usage_error("upload", "--dataset NAME is required");
	if (optind >= argc)
		return cli_usage_error("upload", "FILE.csv is required (- for standard input)");
	if (optind + 1 < argc)
		return cli_usage_error("upload", "unexpected argument '%s' (one file at a time)",
		                       argv[optind + 1]);
	file = argv[optind];
	if ((rc = cli_client_args("upload", true, &cc)))
		return rc;
	if ((rc = cli_client_load(&cc)))
		goto out;
	ds = dcr_contract_dataset(cc.contract, dataset);
	if (!ds) {
		rc = dataset_usage(cc.contract, dataset);
		goto out;
	}
	/* local checks first: no need to reach the clean room to refuse these */
	{
		struct dcr_pubkey pk;
		const struct dcr_party *owner = &cc.contract->parties[ds->owner];

		dcr_seckey_public(cc.key, &pk);
		if (!dcr_pubkey_equal(&pk, &owner->key)) {
			dcr_msg_set(&msg, "dataset %s belongs to party %s: only its owner may upload it",
			            ds->name, owner->name);
			rc = cli_fail(DCR_ERR_REFUSED, &msg);
			goto out;
		}
	}
	if (!strcmp(file, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dcr_msg_set(&msg, "%s: cannot open: %s", file, strerror(errno));
			rc = cli_fail(DCR_ERR_IO, &msg);
			goto out;
		}
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	if ((rc = cli_client_attest(&cc, NULL)))
		goto out;
	me = dcr_client_party(cc.client);
	prog.tty = isatty(STDERR_FILENO);
	prog.start = now_s();
	err = dcr_client_upload(cc.client, ds->name, fd, total, on_progress, &prog, &st, &ans,
	                        &msg);
	progress_clear(&prog);
	secs = now_s() - prog.start;
	if (err) {
		bool the_file = !strncmp(msg.text, "line ", 5) || !strncmp(msg.text, "the file", 8) ||
		                !strncmp(msg.text, "cannot read the file", 20);

		if (the_file)
			dcr_msg_prefix(&msg, "%s: ", strcmp(file, "-") ? file : "standard input");
		rc = cli_fail(err, &msg);
		if (the_file)
			fprintf(stderr, "Nothing was uploaded: the clean room keeps the previous "
			        "version of %s, if any.\n", ds->name);
		goto out;
	}
	printf("%-14s %s, from %s, by %s\n", "uploaded:", ds->name, strcmp(file, "-") ? file
	       : "standard input", me->name);
	printf("%-14s %" PRIu64 " uploaded, %" PRIu64 " skipped (empty id)\n", "rows:", st.rows,
	       st.skipped_empty);
	printf("%-14s %" PRIu64 " match-ready (%" PRIu64 " normalised and hashed here, %" PRIu64
	       " given as hashes), about %" PRIu64 " distinct\n",
	       "ids:", st.rows, st.ids_hashed, st.ids_given_hashed,
	       st.rows ? st.distinct_ids : 0);
	printf("%-14s %s read, %s sent encrypted, in %.1f s (%s/s)\n", "data:",
	       human((double)st.bytes_in, a, sizeof(a)), human((double)ans.bytes_sent, b, sizeof(b)),
	       secs, human(secs > 0 ? (double)st.bytes_in / secs : 0, r, sizeof(r)));
	dcr_hex_encode(hex, ans.content_hash, 32);
	printf("%-14s %s (the clean room's, checked against what was sent)\n", "content hash:",
	       hex);
	printf("%-14s %" PRIu64 "\n", "audit entry:", ans.audit_seq);
	rc = EXIT_OK;
out:
	if (fd > STDIN_FILENO)
		close(fd);
	cli_client_close(&cc);
	return rc;
}
