/* SPDX-License-Identifier: Apache-2.0 */
/* The hardware producers against fake device trees: configfs-tsm (tdx,
 * snp) and Gramine's /dev/attestation (sgx) answered by helper_fake_tsm (a
 * fake kernel, see its header), the SNP derived key behind its ioctl seam,
 * and the sealing key file of tdx and azure-vtpm. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "attest/attest_int.h"

#define TDX_RD_OFF 568
#define SNP_RD_OFF 0x50
#define SGX_RD_OFF 368

struct fixture {
	char *dir;       /* temp dir: root/, data/, log, ready */
	char root[4200]; /* DCR_ATTEST_ROOT */
	char data[4200]; /* a data directory */
	pid_t kernel;    /* the fake kernel, 0 when none runs */
	uint8_t rd[DCR_REPORT_DATA_SIZE];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_ERROR);
	f->dir = tu_tmpdir();
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
	assert_int_equal(mkdir(f->root, 0700), 0);
	assert_int_equal(mkdir(f->data, 0700), 0);
	assert_int_equal(setenv(ATTEST_ROOT_ENV, f->root, 1), 0);
	for (int i = 0; i < DCR_REPORT_DATA_SIZE; i++)
		f->rd[i] = (uint8_t)(0xa0 ^ (i * 7));
	*state = f;
	return 0;
}

static void stop_kernel(struct fixture *f)
{
	int status;

	if (!f->kernel)
		return;
	kill(f->kernel, SIGTERM);
	assert_int_equal(waitpid(f->kernel, &status, 0), f->kernel);
	f->kernel = 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stop_kernel(f);
	unsetenv(ATTEST_ROOT_ENV);
	attest_snp_key_transport = attest_snp_key_ioctl;
	tu_rmdir(f->dir);
	free(f);
	return 0;
}

static const char *testdata(const char *name)
{
	static char path[4096];
	const char *dir = getenv("DCR_TESTDATA");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*size = (size_t)n;
	return data;
}

/* Starts helper_fake_tsm ROOT KIND TEMPLATE [extra...] and waits until its
 * tree is in place. */
