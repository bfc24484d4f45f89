/* SPDX-License-Identifier: Apache-2.0 */
/* dcr verify-evidence: verifies an attestation evidence file offline and
 * prints what it proves; --expect checks values a relying party insists on. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "dcr/attest.h"

#define MAX_EXPECT 32
#define VCEK_MAX (64u * 1024)              /* a VCEK certificate is ~1.3 KiB */
#define COLLATERAL_MAX (4u * 1024 * 1024)  /* TCB info, QE identity, CRLs */
#define HEX_MAX (2 * DCR_REPORT_DATA_SIZE + 1)

const char cmd_verify_evidence_usage[] =
	"usage: dcr verify-evidence FILE [--tee KIND] [--vcek F] [--collateral F] [--at TIME]\n"
	"                           [--expect K=HEX]... [--json]\n"
	"\n"
	"Verifies the attestation evidence in FILE (a quote or report a clean room made)\n"
	"and prints what it proves: the TEE kind, whether it is debuggable, when it was\n"
	"made, its measurements and its report data.\n"
	"\n"
	"  --tee KIND        auto (default: recognise FILE's format), sim, sgx, tdx,\n"
	"                    snp, azure-vtpm, or ratls; name the kind to see why a file is\n"
	"                    refused as that kind\n"
	"                    format. Name the kind to see why a file is refused.\n"
	"                    ratls: FILE is an RA-TLS certificate (PEM or DER) whose\n"
	"                    SGX/TDX quote is verified and bound to its public key\n"
	"  --vcek F          snp, azure-vtpm: the chip's VCEK certificate (DER), used\n"
	"                    instead of one inside the evidence\n"
	"  --collateral F    SGX/TDX: collateral JSON (TCB info, QE identity, CRLs);\n"
	"                    without it the TCB status is unknown\n"
	"  --at TIME         check certificates and collateral as of TIME,\n"
	"                    YYYY-MM-DDTHH:MM:SSZ (default: now)\n"
	"  --expect K=HEX    also require value K to be HEX; repeatable. K is report_data\n"
	"                    or a measurement of the evidence's kind:\n"
	"                      sim: measurement   sgx: mrenclave mrsigner\n"
	"                      tdx: mrtd rtmr0..rtmr3 mrconfigid   snp: measurement host_data\n"
	"                      azure-vtpm: measurement pcr0..pcr23\n"
	"  --json            print one JSON object instead of lines\n"
	"\n"
	"With --tee azure-vtpm, FILE may also be a bare HCL report (TPM NV index\n"
	"0x01400001, starting \"HCLA\"): its fields and runtime-data binding are shown,\n"
	"and its SNP report is verified when --vcek is given (else: NOT VERIFIED, exit 3).\n"
	"\n"
	"Simulated (sim) evidence proves nothing about hardware: any host can make it.\n"
	"Only a contract whose tee.accept lists sim should ever trust it.\n"
	"\n"
	"Exit codes: 0 the evidence verified and every --expect held; 1 a file could\n"
	"not be read, or the verifier for that kind is not built; 2 bad usage (unknown\n"
	"kind, bad --at, unknown K or bad HEX in --expect); 3 the evidence does not\n"
	"verify, is of no known kind, or an --expect does not hold.\n";

/* One --expect K=HEX. */
struct expect {
	const char *key;                    /* "report_data" or a static field name */
	const char *hex;                    /* as given, after the '=' */
	size_t hex_len;
	uint8_t value[DCR_REPORT_DATA_SIZE];
	size_t size;                        /* bytes in value, once resolved */
	bool ok;                            /* held, once checked */
	char got[HEX_MAX];                  /* what the evidence has, or "absent" */
};

