/* SPDX-License-Identifier: Apache-2.0 */
/* The sim backend: evidence made in a temporary data directory verifies,
 * binds what it should, and any change to it is caught at a named step. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "attest/attest_int.h"

struct fixture {
	char *dir;
	const struct dcr_attest_ops *sim;
	struct dcr_attest_env env;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_WARN);
	f->dir = tu_tmpdir();
	f->env.data_dir = f->dir;
	f->sim = dcr_attest_find(DCR_TEE_SIM);
	assert_non_null(f->sim);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_rmdir(f->dir);
	free(f);
	return 0;
}

/* stderr goes to a file between capture_start and capture_end, which returns
 * what was written (the caller frees it). */
static int capture_start(const char *dir)
{
	int fd, saved;

	fflush(stderr);
	fd = open(tu_path(dir, "stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	return saved;
}

static char *capture_end(const char *dir, int saved)
{
	struct dcr_buf b;
	struct dcr_msg msg;
	char *text;

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(dcr_file_read(tu_path(dir, "stderr.txt"), 65536, &b, &msg), DCR_OK);
	text = strdup((const char *)b.data);
	assert_non_null(text);
	dcr_buf_free(&b);
	return text;
}

static void make_evidence(const struct fixture *f, const struct dcr_attest_env *env,
                          const uint8_t rd[DCR_REPORT_DATA_SIZE], uint8_t out[SIM_EVIDENCE_SIZE])
{
	struct dcr_buf b;
	struct dcr_msg msg = {{0}};

	dcr_buf_init(&b, DCR_EVIDENCE_MAX_SIZE);
	if (f->sim->evidence(env, rd, &b, &msg) != DCR_OK)
		fail_msg("sim evidence: %s", msg.text);
	assert_int_equal(b.size, SIM_EVIDENCE_SIZE);
	memcpy(out, b.data, SIM_EVIDENCE_SIZE);
	dcr_buf_free(&b);
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE], ev[SIM_EVIDENCE_SIZE];
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};
	int64_t t0 = (int64_t)time(NULL), t1;
	char *log;
	int saved;

	fill(rd, sizeof(rd), 7);
	make_evidence(f, &f->env, rd, ev);
	t1 = (int64_t)time(NULL);

	saved = capture_start(f->dir);
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_OK);
	log = capture_end(f->dir, saved);
	/* the user must be told, every time, that this proves nothing */
	if (!strstr(log, "SIMULATED") || !strstr(log, "proves nothing about hardware"))
		fail_msg("no loud warning on stderr, got \"%s\"", log);
	free(log);

	assert_int_equal(claims.tee, DCR_TEE_SIM);
	assert_memory_equal(claims.report_data, rd, sizeof(rd));
	assert_int_equal(claims.measurement_count, 1);
	assert_string_equal(claims.measurements[0].name, "measurement");
	assert_int_equal(claims.measurements[0].size, 48);
	assert_true(claims.debug);
	assert_true(claims.timestamp >= t0 && claims.timestamp <= t1);
}

/* SHA-384 of this very test binary, computed without the code under test. */
static void exe_sha384(uint8_t out[48])
{
	struct dcr_buf b;
	struct dcr_msg msg;
	unsigned int len = 0;

	assert_int_equal(dcr_file_read("/proc/self/exe", 1u << 30, &b, &msg), DCR_OK);
	assert_int_equal(EVP_Digest(b.data, b.size, out, &len, EVP_sha384(), NULL), 1);
	assert_int_equal(len, 48);
	dcr_buf_free(&b);
}

static void test_measurement_is_sha384_of_exe(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE] = {0}, ev[SIM_EVIDENCE_SIZE], want[48];
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};

	exe_sha384(want);
	make_evidence(f, &f->env, rd, ev);
	assert_memory_equal(ev + SIM_OFF_MEASUREMENT, want, 48);
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_OK);
	assert_memory_equal(claims.measurements[0].value, want, 48);
}

