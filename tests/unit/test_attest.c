/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation interface: registry look-ups, format probing, the report
 * data every backend binds, and appraisal of claims against a policy. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>

#include <openssl/evp.h>

#include "dcr/attest.h"

static int setup(void **state)
{
	(void)state;
	assert_int_equal(dcr_crypto_init(), DCR_OK);
	dcr_log_set_level(DCR_LOG_WARN);
	return 0;
}

/* ---- report data ---------------------------------------------------------- */

static void test_report_data_known_construction(void **state)
{
	uint8_t hash[32], in[19 + 32 + 32 + 32], want[64], got[64], other[64];
	struct dcr_pubkey room;
	unsigned int len = 0;

	(void)state;
	for (int i = 0; i < 32; i++) {
		hash[i] = (uint8_t)i;
		room.sign[i] = (uint8_t)(0x40 + i);
		room.box[i] = (uint8_t)(0x80 + i);
	}
	/* independently: OpenSSL's SHA-512 over label || hash || sign || box */
	memcpy(in, "dcr report data v1\n", 19);
	memcpy(in + 19, hash, 32);
	memcpy(in + 51, room.sign, 32);
	memcpy(in + 83, room.box, 32);
	assert_int_equal(EVP_Digest(in, sizeof(in), want, &len, EVP_sha512(), NULL), 1);
	assert_int_equal(len, 64);
	dcr_attest_report_data(hash, &room, got);
	assert_memory_equal(got, want, 64);

	/* each input matters */
	hash[0] ^= 1;
	dcr_attest_report_data(hash, &room, other);
	assert_memory_not_equal(got, other, 64);
	hash[0] ^= 1;
	room.box[31] ^= 1;
	dcr_attest_report_data(hash, &room, other);
	assert_memory_not_equal(got, other, 64);
	room.box[31] ^= 1;
	room.sign[31] ^= 1;
	dcr_attest_report_data(hash, &room, other);
	assert_memory_not_equal(got, other, 64);
}

/* ---- registry ------------------------------------------------------------- */

static void test_registry_find(void **state)
{
	const struct dcr_attest_ops *sim;

	(void)state;
	sim = dcr_attest_find(DCR_TEE_SIM);
	assert_non_null(sim);
	assert_string_equal(sim->name, "sim");
	assert_int_equal(sim->tee, DCR_TEE_SIM);
	/* sim is complete: producer and verifier */
	assert_non_null(sim->detect);
	assert_non_null(sim->evidence);
	assert_non_null(sim->sealing_key);
	assert_non_null(sim->probe);
	assert_non_null(sim->verify);
	assert_ptr_equal(dcr_attest_find_name("sim"), sim);

	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		const struct dcr_attest_ops *ops = dcr_attest_find((enum dcr_tee)i);

		/* a slot holds its own kind or nothing, and name and kind agree */
		assert_ptr_equal(dcr_attest_find_name(dcr_tee_name((enum dcr_tee)i)), ops);
		if (ops) {
			assert_int_equal(ops->tee, i);
			assert_string_equal(ops->name, dcr_tee_name((enum dcr_tee)i));
		}
	}
	assert_null(dcr_attest_find(DCR_TEE_COUNT));
	assert_null(dcr_attest_find((enum dcr_tee)-1));
	assert_null(dcr_attest_find_name("nope"));
	assert_null(dcr_attest_find_name(""));
	assert_null(dcr_attest_find_name("SIM"));
	assert_null(dcr_attest_find_name(NULL));
}

static void test_sim_never_detected(void **state)
{
	const struct dcr_attest_ops *found;

	(void)state;
	assert_false(dcr_attest_find(DCR_TEE_SIM)->detect());
	found = dcr_attest_detect();
	if (found)
		assert_int_not_equal(found->tee, DCR_TEE_SIM);
}