/* Checks "K=HEX" syntax; the key's size is only known with the kind. */
static int expect_parse(const char *arg, struct expect *e, char *key_buf, size_t key_size)
{
	const char *eq = strchr(arg, '=');
	size_t klen;

	memset(e, 0, sizeof(*e));
	if (!eq || eq == arg)
		return cli_usage_error("verify-evidence", "--expect '%s': expected K=HEX", arg);
	klen = (size_t)(eq - arg);
	if (klen >= key_size)
		return cli_usage_error("verify-evidence", "--expect: unknown value '%.*s'",
		                       (int)klen, arg);
	memcpy(key_buf, arg, klen);
	key_buf[klen] = '\0';
	e->key = key_buf;
	e->hex = eq + 1;
	e->hex_len = strlen(e->hex);
	for (size_t i = 0; i < e->hex_len; i++) {
		char c = e->hex[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return cli_usage_error("verify-evidence",
			                       "--expect %s: '%s' is not hexadecimal", key_buf, e->hex);
	}
	if (!e->hex_len || e->hex_len % 2)
		return cli_usage_error("verify-evidence",
		                       "--expect %s: needs an even, non-zero number of hex digits",
		                       key_buf);
	return EXIT_OK;
}

/* Gives each expectation its size for evidence of kind tee and decodes it. */
static int expect_resolve(struct expect *ex, size_t count, enum dcr_tee tee)
{
	for (size_t i = 0; i < count; i++) {
		struct expect *e = &ex[i];
		const char *name = NULL;

		if (!strcmp(e->key, "report_data")) {
			e->size = DCR_REPORT_DATA_SIZE;
			name = "report_data";
		} else {
			e->size = dcr_tee_field(tee, e->key, &name);
		}
		if (!e->size)
			return cli_usage_error("verify-evidence",
			                       "--expect %s: %s evidence has no such value (K is "
			                       "report_data or a measurement listed in --help)",
			                       e->key, dcr_tee_name(tee));
		e->key = name; /* static from here on */
		if (e->hex_len != 2 * e->size)
			return cli_usage_error("verify-evidence",
			                       "--expect %s: expected %zu hex digits (%zu bytes), "
			                       "got %zu",
			                       e->key, 2 * e->size, e->size, e->hex_len);
		if (dcr_hex_decode(e->value, e->size, e->hex, e->hex_len) != DCR_OK)
			return cli_usage_error("verify-evidence", "--expect %s: bad hex", e->key);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ex[j].key, e->key))
				return cli_usage_error("verify-evidence", "--expect %s: given twice",
				                       e->key);
	}
	return EXIT_OK;
}

/* Checks each expectation against claims; true when all hold. */
static bool expect_check(struct expect *ex, size_t count, const struct dcr_attest_claims *cl)
{
	bool all = true;

	for (size_t i = 0; i < count; i++) {
		struct expect *e = &ex[i];
		const uint8_t *have = NULL;
		size_t have_size = 0;

		if (!strcmp(e->key, "report_data")) {
			have = cl->report_data;
			have_size = DCR_REPORT_DATA_SIZE;
		} else {
			const struct dcr_attest_measurement *m = dcr_attest_claims_find(cl, e->key);

			if (m) {
				have = m->value;
				have_size = m->size;
			}
		}
		if (have)
			dcr_hex_encode(e->got, have, have_size);
		else
			snprintf(e->got, sizeof(e->got), "absent");
		e->ok = have && have_size == e->size && !memcmp(have, e->value, e->size);
		all = all && e->ok;
	}
	return all;
}

/* Reads an optional side file (--vcek, --collateral). */
static int read_side(const char *path, size_t max, struct dcr_buf *out)
{
	struct dcr_msg msg = {{0}};
	enum dcr_err err;

	if (!path)
		return EXIT_OK;
	err = dcr_file_read(path, max, out, &msg);
	return err ? cli_fail(err, &msg) : EXIT_OK;
}

