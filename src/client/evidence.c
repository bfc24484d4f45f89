/* SPDX-License-Identifier: Apache-2.0 */
/* Checking a clean room's attestation evidence against the contract: the
 * gate every client command passes before it sends a byte. */
#include <string.h>

#include "dcr/client.h"

void dcr_client_policy(const struct dcr_contract *c, const uint8_t *report_data,
                       struct dcr_attest_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->accept = c->tee_accept;
	out->pins = c->pins;
	out->pin_count = c->pin_count;
	out->report_data = report_data;
	out->allow_debug = false; /* a contract has no way to allow it: never */
}

enum dcr_err dcr_client_check_evidence(const struct dcr_contract *c, enum dcr_tee tee,
                                       const uint8_t *evidence, size_t size,
                                       const struct dcr_pubkey *room,
                                       const struct dcr_attest_verify_opts *opts,
                                       struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	static const struct dcr_attest_verify_opts no_opts;
	const struct dcr_attest_ops *ops;
	struct dcr_attest_claims claims;
	struct dcr_attest_policy policy;
	uint8_t expected[DCR_REPORT_DATA_SIZE];
	enum dcr_err err;

	if (out)
		memset(out, 0, sizeof(*out));
	/* Refuse a kind the contract does not accept before parsing anything. */
	if (!(c->tee_accept & DCR_TEE_BIT(tee)))
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "attestation: the clean room runs on %s, which the contract "
		                "does not accept",
		                dcr_tee_name(tee));
	ops = dcr_attest_find(tee);
	if (!ops || !ops->verify)
		return dcr_fail(msg, DCR_ERR_UNSUPPORTED,
		                "attestation: this build cannot verify %s evidence",
		                dcr_tee_name(tee));
	err = ops->verify(evidence, size, opts ? opts : &no_opts, &claims, msg);
	if (err)
		return err == DCR_ERR_INVALID ? DCR_ERR_VERIFY : err;
	if (claims.tee != tee)
		return dcr_fail(msg, DCR_ERR_VERIFY,
		                "attestation: the evidence is from %s, not %s as the clean "
		                "room claims",
		                dcr_tee_name(claims.tee), dcr_tee_name(tee));
	dcr_attest_report_data(c->hash, room, expected);
	dcr_client_policy(c, expected, &policy);
	err = dcr_attest_appraise(&claims, &policy, msg);
	if (err)
		return err;
	if (out)
		*out = claims;
	return DCR_OK;
}