static void test_probe(void **state)
{
	const struct dcr_attest_ops *sim = dcr_attest_find(DCR_TEE_SIM);
	uint8_t rd[64] = {0}, noise[4096];
	char *dir = tu_tmpdir();
	struct dcr_attest_env env = {.data_dir = dir};
	struct dcr_buf ev;
	struct dcr_msg msg = {{0}};

	(void)state;
	dcr_buf_init(&ev, DCR_EVIDENCE_MAX_SIZE);
	assert_int_equal(sim->evidence(&env, rd, &ev, &msg), DCR_OK);
	assert_ptr_equal(dcr_attest_probe(ev.data, ev.size), sim);
	assert_true(sim->probe(ev.data, ev.size));
	/* a truncated sim file still goes to the sim verifier, for its precise error */
	assert_ptr_equal(dcr_attest_probe(ev.data, 100), sim);
	assert_null(dcr_attest_probe(ev.data, 5));

	for (int round = 0; round < 64; round++) {
		dcr_random(noise, sizeof(noise));
		assert_null(dcr_attest_probe(noise, sizeof(noise)));
		assert_null(dcr_attest_probe(noise, 224));
	}
	memset(noise, 0, sizeof(noise));
	assert_null(dcr_attest_probe(noise, sizeof(noise)));
	assert_null(dcr_attest_probe(noise, 0));
	assert_null(dcr_attest_probe(NULL, 0));
	dcr_buf_free(&ev);
	tu_rmdir(dir);
}

/* Real hardware evidence must never be mistaken for sim evidence. */
static void test_probe_real_evidence_is_not_sim(void **state)
{
	static const char *const files[] = {
		"sgx_quote_v3_dcapqvl.dat", "tdx_quote_v4_spr_e4.dat", "tdx_quote_v5_sample.dat",
		"snp_report_milan.bin", "azure_hcl_report_snp.bin",
	};
	const char *dir = getenv("DCR_TESTDATA");
	const struct dcr_attest_ops *sim = dcr_attest_find(DCR_TEE_SIM);
	int seen = 0;

	(void)state;
	if (!dir)
		skip();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct dcr_buf b;
		struct dcr_msg msg;
		struct dcr_attest_claims claims;

		if (dcr_file_read(tu_path(dir, files[i]), DCR_EVIDENCE_MAX_SIZE, &b, &msg))
			continue;
		seen++;
		assert_ptr_not_equal(dcr_attest_probe(b.data, b.size), sim);
		assert_false(sim->probe(b.data, b.size));
		assert_int_not_equal(sim->verify(b.data, b.size, NULL, &claims, &msg), DCR_OK);
		tu_assert_msg(&msg, "sim: step 1 (format)");
		dcr_buf_free(&b);
	}
	assert_true(seen > 0);
}

/* ---- appraisal ------------------------------------------------------------ */

static void claims_init(struct dcr_attest_claims *c, enum dcr_tee tee)
{
	memset(c, 0, sizeof(*c));
	c->tee = tee;
	for (int i = 0; i < 64; i++)
		c->report_data[i] = (uint8_t)i;
	if (tee == DCR_TEE_SGX) {
		c->measurements[0].name = "mrenclave";
		memset(c->measurements[0].value, 0x11, 32);
		c->measurements[0].size = 32;
		c->measurements[1].name = "mrsigner";
		memset(c->measurements[1].value, 0x22, 32);
		c->measurements[1].size = 32;
		c->measurement_count = 2;
	} else {
		c->measurements[0].name = "measurement";
		memset(c->measurements[0].value, 0x33, 48);
		c->measurements[0].size = 48;
		c->measurement_count = 1;
	}
}

static struct dcr_tee_pin pin(enum dcr_tee tee, const char *name, uint8_t v, size_t size)
{
	struct dcr_tee_pin p = {.tee = tee, .size = size};

	assert_int_equal(dcr_tee_field(tee, name, &p.name), size);
	memset(p.value, v, size);
	return p;
}

static void test_appraise_kind(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_attest_policy policy = {.accept = 0};
	struct dcr_msg msg = {{0}};

	(void)state;
	claims_init(&c, DCR_TEE_SGX);
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 1 (TEE kind)");
	tu_assert_msg(&msg, "sgx TEE");
	tu_assert_msg(&msg, "tee.accept: none");

	policy.accept = DCR_TEE_BIT(DCR_TEE_SIM) | DCR_TEE_BIT(DCR_TEE_SNP) |
	                DCR_TEE_BIT(DCR_TEE_AZURE_VTPM);
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "tee.accept: sim, snp, azure-vtpm");

	policy.accept |= DCR_TEE_BIT(DCR_TEE_SGX);
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);

	c.tee = DCR_TEE_COUNT; /* nonsense from a broken verifier still fails closed */
	policy.accept = ~0u;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 1 (TEE kind)");
}

