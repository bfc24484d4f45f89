/* SPDX-License-Identifier: Apache-2.0 */
/* The snp backend's entry in the registry: AMD SEV-SNP attestation reports
 * from configfs-tsm, sealing key from the firmware (docs/ATTESTATION.md). */
#include "../attest_int.h"

const struct dcr_attest_ops attest_snp_ops = {
	.name = "snp",
	.tee = DCR_TEE_SNP,
	.detect = attest_snp_detect,
	.evidence = attest_snp_evidence,
	.sealing_key = attest_snp_sealing_key,
	.probe = attest_snp_probe,
	.verify = attest_snp_verify,
};
