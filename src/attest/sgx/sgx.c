/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx backend's entry in the registry: Intel SGX enclaves run by
 * Gramine; evidence = a DCAP quote v3 from /dev/attestation
 * (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_sgx_ops = {
	.name = "sgx",
	.tee = DCR_TEE_SGX,
	.detect = attest_sgx_detect,
	.evidence = attest_sgx_evidence,
	.sealing_key = attest_sgx_sealing_key,
	.probe = attest_sgx_probe,
	.verify = attest_sgx_verify,
};
