/* SPDX-License-Identifier: Apache-2.0 */
/* The attestation registry (which backends this build has), the report data
 * every backend binds, and the appraisal of verified claims against a policy. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <stdatomic.h>

#include "attest_int.h"

/* One slot per TEE kind, NULL while that backend is not built. A real
 * backend fills its slot here (under its own build option when it needs a
 * library the others do not). */
static const struct dcr_attest_ops *const backends[DCR_TEE_COUNT] = {
	[DCR_TEE_SIM] = &attest_sim_ops,
	[DCR_TEE_SGX] = &attest_sgx_ops,
	[DCR_TEE_TDX] = &attest_tdx_ops,
	[DCR_TEE_SNP] = &attest_snp_ops,
	[DCR_TEE_AZURE_VTPM] = &attest_vtpm_ops,
};

/* Hardware first, in the order detect() tries them; sim never auto-selected. */
static const enum dcr_tee detect_order[] = {
	DCR_TEE_SGX, DCR_TEE_TDX, DCR_TEE_SNP, DCR_TEE_AZURE_VTPM,
};

static atomic_flag warned_sim_accepted = ATOMIC_FLAG_INIT;

/* ---- registry ----------------------------------------------------------- */

const struct dcr_attest_ops *dcr_attest_find(enum dcr_tee tee)
{
	if ((unsigned)tee >= DCR_TEE_COUNT)
		return NULL;
	assert(!backends[tee] || backends[tee]->tee == tee);
	return backends[tee];
}

const struct dcr_attest_ops *dcr_attest_find_name(const char *name)
{
	enum dcr_tee tee;

	if (!name || dcr_tee_from_name(name, &tee) != DCR_OK)
		return NULL;
	return dcr_attest_find(tee);
}

const struct dcr_attest_ops *dcr_attest_detect(void)
{
	for (size_t i = 0; i < sizeof(detect_order) / sizeof(detect_order[0]); i++) {
		const struct dcr_attest_ops *ops = backends[detect_order[i]];

		if (ops && ops->detect && ops->detect())
			return ops;
	}
	return NULL;
}

const struct dcr_attest_ops *dcr_attest_probe(const uint8_t *evidence, size_t size)
{
	if (!evidence || !size)
		return NULL;
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		const struct dcr_attest_ops *ops = backends[i];

		if (ops && ops->probe && ops->probe(evidence, size))
			return ops;
	}
	return NULL;
}

const struct dcr_attest_measurement *dcr_attest_claims_find(const struct dcr_attest_claims *claims,
                                                            const char *name)
{
	size_t count = claims->measurement_count;

	if (count > DCR_ATTEST_MAX_MEASUREMENTS)
		count = DCR_ATTEST_MAX_MEASUREMENTS;
	for (size_t i = 0; i < count; i++)
		if (claims->measurements[i].name && !strcmp(claims->measurements[i].name, name))
			return &claims->measurements[i];
	return NULL;
}

/* ---- report data ---------------------------------------------------------- */

#define REPORT_DATA_LABEL "dcr report data v1\n"
#define REPORT_DATA_LABEL_SIZE 19

void dcr_attest_report_data(const uint8_t contract_hash[static 32],
                            const struct dcr_pubkey *room,
                            uint8_t out[static DCR_REPORT_DATA_SIZE])
{
	uint8_t in[REPORT_DATA_LABEL_SIZE + 32 + DCR_SIGN_PK_SIZE + DCR_BOX_PK_SIZE];
	size_t n = 0;

	_Static_assert(sizeof(REPORT_DATA_LABEL) - 1 == REPORT_DATA_LABEL_SIZE, "label size");
	memcpy(in + n, REPORT_DATA_LABEL, REPORT_DATA_LABEL_SIZE);
	n += REPORT_DATA_LABEL_SIZE;
	memcpy(in + n, contract_hash, 32);
	n += 32;
	memcpy(in + n, room->sign, DCR_SIGN_PK_SIZE);
	n += DCR_SIGN_PK_SIZE;
	memcpy(in + n, room->box, DCR_BOX_PK_SIZE);
	n += DCR_BOX_PK_SIZE;
	assert(n == sizeof(in));
	dcr_sha512(in, n, out);
}

/* ---- helpers for backends ------------------------------------------------ */

void attest_info_add(struct dcr_attest_claims *claims, const char *name, const char *fmt, ...)
{
	struct dcr_attest_info *info;
	va_list ap;

	assert(claims->info_count < DCR_ATTEST_MAX_INFO);
	if (claims->info_count >= DCR_ATTEST_MAX_INFO)
		return;
	info = &claims->info[claims->info_count++];
	info->name = name;
	va_start(ap, fmt);
	vsnprintf(info->value, sizeof(info->value), fmt, ap);
	va_end(ap);
}