static void start_kernel(struct fixture *f, const char *kind, const char *template,
                         const char *extra1, const char *extra2, const char *extra3)
{
	char helper[4096], ready[4200], logp[4200];
	const char *bin = getenv("DCR_TEST_BIN");
	struct stat st;

	assert_non_null(bin);
	snprintf(helper, sizeof(helper), "%s/helper_fake_tsm", bin);
	snprintf(ready, sizeof(ready), "%s/ready", f->dir);
	snprintf(logp, sizeof(logp), "%s/log", f->dir);
	unlink(ready);
	f->kernel = fork();
	assert_true(f->kernel >= 0);
	if (f->kernel == 0) {
		const char *argv[16] = {helper, f->root, kind, template, "--ready", ready,
		                        "--log", logp};
		int n = 8;

		if (extra1)
			argv[n++] = extra1;
		if (extra2)
			argv[n++] = extra2;
		if (extra3)
			argv[n++] = extra3;
		execv(helper, (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; stat(ready, &st) != 0; i++) {
		int status;

		assert_true(i < 5000);
		assert_int_equal(waitpid(f->kernel, &status, WNOHANG), 0);
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
}

static const char *report_dir(struct fixture *f)
{
	static char path[4400];

	snprintf(path, sizeof(path), "%s/sys/kernel/config/tsm/report", f->root);
	return path;
}

/* Number of entries in dir (without . and ..). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The fake kernel's log: the report data it was given, once per blob, and
 * privlevel_writes lines "privlevel=0". */
static void assert_logged_privlevel(struct fixture *f, const char *kind, int times,
                                    int privlevel_writes)
{
	char hex[2 * DCR_REPORT_DATA_SIZE + 1], line[512], *logp = malloc(4200);
	FILE *fp;
	int n = 0;

	assert_non_null(logp);
	snprintf(logp, 4200, "%s/log", f->dir);
	dcr_hex_encode(hex, f->rd, sizeof(f->rd));
	fp = fopen(logp, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		assert_non_null(strstr(line, kind));
		if (strstr(line, "privlevel=")) {
			assert_non_null(strstr(line, " privlevel=0\n"));
			privlevel_writes--;
			continue;
		}
		assert_non_null(strstr(line, hex));
		n++;
	}
	fclose(fp);
	free(logp);
	assert_int_equal(n, times);
	assert_int_equal(privlevel_writes, 0);
}

static void assert_logged(struct fixture *f, const char *kind, int times)
{
	assert_logged_privlevel(f, kind, times, 0);
}

/* BLAKE2b-256 keyed by key over label || 0: dcr_kdf's construction,
 * recomputed with OpenSSL's BLAKE2BMAC. */
static void expected_kdf(const uint8_t *key, size_t key_size, const char *label,
                         uint8_t out[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "BLAKE2BMAC", NULL);
	EVP_MAC_CTX *ctx;
	size_t size = 32, len = 0;
	OSSL_PARAM params[2];
	uint8_t zero = 0;

	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	params[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_MAC_init(ctx, key, key_size, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, (const uint8_t *)label, strlen(label)), 1);
	assert_int_equal(EVP_MAC_update(ctx, &zero, 1), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &len, 32), 1);
	assert_int_equal(len, 32);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

/* ---- tdx ------------------------------------------------------------------ */

static void test_tdx_evidence(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_attest_env env = {.data_dir = f->data};
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;
	uint8_t *expect;
	size_t size;

	assert_non_null(tdx);
	assert_false(tdx->detect()); /* an empty root: no TDX here */
	start_kernel(f, "tdx", testdata("tdx_quote_v4_spr_e4.dat"), NULL, NULL, NULL);
	assert_true(tdx->detect());
	assert_true(dcr_attest_detect() == tdx);

	expect = slurp(testdata("tdx_quote_v4_spr_e4.dat"), &size);
	memcpy(expect + TDX_RD_OFF, f->rd, sizeof(f->rd));
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(dcr_buf_append(&out, "pre", 3), DCR_OK); /* evidence appends */
	assert_int_equal(tdx->evidence(&env, f->rd, &out, &msg), DCR_OK);
	assert_int_equal(out.size, 3 + size);
	assert_memory_equal(out.data, "pre", 3);
	assert_memory_equal(out.data + 3, expect, size);
	assert_logged(f, "tdx", 1);
	assert_int_equal(count_entries(report_dir(f)), 0); /* the entry is gone */

	/* a second request: a fresh entry, the same bytes */
	dcr_buf_reset(&out);
	assert_int_equal(tdx->evidence(&env, f->rd, &out, &msg), DCR_OK);
	assert_int_equal(out.size, size);
	assert_memory_equal(out.data, expect, size);
	assert_logged(f, "tdx", 2);
	assert_int_equal(count_entries(report_dir(f)), 0);
	dcr_buf_free(&out);
	free(expect);
}

static void test_tdx_race(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	start_kernel(f, "tdx", testdata("tdx_quote_v4_spr_e4.dat"), "--race", NULL, NULL);
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(tdx->evidence(NULL, f->rd, &out, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "tdx: another process wrote to the configfs-tsm report");
	tu_assert_msg(&msg, "generation went from 0 to 2, dcr wrote 1 times");
	assert_int_equal(out.size, 0); /* nothing of the raced blob */
	assert_int_equal(count_entries(report_dir(f)), 0);
	dcr_buf_free(&out);
}

static void test_tdx_wrong_provider(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	start_kernel(f, "tdx", testdata("tdx_quote_v4_spr_e4.dat"), "--provider", "sev_guest",
	             NULL);
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(tdx->evidence(NULL, f->rd, &out, &msg), DCR_ERR_UNSUPPORTED);
	tu_assert_msg(&msg, "provider here is \"sev_guest\", not \"tdx_guest\"");
	assert_int_equal(out.size, 0);
	assert_int_equal(count_entries(report_dir(f)), 0);
	dcr_buf_free(&out);
}

static void test_tdx_not_a_quote(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *tdx = dcr_attest_find(DCR_TEE_TDX);
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	/* an SGX quote (tee_type 0) where a TD quote belongs */
	start_kernel(f, "tdx", testdata("sgx_quote_v3_dcapqvl.dat"), NULL, NULL, NULL);
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(tdx->evidence(NULL, f->rd, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "not a TDX quote");
	assert_int_equal(out.size, 0);
	assert_int_equal(count_entries(report_dir(f)), 0);
	dcr_buf_free(&out);
}

static void test_no_configfs_tsm(void **state)
{
	struct fixture *f = *state;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	(void)f;
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->evidence(NULL, f->rd, &out, &msg),
	                 DCR_ERR_UNSUPPORTED);
	tu_assert_msg(&msg, "tdx: no configfs-tsm here");
	assert_int_equal(dcr_attest_find(DCR_TEE_SNP)->evidence(NULL, f->rd, &out, &msg),
	                 DCR_ERR_UNSUPPORTED);
	tu_assert_msg(&msg, "snp: no configfs-tsm here");
	assert_null(dcr_attest_detect());
	dcr_buf_free(&out);
}

/* ---- snp ------------------------------------------------------------------ */

static const uint8_t vcek_guid[16] = {0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
                                      0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A certificate table with the sample VCEK; broken: an offset past the end. */
static uint8_t *cert_table(size_t *size, bool broken)
{
	size_t vcek_size;
	uint8_t *vcek = slurp(testdata("snp_vcek_milan.der"), &vcek_size);
	uint8_t *t = calloc(1, 48 + vcek_size);

	assert_non_null(t);
	memcpy(t, vcek_guid, 16);
	put_le32(t + 16, broken ? 4096 : 48);
	put_le32(t + 20, (uint32_t)vcek_size);
	memcpy(t + 48, vcek, vcek_size); /* entry 2 (24..47) is all zero */
	free(vcek);
	*size = 48 + vcek_size;
	return t;
}

static void test_snp_evidence(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *snp = dcr_attest_find(DCR_TEE_SNP);
	struct dcr_msg msg = {{0}};
	char aux_path[4200];
	uint8_t *report, *table;
	size_t report_size, table_size;
	struct dcr_buf out;

	table = cert_table(&table_size, false);
	snprintf(aux_path, sizeof(aux_path), "%s/aux.bin", f->dir);
	tu_write(aux_path, table, table_size);
	assert_false(snp->detect());
	start_kernel(f, "snp", testdata("snp_report_milan.bin"), "--aux", aux_path, NULL);
	assert_true(snp->detect());
	assert_false(dcr_attest_find(DCR_TEE_TDX)->detect());
	assert_true(dcr_attest_detect() == snp);

	report = slurp(testdata("snp_report_milan.bin"), &report_size);
	assert_int_equal(report_size, SNP_REPORT_SIZE);
	memcpy(report + SNP_RD_OFF, f->rd, sizeof(f->rd));
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	/* privlevel and inblob are written: generation must be start + 2,
	 * which the fake kernel only says when it saw both writes */
	assert_int_equal(snp->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	assert_int_equal(out.size, SNP_REPORT_SIZE + table_size);
	assert_memory_equal(out.data, report, SNP_REPORT_SIZE);
	assert_memory_equal(out.data + SNP_REPORT_SIZE, table, table_size);
	assert_logged_privlevel(f, "snp", 1, 1);
	assert_int_equal(count_entries(report_dir(f)), 0);
	dcr_buf_free(&out);
	free(report);
	free(table);
}

static void test_snp_no_certificates(void **state)
{
	struct fixture *f = *state;
	struct dcr_msg msg = {{0}};
	struct dcr_buf out;

	/* an empty auxblob (a host that gives no certificates): the report alone */
	start_kernel(f, "snp", testdata("snp_report_milan.bin"), NULL, NULL, NULL);
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(dcr_attest_find(DCR_TEE_SNP)->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	assert_int_equal(out.size, SNP_REPORT_SIZE);
	assert_memory_equal(out.data + SNP_RD_OFF, f->rd, sizeof(f->rd));
	dcr_buf_free(&out);
}

static void test_snp_bad_table_and_size(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *snp = dcr_attest_find(DCR_TEE_SNP);
	struct dcr_msg msg = {{0}};
	char aux_path[4200];
	uint8_t *table;
	size_t table_size;
	struct dcr_buf out;

	table = cert_table(&table_size, true);
	snprintf(aux_path, sizeof(aux_path), "%s/aux.bin", f->dir);
	tu_write(aux_path, table, table_size);
	free(table);
	start_kernel(f, "snp", testdata("snp_report_milan.bin"), "--aux", aux_path, NULL);
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(snp->evidence(NULL, f->rd, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "certificate table");
	assert_int_equal(out.size, 0);
	assert_int_equal(count_entries(report_dir(f)), 0);
	stop_kernel(f);

	/* a TDX quote where the 1184-byte report belongs */
	start_kernel(f, "snp", testdata("tdx_quote_v4_spr_e4.dat"), NULL, NULL, NULL);
	assert_int_equal(snp->evidence(NULL, f->rd, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "an SEV-SNP report is 1184 bytes");
	assert_int_equal(out.size, 0);
	dcr_buf_free(&out);
}

/* ---- what the producers make, read by the verifiers --------------------- */

static void assert_value(const struct dcr_attest_claims *c, const char *name, const char *hex)
{
	const struct dcr_attest_measurement *m = dcr_attest_claims_find(c, name);
	uint8_t want[DCR_TEE_VALUE_MAX];

	assert_non_null(m);
	assert_int_equal(m->size, strlen(hex) / 2);
	assert_int_equal(dcr_hex_decode(want, m->size, hex, strlen(hex)), DCR_OK);
	assert_memory_equal(m->value, want, m->size);
}

/* The fake kernels answer the real samples unchanged (--keep): the evidence
 * the producers assemble from them (the SNP report with the host's
 * certificate table after it, carrying the VCEK) verifies with this build's
 * verifiers, with the values SOURCES.md gives. */
static void test_real_samples_verify(void **state)
{
	struct fixture *f = *state;
	struct dcr_attest_verify_opts opts = {.at = 1751328000}; /* 2025-07-01 */
	struct dcr_attest_claims c;
	struct dcr_msg msg = {{0}};
	char aux_path[4200];
	uint8_t rd[DCR_REPORT_DATA_SIZE] = {0}, *table;
	size_t table_size;
	struct dcr_buf out;

	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	if (!dcr_attest_find(DCR_TEE_TDX)->verify) {
		/* a build without the verifiers: nothing to check here */
		dcr_buf_free(&out);
		return;
	}

	start_kernel(f, "tdx", testdata("tdx_quote_v4_spr_e4.dat"), "--keep", NULL, NULL);
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	if (dcr_attest_find(DCR_TEE_TDX)->verify(out.data, out.size, &opts, &c, &msg) != DCR_OK)
		fail_msg("tdx: %s", msg.text);
	assert_int_equal(c.tee, DCR_TEE_TDX);
	assert_value(&c, "mrtd", "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f"
	                         "22fc00b8dcd404bc10d5e119d7215cbb");
	assert_int_equal(dcr_hex_decode(rd, 64, "6c62dec1b8191749a31dab490be532a35944dea47caef1f98"
	                                       "0863993d9899545eb7406a38d1eed313b987a467dacead6f0c"
	                                       "87a6d766c66f6f29f8acb281f1113", 128), DCR_OK);
	assert_memory_equal(c.report_data, rd, 64);
	stop_kernel(f);

	table = cert_table(&table_size, false);
	snprintf(aux_path, sizeof(aux_path), "%s/aux.bin", f->dir);
	tu_write(aux_path, table, table_size);
	free(table);
	start_kernel(f, "snp", testdata("snp_report_milan.bin"), "--keep", "--aux", aux_path);
	dcr_buf_reset(&out);
	assert_int_equal(dcr_attest_find(DCR_TEE_SNP)->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	assert_true(out.size > SNP_REPORT_SIZE); /* the VCEK travels with it */
	if (dcr_attest_find(DCR_TEE_SNP)->verify(out.data, out.size, &opts, &c, &msg) != DCR_OK)
		fail_msg("snp: %s", msg.text);
	assert_int_equal(c.tee, DCR_TEE_SNP);
	assert_value(&c, "measurement", "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82"
	                                "705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
	memset(rd, 0, sizeof(rd));
	memcpy(rd, "\x01\x02\x03\x04\x05", 5);
	assert_memory_equal(c.report_data, rd, 64);
	stop_kernel(f);

	start_kernel(f, "sgx", testdata("sgx_quote_v3_dcapqvl.dat"), "--keep", NULL, NULL);
	dcr_buf_reset(&out);
	assert_int_equal(dcr_attest_find(DCR_TEE_SGX)->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	if (dcr_attest_find(DCR_TEE_SGX)->verify(out.data, out.size, &opts, &c, &msg) != DCR_OK)
		fail_msg("sgx: %s", msg.text);
	assert_value(&c, "mrenclave",
	             "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
	memset(rd, 0, sizeof(rd));
	memcpy(rd, "Hello, world!", 13);
	assert_memory_equal(c.report_data, rd, 64);
	dcr_buf_free(&out);
}

/* ---- snp sealing key: the seam in front of the ioctl -------------------- */

static struct {
	char device[4400];
	struct snp_key_request req;
	uint8_t resp[SNP_KEY_RESP_SIZE];
	enum dcr_err err;
	int calls;
} fw;

static enum dcr_err fake_firmware(const char *device, const struct snp_key_request *req,
                                  uint8_t resp[static SNP_KEY_RESP_SIZE], uint64_t *fw_error,
                                  struct dcr_msg *msg)
{
	fw.calls++;
	snprintf(fw.device, sizeof(fw.device), "%s", device);
	fw.req = *req;
	memcpy(resp, fw.resp, SNP_KEY_RESP_SIZE);
	*fw_error = fw.err ? 0x16 : 0;
	if (fw.err)
		return dcr_fail(msg, fw.err, "%s: SNP_GET_DERIVED_KEY: Input/output error", device);
	return DCR_OK;
}

static void test_snp_sealing_key(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *snp = dcr_attest_find(DCR_TEE_SNP);
	uint8_t key[DCR_SEALING_KEY_SIZE], expect[32], fw_key[32];
	char device[4400];
	struct dcr_msg msg = {{0}};

	memset(&fw, 0, sizeof(fw));
	for (int i = 0; i < 32; i++)
		fw_key[i] = (uint8_t)(0x40 + i);
	memcpy(fw.resp + SNP_KEY_RESP_KEY_OFF, fw_key, 32); /* status 0 */
	attest_snp_key_transport = fake_firmware;

	assert_int_equal(snp->sealing_key(NULL, key, &msg), DCR_OK);
	assert_int_equal(fw.calls, 1);
	snprintf(device, sizeof(device), "%s/dev/sev-guest", f->root);
	assert_string_equal(fw.device, device);
	/* MSG_KEY_REQ: VCEK, guest policy (bit 0) and measurement (bit 3) */
	assert_int_equal(fw.req.root_key_select, 0);
	assert_int_equal(fw.req.guest_field_select, 0x9);
	assert_int_equal(fw.req.vmpl, 0);
	assert_int_equal(fw.req.guest_svn, 0);
	assert_int_equal(fw.req.tcb_version, 0);
	expected_kdf(fw_key, 32, "dcr snp sealing key v1", expect);
	assert_memory_equal(key, expect, 32);
	assert_memory_not_equal(key, fw_key, 32); /* never the firmware's key as is */

	/* the firmware says no: status 0x16 (invalid key select) */
	put_le32(fw.resp, 0x16);
	assert_int_equal(snp->sealing_key(NULL, key, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "snp: derived key: the firmware refused the request (MSG_KEY_RSP "
	                    "status 0x16)");
	assert_memory_equal(key, (uint8_t[32]){0}, 32);

	/* a zero key */
	memset(fw.resp, 0, sizeof(fw.resp));
	assert_int_equal(snp->sealing_key(NULL, key, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "zero key");

	/* the ioctl fails */
	fw.err = DCR_ERR_IO;
	assert_int_equal(snp->sealing_key(NULL, key, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "snp: derived key: ");
	tu_assert_msg(&msg, "SNP_GET_DERIVED_KEY");

	/* the real ioctl, without a device: a clear error, no crash */
	attest_snp_key_transport = attest_snp_key_ioctl;
	assert_int_equal(snp->sealing_key(NULL, key, &msg), DCR_ERR_UNSUPPORTED);
	tu_assert_msg(&msg, "/dev/sev-guest");
}

/* ---- sgx: Gramine's /dev/attestation ------------------------------------ */

static void test_sgx_evidence_and_key(void **state)
{
	struct fixture *f = *state;
	const struct dcr_attest_ops *sgx = dcr_attest_find(DCR_TEE_SGX);
	static const uint8_t mrenclave_key[16] = {0x5e, 0xa1, 0x5e, 0xa1, 1, 2, 3, 4,
	                                          5, 6, 7, 8, 9, 10, 11, 12};
	uint8_t key[DCR_SEALING_KEY_SIZE], expect_key[32], *expect, *written;
	struct dcr_msg msg = {{0}};
	char path[4400];
	size_t size, written_size;
	struct dcr_buf out;

	assert_false(sgx->detect());
	start_kernel(f, "sgx", testdata("sgx_quote_v3_dcapqvl.dat"), NULL, NULL, NULL);
	assert_true(sgx->detect());
	assert_true(dcr_attest_detect() == sgx); /* sgx is tried first */

	expect = slurp(testdata("sgx_quote_v3_dcapqvl.dat"), &size);
	memcpy(expect + SGX_RD_OFF, f->rd, sizeof(f->rd));
	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(sgx->evidence(NULL, f->rd, &out, &msg), DCR_OK);
	assert_int_equal(out.size, size);
	assert_memory_equal(out.data, expect, size);
	assert_logged(f, "sgx", 1);
	snprintf(path, sizeof(path), "%s/dev/attestation/user_report_data", f->root);
	written = slurp(path, &written_size);
	assert_int_equal(written_size, DCR_REPORT_DATA_SIZE);
	assert_memory_equal(written, f->rd, DCR_REPORT_DATA_SIZE);

	assert_int_equal(sgx->sealing_key(NULL, key, &msg), DCR_OK);
	expected_kdf(mrenclave_key, 16, "dcr sgx sealing key v1", expect_key);
	assert_memory_equal(key, expect_key, 32);

	/* a key of the wrong size */
	snprintf(path, sizeof(path), "%s/dev/attestation/keys/_sgx_mrenclave", f->root);
	tu_write(path, mrenclave_key, 15);
	assert_int_equal(sgx->sealing_key(NULL, key, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "sgx: sealing key: ");
	tu_assert_msg(&msg, "15 bytes");
	tu_write(path, "0123456789abcdefX", 17);
	assert_int_equal(sgx->sealing_key(NULL, key, &msg), DCR_ERR_TOO_BIG);

	/* a manifest without DCAP attestation */
	snprintf(path, sizeof(path), "%s/dev/attestation/attestation_type", f->root);
	tu_write(path, "none", 4);
	dcr_buf_reset(&out);
	assert_int_equal(sgx->evidence(NULL, f->rd, &out, &msg), DCR_ERR_UNSUPPORTED);
	tu_assert_msg(&msg, "attestation type is \"none\", not \"dcap\"");
	assert_int_equal(out.size, 0);
	dcr_buf_free(&out);
	free(expect);
	free(written);
}

/* ---- the sealing key file of tdx and azure-vtpm --------------------------- */

static void test_keyfile(void **state)
{
	struct fixture *f = *state;
	struct dcr_attest_env env = {.data_dir = f->data};
	uint8_t k1[32], k2[32], k3[32], *onfile;
	struct dcr_msg msg = {{0}};
	char path[4400];
	struct stat st;
	size_t size;

	snprintf(path, sizeof(path), "%s/" ATTEST_KEYFILE_NAME, f->data);
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->sealing_key(&env, k1, &msg), DCR_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	onfile = slurp(path, &size);
	assert_int_equal(size, 32);
	assert_memory_equal(onfile, k1, 32);
	free(onfile);
	/* the same key on every start, for either backend */
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->sealing_key(&env, k2, &msg), DCR_OK);
	assert_memory_equal(k1, k2, 32);
	assert_int_equal(dcr_attest_find(DCR_TEE_AZURE_VTPM)->sealing_key(&env, k3, &msg), DCR_OK);
	assert_memory_equal(k1, k3, 32);

	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->sealing_key(&env, k2, &msg), DCR_ERR_PERM);
	tu_assert_msg(&msg, "chmod 600");
	assert_memory_equal(k2, (uint8_t[32]){0}, 32);
	assert_int_equal(chmod(path, 0600), 0);
	tu_write(path, "short", 5);
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->sealing_key(&env, k2, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "not a sealing key file");

	env.data_dir = NULL;
	assert_int_equal(dcr_attest_find(DCR_TEE_TDX)->sealing_key(&env, k2, &msg),
	                 DCR_ERR_INVALID);
	tu_assert_msg(&msg, "tdx: no data directory");
}

static void test_kdf(void **state)
{
	uint8_t key[64], out[32], expect[32];

	(void)state;
	for (int i = 0; i < 64; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(dcr_kdf(key, 16, "label", NULL, 0, out), DCR_OK);
	expected_kdf(key, 16, "label", expect);
	assert_memory_equal(out, expect, 32);
	assert_int_equal(dcr_kdf(key, 64, "label", NULL, 0, out), DCR_OK);
	expected_kdf(key, 64, "label", expect);
	assert_memory_equal(out, expect, 32);
	assert_int_equal(dcr_kdf(key, 15, "label", NULL, 0, out), DCR_ERR_INVALID);
	assert_memory_equal(out, (uint8_t[32]){0}, 32);
	assert_int_equal(dcr_kdf(key, 65, "label", NULL, 0, out), DCR_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tdx_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdx_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdx_wrong_provider, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdx_not_a_quote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_configfs_tsm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snp_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snp_no_certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snp_bad_table_and_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_samples_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snp_sealing_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sgx_evidence_and_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile, setup, teardown),
		cmocka_unit_test(test_kdf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
