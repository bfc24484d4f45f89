/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm backend's entry in the registry: an Azure confidential VM's
 * HCL report and vTPM quote in a DCRVTPM1 container (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_vtpm_ops = {
	.name = "azure-vtpm",
	.tee = DCR_TEE_AZURE_VTPM,
	.detect = attest_vtpm_detect,
	.evidence = attest_vtpm_evidence,
	.sealing_key = attest_vtpm_sealing_key,
	.probe = attest_vtpm_probe,
	.verify = attest_vtpm_verify,
};
