/* SPDX-License-Identifier: Apache-2.0 */
/* The azure-vtpm backend's entry in the registry: an Azure confidential VM,
 * evidence through its vTPM (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_vtpm_ops = {
	.name = "azure-vtpm",
	.tee = DCR_TEE_AZURE_VTPM,
	.detect = attest_vtpm_detect,
	.evidence = attest_vtpm_evidence,
	.sealing_key = attest_vtpm_sealing_key,
	.probe = NULL,  /* the verifier half arrives from vtpm_verify.c */
	.verify = NULL,
};