static void test_appraise_sim_warns(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_SIM)};
	struct dcr_msg msg = {{0}};
	char *dir = tu_tmpdir();
	struct dcr_buf log;
	int fd, saved;

	(void)state;
	claims_init(&c, DCR_TEE_SIM);
	c.debug = true;
	fflush(stderr);
	fd = open(tu_path(dir, "err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	/* debug is exempt for sim: accepting sim already concedes everything */
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(dcr_file_read(tu_path(dir, "err"), 65536, &log, &msg), DCR_OK);
	if (!strstr((char *)log.data, "the contract accepts a SIMULATED TEE: no hardware "
	                               "protects this data"))
		fail_msg("no loud warning, got \"%s\"", (char *)log.data);
	dcr_buf_free(&log);
	tu_rmdir(dir);
}

static void test_appraise_debug(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_SNP)};
	struct dcr_msg msg = {{0}};

	(void)state;
	claims_init(&c, DCR_TEE_SNP);
	c.debug = true;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 2 (debug)");
	tu_assert_msg(&msg, "snp");
	policy.allow_debug = true;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
	policy.allow_debug = false;
	c.debug = false;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
}

static void test_appraise_pins(void **state)
{
	struct dcr_attest_claims c;
	struct dcr_tee_pin pins[3];
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_SGX), .pins = pins};
	struct dcr_msg msg = {{0}};
	char hex[65];

	(void)state;
	claims_init(&c, DCR_TEE_SGX);
	pins[0] = pin(DCR_TEE_SGX, "mrenclave", 0x11, 32);
	pins[1] = pin(DCR_TEE_SGX, "mrsigner", 0x22, 32);
	pins[2] = pin(DCR_TEE_TDX, "mrtd", 0x99, 48); /* another kind's pin: not ours */
	policy.pin_count = 3;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);

	pins[1].value[5] = 0x23;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 3 (measurement)");
	tu_assert_msg(&msg, "sgx.mrsigner");
	dcr_hex_encode(hex, c.measurements[1].value, 32);
	tu_assert_msg(&msg, hex);
	dcr_hex_encode(hex, pins[1].value, 32);
	tu_assert_msg(&msg, hex);

	/* a pinned value the evidence lacks fails too */
	pins[1].value[5] = 0x22;
	c.measurement_count = 1;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "step 3 (measurement)");
	tu_assert_msg(&msg, "no such measurement");
}

static void test_appraise_report_data(void **state)
{
	struct dcr_attest_claims c;
	uint8_t want[64];
	struct dcr_attest_policy policy = {.accept = DCR_TEE_BIT(DCR_TEE_TDX)};
	struct dcr_msg msg = {{0}};

	(void)state;
	claims_init(&c, DCR_TEE_TDX);
	memcpy(want, c.report_data, 64);
	policy.report_data = want;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
	want[63] ^= 0x80;
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_ERR_VERIFY);
	tu_assert_msg(&msg, "attestation: step 4 (report data)");
	tu_assert_msg(&msg, "not bound to this contract and these keys");
	policy.report_data = NULL; /* unchecked */
	assert_int_equal(dcr_attest_appraise(&c, &policy, &msg), DCR_OK);
}

static void test_claims_find(void **state)
{
	struct dcr_attest_claims c;

	(void)state;
	claims_init(&c, DCR_TEE_SGX);
	assert_ptr_equal(dcr_attest_claims_find(&c, "mrsigner"), &c.measurements[1]);
	assert_null(dcr_attest_claims_find(&c, "mrtd"));
	c.measurement_count = 0;
	assert_null(dcr_attest_claims_find(&c, "mrenclave"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_data_known_construction),
		cmocka_unit_test(test_registry_find),
		cmocka_unit_test(test_sim_never_detected),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_real_evidence_is_not_sim),
		cmocka_unit_test(test_appraise_kind),
		cmocka_unit_test(test_appraise_sim_warns),
		cmocka_unit_test(test_appraise_debug),
		cmocka_unit_test(test_appraise_pins),
		cmocka_unit_test(test_appraise_report_data),
		cmocka_unit_test(test_claims_find),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