static void test_format_matches_the_docs(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE], ev[SIM_EVIDENCE_SIZE], tbs[20 + 160];
	struct dcr_pubkey platform;
	struct dcr_msg msg = {{0}};
	uint64_t ts = 0;

	fill(rd, sizeof(rd), 100);
	make_evidence(f, &f->env, rd, ev);
	assert_memory_equal(ev, "DCRSIM\x01\x00", 8);
	for (int i = 7; i >= 0; i--)
		ts = (ts << 8) | ev[8 + i];
	assert_true(ts > 1700000000u && ts <= (uint64_t)time(NULL));
	assert_memory_equal(ev + 16, rd, 64);
	/* the platform key in the evidence is the one in the data directory */
	assert_int_equal(dcr_pubkey_load(tu_path(f->dir, "sim-platform.pub"), &platform, &msg),
	                 DCR_OK);
	assert_memory_equal(ev + 128, platform.sign, 32);
	memcpy(tbs, "dcr sim evidence v1\n", 20);
	memcpy(tbs + 20, ev, 160);
	assert_int_equal(dcr_verify(platform.sign, tbs, sizeof(tbs), ev + 160), DCR_OK);
}

/* Expected step for a flipped bit in byte i, or NULL when it depends on the bit. */
static const char *step_for_byte(size_t i)
{
	if (i < 8)
		return "sim: step 1 (format)";
	if (i < 16)
		return NULL; /* timestamp: its top bit is a format error, others a bad signature */
	if (i < 128 || i >= 160)
		return "sim: step 3 (signature)";
	return NULL; /* platform key: invalid (step 2) or another key (step 3) */
}

static void test_every_bit_flip_fails(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE], ev[SIM_EVIDENCE_SIZE], bad[SIM_EVIDENCE_SIZE];
	static const uint8_t zero[sizeof(struct dcr_attest_claims)];
	struct dcr_attest_claims claims;

	fill(rd, sizeof(rd), 1);
	make_evidence(f, &f->env, rd, ev);
	for (size_t i = 0; i < SIM_EVIDENCE_SIZE; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct dcr_msg msg = {{0}};
			const char *step = step_for_byte(i);
			enum dcr_err err;

			memcpy(bad, ev, sizeof(ev));
			bad[i] ^= (uint8_t)(1u << bit);
			memset(&claims, 0xa5, sizeof(claims));
			err = f->sim->verify(bad, sizeof(bad), NULL, &claims, &msg);
			if (err == DCR_OK)
				fail_msg("byte %zu bit %d flipped: evidence still verifies", i,
				         bit);
			assert_true(err == DCR_ERR_VERIFY || err == DCR_ERR_INVALID);
			if (strncmp(msg.text, "sim: step ", 10) != 0)
				fail_msg("byte %zu bit %d: message \"%s\" names no step", i, bit,
				         msg.text);
			if (step)
				tu_assert_msg(&msg, step);
			/* nothing of a failed verification may be mistaken for a claim */
			assert_memory_equal(&claims, zero, sizeof(claims));
		}
	}
}

static void test_wrong_sizes_fail_step1(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE] = {0}, ev[SIM_EVIDENCE_SIZE + 1];
	static const size_t sizes[] = {SIM_EVIDENCE_SIZE - 1, SIM_EVIDENCE_SIZE + 1, 0};
	struct dcr_attest_claims claims;

	make_evidence(f, &f->env, rd, ev);
	ev[SIM_EVIDENCE_SIZE] = 0;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct dcr_msg msg = {{0}};

		assert_int_equal(f->sim->verify(ev, sizes[i], NULL, &claims, &msg),
		                 DCR_ERR_INVALID);
		tu_assert_msg(&msg, "sim: step 1 (format)");
		tu_assert_msg(&msg, "224");
		assert_int_equal(claims.measurement_count, 0);
	}
	{
		struct dcr_msg msg = {{0}};

		assert_int_equal(f->sim->verify(NULL, 0, NULL, &claims, &msg), DCR_ERR_INVALID);
		tu_assert_msg(&msg, "step 1 (format)");
	}
}

static void test_unknown_version_and_magic(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE] = {0}, ev[SIM_EVIDENCE_SIZE];
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};

	make_evidence(f, &f->env, rd, ev);
	ev[6] = 2;
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "step 1 (format)");
	tu_assert_msg(&msg, "version 2");
	ev[6] = 1;
	ev[0] = 'X';
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "DCRSIM");
}

static void test_invalid_platform_key_fails_step2(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[DCR_REPORT_DATA_SIZE] = {0}, ev[SIM_EVIDENCE_SIZE];
	struct dcr_attest_claims claims;
	struct dcr_msg msg = {{0}};

	make_evidence(f, &f->env, rd, ev);
	/* all zero encodes a point of small order */
	memset(ev + SIM_OFF_PLATFORM_KEY, 0, 32);
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "sim: step 2 (platform key)");
}

