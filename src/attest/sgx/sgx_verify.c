/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx verifier: an SGX DCAP quote v3 checked by the shared DCAP steps
 * (src/attest/dcap/), then the enclave's identity as claims. */
#include <string.h>

#include "../dcap/dcap.h"

#define PREFIX "sgx"

bool attest_sgx_probe(const uint8_t *evidence, size_t size)
{
	/* version 3, ECDSA-P256, TEE type SGX: 8 fixed bytes */
	return evidence && size >= DCAP_HEADER_SIZE && attest_le16(evidence) == 3 &&
	       attest_le16(evidence + 2) == DCAP_ATT_KEY_ECDSA_P256 && evidence[4] == 0 &&
	       evidence[5] == 0 && evidence[6] == 0 && evidence[7] == 0;
}

/* The enclave's identity from the report body, added to out. */
static void sgx_identity(const uint8_t *body, struct dcr_attest_claims *out)
{
	char hex[33];

	out->tee = DCR_TEE_SGX;
	memcpy(out->report_data, body + DCAP_RB_REPORTDATA, DCR_REPORT_DATA_SIZE);
	out->measurements[0].name = "mrenclave";
	memcpy(out->measurements[0].value, body + DCAP_RB_MRENCLAVE, 32);
	out->measurements[0].size = 32;
	out->measurements[1].name = "mrsigner";
	memcpy(out->measurements[1].value, body + DCAP_RB_MRSIGNER, 32);
	out->measurements[1].size = 32;
	out->measurement_count = 2;
	out->debug = (body[DCAP_RB_ATTRIBUTES] & 0x02) != 0; /* ATTRIBUTES.DEBUG */
	attest_info_add(out, "isv_prod_id", "%u", (unsigned)attest_le16(body + DCAP_RB_ISVPRODID));
	attest_info_add(out, "isv_svn", "%u", (unsigned)attest_le16(body + DCAP_RB_ISVSVN));
	dcr_hex_encode(hex, body + DCAP_RB_ATTRIBUTES, 16);
	attest_info_add(out, "attributes", "%s", hex);
}

enum dcr_err attest_sgx_verify(const uint8_t *evidence, size_t size,
                               const struct dcr_attest_verify_opts *opts,
                               struct dcr_attest_claims *out, struct dcr_msg *msg)
{
	return dcap_verify_kind(evidence, size, DCAP_TEE_SGX, PREFIX, sgx_identity, opts, out, msg);
}
