/* SPDX-License-Identifier: Apache-2.0 */
/* The tdx backend's entry in the registry: Intel TDX trust domains,
 * evidence = a DCAP quote v4 or v5 (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_tdx_ops = {
	.name = "tdx",
	.tee = DCR_TEE_TDX,
	.probe = attest_tdx_probe,
	.verify = attest_tdx_verify,
};