/* The clean room's flow: report data binds the contract and the room's keys;
 * evidence for another contract (or other keys) fails appraisal at step 4. */
static void test_wrong_report_data_fails_appraisal(void **state)
{
	struct fixture *f = *state;
	uint8_t hash_a[32], hash_b[32], rd_a[64], rd_b[64], rd_other_keys[64];
	uint8_t ev[SIM_EVIDENCE_SIZE];
	struct dcr_seckey *room = NULL, *other = NULL;
	struct dcr_pubkey room_pub, other_pub;
	struct dcr_attest_claims claims;
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_SIM)};
	struct dcr_msg msg = {{0}};

	fill(hash_a, 32, 0x10);
	fill(hash_b, 32, 0x11);
	assert_int_equal(dcr_seckey_generate(&room), DCR_OK);
	assert_int_equal(dcr_seckey_generate(&other), DCR_OK);
	dcr_seckey_public(room, &room_pub);
	dcr_seckey_public(other, &other_pub);
	dcr_attest_report_data(hash_a, &room_pub, rd_a);
	dcr_attest_report_data(hash_b, &room_pub, rd_b);
	dcr_attest_report_data(hash_a, &other_pub, rd_other_keys);

	make_evidence(f, &f->env, rd_a, ev);
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_OK);

	policy.report_data = rd_a;
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_OK);

	policy.report_data = rd_b;
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 4 (report data)");
	tu_assert_msg(&msg, "not bound to this contract and these keys");

	policy.report_data = rd_other_keys;
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 4 (report data)");

	dcr_seckey_free(room);
	dcr_seckey_free(other);
}