enum dcr_err attest_sha384_file(const char *path, uint8_t out[static ATTEST_SHA384_SIZE],
                                struct dcr_msg *msg)
{
	enum dcr_err err = DCR_OK;
	EVP_MD_CTX *ctx = NULL;
	uint8_t chunk[65536];
	unsigned int len = 0;
	int fd;

	memset(out, 0, ATTEST_SHA384_SIZE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha384(), NULL) != 1) {
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: OpenSSL cannot start SHA-384", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = dcr_fail(msg, DCR_ERR_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
			err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: OpenSSL SHA-384 failed", path);
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != ATTEST_SHA384_SIZE) {
		memset(out, 0, ATTEST_SHA384_SIZE);
		err = dcr_fail(msg, DCR_ERR_INTERNAL, "%s: OpenSSL SHA-384 failed", path);
	}
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return err;
}

/* ---- appraisal ----------------------------------------------------------- */

/* "sgx, tdx" into out (size bytes), or "none". */
static void accepted_list(unsigned accept, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < DCR_TEE_COUNT; i++) {
		int m;

		if (!(accept & DCR_TEE_BIT(i)))
			continue;
		m = snprintf(out + n, size - n, "%s%s", n ? ", " : "",
		             dcr_tee_name((enum dcr_tee)i));
		if (m < 0 || (size_t)m >= size - n)
			break;
		n += (size_t)m;
	}
	if (!n)
		snprintf(out, size, "none");
}

enum dcr_err dcr_attest_appraise(const struct dcr_attest_claims *claims,
                                 const struct dcr_attest_policy *policy,
                                 struct dcr_msg *msg)
{
	char hex_got[2 * DCR_REPORT_DATA_SIZE + 1], hex_want[2 * DCR_REPORT_DATA_SIZE + 1];
	const char *kind = dcr_tee_name(claims->tee);

	_Static_assert(DCR_TEE_VALUE_MAX <= DCR_REPORT_DATA_SIZE, "hex buffers hold a value");
	if ((unsigned)claims->tee >= DCR_TEE_COUNT ||
	    !(policy->accept & DCR_TEE_BIT(claims->tee))) {
		char list[64];

		accepted_list(policy->accept, list, sizeof(list));
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "attestation: step 1 (TEE kind): the evidence comes from a %s TEE, "
		                "which the contract does not accept (tee.accept: %s)",
		                kind, list);
	}
	/* once per process: loud, but not a wall of repeats */
	if (claims->tee == DCR_TEE_SIM && !atomic_flag_test_and_set(&warned_sim_accepted))
		dcr_log_warn("*** the contract accepts a SIMULATED TEE: no hardware protects this "
		             "data; the operator can read everything sent to this clean room ***");

	/* A simulated TEE is always open to its host, so its debug flag says
	 * nothing that accepting sim has not already conceded. */
	if (claims->debug && claims->tee != DCR_TEE_SIM && !policy->allow_debug)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "attestation: step 2 (debug): the %s TEE runs in debug mode, so "
		                "its host can read its memory; refusing it",
		                kind);

	for (size_t i = 0; i < policy->pin_count; i++) {
		const struct dcr_tee_pin *pin = &policy->pins[i];
		const struct dcr_attest_measurement *m;

		if (pin->tee != claims->tee)
			continue;
		assert(pin->name && pin->size <= DCR_TEE_VALUE_MAX);
		m = dcr_attest_claims_find(claims, pin->name);
		if (!m)
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "attestation: step 3 (measurement): the contract pins "
			                "%s.%s but the evidence has no such measurement",
			                kind, pin->name);
		if (m->size != pin->size || memcmp(m->value, pin->value, pin->size) != 0) {
			dcr_hex_encode(hex_got, m->value, m->size <= DCR_TEE_VALUE_MAX ?
			               m->size : DCR_TEE_VALUE_MAX);
			dcr_hex_encode(hex_want, pin->value, pin->size);
			return dcr_fail(msg, DCR_ERR_VERIFY,
			                "attestation: step 3 (measurement): %s.%s is %s, but the "
			                "contract expects %s",
			                kind, pin->name, hex_got, hex_want);
		}
	}

	if (policy->report_data &&
	    !dcr_ct_equal(policy->report_data, claims->report_data, DCR_REPORT_DATA_SIZE)) {
		dcr_hex_encode(hex_got, claims->report_data, DCR_REPORT_DATA_SIZE);
		dcr_hex_encode(hex_want, policy->report_data, DCR_REPORT_DATA_SIZE);
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "attestation: step 4 (report data): the evidence is not bound to "
		                "this contract and these keys (report data %s, expected %s)",
		                hex_got, hex_want);
	}
	return DCR_OK;
}

enum dcr_err dcr_attest_self_measurement(uint8_t out[static 48], struct dcr_msg *msg)
{
	return attest_sha384_file(SIM_EXE_PATH, out, msg);
}
