/* SPDX-License-Identifier: Apache-2.0 */
/* dcr demo: the whole clean room flow on this machine with the simulated
 * TEE, running the same commands a user would type, and saying why. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dcr/attest.h"
#include "dcr/contract.h"
#include "dcr/crypto.h"

const char cmd_demo_usage[] =
	"usage: dcr demo [--dir DIR]\n"
	"\n"
	"Runs the whole clean room flow on this machine, with the built-in SIMULATED\n"
	"TEE — which protects nothing and proves nothing about hardware: it is for\n"
	"trying dcr out, never for real data. It runs the very commands a user types,\n"
	"shows each one, and says what it proves:\n"
	"\n"
	"  1. two parties make keys: news (a publisher) and acme (a retailer)\n"
	"  2. they write a contract and both sign it\n"
	"  3. synthetic data: news's ad impressions and acme's purchases, keyed by\n"
	"     e-mail addresses written differently at each party\n"
	"  4. a clean room starts on 127.0.0.1 (dcr serve --tee sim)\n"
	"  5. each party verifies it (dcr attest) and uploads (dcr upload)\n"
	"  6. acme asks three questions (dcr query): one answered, one whose small\n"
	"     group is suppressed, one refused by the contract's rules\n"
	"  7. the audit log is fetched and verified (dcr audit)\n"
	"\n"
	"  --dir DIR   where to put the files (created; must not hold a previous demo)\n"
	"              default: a new directory under $TMPDIR or /tmp\n"
	"\n"
	"The files stay there afterwards, and the commands it printed work on them.\n";

#define K 25 /* min_distinct_ids of the demo contract */

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
	"    \"min_distinct_ids\": %d,\n"
	"    \"joins\": [[\"impressions.email\", \"purchases.email\"]],\n"
	"    \"aggregates\": [\"count\", \"count_distinct\", \"sum\", \"avg\"]\n"
	"  },\n"
	"  \"tee\": {\"accept\": [\"sim\"],\n"
	"          \"measurements\": {\"sim\": {\"measurement\": \"%s\"}}}\n"
	"}\n";

struct demo {
	char dir[4096];
	char url[256];
	pid_t server;
	char exe[4096];
};

static void say(const char *fmt, ...) DCR_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void step(int n, const char *what)
{
	if (isatty(STDOUT_FILENO))
		say("\n\033[1m%d. %s\033[0m\n", n, what);
	else
		say("\n%d. %s\n", n, what);
}

/* Runs `dcr ARGS...` in the demo directory, showing the command first;
 * returns its exit code. */
static int run(struct demo *d, char *const argv[])
{
	pid_t pid;
	int status;

	say("  $ dcr");
	for (size_t i = 0; argv[i]; i++)
		say(strchr(argv[i], ' ') || strchr(argv[i], '*') ? " \"%s\"" : " %s", argv[i]);
	say("\n");
	pid = fork();
	if (pid < 0)
		return EXIT_ERROR;
	if (pid == 0) {
		char *full[32] = {"dcr"};

		for (size_t i = 0; argv[i] && i < 30; i++)
			full[i + 1] = argv[i];
		if (chdir(d->dir) < 0)
			_exit(EXIT_ERROR);
		/* the banner said it once: spare the repeated sim warnings, but
		 * let dcr attest show what it verified */
		if (strcmp(argv[0], "attest"))
			setenv("DCR_LOG", "error", 1);
		/* one transcript, in order: a refusal's reason belongs under
		 * the command that got it */
		if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
			_exit(EXIT_ERROR);
		execv(d->exe, full);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return EXIT_ERROR;
	return WEXITSTATUS(status);
}

#define RUN(d, ...) run((d), (char *const[]){__VA_ARGS__, NULL})

static int must(struct demo *d, int rc, int want, const char *what)
{
	(void)d;
	if (rc == want)
		return 0;
	dcr_log_error("demo: %s exited %d, expected %d", what, rc, want);
	return rc ? rc : EXIT_ERROR;
}

static enum dcr_err write_file(struct demo *d, const char *name, const char *text, size_t size,
                               struct dcr_msg *msg)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", d->dir, name);
	return dcr_file_write_atomic(path, text, size, 0644, 0, msg);
}

/* A deterministic generator, so every demo tells the same story. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static const char *const first_names[] = {"alice", "bob", "carol", "dave", "erin", "frank",
                                          "grace", "heidi", "ivan", "judy", "mallory", "oscar",
                                          "peggy", "rupert", "sybil", "trent", "victor", "wendy"};

/* The same person's address, written as a party might: in a random mix of
 * case and with stray spaces. */
