/* SPDX-License-Identifier: Apache-2.0 */
/* The sim verifier: checks the format, the platform key and the signature of
 * simulated evidence. It can detect tampering and mistakes, never a lying
 * host: the key that signs the evidence travels inside it. */
#include <stdatomic.h>
#include <string.h>

#include "../attest_int.h"

static atomic_flag warned = ATOMIC_FLAG_INIT;

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

bool attest_sim_probe(const uint8_t *evidence, size_t size)
{
	/* The magic alone decides, so that a truncated or padded sim file
	 * reaches attest_sim_verify and gets its precise step-1 error rather
	 * than "not evidence of any kind". */
	return evidence && size >= SIM_MAGIC_SIZE &&
	       memcmp(evidence, SIM_MAGIC, SIM_MAGIC_SIZE) == 0;
}

enum dcr_err attest_sim_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	uint8_t tbs[SIM_SIGN_LABEL_SIZE + SIM_OFF_SIGNATURE];
	struct dcr_attest_measurement *m;
	uint64_t timestamp;
	uint16_t version;

	(void)opts; /* sim evidence has no certificates, collateral or validity period */
	memset(out, 0, sizeof(*out));

	if (size != SIM_EVIDENCE_SIZE || !evidence)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "sim: step 1 (format): evidence is %zu bytes; sim evidence is "
		                "exactly %d bytes",
		                evidence ? size : 0, SIM_EVIDENCE_SIZE);
	if (memcmp(evidence, SIM_MAGIC, SIM_MAGIC_SIZE) != 0)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "sim: step 1 (format): the evidence does not start with \"%s\"",
		                SIM_MAGIC);
	version = get_le16(evidence + SIM_OFF_VERSION);
	if (version != SIM_VERSION)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "sim: step 1 (format): version %u; this build reads version %d",
		                (unsigned)version, SIM_VERSION);
	timestamp = get_le64(evidence + SIM_OFF_TIMESTAMP);
	if (timestamp > (uint64_t)INT64_MAX)
		return dcr_fail(msg, DCR_ERR_INVALID,
		                "sim: step 1 (format): timestamp %llu is out of range",
		                (unsigned long long)timestamp);

	if (!dcr_sign_pk_valid(evidence + SIM_OFF_PLATFORM_KEY))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "sim: step 2 (platform key): the platform key is not a valid "
		                "Ed25519 public key");

	memcpy(tbs, SIM_SIGN_LABEL, SIM_SIGN_LABEL_SIZE);
	memcpy(tbs + SIM_SIGN_LABEL_SIZE, evidence, SIM_OFF_SIGNATURE);
	if (dcr_verify(evidence + SIM_OFF_PLATFORM_KEY, tbs, sizeof(tbs),
	               evidence + SIM_OFF_SIGNATURE) != DCR_OK)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "sim: step 3 (signature): the platform signature does not match: "
		                "the evidence was changed after it was made");

	out->tee = DCR_TEE_SIM;
	memcpy(out->report_data, evidence + SIM_OFF_REPORT_DATA, DCR_REPORT_DATA_SIZE);
	m = &out->measurements[0];
	m->name = "measurement";
	memcpy(m->value, evidence + SIM_OFF_MEASUREMENT, ATTEST_SHA384_SIZE);
	m->size = ATTEST_SHA384_SIZE;
	out->measurement_count = 1;
	out->debug = true; /* the host can read a simulated TEE's memory */
	out->timestamp = (int64_t)timestamp;
	if (!atomic_flag_test_and_set(&warned)) /* once per process */
		dcr_log_warn("sim: verified SIMULATED evidence: it proves nothing about hardware; "
	             "any host can make it and read every byte of the \"TEE\"");
	return DCR_OK;
}
