/* SPDX-License-Identifier: Apache-2.0 */
/* The tdx backend's entry in the registry: Intel TDX trust domains;
 * evidence = a DCAP quote v4 or v5 from configfs-tsm (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_tdx_ops = {
	.name = "tdx",
	.tee = DCR_TEE_TDX,
	.detect = attest_tdx_detect,
	.evidence = attest_tdx_evidence,
	.sealing_key = attest_tdx_sealing_key,
	.probe = attest_tdx_probe,
	.verify = attest_tdx_verify,
};