static void test_appraise_real_evidence(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[64] = {0}, ev[SIM_EVIDENCE_SIZE], exe[48];
	struct dcr_attest_claims claims;
	struct dcr_tee_pin pin = {.tee = DCR_TEE_SIM, .name = "measurement", .size = 48};
	struct dcr_attest_policy policy = {
		.accept = DCR_TEE_BIT(DCR_TEE_SGX) | DCR_TEE_BIT(DCR_TEE_TDX),
		.pins = &pin,
		.pin_count = 1,
	};
	struct dcr_msg msg = {{0}};
	char hex[97];

	make_evidence(f, &f->env, rd, ev);
	assert_int_equal(f->sim->verify(ev, sizeof(ev), NULL, &claims, &msg), DCR_OK);

	/* a contract that does not list sim refuses it */
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 1 (TEE kind)");
	tu_assert_msg(&msg, "sim");
	tu_assert_msg(&msg, "sgx, tdx");

	/* sim accepted: debug is exempt; the pin must equal this binary's hash */
	policy.accept |= DCR_TEE_BIT(DCR_TEE_SIM);
	exe_sha384(exe);
	memcpy(pin.value, exe, 48);
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_OK);

	pin.value[47] ^= 1;
	assert_int_equal(dcr_attest_appraise(&claims, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 3 (measurement)");
	tu_assert_msg(&msg, "sim.measurement");
	dcr_hex_encode(hex, exe, 48);
	tu_assert_msg(&msg, hex);
	dcr_hex_encode(hex, pin.value, 48);
	tu_assert_msg(&msg, hex);
}

static void test_sealing_key(void **state)
{
	struct fixture *f = *state;
	uint8_t k1[32], k2[32], k3[32], zero[32] = {0};
	struct dcr_msg msg = {{0}};
	char *dir2 = tu_tmpdir();
	struct dcr_attest_env env2 = {.data_dir = dir2};

	assert_int_equal(f->sim->sealing_key(&f->env, k1, &msg), DCR_OK);
	assert_int_equal(f->sim->sealing_key(&f->env, k2, &msg), DCR_OK);
	assert_memory_equal(k1, k2, 32);
	assert_memory_not_equal(k1, zero, 32);
	/* another platform (data directory) cannot derive it */
	assert_int_equal(f->sim->sealing_key(&env2, k3, &msg), DCR_OK);
	assert_memory_not_equal(k1, k3, 32);
	tu_rmdir(dir2);
}

static void test_platform_key_file(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[64] = {0}, ev1[SIM_EVIDENCE_SIZE], ev2[SIM_EVIDENCE_SIZE], key[32];
	char *dir2 = tu_tmpdir();
	struct dcr_attest_env env2 = {.data_dir = dir2};
	struct dcr_buf b;
	struct dcr_msg msg = {{0}};
	struct stat st;
	const char *path;

	make_evidence(f, &f->env, rd, ev1);
	path = tu_path(f->dir, "sim-platform.key");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* kept: the same platform signs next time; another directory is another platform */
	make_evidence(f, &f->env, rd, ev2);
	assert_memory_equal(ev1 + SIM_OFF_PLATFORM_KEY, ev2 + SIM_OFF_PLATFORM_KEY, 32);
	make_evidence(f, &env2, rd, ev2);
	assert_memory_not_equal(ev1 + SIM_OFF_PLATFORM_KEY, ev2 + SIM_OFF_PLATFORM_KEY, 32);

	/* a key others can read is refused, by both producer functions */
	assert_int_equal(chmod(path, 0644), 0);
	dcr_buf_init(&b, 4096);
	assert_int_equal(f->sim->evidence(&f->env, rd, &b, &msg), DCR_ERR_PERM);
	tu_assert_msg(&msg, "sim-platform.key");
	tu_assert_msg(&msg, "chmod 600");
	assert_int_equal(b.size, 0);
	assert_int_equal(f->sim->sealing_key(&f->env, key, &msg), DCR_ERR_PERM);
	tu_assert_msg(&msg, "chmod 600");
	dcr_buf_free(&b);
	tu_rmdir(dir2);
}

static void test_missing_data_dir(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[64] = {0}, key[32];
	struct dcr_attest_env none = {.data_dir = NULL}, empty = {.data_dir = ""};
	struct dcr_attest_env gone = {.data_dir = "/nonexistent/dcr-test-dir"};
	struct dcr_buf b;
	struct dcr_msg msg = {{0}};

	dcr_buf_init(&b, 4096);
	assert_int_equal(f->sim->evidence(NULL, rd, &b, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "no data directory");
	assert_int_equal(f->sim->evidence(&none, rd, &b, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "no data directory");
	assert_int_equal(f->sim->evidence(&empty, rd, &b, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "no data directory");
	assert_int_equal(f->sim->sealing_key(&none, key, &msg), DCR_ERR_INVALID);
	tu_assert_msg(&msg, "no data directory");
	assert_int_equal(f->sim->evidence(&gone, rd, &b, &msg), DCR_ERR_NOT_FOUND);
	tu_assert_msg(&msg, "data directory /nonexistent/dcr-test-dir");
	assert_int_equal(b.size, 0);
	dcr_buf_free(&b);
}

static void test_stray_pub_file(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[64] = {0};
	struct dcr_buf b;
	struct dcr_msg msg = {{0}};

	tu_write(tu_path(f->dir, "sim-platform.pub"), "x\n", 2);
	dcr_buf_init(&b, 4096);
	assert_int_equal(f->sim->evidence(&f->env, rd, &b, &msg), DCR_ERR_EXISTS);
	tu_assert_msg(&msg, "sim-platform.pub exists");
	dcr_buf_free(&b);
}

static void test_evidence_respects_buffer_cap(void **state)
{
	struct fixture *f = *state;
	uint8_t rd[64] = {0};
	struct dcr_buf b;
	struct dcr_msg msg = {{0}};

	dcr_buf_init(&b, SIM_EVIDENCE_SIZE - 1);
	assert_int_equal(f->sim->evidence(&f->env, rd, &b, &msg), DCR_ERR_TOO_BIG);
	dcr_buf_free(&b);
	/* appends after what is there */
	dcr_buf_init(&b, 4096);
	assert_int_equal(dcr_buf_append(&b, "head", 4), DCR_OK);
	assert_int_equal(f->sim->evidence(&f->env, rd, &b, &msg), DCR_OK);
	assert_int_equal(b.size, 4 + SIM_EVIDENCE_SIZE);
	assert_memory_equal(b.data, "headDCRSIM", 10);
	dcr_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measurement_is_sha384_of_exe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_matches_the_docs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_bit_flip_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_sizes_fail_step1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_version_and_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_platform_key_fails_step2, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_wrong_report_data_fails_appraisal, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_appraise_real_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sealing_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_data_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stray_pub_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence_respects_buffer_cap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
