/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm backend's entry in the registry: an Azure confidential VM's
 * HCL report and vTPM quote in a DCRVTPM1 container (docs/ATTESTATION.md).
 * The producer half is not built yet. */
#include "../attest_int.h"

const struct dcr_attest_ops attest_vtpm_ops = {
	.name = "azure-vtpm",
	.tee = DCR_TEE_AZURE_VTPM,
	.probe = attest_vtpm_probe,
	.verify = attest_vtpm_verify,
};