static void messy_email(char *out, size_t size, uint32_t person, bool messy)
{
	char clean[96];
	size_t n;

	n = (size_t)snprintf(clean, sizeof(clean), "%s.%u@example.%s",
	                     first_names[person % 18], person, person % 3 ? "com" : "org");
	if (!messy) {
		snprintf(out, size, "%s", clean);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (rnd(3) == 0 && clean[i] >= 'a' && clean[i] <= 'z')
			clean[i] = (char)(clean[i] - 32);
	snprintf(out, size, "%s%s%s", rnd(4) == 0 ? "  " : "", clean, rnd(5) == 0 ? " " : "");
}

static enum dcr_err write_data(struct demo *d, size_t *out_imp, size_t *out_pur,
                               struct dcr_msg *msg)
{
	static const char *const regions[] = {"north", "south", "east", "west"};
	static const char *const categories[] = {"books", "games", "music", "garden"};
	struct dcr_buf imp, pur;
	enum dcr_err err = DCR_OK;
	char email[128];

	dcr_buf_init(&imp, 1 << 24);
	dcr_buf_init(&pur, 1 << 24);
	/* news saw people 0..2399; acme sold to people 1200..2999: 1200 in common */
	err = dcr_buf_printf(&imp, "email,region,views\n");
	for (uint32_t p = 0; !err && p < 2400; p++) {
		messy_email(email, sizeof(email), p, true);
		err = dcr_buf_printf(&imp, "%s,%s,%u\n", p % 97 == 0 ? "" : email,
		                     regions[(p * 7 + rnd(2)) % 4], 1 + rnd(100));
		(*out_imp)++;
	}
	if (!err)
		err = dcr_buf_printf(&pur, "email,category,day,amount,note\n");
	for (uint32_t p = 1200; !err && p < 3000; p++) {
		int buys = 1 + (int)rnd(3);

		for (int b = 0; !err && b < buys; b++) {
			/* a handful of people buy yachts: too few to show on their own */
			const char *cat = p % 120 == 7 ? "yachts" : categories[rnd(4)];

			messy_email(email, sizeof(email), p, false);
			err = dcr_buf_printf(&pur, "%s,%s,2026-%02u-%02u,%u.%02u,\"card, %s\"\n", email,
			                     cat, 1 + rnd(12), 1 + rnd(28), 5 + rnd(400), rnd(100),
			                     p % 2 ? "visa" : "cash");
			(*out_pur)++;
		}
	}
	if (!err)
		err = write_file(d, "impressions.csv", (char *)imp.data, imp.size, msg);
	if (!err)
		err = write_file(d, "purchases.csv", (char *)pur.data, pur.size, msg);
	dcr_buf_free(&imp);
	dcr_buf_free(&pur);
	return err;
}

static enum dcr_err write_contract(struct demo *d, struct dcr_msg *msg)
{
	struct dcr_pubkey news, acme;
	char ln[DCR_PUBKEY_LINE_SIZE], la[DCR_PUBKEY_LINE_SIZE], expires[21], mhex[97], path[4200];
	uint8_t m[48];
	struct dcr_buf text;
	enum dcr_err err;

	snprintf(path, sizeof(path), "%s/news.pub", d->dir);
	if ((err = dcr_pubkey_load(path, &news, msg)))
		return err;
	snprintf(path, sizeof(path), "%s/acme.pub", d->dir);
	if ((err = dcr_pubkey_load(path, &acme, msg)))
		return err;
	if ((err = dcr_attest_self_measurement(m, msg)))
		return err;
	dcr_hex_encode(mhex, m, sizeof(m));
	dcr_pubkey_format(&news, ln);
	dcr_pubkey_format(&acme, la);
	dcr_time_format(cli_now() + 365 * 86400, expires);
	dcr_buf_init(&text, DCR_CONTRACT_MAX_SIZE);
	err = dcr_buf_printf(&text, contract_template, expires, ln, la, K, mhex);
	if (!err)
		err = write_file(d, "contract.json", (char *)text.data, text.size, msg);
	dcr_buf_free(&text);
	return err;
}

/* Starts `dcr serve` in the background and waits for its ready line. */
static int start_server(struct demo *d)
{
	char out_path[4200], log_path[4200], line[512] = "";
	pid_t pid;

	snprintf(out_path, sizeof(out_path), "%s/serve.out", d->dir);
	snprintf(log_path, sizeof(log_path), "%s/serve.log", d->dir);
	say("  $ dcr serve --contract contract.json --data-dir room --listen 127.0.0.1:0 "
	    "--tee sim &\n");
	pid = fork();
	if (pid < 0)
		return EXIT_ERROR;
	if (pid == 0) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int l = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || l < 0 || chdir(d->dir) < 0 || dup2(o, 1) < 0 || dup2(l, 2) < 0)
			_exit(EXIT_ERROR);
		execl(d->exe, "dcr", "serve", "--contract", "contract.json", "--data-dir", "room",
		      "--listen", "127.0.0.1:0", "--tee", "sim", (char *)NULL);
		_exit(127);
	}
	d->server = pid;
	/* the server prints one line when it is ready: wait up to 15 s for it */
	for (int i = 0; i < 150; i++) {
		FILE *f = fopen(out_path, "r");
		int status;

		if (f) {
			bool got = fgets(line, sizeof(line), f) && strchr(line, '\n');

			fclose(f);
			if (got)
				break;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			d->server = 0;
			dcr_log_error("demo: the clean room did not start; see %s", log_path);
			return EXIT_ERROR;
		}
		usleep(100 * 1000);
	}
	char *url = strstr(line, "http://");

	if (!url) {
		dcr_log_error("demo: the clean room did not say it was ready; see %s", log_path);
		return EXIT_ERROR;
	}
	url[strcspn(url, " ,\n")] = '\0';
	snprintf(d->url, sizeof(d->url), "%s", url);
	say("  %s", line);
	say("  (the clean room's own log: %s)\n", log_path);
	return EXIT_OK;
}