static int print_json(const struct dcr_attest_claims *cl, const struct expect *ex,
                      size_t count, bool all_ok, const char *unverified, unsigned ratls_exts)
{
	json_t *root = json_object(), *ms = json_object(), *es = json_object();
	char hex[HEX_MAX], when[21];
	char *text = NULL;
	int rc = EXIT_ERROR;

	if (!root || !ms || !es)
		goto out;
	json_object_set_new(root, "tee", json_string(dcr_tee_name(cl->tee)));
	json_object_set_new(root, "verified", json_boolean(!unverified));
	if (unverified)
		json_object_set_new(root, "error", json_string(unverified));
	if (ratls_exts) {
		json_t *exts = json_array();

		if (exts && (ratls_exts & DCR_RATLS_LEGACY))
			json_array_append_new(exts, json_string("legacy"));
		if (exts && (ratls_exts & DCR_RATLS_DICE))
			json_array_append_new(exts, json_string("dice"));
		json_object_set_new(root, "ratls", exts);
	}
	if (cl->tee == DCR_TEE_SIM)
		json_object_set_new(root, "warning",
		                    json_string("SIMULATED: proves nothing about hardware"));
	json_object_set_new(root, "debug", json_boolean(cl->debug));
	if (cl->info_count) {
		json_t *info = json_object();

		for (size_t i = 0; info && i < cl->info_count; i++)
			json_object_set_new(info, cl->info[i].name, json_string(cl->info[i].value));
		json_object_set_new(root, "info", info);
	}
	if (cl->timestamp) {
		dcr_time_format(cl->timestamp, when);
		json_object_set_new(root, "timestamp", json_string(when));
	} else {
		json_object_set_new(root, "timestamp", json_null());
	}
	dcr_hex_encode(hex, cl->report_data, DCR_REPORT_DATA_SIZE);
	json_object_set_new(root, "report_data", json_string(hex));
	if (cl->tcb_status[0]) {
		json_t *adv = json_array();

		json_object_set_new(root, "fmspc", json_string(cl->fmspc));
		json_object_set_new(root, "tcb_status", json_string(cl->tcb_status));
		for (size_t i = 0; adv && i < cl->advisory_count; i++)
			json_array_append_new(adv, json_string(cl->advisories[i]));
		json_object_set_new(root, "advisories", adv);
		if (cl->advisories_truncated)
			json_object_set_new(root, "advisories_truncated", json_true());
	}
	for (size_t i = 0; i < cl->measurement_count; i++) {
		dcr_hex_encode(hex, cl->measurements[i].value, cl->measurements[i].size);
		json_object_set_new(ms, cl->measurements[i].name, json_string(hex));
		/* also at the top level, as per kind fields (docs/ATTESTATION.md) */
		if (!json_object_get(root, cl->measurements[i].name))
			json_object_set_new(root, cl->measurements[i].name, json_string(hex));
	}
	for (size_t i = 0; i < cl->info_count; i++)
		if (!json_object_get(root, cl->info[i].name))
			json_object_set_new(root, cl->info[i].name, json_string(cl->info[i].value));
	json_object_set(root, "measurements", ms);
	for (size_t i = 0; i < count; i++)
		json_object_set_new(es, ex[i].key, json_boolean(ex[i].ok));
	json_object_set(root, "expectations", es);
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		goto out;
	printf("%s\n", text);
	rc = all_ok && !unverified ? EXIT_OK : EXIT_VERIFY;
out:
	if (rc == EXIT_ERROR)
		dcr_log_error("out of memory");
	free(text);
	json_decref(ms);
	json_decref(es);
	json_decref(root);
	return rc;
}

