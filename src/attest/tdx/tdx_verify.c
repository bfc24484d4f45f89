/* SPDX-License-Identifier: Apache-2.0 */
/* The tdx verifier: a TDX DCAP quote v4 or v5 checked by the shared DCAP
 * steps (src/attest/dcap/), then the trust domain's measurements as claims. */
#include <string.h>

#include "../dcap/dcap.h"

#define PREFIX "tdx"

bool attest_tdx_probe(const uint8_t *evidence, size_t size)
{
	/* version 4 or 5, ECDSA-P256, TEE type 0x81 */
	return evidence && size >= DCAP_HEADER_SIZE &&
	       (attest_le16(evidence) == 4 || attest_le16(evidence) == 5) &&
	       attest_le16(evidence + 2) == DCAP_ATT_KEY_ECDSA_P256 && evidence[4] == 0x81 &&
	       evidence[5] == 0 && evidence[6] == 0 && evidence[7] == 0;
}

static void measurement(struct dcr_attest_claims *out, const char *name, const uint8_t *v)
{
	struct dcr_attest_measurement *m = &out->measurements[out->measurement_count++];

	m->name = name;
	memcpy(m->value, v, 48);
	m->size = 48;
}

/* The TD's identity from the report body, added to out. */
static void tdx_identity(const uint8_t *body, struct dcr_attest_claims *out)
{
	static const char *const rtmr[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
	char hex[97];

	out->tee = DCR_TEE_TDX;
	memcpy(out->report_data, body + DCAP_TD_REPORTDATA, DCR_REPORT_DATA_SIZE);
	measurement(out, "mrtd", body + DCAP_TD_MRTD);
	for (int i = 0; i < 4; i++)
		measurement(out, rtmr[i], body + DCAP_TD_RTMR0 + 48 * i);
	measurement(out, "mrconfigid", body + DCAP_TD_MRCONFIGID);
	out->debug = (body[DCAP_TD_TD_ATTRIBUTES] & 0x01) != 0; /* TD_ATTRIBUTES.DEBUG */
	dcr_hex_encode(hex, body + DCAP_TD_MRSEAM, 48);
	attest_info_add(out, "mrseam", "%s", hex);
	dcr_hex_encode(hex, body + DCAP_TD_TD_ATTRIBUTES, 8);
	attest_info_add(out, "td_attributes", "%s", hex);
}

enum dcr_err attest_tdx_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	return dcap_verify_kind(evidence, size, DCAP_TEE_TDX, PREFIX, tdx_identity, opts, out, msg);
}