static void stop_server(struct demo *d)
{
	int status;

	if (d->server <= 0)
		return;
	kill(d->server, SIGTERM);
	for (int i = 0; i < 50; i++) {
		if (waitpid(d->server, &status, WNOHANG) == d->server) {
			d->server = 0;
			return;
		}
		usleep(100 * 1000);
	}
	kill(d->server, SIGKILL);
	waitpid(d->server, &status, 0);
	d->server = 0;
}

static int make_dir(struct demo *d, const char *want)
{
	const char *base = getenv("TMPDIR");

	if (want) {
		snprintf(d->dir, sizeof(d->dir), "%s", want);
		if (mkdir(d->dir, 0700) < 0 && errno != EEXIST) {
			dcr_log_error("%s: %s", d->dir, strerror(errno));
			return EXIT_ERROR;
		}
	} else {
		snprintf(d->dir, sizeof(d->dir), "%s/dcr-demo-XXXXXX",
		         base && *base ? base : "/tmp");
		if (!mkdtemp(d->dir)) {
			dcr_log_error("%s: %s", d->dir, strerror(errno));
			return EXIT_ERROR;
		}
	}
	/* the children run from the demo directory; make it absolute */
	{
		char *abs_dir = realpath(d->dir, NULL);

		if (!abs_dir || strlen(abs_dir) >= sizeof(d->dir)) {
			free(abs_dir);
			dcr_log_error("%s: cannot resolve the directory", d->dir);
			return EXIT_ERROR;
		}
		memcpy(d->dir, abs_dir, strlen(abs_dir) + 1);
		free(abs_dir);
	}
	return EXIT_OK;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct demo d;
	struct dcr_msg msg = {{0}};
	const char *want_dir = NULL;
	size_t n_imp = 0, n_pur = 0;
	struct timespec start, end;
	ssize_t n;
	int c, rc = EXIT_OK;

	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&d, 0, sizeof(d));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", opts, NULL)) != -1) {
		if (c != 'd')
			return cli_bad_option("demo", c, argv);
		want_dir = optarg;
	}
	if (optind != argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	n = readlink("/proc/self/exe", d.exe, sizeof(d.exe) - 1);
	if (n <= 0) {
		dcr_log_error("demo: cannot find the dcr executable");
		return EXIT_ERROR;
	}
	d.exe[n] = '\0';
	if ((rc = make_dir(&d, want_dir)))
		return rc;

	say("dcr demo: a publisher (news) and a retailer (acme) learn how many of acme's\n"
	    "customers saw news's campaign, without either seeing the other's data.\n\n"
	    "!! This demo uses the SIMULATED TEE: it protects nothing and proves nothing !!\n"
	    "!! about hardware. Use it to try dcr out, never for real data.            !!\n\n"
	    "files: %s\n",
	    d.dir);
	dcr_log_warn("the demo runs on a SIMULATED TEE: not secure, for trying dcr out only");

	step(1, "each party makes its key pair, on its own machine");
	if ((rc = must(&d, RUN(&d, "keygen", "--out", "news"), 0, "keygen news")) ||
	    (rc = must(&d, RUN(&d, "keygen", "--out", "acme"), 0, "keygen acme")))
		goto out;

	step(2, "they agree on a contract — data, rules, TEE — and both sign it");
	if (write_contract(&d, &msg)) {
		rc = cli_fail(DCR_ERR_IO, &msg);
		goto out;
	}
	say("  wrote contract.json: impressions (news) and purchases (acme) joined on e-mail;\n"
	    "  answers only as aggregates over at least %d people; this dcr binary pinned\n"
	    "  as the only code allowed to run it (see docs/CONTRACT.md)\n",
	    K);
	if ((rc = must(&d, RUN(&d, "contract", "sign", "contract.json", "--key", "news.key"), 0,
	               "contract sign")) ||
	    (rc = must(&d, RUN(&d, "contract", "sign", "contract.json", "--key", "acme.key"), 0,
	               "contract sign")) ||
	    (rc = must(&d, RUN(&d, "contract", "verify", "contract.json"), 0, "contract verify")))
		goto out;

	step(3, "each has its own data, with e-mails written its own way");
	if (write_data(&d, &n_imp, &n_pur, &msg)) {
		rc = cli_fail(DCR_ERR_IO, &msg);
		goto out;
	}
	say("  impressions.csv (news): %zu rows, e.g. \"  Alice.0@Example.org \" with stray\n"
	    "  capitals and spaces, a few without an address; purchases.csv (acme): %zu rows,\n"
	    "  clean lowercase addresses. 1,200 people are in both.\n",
	    n_imp, n_pur);

	step(4, "the operator starts the clean room (here: simulated, on 127.0.0.1)");
	if ((rc = start_server(&d)))
		goto out;

	step(5, "news checks the clean room before sending anything: code, contract, keys");
	if ((rc = must(&d, RUN(&d, "attest", "--server", d.url, "--contract", "contract.json"), 0,
	               "attest")))
		goto out;

	step(6, "each party uploads: ids normalised and hashed locally, then encrypted");
	if ((rc = must(&d, RUN(&d, "upload", "--server", d.url, "--contract", "contract.json",
	                       "--key", "news.key", "--dataset", "impressions",
	                       "impressions.csv"),
	               0, "upload impressions")) ||
	    (rc = must(&d, RUN(&d, "upload", "--server", d.url, "--contract", "contract.json",
	                       "--key", "acme.key", "--dataset", "purchases", "purchases.csv"),
	               0, "upload purchases")))
		goto out;
	say("  the messy and the clean spellings hashed to the same ids: they will match\n");

	step(7, "acme asks: how many of my customers saw the campaign, per region?");
	if ((rc = must(&d, RUN(&d, "query", "--server", d.url, "--contract", "contract.json",
	                       "--key", "acme.key", "--format", "table",
	                       "SELECT i.region, COUNT(DISTINCT i.email) AS people, "
	                       "SUM(p.amount) AS spend FROM impressions i JOIN purchases p "
	                       "ON i.email = p.email GROUP BY i.region ORDER BY i.region"),
	               0, "query")))
		goto out;
	say("  the answer is signed by the clean room's attested key; dcr checked the\n"
	    "  signature and its receipt before printing it\n");

	step(8, "and per category? The 'yachts' group has too few people: it is dropped");
	if ((rc = must(&d, RUN(&d, "query", "--server", d.url, "--contract", "contract.json",
	                       "--key", "acme.key", "--format", "table",
	                       "SELECT p.category, COUNT(DISTINCT i.email) AS people FROM "
	                       "impressions i JOIN purchases p ON i.email = p.email "
	                       "GROUP BY p.category ORDER BY p.category"),
	               0, "query")))
		goto out;
	say("  (no yachts row: fewer than %d people, so it leaves no trace — not even a count)\n",
	    K);

	step(9, "acme tries to see the people themselves: the contract refuses");
	if ((rc = must(&d, RUN(&d, "query", "--server", d.url, "--contract", "contract.json",
	                       "--key", "acme.key",
	                       "SELECT i.email, COUNT(*) AS n FROM impressions i GROUP BY i.email"),
	               EXIT_REFUSED, "the refused query")))
		goto out;
	say("  refused with exit code %d, and nothing ran: the message names the rule\n",
	    EXIT_REFUSED);

	step(10, "news reads the audit log: every upload and query, chained and signed");
	if ((rc = must(&d, RUN(&d, "audit", "--server", d.url, "--contract", "contract.json",
	                       "--key", "news.key"),
	               0, "audit")))
		goto out;

	clock_gettime(CLOCK_MONOTONIC, &end);
	say("\ndone in %.1f s. The clean room stops now; its sealed data stays in %s/room.\n"
	    "Try the commands above yourself from %s (start the clean room again with the\n"
	    "dcr serve line of step 4).\n",
	    (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9,
	    d.dir, d.dir);
out:
	stop_server(&d);
	return rc;
}
