/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm producer against a software TPM (swtpm) this test starts
 * and prepares as Azure's HCL would (NV indices 0x01400001/0x01400002, an
 * AK at 0x81000003): the "DCRVTPM1" container's sections, the quote's
 * TPMS_ATTEST fields, its RSASSA signature (OpenSSL, against the AK public
 * key tpm2_readpublic prints), the PCR digest and values. Exits 77 (ctest
 * SKIP) only when swtpm or tpm2-tools is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/attest_int.h"

#define SKIP_CODE 77
#define HCL_SIZE 2048 /* more than the TPM's 1024-byte NV buffer: read in pieces */

static char *dir;
static int tpm_port;
static uint8_t rd[DCR_REPORT_DATA_SIZE];

static bool have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* Runs a shell command in dir with the swtpm TCTI; asserts success. */
static void run(const char *fmt, ...)
{
	char cmd[4096], full[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && %s >>tpm.log 2>&1", dir, cmd);
	rc = system(full);
	if (rc != 0)
		fail_msg("failed (%d): %s (see %s/tpm.log)", rc, cmd, dir);
}

static bool port_free(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (s >= 0)
		close(s);
	return ok;
}

/* A loopback port P with P + 1 free too (swtpm's server and control). */
static int free_port_pair(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	for (int tries = 0; tries < 50; tries++) {
		int s = socket(AF_INET, SOCK_STREAM, 0), port;

		assert_true(s >= 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = 0;
		assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
		assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
		port = ntohs(a.sin_port);
		close(s);
		if (port < 65535 && port_free(port) && port_free(port + 1))
			return port;
	}
	fail_msg("no free pair of loopback ports");
	return -1;
}

static void stop_swtpm(void)
{
	char path[4200];
	FILE *f;
	long pid = 0;

	snprintf(path, sizeof(path), "%s/swtpm.pid", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%ld", &pid) == 1 && pid > 0)
		kill((pid_t)pid, SIGTERM);
	fclose(f);
	unlink(path);
}

static int setup(void **state)
{
	char tcti[128];

	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_ERROR);
	unsetenv(ATTEST_ROOT_ENV);
	unsetenv("TCTI");
	dir = tu_tmpdir();
	for (int attempt = 0;; attempt++) {
		char cmd[8192];

		tpm_port = free_port_pair();
		snprintf(cmd, sizeof(cmd),
		         "cd '%s' && swtpm socket --tpm2 --daemon --pid file=swtpm.pid "
		         "--tpmstate dir=. --flags not-need-init,startup-clear "
		         "--server type=tcp,port=%d,bindaddr=127.0.0.1 "
		         "--ctrl type=tcp,port=%d,bindaddr=127.0.0.1 >>tpm.log 2>&1",
		         dir, tpm_port, tpm_port + 1);
		if (system(cmd) == 0)
			break;
		if (attempt == 3)
			fail_msg("swtpm does not start (see %s/tpm.log)", dir);
	}
	snprintf(tcti, sizeof(tcti), "swtpm:host=127.0.0.1,port=%d", tpm_port);
	assert_int_equal(setenv("TPM2TOOLS_TCTI", tcti, 1), 0);
	for (int i = 0; i < DCR_REPORT_DATA_SIZE; i++)
		rd[i] = (uint8_t)(0x3c + 5 * i);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_swtpm();
	unsetenv("TPM2TOOLS_TCTI");
	tu_rmdir(dir);
	return 0;
}

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*size = (size_t)n;
	return data;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void sha256(const void *data, size_t size, uint8_t out[32])
{
	unsigned len = 0;

	assert_int_equal(EVP_Digest(data, size, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
}

/* RSASSA-PKCS1-v1_5 SHA-256 signature check with the AK's PEM public key. */
static bool rsassa_ok(const char *pem, const uint8_t *data, size_t size, const uint8_t *sig,
                      size_t sig_size)
{
	FILE *f = fopen(pem, "r");
	EVP_PKEY *key;
	EVP_MD_CTX *ctx;
	bool ok;

	assert_non_null(f);
	key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(key);
	ctx = EVP_MD_CTX_new();
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
	ok = EVP_DigestVerify(ctx, sig, sig_size, data, size) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

/* Defines the NV indices and the AK as Azure's HCL has them, a fake HCL
 * report, and some measurements in the PCRs. */
static void prepare_tpm(uint8_t hcl[HCL_SIZE])
{
	char path[4200];

	memcpy(hcl, "HCLA", 4);
	for (int i = 4; i < HCL_SIZE; i++)
		hcl[i] = (uint8_t)(i * 31 + (i >> 8));
	snprintf(path, sizeof(path), "%s/hcl.bin", dir);
	tu_write(path, hcl, HCL_SIZE);
	run("tpm2_nvdefine -C o -s 64 -a 'ownerread|ownerwrite|authread|authwrite' 0x01400002");
	run("tpm2_nvdefine -C o -s %d -a 'ownerread|ownerwrite|authread|authwrite' 0x01400001",
	    HCL_SIZE);
	run("tpm2_nvwrite -C o -i hcl.bin 0x01400001");
	run("tpm2_createprimary -C o -G rsa2048:rsassa-sha256:null -a "
	    "'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda' "
	    "-c ak.ctx");
	run("tpm2_evictcontrol -C o -c ak.ctx 0x81000003");
	run("tpm2_readpublic -c 0x81000003 -f pem -o ak.pem");
	run("tpm2_pcrextend 7:sha256=%s 16:sha256=%s",
	    "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0",
	    "0101010101010101010101010101010101010101010101010101010101010101");
}

static void test_vtpm_evidence(void **state)
{
	const struct dcr_attest_ops *vtpm = dcr_attest_find(DCR_TEE_AZURE_VTPM);
	uint8_t hcl[HCL_SIZE], nonce[32], digest[32];
	const uint8_t *sec[VTPM_SECTION_COUNT], *q;
	uint32_t len[VTPM_SECTION_COUNT];
	struct dcr_msg msg = {{0}};
	char path[4200], pem[4200];
	uint8_t *file;
	struct dcr_buf out;
	size_t off, size, qsize;

	(void)state;
	assert_non_null(vtpm);
	assert_false(vtpm->detect()); /* a TPM, but not Azure's: no HCL report index */
	prepare_tpm(hcl);
	assert_true(vtpm->detect());

	dcr_buf_init(&out, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(vtpm->evidence(NULL, rd, &out, &msg), DCR_OK);

	/* the container: magic, five length-prefixed sections, nothing after */
	assert_true(out.size > VTPM_MAGIC_SIZE);
	assert_memory_equal(out.data, "DCRVTPM1", 8);
	off = 8;
	for (int i = 0; i < VTPM_SECTION_COUNT; i++) {
		assert_true(out.size - off >= 4);
		len[i] = le32(out.data + off);
		off += 4;
		assert_true(out.size - off >= len[i]);
		sec[i] = out.data + off;
		off += len[i];
	}
	assert_int_equal(off, out.size);

	/* 1: the HCL report, all 2048 bytes */
	assert_int_equal(len[0], HCL_SIZE);
	assert_memory_equal(sec[0], hcl, HCL_SIZE);
	/* the report data went to NV 0x01400002 first */
	run("tpm2_nvread -C o -o rd.bin 0x01400002");
	snprintf(path, sizeof(path), "%s/rd.bin", dir);
	file = slurp(path, &size);
	assert_int_equal(size, DCR_REPORT_DATA_SIZE);
	assert_memory_equal(file, rd, DCR_REPORT_DATA_SIZE);
	free(file);

	/* 2: TPMS_ATTEST, big-endian */
	q = sec[1];
	qsize = len[1];
	assert_true(qsize > 10);
	assert_int_equal(be32(q), 0xff544347); /* TPM_GENERATED_VALUE */
	assert_int_equal(be16(q + 4), 0x8018); /* TPM_ST_ATTEST_QUOTE */
	off = 6;
	off += 2 + be16(q + off); /* qualifiedSigner */
	assert_true(off + 2 + 32 <= qsize);
	assert_int_equal(be16(q + off), 32); /* extraData = SHA-256(report data) */
	sha256(rd, sizeof(rd), nonce);
	assert_memory_equal(q + off + 2, nonce, 32);
	off += 2 + 32;
	off += 17 + 8; /* clockInfo, firmwareVersion */
	assert_true(off + 4 + 2 + 1 + 3 + 2 + 32 == qsize);
	assert_int_equal(be32(q + off), 1); /* one bank */
	assert_int_equal(be16(q + off + 4), 0x000b); /* SHA-256 */
	assert_int_equal(q[off + 6], 3);
	assert_memory_equal(q + off + 7, "\xff\xff\xff", 3); /* PCRs 0..23 */
	off += 10;
	assert_int_equal(be16(q + off), 32);
	/* 4: the PCR values, which hash to the quote's digest */
	assert_int_equal(len[3], 768);
	sha256(sec[3], 768, digest);
	assert_memory_equal(q + off + 2, digest, 32);
	/* ... and are what tpm2-tools reads */
	run("tpm2_pcrread -o pcrs.bin sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"
	    "20,21,22,23");
	snprintf(path, sizeof(path), "%s/pcrs.bin", dir);
	file = slurp(path, &size);
	assert_int_equal(size, 768);
	assert_memory_equal(file, sec[3], 768);
	free(file);
	{
		/* PCR 7 = SHA-256(zeros || the extended digest) */
		uint8_t in[64] = {0}, pcr7[32];

		for (int i = 0; i < 32; i++)
			in[32 + i] = (uint8_t)(0xa1 + i);
		sha256(in, sizeof(in), pcr7);
		assert_memory_equal(sec[3] + 7 * 32, pcr7, 32);
	}

	/* 3: the AK's RSASSA signature over section 2 */
	snprintf(pem, sizeof(pem), "%s/ak.pem", dir);
	assert_int_equal(len[2], 256);
	assert_true(rsassa_ok(pem, sec[1], len[1], sec[2], len[2]));
	{
		/* a test that can fail: one flipped bit of the quote */
		uint8_t *copy = malloc(len[1]);

		assert_non_null(copy);
		memcpy(copy, sec[1], len[1]);
		copy[len[1] - 1] ^= 1;
		assert_false(rsassa_ok(pem, copy, len[1], sec[2], len[2]));
		free(copy);
	}

	/* 5: no VCEK */
	assert_int_equal(len[4], 0);

	/* another report data: another nonce in the quote */
	rd[0] ^= 0xff;
	dcr_buf_reset(&out);
	assert_int_equal(vtpm->evidence(NULL, rd, &out, &msg), DCR_OK);
	sha256(rd, sizeof(rd), nonce);
	assert_non_null(memmem(out.data, out.size, nonce, 32));
	rd[0] ^= 0xff;

	/* not an HCL report */
	snprintf(path, sizeof(path), "%s/bad.bin", dir);
	tu_write(path, "XXXX", 4);
	run("tpm2_nvwrite -C o -i bad.bin 0x01400001");
	dcr_buf_reset(&out);
	assert_int_equal(vtpm->evidence(NULL, rd, &out, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "no \"HCLA\"");
	assert_int_equal(out.size, 0);
	run("tpm2_nvwrite -C o -i hcl.bin 0x01400001");

	/* without the AK: a clear error, nothing appended */
	run("tpm2_evictcontrol -C o -c 0x81000003");
	assert_int_equal(vtpm->evidence(NULL, rd, &out, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "azure-vtpm: the attestation key at 0x81000003");
	assert_int_equal(out.size, 0);

	/* no report data index */
	run("tpm2_nvundefine -C o 0x01400002");
	assert_int_equal(vtpm->evidence(NULL, rd, &out, &msg), DCR_ERR_IO);
	tu_assert_msg(&msg, "NV index 0x01400002");
	assert_int_equal(out.size, 0);
	dcr_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vtpm_evidence, setup, teardown),
	};

	if (!have("swtpm") || !have("tpm2_nvdefine")) {
		fprintf(stderr, "*** SKIPPED: the azure-vtpm producer test needs swtpm and "
		                "tpm2-tools (apt-get install swtpm swtpm-tools tpm2-tools, or "
		                "make deps) ***\n");
		return SKIP_CODE;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