static void print_lines(const struct dcr_attest_claims *cl, const struct expect *ex,
                        size_t count, unsigned ratls_exts)
{
	char hex[HEX_MAX], when[21];

	if (ratls_exts)
		printf("%-12s %s%s%s\n", "ra-tls:",
		       ratls_exts & DCR_RATLS_LEGACY ? "Gramine legacy extension" : "",
		       ratls_exts == (DCR_RATLS_LEGACY | DCR_RATLS_DICE) ? ", " : "",
		       ratls_exts & DCR_RATLS_DICE ? "TCG DICE extension" : "");
	printf("%-12s %s\n", "tee:", dcr_tee_name(cl->tee));
	if (cl->tee == DCR_TEE_SIM)
		printf("%-12s SIMULATED: proves nothing about hardware (any host can make this "
		       "evidence and read the TEE's memory)\n", "");
	printf("%-12s %s\n", "debug:",
	       cl->debug ? "yes (the host can read the TEE's memory)" : "no");
	for (size_t i = 0; i < cl->info_count; i++) {
		char label[40];

		snprintf(label, sizeof(label), "%s:", cl->info[i].name);
		printf("%-12s %s\n", label, cl->info[i].value);
	}
	if (cl->timestamp) {
		dcr_time_format(cl->timestamp, when);
		printf("%-12s %s\n", "timestamp:", when);
	} else {
		printf("%-12s unknown\n", "timestamp:");
	}
	for (size_t i = 0; i < cl->measurement_count; i++) {
		char label[40];

		dcr_hex_encode(hex, cl->measurements[i].value, cl->measurements[i].size);
		snprintf(label, sizeof(label), "%s:", cl->measurements[i].name);
		printf("%-12s %s\n", label, hex);
	}
	dcr_hex_encode(hex, cl->report_data, DCR_REPORT_DATA_SIZE);
	printf("%-12s %s\n", "report_data:", hex);
	if (cl->tcb_status[0]) {
		printf("%-12s %s\n", "fmspc:", cl->fmspc);
		printf("%-12s %s\n", "tcb status:", cl->tcb_status);
		if (cl->advisory_count || strncmp(cl->tcb_status, "unknown", 7) != 0) {
			printf("%-12s ", "advisories:");
			for (size_t i = 0; i < cl->advisory_count; i++)
				printf("%s%s", i ? ", " : "", cl->advisories[i]);
			printf("%s\n", cl->advisory_count ?
			       (cl->advisories_truncated ? ", ..." : "") : "none");
		}
	}
	for (size_t i = 0; i < count; i++)
		printf("expect %s: %s\n", ex[i].key, ex[i].ok ? "OK" : "MISMATCH");
}

/* "sim, sgx": the kinds whose verifier this build has. */
static void built_verifiers(char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		const struct dcr_attest_ops *ops = dcr_attest_find((enum dcr_tee)i);
		int m;

		if (!ops || !ops->verify)
			continue;
		m = snprintf(out + n, size - n, "%s%s", n ? ", " : "", ops->name);
		if (m < 0 || (size_t)m >= size - n)
			break;
		n += (size_t)m;
	}
}

/* A verifier failure's exit code: resources are 1, anything the evidence did is 3. */
static int verify_exit(enum dcr_err err)
{
	return err == DCR_ERR_NOMEM || err == DCR_ERR_INTERNAL ? EXIT_ERROR : EXIT_VERIFY;
}

static void print_json_failure(const char *tee, const char *error,
                               const struct dcr_attest_claims *parsed)
{
	json_t *root = json_pack("{s:s, s:b, s:s}", "tee", tee, "verified", 0, "error", error);
	const char *step = strstr(error, "step ");

	/* what was parsed before the failing step: shown, never trusted */
	if (root && parsed) {
		char hex[2 * DCR_REPORT_DATA_SIZE + 1];

		dcr_hex_encode(hex, parsed->report_data, DCR_REPORT_DATA_SIZE);
		json_object_set_new(root, "report_data", json_string(hex));
		json_object_set_new(root, "debug", json_boolean(parsed->debug));
		for (size_t i = 0; i < parsed->measurement_count; i++) {
			dcr_hex_encode(hex, parsed->measurements[i].value, parsed->measurements[i].size);
			json_object_set_new(root, parsed->measurements[i].name, json_string(hex));
		}
		for (size_t i = 0; i < parsed->info_count; i++)
			if (!json_object_get(root, parsed->info[i].name))
				json_object_set_new(root, parsed->info[i].name,
				                    json_string(parsed->info[i].value));
	}
	/* "snp: step 6 (signature): ...": the step, as its number and name */
	if (root && step) {
		const char *end = strchr(step, ')');

		if (end && end - step < 80)
			json_object_set_new(root, "step", json_stringn(step + 5, (size_t)(end - step - 4)));
	}
	char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(root);
}

/* --tee azure-vtpm on a bare HCL report: shows what it says and verifies
 * the SNP report when a VCEK is given (docs/ATTESTATION.md). */
