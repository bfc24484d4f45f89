/* SPDX-License-Identifier: Apache-2.0 */
/* The sgx backend's entry in the registry: an Intel SGX enclave run by
 * Gramine, evidence through /dev/attestation (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_sgx_ops = {
	.name = "sgx",
	.tee = DCR_TEE_SGX,
	.detect = attest_sgx_detect,
	.evidence = attest_sgx_evidence,
	.sealing_key = attest_sgx_sealing_key,
	.probe = NULL,  /* the verifier half arrives from sgx_verify.c */
	.verify = NULL,
};
