/* SPDX-License-Identifier: Apache-2.0 */
/* The tdx backend's entry in the registry: an Intel TDX confidential VM,
 * evidence through configfs-tsm (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_tdx_ops = {
	.name = "tdx",
	.tee = DCR_TEE_TDX,
	.detect = attest_tdx_detect,
	.evidence = attest_tdx_evidence,
	.sealing_key = attest_tdx_sealing_key,
	.probe = NULL,  /* the verifier half arrives from tdx_verify.c */
	.verify = NULL,
};