static int inspect_hcl(const struct dcr_buf *hcl, const struct dcr_attest_verify_opts *vopts,
                       struct expect *ex, size_t ex_count, bool json)
{
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	enum dcr_err err;
	bool all_ok;
	int rc;

	err = dcr_attest_azure_hcl_inspect(hcl->data, hcl->size, vopts, &claims, &msg);
	if (err == DCR_ERR_NOMEM || err == DCR_ERR_INTERNAL)
		return cli_fail(err, &msg);
	all_ok = expect_check(ex, ex_count, &claims);
	if (json) {
		rc = print_json(&claims, ex, ex_count, all_ok, err ? msg.text : NULL, 0);
	} else {
		printf("a bare HCL report, not a DCRVTPM1 container: no TPM quote, so no PCRs\n");
		print_lines(&claims, ex, ex_count, 0);
		if (err)
			printf("NOT VERIFIED: %s\n", msg.text);
		else if (all_ok)
			printf("hcl report verified (the SNP report and its runtime data; no PCRs)\n");
		rc = all_ok && !err ? EXIT_OK : EXIT_VERIFY;
	}
	if (err)
		cli_fail(err, &msg);
	for (size_t i = 0; i < ex_count; i++)
		if (!ex[i].ok)
			dcr_log_error("--expect %s: the report has %s, expected %.*s", ex[i].key,
			              ex[i].got, (int)ex[i].hex_len, ex[i].hex);
	return rc;
}

