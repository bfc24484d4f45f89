/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx backend's entry in the registry: Intel SGX enclaves, evidence =
 * a DCAP quote v3 (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_sgx_ops = {
	.name = "sgx",
	.tee = DCR_TEE_SGX,
	.probe = attest_sgx_probe,
	.verify = attest_sgx_verify,
};