int cmd_verify_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{"tee", required_argument, NULL, 't'},
		{"vcek", required_argument, NULL, 'v'},
		{"collateral", required_argument, NULL, 'c'},
		{"at", required_argument, NULL, 'a'},
		{"expect", required_argument, NULL, 'e'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct expect ex[MAX_EXPECT];
	char ex_keys[MAX_EXPECT][32];
	size_t ex_count = 0;
	const char *tee_name = NULL, *vcek_path = NULL, *coll_path = NULL, *at_text = NULL;
	const char *path;
	bool json = false, all_ok, ratls = false;
	unsigned ratls_exts = 0;
	const struct dcr_attest_ops *ops = NULL;
	struct dcr_attest_verify_opts vopts = {0};
	struct dcr_attest_claims parsed = {0};  /* how far a refused file got (display) */
	struct dcr_attest_claims claims;
	struct dcr_buf evidence = {0}, vcek = {0}, coll = {0};
	struct dcr_msg msg = {{0}};
	enum dcr_err err;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:v:c:a:e:j", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			/* auto: recognise the format, as without --tee */
			tee_name = strcmp(optarg, "auto") ? optarg : NULL;
			break;
		case 'v':
			vcek_path = optarg;
			break;
		case 'c':
			coll_path = optarg;
			break;
		case 'a':
			at_text = optarg;
			break;
		case 'e':
			if (ex_count == MAX_EXPECT)
				return cli_usage_error("verify-evidence",
				                       "at most %d --expect options", MAX_EXPECT);
			rc = expect_parse(optarg, &ex[ex_count], ex_keys[ex_count],
			                  sizeof(ex_keys[0]));
			if (rc)
				return rc;
			ex_count++;
			break;
		case 'j':
			json = true;
			break;
		default:
			return cli_bad_option("verify-evidence", c, argv);
		}
	}
	if (optind == argc)
		return cli_usage_error("verify-evidence", "which evidence FILE?");
	if (argc - optind > 1)
		return cli_usage_error("verify-evidence", "unexpected argument '%s'",
		                       argv[optind + 1]);
	path = argv[optind];
	if (at_text && dcr_time_parse(at_text, &vopts.at) != DCR_OK)
		return cli_usage_error("verify-evidence",
		                       "--at '%s': expected a UTC time YYYY-MM-DDTHH:MM:SSZ", at_text);
	if (tee_name && !strcmp(tee_name, "ratls")) {
		ratls = true;
	} else if (tee_name) {
		enum dcr_tee tee;

		if (dcr_tee_from_name(tee_name, &tee) != DCR_OK)
			return cli_usage_error("verify-evidence",
			                       "--tee '%s': unknown TEE kind (sim, sgx, tdx, snp, "
			                       "azure-vtpm, or ratls for a certificate)", tee_name);
		ops = dcr_attest_find(tee);
		if (!ops || !ops->verify) {
			dcr_log_error("the %s verifier is not built yet", dcr_tee_name(tee));
			return EXIT_ERROR;
		}
		rc = expect_resolve(ex, ex_count, tee);
		if (rc)
			return rc;
	}

	rc = read_side(vcek_path, VCEK_MAX, &vcek);
	if (!rc)
		rc = read_side(coll_path, COLLATERAL_MAX, &coll);
	if (rc)
		goto out;
	vopts.vcek = vcek.data;
	vopts.vcek_size = vcek.size;
	vopts.collateral = coll.data;
	vopts.collateral_size = coll.size;

	err = dcr_file_read(path, DCR_EVIDENCE_MAX_SIZE, &evidence, &msg);
	if (err) {
		rc = cli_fail(err, &msg);
		/* a file too big to be evidence is not evidence: 3, like any other */
		if (err == DCR_ERR_TOO_BIG)
			rc = EXIT_VERIFY;
		goto out;
	}
	if (ratls) {
		err = dcr_attest_verify_ratls(evidence.data, evidence.size, &vopts, &claims,
		                              &ratls_exts, &msg);
		if (err) {
			if (json)
				print_json_failure("ratls", msg.text[0] ? msg.text : dcr_strerror(err),
				                   NULL);
			cli_fail(err, &msg);
			rc = verify_exit(err);
			goto out;
		}
		/* the kind, and so the --expect keys, is the quote's */
		rc = expect_resolve(ex, ex_count, claims.tee);
		if (rc)
			goto out;
	} else if (!ops) {
		ops = dcr_attest_probe(evidence.data, evidence.size);
		if (!ops || !ops->verify) {
			char kinds[64];

			built_verifiers(kinds, sizeof(kinds));
			if (evidence.size >= 4 && !memcmp(evidence.data, "HCLA", 4))
				dcr_log_error("%s: a bare Azure HCL report, not evidence; inspect it "
				              "with --tee azure-vtpm", path);
			else
				dcr_log_error("%s: not evidence of any kind this build knows (it "
				              "verifies: %s); name the kind with --tee to see why it "
				              "is refused",
				              path, kinds);
			rc = EXIT_VERIFY;
			goto out;
		}
		rc = expect_resolve(ex, ex_count, ops->tee);
		if (rc)
			goto out;
	}

	if (!ratls && ops->tee == DCR_TEE_AZURE_VTPM && evidence.size >= 4 &&
	    !memcmp(evidence.data, "HCLA", 4)) {
		rc = inspect_hcl(&evidence, &vopts, ex, ex_count, json);
		goto out;
	}
	vopts.parsed = &parsed;
	err = ratls ? DCR_OK : ops->verify(evidence.data, evidence.size, &vopts, &claims, &msg);
	vopts.parsed = NULL;
	if (err) {
		if (json)
			print_json_failure(ops->name, msg.text[0] ? msg.text : dcr_strerror(err),
			                   parsed.measurement_count ? &parsed : NULL);
		cli_fail(err, &msg);
		rc = verify_exit(err);
		goto out;
	}

	all_ok = expect_check(ex, ex_count, &claims);
	if (json) {
		rc = print_json(&claims, ex, ex_count, all_ok, NULL, ratls_exts);
	} else {
		print_lines(&claims, ex, ex_count, ratls_exts);
		if (all_ok)
			printf("evidence verified\n");
		rc = all_ok ? EXIT_OK : EXIT_VERIFY;
	}
	for (size_t i = 0; i < ex_count; i++)
		if (!ex[i].ok)
			dcr_log_error("--expect %s: the evidence has %s, expected %.*s", ex[i].key,
			              ex[i].got, (int)ex[i].hex_len, ex[i].hex);
out:
	dcr_buf_free(&evidence);
	dcr_buf_free(&vcek);
	dcr_buf_free(&coll);
	return rc;
}
